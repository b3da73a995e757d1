"""The declared lifecycle: which moves between job statuses are legal, and why.

ModelArts documents its statuses but not the moves between them. This module declares them once,
as data (:data:`MODELARTS_EVENTS`), and checks the declaration when it is built. The machine, the
validators, the diagrams and the CLI all read a :class:`Lifecycle`; none of them restates it.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, NamedTuple, TypeVar

from jobfsm.errors import (
    CheckFailure,
    GuardError,
    GuardRejected,
    IllegalTransition,
    InvalidArgument,
    InvalidLifecycle,
    TransitionRejected,
    UnknownEvent,
)
from jobfsm.status import JobStatus, _refuse_text
from jobfsm.vocabulary import Outcome, Status

if TYPE_CHECKING:
    from jobfsm.deadlines import Deadlines
    from jobfsm.lifecycles.modelarts_v1 import DEFAULT_LIFECYCLE, MODELARTS_EVENTS

__all__ = [
    "DEFAULT_LIFECYCLE",
    "MODELARTS_EVENTS",
    "Edge",
    "Event",
    "Guard",
    "Lifecycle",
    "MoveRequest",
    "Verdict",
    "VerdictKind",
]


@dataclass(frozen=True)
class Event:
    """One declaration of the table: an event moves a job from any of ``sources`` to ``target``.

    The same event name may be declared more than once (``complete`` from RUNNING, and from KILLING
    when the job finished before the stop landed), each with its own reason.

    >>> Event("start", {JobStatus.WAITING}, JobStatus.RUNNING, "resources granted").edges()
    (Edge(source=<JobStatus.WAITING: 7>, target=<JobStatus.RUNNING: 8>, event='start', ...),)
    """

    name: str
    sources: frozenset[Status]
    target: Status
    reason: str
    #: Where the move is documented (a repository path or URL); empty for a judgment call.
    cite: str = ""

    def __init__(
        self,
        name: str,
        sources: Iterable[Status | int | str],
        target: Status | int | str,
        reason: str,
        cite: str = "",
    ) -> None:
        _refuse_text(sources, "sources")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "sources", frozenset(_member(s) for s in sources))
        object.__setattr__(self, "target", _member(target))
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "cite", cite)

    def edges(self) -> tuple[Edge, ...]:
        """The edges this declaration adds, one per source, in code order."""
        return tuple(
            Edge(s, self.target, self.name, self.reason, self.cite) for s in sorted(self.sources)
        )


@dataclass(frozen=True, order=True)
class Edge:
    """A legal move from ``source`` to ``target``, by ``event``, for ``reason``."""

    source: Status
    target: Status
    event: str
    reason: str
    #: Where the move is documented; empty for a judgment call.
    cite: str = ""


class MoveRequest(NamedTuple):
    """What a guard is shown: the job, the move and any context the caller passed."""

    # A NamedTuple, not a frozen dataclass: one is built for every guarded move, and tuples are
    # several times cheaper to create.
    job_id: str | None
    source: Status
    target: Status
    event: str
    context: Mapping[str, object]


@dataclass(frozen=True)
class Guard:
    """A named condition on moves. When ``check`` returns False the move is refused with ``reason``.

    A guard applies to moves fired by one of ``events`` or entering one of ``targets``; with
    neither given it applies to every move.

    >>> g = Guard("quota", lambda m: m.context.get("gpus", 0) <= 8, "at most 8 GPUs",
    ...           targets={JobStatus.RUNNING})
    >>> g.applies_to("start", JobStatus.RUNNING)
    True
    """

    name: str
    check: Callable[[MoveRequest], bool]
    reason: str
    events: frozenset[str] = frozenset()
    targets: frozenset[Status] = frozenset()

    def __init__(
        self,
        name: str,
        check: Callable[[MoveRequest], bool],
        reason: str,
        *,
        events: Iterable[str] = (),
        targets: Iterable[Status | int | str] = (),
    ) -> None:
        if not callable(check):
            raise InvalidArgument("check", check, "a callable check(move) returning True or False")
        _refuse_text(events, "events", "event names")
        _refuse_text(targets, "targets")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "check", check)
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "events", frozenset(events))
        object.__setattr__(self, "targets", frozenset(_member(t) for t in targets))

    def applies_to(self, event: str, target: Status) -> bool:
        """True when this guard judges a move fired by ``event`` into ``target``."""
        if not self.events and not self.targets:
            return True
        return event in self.events or target in self.targets


class VerdictKind(enum.Enum):
    """The answer to "may a job move from A to B?"."""

    LEGAL = "legal"
    SAME_STATUS = "same status"
    UNDECLARED = "undeclared"
    FROM_TERMINAL = "from a terminal status"
    GUARD_REJECTED = "rejected by guard"


@dataclass(frozen=True)
class Verdict:
    """A structured, side-effect-free judgment of one move (see :meth:`Lifecycle.explain`)."""

    source: Status
    target: Status
    kind: VerdictKind
    allowed: frozenset[Status]
    event: str | None = None
    reason: str | None = None
    guard: str | None = None

    @property
    def legal(self) -> bool:
        """True when the move would be applied (or is a repeat of the current status)."""
        return self.kind in (VerdictKind.LEGAL, VerdictKind.SAME_STATUS)

    def error(self, job_id: str | None = None) -> TransitionRejected | None:
        """The exception a job raises for this verdict, or None when the move is legal."""
        if self.kind is VerdictKind.GUARD_REJECTED:
            assert self.guard is not None
            assert self.reason is not None
            return GuardRejected(
                job_id, self.source, self.target, self.event, self.allowed, self.guard, self.reason
            )
        if self.legal:
            return None
        return IllegalTransition(job_id, self.source, self.target, self.event, self.allowed)

    def __str__(self) -> str:
        err = self.error()
        if err is not None:
            return err.message
        move = f"{self.source} → {self.target}"
        if self.kind is VerdictKind.SAME_STATUS:
            return f"{move}: same status, not a move"
        return f"{move}: legal by {self.event!r} ({self.reason})"


# Each check takes the declaration and returns the statuses that break its rule, with a detail.
Check = Callable[["Lifecycle"], tuple[set[Status], str]]


def _member(value: object) -> Status:
    """A status as declarations take it: a member of any vocabulary as it is, anything else read
    as a v1 status (the default vocabulary)."""
    if isinstance(value, Status):
        return value
    return JobStatus.parse(value)


def _reachable(
    nexts: Mapping[Status, frozenset[Status]],
    start: Status,
    avoid: frozenset[Status] = frozenset(),
) -> set[Status]:
    seen = {start}
    todo = deque([start])
    while todo:
        for nxt in nexts.get(todo.popleft(), frozenset()):
            if nxt not in seen and nxt not in avoid:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def check_every_status_present(lc: Lifecycle) -> tuple[set[Status], str]:
    """Every status of the vocabulary appears in some declared edge."""
    used = {e.source for e in lc.edges} | {e.target for e in lc.edges}
    return set(lc.statuses) - used, "statuses missing from every declared edge"


def check_one_vocabulary(lc: Lifecycle) -> tuple[set[Status], str]:
    """Every declared status belongs to the lifecycle's vocabulary."""
    used = {e.source for e in lc.edges} | {e.target for e in lc.edges} | {lc.initial}
    used |= {t for g in lc.guards for t in g.targets}
    if lc.gap is not None:
        used.add(lc.gap)
    return {s for s in used if type(s) is not lc.statuses}, (
        f"statuses that are not {lc.statuses.vocabulary.name} statuses"
    )


