"""Deadlines that act: how long a job may stay in a status, who is past it, and what to do then.

A :class:`Deadlines` maps statuses of a lifecycle to the longest time a job may spend in each
(its dwell limit), and optionally to an action (:class:`Stop`) for a job that overstays. The
limits are declared in Python, in a lifecycle file's ``[limits]`` table (``WAITING = "2h"``,
durations as :func:`parse_duration` reads them), or learned from a store's history
(:func:`learn_limits`: a percentile of the time jobs spent in each status, with the sample size
kept per status and no limit where the sample is too small).

:meth:`JobStore.overdue <jobfsm.store.JobStore.overdue>` finds the stored jobs past their
status's limit (one query per limited status), :meth:`Tracker.check_overdue
<jobfsm.tracker.Tracker.check_overdue>` the tracked ones, and :func:`act` applies the declared
actions through the store's judged path: a refused move is reported, never raised.

>>> from jobfsm import JobStatus
>>> limits = Deadlines({JobStatus.WAITING: "2h"}, {JobStatus.WAITING: Stop(JobStatus.KILLING)})
>>> limits.limit(JobStatus.WAITING), limits.limit(JobStatus.RUNNING)
(datetime.timedelta(seconds=7200), None)
>>> limits
Deadlines({WAITING: 2h}, actions={WAITING: stop → KILLING})
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Final

from jobfsm.errors import InvalidArgument, InvalidTime, JobFSMError, _shown
from jobfsm.vocabulary import Status

if TYPE_CHECKING:
    from jobfsm.lifecycle import Lifecycle
    from jobfsm.machine import Move
    from jobfsm.store import JobStore

__all__ = [
    "DEFAULT_ACTOR",
    "DEFAULT_MIN_SAMPLE",
    "ActionResult",
    "Deadlines",
    "OverdueJob",
    "OverdueJobs",
    "Stop",
    "act",
    "count_by_status",
    "format_duration",
    "learn_limits",
    "parse_duration",
    "parse_percentile",
    "percentile",
    "time_in_statuses",
]

#: Who the history says made a move an action requested.
DEFAULT_ACTOR: Final = "jobfsm deadlines"
#: The fewest stays in a status a learned limit is based on, by default.
DEFAULT_MIN_SAMPLE: Final = 20

_DURATION_PART = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_PERCENTILE = re.compile(r"p?(\d{1,2})")
_MICROSECOND = timedelta(microseconds=1)


def parse_duration(text: str) -> timedelta:
    """A duration such as ``90s``, ``10m``, ``2h``, ``1d`` or ``1h30m``.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    """
    compact = text.strip().lower()
    parts = _DURATION_PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(
            f"{_shown(text)} is not a duration; use a number with s, m, h or d, such as 90s, 10m, "
            "2h, 1d or 1h30m"
        )
    try:
        return sum((timedelta(**{_UNITS[u]: int(n)}) for n, u in parts), timedelta())
    except (OverflowError, ValueError):  # ValueError: more digits than int() converts
        raise ValueError(
            f"{_shown(text)} is longer than a duration can be (at most 999999999 days)"
        ) from None


def format_duration(value: timedelta) -> str:
    """``value`` as :func:`parse_duration` writes it, to the second: ``1h30m``, ``0s``.

    >>> format_duration(timedelta(days=1, minutes=5, seconds=2.5))
    '1d5m2s'
    """
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def parse_percentile(text: str) -> int:
    """A percentile written ``p99`` or ``99``: a whole number from 1 to 99.

    >>> parse_percentile("p95")
    95
    """
    found = _PERCENTILE.fullmatch(text.strip().lower())
    if found is None or not 1 <= int(found[1]) <= 99:
        raise ValueError(f"{_shown(text)} is not a percentile; use p1 to p99, such as p95 or p99")
    return int(found[1])


def percentile(durations: Sequence[timedelta], p: int) -> timedelta:
    """The ``p``-th percentile of ``durations`` (at least two), as
    ``statistics.quantiles(..., n=100, method="inclusive")`` cuts them: interpolated between
    the two nearest durations, never beyond the longest; to the microsecond.

    >>> percentile([timedelta(seconds=s) for s in (10, 20, 30, 40)], 50)
    datetime.timedelta(seconds=25)
    """
    if len(durations) < 2:
        raise InvalidArgument("durations", durations, "at least two durations")
    micros = [d // _MICROSECOND for d in durations]
    cut = statistics.quantiles(micros, n=100, method="inclusive")[p - 1]
    return timedelta(microseconds=round(cut))


@dataclass(frozen=True)
class Stop:
    """The action for an overdue job: request a stop by moving it to ``target`` (the lifecycle's
    stop status, named: KILLING in modelarts-v1, Terminating in modelarts-v2), through the
    store's judged path, with the history row's ``actor``."""

    target: Status | int | str
    actor: str = DEFAULT_ACTOR

    def __str__(self) -> str:
        name = self.target.name if isinstance(self.target, Status) else str(self.target)
        return f"stop → {name}"


def _member(value: object, lifecycle: Lifecycle | None) -> Status:
    if lifecycle is not None:
        return lifecycle.parse(value)
    if isinstance(value, Status):
        return value
    from jobfsm.status import JobStatus

    return JobStatus.parse(value)


def _limit_value(status: Status, value: object) -> timedelta:
    if isinstance(value, str):
        try:
            value = parse_duration(value)
        except ValueError as exc:
            raise InvalidArgument(f"limits[{status.name}]", value, str(exc)) from None
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise InvalidArgument(
            f"limits[{status.name}]",
            value,
            "a timedelta longer than zero, or a duration such as '2h'",
        )
    return value


class Deadlines:
    """Dwell limits per status, and what to do with a job that overstays.

    Args:
        limits: ``{status: timedelta or duration text}``; every status active (a terminal job
            cannot be overdue) and every limit longer than zero.
        actions: ``{status: Stop(target)}`` for some limited statuses.
        lifecycle: reads statuses given as names or codes, and checks each action's move is
            declared; without it names and codes are read as ModelArts v1 statuses.
        samples: for learned limits, how many stays in each status the limit is based on
            (statuses without a limit included, with the sample found too small).
        percentile: for learned limits, the percentile learned.

    Raises:
        InvalidArgument: a limit that is not longer than zero, a terminal status, statuses of two
            vocabularies, an action that is not a :class:`Stop` or whose status has no limit, or
            (with a lifecycle) whose move is not declared.
        UnknownStatus: a status that is not one.
    """

    def __init__(
        self,
        limits: Mapping[Any, timedelta | str],
        actions: Mapping[Any, Stop] | None = None,
        *,
        lifecycle: Lifecycle | None = None,
        samples: Mapping[Status, int] | None = None,
        percentile: int | None = None,
    ) -> None:
        if not isinstance(limits, Mapping):
            raise InvalidArgument("limits", limits, "a mapping {status: timedelta}")
        found: dict[Status, timedelta] = {}
        for key, value in limits.items():
            status = _member(key, lifecycle)
            if status.is_terminal:
                raise InvalidArgument(
                    "limits", status.name, "active statuses: a job that ended is never overdue"
                )
            found[status] = _limit_value(status, value)
        kinds = {type(s) for s in found}
        if len(kinds) > 1:
            raise InvalidArgument("limits", limits, "statuses of one lifecycle's vocabulary")
        #: The limit of each limited status, in status order.
        self.limits: Mapping[Status, timedelta] = dict(sorted(found.items()))
        chosen: dict[Status, Stop] = {}
        for key, action in (actions or {}).items():
            status = _member(key, lifecycle)
            if not isinstance(action, Stop):
                raise InvalidArgument(f"actions[{status.name}]", action, "a Stop(target)")
            if status not in found:
                raise InvalidArgument(
                    "actions", status.name, "statuses that have a limit (an action acts on them)"
                )
            target = _member(action.target, lifecycle) if lifecycle else action.target
            if not isinstance(target, Status):
                target = type(status).parse(target)
            if type(target) is not type(status):
                raise InvalidArgument(f"actions[{status.name}]", action, "a status of its own")
            if lifecycle is not None and not lifecycle.can_transition(status, target):
                raise InvalidArgument(
                    f"actions[{status.name}]",
                    action,
                    f"a stop status {status.name} may move to: one of "
                    f"{', '.join(s.name for s in sorted(lifecycle.allowed_next(status)))}",
                )
            chosen[status] = Stop(target, action.actor)
        #: The action for each status that has one.
        self.actions: Mapping[Status, Stop] = dict(sorted(chosen.items()))
        #: For learned limits: the stays each status's limit is based on (else empty).
        self.samples: Mapping[Status, int] = dict(sorted((samples or {}).items()))
        #: For learned limits: the percentile learned (else None).
        self.percentile = percentile

    def limit(self, status: Status) -> timedelta | None:
        """The limit of ``status``, or None when it has none."""
        return self.limits.get(status)

    def __bool__(self) -> bool:
        return bool(self.limits)

    def __len__(self) -> int:
        return len(self.limits)

    def __iter__(self) -> Iterator[Status]:
        return iter(self.limits)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Deadlines):
            return NotImplemented
        return (self.limits, self.actions) == (other.limits, other.actions)

    def __hash__(self) -> int:
        return hash(tuple(self.limits.items()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{s.name}: {format_duration(t)}" for s, t in self.limits.items())
        actions = ", ".join(f"{s.name}: {a}" for s, a in self.actions.items())
        return f"Deadlines({{{shown}}}" + (f", actions={{{actions}}})" if actions else ")")

    def with_actions(self, actions: Mapping[Any, Stop]) -> Deadlines:
        """These limits (and samples) with ``actions`` instead of the current ones."""
        return Deadlines(self.limits, actions, samples=self.samples, percentile=self.percentile)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form: each limited status's limit in seconds, its action, its sample."""
        statuses = sorted(set(self.limits) | set(self.samples))
        rows: list[dict[str, Any]] = []
        for s in statuses:
            row: dict[str, Any] = {"status": s.name}
            limit = self.limits.get(s)
            row["limit_seconds"] = None if limit is None else limit.total_seconds()
            if s in self.samples:
                row["sample"] = self.samples[s]
            if s in self.actions:
                row["action"] = {"stop": _name(self.actions[s].target)}
            rows.append(row)
        return {"percentile": self.percentile, "limits": rows}


