"""Diagrams: the extracted model, the DOT and Mermaid text, the real `dot`, and `jobfsm render`."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from terminal import on_a_terminal
from test_files import disk_full_at

from jobfsm import (
    DEFAULT_LIFECYCLE,
    DiagramInputError,
    Event,
    GraphvizNotFound,
    InvalidArgument,
    Job,
    JobStatus,
    Phase,
    UnknownStatus,
)
from jobfsm.cli import EXIT_OK, EXIT_USAGE, main
from jobfsm.diagram import (
    GROUP_MIN,
    HUB,
    MAIN_PATH,
    Diagram,
    EdgeStyle,
    Emphasis,
    GraphvizWarning,
    NodeKind,
    View,
    extract,
    gallery,
    kind_of,
    path_of,
    render,
    to_dot,
    to_mermaid,
    write_atomic,
)

S = JobStatus
LC = DEFAULT_LIFECYCLE
DIAGRAMS = Path(__file__).resolve().parent.parent / "diagrams"
DECLARED = [(e.source, e.target) for e in LC.edges]


def literal(d: Diagram) -> dict[tuple[str, str], str]:
    """The literal edges of a diagram: (source id, target id) → label."""
    return {(e.source, e.target): e.label for e in d.edges if e.style is not EdgeStyle.GROUPED}


@pytest.fixture
def dot() -> str:
    """The real Graphviz `dot`: required in CI, skipped with a reason elsewhere."""
    found = shutil.which("dot")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the Graphviz dot executable is missing in CI (apt-get install graphviz)")
        pytest.skip("needs the Graphviz dot executable: apt-get install graphviz")
    return found


@pytest.fixture
def no_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH that holds no `dot`; returns the directory it points at."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    # Library calls fail on a GraphvizWarning (filterwarnings = error); the CLI prints it instead.
    assert "jobfsm: warning: dot:" not in err, err
    return code, out, err


# -- the model --------------------------------------------------------------------------------


def test_every_status_is_a_node_labelled_with_name_and_code() -> None:
    """The full view has one node per status, labelled `NAME (code)`."""
    d = extract()
    assert [n.status for n in d.status_nodes()] == list(JobStatus)
    assert [n.label for n in d.status_nodes()] == [f"{s.name} ({s.value})" for s in JobStatus]


def test_all_edges_draws_every_declared_edge_exactly_once() -> None:
    """With all_edges, each declared move is one literal edge labelled with its event."""
    d = extract(all_edges=True)
    assert sorted(d.covered()) == sorted(DECLARED)
    assert all(len(e.covers) == 1 and e.style is not EdgeStyle.GROUPED for e in d.edges)
    assert literal(d) == {(e.source.name, e.target.name): e.event for e in LC.edges}


def test_abbreviated_view_still_covers_every_declared_edge_exactly_once() -> None:
    """Each declared move is drawn once: literally or inside exactly one grouped edge."""
    d = extract()
    counts = Counter(d.covered())
    assert set(counts) == set(DECLARED)
    assert set(counts.values()) == {1}
    assert len(d.edges) < len(DECLARED) / 2


def test_unknown_fan_in_and_fan_out_become_one_note_each() -> None:
    """Every move into UNKNOWN, and every move out of it, is one grouped edge from or to a note."""
    d = extract()
    into = [p for p in DECLARED if p[1] is HUB]
    out = [p for p in DECLARED if p[0] is HUB]
    grouped = {e.covers: e for e in d.edges if e.style is EdgeStyle.GROUPED}
    assert tuple(into) in grouped
    assert tuple(out) in grouped
    assert grouped[tuple(into)].label == "lose_contact"
    assert grouped[tuple(out)].label == "report_‹status›"
    assert not any(HUB.name in (e.source, e.target) for e in d.edges if len(e.covers) == 1)
    assert "every active status (10)" in d.node(grouped[tuple(into)].source).label
    assert "every other status (22)" in d.node(grouped[tuple(out)].target).label


def test_wide_declarations_become_one_grouped_edge_listing_their_sources() -> None:
    """A declaration with many sources (kill, cancel) is one edge from a note naming them all."""
    d = extract()
    wide = [
        ev
        for ev in LC.events
        if len(ev.sources) >= GROUP_MIN and ev.target is not HUB and HUB not in ev.sources
    ]
    assert {ev.name for ev in wide} == {"kill", "cancel"}
    for ev in wide:
        edge = next(
            e for e in d.edges if e.target == ev.target.name and e.style is EdgeStyle.GROUPED
        )
        assert edge.label == ev.name
        assert set(edge.covers) == {(s, ev.target) for s in ev.sources}
        note = d.node(edge.source)
        assert note.kind is NodeKind.NOTE
        assert all(s.name in note.label for s in ev.sources)


def test_a_fan_with_a_move_drawn_apart_is_still_named_by_its_rule() -> None:
    """When a path draws RUNNING ⇄ UNKNOWN literally, the notes say "every ... but RUNNING"."""
    d = extract(path=["RUNNING", "UNKNOWN", "RUNNING"])
    labels = {
        d.node(e.source if e.target == "UNKNOWN" else e.target).label
        for e in d.edges
        if e.style is EdgeStyle.GROUPED and "UNKNOWN" in (e.source, e.target)
    }
    assert labels == {
        "every active status but RUNNING (9)\n→ UNKNOWN",
        "UNKNOWN →\nevery other status but RUNNING (21)",
    }


def test_small_fans_in_a_phase_view_stay_literal() -> None:
    """In phase:run only three statuses fall into UNKNOWN: drawn literally, not as a note."""
    d = extract(view="phase:run")
    assert {a for (a, b), label in literal(d).items() if b == "UNKNOWN"} == {
        "WAITING",
        "RUNNING",
        "SCALING",
    }
    assert d.abbreviations == ("report_‹status›: UNKNOWN → every other status (9)",)


def test_narrow_declarations_stay_literal() -> None:
    """Declarations with fewer sources than GROUP_MIN (lose, mount_failed) are drawn literally."""
    d = extract()
    for ev in LC.events:
        if len(ev.sources) < GROUP_MIN and ev.target is not HUB and HUB not in ev.sources:
            for s in ev.sources:
                assert literal(d)[(s.name, ev.target.name)] == ev.name


@given(st.sampled_from(list(JobStatus)))
def test_node_class_follows_the_status(status: JobStatus) -> None:
    """Colour class: UNKNOWN, in progress for other active statuses, else the outcome."""
    node = extract().node(status.name)
    expected = {
        None: NodeKind.IN_PROGRESS,
        "succeeded": NodeKind.SUCCEEDED,
        "failed": NodeKind.FAILED,
        "canceled": NodeKind.CANCELED,
    }[status.outcome.value if status.outcome else None]
    assert node.kind is (NodeKind.UNKNOWN if status is S.UNKNOWN else expected)
    assert kind_of(status) is node.kind


def test_clusters_group_statuses_by_phase() -> None:
    """Each status sits in the cluster of its phase, and every phase has a cluster."""
    d = extract()
    assert {c.phase for c in d.clusters} == {p.value for p in Phase}
    for cluster in d.clusters:
        for node_id in cluster.node_ids:
            assert d.node(node_id).phase == cluster.phase
    assert sorted(i for c in d.clusters for i in c.node_ids) == sorted(n.id for n in d.nodes)


def test_main_path_is_the_spine() -> None:
    """The main path's moves are spine edges, and no other edge is."""
    d = extract()
    spine = {(a.name, b.name) for a, b in pairwise(MAIN_PATH)}
    assert {(e.source, e.target) for e in d.edges if e.style is EdgeStyle.SPINE} == spine
    assert d.spine == tuple(s.name for s in MAIN_PATH)