def check_initial_is_declared(lc: Lifecycle) -> tuple[set[Status], str]:
    """A new job starts in the vocabulary's initial status (INIT for ModelArts v1)."""
    start = lc.statuses.vocabulary.initial
    bad: set[Status] = {lc.initial} if lc.initial is not start else set()
    return bad, f"the initial status must be {start.name}"


def check_all_reachable(lc: Lifecycle) -> tuple[set[Status], str]:
    """Every status can be reached from the initial status by real moves.

    The gap status (v1's UNKNOWN) may lead anywhere (it is an observation gap, not a step of the
    job), so a status that is reachable only through it counts as unreachable.
    """
    gap = frozenset() if lc.gap is None else frozenset({lc.gap})
    reached = _reachable(lc.next_map, lc.initial, gap)
    missing: set[Status] = set(lc.statuses) - reached - gap
    if lc.gap is not None and lc.gap not in _reachable(lc.next_map, lc.initial):
        missing.add(lc.gap)
    through = f" without passing through {lc.gap.name}" if lc.gap is not None else ""
    return missing, f"unreachable from {lc.initial.name}{through}"


def check_active_can_terminate(lc: Lifecycle) -> tuple[set[Status], str]:
    """Every active status reaches a terminal status without passing through the gap status."""
    avoid = frozenset() if lc.gap is None else frozenset({lc.gap})
    stuck = {
        s
        for s in lc.statuses
        if s.is_active and not any(r.is_terminal for r in _reachable(lc.next_map, s, avoid))
    }
    through = f" without {lc.gap.name}" if lc.gap is not None else ""
    return stuck, f"active statuses that cannot reach a terminal status{through}"


