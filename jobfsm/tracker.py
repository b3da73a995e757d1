"""A fleet tracker: the statuses of many jobs as a poller sees them, judged as they arrive.

A scheduler that watches thousands of training jobs feeds every poll result to one
:class:`Tracker`. The tracker keeps a few hundred bytes of state per job (never the observations
themselves), judges each observation with the same :class:`~jobfsm.validate.Rules` as
:func:`~jobfsm.validate.validate_history`, and tells listeners about moves, violations, jobs that
finished and observations that arrived late.

Times are seconds since the epoch internally. ``at`` may be epoch seconds (int or float), a
time-zone-aware :class:`~datetime.datetime`, or None for now; a naive datetime is refused with
:class:`~jobfsm.errors.InvalidTime` (a ``ValueError``): guessing its zone would shift durations.
As in status logs (:mod:`jobfsm.logs`), a time before 1970-01-01 UTC is refused, and so is an
epoch number of 1e11 or more: it is milliseconds, which the tracker does not guess.

What happens when a listener raises: the observation has already been applied (or rejected) and
the tracker's state is complete and consistent; every other listener still runs; then
:class:`~jobfsm.errors.CallbackError` is raised carrying every error in order, with
``committed=True`` when the observation was applied and ``committed=False`` when it was rejected
(a violation or a late observation). Catching it and carrying on is safe.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from jobfsm.errors import (
    CallbackError,
    InvalidArgument,
    InvalidJobId,
    InvalidObservation,
    InvalidTime,
    JobFSMError,
    JobNotTracked,
)
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle, VerdictKind
from jobfsm.status import Outcome
from jobfsm.validate import FIRST, LATE, REPEAT, VIOLATION, Mode, Rules, Step, StepKind
from jobfsm.vocabulary import Status

if TYPE_CHECKING:
    from jobfsm.deadlines import Deadlines, OverdueJob
    from jobfsm.store import JobStore
    from jobfsm.store.writer import StoreWriter

__all__ = [
    "FIRST",
    "LATE",
    "JobFinished",
    "LateObservation",
    "TrackedMove",
    "TrackedViolation",
    "Tracker",
    "TrackerCounts",
]

_UTC = timezone.utc
# The times the log readers accept (jobfsm.logs.MIN_TIME, MAX_TIME): 1970-01-01 UTC to the end of
# 9999. Epoch numbers of 1e11 or more (the year 5138) are milliseconds: logs convert them, a caller
# of observe is told to.
_MIN_SECONDS = 0.0
_MAX_SECONDS = 1e11
_LATEST = datetime(9999, 12, 31, 23, 59, 59, 999999, timezone.utc).timestamp()
_RANGE = "from 1970-01-01T00:00:00Z on"

_INFERRED = StepKind.INFERRED
_NONE_YET: tuple[int, ...] = (0, 0, 0, 0, 0, 0)


class TrackedMove(NamedTuple):
    """A job moved (MOVE or INFERRED): what :meth:`Tracker.on_move` listeners receive."""

    job_id: str
    source: Status
    target: Status
    at: datetime
    skipped: tuple[Status, ...]
    event: str | None


@dataclass(frozen=True, slots=True)
class TrackedViolation:
    """An observation the rules rejected; the job stays in ``source``.

    ``index`` is the observation's position among all observations of the job, late ones included
    (0 is the first): for observations in time order, the index
    :func:`~jobfsm.validate.validate_history` reports for the same sequence.
    """

    job_id: str
    index: int
    source: Status
    target: Status
    allowed: frozenset[Status]
    kind: VerdictKind
    at: datetime


class JobFinished(NamedTuple):
    """A job reached a terminal status (or was first seen in one)."""

    job_id: str
    status: Status
    outcome: Outcome
    at: datetime


@dataclass(frozen=True, slots=True)
class LateObservation:
    """An observation older than the job's last accepted one; it was not applied.

    ``index`` counts the job's observations as :class:`TrackedViolation` does; ``current`` is the
    status the job stays in and ``last_at`` the time of its last accepted observation.
    """

    job_id: str
    index: int
    status: Status
    at: datetime
    current: Status
    last_at: datetime


class TrackerCounts(NamedTuple):
    """Totals since the tracker was created (forgetting a job does not lower them)."""

    observations: int
    jobs_started: int
    repeats: int
    moves: int
    inferred: int
    violations: int
    late: int


# Each registration returns its listener unchanged (so it works as a decorator), typed by notice.
_OnMove = TypeVar("_OnMove", bound=Callable[[TrackedMove], None])
_OnViolation = TypeVar("_OnViolation", bound=Callable[[TrackedViolation], None])
_OnTerminal = TypeVar("_OnTerminal", bound=Callable[[JobFinished], None])
_OnLate = TypeVar("_OnLate", bound=Callable[[LateObservation], None])
_OnOverdue = TypeVar("_OnOverdue", bound="Callable[[OverdueJob], None]")


class _JobState:
    """Everything kept per job: no history, only where it is and how long it spent where."""

    __slots__ = ("count", "last", "refused", "refused_index", "since", "spent", "status")

    def __init__(self, status: Status, at: float) -> None:
        self.status = status
        self.since = at  # when the job entered ``status``
        self.last = at  # the last accepted observation
        self.count = 1  # observations seen, accepted or not
        # Seconds spent in each status left so far; only statuses actually visited.
        self.spent: dict[Status, float] | None = None
        # The last status refused as a violation, and which observation that was: a poller
        # that keeps reporting it is repeating itself, not making new violations.
        self.refused: Status | None = None
        self.refused_index = -1


def _seconds(at: datetime | float | None) -> float:
    """Epoch seconds from whatever ``observe`` was given."""
    if type(at) is int and _MIN_SECONDS <= at < _MAX_SECONDS:
        return float(at)
    if at is None:
        return time.time()
    if isinstance(at, datetime):
        if at.tzinfo is None or at.utcoffset() is None:
            # Guessing a zone would shift every duration.
            raise InvalidTime(
                at,
                "a datetime with a time zone (this one has no time zone; for example "
                "tzinfo=timezone.utc) or epoch seconds",
            )
        try:
            seconds = at.timestamp()
        except (OverflowError, ValueError):  # an offset that moves it before year 1 or past 9999
            raise InvalidTime(at, f"a time {_RANGE} (up to the end of 9999 UTC)") from None
        if _MIN_SECONDS <= seconds <= _LATEST:
            return seconds
        raise InvalidTime(at, f"a time {_RANGE} (up to the end of 9999 UTC)")
    if isinstance(at, (int, float)) and not isinstance(at, bool):
        try:
            seconds = float(at)
        except OverflowError:  # an int too large for a float is as far out as infinity
            seconds = math.inf if at > 0 else -math.inf
        if _MIN_SECONDS <= seconds < _MAX_SECONDS:
            return seconds
        if seconds < _MIN_SECONDS:
            raise InvalidTime(at, f"epoch seconds {_RANGE} (0 or more)")
        raise InvalidTime(at, "epoch seconds below 1e11 (milliseconds divided by 1000)")
    raise InvalidTime(at, "epoch seconds, an aware datetime, or None for now")


def _codes(statuses: type[Status]) -> tuple[Status | None, ...]:
    """Each int code's status by index, where the vocabulary's clients report codes (v1): plain
    ints (what JSON and the API give) then become statuses by one tuple index."""
    if not statuses.vocabulary.numeric:
        return ()
    by_code = {int(s): s for s in statuses}
    return tuple(by_code.get(code) for code in range(max(by_code) + 1))


def _refuse_batch(observations: object, index: int, job_id: object, exc: Exception) -> None:
    """Raise the error that names what is wrong with a batch ``observe_many`` could not read.

    ``exc`` was raised by the loop itself before observation ``index`` was judged. An unhashable
    ``job_id`` (the last id read: lookups of earlier ids succeeded) is the InvalidJobId that
    ``observe`` raises for it.
    """
    try:
        hash(job_id)
    except TypeError:
        raise InvalidJobId(job_id) from None
    if index == 0:
        try:
            iter(observations)  # type: ignore[call-overload]
        except TypeError:
            raise InvalidArgument(
                "observations", observations, "an iterable of (job_id, status, at) tuples"
            ) from None
    if isinstance(observations, Sequence) and index < len(observations):
        raise InvalidObservation(index, observations[index], str(exc)) from None
    raise InvalidObservation(index, None, str(exc), False) from None


def _datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, _UTC)


class Tracker:
    """The current status of many jobs, fed one observation at a time.

    Args:
        lifecycle: the rules to judge by; the ModelArts lifecycle by default.
        mode: ``"polled"`` (default: missed statuses are inferred) or ``"strict"``.
        thread_safe: lock around every observation (default). Pass False when one thread (an
            event loop, a log reader) feeds the tracker: observe is then 25–30% cheaper. Anything
            but True or False is an InvalidArgument ('no' would read as true).

    A job's first observation starts tracking it, in any status. Later observations are judged
    from its last accepted status exactly as :func:`~jobfsm.validate.validate_history` judges a
    sequence; an observation older than the job's last accepted one is LATE and not applied.
    Time in a status runs from the observation that entered it to the one that left it; statuses
    inferred as skipped are recorded in the move but get no time, since when they happened is
    unknown.

    A scheduler that lists many jobs' statuses in one poll feeds the whole poll to
    :meth:`observe_many`: the same judgment, about 40 % less time per observation.

    Thread safety: by default :meth:`observe`, :meth:`observe_many` and every query may be called
    from any thread. State changes happen under one lock; listeners run after it is released (so
    they may call the tracker, ``observe`` included), in the observing thread, and notifications
    from different threads may interleave. With ``thread_safe=False``, use the tracker from one
    thread only.

    >>> from jobfsm import JobStatus
    >>> tracker = Tracker()
    >>> tracker.observe("j-1", "WAITING", at=100.0).kind
    <StepKind.FIRST: 'first'>
    >>> tracker.observe("j-1", "COMPLETED", at=160.0).skipped
    (<JobStatus.RUNNING: 8>,)
    >>> tracker.observe("j-1", "RUNNING", at=170.0).kind
    <StepKind.VIOLATION: 'violation'>
    >>> tracker.status("j-1"), tracker.time_in_status("j-1", now=200.0)[JobStatus.WAITING]
    (<JobStatus.COMPLETED: 10>, datetime.timedelta(seconds=60))
    """

    def __init__(
        self,
        lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
        mode: Mode | str = Mode.POLLED,
        *,
        thread_safe: bool = True,
        limits: Deadlines | None = None,
    ) -> None:
        self.rules = Rules.for_lifecycle(lifecycle, mode)
        if not isinstance(thread_safe, bool):  # 'no' is true: it would be read as yes
            raise InvalidArgument("thread_safe", thread_safe, "True or False")
        self.thread_safe = thread_safe
        self._table = self.rules.table
        self._kind: type[Status] = self.rules.lifecycle.statuses
        self._by_code = _codes(self._kind)
        self._jobs: dict[str, _JobState] = {}
        # Queries always lock (they are rare); observe locks only when asked to be thread-safe.
        self._lock = threading.Lock()
        self._observe_lock: threading.Lock | None = self._lock if thread_safe else None
        self._started = self._repeats = self._moves = self._inferred = 0
        self._violations = self._late = 0
        self._move_listeners: list[Callable[[TrackedMove], None]] = []
        self._violation_listeners: list[Callable[[TrackedViolation], None]] = []
        self._terminal_listeners: list[Callable[[JobFinished], None]] = []
        self._late_listeners: list[Callable[[LateObservation], None]] = []
        # A job's first observation as a TrackedMove from and to its status: for a StoreWriter,
        # which creates the job in the store; not public, since a first sighting is no move.
        self._first_listeners: list[Callable[[TrackedMove], None]] = []
        self._listening = False
        # Overdue jobs are found by check_overdue only, never while observing: a tracker without
        # limits pays nothing for them. Job -> the entry time of the status it was reported in.
        self._overdue_listeners: list[Callable[[OverdueJob], None]] = []
        self._reported: dict[str, float] = {}
        self._limits: Deadlines | None = None
        self.limits = limits

    def _status(self, value: object) -> Status:
        """A status from an int code by one tuple index, from anything else by the lifecycle's
        parse."""
        if type(value) is int and 0 <= value < len(self._by_code):
            found = self._by_code[value]
            if found is not None:
                return found
        return self._kind.parse(value)

    def __repr__(self) -> str:
        return (
            f"<Tracker {self.rules.lifecycle.name!r} {self.rules.mode.value}: "
            f"{len(self._jobs)} jobs>"
        )

    @property
    def lifecycle(self) -> Lifecycle:
        """The rules' lifecycle."""
        return self.rules.lifecycle

    @property
    def mode(self) -> Mode:
        """Strict or polled."""
        return self.rules.mode

    @property
    def limits(self) -> Deadlines | None:
        """The dwell limits :meth:`check_overdue` judges by (:class:`~jobfsm.deadlines.Deadlines`
        of the lifecycle's statuses), or None."""
        return self._limits

    @limits.setter
    def limits(self, limits: Deadlines | None) -> None:
        if limits is not None:
            from jobfsm.deadlines import _check_for

            _check_for(limits, self._kind)
        self._limits = limits

    # -- feeding --------------------------------------------------------------------------------

    def observe(
        self,
        job_id: str,
        status: Status | int | str,
        at: datetime | float | None = None,
    ) -> Step:
        """Feed one observation of ``job_id`` in ``status`` at time ``at`` and judge it.

        Returns the :class:`~jobfsm.validate.Step`: FIRST for a job not tracked yet, REPEAT, MOVE
        or INFERRED when applied, VIOLATION or LATE when not.

        Raises:
            UnknownStatus: ``status`` is not a status (nothing changes).
            InvalidJobId: a new ``job_id`` that is not a non-blank string (nothing changes).
            InvalidTime: ``at`` is a naive datetime, before 1970, an absurd number (NaN,
                milliseconds) or not a time (also a ValueError and a TypeError; nothing changes).
            CallbackError: a listener raised; the observation was still judged and recorded.
        """
        # The judgment below is repeated, inlined, in observe_many: keep the two identical.
        # acquire/release costs half of a with-statement on this path.
        lock = self._observe_lock
        if lock is not None:
            lock.acquire()
        try:
            try:
                job = self._jobs.get(job_id)
            except TypeError:  # free until raised (CPython 3.11+), as in observe_many
                raise InvalidJobId(job_id) from None
            # Most polls repeat the status: answer them first, in as few operations as possible.
            # A status identical to the current one is a JobStatus, and a float time not before
            # the last one is a number past the lower bound, so this fully checks the input.
            if (
                job is not None
                and status is job.status
                and type(at) is float
                and job.last <= at < _MAX_SECONDS
            ):
                job.last = at
                job.count += 1
                self._repeats += 1
                return REPEAT
            if type(status) is not self._kind:
                status = self._status(status)
            if type(at) is not float or not _MIN_SECONDS <= at < _MAX_SECONDS:
                at = _seconds(at)
            if job is None:
                if type(job_id) is not str or not job_id.strip():
                    raise InvalidJobId(job_id)
                self._jobs[job_id] = _JobState(status, at)
                self._started += 1
                step = FIRST
                source = status
                index = 0
                last = at
            else:
                index = job.count
                job.count = index + 1
                source = job.status
                last = job.last
                if at < last:
                    self._late += 1
                    step = LATE
                    if job.refused_index == index - 1:
                        job.refused_index = index  # a late line does not end a refused run
                elif status is source:
                    job.last = at
                    self._repeats += 1
                    return REPEAT
                else:
                    step = self._table[source][status]
                    # VIOLATION is a shared singleton: identity is the cheapest test.
                    if step is VIOLATION:
                        if status is job.refused and job.refused_index == index - 1:
                            # The observation before was this same refused status: a repeat.
                            job.refused_index = index
                            self._repeats += 1
                            return VIOLATION
                        job.refused, job.refused_index = status, index
                        self._violations += 1
                    else:
                        spent = job.spent
                        if spent is None:
                            job.spent = {source: at - job.since}
                        elif source in spent:
                            spent[source] += at - job.since
                        else:
                            spent[source] = at - job.since
                        job.status = status
                        job.since = job.last = at
                        if step.kind is _INFERRED:
                            self._inferred += 1
                        else:
                            self._moves += 1
        finally:
            if lock is not None:
                lock.release()
        if self._listening:
            self._announce(job_id, index, source, status, at, step, last)
        return step

    def observe_many(
        self, observations: Iterable[tuple[str, Status | int | str, datetime | float | None]]
    ) -> TrackerCounts:
        """Feed a batch of ``(job_id, status, at)`` observations, in order; return what they did.

        The effect is exactly that of calling :meth:`observe` on each observation in turn (same
        judgments, state, counts, notices and listener calls, each listener called right after its
        observation with the lock released), at a fraction of the cost: the lock is taken once per
        batch and the loop runs without a method call per observation. A scheduler that lists the
        statuses of many jobs in one poll feeds the whole poll as one batch.

        The iterable is consumed lazily while the lock is held, so it must not call this tracker
        (a list, a tuple or a plain generator over a response is the usual case). When an
        observation raises, the ones before it stand, the ones after it are not consumed, and the
        exception propagates as :meth:`observe` would raise it.

        Returns:
            The batch's own :class:`TrackerCounts` (the tracker's totals are in :meth:`counts`).

        Raises:
            UnknownStatus, InvalidTime, CallbackError: as :meth:`observe`.
            InvalidObservation: an item is not a ``(job_id, status, at)`` tuple (its position is
                named, and the item too unless an iterator already handed it over).
            InvalidArgument: ``observations`` is not iterable.

        >>> tracker = Tracker()
        >>> tracker.observe_many([("a", 7, 0.0), ("b", 8, 0.0), ("a", 7, 10.0), ("a", 8, 20.0)])
        TrackerCounts(observations=4, jobs_started=2, repeats=1, moves=1, inferred=0, violations=0,
                      late=0)
        """
        # Everything the loop touches is a local: each global or attribute lookup saved counts.
        jobs = self._jobs
        get = jobs.get
        table = self._table
        lock = self._observe_lock
        status_type, time_type, lo, hi = self._kind, float, _MIN_SECONDS, _MAX_SECONDS
        to_status = self._status
        violation, inferred_kind, new_job = VIOLATION, _INFERRED, _JobState
        credited = _NONE_YET
        started = repeats = moves = inferred = violations = late = 0
        job_id = ""  # hashable until an item is read: see the except clause
        if lock is not None:
            lock.acquire()
        try:
            # observe's judgment, inlined: a call per observation would cost more than the
            # judgment itself. Keep the two identical (a property test compares them).
            for job_id, status, at in observations:
                job = get(job_id)
                if (
                    job is not None
                    and status is job.status
                    and type(at) is time_type
                    and job.last <= at < hi
                ):
                    job.last = at
                    job.count += 1
                    repeats += 1
                    continue
                if type(status) is not status_type:
                    status = to_status(status)
                if type(at) is not time_type or not lo <= at < hi:
                    at = _seconds(at)
                if job is None:
                    if type(job_id) is not str or not job_id.strip():
                        raise InvalidJobId(job_id)
                    jobs[job_id] = new_job(status, at)
                    started += 1
                    step = FIRST
                    source = status
                    index = 0
                    last = at
                else:
                    index = job.count
                    job.count = index + 1
                    source = job.status
                    last = job.last
                    if at < last:
                        late += 1
                        step = LATE
                        if job.refused_index == index - 1:
                            job.refused_index = index
                    elif status is source:
                        job.last = at
                        repeats += 1
                        continue
                    else:
                        step = table[source][status]
                        if step is violation:
                            if status is job.refused and job.refused_index == index - 1:
                                job.refused_index = index
                                repeats += 1
                                continue
                            job.refused, job.refused_index = status, index
                            violations += 1
                        else:
                            spent = job.spent
                            if spent is None:
                                job.spent = {source: at - job.since}
                            elif source in spent:
                                spent[source] += at - job.since
                            else:
                                spent[source] = at - job.since
                            job.status = status
                            job.since = job.last = at
                            if step.kind is inferred_kind:
                                inferred += 1
                            else:
                                moves += 1
                if self._listening:
                    # Listeners see the tracker as observe would show it, and may call it.
                    credited = self._credit(
                        credited, started, repeats, moves, inferred, violations, late
                    )
                    if lock is not None:
                        lock.release()
                    try:
                        self._announce(job_id, index, source, status, at, step, last)
                    finally:
                        if lock is not None:
                            lock.acquire()
        except (ValueError, TypeError) as exc:
            # Free until something raises (CPython 3.11+ keeps handlers in a table), so the loop
            # stays as it was. Raised in this very frame, not deeper and not one of ours, it is
            # an item that is not a triple, or a batch that is not iterable.
            trace = exc.__traceback__
            if not isinstance(exc, JobFSMError) and trace is not None and trace.tb_next is None:
                done = started + repeats + moves + inferred + violations + late
                _refuse_batch(observations, done, job_id, exc)
            raise
        finally:
            self._credit(credited, started, repeats, moves, inferred, violations, late)
            if lock is not None:
                lock.release()
        observed = started + repeats + moves + inferred + violations + late
        return TrackerCounts(observed, started, repeats, moves, inferred, violations, late)

    def _credit(
        self,
        credited: tuple[int, ...],
        started: int,
        repeats: int,
        moves: int,
        inferred: int,
        violations: int,
        late: int,
    ) -> tuple[int, ...]:
        """Add a batch's counts so far, less what was ``credited`` already, to the totals."""
        self._started += started - credited[0]
        self._repeats += repeats - credited[1]
        self._moves += moves - credited[2]
        self._inferred += inferred - credited[3]
        self._violations += violations - credited[4]
        self._late += late - credited[5]
        return (started, repeats, moves, inferred, violations, late)

    def _announce(
        self,
        job_id: str,
        index: int,
        source: Status,
        target: Status,
        at: float,
        step: Step,
        last: float,
    ) -> None:
        calls: list[tuple[Callable[[Any], None], object]] = []
        when = _datetime(at)
        kind = step.kind
        if kind is StepKind.LATE:
            notice = LateObservation(job_id, index, target, when, source, _datetime(last))
            calls += [(f, notice) for f in self._late_listeners]
        elif kind is StepKind.VIOLATION:
            violation = self.rules.violation(index, source, target)
            notice_v = TrackedViolation(
                job_id, index, source, target, violation.allowed, violation.kind, when
            )
            calls += [(f, notice_v) for f in self._violation_listeners]
        else:
            if kind is not StepKind.FIRST:
                move = TrackedMove(job_id, source, target, when, step.skipped, step.event)
                calls += [(f, move) for f in self._move_listeners]
            elif self._first_listeners:
                first = TrackedMove(job_id, target, target, when, (), None)
                calls += [(f, first) for f in self._first_listeners]
            outcome = target.outcome
            if outcome is not None:
                done = JobFinished(job_id, target, outcome, when)
                calls += [(f, done) for f in self._terminal_listeners]
        errors: list[Exception] = []
        for listener, notice_any in calls:
            try:
                listener(notice_any)
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise CallbackError(job_id, source, target, kind.accepted, errors) from errors[0]

    # -- listeners ------------------------------------------------------------------------------

    def on_move(self, listener: _OnMove) -> _OnMove:
        """Call ``listener(TrackedMove)`` after every move; returns it, so it works as a decorator.

        >>> from jobfsm import JobStatus
        >>> tracker, seen = Tracker(), []
        >>> _ = tracker.on_move(seen.append)
        >>> _ = tracker.observe("j-1", 7, at=0.0), tracker.observe("j-1", 8, at=10.0)
        >>> seen[0].source, seen[0].target, seen[0].event
        (<JobStatus.WAITING: 7>, <JobStatus.RUNNING: 8>, 'start')
        """
        self._add(self._move_listeners, listener, "TrackedMove")
        return listener

    def on_violation(self, listener: _OnViolation) -> _OnViolation:
        """Call ``listener(TrackedViolation)`` for every rejected observation."""
        self._add(self._violation_listeners, listener, "TrackedViolation")
        return listener

    def on_terminal(self, listener: _OnTerminal) -> _OnTerminal:
        """Call ``listener(JobFinished)`` when a job enters, or is first seen in, a terminal one."""
        self._add(self._terminal_listeners, listener, "JobFinished")
        return listener

    def on_late(self, listener: _OnLate) -> _OnLate:
        """Call ``listener(LateObservation)`` for every observation older than the job's last."""
        self._add(self._late_listeners, listener, "LateObservation")
        return listener

    def on_overdue(self, listener: _OnOverdue) -> _OnOverdue:
        """Call ``listener(OverdueJob)`` when :meth:`check_overdue` finds a job past its status's
        limit: once per job and stay in a status."""
        if not callable(listener):
            raise InvalidArgument("listener", listener, "a callable listener(OverdueJob)")
        with self._lock:
            self._overdue_listeners.append(listener)
        return listener

    def overdue(self, now: datetime | float | None = None) -> list[OverdueJob]:
        """Every tracked job past its status's limit at ``now``, longest past it first (an
        empty list without :attr:`limits`); no listener is called."""
        return self._overdue(now, new_only=False)

    def check_overdue(self, now: datetime | float | None = None) -> list[OverdueJob]:
        """The jobs that became overdue since the last check, at ``now`` (the clock's by
        default): each job is reported once per stay in a status (a job that moves and comes
        back is reported again), and every :meth:`on_overdue` listener hears each one.

        One pass over the tracked jobs, run only when called: observing costs the same with
        limits as without.

        Raises:
            InvalidTime: ``now`` is not a time (as for :meth:`observe`).
            CallbackError: a listener raised; every job was still reported to the others.
        """
        found = self._overdue(now, new_only=True)
        errors: list[Exception] = []
        for job in found:
            for listener in list(self._overdue_listeners):
                try:
                    listener(job)
                except Exception as exc:
                    errors.append(exc)
        if errors:
            first = found[0]
            raise CallbackError(first.job_id, first.status, first.status, True, errors) from (
                errors[0]
            )
        return found

    def _overdue(self, now: datetime | float | None, *, new_only: bool) -> list[OverdueJob]:
        limits = self._limits
        if not limits:
            return []
        from jobfsm.deadlines import OverdueJob

        end = _seconds(now)
        seconds = {s: t.total_seconds() for s, t in limits.limits.items()}
        found: list[tuple[float, str, Status, float]] = []
        with self._lock:
            reported = self._reported
            for job_id, job in self._jobs.items():
                limit = seconds.get(job.status)
                if limit is None or end - job.since <= limit:
                    continue
                if new_only:
                    if reported.get(job_id) == job.since:
                        continue
                    reported[job_id] = job.since
                found.append((end - job.since - limit, job_id, job.status, job.since))
        found.sort(key=lambda f: (-f[0], f[1]))
        return [
            OverdueJob(
                job_id,
                status,
                _datetime(since),
                timedelta(seconds=end - since),
                limits.limits[status],
            )
            for _, job_id, status, since in found
        ]

    def _on_first(self, listener: Callable[[TrackedMove], None]) -> None:
        self._add(self._first_listeners, listener, "TrackedMove")

    def persist_to(self, store: JobStore, *, batch_size: int = 1000) -> StoreWriter:
        """Write what this tracker judges to ``store`` (a JobStore of its lifecycle) in batches.

        The returned :class:`~jobfsm.store.writer.StoreWriter` buffers each job's first
        observation and every move (MOVE and INFERRED, with their times) and writes them with
        :meth:`JobStore.apply <jobfsm.store.JobStore.apply>` when ``batch_size`` are buffered, on
        its ``flush()`` and on ``close()`` (also the end of a ``with`` block). A job the store
        does not hold is created in the status and at the time the tracker first saw it; after a
        flush, each such job has in the store the tracker's status and moves. A job the store
        already held is judged from its stored status, and the flush's results say how.

        >>> from jobfsm import JobStore
        >>> store = JobStore("sqlite://")
        >>> store.create_schema()
        >>> tracker = Tracker()
        >>> with tracker.persist_to(store, batch_size=100) as writer:
        ...     _ = tracker.observe("j-1", "WAITING", at=1_767_225_600.0)
        ...     _ = tracker.observe("j-1", "COMPLETED", at=1_767_225_660.0)
        ...     writer.pending
        2
        >>> store.get("j-1").status is tracker.status("j-1")
        True
        >>> [(m.target.name, m.inferred) for m in store.history("j-1")]
        [('RUNNING', True), ('COMPLETED', False)]
        """
        from jobfsm.store.writer import StoreWriter  # the store needs the sql extra

        return StoreWriter(self, store, batch_size)

    def remove_listener(self, listener: Callable[..., None]) -> None:
        """Stop calling ``listener`` for every kind of notice it was registered for.

        Raises:
            ValueError: it was not registered.
        """
        with self._lock:
            found = False
            for group in self._groups():
                while listener in group:
                    group.remove(listener)
                    found = True
            self._listening = any(self._groups())
            while listener in self._overdue_listeners:
                self._overdue_listeners.remove(listener)
                found = True
        if not found:
            raise ValueError(f"{listener!r} is not a listener of this tracker")

    def _groups(self) -> tuple[list[Any], ...]:
        return (
            self._move_listeners,
            self._violation_listeners,
            self._terminal_listeners,
            self._late_listeners,
            self._first_listeners,
        )

    def _add(self, group: list[Any], listener: Callable[[Any], None], notice: str) -> None:
        # Refused here, not at the next observation, where it would fail for every job.
        if not callable(listener):
            raise InvalidArgument("listener", listener, f"a callable listener({notice})")
        with self._lock:
            group.append(listener)
            self._listening = True

    # -- queries --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._jobs)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._jobs

    def jobs(self) -> tuple[str, ...]:
        """The ids of every tracked job, in the order tracking started."""
        with self._lock:
            return tuple(self._jobs)

    def _job(self, job_id: str) -> _JobState:
        job = self._jobs.get(job_id)
        if job is None:
            raise JobNotTracked(job_id)
        return job

    def status(self, job_id: str) -> Status:
        """The last accepted status of ``job_id``.

        Raises:
            JobNotTracked: the job is not tracked (also a KeyError).
        """
        return self._job(job_id).status

    def time_in_status(
        self, job_id: str, now: datetime | float | None = None
    ) -> dict[Status, timedelta]:
        """How long ``job_id`` spent in each status it was observed in, up to ``now``.

        The current status counts from the observation that entered it to ``now`` (never less
        than zero).

        Raises:
            JobNotTracked: the job is not tracked (also a KeyError).
        """
        end = _seconds(now)
        with self._lock:
            job = self._job(job_id)
            spent = dict(job.spent or {})
            current, since = job.status, job.since
        spent[current] = spent.get(current, 0.0) + max(end - since, 0.0)
        return {status: timedelta(seconds=s) for status, s in spent.items()}

    def counts(self) -> TrackerCounts:
        """Totals of observations by what they did.

        >>> t = Tracker()
        >>> for s in (7, 7, 8, 7):
        ...     _ = t.observe("j", s, at=1.0)
        >>> t.counts()
        TrackerCounts(observations=4, jobs_started=1, repeats=1, moves=1, inferred=0, violations=1,
                      late=0)
        """
        with self._lock:
            parts = (
                self._started,
                self._repeats,
                self._moves,
                self._inferred,
                self._violations,
                self._late,
            )
        return TrackerCounts(sum(parts), *parts)

    def by_status(self) -> dict[Status, int]:
        """How many tracked jobs are in each status (every status of the lifecycle, 0 included).

        >>> t = Tracker()
        >>> _ = t.observe("a", "RUNNING"), t.observe("b", "RUNNING")
        >>> t.by_status()[t.status("a")]
        2
        """
        with self._lock:
            statuses = [job.status for job in self._jobs.values()]
        by_status = dict.fromkeys(self._kind, 0)
        for status in statuses:
            by_status[status] += 1
        return by_status

    def summary(self) -> dict[str, int]:
        """How many tracked jobs are active, and how many ended in each outcome.

        >>> t = Tracker()
        >>> _ = t.observe("a", "RUNNING"), t.observe("b", "COMPLETED"), t.observe("c", "KILLED")
        >>> t.summary()
        {'active': 1, 'succeeded': 1, 'failed': 0, 'canceled': 1}
        """
        result = {"active": 0, **{o.value: 0 for o in Outcome}}
        for status, n in self.by_status().items():
            outcome = status.outcome
            result["active" if outcome is None else outcome.value] += n
        return result

    def forget(self, job_id: str) -> Status:
        """Stop tracking ``job_id`` (typically once it finished) and return its last status.

        A later observation of the same id starts tracking it afresh.

        Raises:
            JobNotTracked: the job is not tracked (also a KeyError).
        """
        with self._lock:
            job = self._jobs.pop(job_id, None)
            self._reported.pop(job_id, None)
        if job is None:
            raise JobNotTracked(job_id)
        return job.status

    def forget_finished(self) -> int:
        """Stop tracking every job in a terminal status; returns how many were dropped."""
        with self._lock:
            done = [job_id for job_id, job in self._jobs.items() if job.status.is_terminal]
            for job_id in done:
                del self._jobs[job_id]
                self._reported.pop(job_id, None)
        return len(done)