def test_legend_lists_every_class_drawn() -> None:
    """The legend has an entry per node class in the picture and for the edge styles used."""
    d = extract()
    assert {e.kind for e in d.legend if e.kind} == {n.kind for n in d.status_nodes()}
    assert {e.style for e in d.legend if e.style} == {EdgeStyle.SPINE, EdgeStyle.GROUPED}


def test_caption_says_what_is_abbreviated() -> None:
    """The caption counts the grouped moves and names the option that draws them all."""
    d = extract()
    grouped = sum(len(e.covers) for e in d.edges if e.style is EdgeStyle.GROUPED)
    assert f"{grouped} of these {len(DECLARED)} declared moves" in d.caption[0]
    assert "--all-edges" in d.caption[0]
    assert extract(all_edges=True).caption == (
        f"All {len(DECLARED)} declared moves, each drawn literally.",
    )


def test_a_custom_lifecycle_is_drawn_from_its_own_table() -> None:
    """Extraction reads the lifecycle it is given: a removed edge disappears, an added one shows."""
    lc = DEFAULT_LIFECYCLE.without_edges((S.SCALING, S.RUNNING)).with_events(
        Event("requeue", {S.SCALING}, S.WAITING, "resized onto a new pool")
    )
    d = extract(lc, all_edges=True)
    assert ("SCALING", "RUNNING") not in literal(d)
    assert literal(d)[("SCALING", "WAITING")] == "requeue"
    assert sorted(d.covered()) == sorted((e.source, e.target) for e in lc.edges)


# -- views ------------------------------------------------------------------------------------


@given(st.sampled_from(list(JobStatus)))
def test_from_view_shows_what_is_reachable_without_unknown(start: JobStatus) -> None:
    """`from:S` shows S and each status reachable from it by real moves (not through UNKNOWN)."""
    d = extract(view=f"from:{start.value}")
    shown = {n.status for n in d.status_nodes()}
    expected = {
        t
        for t in JobStatus
        if t == start or (t is not HUB and LC.shortest_path(start, t) is not None)
    }
    assert shown == expected
    assert Counter(d.covered()) == Counter(p for p in DECLARED if p[0] in shown and p[1] in shown)


def test_from_a_terminal_status_shows_only_itself() -> None:
    """Nothing leaves a terminal status, so its view is one node and no edge."""
    d = extract(view="from:COMPLETED")
    assert [n.id for n in d.nodes] == ["COMPLETED"]
    assert d.edges == ()


@pytest.mark.parametrize("phase", list(Phase))
def test_phase_view_shows_the_phase_and_its_neighbours(phase: Phase) -> None:
    """`phase:NAME` shows its statuses, their direct neighbours, and only moves touching it."""
    d = extract(view=f"phase:{phase.value}", all_edges=True)
    focus = {s for s in JobStatus if s.phase is phase}
    near = {b for a, b in DECLARED if a in focus} | {a for a, b in DECLARED if b in focus}
    assert {n.status for n in d.status_nodes()} == focus | near
    assert sorted(d.covered()) == sorted(p for p in DECLARED if p[0] in focus or p[1] in focus)
    assert d.title.endswith(f"phase-{phase.value}")


