"""Judge observed status histories against a lifecycle, strictly or as a poller sees them.

Two modes:

- ``strict``: every change of status must be a declared edge.
- ``polled``: a poller (the ModelArts API is polled every 10 s or more) misses statuses, so a jump
  is accepted when a chain of declared moves connects the two statuses. The statuses a shortest
  such chain passes through are reported as skipped. Inferred chains never pass through UNKNOWN (a
  gap in reporting, not a step of the job) and never through a terminal status, so nothing is ever
  inferred to have left a terminal status.

In both modes a repeated status is not a move, and a rejected observation changes nothing: the
next observation is judged from the last accepted status, as :class:`~jobfsm.Job` does. Guards are
not consulted: an observed history says what happened, not what a caller's context allowed.

Every ``(source, target)`` pair is judged once per lifecycle and mode (:class:`Rules`), so judging
an observation is one tuple index.

>>> report = validate_history(["INIT", "SUBMIT_TRYING", "WAITING", "COMPLETED"], "polled")
>>> report.ok, report.final
(True, <JobStatus.COMPLETED: 10>)
>>> report.inferred[0].skipped
(<JobStatus.RUNNING: 8>,)
>>> print(validate_history([7, 8, 7]).violations[0])
#3: cannot move RUNNING(8) → WAITING(7); from RUNNING the allowed moves are: UNKNOWN(0), ...
"""

from __future__ import annotations

import enum
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from jobfsm.errors import IllegalTransition, UnknownMode
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle, VerdictKind, _as_lifecycle
from jobfsm.status import _refuse_text
from jobfsm.vocabulary import Status

__all__ = [
    "FIRST",
    "LATE",
    "REPEAT",
    "VIOLATION",
    "HistoryReport",
    "Inference",
    "Mode",
    "Rules",
    "Step",
    "StepKind",
    "Violation",
    "validate_history",
]


