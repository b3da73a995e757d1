"""Conformance mining: what a status log says of its lifecycle, with either engine.

:func:`mine` reads a log and sets what was observed against what is declared:

- each **declared move**, with how often it was observed directly, and how often a jump implies
  it (on the likeliest chain, below); the declared moves **never observed** either way;
- each **undeclared move** observed (a change no legal chain explains), with its count and the
  first jobs that made it (in line order);
- the **jumps** (changes pollers saw across missed statuses), and where several shortest legal
  chains fit one, the one the observed frequencies make likeliest, with its share: a chain's
  weight is the product, over its moves, of how often each move was observed directly out of
  every direct move from its source (a Markov chain fitted to the log), and its share is its
  weight over the weights of every chain that fits (equal shares when no chain has a weight);
  the **statuses pollers skip**, counted on the likeliest chains;
- the **time in each status** (median, 95th and 99th percentiles, nearest rank): from a job's
  first line in a status to its first line in the next one (a job's last status is still going
  on and is not counted);
- the **unknown status values**, with counts;
- a **suggested patch**: the undeclared moves seen at least ``min_count`` times, as TOML
  ``[[events]]`` tables (:mod:`jobfsm.lifecycles.toml`) for a person to review and paste into a
  lifecycle file, each with its evidence in a comment.

What is observed: each job's accepted lines in order of time, then line (the order of
:mod:`jobfsm.engines.query`, for both engines: :meth:`ObservationLog.by_job
<jobfsm.logs.ObservationLog.by_job>` with the Python engine, the same ordering in SQL with
DuckDB), repeats of the line before dropped; each change from one status to the next is
classified by the lifecycle's polled rules (a declared move, a jump along a legal chain, or
undeclared). Changes are taken as observed, not judged: after an undeclared move the next change
is read from where the job was seen, not from where the checker keeps it.
"""

from __future__ import annotations

import ast
import itertools
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from jobfsm.engines import query
from jobfsm.lifecycle import Lifecycle
from jobfsm.validate import Mode, Rules, StepKind
from jobfsm.vocabulary import Status

__all__ = [
    "DEFAULT_MIN_COUNT",
    "EXAMPLES",
    "Dwell",
    "Jump",
    "Mining",
    "Observed",
    "Undeclared",
    "mine",
    "nearest_rank",
]

#: How often an undeclared move must be seen to be suggested, by default.
DEFAULT_MIN_COUNT: Final = 5
#: How many example jobs each undeclared move names.
EXAMPLES: Final = 3
#: The percentiles of the time in each status.
_PERCENTILES: Final = (0.5, 0.95, 0.99)


def nearest_rank(ordered: list[float], q: float) -> float:
    """The ``q`` quantile (0 < q ≤ 1) of ``ordered`` (sorted), by the nearest-rank method: the
    smallest value that at least ``q`` of the values do not exceed.

    >>> nearest_rank([1.0, 2.0, 3.0, 4.0], 0.5), nearest_rank([1.0, 2.0, 3.0, 4.0], 0.99)
    (2.0, 4.0)
    """
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Observed:
    """What an engine hands to :func:`mine`: a log's changes counted, in codes."""

    source: str
    lifecycle: Lifecycle
    engine: str
    lines: int = 0
    observations: int = 0
    jobs: int = 0
    #: Every change from one status to the next, counted by (source, target).
    changes: Counter[tuple[int, int]] = field(default_factory=Counter)
    #: For each undeclared change, the first jobs (in line order) that made it.
    examples: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    #: Seconds in each status (first line in it to first line in the next), sorted.
    dwell: dict[int, list[float]] = field(default_factory=dict)
    unknown: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Declared:
    """A declared move: observed directly ``observed`` times, implied by ``implied`` jumps."""

    source: Status
    target: Status
    event: str
    observed: int
    implied: int


