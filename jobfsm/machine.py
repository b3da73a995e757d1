"""Jobs driven by one shared ``transitions`` machine per lifecycle.

A ``transitions.Machine`` per job costs milliseconds and tens of KiB, and schedulers track hundreds
of thousands of jobs. So each :class:`Lifecycle` is compiled once into a :class:`JobMachine`
(the statuses are its states, the declared edges its transitions) and every :class:`Job` is a small
object that the shared machine moves. Every move is judged against the lifecycle, guards included,
before any state changes, so the machine only ever executes legal moves.

What happens when a callback raises:

- a guard runs before anything changes: one that raises instead of answering abandons the move,
  and :class:`GuardError` carries its exception (also the ``__cause__``);
- an exit hook of the source status runs before the status changes: the move is abandoned, the job
  stays where it was, and :class:`CallbackError` (``committed=False``) is raised;
- an enter hook of the target status runs after the status changed: the move stands and is in the
  history, the listeners still run, and :class:`CallbackError` (``committed=True``) is raised;
- listeners run after the move is committed; each one runs even when an earlier one raised, and
  then :class:`CallbackError` (``committed=True``) carries every error in order.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, NamedTuple, cast

import transitions
from transitions.core import EventData

from jobfsm.errors import (
    CallbackError,
    GuardRejected,
    IllegalTransition,
    InvalidArgument,
    InvalidJobId,
    InvalidTime,
    SnapshotError,
    UnknownStatus,
)
from jobfsm.lifecycle import (
    DEFAULT_LIFECYCLE,
    Lifecycle,
    Verdict,
    _as_lifecycle,
    _check_context,
    _first_refusal,
)
from jobfsm.validate import LATE, REPEAT, VIOLATION, Mode, Rules, Step, StepKind
from jobfsm.vocabulary import Status

__all__ = ["Job", "JobMachine", "Listener", "Move"]

_UTC = timezone.utc


class Move(NamedTuple):
    """One committed move in a job's audit trail.

    ``at`` is when the job made the move: the observation's time when one was given, else when
    it was applied. ``inferred`` marks a move into a status nobody observed: a polled observation
    that skipped statuses is recorded as the chain of declared moves through them (the one
    :class:`~jobfsm.validate.Rules` infers), each inferred but the last, all at the observation's
    time, since when the skipped statuses happened is unknown.
    """

    source: Status
    target: Status
    event: str
    at: datetime
    reason: str | None = None
    actor: str | None = None
    inferred: bool = False
    #: The secondary phase observed with ``target`` (ModelArts v2), or None.
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form (codes as ints, time as ISO 8601)."""
        found = {
            "source": self.source.reported,
            "target": self.target.reported,
            "event": self.event,
            "at": self.at.isoformat(),
            "reason": self.reason,
            "actor": self.actor,
            "inferred": self.inferred,
        }
        if self.detail is not None:
            found["detail"] = self.detail
        return found


#: A callback told of a move: the job that moved and the move.
Listener = Callable[["Job", Move], None]