class Mode(str, enum.Enum):
    """How strictly an observed history is judged.

    >>> Mode.parse("Polled")
    <Mode.POLLED: 'polled'>
    """

    STRICT = "strict"
    POLLED = "polled"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: Mode | str) -> Mode:
        """A mode from a :class:`Mode` or its name in any case.

        Raises:
            UnknownMode: naming the value and the accepted modes (also a ValueError).
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        raise UnknownMode(value, [m.value for m in cls])


class StepKind(enum.Enum):
    """What one observation does to the status it is judged from.

    :class:`Rules` only ever yields REPEAT, MOVE, INFERRED and VIOLATION. A
    :class:`~jobfsm.tracker.Tracker` adds FIRST (the observation that starts tracking a job) and
    LATE (an observation older than the job's last accepted one, which is not applied), and so
    do a :class:`~jobfsm.machine.Job` and a store given observed times.
    """

    REPEAT = "repeat"
    MOVE = "move"
    INFERRED = "inferred"
    VIOLATION = "violation"
    FIRST = "first"
    LATE = "late"

    @property
    def accepted(self) -> bool:
        """True when the observation was applied (the job is now in the observed status)."""
        return self in _ACCEPTED


_ACCEPTED = frozenset({StepKind.REPEAT, StepKind.MOVE, StepKind.INFERRED, StepKind.FIRST})


class Step(NamedTuple):
    """The judgment of one ``source → target`` observation.

    Attributes:
        kind: what the observation does.
        skipped: for INFERRED, the statuses a shortest legal chain passes through; else ``()``.
        event: for MOVE, the declared event; else None.
    """

    kind: StepKind
    skipped: tuple[Status, ...]
    event: str | None


#: The one REPEAT step: every table holds this object, so hot loops may test ``step is REPEAT``.
REPEAT: Step = Step(StepKind.REPEAT, (), None)
#: The one VIOLATION step, shared the same way.
VIOLATION: Step = Step(StepKind.VIOLATION, (), None)
#: The step of an observation that starts tracking a job (see :class:`~jobfsm.tracker.Tracker`).
FIRST: Step = Step(StepKind.FIRST, (), None)
#: The step of an observation older than the job's last one, which is not applied: what a
#: :class:`~jobfsm.tracker.Tracker`, :meth:`Job.observe <jobfsm.machine.Job.observe>` and a
#: store's moves return for it.
LATE: Step = Step(StepKind.LATE, (), None)


def _judge(lifecycle: Lifecycle, mode: Mode, source: Status, target: Status) -> Step:
    if source is target:
        return REPEAT
    event = lifecycle.event_for(source, target)
    if event is not None:
        return Step(StepKind.MOVE, (), event)
    if mode is Mode.POLLED:
        path = lifecycle.shortest_path(source, target)
        if path is not None:
            return Step(StepKind.INFERRED, path[1:-1], None)
    return VIOLATION


class Rules:
    """Every ``(source, target)`` pair judged once, in advance, for one lifecycle and mode.

    ``table[source][target]`` is the :class:`Step` for that pair, indexed by status code, for loops
    that judge millions of observations. Rules are immutable; share them with
    :meth:`for_lifecycle`.

    >>> from jobfsm import JobStatus
    >>> rules = Rules.for_lifecycle(DEFAULT_LIFECYCLE, "polled")
    >>> rules.step(JobStatus.WAITING, JobStatus.COMPLETED)
    Step(kind=<StepKind.INFERRED: 'inferred'>, skipped=(<JobStatus.RUNNING: 8>,), event=None)
    >>> rules.table[7][8].event
    'start'
    """

    _shared: ClassVar[weakref.WeakKeyDictionary[Lifecycle, dict[Mode, Rules]]] = (
        weakref.WeakKeyDictionary()
    )
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self, lifecycle: Lifecycle = DEFAULT_LIFECYCLE, mode: Mode | str = Mode.STRICT
    ) -> None:
        self.lifecycle = _as_lifecycle(lifecycle)
        self.mode = Mode.parse(mode)
        # A code is its own row and column index; a code no status has (a vocabulary may leave
        # holes) is never looked up.
        by_code = {int(s): s for s in lifecycle.statuses}
        size = max(by_code, default=-1) + 1
        self.table: tuple[tuple[Step, ...], ...] = tuple(
            tuple(
                _judge(lifecycle, self.mode, by_code[a], by_code[b])
                if a in by_code and b in by_code
                else VIOLATION
                for b in range(size)
            )
            for a in range(size)
        )

    def __repr__(self) -> str:
        return f"<Rules {self.lifecycle.name!r} {self.mode.value}>"

    @classmethod
    def for_lifecycle(
        cls, lifecycle: Lifecycle = DEFAULT_LIFECYCLE, mode: Mode | str = Mode.STRICT
    ) -> Rules:
        """The rules shared by every user of ``lifecycle`` in ``mode`` (built on first use)."""
        mode = Mode.parse(mode)
        if type(lifecycle) is not Lifecycle:
            _as_lifecycle(lifecycle)  # before it meets the weak dictionary, which can't say why
        by_mode = cls._shared.get(lifecycle)
        rules = by_mode.get(mode) if by_mode is not None else None
        if rules is None:
            with cls._shared_lock:
                by_mode = cls._shared.setdefault(lifecycle, {})
                rules = by_mode.get(mode)
                if rules is None:
                    rules = by_mode[mode] = cls(lifecycle, mode)
        return rules

    def step(self, source: Status | int, target: Status | int) -> Step:
        """The judgment of observing ``target`` while the job is in ``source``.

        Raises:
            UnknownStatus: either value is not a status code.
        """
        kind = self.lifecycle.statuses
        if type(source) is not kind:
            source = kind.parse(source)
        if type(target) is not kind:
            target = kind.parse(target)
        return self.table[source][target]

    def walk(self, statuses: Sequence[Status]) -> Iterator[tuple[int, Status, Step]]:
        """Judge one job's statuses in order: ``(index, source, step)`` per judged observation.

        The first status is where observation began and is not judged; each later one is judged
        from ``source``, the last accepted status. A status equal to the observation just before
        it is a repeat and is skipped, whatever its verdict was, so a refused status that keeps
        being reported is judged once. Steps are never REPEAT: a status equal to ``source`` is
        skipped too.

        >>> from jobfsm import JobStatus
        >>> rules, seen = Rules(mode="strict"), [JobStatus(c) for c in (8, 7, 7, 10)]
        >>> [(i, src.name, step.kind.value) for i, src, step in rules.walk(seen)]
        [(1, 'RUNNING', 'violation'), (3, 'RUNNING', 'move')]
        """
        if not statuses:
            return
        table = self.table
        current = before = statuses[0]
        for index in range(1, len(statuses)):
            target = statuses[index]
            if target is before:
                continue  # a repeat of the observation before, whatever its verdict was
            before = target
            step = table[current][target]
            if step is REPEAT:
                continue
            yield index, current, step
            if step is not VIOLATION:
                current = target

    def violation(self, index: int, source: Status, target: Status) -> Violation:
        """The :class:`Violation` for a rejected ``source → target`` observation at ``index``."""
        return Violation(
            index,
            source,
            target,
            self.lifecycle.next_map[source],
            VerdictKind.FROM_TERMINAL if source.is_terminal else VerdictKind.UNDECLARED,
            self.mode,
        )


@dataclass(frozen=True)
class Violation:
    """An observation the rules reject; the job stays in ``source``.

    Its str, for people, counts positions from 1 (``#3`` is the third status); ``index`` and
    ``to_dict()["index"]`` count from 0, as Python does.

    Attributes:
        index: position of the offending (target) status in the input, from 0.
        source: the last accepted status.
        target: the status observed.
        allowed: the declared moves from ``source``.
        kind: UNDECLARED, or FROM_TERMINAL when ``source`` is terminal.
        mode: the mode that judged it.
    """

    index: int
    source: Status
    target: Status
    allowed: frozenset[Status]
    kind: VerdictKind
    mode: Mode = Mode.STRICT

    def __str__(self) -> str:
        text = IllegalTransition(None, self.source, self.target, None, self.allowed).message
        if self.mode is Mode.POLLED and self.kind is VerdictKind.UNDECLARED:
            text += f"; no chain of declared moves leads from {self.source.name} to it"
        return f"#{self.index + 1}: {text}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form (statuses as codes, with names alongside); ``index`` counts from 0, the
        ``message`` for people from 1."""
        return {
            "index": self.index,
            "source": self.source.reported,
            "source_name": self.source.name,
            "target": self.target.reported,
            "target_name": self.target.name,
            "allowed": [s.reported for s in sorted(self.allowed)],
            "kind": self.kind.name.lower(),
            "message": str(self),
        }


@dataclass(frozen=True)
class Inference:
    """A jump accepted in polled mode, and the statuses that must have been missed.

    Its str counts positions from 1, as :class:`Violation`'s does; ``index`` counts from 0.

    Attributes:
        index: position of the target status in the input, from 0.
        source: the last accepted status.
        target: the status observed.
        skipped: the statuses in between on a shortest legal chain, in order.
    """

    index: int
    source: Status
    target: Status
    skipped: tuple[Status, ...]

    def __str__(self) -> str:
        between = " → ".join(str(s) for s in self.skipped)
        return f"#{self.index + 1}: {self.source} → {self.target} inferred via {between}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form (statuses as codes)."""
        return {
            "index": self.index,
            "source": self.source.reported,
            "target": self.target.reported,
            "skipped": [s.reported for s in self.skipped],
        }


@dataclass(frozen=True)
class HistoryReport:
    """The judgment of one observed history.

    Attributes:
        mode: the mode that judged it.
        statuses: every observed status, parsed, in input order (rejected ones included).
        violations: the rejected observations, in order.
        inferred: the accepted jumps (polled mode), in order.
        final: the last accepted status; None for an empty history.
    """

    mode: Mode
    statuses: tuple[Status, ...]
    violations: tuple[Violation, ...]
    inferred: tuple[Inference, ...]
    #: The last accepted status; None for an empty history.
    final: Status | None

    @property
    def ok(self) -> bool:
        """True when no observation was rejected."""
        return not self.violations

    def __str__(self) -> str:
        final = self.final
        head = (
            f"{len(self.statuses)} statuses, {self.mode.value} mode: "
            + ("conforms" if self.ok else f"{len(self.violations)} violation(s)")
            + (f"; final status {final}" if final is not None else "; empty")
        )
        if final is not None and final.outcome is not None:
            head += f" ({final.outcome.value})"
        lines = [head]
        lines += [f"  violation {v}" for v in self.violations]
        lines += [f"  inferred {i}" for i in self.inferred]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form.

        >>> validate_history([1, 4]).to_dict()["final"]
        4
        """
        final = self.final
        return {
            "mode": self.mode.value,
            "ok": self.ok,
            "statuses": [s.reported for s in self.statuses],
            "final": final.reported if final is not None else None,
            "final_name": final.name if final is not None else None,
            "violations": [v.to_dict() for v in self.violations],
            "inferred": [i.to_dict() for i in self.inferred],
        }


def validate_history(
    statuses: Iterable[Status | int | str],
    mode: Mode | str = Mode.STRICT,
    *,
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
) -> HistoryReport:
    """Judge an observed sequence of statuses, oldest first.

    The first status is where observation began (any status); each later one is judged from the
    last accepted status. A rejected observation is reported and otherwise ignored, so one stray
    status yields exactly one violation. A status equal to the observation just before it is a
    repeat, never judged twice: a poller that keeps reporting a refused status is one violation.

    Args:
        statuses: codes, names (anything the lifecycle's ``parse`` accepts) or statuses.
        mode: ``"strict"`` or ``"polled"`` (see the module docs).
        lifecycle: the rules; the ModelArts lifecycle by default.

    Raises:
        UnknownStatus: an element is not a status.
        InvalidArgument: ``statuses`` is a single string or bytes, not a list of statuses.
        UnknownMode: ``mode`` is not a mode (also a ValueError).

    >>> validate_history([8, 7]).ok
    False
    >>> validate_history(["WAITING", "WAITING", "RUNNING"]).ok
    True
    >>> [v.index for v in validate_history([8, 7, 7, 7, 10]).violations]
    [1]
    """
    _refuse_text(statuses, "statuses")
    rules = Rules.for_lifecycle(lifecycle, mode)
    kind = rules.lifecycle.statuses
    parse = kind.parse
    seen = tuple(s if type(s) is kind else parse(s) for s in statuses)
    violations: list[Violation] = []
    inferred: list[Inference] = []
    final = seen[0] if seen else None
    for index, source, step in rules.walk(seen):
        target = seen[index]
        if step is VIOLATION:
            violations.append(rules.violation(index, source, target))
            continue
        if step.kind is StepKind.INFERRED:
            inferred.append(Inference(index, source, target, step.skipped))
        final = target
    return HistoryReport(rules.mode, seen, tuple(violations), tuple(inferred), final)
