"""The interactive page: its SVG ids, its data, its self-containment, and `render --format html`.

What the page does in a browser is tested in test_page_browser.py."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from terminal import on_a_terminal
from test_diagram import run, write_log

from jobfsm import DEFAULT_LIFECYCLE, Event, Lifecycle
from jobfsm.cli import EXIT_OK, EXIT_USAGE
from jobfsm.diagram import EdgeStyle, extract, format_of, gallery, render, to_dot
from jobfsm.diagram_html import page, page_data
from jobfsm.lifecycles import BUILTIN, EXAMPLES, get_lifecycle

LIFECYCLES = [*BUILTIN, *(str(p) for p in EXAMPLES.values())]


@pytest.fixture(autouse=True)
def dot() -> None:
    """Every page draws its SVG with the real Graphviz dot."""
    if shutil.which("dot") is None:
        from conftest import unavailable

        unavailable("the page needs the Graphviz dot executable: apt-get install graphviz")


def data_of(text: str) -> Any:
    """The data the page's script reads."""
    found = re.search(r'<script type="application/json" id="jf-data">(.*?)</script>', text, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_ids_leave_the_committed_dot_unchanged() -> None:
    """Without ids the DOT is what diagrams/ holds; with them, it differs by the ids alone."""
    for diagram, fmt in gallery().values():
        if fmt != "dot":
            continue
        plain = to_dot(diagram)
        with_ids = to_dot(diagram, ids=True)
        assert "jf_node_" not in plain
        assert re.sub(r" id=jf_(node|edge)_\d+", "", with_ids) == plain


@pytest.mark.parametrize("name", LIFECYCLES)
def test_every_node_and_edge_has_its_svg_element(name: str) -> None:
    """dot's SVG holds one element per node and per edge, with the id to_dot gave it."""
    diagram = extract(get_lifecycle(name), all_edges=True)
    svg = render(diagram, "svg", ids=True).decode()
    found = re.findall(r'<g id="jf_(node|edge)_(\d+)" class="(node|edge)">', svg)
    assert sorted((kind, int(i)) for kind, i, cls in found if kind == cls) == sorted(
        [("node", i) for i in range(len(diagram.nodes))]
        + [("edge", j) for j in range(len(diagram.edges))]
    )


@pytest.mark.parametrize("name", LIFECYCLES)
def test_the_page_maps_every_declared_move_once(name: str) -> None:
    """Each declared move is in the page's table, and one arrow of the declared view stands for
    it; each drawn status is mapped to its element."""
    lc = get_lifecycle(name)
    text = page(lc)
    data = data_of(text)
    view = data["views"]["declared"]
    covered = [i for e in view["edges"].values() for i in e["moves"]]
    assert sorted(covered) == list(range(len(lc.edges)))
    moves = data["moves"]
    assert [tuple(m) for m in moves] == [
        (e.source.name, e.target.name, e.event, e.reason, e.cite) for e in lc.edges
    ]
    assert sorted(s for s in view["nodes"].values() if s) == sorted(s.name for s in lc.statuses)
    for element in [*view["nodes"], *view["edges"]]:
        assert text.count(f'id="{element}"') == 1


def test_a_grouped_arrow_touches_every_status_it_stands_for() -> None:
    """kill from any of nine statuses: clicking any of them highlights the one grouped arrow."""
    data = page_data(DEFAULT_LIFECYCLE, {"declared": extract()})
    edges = data["views"]["declared"]["edges"]
    kill = next(e for e in edges.values() if e["kind"] == "grouped" and e["label"] == "kill")
    assert kill["pair"] is None
    assert {"RUNNING", "WAITING", "KILLING"} <= set(kill["touches"])
    assert {data["moves"][i][2] for i in kill["moves"]} == {"kill"}


def test_search_keys_are_what_parse_reads() -> None:
    """A status is found by each text Status.parse reads as it, and codes only where reported."""
    for lc in (get_lifecycle("modelarts-v1"), get_lifecycle("modelarts-v2")):
        for row in page_data(lc, {})["statuses"]:
            status = lc.parse(row["name"])
            for key, _ in row["keys"]:
                assert lc.parse(key) is status
            assert any(key.isdigit() for key, _ in row["keys"]) == lc.statuses.vocabulary.numeric
    v1 = {row["name"]: row for row in page_data(get_lifecycle("modelarts-v1"), {})["statuses"]}
    assert ["DEPLOYING", "alias DEPLOYING"] in v1["WAITING"]["keys"]
    v2 = {row["name"]: row for row in page_data(get_lifecycle("modelarts-v2"), {})["statuses"]}
    assert ["WAITING", "alias Waiting"] in v2["Pending"]["keys"]


@pytest.mark.parametrize("name", ["modelarts-v1", "modelarts-v2"])
def test_the_page_is_self_contained(name: str) -> None:
    """No script, style, image or font is loaded from anywhere: the only URLs are the SVG
    namespaces, which name and fetch nothing."""
    text = page(get_lifecycle(name))
    assert text.startswith("<!DOCTYPE html>\n")
    assert "<?xml" not in text
    assert "<!DOCTYPE svg" not in text
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert not re.search(r"<(link|img|iframe|object|embed)\b|\bsrc=|@import|url\(", text)


def test_text_cannot_break_out_of_the_page(tmp_path: Path) -> None:
    """A status, reason or cite holding markup stays text: the JSON writes "<" as an escape and
    the page's script builds every label with textContent."""
    lc = get_lifecycle(EXAMPLES["slurm"])
    evil = Lifecycle(
        [
            Event(ev.name, ev.sources, ev.target, f"{ev.reason}</script><b>", ev.cite)
            for ev in lc.events
        ],
        statuses=lc.statuses,
        name="slurm",
    )
    text = page(evil)
    assert "</script><b>" not in text
    assert "innerHTML" not in text
    assert data_of(text)["moves"][0][3].endswith("</script><b>")


def test_traffic_adds_the_observed_view() -> None:
    """With traffic the page holds both views, opens on the observed one, and maps the
    undeclared moves with their counts."""
    traffic = {("WAITING", "RUNNING"): 3, ("RUNNING", "WAITING"): 2}
    text = page(traffic=traffic, log_name="seen.jsonl")
    data = data_of(text)
    views = data["views"]
    assert list(views) == ["declared", "observed"]
    assert '<section class="jf-view" id="jf-view-declared" data-view="declared" hidden>' in text
    assert '<section class="jf-view" id="jf-view-observed" data-view="observed">' in text
    assert "observed in seen.jsonl" in text
    observed = views["observed"]["edges"].values()
    bad = [e for e in observed if e["kind"] == EdgeStyle.UNDECLARED.value]
    assert [(e["pair"], e["count"], e["moves"]) for e in bad] == [(["RUNNING", "WAITING"], 2, [])]
    start = next(e for e in observed if e["pair"] == ["WAITING", "RUNNING"])
    assert start["count"] == 3
    assert all(e["count"] is None for e in views["declared"]["edges"].values())
    assert views["observed"]["undeclared"] == 1


# -- jobfsm render --format html ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["page.html", "PAGE.HTM"])
def test_the_html_extension_writes_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """`render --out page.html` writes the page (the format follows .html and .htm)."""
    assert format_of(name) == "html"
    code, out, err = run(capsys, "render", "--out", str(tmp_path / name))
    assert (code, out, err) == (EXIT_OK, "", f"wrote {tmp_path / name}\n")
    text = (tmp_path / name).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<title>modelarts-v1 lifecycle</title>" in text


@pytest.mark.parametrize("name", LIFECYCLES)
def test_render_format_html_for_every_lifecycle(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """`render --lifecycle L --format html` prints the page of L to a redirected stdout."""
    code, out, _ = run(capsys, "render", "--lifecycle", name, "--format", "html")
    assert code == EXIT_OK
    lc = get_lifecycle(name)
    assert f"<title>{lc.name} lifecycle</title>" in out
    assert data_of(out)["lifecycle"] == lc.name


def test_render_html_with_a_log_and_a_view(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--log, --view and --all-edges shape both views of the page."""
    log = write_log(
        tmp_path / "seen.jsonl",
        ("a", "WAITING", 1), ("a", "RUNNING", 2), ("a", "WAITING", 3),
    )  # fmt: skip
    out = tmp_path / "run.html"
    code, _, _ = run(
        capsys, "render", "--log", str(log), "--view", "phase:run", "--all-edges", "--out", str(out)
    )
    assert code == EXIT_OK
    text = out.read_text(encoding="utf-8")
    assert "modelarts-v1 lifecycle · phase-run" in text
    views = data_of(text)["views"]
    assert all(e["kind"] != "grouped" for v in views.values() for e in v["edges"].values())
    assert views["observed"]["undeclared"] == 1
    assert "observed in seen.jsonl" in text


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--format", "html", "--path", "1,2"], "not one job's --path"),
        (["--out", "x.html", "--format", "svg"], "--format svg contradicts --out x.html"),
        (["--out", "x.svg", "--format", "html"], "name the file *.html"),
        (["--all-formats", "d", "--format", "html"], "it takes no --format"),
    ],
)
def test_html_usage_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    needle: str,
) -> None:
    """A page takes no --path; --format and the extension must agree; exit 2, nothing written."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "render", *argv)
    assert (code, out) == (EXIT_USAGE, "")
    assert needle in err
    assert list(tmp_path.iterdir()) == []


def test_a_page_for_a_terminal_is_one_line_of_hint() -> None:
    """`render --format html` at a terminal prints no page but says what to do instead."""
    code, shown, err = on_a_terminal("render", "--format", "html", timeout=60)
    assert (code, shown) == (EXIT_USAGE, b"")
    assert err.decode().startswith("jobfsm: error: stdout is a terminal and html is a page")
    assert "--out FILE (such as lifecycle.html)" in err.decode()