@dataclass(frozen=True)
class Undeclared:
    """A change no legal chain explains, seen ``count`` times; ``examples`` the first jobs."""

    source: Status
    target: Status
    count: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Jump:
    """A jump seen ``count`` times; ``chains`` every shortest legal chain that fits it with its
    share, likeliest first (ties in the order :func:`~jobfsm.engines.query.chains` gives)."""

    source: Status
    target: Status
    count: int
    chains: tuple[tuple[tuple[Status, ...], float], ...]

    @property
    def likeliest(self) -> tuple[Status, ...]:
        return self.chains[0][0]

    @property
    def share(self) -> float:
        return self.chains[0][1]


@dataclass(frozen=True)
class Dwell:
    """Seconds in ``status``: ``samples`` stays, and their median, 95th and 99th percentiles."""

    status: Status
    samples: int
    median: float
    p95: float
    p99: float


def _event_name(source: Status, target: Status, taken: set[str]) -> str:
    """A new event's name: an identifier from the two statuses' names, not yet declared."""
    base = re.sub(r"\W+", "_", f"{source.name}_to_{target.name}".lower()).strip("_")
    if not base or not base[0].isalpha():
        base = f"move_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Mining:
    """A log mined against its lifecycle (module docs); :meth:`to_dict`, :meth:`text`,
    :meth:`patch` and :meth:`traffic` present it."""

    source: str
    lifecycle: Lifecycle
    engine: str
    lines: int
    observations: int
    jobs: int
    declared: tuple[Declared, ...]
    undeclared: tuple[Undeclared, ...]
    jumps: tuple[Jump, ...]
    skipped: tuple[tuple[Status, int], ...]
    dwell: tuple[Dwell, ...]
    unknown_statuses: tuple[tuple[str, int], ...]
    min_count: int = DEFAULT_MIN_COUNT

    @property
    def never_observed(self) -> tuple[Declared, ...]:
        """Declared moves no change shows, directly or through a jump."""
        return tuple(d for d in self.declared if not d.observed and not d.implied)

    @property
    def suggested(self) -> tuple[Undeclared, ...]:
        """The undeclared moves seen at least :attr:`min_count` times."""
        return tuple(u for u in self.undeclared if u.count >= self.min_count)

    def traffic(self) -> Counter[tuple[Status, Status]]:
        """Counts for :func:`jobfsm.diagram.extract`: declared moves as observed and implied,
        undeclared ones as seen."""
        found: Counter[tuple[Status, Status]] = Counter()
        for d in self.declared:
            if d.observed + d.implied:
                found[(d.source, d.target)] = d.observed + d.implied
        for u in self.undeclared:
            found[(u.source, u.target)] = u.count
        return found

    def patch(self) -> str:
        """The suggested moves as TOML ``[[events]]`` tables, each with its evidence, to review
        and paste into a lifecycle file ('' when nothing is suggested)."""
        taken = set(self.lifecycle.event_names)
        out: list[str] = []
        for u in self.suggested:
            jobs = ", ".join(u.examples)
            out += [
                f"# {u.source.name} → {u.target.name}: seen {u.count} times in {self.source} "
                f"(jobs {jobs}); review before adding",
                "[[events]]",
                f"name = {_toml(_event_name(u.source, u.target, taken))}",
                f"sources = [{_toml(u.source.name)}]",
                f"target = {_toml(u.target.name)}",
                f"reason = {_toml(f'observed {u.count} times in {os.path.basename(self.source)}')}",
                "",
            ]
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form; statuses as the lifecycle reports them (codes in v1, else names)."""

        def chain(statuses: Iterable[Status]) -> list[int | str]:
            return [s.reported for s in statuses]

        return {
            "source": self.source,
            "lifecycle": self.lifecycle.name,
            "engine": self.engine,
            "lines": self.lines,
            "observations": self.observations,
            "jobs": self.jobs,
            "declared_moves": [
                {
                    "source": d.source.reported,
                    "target": d.target.reported,
                    "event": d.event,
                    "observed": d.observed,
                    "implied_by_jumps": d.implied,
                }
                for d in self.declared
            ],
            "never_observed": [
                {"source": d.source.reported, "target": d.target.reported, "event": d.event}
                for d in self.never_observed
            ],
            "undeclared_moves": [
                {
                    "source": u.source.reported,
                    "target": u.target.reported,
                    "count": u.count,
                    "examples": list(u.examples),
                }
                for u in self.undeclared
            ],
            "jumps": [
                {
                    "source": j.source.reported,
                    "target": j.target.reported,
                    "count": j.count,
                    "likeliest_chain": chain(j.likeliest),
                    "share": j.share,
                    "chains": [{"chain": chain(c), "share": s} for c, s in j.chains],
                }
                for j in self.jumps
            ],
            "skipped_statuses": {s.name: n for s, n in self.skipped},
            "time_in_status": [
                {
                    "status": d.status.reported,
                    "samples": d.samples,
                    "median_s": d.median,
                    "p95_s": d.p95,
                    "p99_s": d.p99,
                }
                for d in self.dwell
            ],
            "unknown_statuses": dict(self.unknown_statuses),
            "min_count": self.min_count,
            "suggested_events": [
                {"source": u.source.reported, "target": u.target.reported, "count": u.count}
                for u in self.suggested
            ],
            "patch": self.patch(),
        }

    def text(self) -> str:
        """The report for people."""
        from jobfsm.cli.shared import table
        from jobfsm.errors import escape

        def seconds(value: float) -> str:
            return f"{value:,.1f}"

        out = [
            f"{escape(self.source)}, lifecycle {self.lifecycle.name}, {self.engine} engine: "
            f"{self.lines:,} lines, {self.observations:,} observations, {self.jobs:,} jobs",
            "",
            "declared moves (observed directly; implied by jumps):",
            table(
                ["source", "target", "event", "observed", "implied"],
                [(d.source, d.target, d.event, d.observed, d.implied) for d in self.declared],
            ),
        ]
        never = self.never_observed
        out += ["", f"declared moves never observed ({len(never)}):"]
        out += [f"  {d.source} → {d.target} ({d.event})" for d in never] or ["  none"]
        out += ["", f"undeclared moves observed ({len(self.undeclared)}):"]
        out += [
            f"  {u.source} → {u.target} ×{u.count} (jobs {escape(', '.join(u.examples))})"
            for u in self.undeclared
        ] or ["  none"]
        several = [j for j in self.jumps if len(j.chains) > 1]
        out += ["", "statuses pollers skip (on the likeliest chains):"]
        out += [f"  {s} ×{n}" for s, n in self.skipped] or ["  none"]
        out += ["", f"jumps that several chains fit ({len(several)}):"]
        out += [
            f"  {j.source} → {j.target} ×{j.count}: likeliest via "
            f"{' → '.join(str(s) for s in j.likeliest[1:-1])} ({j.share:.0%})"
            for j in several
        ] or ["  none"]
        out += ["", "time in each status (seconds):"]
        out.append(
            table(
                ["status", "stays", "median", "p95", "p99"],
                [
                    (d.status, d.samples, seconds(d.median), seconds(d.p95), seconds(d.p99))
                    for d in self.dwell
                ],
            )
        )
        out += ["", "unknown status values:"]
        out += [f"  {escape(repr(v))} ×{n}" for v, n in self.unknown_statuses] or ["  none"]
        patch = self.patch()
        out += ["", f"suggested patch (undeclared moves seen at least {self.min_count} times):"]
        out += [escape(line) for line in patch.rstrip("\n").split("\n")] if patch else ["  none"]
        return "\n".join(out)


def _chain_shares(
    chains: list[tuple[Status, ...]],
    direct: Counter[tuple[Status, Status]],
    out_of: Counter[Status],
) -> list[tuple[tuple[Status, ...], float]]:
    """Each chain with its share (module docs), likeliest first."""
    weights = []
    for chain in chains:
        weight = 1.0
        for a, b in itertools.pairwise(chain):
            weight *= direct[(a, b)] / out_of[a] if out_of[a] else 0.0
        weights.append(weight)
    total = sum(weights)
    shares = [w / total for w in weights] if total else [1.0 / len(chains)] * len(chains)
    ranked = sorted(range(len(chains)), key=lambda i: -shares[i])
    return [(chains[i], shares[i]) for i in ranked]


def mine(observed: Observed, min_count: int = DEFAULT_MIN_COUNT) -> Mining:
    """The mining report of what an engine observed (module docs)."""
    lifecycle = observed.lifecycle
    cls = lifecycle.statuses
    table = Rules.for_lifecycle(lifecycle, Mode.POLLED).table
    direct: Counter[tuple[Status, Status]] = Counter()
    out_of: Counter[Status] = Counter()
    jumps: Counter[tuple[Status, Status]] = Counter()
    undeclared: list[Undeclared] = []
    for (a, b), count in observed.changes.items():
        kind = table[a][b].kind
        pair = (cls(a), cls(b))
        if kind is StepKind.MOVE:
            direct[pair] += count
            out_of[pair[0]] += count
        elif kind is StepKind.INFERRED:
            jumps[pair] += count
        else:
            examples = tuple(observed.examples.get((a, b), ())[:EXAMPLES])
            undeclared.append(Undeclared(*pair, count, examples))
    implied: Counter[tuple[Status, Status]] = Counter()
    skipped: Counter[Status] = Counter()
    found_jumps = []
    for (a, b), count in sorted(jumps.items(), key=lambda item: (-item[1], item[0])):
        shares = _chain_shares(list(query.chains(lifecycle, a, b)), direct, out_of)
        jump = Jump(a, b, count, tuple(shares))
        found_jumps.append(jump)
        for x, y in itertools.pairwise(jump.likeliest):
            implied[(x, y)] += count
        for s in jump.likeliest[1:-1]:
            skipped[s] += count
    declared = tuple(
        Declared(e.source, e.target, e.event, direct[(e.source, e.target)],
                 implied[(e.source, e.target)])
        for e in lifecycle.edges
    )  # fmt: skip
    dwell = tuple(
        Dwell(cls(code), len(stays), *(nearest_rank(stays, q) for q in _PERCENTILES))
        for code, stays in sorted(observed.dwell.items())
        if stays
    )
    return Mining(
        source=observed.source,
        lifecycle=lifecycle,
        engine=observed.engine,
        lines=observed.lines,
        observations=observed.observations,
        jobs=observed.jobs,
        declared=declared,
        undeclared=tuple(sorted(undeclared, key=lambda u: (-u.count, u.source, u.target))),
        jumps=tuple(found_jumps),
        skipped=tuple(sorted(skipped.items(), key=lambda item: (-item[1], item[0]))),
        dwell=dwell,
        unknown_statuses=tuple(
            sorted(observed.unknown.items(), key=lambda item: (-item[1], item[0]))
        ),
        min_count=min_count,
    )


# -- what each engine observes ------------------------------------------------------------------

#: What an unknown status's bad line starts with: the value as ``repr`` shows it.
_UNKNOWN = re.compile(r"unknown status: (.+?) (?:is not |is a )")


def _unknown_value(problem: str) -> str | None:
    """The status value an "unknown status" bad line names, as text; None for another line."""
    found = _UNKNOWN.match(problem)
    if found is None:
        return None
    try:
        value = ast.literal_eval(found.group(1))
    except (ValueError, SyntaxError):
        return found.group(1)
    return str(value)


def _python_changes(
    by_job: Iterator[tuple[str, list[Any]]], observed: Observed, undeclared: set[tuple[int, int]]
) -> None:
    """Fill ``observed`` from each job's observations in time order (Python engine)."""
    first_seen: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for job, seen in by_job:
        observed.jobs += 1
        before: int | None = None
        since = 0.0
        for obs in seen:
            code = int(obs.status)
            if code == before:
                continue
            if before is not None:
                pair = (before, code)
                observed.changes[pair] += 1
                observed.dwell.setdefault(before, []).append(obs.time - since)
                if pair in undeclared:
                    first_seen.setdefault(pair, []).append((obs.line, job))
            before, since = code, obs.time
    for pair, made in first_seen.items():
        jobs: list[str] = []
        for _, job in sorted(made):
            if job not in jobs:
                jobs.append(job)
            if len(jobs) == EXAMPLES:
                break
        observed.examples[pair] = jobs
    for stays in observed.dwell.values():
        stays.sort()