def _name(value: object) -> str:
    return value.name if isinstance(value, Status) else str(value)


@dataclass(frozen=True)
class OverdueJob:
    """A job past its status's limit: in ``status`` since ``since``, for ``elapsed`` (at the time
    asked about), longer than ``limit``."""

    job_id: str
    status: Status
    since: datetime
    elapsed: timedelta
    limit: timedelta

    @property
    def over_by(self) -> timedelta:
        """How far past the limit the job is."""
        return self.elapsed - self.limit

    def __str__(self) -> str:
        return (
            f"{self.job_id}: {self.status.name} for {format_duration(self.elapsed)}, past its "
            f"limit of {format_duration(self.limit)}"
        )

    @property
    def reason(self) -> str:
        """Why an action moves the job: ``overdue: WAITING for 2h5m, limit 2h``."""
        return (
            f"overdue: {self.status.name} for {format_duration(self.elapsed)}, limit "
            f"{format_duration(self.limit)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form (times in ISO 8601, durations in seconds)."""
        return {
            "job_id": self.job_id,
            "status": self.status.name,
            "since": self.since.isoformat(),
            "elapsed_seconds": self.elapsed.total_seconds(),
            "limit_seconds": self.limit.total_seconds(),
        }


class OverdueJobs(list[OverdueJob]):
    """The overdue jobs found, longest past their limit first; ``errors`` holds the stored rows
    that could not be read (as :class:`~jobfsm.store.JobRecords` does)."""

    def __init__(self, jobs: Iterable[OverdueJob] = (), errors: Iterable[JobFSMError] = ()):
        super().__init__(jobs)
        self.errors: tuple[JobFSMError, ...] = tuple(errors)


def count_by_status(overdue: Iterable[OverdueJob]) -> dict[Status, int]:
    """How many of ``overdue`` are in each status: what
    :meth:`Metrics.set_overdue <jobfsm.metrics.Metrics.set_overdue>` takes."""
    return dict(Counter(o.status for o in overdue))


def _check_for(deadlines: object, statuses: type[Status]) -> Deadlines:
    if not isinstance(deadlines, Deadlines):
        raise InvalidArgument("limits", deadlines, "a Deadlines({status: timedelta})")
    for status in deadlines.limits:
        if type(status) is not statuses:
            raise InvalidArgument(
                "limits", deadlines, f"limits on {statuses.vocabulary.name} statuses"
            )
    return deadlines


def overdue_jobs(
    store: JobStore, deadlines: Deadlines, *, now: datetime | None = None
) -> OverdueJobs:
    """The jobs of ``store`` past their status's limit at ``now`` (see
    :meth:`JobStore.overdue <jobfsm.store.JobStore.overdue>`)."""
    _check_for(deadlines, store.lifecycle.statuses)
    if now is None:
        when = datetime.now(timezone.utc)
    elif isinstance(now, datetime) and now.utcoffset() is not None:
        when = now.astimezone(timezone.utc)
    else:
        raise InvalidTime(now, "a datetime with a time zone, or None for now", "now")
    found: list[OverdueJob] = []
    errors: list[JobFSMError] = []
    for status, limit in deadlines.limits.items():
        records = store.stale(status, limit, now=when)
        errors.extend(records.errors)
        for r in records:
            found.append(OverdueJob(r.job_id, status, r.updated_at, when - r.updated_at, limit))
    found.sort(key=lambda o: (-(o.over_by / _MICROSECOND), o.job_id))
    return OverdueJobs(found, errors)


def time_in_statuses(
    jobs: Iterable[tuple[datetime, Sequence[Move]]],
) -> dict[Status, list[timedelta]]:
    """How long each stay of each job lasted, by status: ``jobs`` gives each job's creation
    time and moves, oldest first.

    A stay runs from the move into a status (or the job's creation) to the move out of it; the
    status a job is in now is not counted (its stay is not over), nor a status a polled jump
    passed through (an inferred move: when it happened is unknown).
    """
    stays: dict[Status, list[timedelta]] = {}
    for created, moves in jobs:
        entered, inferred = created, False
        for move in moves:
            if not inferred and move.at >= entered:
                stays.setdefault(move.source, []).append(move.at - entered)
            entered, inferred = move.at, move.inferred
    return stays


def learn_limits(
    store: JobStore,
    p: int = 99,
    *,
    min_sample: int = DEFAULT_MIN_SAMPLE,
    actions: Mapping[Any, Stop] | None = None,
) -> Deadlines:
    """Limits learned from ``store``'s history: the ``p``-th :func:`percentile` of the time its
    jobs spent in each active status, for each status with at least ``min_sample`` stays (2 or
    more); ``samples`` keeps every status's count.

    Raises:
        InvalidArgument: ``p`` is not 1 to 99, or ``min_sample`` is below 2.
    """
    if type(p) is not int or not 1 <= p <= 99:
        raise InvalidArgument("p", p, "a percentile from 1 to 99")
    if type(min_sample) is not int or min_sample < 2:
        raise InvalidArgument("min_sample", min_sample, "a whole number of 2 or more")
    records = store.list()
    stays = time_in_statuses((r.created_at, store.history(r.job_id)) for r in records)
    return _learned(stays, p, min_sample, store.lifecycle, actions)


def _learned(
    stays: Mapping[Status, Sequence[timedelta]],
    p: int,
    min_sample: int,
    lifecycle: Lifecycle,
    actions: Mapping[Status | int | str, Stop] | None,
) -> Deadlines:
    samples = {s: len(stays.get(s, ())) for s in lifecycle.statuses if s.is_active}
    limits: dict[Status | int | str, timedelta] = {}
    for status, durations in stays.items():
        if status.is_active and len(durations) >= min_sample:
            limit = percentile(durations, p)
            # A limit of zero would make every job overdue at once: the shortest one counted.
            limits[status] = max(limit, _MICROSECOND)
    kept = {k: a for k, a in (actions or {}).items() if lifecycle.parse(k) in limits}
    return Deadlines(limits, kept, lifecycle=lifecycle, samples=samples, percentile=p)


@dataclass(frozen=True)
class ActionResult:
    """What an action did to one overdue job: ``moved`` into ``target``, or ``error`` (the
    refusal's message) when the store refused the move."""

    job: OverdueJob
    target: Status
    moved: bool
    error: str | None = None

    def __str__(self) -> str:
        if self.error is not None:
            return f"refused {self.job.job_id}: stop → {self.target.name}: {self.error}"
        if not self.moved:
            return f"unchanged {self.job.job_id}: already {self.target.name}"
        return f"stopped {self.job.job_id}: {self.job.status.name} → {self.target.name}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form."""
        return {
            "job_id": self.job.job_id,
            "status": self.job.status.name,
            "target": self.target.name,
            "moved": self.moved,
            "error": self.error,
        }


def act(store: JobStore, overdue: Iterable[OverdueJob], deadlines: Deadlines) -> list[ActionResult]:
    """Apply ``deadlines``' action to each of ``overdue`` that has one, through
    :meth:`JobStore.transition <jobfsm.store.JobStore.transition>` (judged by the store's
    lifecycle and guards, from the status the job was found overdue in: a job that moved since
    is refused, not stopped). A refused move is an :class:`ActionResult` with its ``error``;
    nothing a refusal raises leaves this function.
    """
    results: list[ActionResult] = []
    for job in overdue:
        action = deadlines.actions.get(job.status)
        if action is None:
            continue
        target = store.lifecycle.parse(action.target)
        try:
            done = store.transition(
                job.job_id,
                target,
                expected=job.status,
                reason=job.reason,
                actor=action.actor,
            )
        except JobFSMError as exc:
            results.append(ActionResult(job, target, False, exc.message))
        else:
            results.append(ActionResult(job, target, done.moved))
    return results