class JobMachine:
    """One lifecycle compiled into a shared ``transitions.Machine``, with hooks for all its jobs.

    Most code never builds one: ``Job`` uses :meth:`for_lifecycle`, which keeps one machine per
    lifecycle, shared by every job in the process made without ``machine=``. That shared machine
    takes no hooks or listeners (they would fire for every such job, wherever it was made): for
    one job use :meth:`Job.add_listener`; for every job of a group build a machine of your own,
    whose :meth:`add_listener`, :meth:`on_enter` and :meth:`on_exit` are machine-wide.

    >>> from jobfsm import JobStatus
    >>> m = JobMachine(DEFAULT_LIFECYCLE)
    >>> seen = []
    >>> m.on_enter(JobStatus.RUNNING, lambda job, move: seen.append(job.job_id))
    >>> job = Job("j-1", JobStatus.WAITING, machine=m)
    >>> job.start().target
    <JobStatus.RUNNING: 8>
    >>> seen
    ['j-1']
    """

    _shared: ClassVar[weakref.WeakKeyDictionary[Lifecycle, JobMachine]] = (
        weakref.WeakKeyDictionary()
    )
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> None:
        self.lifecycle = lifecycle = _as_lifecycle(lifecycle)
        self.engine = transitions.Machine(
            model=None,
            states=lifecycle.statuses,
            initial=lifecycle.initial,
            transitions=[
                {"trigger": e.event, "source": e.source, "dest": e.target} for e in lifecycle.edges
            ],
            # Moving to any status by name would bypass the table.
            auto_transitions=False,
            send_event=True,
            model_attribute="_status",
        )
        self._steps: dict[tuple[Status, Status], tuple[Any, Any, Any]] = {}
        for e in lifecycle.edges:
            event = self.engine.events[e.event]
            (step,) = [t for t in event.transitions[e.source.name] if t.dest == e.target.name]
            self._steps[(e.source, e.target)] = (event, step, self.engine.get_state(e.source.name))
        self._next: dict[Status, frozenset[Status]] = dict(lifecycle.next_map)
        self._kind: type[Status] = lifecycle.statuses
        self._listeners: list[Listener] = []
        # Set on the machines for_lifecycle shares, whose hooks would reach every job in the
        # process made without machine=, not only the caller's.
        self._shared_machine = False

    @classmethod
    def for_lifecycle(cls, lifecycle: Lifecycle) -> JobMachine:
        """The machine shared by every job of ``lifecycle`` (built on first use)."""
        if type(lifecycle) is not Lifecycle:
            _as_lifecycle(lifecycle)  # before it meets the weak dictionary, which can't say why
        machine = cls._shared.get(lifecycle)
        if machine is None:
            with cls._shared_lock:
                machine = cls._shared.get(lifecycle)
                if machine is None:
                    machine = cls(lifecycle)
                    machine._shared_machine = True
                    cls._shared[lifecycle] = machine
        return machine

    def _own(self, method: str) -> None:
        """Refuse ``method`` on a shared machine, where it would reach every job in the process."""
        if self._shared_machine:
            raise InvalidArgument(
                "machine",
                self,
                f"a JobMachine() of your own for {method} (this is the machine shared by every "
                "job made without machine=, so it would fire for all of them): use "
                "job.add_listener(...) for one job, or Job(..., machine=JobMachine()) for every "
                "job of that machine",
            )

    def on_enter(self, status: Status | int | str, hook: Listener) -> None:
        """Call ``hook(job, move)`` whenever a job of this machine enters ``status``.

        Machine-wide, so refused with InvalidArgument on the shared machine of a lifecycle.
        """
        self._own("on_enter")
        self.engine.get_state(self.lifecycle.parse(status).name).add_callback(
            "enter", _hook(_callable("hook", hook))
        )

    def on_exit(self, status: Status | int | str, hook: Listener) -> None:
        """Call ``hook(job, move)`` whenever a job of this machine is about to leave ``status``.

        A hook that raises abandons the move. Machine-wide, so refused with InvalidArgument on
        the shared machine of a lifecycle.
        """
        self._own("on_exit")
        self.engine.get_state(self.lifecycle.parse(status).name).add_callback(
            "exit", _hook(_callable("hook", hook))
        )

    def add_listener(self, listener: Listener) -> None:
        """Machine-wide: call ``listener(job, move)`` after every committed move of every job of
        this machine (:meth:`Job.add_listener` is the per-job one).

        Refused with InvalidArgument on the shared machine of a lifecycle, which every job made
        without ``machine=`` uses.

        >>> from jobfsm import JobStatus
        >>> fleet = JobMachine()
        >>> fleet.add_listener(lambda job, move: print(job.job_id, move.target.name))
        >>> Job("a", JobStatus.WAITING, machine=fleet).start().event
        a RUNNING
        'start'
        >>> Job("b").machine.add_listener(print)
        Traceback (most recent call last):
        ...
        jobfsm.errors.InvalidArgument: ...
        """
        self._own("add_listener")
        self._listeners.append(_callable("listener", listener))

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)