def _undeclared_pairs(lifecycle: Lifecycle) -> set[tuple[int, int]]:
    accepted = {(m.source, m.target) for m in query.moves(lifecycle, Mode.POLLED)}
    codes = [int(s) for s in lifecycle.statuses]
    return {(a, b) for a in codes for b in codes if a != b and (a, b) not in accepted}


def observe_python(path: str, fmt: str = "auto", lifecycle: Lifecycle | None = None) -> Observed:
    """What the Python reader observes in the log at ``path`` (its observations kept)."""
    from jobfsm.logs import read_log

    log = read_log(path, fmt, lifecycle=lifecycle)
    observed = Observed(log.source, log.lifecycle, "python", log.lines_read, len(log))
    _python_changes(log.by_job(), observed, _undeclared_pairs(log.lifecycle))
    for error in log.errors:
        value = _unknown_value(error.problem)
        if value is not None:
            observed.unknown[value] += 1
    return observed


def observe_duckdb(
    path: str,
    fmt: str = "auto",
    lifecycle: Lifecycle | None = None,
    memory_limit: str | None = None,
) -> Observed:
    """What the DuckDB engine observes in the log at ``path`` (a file, a glob, a directory)."""
    from jobfsm.engines.duckdb_engine import DEFAULT_MEMORY_LIMIT
    from jobfsm.engines.duckdb_engine.connection import _fetch, _insert
    from jobfsm.engines.duckdb_engine.session import _Session

    session = _Session(
        path, fmt, Mode.POLLED, lifecycle, 0, memory_limit or DEFAULT_MEMORY_LIMIT, None,
        None, None,
    )  # fmt: skip
    with session as run:
        con = run.con
        observed = Observed(run.label, run.lifecycle, "duckdb")
        con.execute("CREATE TEMP TABLE undeclared (source INTEGER, target INTEGER)")
        _insert(con, "undeclared", sorted(_undeclared_pairs(run.lifecycle)))
        con.execute(
            """CREATE TEMP TABLE changes AS
            SELECT job, code, t, line, before,
                   lead(t) OVER (PARTITION BY job ORDER BY t, line) AS next_t
            FROM (SELECT job, code, t, line,
                         lag(code) OVER (PARTITION BY job ORDER BY t, line) AS before
                  FROM good)
            WHERE before IS NULL OR before <> code"""
        )
        for a, b, n in con.execute(
            "SELECT before, code, count(*) FROM changes WHERE before IS NOT NULL GROUP BY ALL"
        ).fetchall():
            observed.changes[(int(a), int(b))] = int(n)
        for a, b, job in con.execute(
            f"""SELECT source, target, job FROM (
                SELECT c.before AS source, c.code AS target, c.job, min(c.line) AS first
                FROM changes c JOIN undeclared u ON u.source = c.before AND u.target = c.code
                GROUP BY ALL)
            QUALIFY row_number() OVER (PARTITION BY source, target ORDER BY first) <= {EXAMPLES}
            ORDER BY source, target, first"""
        ).fetchall():
            observed.examples.setdefault((int(a), int(b)), []).append(job)
        result = con.execute(
            "SELECT code, next_t - t FROM changes WHERE next_t IS NOT NULL ORDER BY code, 2"
        )
        for code, stay in _fetch(result):
            observed.dwell.setdefault(int(code), []).append(stay)
        found = con.execute("SELECT count(DISTINCT job), count(*) FROM good").fetchone()
        assert found is not None
        observed.jobs, observed.observations = int(found[0]), int(found[1])
        observed.lines = run.rows + sum(len(f.refused) for f in run.files)
        for value, n in con.execute(
            "SELECT status_text, count(*) FROM bad "
            "WHERE problem LIKE 'unknown status: %' GROUP BY ALL"
        ).fetchall():
            observed.unknown[str(value) if value is not None else "None"] += int(n)
    return observed
