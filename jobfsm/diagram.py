"""Diagrams of a lifecycle: extract it into a plain model, then render DOT, Mermaid, SVG, PNG, PDF.

Step one, :func:`extract`, reads a :class:`~jobfsm.Lifecycle` (never a restatement of it) and
returns a frozen :class:`Diagram`: nodes with a label, class and phase; edges with a label, style
and the declared moves each one stands for; clusters by phase; legend entries. Step two renders
that model: :func:`to_dot` (Graphviz source), :func:`to_mermaid` (``stateDiagram-v2``) and
:func:`render`, which pipes the DOT source through the ``dot`` executable for SVG, PNG and PDF.

Unless ``all_edges`` is set, two kinds of fan are abbreviated so that they do not swamp the
picture, both derived from the table: every move into or out of UNKNOWN becomes one note beside
UNKNOWN, and a declaration (an :class:`~jobfsm.Event`) with many sources becomes one grouped edge
from a note that lists those sources. Every declared move is still drawn exactly once, literally or
as part of one grouped edge (see :attr:`DiagramEdge.covers`).

>>> d = extract()
>>> len(d.status_nodes()), d.node("RUNNING").label
(23, 'RUNNING (8)')
>>> sum(len(e.covers) for e in d.edges) == len(DEFAULT_LIFECYCLE.edges)
True
>>> print(to_mermaid(d).splitlines()[0])
stateDiagram-v2
"""

from __future__ import annotations

import contextlib
import enum
import html
import itertools
import math
import os
import re
import shutil
import subprocess
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from jobfsm._files import write_all_atomic, write_atomic
from jobfsm.errors import DiagramInputError, GraphvizNotFound, UnknownStatus
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Edge, Lifecycle
from jobfsm.machine import Job
from jobfsm.status import JobStatus, _refuse_text
from jobfsm.vocabulary import Outcome, Status

if TYPE_CHECKING:
    import graphviz

    from jobfsm.lifecycles.mapping import LifecycleMapping

__all__ = [
    "BINARY_FORMATS",
    "EXAMPLE_PATH",
    "EXTENSIONS",
    "FORMATS",
    "FORMAT_OF_EXTENSION",
    "MAIN_PATH",
    "PAGE_FORMAT",
    "TEXT_FORMATS",
    "Cluster",
    "Diagram",
    "DiagramEdge",
    "EdgeStyle",
    "Emphasis",
    "GraphvizWarning",
    "LegendEntry",
    "Node",
    "NodeKind",
    "View",
    "extract",
    "extract_mapping",
    "format_of",
    "gallery",
    "kind_of",
    "path_of",
    "render",
    "to_dot",
    "to_mermaid",
    "write_atomic",
    "write_gallery",
]

S = JobStatus
Pair = tuple[Status, Status]

#: The main path, drawn as the straight spine of the picture (undeclared steps are not drawn).
MAIN_PATH: Final[tuple[JobStatus, ...]] = (
    S.INIT,
    S.IMAGE_CREATING,
    S.SUBMIT_TRYING,
    S.WAITING,
    S.RUNNING,
    S.COMPLETED,
)

#: Output formats that are text and need no executable.
TEXT_FORMATS: Final = ("dot", "mermaid")
#: Output formats rendered by the Graphviz ``dot`` executable (SVG is text, PNG and PDF are not).
BINARY_FORMATS: Final = ("png", "pdf")
FORMATS: Final = ("svg", "png", "pdf", "dot", "mermaid")
#: The interactive page (:func:`jobfsm.diagram_html.page`), which ``jobfsm render`` also writes:
#: not one of :data:`FORMATS`, since a page needs its lifecycle (each move's reason and source), of
#: which a :class:`Diagram` keeps only the picture.
PAGE_FORMAT: Final = "html"

#: A declaration with at least this many drawn sources becomes one grouped edge.
GROUP_MIN: Final = 4
# A rule with at most this many exceptions is still named as a rule ("every active status but X").
_FEW: Final = 3
#: The v1 status whose fan-in and fan-out become a note (any lifecycle's gap status does).
HUB: Final = JobStatus.UNKNOWN


class NodeKind(enum.Enum):
    """What a node is, which decides its colour and shape."""

    IN_PROGRESS = "in progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    UNKNOWN = "unknown"
    NOTE = "note"


class Emphasis(enum.Enum):
    """How strongly a node or edge is drawn: a highlighted path dims everything off it."""

    NORMAL = "normal"
    STRONG = "strong"
    CURRENT = "current"
    DIM = "dim"


class EdgeStyle(enum.Enum):
    """How an edge is drawn."""

    NORMAL = "normal"
    SPINE = "spine"
    GROUPED = "grouped"
    UNDECLARED = "undeclared"
    #: A declared move the traffic drawn never shows (``extract(..., dash_unobserved=True)``).
    UNOBSERVED = "unobserved"


def kind_of(status: Status) -> NodeKind:
    """The node class of a status.

    >>> kind_of(JobStatus.KILLED), kind_of(JobStatus.LOST), kind_of(JobStatus.WAITING)
    (<NodeKind.CANCELED: 'canceled'>, <NodeKind.FAILED: 'failed'>, <NodeKind.IN_PROGRESS: ...>)
    """
    if status is type(status).vocabulary.gap:
        return NodeKind.UNKNOWN
    return {
        None: NodeKind.IN_PROGRESS,
        Outcome.SUCCEEDED: NodeKind.SUCCEEDED,
        Outcome.FAILED: NodeKind.FAILED,
        Outcome.CANCELED: NodeKind.CANCELED,
    }[status.outcome]


@dataclass(frozen=True)
class Node:
    """A box in the picture: a status, or a note that stands for several statuses."""

    id: str
    label: str
    kind: NodeKind
    #: The status's group (its phase in v1), which frames it.
    phase: str
    status: Status | None = None
    emphasis: Emphasis = Emphasis.NORMAL


@dataclass(frozen=True)
class DiagramEdge:
    """An arrow between two nodes.

    ``covers`` lists the declared moves the arrow stands for: one for a literal edge, several for a
    grouped edge, none for an observed move the lifecycle does not declare.
    """

    source: str
    target: str
    label: str
    style: EdgeStyle
    covers: tuple[Pair, ...]
    emphasis: Emphasis = Emphasis.NORMAL
    count: int | None = None
    width: float = 1.2