def _callable(argument: str, callback: Listener) -> Listener:
    """``callback``, refused now if it cannot be called rather than at every later move."""
    if not callable(callback):
        raise InvalidArgument(argument, callback, f"a callable {argument}(job, move)")
    return callback


def _hook(hook: Listener) -> Callable[[EventData], None]:
    def call(event_data: EventData) -> None:
        hook(cast(Job, event_data.model), event_data.kwargs["move"])

    return call


def _now() -> datetime:
    return datetime.now(_UTC)


def _aware(value: object, argument: str) -> datetime:
    """``value`` if it is a datetime with a time zone; a naive one could not be compared with the
    UTC times of moves, nor stored in a snapshot."""
    if isinstance(value, datetime):
        if value.utcoffset() is not None:
            return value
        raise InvalidTime(
            value,
            "a datetime with a time zone (this one has none; for example tzinfo=timezone.utc)",
            argument,
        )
    raise InvalidTime(value, "a datetime with a time zone, or None for now", argument)


class Job:
    """One training job: its status, its audit trail and the moves it may make.

    Args:
        job_id: the job's identifier.
        status: the status it is in now (INIT for a new job; any status for a job you start
            tracking late).
        lifecycle: the rules to apply; the ModelArts lifecycle by default.
        machine: a machine of your own (with its own hooks) instead of the lifecycle's shared one.
        created_at: when the job entered ``status``, a datetime with a time zone; now by default.

    Raises:
        InvalidJobId: ``job_id`` is not a non-blank string.
        InvalidTime: ``created_at`` is a naive datetime or not a datetime.
        InvalidArgument: ``lifecycle`` or ``machine`` is not one.

    >>> from jobfsm import JobStatus
    >>> job = Job("j-1")
    >>> job.submit().target
    <JobStatus.SUBMIT_TRYING: 4>
    >>> job.advance_to(JobStatus.WAITING)
    True
    >>> job.advance_to(JobStatus.WAITING)  # a repeated observation is not a move
    False
    >>> job.advance_to(JobStatus.COMPLETED)
    Traceback (most recent call last):
    ...
    jobfsm.errors.IllegalTransition: job j-1: cannot move WAITING(7) → COMPLETED(10); ...

    A poller gives the time it saw a status, and may have missed some (see :meth:`observe`):

    >>> seen = datetime.now(timezone.utc)
    >>> job.advance_to(JobStatus.COMPLETED, at=seen, mode="polled")
    True
    >>> [(m.target.name, m.inferred) for m in job.history[-2:]]
    [('RUNNING', True), ('COMPLETED', False)]
    """

    __slots__ = (
        "__weakref__",
        "_created",
        "_history",
        "_listeners",
        "_lock",
        "_machine",
        "_status",
        "job_id",
    )

    def __init__(
        self,
        job_id: str,
        status: Status | int | str | None = None,
        *,
        lifecycle: Lifecycle | None = None,
        machine: JobMachine | None = None,
        created_at: datetime | None = None,
    ) -> None:
        if machine is None:
            machine = JobMachine.for_lifecycle(
                DEFAULT_LIFECYCLE if lifecycle is None else lifecycle
            )
        elif not isinstance(machine, JobMachine):
            raise InvalidArgument(
                "machine", machine, "a JobMachine, or None for the lifecycle's shared one"
            )
        elif lifecycle is not None and lifecycle is not machine.lifecycle:
            raise InvalidArgument(
                "lifecycle",
                lifecycle,
                "None or the machine's own lifecycle: pass either a lifecycle or a machine, "
                "not two that disagree",
            )
        if type(job_id) is not str or not job_id.strip():
            raise InvalidJobId(job_id)
        self.job_id = job_id
        kind = machine._kind
        if status is None:
            status = machine.lifecycle.initial
        self._status = status if type(status) is kind else kind.parse(status)
        self._machine = machine
        self._created = _now() if created_at is None else _aware(created_at, "created_at")
        self._history: list[Move] | None = None
        self._listeners: list[Listener] | None = None
        # Re-entrant, so that a hook or listener may move the same job again.
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<Job {self.job_id!r} {self._status}>"

    def __getattr__(self, name: str) -> Callable[..., Move]:
        # One method per declared event: job.submit(), job.kill(), ...
        if not name.startswith("_"):
            machine = object.__getattribute__(self, "_machine")
            if name in machine.lifecycle.event_names:

                def fire(
                    *,
                    reason: str | None = None,
                    actor: str | None = None,
                    context: Mapping[str, object] | None = None,
                ) -> Move:
                    return self.fire(name, reason=reason, actor=actor, context=context)

                fire.__name__ = name
                return fire
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._machine.lifecycle.event_names))

    # -- state ----------------------------------------------------------------------------------

    @property
    def status(self) -> Status:
        """The status the job is in."""
        return self._status

    @property
    def lifecycle(self) -> Lifecycle:
        """The rules this job follows."""
        return self._machine.lifecycle

    @property
    def machine(self) -> JobMachine:
        """The machine that moves this job: the lifecycle's shared one, which takes no hooks or
        listeners, unless the job was made with ``machine=``."""
        return self._machine

    @property
    def created_at(self) -> datetime:
        """When the job entered its first status."""
        return self._created

    @property
    def history(self) -> tuple[Move, ...]:
        """Every committed move, oldest first."""
        return tuple(self._history) if self._history else ()

    @property
    def is_terminal(self) -> bool:
        """True once the job has reached a status nothing leaves."""
        return self._status.is_terminal

    def allowed_next(self) -> frozenset[Status]:
        """The statuses the job may move to now."""
        return self._machine.lifecycle.next_map[self._status]

    def time_in_status(self, now: datetime | None = None) -> dict[Status, timedelta]:
        """How long the job has spent in each status it visited, up to ``now`` (a datetime with a
        time zone; now by default).

        Raises:
            InvalidTime: ``now`` is a naive datetime or not a datetime.
        """
        end = None if now is None else _aware(now, "now")
        spent: dict[Status, timedelta] = {}
        with self._lock:
            history = self._history or ()
            status = history[0].source if history else self._status
            since = self._created
            for move in history:
                spent[move.source] = spent.get(move.source, timedelta()) + (move.at - since)
                status, since = move.target, move.at
        if end is None:
            end = _now()
        spent[status] = spent.get(status, timedelta()) + max(end - since, timedelta())
        return spent

    # -- questions without side effects ---------------------------------------------------------

    def can_advance_to(
        self, target: Status | int | str, *, context: Mapping[str, object] | None = None
    ) -> bool:
        """True when :meth:`advance_to` would move the job (guards included); nothing changes."""
        verdict = self.explain(target, context=context)
        return verdict.legal and verdict.source != verdict.target

    def explain(
        self, target: Status | int | str, *, context: Mapping[str, object] | None = None
    ) -> Verdict:
        """The lifecycle's verdict on moving this job to ``target`` now; nothing changes."""
        return self._machine.lifecycle.explain(
            self._status, self._machine.lifecycle.parse(target), job_id=self.job_id, context=context
        )

    # -- moves ----------------------------------------------------------------------------------

    def advance_to(
        self,
        target: Status | int | str,
        *,
        at: datetime | None = None,
        mode: Mode | str = Mode.STRICT,
        reason: str | None = None,
        actor: str | None = None,
        context: Mapping[str, object] | None = None,
        detail: str | None = None,
    ) -> bool:
        """Move to an observed status along its declared edge.

        Returns False, changing nothing, when the job is already in ``target`` (polling repeats
        statuses) or when the observation at ``at`` is older than the job's last move (LATE);
        True when it moved. :meth:`observe` takes the same arguments and says which.

        Args:
            at: when the status was observed (a datetime with a time zone), which the history
                and :meth:`time_in_status` use; now by default.
            mode: ``"strict"`` (default): the move must be a declared edge; ``"polled"``: a
                skipped chain of statuses is inferred, as :class:`~jobfsm.validate.Rules` does.
            detail: the secondary phase reported with the status (ModelArts v2's
                ``secondary_phase``), kept in the move; never judged.

        Raises:
            UnknownStatus: ``target`` is not a status.
            UnknownMode: ``mode`` is not a mode.
            InvalidTime: ``at`` is a naive datetime or not a datetime.
            IllegalTransition: the move is not declared (in polled mode: no chain of declared
                moves leads to ``target``), or leaves a terminal status.
            GuardRejected: a guard refused the move (in polled mode, any move of the chain).
            GuardError: a guard raised instead of answering (the job did not move).
            InvalidArgument: ``reason`` or ``actor`` is not a string or None, or ``context`` is
                not a mapping (the job did not move).
            CallbackError: a hook or listener raised (see the module docs for what stands).
        """
        if at is not None or mode is not Mode.STRICT or detail is not None:
            kind = self.observe(
                target,
                at=at,
                mode=mode,
                reason=reason,
                actor=actor,
                context=context,
                detail=detail,
            ).kind
            return kind is StepKind.MOVE or kind is StepKind.INFERRED
        if type(target) is not self._machine._kind:
            target = self._machine._kind.parse(target)
        steps = self._machine._steps
        # Reading the one status field is atomic, so a repeat or an illegal move can be judged
        # without the lock: the answer is true of the status at that instant.
        source = self._status
        step = steps.get((source, target))
        if step is None:
            if target is source:
                return False
            raise IllegalTransition(self.job_id, source, target, None, self._machine._next[source])
        with self._lock:
            if self._status is not source:  # another thread moved it first: judge again
                source = self._status
                if target is source:
                    return False
                step = steps.get((source, target))
                if step is None:
                    raise IllegalTransition(
                        self.job_id, source, target, None, self._machine._next[source]
                    )
            self._apply(source, target, step, reason, actor, context)
            return True

    def observe(
        self,
        target: Status | int | str,
        *,
        at: datetime | None = None,
        mode: Mode | str = Mode.STRICT,
        reason: str | None = None,
        actor: str | None = None,
        context: Mapping[str, object] | None = None,
        detail: str | None = None,
    ) -> Step:
        """Apply a status observed at ``at`` and say what it did, as a
        :class:`~jobfsm.tracker.Tracker` does: a :class:`~jobfsm.validate.Step` of kind MOVE,
        INFERRED (``skipped`` names the statuses recorded as inferred moves), REPEAT or LATE.

        An observation older than the job's last move (or than its creation, before any move) is
        LATE: it never rewrites the history and changes nothing. One at the same time is not late.
        In polled mode a jump is the chain of declared moves :class:`~jobfsm.validate.Rules`
        infers; every guard of the chain is asked before anything changes, then the moves are
        made one by one, each with its hooks and listeners (a hook that raises stops the chain
        there, as :class:`CallbackError` says). Arguments and errors are those of
        :meth:`advance_to`.

        >>> from jobfsm import JobStatus
        >>> t0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
        >>> job = Job("j-1", JobStatus.WAITING, created_at=t0)
        >>> job.observe("COMPLETED", at=t0 + timedelta(minutes=5), mode="polled").skipped
        (<JobStatus.RUNNING: 8>,)
        >>> job.observe("RUNNING", at=t0 + timedelta(minutes=1), mode="polled").kind
        <StepKind.LATE: 'late'>
        >>> job.time_in_status(now=t0 + timedelta(minutes=9))[JobStatus.WAITING]
        datetime.timedelta(seconds=300)
        """
        if type(target) is not self._machine._kind:
            target = self._machine._kind.parse(target)
        when = None if at is None else _aware(at, "at")
        # Before anything moves: a chain's inferred moves would be made before its last.
        detail = _detail(detail)
        table = Rules.for_lifecycle(self._machine.lifecycle, mode).table
        with self._lock:
            if when is not None and when < self._last_at():
                return LATE
            source = self._status
            step = table[source][target]
            if step is REPEAT:
                return REPEAT
            if step is VIOLATION:
                raise IllegalTransition(
                    self.job_id, source, target, None, self._machine._next[source]
                )
            if not step.skipped:
                self._apply(
                    source,
                    target,
                    self._machine._steps[(source, target)],
                    reason,
                    actor,
                    context,
                    when,
                    detail=_detail(detail),
                )
                return step
            chain = (source, *step.skipped, target)
            edges = [(a, b, self._machine._steps[(a, b)]) for a, b in itertools.pairwise(chain)]
            # Every guard of the chain answers first, so that a refused move changes nothing.
            for a, b, edge in edges:
                self._refusal(a, b, edge, reason, actor, context)
            when = _now() if when is None else when
            last = len(edges) - 1
            for i, (a, b, edge) in enumerate(edges):
                self._apply(
                    a,
                    b,
                    edge,
                    reason,
                    actor,
                    context,
                    when,
                    i < last,
                    guarded=False,
                    detail=_detail(detail) if i == last else None,
                )
            return step

    def fire(
        self,
        event: str,
        *,
        at: datetime | None = None,
        reason: str | None = None,
        actor: str | None = None,
        context: Mapping[str, object] | None = None,
    ) -> Move:
        """Fire a declared event (``job.fire("start")`` is ``job.start()``) and return the move.

        ``at`` is when the move happened (a datetime with a time zone), now by default. A fired
        event is a command, not an observation: one dated before the job's last move is refused
        with :class:`InvalidTime` rather than skipped, since a history never goes back in time.

        Raises:
            UnknownEvent: the lifecycle declares no such event.
            IllegalTransition: the event has no move from the current status.
            GuardRejected: a guard refused the move.
            GuardError: a guard raised instead of answering (the job did not move).
            InvalidArgument: ``reason``, ``actor`` or ``context`` is of the wrong kind.
            InvalidTime: ``at`` is naive, not a datetime, or before the job's last move.
            CallbackError: a hook or listener raised.
        """
        lifecycle = self._machine.lifecycle
        when = None if at is None else _aware(at, "at")
        with self._lock:
            source = self._status
            target = lifecycle.target_of(event, source)
            if target is None:
                raise IllegalTransition(
                    self.job_id, source, None, event, lifecycle.next_map[source]
                )
            if when is not None and when < self._last_at():
                raise InvalidTime(
                    at,
                    f"a time not before the job's last move ({self._last_at().isoformat()})",
                    "at",
                )
            return self._apply(
                source,
                target,
                self._machine._steps[(source, target)],
                reason,
                actor,
                context,
                when,
            )

    def _last_at(self) -> datetime:
        """When the job entered its status: an observation before it is late."""
        return self._history[-1].at if self._history else self._created

    def _refusal(
        self,
        source: Status,
        target: Status,
        step: tuple[Any, Any, Any],
        reason: str | None,
        actor: str | None,
        context: Mapping[str, object] | None,
    ) -> None:
        """Raise unless the arguments are usable and the guards allow ``source → target``."""
        if (reason is not None and type(reason) is not str) or (
            actor is not None and type(actor) is not str
        ):
            _check_notes(reason, actor)
        if context is not None and type(context) is not dict:
            _check_context(context)
        machine = self._machine
        guards = machine.lifecycle._guards.get((source, target))
        if guards:
            edge_event: str = step[0].name
            refusing = _first_refusal(guards, self.job_id, source, target, edge_event, context)
            if refusing is not None:
                raise GuardRejected(
                    self.job_id,
                    source,
                    target,
                    edge_event,
                    machine._next[source],
                    refusing.name,
                    refusing.reason,
                )

    def _apply(
        self,
        source: Status,
        target: Status,
        step: tuple[Any, Any, Any],
        reason: str | None,
        actor: str | None,
        context: Mapping[str, object] | None,
        at: datetime | None = None,
        inferred: bool = False,
        *,
        guarded: bool = True,
        detail: str | None = None,
    ) -> Move:
        # Called with the lock held, for a declared edge. Arguments and guards are judged before
        # anything changes, so a rejected move leaves the job exactly as it was.
        if guarded:
            self._refusal(source, target, step, reason, actor, context)
        machine = self._machine
        t_event, t_step, t_state = step
        edge_event: str = t_event.name
        move = Move(
            source,
            target,
            edge_event,
            _now() if at is None else at,
            reason,
            actor,
            inferred,
            detail,
        )
        try:
            t_step.execute(EventData(t_state, t_event, machine.engine, self, (), {"move": move}))
        except Exception as exc:
            if self._status is source:
                raise CallbackError(self.job_id, source, target, False, [exc]) from exc
            self._record(move)
            errors = [exc, *self._notify(move)]
            raise CallbackError(self.job_id, source, target, True, errors) from exc
        self._record(move)
        if machine._listeners or self._listeners:
            errors = self._notify(move)
            if errors:
                raise CallbackError(self.job_id, source, target, True, errors) from errors[0]
        return move

    def _record(self, move: Move) -> None:
        if self._history is None:
            self._history = [move]
        else:
            self._history.append(move)

    def _notify(self, move: Move) -> list[Exception]:
        errors: list[Exception] = []
        for listener in (*self._machine._listeners, *(self._listeners or ())):
            try:
                listener(self, move)
            except Exception as exc:
                errors.append(exc)
        return errors

    # -- listeners ------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Per job: call ``listener(job, move)`` after every committed move of this job only
        (:meth:`JobMachine.add_listener` on a machine of your own is the machine-wide one).

        >>> from jobfsm import JobStatus
        >>> job = Job("a", JobStatus.WAITING)
        >>> job.add_listener(lambda job, move: print(job.job_id, move.target.name))
        >>> job.start().event
        a RUNNING
        'start'
        >>> Job("b", JobStatus.WAITING).start().event   # another job: not heard
        'start'
        """
        _callable("listener", listener)
        with self._lock:
            if self._listeners is None:
                self._listeners = []
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        with self._lock:
            if self._listeners is None or listener not in self._listeners:
                raise ValueError(f"{listener!r} is not a listener of job {self.job_id}")
            self._listeners.remove(listener)

    # -- snapshots ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe snapshot that :meth:`from_dict` restores.

        >>> snap = Job("j-1").to_dict()
        >>> snap["status"], snap["status_name"], snap["history"]
        (1, 'INIT', [])
        """
        with self._lock:
            return {
                "job_id": self.job_id,
                "status": self._status.reported,
                "status_name": self._status.name,
                "lifecycle": self._machine.lifecycle.name,
                "created_at": self._created.isoformat(),
                "history": [m.to_dict() for m in self._history or ()],
            }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        lifecycle: Lifecycle | None = None,
        machine: JobMachine | None = None,
    ) -> Job:
        """Restore a snapshot, checking that its history is a chain of declared moves.

        Raises:
            SnapshotError: a field is missing or malformed, or the history breaks the lifecycle.
        """
        if not isinstance(data, Mapping):
            raise SnapshotError("<root>", f"expected a mapping, got {type(data).__name__}")
        job_id = _field(data, "job_id", str)
        if not job_id.strip():
            raise SnapshotError(
                "job_id", f"{job_id!r} is blank; expected a job id such as 'train-42'"
            )
        chosen = _snapshot_lifecycle(data, lifecycle, machine)
        statuses = chosen.statuses
        status = _status_field(statuses, data, "status")
        created = _time_field(data, "created_at")
        raw_history = _field(data, "history", list)
        job = cls(
            job_id,
            status,
            lifecycle=chosen if machine is None else None,
            machine=machine,
            created_at=created,
        )
        rules = job.lifecycle
        moves: list[Move] = []
        previous_target: Status | None = None
        previous_at = created
        for i, raw in enumerate(raw_history):
            where = f"history[{i}]"
            if not isinstance(raw, Mapping):
                raise SnapshotError(where, f"expected a mapping, got {type(raw).__name__}")
            source = _status_field(statuses, raw, "source", where)
            target = _status_field(statuses, raw, "target", where)
            event = _field(raw, "event", str, where)
            at = _time_field(raw, "at", where)
            reason = _optional_str(raw, "reason", where)
            actor = _optional_str(raw, "actor", where)
            # Snapshots from before inferred moves were recorded have no such key.
            inferred = raw.get("inferred", False)
            if type(inferred) is not bool:
                raise SnapshotError(
                    f"{where}.inferred", f"expected true or false, got {inferred!r}"
                )
            if previous_target is not None and source != previous_target:
                raise SnapshotError(
                    f"{where}.source",
                    f"{source} does not follow the previous target {previous_target}",
                )
            declared = rules.event_for(source, target)
            if declared is None:
                raise SnapshotError(where, f"{source} → {target} is not a declared move")
            if declared != event:
                raise SnapshotError(
                    f"{where}.event",
                    f"{source} → {target} is declared as {declared!r}, not {event!r}",
                )
            if at < previous_at:
                raise SnapshotError(
                    f"{where}.at", f"{at.isoformat()} is earlier than the move before"
                )
            detail = _optional_str(raw, "detail", where)
            moves.append(Move(source, target, event, at, reason, actor, inferred, detail))
            previous_target, previous_at = target, at
        if previous_target is not None and previous_target != status:
            raise SnapshotError(
                "status", f"{status} is not where the history ends ({previous_target})"
            )
        job._history = moves or None
        return job