def check_terminal_has_no_exit(lc: Lifecycle) -> tuple[set[Status], str]:
    """Nothing leaves a terminal status: a re-run is a new job."""
    return {e.source for e in lc.edges if e.source.is_terminal}, "edges leave terminal statuses"


def check_one_event_per_pair(lc: Lifecycle) -> tuple[set[Status], str]:
    """At most one event (and one declaration) per (source, target) pair."""
    seen: set[tuple[Status, Status]] = set()
    dup: set[Status] = set()
    for e in lc.declared_edges:
        key = (e.source, e.target)
        if key in seen:
            dup |= {e.source, e.target}
        seen.add(key)
    return dup, "(source, target) pairs declared more than once"


def check_events_deterministic(lc: Lifecycle) -> tuple[set[Status], str]:
    """From one status, firing one event leads to one target."""
    seen: dict[tuple[str, Status], Status] = {}
    bad: set[Status] = set()
    for e in lc.declared_edges:
        first = seen.setdefault((e.event, e.source), e.target)
        if first != e.target:
            bad.add(e.source)
    return bad, "an event leads to two different targets from these statuses"


def check_no_self_loops(lc: Lifecycle) -> tuple[set[Status], str]:
    """A repeated status is not a move, so no edge returns to its source."""
    return {e.source for e in lc.edges if e.source == e.target}, "edges return to their source"


def check_event_names(lc: Lifecycle) -> tuple[set[Status], str]:
    """Event names are Python identifiers, so that ``job.<event>()`` can fire them."""
    bad = {e.source for e in lc.declared_edges if not e.event.isidentifier() or e.event[0] == "_"}
    return bad, "events leaving these statuses have names that are not public identifiers"


CHECKS: Final[tuple[Check, ...]] = (
    check_one_vocabulary,
    check_every_status_present,
    check_initial_is_declared,
    check_all_reachable,
    check_active_can_terminate,
    check_terminal_has_no_exit,
    check_one_event_per_pair,
    check_events_deterministic,
    check_no_self_loops,
    check_event_names,
)


class _Start(enum.Enum):
    """The default initial status: the one the vocabulary declares (None is refused as a value)."""

    VOCABULARY = "the vocabulary's initial status"