@pytest.mark.parametrize("text", ["sideways", "phase:nope", "from:", "from:BOGUS", "full:x"])
def test_bad_view_names_the_accepted_forms(text: str) -> None:
    """An unknown view raises DiagramInputError naming the view and what is accepted."""
    with pytest.raises(DiagramInputError) as info:
        View.parse(text)
    assert repr(text) in info.value.message
    assert "from:STATUS" in info.value.message
    assert "phase:NAME" in info.value.message


def test_diagram_node_lookup_raises_key_error() -> None:
    """Asking a diagram for a node it does not have raises KeyError."""
    with pytest.raises(KeyError):
        extract(view="from:KILLING").node("RUNNING")


# -- highlighting a path ------------------------------------------------------------------------


def test_path_emphasises_its_moves_and_current_status() -> None:
    """A job's path: its moves and statuses strong, the last status current, the rest dim."""
    d = extract(path=[1, 2, 4, 7, 8, 10])
    assert d.node("COMPLETED").emphasis is Emphasis.CURRENT
    assert d.node("WAITING").emphasis is Emphasis.STRONG
    assert d.node("KILLED").emphasis is Emphasis.DIM
    strong = {(e.source, e.target) for e in d.edges if e.emphasis is Emphasis.STRONG}
    assert strong == {(a.name, b.name) for a, b in pairwise(MAIN_PATH)}
    assert all(e.emphasis is Emphasis.DIM for e in d.edges if (e.source, e.target) not in strong)
    assert "Path: INIT → IMAGE_CREATING" in d.caption[1]


def test_path_through_a_grouped_move_draws_that_move_literally() -> None:
    """A path step inside a fan (RUNNING → KILLING) is drawn literally; the note covers the rest."""
    d = extract(path=["RUNNING", "KILLING", "KILLED"])
    assert literal(d)[("RUNNING", "KILLING")] == "kill"
    kill = next(e for e in d.edges if e.style is EdgeStyle.GROUPED and e.label == "kill")
    assert (S.RUNNING, S.KILLING) not in kill.covers
    assert Counter(d.covered()) == Counter(DECLARED)


def test_undeclared_step_is_red_dashed_and_repeats_are_not_moves() -> None:
    """RUNNING → WAITING is drawn as an undeclared move; RUNNING, RUNNING draws no self-loop."""
    d = extract(path=["WAITING", "RUNNING", "RUNNING", "WAITING"])
    bad = [e for e in d.edges if e.style is EdgeStyle.UNDECLARED]
    assert [(e.source, e.target, e.covers) for e in bad] == [("RUNNING", "WAITING", ())]
    assert not any(e.source == e.target for e in d.edges)
    assert d.node("WAITING").emphasis is Emphasis.CURRENT
    line = to_dot(d).split("RUNNING -> WAITING")[1].splitlines()[0]
    assert 'label=" undeclared "' in line
    assert "xlabel" not in line  # many would pile up in a faulty fleet's traffic
    assert 'color="#DC2626"' in line
    assert "style=dashed" in line


def test_path_of_a_job_is_its_history() -> None:
    """path_of gives the statuses a job went through, for highlighting."""
    job = Job("t")
    job.advance_to(S.SUBMIT_TRYING)
    job.advance_to(S.WAITING)
    assert path_of(job) == (S.INIT, S.SUBMIT_TRYING, S.WAITING)
    assert extract(path=path_of(job)).node("WAITING").emphasis is Emphasis.CURRENT


def test_path_with_an_unknown_status_is_refused() -> None:
    """A path item that is not a status raises UnknownStatus naming it."""
    with pytest.raises(UnknownStatus, match="'RUNING'"):
        extract(path=["INIT", "RUNING"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(list(JobStatus)), min_size=1, max_size=12))
def test_any_path_keeps_every_declared_move_drawn_once(path: list[JobStatus]) -> None:
    """Whatever the path, declared moves are covered exactly once and only its undeclared steps
    are red."""
    d = extract(path=path)
    assert Counter(d.covered()) == Counter(DECLARED)
    undeclared = {
        (a.name, b.name) for a, b in pairwise(path) if a != b and not LC.can_transition(a, b)
    }
    assert {(e.source, e.target) for e in d.edges if e.style is EdgeStyle.UNDECLARED} == undeclared
    assert d.node(path[-1].name).emphasis is Emphasis.CURRENT


# -- traffic overlay --------------------------------------------------------------------------


