"""An interactive page of a lifecycle: one self-contained HTML file, opened with no network.

:func:`page` draws the lifecycle with :func:`~jobfsm.diagram.extract` and
:func:`~jobfsm.diagram.render` (the same SVG ``jobfsm render`` writes, its nodes and edges given
ids) and inlines it with a little CSS and JavaScript of its own:

- hovering a move shows its event, reason and source (the declaration's ``cite``), every move of a
  grouped arrow, and in the observed view how often the log holds it;
- clicking a status highlights the moves out of it and into it (grouped arrows included) and dims
  the rest; clicking it again, the background or Escape clears;
- a search box finds a status by name, by code where the lifecycle's codes are reported (v1), or
  by alias (v1's DEPLOYING, v2's Waiting), read as :meth:`~jobfsm.Status.parse` reads them;
- with ``traffic`` (a log's moves), a second picture draws the observed counts per move and the
  undeclared moves in red, and a toggle switches between the declared and the observed view.

Every mapped SVG element is found by the id :func:`~jobfsm.diagram.to_dot` gives it, prefixed by
its view (``declared_jf_edge_3`` is ``diagram.edges[3]`` of the declared view):

>>> from jobfsm import DEFAULT_LIFECYCLE
>>> data = page_data(DEFAULT_LIFECYCLE, {"declared": extract(DEFAULT_LIFECYCLE)})
>>> data["views"]["declared"]["nodes"]["declared_jf_node_1"], data["statuses"][7]["keys"][2]
('INIT', ['DEPLOYING', 'alias DEPLOYING'])
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any, Final

from jobfsm.diagram import Diagram, EdgeStyle, View, extract, render
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.vocabulary import Status

__all__ = ["VIEWS", "page", "page_data"]

#: The views a page can hold, in the order of its toggle.
VIEWS: Final = ("declared", "observed")


def page(
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    *,
    view: View | str = "full",
    all_edges: bool = False,
    traffic: Mapping[tuple[Any, Any], int] | None = None,
    log_name: str = "",
) -> str:
    """The interactive page of ``lifecycle`` as HTML text.

    Args:
        lifecycle: the declaration to draw.
        view: ``full``, ``from:STATUS`` or ``phase:NAME``, as for :func:`~jobfsm.diagram.extract`.
        all_edges: draw every declared move literally instead of abbreviating the fans.
        traffic: observed move counts by ``(source, target)``: the page then holds an observed
            view beside the declared one, and opens on it.
        log_name: what the observed view is called after (the log's path).

    Raises:
        GraphvizNotFound: the ``dot`` executable is not on PATH.
        DiagramInputError: an unknown view, or a traffic count that is not a natural number.
    """
    diagrams = {"declared": extract(lifecycle, view=view, all_edges=all_edges)}
    if traffic is not None:
        diagrams["observed"] = extract(lifecycle, view=view, all_edges=all_edges, traffic=traffic)
    data = page_data(lifecycle, diagrams)
    shown = "observed" if traffic is not None else "declared"
    sections = [
        f'<section class="jf-view" id="jf-view-{key}" data-view="{key}"'
        f"{'' if key == shown else ' hidden'}>\n{_svg(key, diagram)}</section>"
        for key, diagram in diagrams.items()
    ]
    toggle = ""
    if traffic is not None:
        observed = "observed" + (f" in {log_name}" if log_name else "")
        toggle = (
            '<fieldset id="jf-views"><legend>view</legend>'
            '<label><input type="radio" name="jf-view" value="declared"> declared</label>'
            '<label><input type="radio" name="jf-view" value="observed" checked> '
            f"{html.escape(observed)}</label></fieldset>"
        )
    numeric = lifecycle.statuses.vocabulary.numeric
    hint = "name, code or alias" if numeric else "name or alias"
    title = html.escape(diagrams["declared"].title)
    description = html.escape(lifecycle.description)
    # JSON in a script element: "<" written as an escape, so no text can close the element.
    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return _PAGE.format(
        title=title,
        description=description,
        hint=hint,
        toggle=toggle,
        help=_HELP_OBSERVED if traffic is not None else _HELP,
        views="\n".join(sections),
        data=blob,
        css=_CSS,
        js=_JS,
    )


def page_data(lifecycle: Lifecycle, diagrams: Mapping[str, Diagram]) -> dict[str, Any]:
    """What the page's script reads: the statuses with the texts that find them, the declared
    moves, and per view its SVG ids of statuses (notes map to None) and of moves."""
    vocab = lifecycle.statuses.vocabulary
    table = list(lifecycle.edges)
    number = {(e.source, e.target): i for i, e in enumerate(table)}
    return {
        "lifecycle": lifecycle.name,
        "numeric": vocab.numeric,
        "statuses": [_status(s) for s in lifecycle.statuses],
        "moves": [[e.source.name, e.target.name, e.event, e.reason, e.cite] for e in table],
        "views": {key: _view(key, d, number) for key, d in diagrams.items()},
    }


def _status(status: Status) -> dict[str, Any]:
    vocab = type(status).vocabulary
    keys: list[list[str]] = []
    # The texts Status.parse reads as this status, in upper case, each with why it matches.
    prefix = vocab.prefix
    keys.append([status.name.upper(), "name"])
    if prefix:
        keys.append([(prefix + status.name).upper(), f"API name {prefix}{status.name}"])
    for alias in status.aliases:
        keys.append([alias.upper(), f"alias {alias}"])
        if prefix:
            keys.append([(prefix + alias).upper(), f"alias {prefix}{alias}"])
    if vocab.numeric:
        keys.append([str(int(status)), f"code {int(status)}"])
    return {
        "name": status.name,
        "label": str(status),
        "code": int(status) if vocab.numeric else None,
        "aliases": list(status.aliases),
        "keys": keys,
        "description": status.description,
        "group": status.group,
        "outcome": None if status.outcome is None else status.outcome.value,
        "terminal": status.is_terminal,
        "details": list(status.details),
    }


def _view(
    key: str, diagram: Diagram, number: Mapping[tuple[Status, Status], int]
) -> dict[str, Any]:
    node_ids = {n.id: f"{key}_jf_node_{i}" for i, n in enumerate(diagram.nodes)}
    status_of = {n.id: n.status for n in diagram.nodes}
    edges: dict[str, dict[str, Any]] = {}
    for j, e in enumerate(diagram.edges):
        ends = [s for s in (status_of[e.source], status_of[e.target]) if s is not None]
        touches = {s for pair in e.covers for s in pair} | set(ends)
        edges[f"{key}_jf_edge_{j}"] = {
            "from": node_ids[e.source],
            "to": node_ids[e.target],
            "label": e.label,
            "kind": e.style.value,
            "pair": [s.name for s in ends] if len(ends) == 2 else None,
            "moves": [number[pair] for pair in e.covers],
            "touches": [s.name for s in sorted(touches)],
            "count": e.count,
        }
    return {
        "nodes": {
            node_ids[n.id]: None if n.status is None else n.status.name for n in diagram.nodes
        },
        "edges": edges,
        "undeclared": sum(e.style is EdgeStyle.UNDECLARED for e in diagram.edges),
    }


def _svg(key: str, diagram: Diagram) -> str:
    """The diagram's SVG as an element of the page: no XML prolog, doctype or comments, every id
    prefixed by the view (two views on one page keep their ids apart).

    Raises:
        RuntimeError: dot's SVG lacks an element for a node or an edge (a Graphviz that drops
            the ``id`` attribute); the page could not map it.
    """
    text = render(diagram, "svg", ids=True).decode()
    text = re.sub(r"<!--.*?-->\s*", "", text[text.index("<svg") :], flags=re.DOTALL)
    text = re.sub(r'(\s)id="', rf'\1id="{key}_', text)
    wanted = [f"jf_node_{i}" for i in range(len(diagram.nodes))]
    wanted += [f"jf_edge_{j}" for j in range(len(diagram.edges))]
    missing = [w for w in wanted if f'id="{key}_{w}"' not in text]
    if missing:
        raise RuntimeError(f"dot's SVG of {diagram.title} has no element {', '.join(missing)}")
    return text


_HELP: Final = (
    "<p>Click a status to highlight the moves out of it and into it; click it again, the "
    "background or press Esc to clear. Hover a move for its event, reason and source.</p>"
)
_HELP_OBSERVED: Final = _HELP + (
    "<p>The observed view draws each move the log holds with its count (width by count); "
    'moves the lifecycle does not declare are <span class="jf-red">red and dashed</span>.</p>'
)

_PAGE: Final = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body class="jf-fit">
<header>
<h1>{title}</h1>
<div id="jf-find"><label for="jf-search">find a status</label>
<input id="jf-search" type="search" placeholder="{hint}" autocomplete="off" spellcheck="false">
<ul id="jf-results"></ul></div>
{toggle}
<label><input type="checkbox" id="jf-fit" checked> fit to the window</label>
</header>
<main>
<aside id="jf-info"><p class="jf-sub">{description}</p>
<div id="jf-status"></div><div id="jf-help">{help}</div></aside>
<div id="jf-diagrams">
{views}
</div>
</main>
<div id="jf-card" role="tooltip" hidden></div>
<script type="application/json" id="jf-data">{data}</script>
<script>{js}</script>
</body>
</html>
"""