@dataclass(frozen=True)
class Cluster:
    """The nodes of one group (a v1 phase), drawn inside one frame."""

    phase: str
    label: str
    node_ids: tuple[str, ...]
    #: True for the frame of the gap status, which takes the free corner beside the spine.
    hub: bool = False


@dataclass(frozen=True)
class LegendEntry:
    """One line of the legend: a node class or an edge style, with its caption."""

    label: str
    kind: NodeKind | None = None
    style: EdgeStyle | None = None
    emphasis: Emphasis = Emphasis.NORMAL


@dataclass(frozen=True)
class Diagram:
    """The extracted picture: everything a renderer needs, and nothing about how it is drawn."""

    title: str
    nodes: tuple[Node, ...]
    edges: tuple[DiagramEdge, ...]
    clusters: tuple[Cluster, ...]
    legend: tuple[LegendEntry, ...]
    spine: tuple[str, ...]
    abbreviations: tuple[str, ...] = field(default=())
    caption: tuple[str, ...] = field(default=())
    #: The node where every job starts, if the picture shows it.
    initial: str | None = None

    def node(self, node_id: str) -> Node:
        """The node with this id.

        Raises:
            KeyError: when the diagram has no such node.
        """
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def status_nodes(self) -> tuple[Node, ...]:
        """The nodes that are statuses (not notes), in drawing order."""
        return tuple(n for n in self.nodes if n.status is not None)

    def covered(self) -> list[Pair]:
        """Every declared move the edges stand for, once per time it is drawn."""
        return [pair for e in self.edges for pair in e.covers]