def test_traffic_draws_counts_and_width_and_undeclared_moves() -> None:
    """Observed counts label their edges, widths grow with counts, undeclared moves are red."""
    traffic = {
        (S.WAITING, S.RUNNING): 120,
        (S.RUNNING, S.COMPLETED): 100,
        (S.RUNNING, S.KILLING): 3,
        (S.RUNNING, S.WAITING): 2,
        (S.RUNNING, S.RUNNING): 50,
        (S.INIT, S.SUBMIT_TRYING): 0,
    }
    d = extract(traffic=traffic)
    by_pair = {(e.source, e.target): e for e in d.edges if e.style is not EdgeStyle.GROUPED}
    start, done, kill = (
        by_pair[("WAITING", "RUNNING")],
        by_pair[("RUNNING", "COMPLETED")],
        by_pair[("RUNNING", "KILLING")],
    )
    assert (start.label, start.count) == ("start ×120", 120)
    assert kill.label == "kill ×3"
    assert start.width > done.width > kill.width > 1.0
    bad = by_pair[("RUNNING", "WAITING")]
    assert (bad.style, bad.label, bad.covers) == (EdgeStyle.UNDECLARED, "undeclared ×2", ())
    assert ("RUNNING", "RUNNING") not in by_pair
    assert by_pair[("INIT", "SUBMIT_TRYING")].emphasis is Emphasis.DIM
    assert by_pair[("INIT", "SUBMIT_TRYING")].count is None
    assert Counter(d.covered()) == Counter(DECLARED)
    assert "Observed: 225 moves over 4 edges" in d.caption[-1]
    assert "2 of them undeclared" in d.caption[-1]


def test_traffic_renders_widths_in_dot() -> None:
    """The DOT source carries each observed edge's width and count."""
    source = to_dot(extract(traffic={(S.WAITING, S.RUNNING): 9, (S.RUNNING, S.COMPLETED): 1}))
    assert 'WAITING -> RUNNING [label=" start ×9 "' in source
    assert "penwidth=6 " in source.split("WAITING -> RUNNING")[1].splitlines()[0] + " "


@pytest.mark.parametrize("count", [-1, 1.5, True, "3"])
def test_traffic_rejects_counts_that_are_not_natural_numbers(count: object) -> None:
    """A negative or non-integer count raises DiagramInputError naming the pair."""
    with pytest.raises(DiagramInputError, match=r"traffic\[") as info:
        extract(traffic={(S.WAITING, S.RUNNING): count})  # type: ignore[dict-item]
    assert "an int ≥ 0" in info.value.message


# -- DOT and Mermaid text -----------------------------------------------------------------------


def test_output_is_deterministic_and_unversioned() -> None:
    """The same lifecycle gives the same DOT and Mermaid bytes, with no version or date."""
    assert to_dot(extract()) == to_dot(extract())
    assert to_mermaid(extract()) == to_mermaid(extract())
    for text in (to_dot(extract()), to_mermaid(extract())):
        assert "version" not in text.lower()
        assert "2026" not in text


def test_mermaid_declares_every_state_it_connects() -> None:
    """Every state an arrow names is declared with its label, and every literal edge is listed."""
    d = extract()
    text = to_mermaid(d)
    lines = text.splitlines()
    assert lines[0] == "stateDiagram-v2"
    declared = {line.split(" as ")[1] for line in lines if line.strip().startswith("state ")}
    for line in lines:
        if "-->" in line:
            a, _, rest = line.strip().partition(" --> ")
            b = rest.split(":")[0]
            assert a in declared | {"[*]"}
            assert b in declared
    for (a, b), label in literal(d).items():
        assert f"    {a} --> {b}: {label}" in lines


def test_mermaid_marks_undeclared_moves_and_the_current_status() -> None:
    """Mermaid has no dashed red arrows in state diagrams: the label carries ✗, classes the rest."""
    text = to_mermaid(extract(path=[8, 7]))
    assert "    RUNNING --> WAITING: ✗ undeclared" in text
    assert "    class WAITING current" in text


@pytest.mark.parametrize("name", sorted(n for n in gallery() if n.endswith((".dot", ".mmd"))))
def test_committed_text_diagrams_are_up_to_date(name: str) -> None:
    """The DOT and Mermaid files in diagrams/ are exactly what the generator produces now."""
    diagram, fmt = gallery()[name]
    committed = DIAGRAMS / name
    assert committed.exists(), f"diagrams/{name} is missing: run `make diagrams`"
    expected = render(diagram, fmt).decode()
    assert committed.read_text(encoding="utf-8") == expected, (
        f"diagrams/{name} is stale: run `make diagrams` and commit the result"
    )


def test_diagrams_directory_holds_exactly_the_gallery() -> None:
    """No stale file lingers in diagrams/, and every generated one is committed."""
    assert sorted(p.name for p in DIAGRAMS.iterdir()) == sorted(gallery())


def test_unknown_format_is_refused() -> None:
    """render() names the accepted formats."""
    with pytest.raises(DiagramInputError, match="svg, png, pdf, dot, mermaid"):
        render(extract(), "gif")


# -- the real dot -------------------------------------------------------------------------------


@pytest.mark.integration
def test_svg_parses_and_names_every_status(dot: str) -> None:
    """dot's SVG is well-formed XML whose text names all 23 statuses."""
    svg = render(extract(), "svg")
    root = ET.fromstring(svg)
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert all(f"{s.name} ({s.value})" in texts for s in JobStatus)


