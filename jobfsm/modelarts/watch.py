"""Watcher: one cycle of ``jobfsm watch`` at a time: poll, judge, store, and say what happened.

Each :meth:`Watcher.run_once` polls the source (:class:`~jobfsm.modelarts.ModelArtsSource`, or
anything with ``lifecycle`` and ``poll()``), feeds every observation to a
:class:`~jobfsm.tracker.Tracker` (the rule of :func:`jobfsm.logs.scan_log`: repeats, moves,
inferred jumps in polled mode, violations, late observations), then writes what the tracker
accepted to the job store, if there is one: each new job is created where it was first seen,
and the moves go to :meth:`JobStore.apply <jobfsm.store.JobStore.apply>` in batches, one
transaction each, so the store is judged again by the same rules and refuses what another writer
made stale. The :class:`CycleReport` lists the events (:class:`WatchEvent`) and says where the
time went: HTTP (the SDK and the wire), reading records, judgment, store.

A watcher that starts on a store it did not fill takes each stored job's status and last change
from it first, so that the first poll is judged from there; observations older than a stored job's
last change are late.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Final, Protocol

from jobfsm.errors import (
    CorruptJob,
    InvalidArgument,
    InvalidJobId,
    InvalidTime,
    JobExists,
    JobNotFound,
    LifecycleMismatch,
)
from jobfsm.errors import escape as _escape
from jobfsm.lifecycle import Lifecycle
from jobfsm.modelarts.records import BadRecord, Observation
from jobfsm.modelarts.source import Poll, PollCancelled
from jobfsm.tracker import JobFinished, LateObservation, TrackedMove, TrackedViolation, Tracker
from jobfsm.validate import Mode
from jobfsm.vocabulary import Status

if TYPE_CHECKING:
    from jobfsm.deadlines import Deadlines, OverdueJob
    from jobfsm.store import JobStore

__all__ = ["DEFAULT_BATCH_SIZE", "CycleReport", "EventKind", "Source", "WatchEvent", "Watcher"]

#: Moves written per :meth:`JobStore.apply` transaction.
DEFAULT_BATCH_SIZE: Final = 1000


class Source(Protocol):
    """What a :class:`Watcher` polls: :class:`~jobfsm.modelarts.ModelArtsSource` is one."""

    @property
    def lifecycle(self) -> Lifecycle: ...

    def poll(
        self,
        job_ids: Iterable[str] | None = None,
        *,
        cancelled: Callable[[], bool] | None = None,
    ) -> Poll: ...


class EventKind(enum.Enum):
    """What a :class:`WatchEvent` reports."""

    #: a job moved (``skipped``: the phases a jump in polled mode passed through)
    MOVE = "move"
    #: a phase the lifecycle does not allow from the job's; the job stays where it was
    VIOLATION = "violation"
    #: an observation older than the job's last one; ignored
    LATE = "late"
    #: a job reached a terminal phase (one first seen in one is only a new job)
    FINISHED = "finished"
    #: a record, or an answer, that could not be read
    BAD_RECORD = "bad record"
    #: a move the store did not write (another writer moved or removed the job meanwhile)
    REFUSED = "refused"
    #: a job past its phase's dwell limit (once per job and phase)
    OVERDUE = "overdue"


def _iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One thing a cycle saw: a move, a violation, a late observation, a finished job, a bad
    record, or a move the store refused.

    >>> from jobfsm.lifecycles.modelarts_v2 import Phase2
    >>> at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> print(WatchEvent(EventKind.MOVE, "a1", at, Phase2.Pending, Phase2.Running, event="start"))
    move a1: Pending → Running by 'start' at 2026-03-01T00:00:00.000Z
    """

    kind: EventKind
    job_id: str | None
    at: datetime | None = None
    source: Status | None = None
    target: Status | None = None
    secondary_phase: str | None = None
    skipped: tuple[Status, ...] = ()
    #: the lifecycle event of a move (None for a jump inferred in polled mode)
    event: str | None = None
    #: for a violation, the phases allowed from ``source``
    allowed: tuple[Status, ...] = ()
    #: for a late observation, the time of the job's last one
    last_at: datetime | None = None
    #: for a bad record, where it was
    where: str | None = None
    #: for a bad record or a refusal, why
    reason: str | None = None
    #: for an overdue job, the limit it broke and how long it has been in its phase
    limit: timedelta | None = None
    elapsed: timedelta | None = None

    def __str__(self) -> str:
        job = _escape(str(self.job_id))
        kind = self.kind
        if kind is EventKind.MOVE:
            by = f" by {self.event!r}" if self.event else ""
            via = f" via {', '.join(s.name for s in self.skipped)}" if self.skipped else ""
            return f"move {job}: {self.source} → {self.target}{by}{via} at {_iso(self.at)}"
        if kind is EventKind.VIOLATION:
            allowed = ", ".join(s.name for s in self.allowed) or f"none, {self.source} is terminal"
            return (
                f"violation {job}: {self.source} → {self.target} at {_iso(self.at)} is not a move "
                f"of the lifecycle; allowed: {allowed}"
            )
        if kind is EventKind.LATE:
            return (
                f"late {job}: {self.target} observed at {_iso(self.at)}, before its last "
                f"observation at {_iso(self.last_at)}; ignored"
            )
        if kind is EventKind.FINISHED:
            outcome = self.target.outcome.value if self.target and self.target.outcome else ""
            return f"finished {job}: {self.target} ({outcome}) at {_iso(self.at)}"
        if kind is EventKind.OVERDUE:
            from jobfsm.deadlines import format_duration

            assert self.limit is not None
            assert self.elapsed is not None
            return (
                f"overdue {job}: {self.target} since {_iso(self.at)}, for "
                f"{format_duration(self.elapsed)}, past its limit of {format_duration(self.limit)}"
            )
        if kind is EventKind.BAD_RECORD:
            return f"bad record {_escape(str(self.where))}: {_escape(str(self.reason))}"
        move = f"{self.source} → {self.target}" if self.source else f"{self.target}"
        return f"refused {job}: {move} was not written: {_escape(str(self.reason))}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form: the kind as ``event``, statuses by name, times in ISO 8601; fields
        that do not apply to the kind are left out."""
        found: dict[str, Any] = {"event": self.kind.value, "job_id": self.job_id}
        if self.at is not None:
            found["at"] = _iso(self.at)
        if self.source is not None:
            found["source"] = self.source.name
        if self.target is not None:
            found["target"] = self.target.name
        if self.secondary_phase is not None:
            found["secondary_phase"] = self.secondary_phase
        if self.kind is EventKind.MOVE:
            found["by"] = self.event
            found["skipped"] = [s.name for s in self.skipped]
        if self.kind is EventKind.VIOLATION:
            found["allowed"] = [s.name for s in self.allowed]
        if self.kind is EventKind.FINISHED and self.target is not None and self.target.outcome:
            found["outcome"] = self.target.outcome.value
        if self.last_at is not None:
            found["last_at"] = _iso(self.last_at)
        if self.where is not None:
            found["where"] = self.where
        if self.reason is not None:
            found["reason"] = self.reason
        if self.limit is not None:
            found["limit_seconds"] = self.limit.total_seconds()
        if self.elapsed is not None:
            found["elapsed_seconds"] = self.elapsed.total_seconds()
        return found


_PLURAL: Final = {
    "move": "moves",
    "violation": "violations",
    "late": "late",
    "finished": "finished",
    "bad record": "bad records",
    "refused": "refused",
    "overdue": "overdue",
}


@dataclass(frozen=True)
class CycleReport:
    """What one :meth:`Watcher.run_once` did, and where its time went.

    Attributes:
        cycle: the cycle's number, from 1.
        events: what it saw, in order: bad records, then each judgment's events as the tracker
            made them, then the moves the store refused.
        observations: records read into observations; ``new_jobs`` of them started a job.
        jobs, active: jobs tracked after the cycle, and how many of them can still move.
        requests, retries: requests sent (retries included), and the retries.
        created, written: jobs created in the store, and moves written to it.
        http_seconds: in the SDK and on the wire, backoff waits included (``slept_seconds``).
        read_seconds: reading records; ``judgment_seconds``: the tracker; ``store_seconds``:
            the store's reads and writes.
        seconds: the whole cycle.
        stopped: the poll was cancelled: nothing was judged or written.

    >>> report = CycleReport(3, observations=200, jobs=200, active=12, requests=4, seconds=0.5,
    ...                      http_seconds=0.4, judgment_seconds=0.02, store_seconds=0.03)
    >>> print(report.summary())
    cycle 3: 200 observed (0 new), 200 jobs (12 active): 0 moves, 0 violations; 4 requests, 0
    retried; 0.50 s: HTTP 0.40, reading 0.00, judgment 0.02, store 0.03
    >>> round(report.own_share, 2)
    0.1
    """

    cycle: int
    events: tuple[WatchEvent, ...] = ()
    observations: int = 0
    new_jobs: int = 0
    jobs: int = 0
    active: int = 0
    requests: int = 0
    retries: int = 0
    created: int = 0
    written: int = 0
    http_seconds: float = 0.0
    slept_seconds: float = 0.0
    read_seconds: float = 0.0
    judgment_seconds: float = 0.0
    store_seconds: float = 0.0
    seconds: float = 0.0
    stopped: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    #: jobs past their phase's limit after the cycle, by phase (with the watcher's limits): what
    #: :meth:`Metrics.set_overdue <jobfsm.metrics.Metrics.set_overdue>` takes
    overdue: dict[Status, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.counts:
            counts = dict.fromkeys((k.value for k in EventKind), 0)
            for e in self.events:
                counts[e.kind.value] += 1
            object.__setattr__(self, "counts", counts)

    def count(self, kind: EventKind) -> int:
        """How many events of ``kind`` the cycle saw."""
        return self.counts[kind.value]

    @property
    def own_share(self) -> float:
        """The share of the cycle jobfsm itself took: judgment and store (0 to 1)."""
        return (self.judgment_seconds + self.store_seconds) / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        """One line: the cycle's counts and time split."""
        if self.stopped:
            return f"cycle {self.cycle}: stopped during the poll; nothing judged or written"
        counts = ", ".join(
            f"{n} {_PLURAL[kind] if n != 1 else kind}"
            for kind, n in self.counts.items()
            if n or kind in ("move", "violation")
        )
        return (
            f"cycle {self.cycle}: {self.observations} observed ({self.new_jobs} new), "
            f"{self.jobs} jobs ({self.active} active): {counts}; {self.requests} requests, "
            f"{self.retries} retried; {self.seconds:.2f} s: HTTP {self.http_seconds:.2f}, "
            f"reading {self.read_seconds:.2f}, judgment {self.judgment_seconds:.2f}, store "
            f"{self.store_seconds:.2f}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form, without the events."""
        return {
            "cycle": self.cycle,
            "stopped": self.stopped,
            "observations": self.observations,
            "new_jobs": self.new_jobs,
            "jobs": self.jobs,
            "active": self.active,
            "events": dict(self.counts),
            "overdue": {s.name: n for s, n in self.overdue.items()},
            "requests": self.requests,
            "retries": self.retries,
            "created": self.created,
            "written": self.written,
            "seconds": {
                "cycle": self.seconds,
                "http": self.http_seconds,
                "slept": self.slept_seconds,
                "reading": self.read_seconds,
                "judgment": self.judgment_seconds,
                "store": self.store_seconds,
            },
        }


class Watcher:
    """Polls ``source``, judges every observation, and writes the moves to ``store``.

    Args:
        source: what to poll (its ``lifecycle`` is the one judged by).
        store: a :class:`~jobfsm.store.JobStore` of the same lifecycle, or None to judge only.
        job_ids: poll only these jobs (None: every job the source lists).
        mode: ``polled`` (default: a jump along a legal chain is a move, its phases inferred) or
            ``strict``.
        batch_size: moves written per store transaction.
        clock: what times the phases of a cycle.
        limits: dwell limits per phase (:class:`~jobfsm.deadlines.Deadlines`): after judging,
            each cycle reports the jobs past their phase's limit as OVERDUE events, once per job
            and stay in a phase; ``overdue`` in the report counts every job past its limit.
        now: the wall clock the limits are judged at (epoch seconds).

    Raises:
        InvalidArgument: a store of another lifecycle, or a ``batch_size`` below 1.

    Jobs are judged as :func:`jobfsm.logs.scan_log` judges a log of the same observations in
    the same order, so the store ends with the moves a check of that log finds. Moves the store
    could not take (a database error) stay pending and are written first by the next cycle.

    >>> from jobfsm.lifecycles import get_lifecycle
    >>> from jobfsm.modelarts import Observation, Poll
    >>> v2 = get_lifecycle("modelarts-v2")
    >>> class Polls:                      # a source: ModelArtsSource is one
    ...     lifecycle = v2
    ...     seen = iter([("Pending", 1.7e9), ("Completed", 1.7e9 + 60)])
    ...     def poll(self, job_ids=None, *, cancelled=None):
    ...         phase, at = next(self.seen)
    ...         return Poll([Observation("a1", v2.parse(phase), None, at)])
    >>> watcher = Watcher(Polls())
    >>> _ = watcher.run_once()
    >>> for event in watcher.run_once().events:
    ...     print(event)
    move a1: Pending → Completed via Running at 2023-11-14T22:14:20.000Z
    finished a1: Completed (succeeded) at 2023-11-14T22:14:20.000Z
    """

    #: Cycles whose poll was over (a cancelled or failed poll is not counted).
    cycles: int

    def __init__(
        self,
        source: Source,
        store: JobStore | None = None,
        *,
        job_ids: Sequence[str] | None = None,
        mode: Mode | str = Mode.POLLED,
        batch_size: int = DEFAULT_BATCH_SIZE,
        clock: Callable[[], float] = time.perf_counter,
        limits: Deadlines | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.lifecycle = source.lifecycle
        if store is not None and getattr(store, "lifecycle", None) is not self.lifecycle:
            raise InvalidArgument(
                "store",
                store,
                f"a JobStore of the source's lifecycle {self.lifecycle.name!r} "
                f"(JobStore(url, lifecycle=get_lifecycle({self.lifecycle.name!r})))",
            )
        if type(batch_size) is not int or batch_size < 1:
            raise InvalidArgument("batch_size", batch_size, "a whole number of at least 1")
        self.store = store
        self.job_ids = tuple(job_ids) if job_ids is not None else None
        self.batch_size = batch_size
        self.tracker = Tracker(self.lifecycle, mode, thread_safe=False, limits=limits)
        self._now = now
        self.cycles = 0
        self._clock = clock
        self._seeded = store is None
        self._listening = True
        self._events: list[WatchEvent] = []
        self._details: dict[str, str | None] = {}
        self._new_jobs = 0
        self._first_seen: str | None = None
        # What the tracker accepted and the store has not taken yet, in order.
        self._created: dict[str, tuple[Status, datetime]] = {}
        # (job, status, time, secondary phase): the store keeps the secondary phase in history.
        self._moves: list[tuple[str, Status, datetime, str | None]] = []
        tracker = self.tracker
        tracker.on_move(self._moved)
        tracker.on_violation(self._violated)
        tracker.on_late(self._late)
        tracker.on_terminal(self._finished)
        # A first sighting is no move, so the tracker tells only its own writer (StoreWriter
        # listens the same way); the watcher creates the job in the store from it.
        tracker._on_first(self._first)

    def __repr__(self) -> str:
        return f"<Watcher of {self.source!r}: {len(self.tracker)} jobs, {self.cycles} cycles>"

    @property
    def pending(self) -> int:
        """Jobs to create and moves to write that the store has not taken yet."""
        return len(self._created) + len(self._moves)

    # -- the tracker's notices ------------------------------------------------------------------

    def _first(self, move: TrackedMove) -> None:
        # The tracker tells a first sighting in a terminal phase as finished right after this.
        self._first_seen = move.job_id
        if self._listening:
            self._new_jobs += 1
            if self.store is not None:
                self._created.setdefault(move.job_id, (move.target, move.at))

    def _moved(self, move: TrackedMove) -> None:
        self._first_seen = None
        if not self._listening:
            return
        self._events.append(
            WatchEvent(
                EventKind.MOVE,
                move.job_id,
                move.at,
                move.source,
                move.target,
                self._details.get(move.job_id),
                move.skipped,
                move.event,
            )
        )
        if self.store is not None:
            self._moves.append((move.job_id, move.target, move.at, self._details.get(move.job_id)))

    def _violated(self, violation: TrackedViolation) -> None:
        if self._listening:
            self._events.append(
                WatchEvent(
                    EventKind.VIOLATION,
                    violation.job_id,
                    violation.at,
                    violation.source,
                    violation.target,
                    self._details.get(violation.job_id),
                    allowed=tuple(sorted(violation.allowed)),
                )
            )

    def _late(self, late: LateObservation) -> None:
        if self._listening:
            self._events.append(
                WatchEvent(
                    EventKind.LATE,
                    late.job_id,
                    late.at,
                    late.current,
                    late.status,
                    self._details.get(late.job_id),
                    last_at=late.last_at,
                )
            )

    def _finished(self, done: JobFinished) -> None:
        # A job first seen already ended did not end now: it counts as a new job only.
        if self._listening and self._first_seen != done.job_id:
            self._events.append(
                WatchEvent(
                    EventKind.FINISHED,
                    done.job_id,
                    done.at,
                    target=done.status,
                    secondary_phase=self._details.get(done.job_id),
                )
            )

    # -- a cycle --------------------------------------------------------------------------------

    def run_once(self, *, cancelled: Callable[[], bool] | None = None) -> CycleReport:
        """Poll once, judge every observation, write the moves; report what happened.

        ``cancelled`` goes to the source's poll: when it says True before the poll is over, the
        cycle stops there with nothing judged or written (``stopped``). Once the poll is over,
        the cycle always finishes, every batch written.

        Raises:
            SourceError: the poll failed (nothing was judged or written).
            StoreUnavailable, ConcurrentUpdate: a write failed; what was not written is kept
                for the next cycle.
        """
        clock = self._clock
        started = clock()
        store_seconds = 0.0
        if not self._seeded:
            self._seed()
            store_seconds += clock() - started
        try:
            poll = self.source.poll(self.job_ids, cancelled=cancelled)
        except PollCancelled:
            return CycleReport(self.cycles + 1, stopped=True, seconds=clock() - started)
        self.cycles += 1
        polled = clock()
        events = self._events = [_bad(b) for b in poll.bad_records]
        self._new_jobs = 0
        refused = self._judge(poll.observations)
        events += [_bad(b) for b in refused]
        overdue: dict[Status, int] = {}
        if self.tracker.limits:
            overdue = self._overdue(events)
        summary = self.tracker.summary()
        judged = clock()
        created = written = 0
        if self.store is not None:
            created, written = self._write(events)
        ended = clock()
        # The source times its own HTTP and reading; the rest of the poll is the source's too.
        http = (polled - started - store_seconds) - poll.read_seconds
        return CycleReport(
            self.cycles,
            tuple(events),
            observations=len(poll.observations),
            new_jobs=self._new_jobs,
            jobs=len(self.tracker),
            active=summary["active"],
            requests=poll.requests,
            retries=poll.retries,
            created=created,
            written=written,
            http_seconds=max(http, 0.0),
            slept_seconds=poll.slept_seconds,
            read_seconds=poll.read_seconds,
            judgment_seconds=judged - polled,
            store_seconds=store_seconds + (ended - judged),
            seconds=ended - started,
            overdue=overdue,
        )

    def _overdue(self, events: list[WatchEvent]) -> dict[Status, int]:
        """Add an OVERDUE event per job newly past its limit; count every overdue job."""
        from jobfsm.deadlines import count_by_status

        now = self._now()
        for job in self.tracker.check_overdue(now):
            events.append(_late_job(job))
        return count_by_status(self.tracker.overdue(now))

    def _judge(self, observations: list[Observation]) -> list[BadRecord]:
        """Feed ``observations`` to the tracker; those it refuses (a time it cannot place) are
        bad records, and the rest are still judged."""
        self._details = {o.job_id: o.secondary_phase for o in observations if o.secondary_phase}
        refused: list[BadRecord] = []
        position = 0

        def feed() -> Iterator[tuple[str, Status, float]]:
            nonlocal position
            while position < len(observations):
                o = observations[position]
                position += 1
                yield o.job_id, o.phase, o.observed_at

        while position < len(observations):
            try:
                self.tracker.observe_many(feed())
            except (InvalidTime, InvalidJobId) as exc:
                # observe_many stops at the item it refuses, the last one fed; the rest follow.
                bad = observations[position - 1]
                refused.append(BadRecord(f"job {bad.job_id!r}", exc.message, bad.job_id))
        return refused

    def _seed(self) -> None:
        """Start tracking every stored job (or every one asked for) from its stored status."""
        store = self.store
        assert store is not None
        if self.job_ids is None:
            records = list(store.list())
        else:
            records = []
            for job_id in self.job_ids:
                try:
                    records.append(store.get(job_id))
                except (JobNotFound, LifecycleMismatch, CorruptJob):
                    continue  # new to the store, or not its to judge: refused when written
        self._listening = False
        try:
            self.tracker.observe_many(
                (r.job_id, r.status, r.updated_at.astimezone(timezone.utc)) for r in records
            )
        finally:
            self._listening = True
        self._seeded = True

    def _write(self, events: list[WatchEvent]) -> tuple[int, int]:
        """Create the new jobs and write the moves; the counts of both."""
        store = self.store
        assert store is not None
        created = written = 0
        for job_id, (status, at) in list(self._created.items()):
            try:
                store.create(job_id, status, created_at=at)
                created += 1
            except JobExists:
                pass  # another writer made it: its moves are judged from its stored status
            except (LifecycleMismatch, InvalidJobId) as exc:
                # Held under another lifecycle, or an id the store cannot keep (too long): its
                # moves will be refused too, each with its reason.
                events.append(
                    WatchEvent(EventKind.REFUSED, job_id, at, target=status, reason=exc.message)
                )
            del self._created[job_id]
        mode = self.tracker.mode
        while self._moves:
            batch = self._moves[: self.batch_size]
            results = store.apply(batch, mode=mode)
            del self._moves[: len(batch)]
            for result in results:
                if result.moved:
                    written += 1
                elif result.error is not None:
                    events.append(
                        WatchEvent(
                            EventKind.REFUSED,
                            str(result.job_id),
                            source=result.source,
                            target=result.target,
                            reason=result.error.message,
                        )
                    )
        return created, written


def _late_job(job: OverdueJob) -> WatchEvent:
    return WatchEvent(
        EventKind.OVERDUE,
        job.job_id,
        job.since,
        target=job.status,
        limit=job.limit,
        elapsed=job.elapsed,
    )


def _bad(record: BadRecord) -> WatchEvent:
    return WatchEvent(EventKind.BAD_RECORD, record.job_id, where=record.where, reason=record.reason)