_CSS: Final = """
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, Helvetica, Arial, sans-serif; color: #1F2937; }
header { position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; gap: 6px 20px;
  align-items: center; padding: 8px 16px; background: #fff; border-bottom: 1px solid #CBD5E1; }
h1 { font-size: 18px; margin: 0; }
fieldset { border: 0; margin: 0; padding: 0; display: flex; gap: 10px; }
legend { float: left; margin-right: 6px; color: #475569; }
#jf-find { position: relative; }
#jf-find label { color: #475569; margin-right: 6px; }
#jf-search { font: inherit; padding: 3px 6px; width: 16em; }
#jf-results { position: absolute; right: 0; top: 100%; z-index: 3; margin: 2px 0 0; padding: 0;
  list-style: none; background: #fff; border: 1px solid #CBD5E1; min-width: 16em;
  max-height: 60vh; overflow: auto; }
#jf-results:empty, #jf-find:not(:focus-within) #jf-results { display: none; }
#jf-results button { display: block; width: 100%; text-align: left; border: 0; font: inherit;
  background: none; padding: 3px 8px; cursor: pointer; white-space: nowrap; }
#jf-results button:hover, #jf-results li:first-child button { background: #EFF6FF; }
small, .jf-sub { color: #64748B; }
main { display: flex; align-items: flex-start; }
#jf-info { flex: 0 0 300px; padding: 4px 16px 16px; border-right: 1px solid #E2E8F0;
  position: sticky; top: 50px; max-height: calc(100vh - 50px); overflow: auto; }
#jf-info h2 { font-size: 16px; margin: 12px 0 4px; }
#jf-info h3 { font-size: 13px; margin: 10px 0 2px; color: #475569; }
#jf-info ul { margin: 0; padding-left: 18px; }
#jf-diagrams { flex: 1; min-width: 0; overflow: auto; padding: 8px; }
.jf-fit .jf-view svg { width: 100%; height: auto; }
.jf-view [id*="_jf_"] { cursor: pointer; }
.jf-hit { fill: none; stroke: transparent !important; stroke-width: 14px; pointer-events: stroke; }
.jf-focus .jf-dim { opacity: 0.15; }
.jf-hl { filter: drop-shadow(0 0 3px #F59E0B); }
.jf-found { filter: drop-shadow(0 0 4px #7C3AED); }
.jf-hover { filter: drop-shadow(0 0 3px #2563EB); }
.jf-selected { filter: drop-shadow(0 0 4px #D97706) drop-shadow(0 0 2px #D97706); }
.jf-red { color: #DC2626; }
#jf-card { position: fixed; z-index: 4; max-width: 440px; max-height: 70vh; overflow: hidden;
  padding: 8px 10px; background: #fff; border: 1px solid #94A3B8; border-radius: 6px;
  box-shadow: 0 4px 16px rgba(15, 23, 42, 0.18); pointer-events: none; font-size: 13px; }
#jf-card h4 { margin: 0 0 4px; font-size: 14px; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 1px 8px; margin: 4px 0; }
dt { color: #64748B; }
dd { margin: 0; overflow-wrap: anywhere; }
"""