def _detail(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidArgument("detail", value, "a secondary phase (a string), or None")


def _snapshot_lifecycle(
    data: Mapping[str, Any], lifecycle: Lifecycle | None, machine: JobMachine | None
) -> Lifecycle:
    """The lifecycle a snapshot is read in: the caller's, else the built-in it names."""
    if machine is not None and isinstance(machine, JobMachine):
        chosen: Lifecycle | None = machine.lifecycle
    else:
        chosen = lifecycle if isinstance(lifecycle, Lifecycle) else None
    named = data.get("lifecycle")
    if chosen is None:
        from jobfsm.lifecycles import builtin

        found = builtin(named) if isinstance(named, str) else None
        return found if found is not None else DEFAULT_LIFECYCLE
    if isinstance(named, str) and named != chosen.name:
        from jobfsm.lifecycles import builtin

        other = builtin(named)
        if other is not None and other.statuses is not chosen.statuses:
            raise SnapshotError(
                "lifecycle",
                f"the snapshot is a {named} job; read it with lifecycle={named!r}, not "
                f"{chosen.name!r}",
            )
    return chosen


def _check_notes(reason: object, actor: object) -> None:
    """Refuse a reason or actor that is not text: the history must stay JSON-safe and loadable."""
    for argument, value in (("reason", reason), ("actor", actor)):
        if value is not None and not isinstance(value, str):
            raise InvalidArgument(argument, value, "a string or None")


def _field(data: Mapping[str, Any], key: str, kind: type, where: str = "") -> Any:
    path = f"{where}.{key}" if where else key
    if key not in data:
        raise SnapshotError(path, "missing")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise SnapshotError(path, f"expected {kind.__name__}, got {value!r}")
    return value


def _optional_str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise SnapshotError(f"{where}.{key}", f"expected a string or null, got {value!r}")
    return value


def _status_field(
    statuses: type[Status], data: Mapping[str, Any], key: str, where: str = ""
) -> Status:
    path = f"{where}.{key}" if where else key
    if key not in data:
        raise SnapshotError(path, "missing")
    try:
        return statuses.parse(data[key])
    except UnknownStatus as exc:
        raise SnapshotError(path, exc.message) from None


def _time_field(data: Mapping[str, Any], key: str, where: str = "") -> datetime:
    text = _field(data, key, str, where)
    path = f"{where}.{key}" if where else key
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise SnapshotError(path, f"{text!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise SnapshotError(path, f"{text!r} has no time zone; snapshots are in UTC")
    return value