@dataclass(frozen=True)
class View:
    """Which statuses a diagram shows: ``full``, ``from:STATUS`` or ``phase:NAME``.

    ``from:STATUS`` shows STATUS and every status reachable from it without passing through
    the gap status (v1's UNKNOWN leads back to every status, so through it everything is
    reachable). ``phase:NAME`` shows the statuses of one group (a v1 phase) and, as context, their
    direct neighbours.

    >>> View.parse("from:killing").name
    'from-killing'
    >>> sorted(s.value for s in View.parse("phase:stop").statuses(DEFAULT_LIFECYCLE))
    [6, 9, 12, 13]
    """

    kind: str = "full"
    status: Status | None = None
    phase: str | None = None

    @classmethod
    def parse(cls, text: str, lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> View:
        """Read a view as the CLI's ``--view`` takes it, for ``lifecycle``'s statuses.

        Raises:
            DiagramInputError: naming the view and the accepted forms.
        """
        groups = lifecycle.statuses.vocabulary.groups
        expected = "full, from:STATUS (a name or code) or phase:NAME with NAME one of " + ", ".join(
            groups
        )
        kind, _, arg = text.strip().partition(":")
        kind = kind.lower()
        if kind == "full" and not arg:
            return cls()
        if kind == "from" and arg:
            try:
                return cls("from", status=lifecycle.parse(arg))
            except UnknownStatus as exc:
                raise DiagramInputError("view", text, f"{expected} ({exc.message})") from None
        if kind == "phase" and arg:
            wanted = arg.strip().lower()
            for group in groups:
                if group.lower() == wanted:
                    return cls("phase", phase=group)
        raise DiagramInputError("view", text, expected)

    @property
    def name(self) -> str:
        """A short name for titles and file names."""
        if self.status is not None:
            return f"from-{self.status.name.lower()}"
        if self.phase is not None:
            return f"phase-{self.phase.lower()}"
        return "full"

    def statuses(self, lifecycle: Lifecycle) -> frozenset[Status]:
        """The statuses this view is about (its focus, without context neighbours)."""
        if self.status is not None:
            seen = {self.status}
            todo = [self.status]
            while todo:
                for nxt in lifecycle.allowed_next(todo.pop()):
                    if nxt not in seen and nxt is not lifecycle.gap:
                        seen.add(nxt)
                        todo.append(nxt)
            return frozenset(seen)
        if self.phase is not None:
            return frozenset(s for s in lifecycle.statuses if s.group == self.phase)
        return frozenset(lifecycle.statuses)

    def context(self, lifecycle: Lifecycle, focus: frozenset[Status]) -> frozenset[Status]:
        """Statuses outside the focus drawn for context (the direct neighbours of a phase)."""
        if self.phase is None:
            return frozenset()
        near = {e.target for e in lifecycle.edges if e.source in focus} | {
            e.source for e in lifecycle.edges if e.target in focus
        }
        return frozenset(near - focus)


def path_of(job: Job) -> tuple[Status, ...]:
    """The statuses a job has been in, oldest first (for :func:`extract`'s ``path``).

    >>> job = Job("j", JobStatus.WAITING)
    >>> _ = job.advance_to(JobStatus.RUNNING)
    >>> path_of(job)
    (<JobStatus.WAITING: 7>, <JobStatus.RUNNING: 8>)
    """
    history = job.history
    if not history:
        return (job.status,)
    return (history[0].source, *(m.target for m in history))


def extract(
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    view: View | str = "full",
    all_edges: bool = False,
    path: Sequence[Status | int | str] = (),
    traffic: Mapping[tuple[Any, Any], int] | None = None,
    spine: Sequence[Status] | None = None,
    dash_unobserved: bool = False,
) -> Diagram:
    """Extract ``lifecycle`` into a :class:`Diagram`.

    Args:
        lifecycle: the declaration to draw.
        view: ``full``, ``from:STATUS`` or ``phase:NAME`` (a :class:`View` or its text).
        all_edges: draw every declared move literally instead of abbreviating the fans.
        path: statuses a job went through, oldest first; its moves and its current (last) status
            are emphasised, the rest dimmed, and any move the lifecycle does not declare is drawn
            red and dashed. Repeated statuses are not moves. Items are read with
            :meth:`Lifecycle.parse`.
        traffic: observed move counts by ``(source, target)``; each observed move is drawn with a
            width by its count and the count in its label, unobserved moves are dimmed and observed
            moves the lifecycle does not declare are drawn red and dashed. Zero counts and repeats
            (``source == target``) are not moves and are ignored.
        spine: the main path, laid out as a straight line (default: the lifecycle's
            ``main_path``).
        dash_unobserved: with ``traffic``, draw each declared move it never shows dashed, with
            the count 0, instead of dimmed (what a conformance check looks for).

    Raises:
        DiagramInputError: an unknown view, or a negative or non-integer traffic count.
        UnknownStatus: a path item that is not a status.
        InvalidArgument: ``path`` is a single string or bytes, not a list of statuses.

    >>> d = extract(path=[1, 2, 4, 7, 8, 7])
    >>> d.node("WAITING").emphasis
    <Emphasis.CURRENT: 'current'>
    >>> [e.label for e in d.edges if e.style is EdgeStyle.UNDECLARED]
    ['undeclared']
    """
    _refuse_text(path, "path")
    hub = lifecycle.gap
    spine = lifecycle.main_path if spine is None else tuple(spine)
    chosen = View.parse(view, lifecycle) if isinstance(view, str) else view
    focus = chosen.statuses(lifecycle)
    if traffic is not None and chosen.kind != "full":
        # A focused view shows the traffic that touches its statuses, not the whole fleet's.
        traffic = {
            pair: n
            for pair, n in traffic.items()
            if lifecycle.parse(pair[0]) in focus or lifecycle.parse(pair[1]) in focus
        }
    marks = _Marks.of(lifecycle, path, traffic)
    shown = set(focus | chosen.context(lifecycle, focus)) | marks.statuses()
    drawn = [
        e
        for e in lifecycle.edges
        if e.source in shown and e.target in shown and (e.source in focus or e.target in focus)
    ]
    # The statuses whose moves to and from the gap this view draws (a phase view draws only its
    # own statuses' moves, unless the gap is in the phase).
    scope = shown if hub in focus else shown & focus
    groups = [] if all_edges else _groups(lifecycle, drawn, marks.forced(), shown, scope)
    edges = _edges(lifecycle, drawn, groups, marks, set(itertools.pairwise(spine)))
    if dash_unobserved and marks.traffic:
        edges = tuple(
            replace(e, style=EdgeStyle.UNOBSERVED, label=f"{e.label} ×0")
            if e.count is None and e.style in (EdgeStyle.NORMAL, EdgeStyle.SPINE)
            else e
            for e in edges
        )
    notes = [
        Node(n.id, n.label, n.kind, n.phase, None, Emphasis.DIM if marks.any else n.emphasis)
        for n, _, _ in groups
    ]
    numeric = lifecycle.statuses.vocabulary.numeric
    status_nodes = [
        Node(
            s.name,
            f"{s.name} ({s.value})" if numeric else s.name,
            kind_of(s),
            s.group,
            s,
            marks.node(s),
        )
        for s in sorted(shown)
    ]
    nodes = (*status_nodes, *notes)
    clusters = tuple(
        Cluster(group, group, ids, hub is not None and group == hub.group)
        for group in lifecycle.statuses.vocabulary.groups
        if group and (ids := tuple(n.id for n in nodes if n.phase == group))
    )
    title = f"{lifecycle.name} lifecycle"
    if chosen.kind != "full":
        title += f" · {chosen.name}"
    caption = _caption_lines(lifecycle, groups, len(drawn), marks)
    if all_edges:
        caption = (f"All {len(drawn)} declared moves, each drawn literally.", *caption)
    return Diagram(
        title=title,
        nodes=nodes,
        edges=edges,
        clusters=clusters,
        legend=_legend(nodes, edges, marks),
        spine=tuple(s.name for s in spine if s in shown),
        abbreviations=tuple(
            f"{_event_pattern(lifecycle, pairs)}: {note.label.replace(chr(10), ' ')}"
            for note, _, pairs in groups
        ),
        caption=caption,
        initial=lifecycle.initial.name if lifecycle.initial in shown else None,
    )


#: An abbreviation: its note, True when the note points at the status, the moves it stands for.
_Group = tuple[Node, bool, tuple[Pair, ...]]


@dataclass(frozen=True)
class _Marks:
    """What is laid over the lifecycle: a job's path, observed traffic, or neither."""

    path: tuple[Status, ...]
    steps: tuple[Pair, ...]
    observed: Mapping[Pair, int]
    traffic: bool

    @classmethod
    def of(
        cls,
        lifecycle: Lifecycle,
        path: Sequence[Status | int | str],
        traffic: Mapping[tuple[Any, Any], int] | None,
    ) -> _Marks:
        statuses = tuple(lifecycle.parse(s) for s in path)
        return cls(
            statuses,
            _moves(itertools.pairwise(statuses)),
            _observed(lifecycle, traffic or {}),
            traffic is not None,
        )

    @property
    def any(self) -> bool:
        return bool(self.path) or self.traffic

    def statuses(self) -> set[Status]:
        return set(self.path) | {s for pair in self.observed for s in pair}

    def forced(self) -> set[Pair]:
        """Moves that must be drawn literally, never folded into a note."""
        return set(self.steps) | set(self.observed)

    def edge(self, pair: Pair) -> Emphasis:
        if self.path:
            return Emphasis.STRONG if pair in self.steps else Emphasis.DIM
        if self.traffic:
            return Emphasis.NORMAL if pair in self.observed else Emphasis.DIM
        return Emphasis.NORMAL

    def node(self, status: Status) -> Emphasis:
        if self.path:
            if status == self.path[-1]:
                return Emphasis.CURRENT
            return Emphasis.STRONG if status in self.path else Emphasis.DIM
        if self.traffic and not any(status in pair for pair in self.observed):
            return Emphasis.DIM
        return Emphasis.NORMAL


def _edges(
    lifecycle: Lifecycle,
    drawn: Sequence[Edge],
    groups: Sequence[_Group],
    marks: _Marks,
    spine: set[Pair],
) -> tuple[DiagramEdge, ...]:
    """Literal edges, then one grouped edge per note, then the undeclared moves."""
    grouped = {pair for _, _, pairs in groups for pair in pairs}
    observed = marks.observed
    edges: list[DiagramEdge] = []
    for e in drawn:
        pair = (e.source, e.target)
        if pair in grouped:
            continue
        count = observed.get(pair)
        style = EdgeStyle.SPINE if pair in spine else EdgeStyle.NORMAL
        edges.append(
            DiagramEdge(
                e.source.name,
                e.target.name,
                e.event if count is None else f"{e.event} ×{count}",
                style,
                (pair,),
                marks.edge(pair),
                count,
                _width(count, observed, style, pair in marks.steps),
            )
        )
    for note, to_hub, pairs in groups:
        end = pairs[0][1].name if to_hub else pairs[0][0].name
        source, target = (note.id, end) if to_hub else (end, note.id)
        label = _event_pattern(lifecycle, pairs)
        dim = Emphasis.DIM if marks.any else Emphasis.NORMAL
        edges.append(DiagramEdge(source, target, label, EdgeStyle.GROUPED, pairs, dim))
    for pair in sorted(marks.forced()):
        if lifecycle.can_transition(*pair):
            continue
        count = observed.get(pair)
        edges.append(
            DiagramEdge(
                pair[0].name,
                pair[1].name,
                "undeclared" if count is None else f"undeclared ×{count}",
                EdgeStyle.UNDECLARED,
                (),
                Emphasis.STRONG,
                count,
                _width(count, observed, EdgeStyle.UNDECLARED, pair in marks.steps),
            )
        )
    return tuple(edges)


def _legend(
    nodes: Sequence[Node], edges: Sequence[DiagramEdge], marks: _Marks
) -> tuple[LegendEntry, ...]:
    """One entry per node class drawn, then the edge styles and marks in use."""
    kinds = {n.kind for n in nodes}
    styles = {e.style for e in edges}
    legend = [
        LegendEntry(k.value, kind=k) for k in NodeKind if k in kinds and k is not NodeKind.NOTE
    ]
    if EdgeStyle.SPINE in styles:
        legend.append(LegendEntry("main path", style=EdgeStyle.SPINE))
    if EdgeStyle.GROUPED in styles:
        legend.append(LegendEntry("grouped moves (see note)", style=EdgeStyle.GROUPED))
    if marks.path:
        legend.append(LegendEntry("the job's path", None, EdgeStyle.NORMAL, Emphasis.STRONG))
        legend.append(LegendEntry("current status", NodeKind.IN_PROGRESS, None, Emphasis.CURRENT))
    if marks.traffic:
        legend.append(
            LegendEntry("observed moves (width by count)", None, EdgeStyle.NORMAL, Emphasis.STRONG)
        )
    if EdgeStyle.UNDECLARED in styles:
        legend.append(
            LegendEntry("move the lifecycle does not declare", style=EdgeStyle.UNDECLARED)
        )
    if EdgeStyle.UNOBSERVED in styles:
        legend.append(LegendEntry("declared move never observed", style=EdgeStyle.UNOBSERVED))
    return tuple(legend)


def _caption_lines(
    lifecycle: Lifecycle, groups: Sequence[_Group], drawn: int, marks: _Marks
) -> tuple[str, ...]:
    """What the picture shows beyond its boxes: what it abbreviates, which path, which traffic."""
    lines: list[str] = []
    if groups:
        grouped = sum(len(pairs) for _, _, pairs in groups)
        fans = sorted({_event_pattern(lifecycle, pairs) for _, _, pairs in groups})
        lines.append(
            f"{grouped} of these {drawn} declared moves are drawn as one dashed arrow per note "
            f"({', '.join(fans)}); render with --all-edges to draw each one."
        )
    if marks.path:
        bad = [p for p in marks.steps if not lifecycle.can_transition(*p)]
        lines.append(
            "Path: "
            + " → ".join(s.name for s in _dedupe(marks.path))
            + (f"; {len(bad)} move(s) the lifecycle does not declare, in red." if bad else ".")
        )
    observed = marks.observed
    if observed:
        bad_count = sum(n for p, n in observed.items() if not lifecycle.can_transition(*p))
        lines.append(
            f"Observed: {sum(observed.values())} moves over {len(observed)} edges, width by count"
            + (f"; {bad_count} of them undeclared, in red." if bad_count else ".")
        )
    return tuple(lines)


def _dedupe(statuses: Sequence[Status]) -> list[Status]:
    """The path without repeats (polling reports a status many times; only changes are moves)."""
    out: list[Status] = []
    for s in statuses:
        if not out or out[-1] != s:
            out.append(s)
    return out


def _moves(pairs: Iterable[Pair]) -> tuple[Pair, ...]:
    """Distinct moves in order of first appearance; a repeated status is not a move."""
    seen: dict[Pair, None] = {}
    for a, b in pairs:
        if a != b:
            seen.setdefault((a, b), None)
    return tuple(seen)


def _observed(lifecycle: Lifecycle, traffic: Mapping[tuple[Any, Any], int]) -> dict[Pair, int]:
    counts: dict[Pair, int] = {}
    for key, count in traffic.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise DiagramInputError(
                f"traffic[{key!r}]", count, "a count of observed moves (an int ≥ 0)"
            )
        a, b = (lifecycle.parse(key[0]), lifecycle.parse(key[1]))
        if a != b and count > 0:
            counts[(a, b)] = counts.get((a, b), 0) + count
    return counts


def _width(count: int | None, observed: Mapping[Pair, int], style: EdgeStyle, step: bool) -> float:
    if count is not None:
        top = max(observed.values())
        # Logarithmic, so that one busy move does not make every other one a hairline.
        return round(1.0 + 5.0 * math.log1p(count) / math.log1p(top), 2)
    if step:
        return 3.0
    if style is EdgeStyle.SPINE:
        return 2.5
    return 1.2


def _groups(
    lifecycle: Lifecycle,
    drawn: Sequence[Edge],
    forced: set[Pair],
    shown: set[Status],
    scope: set[Status],
) -> list[_Group]:
    """The abbreviations: (note node, True when the note points at the status, moves it covers)."""
    pairs = {(e.source, e.target) for e in drawn} - forced
    groups: list[_Group] = []
    hub = lifecycle.gap
    if hub is not None and hub in shown:
        into = tuple(sorted(p for p in pairs if p[1] is hub))
        out = tuple(sorted(p for p in pairs if p[0] is hub))
        if len(into) >= GROUP_MIN:
            text = f"{_describe([p[0] for p in into], scope, hub)}\n→ {hub.name}"
            groups.append((Node(f"into_{hub.name}", text, NodeKind.NOTE, hub.group), True, into))
        if len(out) >= GROUP_MIN:
            text = f"{hub.name} →\n{_describe([p[1] for p in out], scope, hub)}"
            groups.append((Node(f"out_of_{hub.name}", text, NodeKind.NOTE, hub.group), False, out))
    taken = {p for _, _, ps in groups for p in ps}
    for event in lifecycle.events:
        mine = tuple(
            (s, event.target)
            for s in sorted(event.sources)
            if (s, event.target) in pairs and (s, event.target) not in taken
        )
        if len(mine) < GROUP_MIN:
            continue
        taken.update(mine)
        names = [s.name for s in sorted(p[0] for p in mine)]
        text = f"any of {len(names)}:\n" + _wrap(names)
        node_id = f"{event.name}_to_{event.target.name}"
        groups.append((Node(node_id, text, NodeKind.NOTE, event.target.group), True, mine))
    return groups


def _describe(statuses: Sequence[Status], scope: set[Status], hub: Status | None) -> str:
    """Name a set of statuses by its rule when it has one (allowing a few exceptions), else list."""
    got = set(statuses)
    rules = (
        ("every active status", {s for s in scope if s.is_active and s is not hub}),
        ("every other status", scope - {hub}),
    )
    for name, rule in rules:
        if got == rule:
            return f"{name} ({len(got)})"
    for name, rule in rules:
        missing = rule - got
        if got <= rule and len(missing) <= _FEW and len(missing) < len(got):
            return f"{name} but {', '.join(s.name for s in sorted(missing))} ({len(got)})"
    return f"any of {len(got)}:\n" + _wrap([s.name for s in sorted(got)])


def _wrap(names: Sequence[str], width: int = 34) -> str:
    lines: list[str] = []
    for name in names:
        if lines and len(lines[-1]) + len(name) + 2 <= width:
            lines[-1] += f" {name}"
        else:
            lines.append(name)
        lines[-1] += ","
    return "\n".join(lines).removesuffix(",")


def _event_pattern(lifecycle: Lifecycle, pairs: Sequence[Pair]) -> str:
    """One label for the events of a group: the name, or a pattern such as ``report_‹status›``."""
    events = [lifecycle.event_for(a, b) or "" for a, b in pairs]
    if len(set(events)) == 1:
        return events[0]
    for end in (1, 0):
        # report_running from UNKNOWN to RUNNING: one prefix, then the name of the other end.
        prefixes = {
            ev.removesuffix(pair[end].name.lower())
            for ev, pair in zip(events, pairs, strict=True)
            if ev.endswith(pair[end].name.lower())
        }
        if len(prefixes) == 1 and all(
            ev.endswith(p[end].name.lower()) for ev, p in zip(events, pairs, strict=True)
        ):
            return prefixes.pop() + "‹status›"
    return " / ".join(sorted(set(events)))


# -- rendering ------------------------------------------------------------------------------------

_FONT: Final = "Helvetica,Arial,sans-serif"
_INK: Final = "#1F2937"
_DIM: Final = "#CBD5E1"
_DIM_TEXT: Final = "#94A3B8"
_RED: Final = "#DC2626"
_SPINE: Final = "#1D4ED8"

# Colour and shape per class; terminal classes get a double border.
_KIND: Final[dict[NodeKind, dict[str, str]]] = {
    NodeKind.IN_PROGRESS: {
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": "#DBEAFE",
        "color": "#1D4ED8",
    },
    NodeKind.SUCCEEDED: {
        "shape": "box",
        "style": "rounded,filled,bold",
        "fillcolor": "#BBF7D0",
        "color": "#15803D",
        "peripheries": "2",
    },
    NodeKind.FAILED: {
        "shape": "box",
        "style": "filled,diagonals",
        "fillcolor": "#FEE2E2",
        "color": "#B91C1C",
        "peripheries": "2",
    },
    NodeKind.CANCELED: {
        "shape": "box",
        "style": "filled",
        "fillcolor": "#E5E7EB",
        "color": "#4B5563",
        "peripheries": "2",
    },
    NodeKind.UNKNOWN: {
        "shape": "hexagon",
        "style": "filled,dashed",
        "fillcolor": "#FEF3C7",
        "color": "#B45309",
    },
    NodeKind.NOTE: {
        "shape": "note",
        "style": "filled",
        "fillcolor": "#FFFFFF",
        "color": "#6B7280",
        "fontsize": "10",
        "fontcolor": "#374151",
    },
}

# v1's phases keep their colours; any other group takes the next one of the palette.
_CLUSTER_FILL: Final[dict[str, str]] = {
    "review": "#FAF5FF",
    "creation": "#F0F9FF",
    "run": "#F0FDF4",
    "stop": "#F9FAFB",
    "unknown": "#FFFBEB",
}
_PALETTE: Final = ("#F0F9FF", "#F0FDF4", "#FAF5FF", "#F9FAFB", "#FFF7ED", "#FDF2F8")


def _cluster_fill(cluster: Cluster, index: int) -> str:
    if cluster.hub:
        return _CLUSTER_FILL["unknown"]
    return _CLUSTER_FILL.get(cluster.phase.lower(), _PALETTE[index % len(_PALETTE)])


def _node_attrs(node: Node) -> dict[str, str]:
    attrs = dict(_KIND[node.kind])
    if node.emphasis is Emphasis.DIM:
        attrs.update(fillcolor="#F8FAFC", color=_DIM, fontcolor=_DIM_TEXT)
    elif node.emphasis is Emphasis.STRONG:
        attrs.update(penwidth="2.5")
    elif node.emphasis is Emphasis.CURRENT:
        attrs.update(penwidth="4", color=_INK, fontname=f"{_FONT} bold")
        attrs["style"] += ",bold"
    return attrs


def _edge_attrs(edge: DiagramEdge, spine: bool) -> dict[str, str]:
    attrs = {"penwidth": f"{edge.width:g}"}
    if edge.style is EdgeStyle.SPINE:
        attrs.update(color=_SPINE, fontcolor=_SPINE, weight="10")
    elif edge.style is EdgeStyle.GROUPED:
        attrs.update(style="dashed", color="#6B7280", fontcolor="#374151")
    elif edge.style is EdgeStyle.UNDECLARED:
        attrs.update(style="dashed", color=_RED, fontcolor=_RED, constraint="false")
    elif edge.style is EdgeStyle.UNOBSERVED:
        attrs.update(style="dashed", color=_DIM, fontcolor=_DIM_TEXT)
    else:
        attrs.update(color="#475569", fontcolor="#334155", weight="1" if not spine else "2")
    if edge.emphasis is Emphasis.DIM:
        attrs.update(color=_DIM, fontcolor=_DIM_TEXT)
    elif edge.emphasis is Emphasis.STRONG and edge.style is not EdgeStyle.UNDECLARED:
        attrs.update(color=_INK, fontcolor=_INK)
    return attrs


def to_dot(diagram: Diagram, *, spine_groups: bool = True, ids: bool = False) -> str:
    """Graphviz DOT source for ``diagram``: deterministic, no timestamps, no version numbers.

    With ``ids``, each node and edge carries an ``id`` that the SVG output gives its element:
    ``jf_node_I`` and ``jf_edge_J`` for ``diagram.nodes[I]`` and ``diagram.edges[J]`` (the
    interactive page finds them so; Graphviz's own ids number the legend's nodes too).

    >>> print(to_dot(extract(view="phase:stop")).splitlines()[0])
    digraph lifecycle {
    """
    # Imported here: it costs more than the rest of jobfsm, and only drawing needs it.
    import graphviz

    g = graphviz.Digraph(
        "lifecycle",
        graph_attr={
            "rankdir": "TB",
            "newrank": "true",
            "fontname": _FONT,
            "fontsize": "18",
            "label": _caption(diagram),
            "labelloc": "t",
            "labeljust": "l",
            "nodesep": "0.3",
            "ranksep": "0.55",
            "pad": "0.3",
            "bgcolor": "white",
        },
        node_attr={"fontname": _FONT, "fontsize": "12", "margin": "0.12,0.06", "height": "0.4"},
        edge_attr={"fontname": _FONT, "fontsize": "10", "arrowsize": "0.7"},
    )
    spine = set(diagram.spine)
    by_id = {n.id: n for n in diagram.nodes}
    number_of = {n.id: i for i, n in enumerate(diagram.nodes)}
    # Declared first, the legend and the UNKNOWN frame take the free corner beside the spine.
    _dot_legend(g, diagram)
    ordered = sorted(enumerate(diagram.clusters), key=lambda ic: not ic[1].hub)
    for index, cluster in ordered:
        with g.subgraph(name=f"cluster_{_dot_id(cluster.phase)}") as c:
            c.attr(
                label=cluster.label,
                style="rounded,filled",
                fillcolor=_cluster_fill(cluster, index),
                color="#CBD5E1",
                fontcolor="#475569",
                fontsize="13",
                labeljust="l",
            )
            for node_id in cluster.node_ids:
                node = by_id[node_id]
                extra = {"group": "spine"} if spine_groups and node_id in spine else {}
                if ids:
                    extra["id"] = f"jf_node_{number_of[node_id]}"
                c.node(node_id, node.label, **_node_attrs(node), **extra)
    for number, edge in enumerate(diagram.edges):
        on_spine = edge.source in spine and edge.target in spine
        attrs = _edge_attrs(edge, on_spine)
        if ids:
            attrs["id"] = f"jf_edge_{number}"
        if edge.target in spine and edge.source not in spine:
            # Detours that rejoin the spine (the review) must not stretch it.
            attrs["constraint"] = "false"
        if on_spine and by_id[edge.source].phase != by_id[edge.target].phase:
            # A free rank between phases lets their frames sit side by side along the spine.
            attrs["minlen"] = "2"
        label = f" {edge.label} "
        if attrs.get("constraint") == "false" and edge.style is not EdgeStyle.UNDECLARED:
            # dot keeps room for a label in the ranks an edge spans, which a declared edge kept
            # out of the ranking (it rejoins the spine) has not: its label lands among other
            # edges' (KILLING → COMPLETED's "complete" read as RUNNING → FAILED's) and routing
            # warns that it cannot reclaim the space. An xlabel is placed beside the edge once
            # it is drawn. Undeclared moves keep ordinary labels: a faulty fleet draws dozens,
            # and their xlabels would pile up around the busiest statuses.
            g.edge(edge.source, edge.target, xlabel=label, **attrs)
        else:
            g.edge(edge.source, edge.target, label, **attrs)
    source: str = g.source
    return source


def _caption(diagram: Diagram) -> str:
    lines = [f'<font point-size="20"><b>{html.escape(diagram.title)}</b></font>']
    lines += [html.escape(line) for line in diagram.caption]
    return "<" + '<br align="left"/>'.join(lines) + '<br align="left"/>>'


def _dot_legend(g: graphviz.Digraph, diagram: Diagram) -> None:
    """Node classes as sample nodes in one column, edge styles as lines in a table beneath."""
    with g.subgraph(name="cluster_legend") as c:
        c.attr(label="legend", style="rounded", color="#CBD5E1", fontcolor="#475569", fontsize="13")
        ids: list[str] = []
        rows: list[str] = []
        for i, entry in enumerate(diagram.legend):
            if entry.kind is not None:
                node = Node(f"legend_{i}", entry.label, entry.kind, "", None, entry.emphasis)
                c.node(node.id, entry.label, **_node_attrs(node), fontsize="10", width="1.3")
                ids.append(node.id)
            else:
                assert entry.style is not None
                edge = DiagramEdge("", "", "", entry.style, (), entry.emphasis)
                attrs = _edge_attrs(edge, False)
                line = "╍╍╍╍" if attrs.get("style") == "dashed" else "━━━━"
                bold = entry.style is EdgeStyle.SPINE or entry.emphasis is Emphasis.STRONG
                rows.append(
                    f'<tr><td align="left"><font color="{attrs["color"]}">'
                    f"{'<b>' + line + '</b>' if bold else line}</font></td>"
                    f'<td align="left">{html.escape(entry.label)}</td></tr>'
                )
        if rows:
            c.node(
                "legend_edges",
                f'<<table border="0" cellspacing="2">{"".join(rows)}</table>>',
                shape="plaintext",
                fontsize="10",
            )
            ids.append("legend_edges")
        # Two entries a row keeps the legend compact beside the picture.
        rows_of_ids = [ids[i : i + 2] for i in range(0, len(ids), 2)]
        for row_ids in rows_of_ids:
            with c.subgraph() as row:
                row.attr(rank="same")
                for node_id in row_ids:
                    row.node(node_id)
            if len(row_ids) == 2:
                c.edge(row_ids[0], row_ids[1], style="invis")
        for upper, lower in itertools.pairwise(rows_of_ids):
            c.edge(upper[0], lower[0], style="invis")


def _dot_id(text: str) -> str:
    """``text`` as a Graphviz identifier (a declared group may hold spaces or dashes)."""
    return re.sub(r"\W", "_", text)


def _mermaid_text(text: str) -> str:
    # Mermaid labels cannot hold quotes or raw newlines.
    return text.replace('"', "'").replace("\n", "<br/>")


def _mermaid_class(kind: NodeKind) -> str:
    # "note" is a Mermaid keyword, so the notes' class is named for what they do.
    return "grouped" if kind is NodeKind.NOTE else kind.name.lower()


def to_mermaid(diagram: Diagram) -> str:
    """Mermaid ``stateDiagram-v2`` source for ``diagram`` (renders on GitHub and GitLab).

    Mermaid cannot draw an arrow between states of two different composite states, so phases are
    not framed; classes, notes, labels, the path and the undeclared moves are all kept.

    >>> print("\\n".join(to_mermaid(extract(view="phase:review")).splitlines()[:3]))
    stateDiagram-v2
        direction TB
        %% modelarts-v1 lifecycle · phase-review
    """
    lines = ["stateDiagram-v2", "    direction TB", f"    %% {diagram.title}"]
    lines += [f"    %% {line}" for line in diagram.caption]
    for kind in NodeKind:
        attrs = _KIND[kind]
        dash = ",stroke-dasharray:4" if "dashed" in attrs["style"] else ""
        lines.append(
            f"    classDef {_mermaid_class(kind)} fill:{attrs['fillcolor']},stroke:{attrs['color']}"
            + dash
        )
    lines += [
        f"    classDef dim fill:#F8FAFC,stroke:{_DIM},color:{_DIM_TEXT}",
        "    classDef strong stroke-width:3px",
        f"    classDef current stroke:{_INK},stroke-width:4px,font-weight:bold",
    ]
    for node in diagram.nodes:
        lines.append(f'    state "{_mermaid_text(node.label)}" as {node.id}')
    if diagram.initial is not None:
        lines.append(f"    [*] --> {diagram.initial}")
    for edge in diagram.edges:
        label = edge.label if edge.style is not EdgeStyle.UNDECLARED else f"✗ {edge.label}"
        lines.append(f"    {edge.source} --> {edge.target}: {_mermaid_text(label)}")
    by_class: dict[str, list[str]] = {}
    for node in diagram.nodes:
        by_class.setdefault(_mermaid_class(node.kind), []).append(node.id)
        if node.emphasis is not Emphasis.NORMAL:
            by_class.setdefault(node.emphasis.value, []).append(node.id)
    for name, ids in by_class.items():
        lines.append(f"    class {','.join(ids)} {name}")
    return "\n".join(lines) + "\n"


def render(diagram: Diagram, fmt: str, *, ids: bool = False) -> bytes:
    """``diagram`` in one of :data:`FORMATS`; SVG, PNG and PDF run the Graphviz ``dot`` executable.

    Anything ``dot`` says on stderr while it succeeds is issued as one :class:`GraphvizWarning`.
    ``ids`` gives every node and edge its id in the DOT source (see :func:`to_dot`).

    Raises:
        GraphvizNotFound: ``dot`` is not on PATH (``dot`` and ``mermaid`` never need it).
        DiagramInputError: an unknown format.

    >>> render(extract(view="phase:stop"), "dot")[:17]
    b'digraph lifecycle'
    """
    if fmt == "dot":
        return to_dot(diagram, ids=ids).encode()
    if fmt == "mermaid":
        return to_mermaid(diagram).encode()
    if fmt not in FORMATS:
        raise DiagramInputError("format", fmt, "one of " + ", ".join(FORMATS))
    executable = shutil.which("dot")
    if executable is None:
        raise GraphvizNotFound("dot", fmt, without=TEXT_FORMATS)
    # 144 dpi: PNG text stays sharp on high-density screens; SVG and PDF are vector anyway.
    extra = ["-Gdpi=144"] if fmt == "png" else []
    done = _run_dot(executable, fmt, extra, to_dot(diagram, ids=ids))
    if done.returncode != 0 and b"trouble in init_rank" in done.stderr:
        # A Graphviz ranking bug: many constraint-free edges (observed undeclared moves) across
        # clusters can defeat the spine's group hints. Without them the spine bends but draws.
        done = _run_dot(executable, fmt, extra, to_dot(diagram, spine_groups=False, ids=ids))
    if done.returncode != 0:
        raise DiagramInputError("the DOT source", diagram.title, done.stderr.decode().strip())
    said = done.stderr.decode(errors="replace")
    if said.strip():
        warnings.warn(GraphvizWarning(fmt, said), stacklevel=2)
    return done.stdout


class GraphvizWarning(UserWarning):
    """What ``dot`` said on stderr while it still drew the picture (a layout it could not fully
    make, a font it replaced): the picture is there, but may read wrong.

    Attributes:
        format: the format being rendered.
        lines: each message once, in order, without dot's ``Warning:`` prefix.
    """

    def __init__(self, format: str, stderr: str) -> None:
        lines = (line.strip().removeprefix("Warning:").strip() for line in stderr.splitlines())
        self.format = format
        self.lines = tuple(dict.fromkeys(line for line in lines if line))
        super().__init__(format, self.lines)

    def __str__(self) -> str:
        return f"dot warned while rendering {self.format}: {'; '.join(self.lines)}"


def _run_dot(
    executable: str, fmt: str, extra: list[str], source: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [executable, f"-T{fmt}", *extra], input=source.encode(), capture_output=True, check=False
    )


#: File extension per format.
EXTENSIONS: Final[Mapping[str, str]] = {
    "svg": ".svg",
    "png": ".png",
    "pdf": ".pdf",
    "dot": ".dot",
    "mermaid": ".mmd",
    PAGE_FORMAT: ".html",
}

#: The format a file's extension names, compared in lower case (``.gv`` is Graphviz's other name
#: for DOT source).
FORMAT_OF_EXTENSION: Final[Mapping[str, str]] = {
    **{ext: fmt for fmt, ext in EXTENSIONS.items()},
    ".gv": "dot",
    ".mermaid": "mermaid",
    ".htm": PAGE_FORMAT,
}


def format_of(path: str | os.PathLike[str]) -> str | None:
    """The format the extension of ``path`` names, or None when it has no extension.

    Raises:
        DiagramInputError: an extension that names none of :data:`FORMATS` nor the page (such as
            ``.jpg``).

    >>> format_of("lifecycle.PNG"), format_of("/dev/null")
    ('png', None)
    """
    suffix = Path(path).suffix.lower()
    if not suffix:
        return None
    try:
        return FORMAT_OF_EXTENSION[suffix]
    except KeyError:
        expected = "a name ending in " + ", ".join(FORMAT_OF_EXTENSION)
        raise DiagramInputError("file extension", suffix, expected) from None


#: The path drawn in ``diagrams/path-example``: a poller's observations of one job, repeats
#: included, ending in a move the lifecycle does not declare (RUNNING → WAITING).
EXAMPLE_PATH: Final[tuple[JobStatus, ...]] = (
    S.INIT,
    S.IMAGE_CREATING,
    S.SUBMIT_TRYING,
    S.WAITING,
    S.RUNNING,
    S.RUNNING,
    S.SCALING,
    S.RUNNING,
    S.WAITING,
)


def extract_mapping(mapping: LifecycleMapping) -> Diagram:
    """The source lifecycle of ``mapping`` drawn with each status inside the frame of the
    target status it maps to (v1 statuses grouped by v2 phase); statuses that map to none (the
    gap) are left out with their moves.

    >>> from jobfsm.lifecycles.mapping import V1_TO_V2
    >>> d = extract_mapping(V1_TO_V2)
    >>> [c.label for c in d.clusters][:3], d.node("WAITING").phase
    (['Creating', 'Pending', 'Running'], 'Pending')
    """
    base = extract(mapping.source)
    phase_of = {
        s.name: target.name
        for s in mapping.source.statuses
        if (target := mapping.status(s)) is not None
    }
    into: dict[str, str] = {}
    for edge in base.edges:
        if edge.target in phase_of:
            into.setdefault(edge.source, phase_of[edge.target])
    kept = [
        replace(n, phase=phase_of[n.id] if n.status is not None else into[n.id])
        for n in base.nodes
        if (n.status is not None and n.id in phase_of)
        or (
            n.status is None
            and n.id in into
            and all(e.target in phase_of for e in base.edges if e.source == n.id)
            and all(e.source in phase_of for e in base.edges if e.target == n.id)
        )
    ]
    ids = {n.id for n in kept}
    edges = tuple(e for e in base.edges if e.source in ids and e.target in ids)
    order = [s.name for s in mapping.target.statuses]
    clusters = tuple(
        Cluster(name, name, members)
        for name in order
        if (members := tuple(n.id for n in kept if n.phase == name))
    )
    dropped = [s.name for s in mapping.source.statuses if s.name not in phase_of]
    caption = (
        f"Each {mapping.source.name} status inside the {mapping.target.name} status it maps to"
        + (f"; {', '.join(dropped)} maps to none and is left out." if dropped else "."),
        "Every drawn move maps to a declared move of the target, or stays in one frame.",
    )
    return Diagram(
        title=mapping.name,
        nodes=tuple(kept),
        edges=edges,
        clusters=clusters,
        legend=_legend(tuple(kept), edges, _Marks((), (), {}, False)),
        spine=tuple(s for s in base.spine if s in ids),
        # The notes for the moves into and out of a dropped status went with it.
        abbreviations=tuple(a for a in base.abbreviations if not any(d in a for d in dropped)),
        caption=caption,
        initial=base.initial,
    )


def gallery(lifecycle: Lifecycle | None = None) -> dict[str, tuple[Diagram, str]]:
    """The diagrams committed in ``diagrams/``: file name → (diagram, format).

    With no lifecycle: ModelArts v1's set (``lifecycle.*``, ``lifecycle-all-edges.*``,
    ``path-example.*``), v2's (``modelarts-v2*``) and the v1 → v2 mapping
    (``modelarts-v1-to-v2.*``). With one: that lifecycle's picture and its all-edges variant,
    named ``lifecycle.*`` and ``lifecycle-all-edges.*``.

    >>> sorted(gallery())[:4]
    ['lifecycle-all-edges.dot', 'lifecycle-all-edges.svg', 'lifecycle.dot', 'lifecycle.mmd']
    """
    pictures: tuple[tuple[str, Diagram, tuple[str, ...]], ...]
    if lifecycle is not None:
        pictures = (
            ("lifecycle", extract(lifecycle), ("svg", "png", "dot", "mermaid")),
            ("lifecycle-all-edges", extract(lifecycle, all_edges=True), ("svg", "dot")),
        )
    else:
        from jobfsm.lifecycles import builtin
        from jobfsm.lifecycles.mapping import V1_TO_V2

        v2 = builtin("modelarts-v2")
        assert v2 is not None
        pictures = (
            ("lifecycle", extract(DEFAULT_LIFECYCLE), ("svg", "png", "dot", "mermaid")),
            ("lifecycle-all-edges", extract(DEFAULT_LIFECYCLE, all_edges=True), ("svg", "dot")),
            ("path-example", extract(DEFAULT_LIFECYCLE, path=EXAMPLE_PATH), ("svg", "dot")),
            ("modelarts-v2", extract(v2), ("svg", "png", "dot", "mermaid")),
            ("modelarts-v1-to-v2", extract_mapping(V1_TO_V2), ("svg", "dot")),
        )
    return {
        stem + EXTENSIONS[fmt]: (diagram, fmt)
        for stem, diagram, formats in pictures
        for fmt in formats
    }


def write_gallery(directory: Path, lifecycle: Lifecycle | None = None) -> list[Path]:
    """Render every diagram of :func:`gallery` into ``directory``; return the files written.

    Everything is rendered before the first file is written, and every file is written in full
    before the first one replaces its old version (:func:`~jobfsm._files.write_all_atomic`): a
    missing ``dot``, a full disk or an interrupt leaves the directory as it was, and removes it
    again (with any parent made for it) when it was created for this.

    Raises:
        GraphvizNotFound: the ``dot`` executable is not on PATH.
        OSError: the directory or a file cannot be written.
    """
    pictures = gallery(lifecycle).items()
    rendered = {directory / name: render(diagram, fmt) for name, (diagram, fmt) in pictures}
    created = list(itertools.takewhile(lambda d: not d.exists(), (directory, *directory.parents)))
    directory.mkdir(parents=True, exist_ok=True)
    try:
        write_all_atomic(rendered)
    except BaseException:
        for folder in created:  # the deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return list(rendered)