class Lifecycle:
    """A checked, immutable lifecycle declaration and the pure queries on it.

    Build a variant with :meth:`with_events`, :meth:`without_edges` or :meth:`with_guards`; each
    returns a new lifecycle that passes the same checks or raises :class:`InvalidLifecycle`.

    >>> from jobfsm import DEFAULT_LIFECYCLE as lc
    >>> lc.can_transition(JobStatus.WAITING, JobStatus.RUNNING)
    True
    >>> lc.event_for(JobStatus.RUNNING, JobStatus.COMPLETED)
    'complete'
    >>> lc.explain(JobStatus.COMPLETED, JobStatus.RUNNING).kind
    <VerdictKind.FROM_TERMINAL: 'from a terminal status'>
    """

    def __init__(
        self,
        events: Iterable[Event],
        *,
        guards: Iterable[Guard] = (),
        initial: Status | int | str | _Start = _Start.VOCABULARY,
        name: str = "custom",
        statuses: type[Status] = JobStatus,
        description: str = "",
        source: str = "",
        main_path: Iterable[Status | int | str] = (),
        limits: Deadlines | None = None,
    ) -> None:
        if not (isinstance(statuses, type) and issubclass(statuses, Status)):
            raise InvalidArgument("statuses", statuses, "a status enum such as jobfsm.Status")
        self.name = name
        #: What the lifecycle models, in a sentence; shown in reports and listings.
        self.description = description
        #: Where it was read from: a built-in's module, or the file it was loaded from.
        self.source = source
        #: The status vocabulary this lifecycle is declared over (an enum class).
        self.statuses: type[Status] = statuses
        vocab = statuses.vocabulary
        #: The status a poller reports when the platform could not say (a gap in observation).
        self.gap: Status | None = vocab.gap
        self.events: tuple[Event, ...] = _all_of(Event, events, "events")
        self.guards: tuple[Guard, ...] = _all_of(Guard, guards, "guards")
        self.initial: Status = (
            vocab.initial if initial is _Start.VOCABULARY else self.parse(initial)
        )
        self.declared_edges: tuple[Edge, ...] = tuple(e for ev in self.events for e in ev.edges())
        by_pair: dict[tuple[int, int], Edge] = {
            (e.source, e.target): e for e in self.declared_edges
        }
        self.edges: tuple[Edge, ...] = tuple(sorted(by_pair.values()))
        self._edge = by_pair
        self._pairs: frozenset[tuple[int, int]] = frozenset(by_pair)
        # Every pair of statuses, declared or not, as a row per source: can_transition answers
        # with two int-keyed lookups (no pair tuple to build and hash), and anything that is not a
        # key (not a status) takes the path that names it.
        self._declared: dict[object, dict[object, bool]] = {
            a: {b: (a, b) in by_pair for b in statuses} for a in statuses
        }
        nexts: dict[Status, set[Status]] = {s: set() for s in statuses}
        fires: dict[str, dict[Status, Status]] = {}
        for e in self.edges:
            nexts[e.source].add(e.target)
            fires.setdefault(e.event, {})[e.source] = e.target
        self.next_map: Mapping[Status, frozenset[Status]] = MappingProxyType(
            {s: frozenset(t) for s, t in nexts.items()}
        )
        self._fires = fires
        self.event_names: tuple[str, ...] = tuple(sorted(fires))
        # Guards are resolved per edge once, so a move looks up its guards instead of filtering.
        self._guards: dict[tuple[Status, Status], tuple[Guard, ...]] = {}
        for e in self.edges:
            applicable = tuple(g for g in self.guards if g.applies_to(e.event, e.target))
            if applicable:
                self._guards[(e.source, e.target)] = applicable
        self._check()
        _refuse_text(main_path, "main_path")
        spine = tuple(self.parse(s) for s in main_path)
        if not spine:
            spine = self._default_main_path()
        #: The way most jobs go, drawn as the straight spine of the lifecycle's picture.
        self.main_path: tuple[Status, ...] = spine
        #: How long a job may stay in some statuses, and what to do when it overstays
        #: (:class:`~jobfsm.deadlines.Deadlines`); None when the lifecycle declares none.
        self.limits: Deadlines | None = self._limits(limits)

    def _limits(self, limits: object) -> Deadlines | None:
        if limits is None:
            return None
        from jobfsm.deadlines import Deadlines, _check_for

        if isinstance(limits, Deadlines):
            _check_for(limits, self.statuses)
            # Rebuilt with this lifecycle, which checks each action's move is declared.
            return Deadlines(
                limits.limits,
                limits.actions,
                lifecycle=self,
                samples=limits.samples,
                percentile=limits.percentile,
            )
        raise InvalidArgument("limits", limits, "a jobfsm.deadlines.Deadlines, or None")

    def _default_main_path(self) -> tuple[Status, ...]:
        """The shortest chain from the initial status to a succeeding one, else to any terminal."""
        ends = sorted(self.terminal, key=lambda s: (s.outcome is not Outcome.SUCCEEDED, s))
        for end in ends:
            chain = self.shortest_path(self.initial, end)
            if chain:
                return chain
        return (self.initial,)

    def _check(self) -> None:
        failures = []
        for check in CHECKS:
            bad, detail = check(self)
            if bad:
                failures.append(CheckFailure(check.__name__.removeprefix("check_"), bad, detail))
        unknown_guard_events = {ev for g in self.guards for ev in g.events} - set(self._fires)
        if unknown_guard_events:
            failures.append(
                CheckFailure(
                    "guards_name_declared_events",
                    (),
                    f"guards name undeclared events {sorted(unknown_guard_events)}",
                )
            )
        if failures:
            raise InvalidLifecycle(failures)

    def __repr__(self) -> str:
        return (
            f"<Lifecycle {self.name!r}: {len(self.edges)} edges, {len(self.event_names)} events, "
            f"{len(self.guards)} guards>"
        )

    # -- pure queries ---------------------------------------------------------------------------

    def parse(self, value: object) -> Status:
        """``value`` read as one of this lifecycle's statuses (codes, names, aliases).

        Raises:
            UnknownStatus: ``value`` is none of them.
        """
        return self.statuses.parse(value)

    @property
    def terminal(self) -> frozenset[Status]:
        """The statuses nothing leaves."""
        return frozenset(s for s in self.statuses if s.is_terminal)

    # Every query takes statuses as JobStatus.parse reads them (codes, names) and raises
    # UnknownStatus for anything else.

    def can_transition(self, source: Status | int | str, target: Status | int | str) -> bool:
        """True when ``source → target`` is a declared edge (guards are not consulted).

        Raises:
            UnknownStatus: either value is not a status.
        """
        try:
            return self._declared[source][target]
        except (KeyError, TypeError):
            return (self.parse(source), self.parse(target)) in self._pairs

    def allowed_next(self, source: Status | int | str) -> frozenset[Status]:
        """The statuses a job in ``source`` may move to."""
        return self.next_map[self.parse(source)]

    def edge(self, source: Status | int | str, target: Status | int | str) -> Edge | None:
        """The declared edge ``source → target``, or None."""
        kind = self.statuses
        if type(source) is not kind or type(target) is not kind:
            source, target = self.parse(source), self.parse(target)
        return self._edge.get((source, target))

    def event_for(self, source: Status | int | str, target: Status | int | str) -> str | None:
        """The event that declares ``source → target``, or None when the move is undeclared."""
        edge = self.edge(source, target)
        return edge.event if edge is not None else None

    def target_of(self, event: str, source: Status | int | str) -> Status | None:
        """Where ``event`` leads from ``source``; None when it has no move from there.

        Raises:
            UnknownEvent: when the lifecycle declares no event of that name.
        """
        targets = self._fires.get(event)
        if targets is None:
            raise UnknownEvent(event, self._fires)
        if type(source) is not self.statuses:
            source = self.parse(source)
        return targets.get(source)

    def guards_for(
        self, source: Status | int | str, target: Status | int | str
    ) -> tuple[Guard, ...]:
        """The guards that judge ``source → target``, in declaration order."""
        return self._guards.get((self.parse(source), self.parse(target)), ())

    def explain(
        self,
        source: Status | int | str,
        target: Status | int | str,
        *,
        job_id: str | None = None,
        context: Mapping[str, object] | None = None,
    ) -> Verdict:
        """Judge ``source → target`` without side effects, guards included.

        Raises:
            UnknownStatus: ``source`` or ``target`` is not a status.
            GuardError: a guard raised instead of answering.
            InvalidArgument: ``context`` is not a mapping.

        >>> from jobfsm import DEFAULT_LIFECYCLE
        >>> print(DEFAULT_LIFECYCLE.explain(JobStatus.RUNNING, JobStatus.WAITING))
        cannot move RUNNING(8) → WAITING(7); from RUNNING the allowed moves are: UNKNOWN(0), ...
        """
        source, target = self.parse(source), self.parse(target)
        if context is not None:
            _check_context(context)
        allowed = self.next_map[source]
        if source == target:
            return Verdict(source, target, VerdictKind.SAME_STATUS, allowed)
        edge = self._edge.get((source, target))
        if edge is None:
            kind = VerdictKind.FROM_TERMINAL if source.is_terminal else VerdictKind.UNDECLARED
            return Verdict(source, target, kind, allowed)
        guards = self._guards.get((source, target))
        if guards:
            refusing = _first_refusal(guards, job_id, source, target, edge.event, context)
            if refusing is not None:
                return Verdict(
                    source,
                    target,
                    VerdictKind.GUARD_REJECTED,
                    allowed,
                    edge.event,
                    refusing.reason,
                    refusing.name,
                )
        return Verdict(source, target, VerdictKind.LEGAL, allowed, edge.event, edge.reason)

    def shortest_path(
        self,
        source: Status | int | str,
        target: Status | int | str,
        *,
        avoid: Iterable[Status | int | str] | None = None,
    ) -> tuple[Status, ...] | None:
        """A shortest chain of declared moves from ``source`` to ``target``, both included.

        Intermediate statuses never include ``avoid`` (by default the gap status) and never a
        terminal status. Returns None when
        no such chain exists; ``(source,)`` when they are equal.

        >>> from jobfsm import DEFAULT_LIFECYCLE
        >>> DEFAULT_LIFECYCLE.shortest_path(JobStatus.WAITING, JobStatus.COMPLETED)
        (<JobStatus.WAITING: 7>, <JobStatus.RUNNING: 8>, <JobStatus.COMPLETED: 10>)
        """
        source, target = self.parse(source), self.parse(target)
        if source == target:
            return (source,)
        if avoid is None:
            banned: frozenset[Status] = frozenset() if self.gap is None else frozenset({self.gap})
        else:
            _refuse_text(avoid, "avoid")
            banned = frozenset(self.parse(s) for s in avoid)
        parent: dict[Status, Status] = {source: source}
        todo = deque([source])
        while todo:
            here = todo.popleft()
            for nxt in sorted(self.next_map[here]):
                if nxt in parent:
                    continue
                if nxt == target:
                    path = [target, here]
                    while path[-1] != source:
                        path.append(parent[path[-1]])
                    return tuple(reversed(path))
                if nxt in banned or nxt.is_terminal:
                    continue
                parent[nxt] = here
                todo.append(nxt)
        return None

    # -- variants -------------------------------------------------------------------------------

    def with_events(self, *events: Event, name: str | None = None) -> Lifecycle:
        """A new lifecycle with ``events`` declared in addition."""
        return self._variant(self.events + events, self.guards, name)

    def without_edges(
        self, *pairs: tuple[Status | int | str, Status | int | str], name: str | None = None
    ) -> Lifecycle:
        """A new lifecycle with the given ``(source, target)`` edges removed."""
        drop = {(self.parse(a), self.parse(b)) for a, b in pairs}
        missing = drop - set(self._pairs)
        if missing:
            raise InvalidLifecycle(
                [
                    CheckFailure(
                        "removed_edges_declared",
                        {s for pair in missing for s in pair},
                        f"cannot remove undeclared edges {sorted(missing)}",
                    )
                ]
            )
        kept: list[Event] = []
        for ev in self.events:
            sources = {s for s in ev.sources if (s, ev.target) not in drop}
            if sources:
                kept.append(Event(ev.name, sources, ev.target, ev.reason, cite=ev.cite))
        return self._variant(tuple(kept), self.guards, name)

    def with_guards(self, *guards: Guard, name: str | None = None) -> Lifecycle:
        """A new lifecycle with ``guards`` added after the existing ones."""
        return self._variant(self.events, self.guards + guards, name)

    def _variant(
        self, events: tuple[Event, ...], guards: tuple[Guard, ...], name: str | None
    ) -> Lifecycle:
        return Lifecycle(
            events,
            guards=guards,
            initial=self.initial,
            name=name or self.name,
            statuses=self.statuses,
            description=self.description,
            source=self.source,
            main_path=self.main_path,
            limits=self.limits,
        )