_JS: Final = r"""
"use strict";
(() => {
  const data = JSON.parse(document.getElementById("jf-data").textContent);
  const statuses = new Map(data.statuses.map((s) => [s.name, s]));
  const card = document.getElementById("jf-card");
  const panel = document.getElementById("jf-status");
  const search = document.getElementById("jf-search");
  const results = document.getElementById("jf-results");
  const byId = (id) => document.getElementById(id);
  let selected = null;

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function terms(dl, rows) {
    for (const [term, value, cls] of rows) {
      dl.append(el("dt", term), el("dd", value, cls));
    }
    return dl;
  }
  const mark = (id, cls, on) => byId(id).classList.toggle(cls, on);

  // Each mapped element: its native tooltip (the title) removed, a wide invisible stroke under
  // each move so that a thin arrow is easy to point at.
  for (const view of Object.values(data.views)) {
    for (const id of [...Object.keys(view.nodes), ...Object.keys(view.edges)]) {
      const title = byId(id).querySelector("title");
      if (title) title.remove();
    }
    for (const id of Object.keys(view.edges)) {
      const path = byId(id).querySelector("path");
      if (!path) continue;
      const hit = path.cloneNode(false);
      hit.setAttribute("class", "jf-hit");
      path.before(hit);
    }
  }

  // -- hovering: a card with the move's event, reason and source ------------------------------
  function moveCard(edge) {
    const moves = edge.moves.map((i) => data.moves[i]);
    const head = edge.pair ? edge.pair.join(" → ") : `${edge.label}: ${moves.length} moves`;
    const box = [el("h4", head)];
    if (edge.kind === "undeclared") {
      box.push(el("p", `undeclared: the lifecycle declares no move ${edge.pair.join(" → ")}`,
        "jf-red jf-undeclared"));
    }
    // One block per reason and source; a grouped arrow lists the moves it stands for.
    const blocks = new Map();
    for (const m of moves) {
      const key = JSON.stringify([m[3], m[4]]);
      if (!blocks.has(key)) blocks.set(key, []);
      blocks.get(key).push(m);
    }
    for (const group of blocks.values()) {
      const events = [...new Set(group.map((m) => m[2]))].join(", ");
      const rows = [["event", events, "jf-event"], ["reason", group[0][3], "jf-reason"],
        ["source", group[0][4] || "none cited (a judgment call)", "jf-source"]];
      if (moves.length > 1) {
        rows.push(["moves", group.map((m) => `${m[0]} → ${m[1]}`).join(", "), "jf-moves"]);
      }
      box.push(terms(el("dl"), rows));
    }
    if (edge.count !== null) {
      box.push(terms(el("dl"), [["observed", `×${edge.count}`, "jf-count"]]));
    }
    return box;
  }
  function statusCard(name) {
    const s = statuses.get(name);
    const rows = [["status", s.label]];
    if (s.aliases.length) rows.push(["aliases", s.aliases.join(", ")]);
    if (s.description) rows.push(["", s.description]);
    return [terms(el("dl"), rows)];
  }
  let hovered = null;
  function place(ev) {
    const pad = 14;
    const r = card.getBoundingClientRect();
    let x = ev.clientX + pad;
    let y = ev.clientY + pad;
    if (x + r.width > innerWidth) x = Math.max(0, ev.clientX - pad - r.width);
    if (y + r.height > innerHeight) y = Math.max(0, ev.clientY - pad - r.height);
    card.style.left = `${x}px`;
    card.style.top = `${y}px`;
  }
  function mapped(target) {
    const g = target.closest && target.closest("g[id]");
    if (!g) return null;
    const view = data.views[g.closest(".jf-view").dataset.view];
    if (g.id in view.edges) return { g, edge: view.edges[g.id] };
    if (g.id in view.nodes) return { g, status: view.nodes[g.id] };
    return null;
  }
  const diagrams = document.getElementById("jf-diagrams");
  diagrams.addEventListener("mouseover", (ev) => {
    const hit = mapped(ev.target);
    if (!hit || (hit.g === hovered)) return;
    if (hovered) hovered.classList.remove("jf-hover");
    const box = hit.edge ? moveCard(hit.edge) : hit.status ? statusCard(hit.status) : null;
    if (!box) { card.hidden = true; hovered = null; return; }
    hovered = hit.g;
    hovered.classList.add("jf-hover");
    card.replaceChildren(...box);
    card.dataset.element = hit.g.id;
    card.hidden = false;
    place(ev);
  });
  diagrams.addEventListener("mousemove", (ev) => { if (!card.hidden) place(ev); });
  diagrams.addEventListener("mouseout", (ev) => {
    if (!hovered || (ev.relatedTarget && hovered.contains(ev.relatedTarget))) return;
    hovered.classList.remove("jf-hover");
    hovered = null;
    card.hidden = true;
  });

  // -- selecting: the moves out of and into a status highlighted, the rest dimmed --------------
  function select(name) {
    selected = name;
    for (const [key, view] of Object.entries(data.views)) {
      byId(`jf-view-${key}`).querySelector("svg").classList.toggle("jf-focus", name !== null);
      const near = new Set();
      for (const [id, edge] of Object.entries(view.edges)) {
        const on = name !== null && edge.touches.includes(name);
        mark(id, "jf-hl", on);
        mark(id, "jf-dim", name !== null && !on);
        if (on) { near.add(edge.from); near.add(edge.to); }
      }
      for (const [id, status] of Object.entries(view.nodes)) {
        const self = name !== null && status === name;
        mark(id, "jf-selected", self);
        mark(id, "jf-hl", !self && near.has(id));
        mark(id, "jf-dim", name !== null && !self && !near.has(id));
      }
    }
    describe(name);
  }
  function moveList(title, items) {
    const box = [el("h3", `${title} (${items.length})`)];
    const ul = el("ul");
    for (const [text, cls] of items) ul.append(el("li", text, cls));
    if (items.length) box.push(ul);
    return box;
  }
  function describe(name) {
    if (name === null) { panel.replaceChildren(); return; }
    const s = statuses.get(name);
    const rows = [];
    if (s.code !== null) rows.push(["code", String(s.code)]);
    if (s.aliases.length) rows.push(["aliases", s.aliases.join(", ")]);
    if (s.group) rows.push(["group", s.group]);
    rows.push(["terminal", s.outcome ? `yes (${s.outcome})` : s.terminal ? "yes" : "no"]);
    if (s.details.length) rows.push(["details", s.details.join(", ")]);
    const box = [el("h2", s.label), el("p", s.description), terms(el("dl"), rows)];
    const out = data.moves.filter((m) => m[0] === name).map((m) => [`to ${m[1]}: ${m[2]}`]);
    const into = data.moves.filter((m) => m[1] === name).map((m) => [`from ${m[0]}: ${m[2]}`]);
    box.push(...moveList("declared moves out", out), ...moveList("declared moves in", into));
    const observed = data.views.observed;
    if (observed) {
      const seen = Object.values(observed.edges).filter(
        (e) => e.count !== null && e.pair && e.pair.includes(name));
      const items = seen.map((e) => [`${e.pair.join(" → ")} ×${e.count}` +
        (e.kind === "undeclared" ? " (undeclared)" : ""), e.kind === "undeclared" ? "jf-red" : ""]);
      box.push(...moveList("observed moves", items));
    }
    const drawn = Object.values(data.views).some((v) => Object.values(v.nodes).includes(name));
    if (!drawn) box.push(el("p", "Not drawn in this view.", "jf-sub"));
    panel.replaceChildren(...box);
  }
  diagrams.addEventListener("click", (ev) => {
    const hit = mapped(ev.target);
    if (hit && hit.status) select(hit.status === selected ? null : hit.status);
    else if (!hit) select(null);
  });
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") select(null); });

  // -- searching: by name, code (where reported) or alias ------------------------------------
  function find(text) {
    const q = text.trim().toUpperCase();
    if (!q) return [];
    const code = /^\d+$/.test(q) ? q.replace(/^0+(?=\d)/, "") : null;
    const found = [];
    for (const s of data.statuses) {
      let score = null;
      let why = "";
      for (const [key, reason] of s.keys) {
        if (key === q || (code !== null && key === code)) {
          score = reason === "name" ? 0 : 1;
          why = reason;
          break;
        }
      }
      if (score === null && s.name.toUpperCase().includes(q)) {
        score = s.name.toUpperCase().startsWith(q) ? 2 : 3;
        why = "name";
      }
      if (score === null) {
        const alias = s.aliases.find((a) => a.toUpperCase().includes(q));
        if (alias !== undefined) { score = 4; why = `alias ${alias}`; }
      }
      if (score !== null) found.push({ s, score, why });
    }
    return found.sort((a, b) => a.score - b.score);
  }
  function showFound(found) {
    const names = new Set(found.map((f) => f.s.name));
    for (const view of Object.values(data.views)) {
      for (const [id, status] of Object.entries(view.nodes)) {
        mark(id, "jf-found", names.has(status));
      }
    }
    results.replaceChildren(...found.map((f) => {
      const b = el("button", f.s.label);
      b.type = "button";
      b.dataset.status = f.s.name;
      b.append(" ", el("small", f.why));
      b.addEventListener("click", () => select(f.s.name));
      const li = el("li");
      li.append(b);
      return li;
    }));
  }
  search.addEventListener("input", () => {
    const found = find(search.value);
    showFound(found);
    if (found.length && found[0].score <= 1) select(found[0].s.name);
  });
  search.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    const found = find(search.value);
    if (found.length) select(found[0].s.name);
  });

  // -- views and size ---------------------------------------------------------------------------
  for (const radio of document.querySelectorAll('input[name="jf-view"]')) {
    radio.addEventListener("change", () => {
      for (const v of document.querySelectorAll(".jf-view")) {
        v.hidden = v.dataset.view !== radio.value;
      }
      card.hidden = true;
    });
  }
  const fit = byId("jf-fit");
  fit.addEventListener("change", () => document.body.classList.toggle("jf-fit", fit.checked));
  document.body.dataset.ready = "true";
})();
"""