@pytest.mark.integration
def test_png_has_a_valid_header_and_a_sensible_size(dot: str) -> None:
    """The PNG starts with the PNG signature and is a legible size, wider than tall."""
    png = render(extract(), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert 1500 <= width <= 6000
    assert 800 <= height <= width


@pytest.mark.integration
def test_pdf_is_a_pdf(dot: str) -> None:
    """PDF output starts with the PDF header."""
    assert render(extract(view="phase:stop"), "pdf").startswith(b"%PDF-")


@pytest.mark.integration
def test_all_formats_writes_the_gallery(
    dot: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`render --all-formats DIR` writes every committed diagram and names each file on stderr."""
    code, out, err = run(capsys, "render", "--all-formats", str(tmp_path / "out"))
    assert code == EXIT_OK
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(gallery())
    assert out == ""
    assert err.count("wrote ") == len(gallery())
    assert (tmp_path / "out" / "lifecycle.dot").read_text() == to_dot(extract())


@pytest.mark.integration
def test_cli_writes_png_to_out(
    dot: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`render --format png --out FILE --path ...` writes a PNG and names it on stderr only."""
    out = tmp_path / "job.png"
    code, stdout, err = run(
        capsys, "render", "--format", "png", "--out", str(out), "--path", "1,2,4,7,8,10"
    )
    assert code == EXIT_OK
    assert stdout == ""
    assert err == f"wrote {out}\n"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["job.png"]


@pytest.mark.integration
@pytest.mark.parametrize("fmt", ["svg", "png"])
@pytest.mark.parametrize(
    "drawing",
    [
        *(name for name in gallery() if name.endswith(".dot")),
        *(f"view {v}" for v in ("phase:review", "phase:creation", "phase:run", "phase:stop")),
        *(f"view {v}" for v in ("phase:unknown", "from:init", "from:running", "from:killing")),
    ],
)
def test_dot_draws_without_a_warning(dot: str, drawing: str, fmt: str) -> None:
    """No committed picture and no view makes dot warn (it once could not route KILLING →
    COMPLETED's label, which then read as RUNNING → FAILED's)."""
    if drawing.startswith("view "):
        diagram = extract(view=drawing.removeprefix("view "))
    else:
        diagram = gallery()[drawing][0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render(diagram, fmt)
    assert [str(w.message) for w in caught] == []


def test_an_edge_outside_the_ranking_has_its_label_beside_it() -> None:
    """KILLING → COMPLETED does not rank COMPLETED: its label is an xlabel, placed on the edge."""
    line = next(ln for ln in to_dot(extract()).splitlines() if "KILLING -> COMPLETED" in ln)
    assert 'xlabel=" complete "' in line
    assert "constraint=false" in line
    spine = next(ln for ln in to_dot(extract()).splitlines() if "RUNNING -> COMPLETED" in ln)
    assert 'label=" complete "' in spine
    assert "xlabel" not in spine


@pytest.fixture
def warning_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `dot` on PATH that draws a tiny SVG and warns twice, as Graphviz does, on stderr."""
    folder = tmp_path / "bin"
    folder.mkdir()
    fake = folder / "dot"
    fake.write_text(
        "#!/bin/sh\n"
        "cat > /dev/null\n"
        'echo \'Warning: Unable to reclaim box space for edge "A" -> "B".\' >&2\n'
        'echo \'Warning: Unable to reclaim box space for edge "A" -> "B".\' >&2\n'
        "echo '<svg xmlns=\"http://www.w3.org/2000/svg\"/>'\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder


def test_dot_warnings_are_a_graphviz_warning(warning_dot: Path) -> None:
    """render() returns the picture and issues what dot said, once per message."""
    with pytest.warns(GraphvizWarning) as caught:
        svg = render(extract(), "svg")
    assert svg.startswith(b"<svg")
    [warning] = [w.message for w in caught]
    assert isinstance(warning, GraphvizWarning)
    assert warning.format == "svg"
    assert warning.lines == ('Unable to reclaim box space for edge "A" -> "B".',)


def test_render_shows_dot_warnings_on_stderr_and_exits_0(warning_dot: Path, tmp_path: Path) -> None:
    """As a real process: the file is written, exit 0, and dot's warning is one stderr line."""
    done = subprocess.run(
        [sys.executable, "-m", "jobfsm", "render", "--out", "x.svg"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == EXIT_OK
    assert done.stderr == (
        'jobfsm: warning: dot: Unable to reclaim box space for edge "A" -> "B".\nwrote x.svg\n'
    )
    assert (tmp_path / "x.svg").read_text().startswith("<svg")


def test_all_formats_shows_each_dot_warning_once(
    warning_dot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The gallery draws several pictures with dot; the same message is shown once."""
    assert main(["render", "--all-formats", str(tmp_path / "d")]) == EXIT_OK
    _, err = capsys.readouterr()
    assert err.count("jobfsm: warning: dot: Unable to reclaim box space") == 1


# -- without dot --------------------------------------------------------------------------------


def test_missing_dot_raises_with_install_hint(no_dot: Path) -> None:
    """Without dot, SVG fails naming the executable, the package and the formats that work."""
    with pytest.raises(GraphvizNotFound) as info:
        render(extract(), "svg")
    message = info.value.message
    assert "'dot'" in message
    assert "apt-get install graphviz" in message
    assert "brew install graphviz" in message
    assert "--format dot or --format mermaid" in message
    assert "\n" not in message


def test_text_formats_need_no_dot(no_dot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """DOT and Mermaid render without the executable."""
    code, out, _ = run(capsys, "render", "--format", "dot")
    assert (code, out) == (EXIT_OK, to_dot(extract()))
    code, out, _ = run(capsys, "render", "--format", "mermaid", "--view", "phase:run")
    assert (code, out) == (EXIT_OK, to_mermaid(extract(view="phase:run")))


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_cli_without_dot_exits_2_and_leaves_no_file(
    fmt: str, no_dot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without dot, binary renders exit 2 with one line on stderr and write nothing."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = run(capsys, "render", "--format", fmt, "--out", str(out_dir / f"x.{fmt}"))
    assert code == EXIT_USAGE
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "'dot'" in err
    assert "apt-get install graphviz" in err
    assert list(out_dir.iterdir()) == []


def test_all_formats_without_dot_writes_nothing(
    no_dot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--all-formats renders everything before writing: a missing dot leaves DIR untouched."""
    code, _, err = run(capsys, "render", "--all-formats", str(tmp_path / "d"))
    assert code == EXIT_USAGE
    assert "'dot'" in err
    assert not (tmp_path / "d").exists()


def test_subprocess_without_dot_on_path(no_dot: Path, tmp_path: Path) -> None:
    """As a real process with a PATH lacking dot: exit 2, the message, no file."""
    out = tmp_path / "lifecycle.svg"
    done = subprocess.run(
        [sys.executable, "-m", "jobfsm", "render", "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(no_dot)},
        check=False,
    )
    assert done.returncode == EXIT_USAGE
    assert done.stderr.startswith("jobfsm: error: cannot render svg: the Graphviz executable 'dot'")
    assert "Traceback" not in done.stderr
    assert not out.exists()


# -- CLI usage errors ---------------------------------------------------------------------------


PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.integration
@pytest.mark.parametrize(("fmt", "start"), [("png", PNG), ("pdf", b"%PDF-"), ("svg", b"<?xml")])
def test_a_redirected_stdout_gets_any_format(
    dot: str, tmp_path: Path, fmt: str, start: bytes
) -> None:
    """`jobfsm render --format png > y.png` (no --out) writes the PNG's bytes into y.png."""
    with (tmp_path / f"y.{fmt}").open("wb") as redirected:
        done = subprocess.run(
            [sys.executable, "-m", "jobfsm", "render", "--format", fmt],
            stdout=redirected,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            check=False,
        )
    assert (done.returncode, done.stderr) == (EXIT_OK, b"")
    assert (tmp_path / f"y.{fmt}").read_bytes().startswith(start)


def at_a_terminal(*argv: str) -> tuple[int, bytes, str]:
    """Run jobfsm with stdout on a pseudo-terminal; return its exit code, what reached the
    terminal and its stderr."""
    code, shown, err = on_a_terminal(*argv, timeout=60)
    return code, shown, err.decode()


@pytest.mark.parametrize(("argv", "ext"), [([], ".svg"), (["--format", "png"], ".png")])
def test_a_picture_for_a_terminal_is_one_line_of_hint(argv: list[str], ext: str) -> None:
    """`jobfsm render` at a terminal prints no 50 KB of SVG (nor PNG bytes): exit 2 and one line
    on stderr saying to give --out or to redirect."""
    code, shown, err = at_a_terminal("render", *argv)
    assert code == EXIT_USAGE
    assert shown == b""
    assert len(err.splitlines()) == 1
    assert err.startswith("jobfsm: error: stdout is a terminal")
    assert f"--out FILE (such as lifecycle{ext})" in err
    assert f"> lifecycle{ext}" in err


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["--format", "mermaid"], b"stateDiagram-v2"),
        (["--format", "dot"], b"digraph lifecycle {"),
        (["--out", "-"], b"<?xml"),
    ],
)
def test_text_and_an_explicit_out_dash_reach_a_terminal(
    dot: str, argv: list[str], start: bytes
) -> None:
    """DOT and Mermaid are read at a terminal; `--out -` asks for the SVG there."""
    code, shown, err = at_a_terminal("render", *argv)
    assert (code, err) == (EXIT_OK, "")
    assert shown.startswith(start)


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("lifecycle.png", PNG),
        ("LIFECYCLE.PNG", PNG),
        ("lifecycle.pdf", b"%PDF-"),
        ("lifecycle.svg", b"<?xml"),
        ("lifecycle", b"<?xml"),
        ("lifecycle.dot", b"digraph lifecycle {"),
        ("lifecycle.gv", b"digraph lifecycle {"),
        ("lifecycle.mmd", b"stateDiagram-v2"),
        ("lifecycle.mermaid", b"stateDiagram-v2"),
    ],
)
def test_the_format_follows_the_extension(
    dot: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, start: bytes
) -> None:
    """`render --out lifecycle.png` draws a PNG, not SVG under a .png name; no extension: SVG."""
    code, _, err = run(capsys, "render", "--out", str(tmp_path / name))
    assert (code, err) == (EXIT_OK, f"wrote {tmp_path / name}\n")
    assert (tmp_path / name).read_bytes().startswith(start)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--format", "svg", "--out", "x.png"], "--format svg contradicts --out x.png"),
        (["--format", "png", "--out", "x.PDF"], "whose extension names pdf"),
        (["--format", "dot", "--out", "x.mmd"], "name the file *.dot"),
        (
            ["--out", "x.jpg"],
            "cannot tell a format from --out x.jpg: its extension .jpg names none",
        ),
    ],
)
def test_a_format_the_extension_contradicts_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    needle: str,
) -> None:
    """A contradiction between --format and the extension, or an unknown extension without
    --format, exits 2 and writes nothing."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "render", *argv)
    assert (code, out) == (EXIT_USAGE, "")
    assert needle in err
    assert list(tmp_path.iterdir()) == []


def test_format_names_what_an_unknown_extension_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With --format, any name is accepted: `--format dot --out x.txt` writes DOT."""
    code, _, _ = run(capsys, "render", "--format", "dot", "--out", str(tmp_path / "x.txt"))
    assert code == EXIT_OK
    assert (tmp_path / "x.txt").read_text() == to_dot(extract())


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--path", "1,2,RUNING"], "'RUNING' is not a ModelArts job status"),
        (["--path", "1,,2"], "empty item"),
        (["--view", "phase:nope"], "'phase:nope' cannot be drawn"),
        (["--format", "gif"], "'gif' is not one of"),
        (["--all-formats", "d", "--out", "x.svg"], "it takes no --out"),
        (["--all-formats", "d", "--format", "dot"], "it takes no --format"),
    ],
)
def test_bad_render_arguments_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad statuses, views, formats and option mixes exit 2 with one clear message."""
    code, out, err = run(capsys, "render", *argv)
    assert code == EXIT_USAGE
    assert out == ""
    assert needle in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("fmt", "draw"), [("dot", to_dot), ("mermaid", to_mermaid)])
def test_out_dash_writes_a_text_format_to_stdout(
    fmt: str,
    draw: Callable[[Diagram], str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """`--out -` means stdout, as for simulate: no file named '-' appears."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "render", "--format", fmt, "--out", "-")
    assert (code, out, err) == (EXIT_OK, draw(extract()), "")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.integration
