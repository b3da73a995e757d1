"""The verdict as a query: the tables a SQL engine judges a log with, and what its verdict means.

**Tables**, generated from a lifecycle by :func:`moves` and :func:`spellings`:

- ``moves(source, target, kind, skipped, event)``: every change of status the rules accept. In
  strict mode, the declared moves (``kind = 'move'``, with their event); in polled mode also every
  pair a poller may observe (``kind = 'inferred'``): a legal chain of declared moves connects the
  two statuses without passing through the gap status and without leaving a terminal one, and
  ``skipped`` is the shortest chain's statuses in between. Both are read off
  ``Rules.for_lifecycle(lifecycle, mode).table``, the table the streaming checker judges with, so
  the query and the checker cannot disagree on a pair: any pair not in ``moves`` is a violation.
- ``spellings(key, code)``: every way the lifecycle's readers accept a status, to the status
  code: exactly as written (``vocab.by_value``: names, prefixed names, aliases and, where clients
  report codes, the codes) and normalised (``vocab.by_text``: upper-cased names and aliases, and
  ``#<code>`` for a string of ASCII digits where codes are read). A value is looked up as written
  first, then stripped of white space (:data:`WHITESPACE`, what :meth:`str.strip` strips) and
  upper-cased, as :meth:`Status.parse <jobfsm.vocabulary.Status.parse>` reads it.

**The query's verdict, per job**, next to the streaming checker's (:mod:`jobfsm.logs`):

- *Order*. A job's accepted lines are judged in order of time, then of line (file order for
  equal times; a glob or a directory is read as its files concatenated in name order, and its
  line numbers count on across them). The streaming checker judges in file order. Times are
  compared as read (floats of epoch seconds): the shortcut of :func:`judging_sql` compares whole
  microseconds, strictly, and leaves a job it cannot tell apart so to the exact order.
- *First line*: the job's first line in that order sets its status, unjudged (the same rule).
- *Repeats*: a line whose status equals the line before it in that order is a repeat, whatever
  the verdict on that line was; a repeat of the current status is no move (the same rule, in
  the query's order).
- *Changes*: any other status is judged from the job's current status by the ``moves`` table: a
  move or an inferred jump is applied, anything else is a violation and leaves the job where it
  was (the same rule). After a violation the status a job is judged from is not the line before
  it, which is why jobs that need it are replayed (below).
- *Late lines*: none. The streaming checker does not judge a line older than its job's last
  applied line (it counts it in ``late``: the :class:`~jobfsm.tracker.Tracker`'s rule, for
  observations fed live); the query has every line at hand and judges each one in its place in
  time, so its report always says ``late: 0``.
- *Bad lines*: a line that is not an observation is counted in ``rejected`` and listed (the first
  ones by line number) and never judged, as in the streaming checker. Which lines are bad, and
  why, the DuckDB engine decides by the Python reader's own rules
  (:mod:`~jobfsm.engines.duckdb_engine` says how, and the few lines it reads otherwise).

So the two verdicts **coincide** for every job whose accepted lines are in time order in the file
(equal times in any order): the same violations (job, line, time, source, target), the same final
status, the same moves and inferred jumps. More generally, the query's report on a log is the
streaming checker's report on the same log with its lines sorted by time (a stable sort), line
numbers naming the original lines and ``late`` 0. They **differ** only for a job with a line older
than one written before it: the checker ignores the late line (it arrived too late to be applied
live), the query judges it where it belongs (a table has no arrival order, only times and line
numbers, and a log judged after the fact can afford the order things happened in).

**How it is computed** (:func:`judging_sql`): first every status of a job as one interval, its
first and last time, in one aggregation that sorts nothing. A job whose statuses each occupy one
stretch of time, apart from each other, and whose consecutive statuses are all pairs of
``moves``, is judged from its intervals alone: in time order its lines are the runs of its
intervals, so its changes are their boundaries. Every other job (a status recurs, two statuses
share a microsecond, or a change is a violation) has its lines ordered, its repeats dropped, and
its changes replayed by :func:`replay`, the checker's own rule; jobs without a violation are
never replayed, and a replay reads a job's changes, not its repeats.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, Final, NamedTuple

from jobfsm.lifecycle import Lifecycle
from jobfsm.logs.judge import tally
from jobfsm.validate import VIOLATION, Mode, Rules, StepKind
from jobfsm.vocabulary import Status

__all__ = [
    "WHITESPACE",
    "Move",
    "Replayed",
    "chains",
    "judging_sql",
    "moves",
    "normalised_status_sql",
    "replay",
    "spellings",
    "tally",
]

#: Every character :meth:`str.strip` strips (``c.isspace()``), for SQL's ``trim(x, chars)``.
WHITESPACE: Final = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


class Move(NamedTuple):
    """One row of the ``moves`` table: a change the rules accept."""

    source: int
    target: int
    #: ``"move"`` (a declared move) or ``"inferred"`` (a jump along a legal chain, polled mode).
    kind: str
    #: For an inferred jump, the codes a shortest legal chain passes through.
    skipped: tuple[int, ...]
    #: For a declared move, its event.
    event: str | None


def moves(lifecycle: Lifecycle, mode: Mode | str) -> tuple[Move, ...]:
    """Every ``(source, target)`` change the rules accept in ``mode``, from the checker's table.

    >>> from jobfsm import DEFAULT_LIFECYCLE
    >>> strict = moves(DEFAULT_LIFECYCLE, "strict")
    >>> len(strict) == len(DEFAULT_LIFECYCLE.edges), {m.kind for m in strict}
    (True, {'move'})
    >>> [m for m in moves(DEFAULT_LIFECYCLE, "polled") if (m.source, m.target) == (7, 10)]
    [Move(source=7, target=10, kind='inferred', skipped=(8,), event=None)]
    """
    table = Rules.for_lifecycle(lifecycle, mode).table
    found: list[Move] = []
    for source, row in enumerate(table):
        for target, step in enumerate(row):
            if step.kind is StepKind.MOVE:
                found.append(Move(source, target, "move", (), step.event))
            elif step.kind is StepKind.INFERRED:
                skipped = tuple(int(s) for s in step.skipped)
                found.append(Move(source, target, "inferred", skipped, None))
    return tuple(found)


def spellings(lifecycle: Lifecycle) -> tuple[dict[str, int], dict[str, int]]:
    """The ``spellings`` table in two parts: keys as written, and normalised keys.

    A value is looked up as written, then as :func:`normalised_status_sql` normalises it:
    stripped and upper-cased, or ``#`` and its digits without leading zeros where the vocabulary
    reads codes (:meth:`Status.parse <jobfsm.vocabulary.Status.parse>`'s rule).

    >>> from jobfsm import DEFAULT_LIFECYCLE
    >>> exact, normalised = spellings(DEFAULT_LIFECYCLE)
    >>> exact["8"], exact["RUNNING"], exact["JOBSTAT_RUNNING"], normalised["#8"]
    (8, 8, 8, 8)
    """
    vocab = lifecycle.statuses.vocabulary
    exact: dict[str, int] = {}
    for key, status in vocab.by_value.items():
        if isinstance(key, str):
            exact[key] = int(status)
    normalised = {key: int(status) for key, status in vocab.by_text.items()}
    if vocab.numeric:
        for status in lifecycle.statuses:
            exact.setdefault(str(int(status)), int(status))
            normalised[f"#{int(status)}"] = int(status)
    for key, code in normalised.items():
        if not key.startswith("#"):
            exact.setdefault(key, code)
    return exact, normalised


def _sql_text(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def normalised_status_sql(value: str, numeric: bool) -> str:
    """SQL normalising the status text ``value`` to a key of the normalised spellings."""
    stripped = f"trim({value}, {_sql_text(WHITESPACE)})"
    if not numeric:
        return f"upper({stripped})"
    return (
        f"CASE WHEN regexp_full_match({stripped}, '[0-9]+') "
        f"THEN '#' || coalesce(nullif(ltrim({stripped}, '0'), ''), '0') "
        f"ELSE upper({stripped}) END"
    )


def judging_sql(good: str, replayed_rows: str | None = None) -> dict[str, str]:
    """The statements that judge the accepted observations in the relation ``good``.

    ``good`` has one row per accepted line: ``job`` (text), ``code`` (the status code), ``t``
    (epoch seconds, a double), ``tu`` (the same in whole microseconds, rounded down, so that
    ``tu`` never orders two lines against ``t``) and ``line``. A table ``moves(source, target)``
    holds :func:`moves`. In order:

    - ``intervals``: each status of each job, its first and last ``tu`` and its lines;
    - ``sequence``: each job's intervals in order of their first time, with the interval before;
    - ``replayed_jobs``: jobs judged line by line, each numbered (``jid``): a status recurs or
      shares a microsecond with another (two intervals overlap or touch), or a change between
      intervals is no move;
    - ``pairs``, ``finals``: the changes and final statuses of every other job, counted;
    - ``changes``: the replayed jobs' lines in order, repeats of the line before dropped, each
      job by its number (a window partitioned by an integer sorts faster than by text).

    ``replayed_rows``, when given, is a relation of the replayed jobs' accepted observations
    (``jid``, ``code``, ``t``, ``line``) that ``changes`` reads instead of joining ``good`` to
    ``replayed_jobs``: a reader that joins the jobs first reads fewer rows' statuses.
    """
    if replayed_rows is None:
        replayed_rows = (
            f"SELECT r.jid, g.code, g.t, g.line FROM {good} g JOIN replayed_jobs r ON g.job = r.job"
        )
    return {
        "intervals": f"""
            CREATE TEMP TABLE intervals AS
            SELECT job, code, min(tu) AS first_tu, max(tu) AS last_tu, count(*) AS n
            FROM {good} GROUP BY job, code""",
        "sequence": """
            CREATE TEMP TABLE sequence AS
            SELECT job, code, first_tu, last_tu,
                   lag(code) OVER w AS before, lag(last_tu) OVER w AS before_last,
                   lead(code) OVER w AS after
            FROM intervals WINDOW w AS (PARTITION BY job ORDER BY first_tu, code)""",
        "replayed_jobs": """
            CREATE TEMP TABLE replayed_jobs AS
            SELECT job, CAST(row_number() OVER () AS INTEGER) AS jid FROM (
                SELECT DISTINCT s.job FROM sequence s
                LEFT JOIN moves m ON m.source = s.before AND m.target = s.code
                WHERE s.before IS NOT NULL
                AND (s.before_last >= s.first_tu OR m.source IS NULL))""",
        "pairs": """
            SELECT before, code, count(*) FROM sequence s
            WHERE before IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM replayed_jobs r WHERE r.job = s.job)
            GROUP BY before, code""",
        "finals": """
            SELECT code, count(*) FROM sequence s
            WHERE after IS NULL AND NOT EXISTS (
                SELECT 1 FROM replayed_jobs r WHERE r.job = s.job)
            GROUP BY code""",
        "changes": f"""
            SELECT jid, code, t, line FROM (
                SELECT jid, code, t, line,
                       lag(code) OVER (PARTITION BY jid ORDER BY t, line) AS before
                FROM ({replayed_rows}))
            WHERE before IS NULL OR before <> code
            ORDER BY jid, t, line""",
    }


class Replayed(NamedTuple):
    """What :func:`replay` found: each judged change counted by pair, each job's final status
    counted, how many jobs had a violation, and every violation (line, time, job, source,
    target), in the order met."""

    pairs: Counter[tuple[int, int]]
    finals: Counter[int]
    jobs: int
    violating: int
    violations: list[tuple[int, float, Any, int, int]]


def replay(rows: Iterable[tuple[Any, int, float, int]], rules: Rules) -> Replayed:
    """Judge changes by the streaming checker's rule: ``rows`` are ``(job, code, time, line)``
    (``job`` the job's id, or any key that stands for it), each job's in order and without
    repeats of the line before (``changes`` of :func:`judging_sql`), one job after another.

    >>> from jobfsm import DEFAULT_LIFECYCLE
    >>> rules = Rules.for_lifecycle(DEFAULT_LIFECYCLE, "strict")
    >>> found = replay([("a", 8, 1.0, 1), ("a", 7, 2.0, 2), ("a", 10, 3.0, 3)], rules)
    >>> found.violations, dict(found.finals)
    ([(2, 2.0, 'a', 8, 7)], {10: 1})
    """
    table = rules.table
    pairs: Counter[tuple[int, int]] = Counter()
    finals: Counter[int] = Counter()
    violations: list[tuple[int, float, Any, int, int]] = []
    jobs = violating = 0
    job: Any = None
    current = -1
    bad = False
    for row_job, code, time, line in rows:
        if row_job != job:
            if job is not None:
                finals[current] += 1
                violating += bad
            job, current, bad = row_job, code, False
            jobs += 1
            continue
        if code == current:
            continue  # back to the status it was judged from: a repeat of it
        pairs[(current, code)] += 1
        if table[current][code] is VIOLATION:
            violations.append((line, time, row_job, current, code))
            bad = True
            continue
        current = code
    if job is not None:
        finals[current] += 1
        violating += bad
    return Replayed(pairs, finals, jobs, violating, violations)


def chains(lifecycle: Lifecycle, source: Status, target: Status) -> Iterator[tuple[Status, ...]]:
    """Every shortest legal chain from ``source`` to ``target`` (what a poller that saw the jump
    may have missed), by the rule of :meth:`Lifecycle.shortest_path`: no intermediate status is
    the gap status or terminal. Several chains may fit one jump; the checker reports the first.

    >>> from jobfsm import DEFAULT_LIFECYCLE, JobStatus as S
    >>> [[s.name for s in c] for c in chains(DEFAULT_LIFECYCLE, S.WAITING, S.COMPLETED)]
    [['WAITING', 'RUNNING', 'COMPLETED'], ['WAITING', 'KILLING', 'COMPLETED']]
    """
    shortest = lifecycle.shortest_path(source, target)
    if shortest is None:
        return
    length = len(shortest)
    banned = {lifecycle.gap} if lifecycle.gap is not None else set()

    def extend(path: tuple[Status, ...]) -> Iterator[tuple[Status, ...]]:
        here = path[-1]
        if len(path) == length - 1:
            if target in lifecycle.next_map[here]:
                yield (*path, target)
            return
        for nxt in sorted(lifecycle.next_map[here]):
            if nxt in path or nxt in banned or nxt.is_terminal or nxt == target:
                continue
            yield from extend((*path, nxt))

    if length == 2:
        yield shortest
        return
    yield from extend((source,))
