"""Judging a log: :func:`scan_log` (read and judge in one pass), :func:`check_log` (judge an
ObservationLog), :func:`count_moves`, and the :class:`LogReport` with its :class:`LogViolation`."""

from __future__ import annotations

import itertools
import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from jobfsm.errors import BadLogLine, InvalidArgument
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.logs.detect import LogFormat, _log_format
from jobfsm.logs.observations import Observation, ObservationLog
from jobfsm.logs.sources import LogSource, _consume
from jobfsm.validate import VIOLATION, Mode, Rules, StepKind
from jobfsm.vocabulary import Outcome, Status

#: How many bad lines and violations scan_log lists by default (the rest are counted).
DEFAULT_LISTED: Final = 20


@dataclass(frozen=True)
class LogViolation:
    """An observation the rules reject: the job stays in ``source``.

    ``allowed`` lists the declared moves from ``source``, as in :class:`~jobfsm.validate.Violation`.
    """

    job_id: str
    line: int
    time: float
    source: Status
    target: Status
    allowed: frozenset[Status]

    def __str__(self) -> str:
        names = ", ".join(s.name for s in sorted(self.allowed)) or "none (terminal)"
        return (
            f"line {self.line}: job {self.job_id}: {self.source} → {self.target}; allowed: {names}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form (codes as ints, names beside them)."""
        return {
            "job_id": self.job_id,
            "line": self.line,
            "time": self.time,
            "source": self.source.reported,
            "source_name": self.source.name,
            "target": self.target.reported,
            "target_name": self.target.name,
            "allowed": [s.reported for s in sorted(self.allowed)],
        }


#: The final outcome of a job: an :class:`Outcome` value, or this for a job still active.
UNFINISHED: Final = "unfinished"


@dataclass(frozen=True)
class LogReport:
    """The judgment of a whole log (the rule is in the package docs).

    A job counts once it has at least one accepted observation; it conforms when none of its
    observations is a violation.

    Attributes:
        lines, observations, rejected: every line read; the accepted ones; the rejected ones.
        jobs, conforming: the jobs seen; those without a violation (:attr:`violating` the rest).
        unfinished: jobs whose last status is not terminal.
        inferred: jumps accepted in polled mode; ``inferred_statuses`` the missed statuses
            they imply (the statuses a shortest legal chain passes through).
        late: lines older than their job's last applied line, not judged.
        violation_count: every violation; ``violations`` lists the first ones kept, in file order.
        errors: the first bad lines kept, in file order (``rejected`` counts them all).
        moves: how many times each move was observed, as :func:`count_moves` counts them.
        lifecycle: the name of the lifecycle the log was read and judged in.
        unrecognised_details: secondary phases the lifecycle does not declare, with counts
            (never a violation: the phase alone is judged).
        mismatched_details: declared secondary phases seen with a phase they do not belong to,
            as ``"Phase/secondary"`` with counts (reported, never a violation).
    """

    source: str
    format: LogFormat
    mode: Mode
    lines: int
    observations: int
    jobs: int
    conforming: int
    unfinished: int
    inferred: int
    late: int
    outcomes: dict[str, int]
    violations: tuple[LogViolation, ...]
    errors: tuple[BadLogLine, ...]
    rejected: int
    violation_count: int
    inferred_statuses: int
    moves: Counter[tuple[Status, Status]]
    lifecycle: str = "modelarts-v1"
    unrecognised_details: dict[str, int] = field(default_factory=dict)
    mismatched_details: dict[str, int] = field(default_factory=dict)

    @property
    def violating(self) -> int:
        """Jobs with at least one violation."""
        return self.jobs - self.conforming

    @property
    def ok(self) -> bool:
        """True when every job conforms and every line was read."""
        return not self.violation_count and not self.rejected

    def to_dict(self, max_errors: int | None = None) -> dict[str, Any]:
        """A JSON-safe form; ``max_errors`` caps the listed violations and bad lines
        (``violations_omitted`` and ``errors_omitted`` say how many more there were)."""
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        violations = self.violations if max_errors is None else self.violations[:max_errors]
        found = {
            "source": self.source,
            "lifecycle": self.lifecycle,
            "format": self.format.value,
            "mode": self.mode.value,
            "ok": self.ok,
            "lines": self.lines,
            "observations": self.observations,
            "rejected": self.rejected,
            "jobs": self.jobs,
            "conforming": self.conforming,
            "violating": self.violating,
            "unfinished": self.unfinished,
            "inferred": self.inferred,
            "inferred_statuses": self.inferred_statuses,
            "late": self.late,
            "outcomes": dict(self.outcomes),
            "violations": [v.to_dict() for v in violations],
            "violations_omitted": self.violation_count - len(violations),
            "errors": [{"line": e.line, "message": e.problem} for e in errors],
            "errors_omitted": self.rejected - len(errors),
        }
        if self.unrecognised_details or self.mismatched_details:
            found["unrecognised_secondary_phases"] = dict(self.unrecognised_details)
            found["mismatched_secondary_phases"] = dict(self.mismatched_details)
        return found


class _Judge:
    """Judges observations as a reader feeds them, with a few list slots per job (package docs).

    The same interface as :class:`ObservationLog` (``_take``, ``_reject``, ``job_ids``,
    ``lines_read``), so one reader feeds either.
    """

    def __init__(self, source: str, fmt: LogFormat, rules: Rules, listed: int | None) -> None:
        self.source = source
        self.format = fmt
        self.listed = listed
        #: True until a lifecycle is chosen for the log (scan_log's auto-detection).
        self.auto = False
        self.detail_names: list[str] = []
        self.unrecognised_details: dict[str, int] = {}
        self.mismatched_details: dict[str, int] = {}
        self._adopt_rules(rules)

    @property
    def lifecycle(self) -> Lifecycle:
        return self.rules.lifecycle

    def _adopt(self, lifecycle: Lifecycle) -> None:
        """Judge in ``lifecycle`` (chosen from the log's first lines; nothing is read yet)."""
        self._adopt_rules(Rules.for_lifecycle(lifecycle, self.rules.mode))
        self.auto = False

    def _adopt_rules(self, rules: Rules) -> None:
        self.rules = rules
        self.job_ids: list[str] = []
        self.lines_read = 0
        self.observations = 0
        self.rejected = 0
        self.late = 0
        self.errors: list[BadLogLine] = []
        # Per job, by interned number: the current status (-1 before the first line), the
        # status of the line before (late lines aside), the time of the last applied line, and
        # whether it had a violation.
        self.state: list[int] = []
        self.seen: list[int] = []
        self.last: list[float] = []
        self.violated = bytearray()
        self.refused = [[step is VIOLATION for step in row] for row in rules.table]
        # Every judged change, by (source, target): what the counts of kinds and moves come from.
        size = len(rules.table)
        self.pairs = [[0] * size for _ in range(size)]
        self.violation_count = 0
        self.found: list[tuple[int, int, float, int, int]] = []  # job, line, time, source, target

    def _reject(self, number: int, problem: str) -> None:
        self.rejected += 1
        if self.listed is None or len(self.errors) < self.listed:
            self.errors.append(BadLogLine(self.source, number, problem))

    def _take(
        self,
        jobs: Sequence[int],
        statuses: Sequence[int],
        times: Sequence[float],
        lines: Sequence[int],
        details: Sequence[int] | None = None,
    ) -> None:
        grow = len(self.job_ids) - len(self.state)
        if grow > 0:
            self.state.extend([-1] * grow)
            self.seen.extend([-1] * grow)
            self.last.extend([-math.inf] * grow)
            self.violated.extend(bytes(grow))
        state, seen, last, pairs, refused = (
            self.state,
            self.seen,
            self.last,
            self.pairs,
            self.refused,
        )
        late = 0
        # Rules.walk's judgment and the Tracker's lateness, inlined over int columns: a call per
        # observation would cost more than the judging itself on a million lines.
        for j, s, t, n in zip(jobs, statuses, times, lines, strict=True):
            if t < last[j]:
                late += 1
                continue
            if s == seen[j]:
                if s == state[j]:
                    last[j] = t
                continue  # a repeat of the line before, whatever its verdict was
            seen[j] = s
            current = state[j]
            if current == s or current < 0:
                state[j] = s
                last[j] = t
                continue
            pairs[current][s] += 1
            if refused[current][s]:
                self._violation(j, n, t, current, s)
                continue
            state[j] = s
            last[j] = t
        self.late += late
        self.observations += len(jobs)

    def _violation(self, job: int, line: int, time: float, source: int, target: int) -> None:
        self.violation_count += 1
        self.violated[job] = 1
        if self.listed is None or len(self.found) < self.listed:
            self.found.append((job, line, time, source, target))

    def report(self) -> LogReport:
        rules = self.rules
        inferred, inferred_statuses, moves = tally(
            (((a, b), count) for a, row in enumerate(self.pairs) for b, count in enumerate(row)),
            rules,
        )
        cls = rules.lifecycle.statuses
        allowed = rules.lifecycle.next_map
        violations = tuple(
            LogViolation(self.job_ids[j], line, time, cls(a), cls(b), allowed[cls(a)])
            for j, line, time, a, b in self.found
        )
        finals = Counter(self.state)
        # A job interned without an accepted observation has no status (the readers do not make
        # such jobs, but an ObservationLog can be built by hand): it is not counted.
        finals.pop(-1, None)
        outcomes = dict.fromkeys((*(o.value for o in Outcome), UNFINISHED), 0)
        for code, count in finals.items():
            outcome = cls(code).outcome
            outcomes[outcome.value if outcome is not None else UNFINISHED] += count
        jobs = sum(finals.values())
        return LogReport(
            source=self.source,
            format=self.format,
            mode=rules.mode,
            lines=self.lines_read,
            observations=self.observations,
            jobs=jobs,
            conforming=jobs - sum(self.violated),
            unfinished=outcomes[UNFINISHED],
            inferred=inferred,
            late=self.late,
            outcomes=outcomes,
            violations=violations,
            errors=tuple(self.errors),
            rejected=self.rejected,
            violation_count=self.violation_count,
            inferred_statuses=inferred_statuses,
            moves=moves,
            lifecycle=rules.lifecycle.name,
            unrecognised_details=dict(self.unrecognised_details),
            mismatched_details=dict(self.mismatched_details),
        )


def tally(
    pairs: Iterable[tuple[tuple[int, int], int]], rules: Rules
) -> tuple[int, int, Counter[tuple[Status, Status]]]:
    """The inferred jumps, the statuses they imply and the moves of judged changes counted by
    pair, as :attr:`LogReport.moves <jobfsm.logs.LogReport.moves>` counts them: an inferred jump
    counts once on every declared move of its chain."""
    table = rules.table
    cls = rules.lifecycle.statuses
    inferred = inferred_statuses = 0
    counted: Counter[tuple[Status, Status]] = Counter()
    for (a, b), count in pairs:
        if not count:
            continue
        step = table[a][b]
        source, target = cls(a), cls(b)
        if step.kind is StepKind.INFERRED:
            inferred += count
            inferred_statuses += count * len(step.skipped)
            for x, y in itertools.pairwise((source, *step.skipped, target)):
                counted[(x, y)] += count
        else:
            counted[(source, target)] += count
    return inferred, inferred_statuses, counted


def scan_log(
    source: LogSource,
    fmt: LogFormat | str = LogFormat.AUTO,
    mode: Mode | str = Mode.POLLED,
    *,
    lifecycle: Lifecycle | None = None,
    listed: int | None = DEFAULT_LISTED,
    name: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> LogReport:
    """Read and judge a status log in one pass, keeping only a few dozen bytes per job.

    The report is the one :func:`check_log` gives for ``read_log(source)``, except that only the
    first ``listed`` violations and bad lines are kept (in file order; the rest are counted), so
    memory follows the number of jobs, not of lines. ``listed=None`` keeps them all. The moves
    are counted too (:attr:`LogReport.moves`, what :func:`count_moves` gives).

    Args:
        source, fmt, name, progress: as for :func:`read_log`.
        mode: ``polled`` (default: a poller misses statuses) or ``strict``.
        lifecycle: the rules; None picks the built-in lifecycle the log's first lines are read by,
            as :func:`read_log` does (ModelArts v1 unless they read as v2).
        listed: how many violations and how many bad lines to keep, 0 or more, or None for all.

    Raises:
        UnreadableLog, InvalidArgument: as :func:`read_log`; InvalidArgument also for ``listed``.
        UnknownMode: ``mode`` is not a mode.

    >>> import io
    >>> lines = b'{"job_id":"a","status":7,"time":1}\\n{"job_id":"a","status":10,"time":2}\\n'
    >>> report = scan_log(io.BytesIO(lines))
    >>> report.ok, report.mode.value, report.inferred, report.inferred_statuses
    (True, 'polled', 1, 1)
    """
    fmt = _log_format(fmt)
    rules = Rules.for_lifecycle(DEFAULT_LIFECYCLE if lifecycle is None else lifecycle, mode)
    if listed is not None and (type(listed) is not int or listed < 0):
        raise InvalidArgument("listed", listed, "a number of entries, 0 or more, or None for all")
    judge = _Judge("", fmt, rules, listed)
    judge.auto = lifecycle is None
    _consume(source, fmt, name, progress, judge)
    return judge.report()


def check_log(
    log: ObservationLog,
    mode: Mode | str = Mode.POLLED,
    *,
    lifecycle: Lifecycle | None = None,
) -> LogReport:
    """Judge every job of ``log`` (the rule is in the package docs); every violation is listed.

    A rejected observation does not change the job's status; repeats are not moves.

    >>> import io
    >>> from jobfsm.logs import read_log
    >>> log = read_log(io.BytesIO(b'{"job_id":"a","status":"WAITING","time":1}\\n'
    ...                           b'{"job_id":"a","status":"COMPLETED","time":2}\\n'))
    >>> check_log(log, "strict").violations[0].allowed == DEFAULT_LIFECYCLE.allowed_next(7)
    True
    >>> check_log(log).ok
    True

    Raises:
        InvalidArgument: ``log`` is not an :class:`ObservationLog` (a path is refused with a hint
            to read it with :func:`read_log` first, or to judge it with :func:`scan_log`).
    """
    if not isinstance(log, ObservationLog):
        if isinstance(log, (str, os.PathLike)):
            path = os.fspath(log)
            raise InvalidArgument(
                "log",
                log,
                f"an ObservationLog, not a path; read the log first: "
                f"check_log(read_log({path!r})), or judge it as it is read: scan_log({path!r})",
            )
        raise InvalidArgument("log", log, "an ObservationLog (what read_log returns)")
    if lifecycle is None:
        lifecycle = log.lifecycle
    elif lifecycle.statuses is not log.lifecycle.statuses:
        raise InvalidArgument(
            "lifecycle",
            lifecycle.name,
            f"a lifecycle over the statuses the log was read in ({log.lifecycle.name}); read the "
            "log with read_log(..., lifecycle=...) first",
        )
    judge = _Judge(log.source, log.format, Rules.for_lifecycle(lifecycle, mode), None)
    judge.job_ids = log.job_ids
    judge.detail_names = log.detail_names
    judge.unrecognised_details = log.unrecognised_details
    judge.mismatched_details = log.mismatched_details
    judge._take(log.jobs, log.statuses, log.times, log.lines)
    judge.lines_read = log.lines_read
    judge.errors = list(log.errors)
    judge.rejected = len(log.errors)
    return judge.report()


def count_moves(
    observations: Iterable[Observation],
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    mode: Mode | str = Mode.POLLED,
) -> Counter[tuple[Status, Status]]:
    """How many times each move was observed, per (source, target); for a traffic overlay.

    Observations are judged in the order given, per job, by the rule of :func:`check_log` (the
    package docs): late ones are left out, repeats are not moves. Undeclared moves are counted
    under their own pair (and the job stays where it was). In polled mode (the default) an
    accepted jump counts once on every declared edge of its inferred path, so the traffic lands
    on the edges a diagram draws.

    >>> from jobfsm import JobStatus as S
    >>> seen = [Observation("a", S.WAITING, 1, 1), Observation("a", S.COMPLETED, 2, 2)]
    >>> sorted(count_moves(seen).items())
    [((<JobStatus.WAITING: 7>, <JobStatus.RUNNING: 8>), 1), ((<JobStatus.RUNNING: 8>, ...), 1)]
    >>> count_moves(seen, mode="strict")
    Counter({(<JobStatus.WAITING: 7>, <JobStatus.COMPLETED: 10>): 1})
    """
    judge = _Judge("", LogFormat.AUTO, Rules.for_lifecycle(lifecycle, mode), 0)
    index: dict[str, int] = {}
    batch: tuple[list[int], list[int], list[float], list[int]] = ([], [], [], [])
    for obs in observations:
        job = index.get(obs.job_id)
        if job is None:
            job = index[obs.job_id] = len(judge.job_ids)
            judge.job_ids.append(obs.job_id)
        batch[0].append(job)
        batch[1].append(int(obs.status))
        batch[2].append(obs.time)
        batch[3].append(obs.line)
        if len(batch[0]) >= 65536:
            judge._take(*batch)
            batch = ([], [], [], [])
    judge._take(*batch)
    return judge.report().moves