def test_out_dash_writes_png_bytes_to_a_redirected_stdout(
    dot: str, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:  # fmt: skip
    """`--format png --out -` sends the PNG's bytes to stdout when it is not a terminal."""
    monkeypatch.chdir(tmp_path)
    assert main(["render", "--format", "png", "--out", "-"]) == EXIT_OK
    out, err = capsysbinary.readouterr()
    assert out[:8] == b"\x89PNG\r\n\x1a\n"
    assert err == b""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_out_dash_refuses_binary_to_a_terminal(
    fmt: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A binary format is not sent to a terminal: a usage error says to redirect or use a file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, err = run(capsys, "render", "--format", fmt, "--out", "-")
    assert (code, out) == (EXIT_USAGE, "")
    assert list(tmp_path.iterdir()) == []
    assert "stdout is a terminal" in err
    assert "--out FILE" in err


def test_out_into_a_missing_directory_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An --out path whose directory does not exist is a clear error, not a traceback."""
    code, _, err = run(capsys, "render", "--format", "dot", "--out", str(tmp_path / "no" / "x.dot"))
    assert code == EXIT_USAGE
    assert "x.dot" in err


def test_path_highlight_from_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """`--path` accepts names and codes and draws the same as extract(path=...)."""
    code, out, _ = run(capsys, "render", "--format", "dot", "--path", "init, 4,waiting,8,7")
    assert code == EXIT_OK
    assert out == to_dot(extract(path=[1, 4, 7, 8, 7]))


# -- atomic writes ------------------------------------------------------------------------------


def test_write_atomic_replaces_the_whole_file(tmp_path: Path) -> None:
    """The target holds the new bytes and no temporary file is left."""
    target = tmp_path / "a.dot"
    target.write_text("old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.dot"]


def test_write_atomic_failure_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the final rename fails the old file is intact and the temporary file is removed."""
    target = tmp_path / "a.dot"
    target.write_text("old")

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, b"new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.dot"]


@pytest.mark.integration
def test_all_formats_on_a_full_disk_leaves_no_directory(
    dot: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--all-formats into a new DIR on a full disk: exit 2, and neither DIR nor a file is left."""
    disk_full_at(monkeypatch, 3)
    code, out, err = run(capsys, "render", "--all-formats", str(tmp_path / "d"))
    assert (code, out) == (EXIT_USAGE, "")
    assert err == f"jobfsm: error: cannot write into {tmp_path / 'd'}: No space left on device\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.integration
def test_all_formats_on_a_full_disk_keeps_the_old_set(
    dot: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Into an existing DIR, a full disk leaves every old file as it was and no temporary file."""
    for name in gallery():
        (tmp_path / name).write_text("old")
    disk_full_at(monkeypatch, len(gallery()))
    assert main(["render", "--all-formats", str(tmp_path)]) == EXIT_USAGE
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(gallery())
    assert all((tmp_path / name).read_text() == "old" for name in gallery())


@pytest.mark.integration
def test_all_formats_names_a_read_only_file_and_changes_nothing(
    dot: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A read-only lifecycle.svg in DIR: exit 2 naming it; no file of the set is replaced."""
    for name in gallery():
        (tmp_path / name).write_text("old")
    (tmp_path / "lifecycle.svg").chmod(0o444)
    code, _, err = run(capsys, "render", "--all-formats", str(tmp_path))
    assert code == EXIT_USAGE
    assert err.startswith(
        f"jobfsm: error: cannot write {tmp_path / 'lifecycle.svg'}: it is read-only"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(gallery())
    assert all((tmp_path / name).read_text() == "old" for name in gallery())


# -- render --log: a status log's traffic on the lifecycle --------------------------------------


def write_log(path: Path, *rows: tuple[str, object, float]) -> Path:
    path.write_text(
        "".join(json.dumps({"job_id": j, "status": s, "time": t}) + "\n" for j, s, t in rows)
    )
    return path


def test_render_log_overlays_observed_counts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`render --log` labels observed edges with their counts and draws undeclared ones red."""
    log = write_log(
        tmp_path / "seen.jsonl",
        ("a", "WAITING", 1), ("a", "RUNNING", 2), ("a", "WAITING", 3),
        ("b", "WAITING", 1), ("b", "RUNNING", 2), ("b", "COMPLETED", 3),
    )  # fmt: skip
    code, out, _ = run(capsys, "render", "--log", str(log), "--format", "dot")
    assert code == EXIT_OK
    assert "start ×2" in out
    assert "complete ×1" in out
    assert 'RUNNING -> WAITING [label=" undeclared ×1 "' in out


def test_render_log_polled_spreads_a_jump_over_its_path(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """In polled mode (the default) WAITING → COMPLETED counts on start and complete."""
    log = write_log(tmp_path / "seen.jsonl", ("a", 7, 1), ("a", 10, 2))
    code, out, _ = run(capsys, "render", "--log", str(log), "--format", "mermaid")
    assert code == EXIT_OK
    assert "start ×1" in out
    assert "complete ×1" in out
    code, out, _ = run(
        capsys, "render", "--log", str(log), "--mode", "strict", "--format", "mermaid"
    )
    assert code == EXIT_OK
    assert "undeclared ×1" in out


def test_render_log_options_need_a_log(capsys: pytest.CaptureFixture[str]) -> None:
    """--mode without --log is a usage error, and so is --log with --all-formats."""
    code, _, err = run(capsys, "render", "--mode", "strict", "--format", "dot")
    assert code == EXIT_USAGE
    assert "--mode goes with --log" in err
    code, _, err = run(capsys, "render", "--all-formats", "x", "--log", "y")
    assert code == EXIT_USAGE
    assert "--log" in err


def test_render_log_missing_file_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An unreadable log is one line on stderr and exit 2, and no picture is written."""
    out_file = tmp_path / "t.dot"
    code, _, err = run(
        capsys, "render", "--log", str(tmp_path / "nope.jsonl"), "--format", "dot",
        "--out", str(out_file),
    )  # fmt: skip
    assert code == EXIT_USAGE
    assert "nope.jsonl" in err
    assert len(err.strip().splitlines()) == 1
    assert not out_file.exists()


def test_render_log_warns_once_about_rejected_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Bad lines are not silently dropped: one warning counts them and names the first."""
    log = tmp_path / "seen.jsonl"
    log.write_text(
        '{"job_id": "a", "status": 7, "time": 1}\nnot json\n'
        '{"job_id": "a", "status": 8, "time": 2}\n\n'
    )
    code, out, err = run(capsys, "render", "--log", str(log), "--format", "dot")
    assert code == EXIT_OK
    assert "start ×1" in out
    assert err.startswith(f"jobfsm: warning: {log}: 2 of 4 lines rejected")
    assert "first: line 2: malformed JSON" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\n", "cannot read status log {}: it is binary data"),
        (b"\x89PNG\n", "cannot read status log {}: it is binary data"),
        (
            b'\n{"job_id": "a"}\n',
            "no observations in {}: 2 lines, all rejected; first: line 1: empty",
        ),
        (b"", "no observations in {}: it has no lines of data"),
    ],
)
def test_render_log_without_observations_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes, reason: str
) -> None:
    """A LOG that yields no observation (a picture given by mistake, an empty file) is an error
    naming it, and nothing is drawn."""
    log = tmp_path / "some.png"
    log.write_bytes(data)
    target = tmp_path / "t.dot"
    code, out, err = run(
        capsys, "render", "--log", str(log), "--format", "dot", "--out", str(target)
    )
    assert (code, out) == (EXIT_USAGE, "")
    assert err.startswith(f"jobfsm: error: {reason.format(log)}")
    assert err.count("\n") == 1
    assert not target.exists()


@pytest.mark.integration
def test_render_log_of_a_faulty_fleet_draws_with_real_dot(
    dot: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Many observed undeclared moves still render to SVG (Graphviz's ranking bug worked around)."""
    log = tmp_path / "fleet.jsonl"
    assert (
        main(["simulate", "--jobs", "200", "--seed", "3", "--faults", "0.01", "--out", str(log)])
        == 0
    )
    svg = tmp_path / "traffic.svg"
    code, _, err = run(capsys, "render", "--log", str(log), "--out", str(svg))
    assert code == EXIT_OK, err
    root = ET.fromstring(svg.read_bytes())
    text = "".join(root.itertext())
    assert "undeclared ×" in text
    assert "Observed:" in text


def test_a_focused_view_keeps_only_the_traffic_that_touches_it() -> None:
    """With a view, observed moves far from its statuses are left out of the picture."""
    seen = {
        (JobStatus.KILLING, JobStatus.KILLED): 3,
        (JobStatus.RUNNING, JobStatus.CHECK_FAILED): 2,
    }
    drawing = extract(view="from:KILLING", traffic=seen)
    names = {n.id for n in drawing.nodes}
    assert "KILLED" in names
    assert "CHECK_FAILED" not in names
    assert [e.label for e in drawing.edges if e.count] == ["killed ×3"]


@pytest.mark.parametrize("path", ["RUNNING", b"RUNNING"])
def test_a_path_given_as_one_string_is_refused(path: object) -> None:
    """A string is not read as a path of one-letter statuses: the error says to pass a list."""
    with pytest.raises(InvalidArgument, match=r"expected a list of statuses such as \['RUNNING'\]"):
        extract(path=path)  # type: ignore[arg-type]
