"""MkDocs hooks: the repository's diagrams and benchmark results, as they are committed.

- ``on_files`` adds ``diagrams/`` to the site, so pages show the committed pictures instead of
  copies that could go stale; pages link them as ``../../diagrams/...``, which is where they are
  in the repository (so the pages read right in a clone too), and ``on_page_markdown`` points
  those links at the site's copy;
- ``on_page_markdown`` replaces each ``<!-- results: NAME -->`` marker with a table made from
  ``benchmarks/results/NAME.json``, so the figures shown are always the last committed run;
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent.parent
DIAGRAMS = ROOT / "diagrams"
RESULTS = ROOT / "benchmarks" / "results"

MARKER = re.compile(r"^<!-- results: (\w+) -->$", re.MULTILINE)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for path in sorted(DIAGRAMS.iterdir()):
        if path.suffix in {".svg", ".png", ".dot", ".mmd"}:
            files.append(
                File(
                    f"diagrams/{path.name}",
                    src_dir=str(ROOT),
                    dest_dir=config.site_dir,
                    use_directory_urls=config.use_directory_urls,
                )
            )
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    up = "../" * page.file.src_uri.count("/")
    markdown = markdown.replace("](../../diagrams/", f"]({up}diagrams/")
    return MARKER.sub(lambda m: results_table(m.group(1)), markdown)


def results_table(name: str) -> str:
    """The Markdown table of ``benchmarks/results/<name>.json``, with the versions it ran on."""
    data = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
    rows = TABLES[name](data["results"])
    versions = ", ".join(
        f"{key} {value}"
        for key, value in data.items()
        if isinstance(value, str) and key != "method"
    )
    header, *body = rows
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
        *("| " + " | ".join(row) + " |" for row in body),
    ]
    note = f"*`benchmarks/results/{name}.json`: {versions}; {data['method']}.*"
    return "\n".join(lines) + "\n\n" + note + "\n"


def x(ratio: float) -> str:
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.1f}×" if ratio < 100 else f"{ratio:.0f}×"


def per_s(value: float) -> str:
    return f"{value:,.0f}"


def verdict(met: bool, target: str) -> str:
    return target if met else f"{target} (**missed**)"


Rows = list[list[str]]


def core(results: list[dict[str, Any]]) -> Rows:
    create, advance, reject, query = results
    return [
        ["what", "jobfsm", "baseline", "ratio", "target"],
        [
            "create a tracked job (vs a `transitions.Machine` per job)",
            f"{create['jobfsm_us']:.2f} µs, {create['jobfsm_bytes']:.0f} B",
            f"{create['baseline_us']:.0f} µs, {create['baseline_bytes'] / 1000:.0f} KB",
            f"{x(create['speedup'])} faster, {x(create['memory_ratio'])} less memory",
            verdict(create["met"], "≥ 100×, ≥ 50×"),
        ],
        [
            "legal `advance_to` with two guards and history (vs a raw trigger on a shared machine)",
            f"{advance['jobfsm_us']:.1f} µs",
            f"{advance['baseline_us']:.1f} µs",
            x(advance["ratio"]),
            verdict(advance["met"], "≤ 1.25×"),
        ],
        [
            "reject an illegal move with `IllegalTransition` (vs `MachineError`)",
            f"{reject['jobfsm_us']:.2f} µs",
            f"{reject['baseline_us']:.1f} µs",
            f"{x(reject['speedup'])} faster",
            verdict(reject["met"], "≥ 5×"),
        ],
        [
            "`can_transition(a, b)` (vs a bare `frozenset` membership test)",
            f"{query['jobfsm_ns']:.0f} ns",
            f"{query['baseline_ns']:.0f} ns",
            x(query["ratio"]),
            verdict(query["met"], "≤ 2×"),
        ],
    ]


def tracker(results: list[dict[str, Any]]) -> Rows:
    stream, memory = results

    def row(what: str, ours: float, base: float, target: str = "", met: bool = True) -> list[str]:
        shown = verdict(met, target) if target else ""
        return [what, f"{ours:.2f} µs", f"{base:.1f} µs", f"{x(base / ours)} faster", shown]

    base, changes = stream["baseline_us"], stream["changes_baseline_us"]
    return [
        ["what", "jobfsm", "baseline", "ratio", "target"],
        row(
            "`Tracker.observe` per observation of the stream",
            stream["jobfsm_us"],
            base,
            "≥ 20×",
            stream["observe_met"],
        ),
        row("the same, `Tracker(thread_safe=False)`", stream["unlocked_jobfsm_us"], base),
        row(
            "`Tracker.observe_many`, one call per poll cycle, per observation",
            stream["many_jobfsm_us"],
            base,
            "≥ 20×",
            stream["many_met"],
        ),
        row("`Tracker.observe` per change of status", stream["changes_jobfsm_us"], changes),
        row(
            "`Tracker.observe_many` per change of status",
            stream["many_changes_jobfsm_us"],
            changes,
        ),
        row(
            "ceiling: an `observe` that does nothing, called the same way",
            stream["noop_us"],
            base,
        ),
        [
            f"memory per tracked job, {memory['jobs']:,} live jobs",
            f"{memory['jobfsm_bytes']:.0f} B",
            f"{memory['baseline_bytes'] / 1000:.0f} KB",
            f"{x(memory['baseline_bytes'] / memory['jobfsm_bytes'])} less",
            verdict(memory["met"], "well under 100 MB in all"),
        ],
    ]


def check(results: list[dict[str, Any]]) -> Rows:
    (run,) = results
    return [
        ["what", "jobfsm", "baseline", "ratio", "target"],
        [
            f"`jobfsm check` of {run['lines']:,} lines (vs `json.loads` of every line)",
            f"{run['jobfsm_s']:.2f} s",
            f"{run['baseline_s']:.2f} s",
            x(run["ratio"]),
            verdict(run["met"], "≤ 2×"),
        ],
        [
            "peak memory of the `check` process (`ru_maxrss`)",
            f"{run['peak_rss_mib']:.0f} MiB",
            "",
            "",
            verdict(run["met"], "< 300 MB"),
        ],
        [
            "observations judged per second",
            per_s(run["observations_per_s"]),
            "",
            "",
            "",
        ],
    ]


def logs(results: list[dict[str, Any]]) -> Rows:
    def shown(run: dict[str, Any], value: float) -> str:
        return f"{value / 2**20:.0f} MiB" if run["by"] == "memory" else f"{value:.2f} s"

    rows = [["what", "jobfsm", "baseline", "ratio", "target"]]
    for run in results:
        rows.append(
            [
                run["name"].removeprefix("check: ").removeprefix("check "),
                shown(run, run["jobfsm"]),
                shown(run, run["baseline"]),
                x(run["ratio"]),
                verdict(run["met"], "≤ " + run["target"].split("<=")[1].strip() + "×"),
            ]
        )
    return rows


def store(results: list[dict[str, Any]]) -> Rows:
    rows = [
        [
            "backend",
            "workers",
            "jobfsm moves/s",
            "read first /s",
            "baseline /s",
            "ratio",
            "read-first ratio",
            "target",
        ]
    ]
    for run in results:
        rows.append(
            [
                run["backend"],
                str(run["workers"]),
                per_s(run["jobfsm_per_s"]),
                per_s(run["read_first_per_s"]),
                per_s(run["baseline_per_s"]),
                x(run["ratio"]),
                x(run["read_first_ratio"]),
                verdict(run["met"], "ratio ≤ 1.3×"),
            ]
        )
    return rows


def apply(results: list[dict[str, Any]]) -> Rows:
    rows = [["backend", "batch", "jobfsm observations/s", "baseline /s", "ratio", "target"]]
    for run in results:
        floor = run["target"].split(">=")[1].split()[0]
        rows.append(
            [
                run["backend"],
                f"{run['batch']:,}",
                per_s(run["jobfsm_per_s"]),
                per_s(run["baseline_per_s"]),
                x(run["ratio"]),
                verdict(run["met"], f"≥ {int(floor):,}/s, ≤ 1.5×"),
            ]
        )
    return rows


def duckdb(results: list[dict[str, Any]]) -> Rows:
    rows = [["run", "lines", "seconds", "CPU s", "speedup (CPU)", "peak MiB", "target"]]
    for run in results:
        speedup = f"{x(run['speedup'])} ({x(run['cpu_ratio'])})" if "speedup" in run else "baseline"
        cpu = f"{run['cpu_s']:.2f}" if "cpu_s" in run else ""
        rows.append(
            [
                run["name"].split(" vs ")[0],
                f"{run['lines']:,}",
                f"{run['seconds']:.2f}",
                cpu,
                speedup,
                f"{run['peak_rss_mib']:.0f}",
                verdict(run["met"], run["target"]),
            ]
        )
    return rows


TABLES: dict[str, Callable[[list[dict[str, Any]]], Rows]] = {
    "core": core,
    "tracker": tracker,
    "check": check,
    "logs": logs,
    "store": store,
    "apply": apply,
    "duckdb": duckdb,
}