_T = TypeVar("_T")


def _all_of(kind: type[_T], items: object, argument: str) -> tuple[_T, ...]:
    """``items`` as a tuple, each one a ``kind``: a declaration of the wrong kind is named here,
    not met later as an AttributeError deep in the table's construction."""
    if not isinstance(items, Iterable) or isinstance(items, (str, bytes)):
        raise InvalidArgument(argument, items, f"a list of {kind.__name__} objects")
    found = tuple(items)
    for item in found:
        if not isinstance(item, kind):
            raise InvalidArgument(
                argument, item, f"{kind.__name__} objects (jobfsm.{kind.__name__}(...))"
            )
    return found


def _check_context(context: object) -> None:
    """Refuse a context that is not a mapping: guards read it with ``context.get(...)``."""
    if not isinstance(context, Mapping):
        raise InvalidArgument("context", context, "a mapping such as {'gpus': 8}, or None")


def _first_refusal(
    guards: Iterable[Guard],
    job_id: str | None,
    source: Status,
    target: Status,
    event: str,
    context: Mapping[str, object] | None,
) -> Guard | None:
    """The first of ``guards`` that refuses the move, or None when all allow it.

    The one guard judgment of :meth:`Lifecycle.explain` and of a :class:`~jobfsm.machine.Job`'s
    moves.

    Raises:
        GuardError: a guard raised instead of answering.
    """
    request = MoveRequest(job_id, source, target, event, context or {})
    for guard in guards:
        try:
            allowed = guard.check(request)
        except Exception as exc:
            raise GuardError(job_id, guard.name, source, target, event, exc) from exc
        if not allowed:
            return guard
    return None


def _as_lifecycle(value: object, argument: str = "lifecycle") -> Lifecycle:
    """``value``, refused with InvalidArgument unless it is a :class:`Lifecycle`."""
    if not isinstance(value, Lifecycle):
        raise InvalidArgument(argument, value, "a Lifecycle such as DEFAULT_LIFECYCLE")
    return value


def __getattr__(name: str) -> object:
    # The built-in declarations live in jobfsm.lifecycles; they are re-exported here, where they
    # were first declared, without importing them before Lifecycle exists.
    if name in ("DEFAULT_LIFECYCLE", "MODELARTS_EVENTS"):
        from jobfsm.lifecycles import modelarts_v1

        return getattr(modelarts_v1, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
