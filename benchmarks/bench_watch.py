"""Watch benchmark: cycles of ``jobfsm watch`` over 10,000 jobs of the fake ModelArts.

The fake service (``tests/fake_modelarts.py``) runs as a process of its own, as a real service
would, so that the cycle's HTTP time is what the client spends (the SDK's signing and parsing,
the wire, the service's answer) and not a server sharing its interpreter. A
:class:`~jobfsm.modelarts.watch.Watcher` with a :class:`~jobfsm.modelarts.ModelArtsSource` and a
SQLite job store (a file in WAL mode, as the store opens it) then runs:

- a first cycle, which creates all 10,000 jobs in the store (one transaction each: ``JobStore``
  creates jobs one at a time);
- ``--cycles`` steady cycles, the fleet's clock 30 s further on before each (as ``--interval
  30s`` would see it): 200 pages of 50 jobs read, every observation judged, the moves written;
- one cycle with the clock an hour further on, where many more jobs have moved.

Each cycle's time is split as its :class:`~jobfsm.modelarts.watch.CycleReport` splits it: HTTP
(in the SDK and on the wire), reading the records, judgment (the tracker) and store. The target:
judgment and store take at most 25 % of a steady cycle (the median cycle is reported) and of the
cycle an hour later; reading is jobfsm's too and is shown beside it.

Run: ``make bench-watch`` (or ``.venv/bin/python benchmarks/bench_watch.py [--jobs N]``). Prints a
table and writes ``benchmarks/results/watch.json``; exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import urllib.request
from importlib.metadata import version
from pathlib import Path
from typing import Any

from report import save

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

from fake_modelarts import AK, PROJECT, SK  # noqa: E402

from jobfsm.lifecycles import get_lifecycle  # noqa: E402
from jobfsm.modelarts import ModelArtsSource  # noqa: E402
from jobfsm.modelarts.watch import CycleReport, Watcher  # noqa: E402
from jobfsm.store import JobStore  # noqa: E402

#: The share of a steady cycle judgment and store may take.
TARGET = 0.25


def control(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """A call to the fake's control endpoints (unsigned; not the API)."""
    data = json.dumps(body or {}).encode()
    with urllib.request.urlopen(f"{url}/_fake/{path}", data=data, timeout=30) as answer:
        return json.load(answer)


def split(report: CycleReport) -> dict[str, Any]:
    own = report.judgment_seconds + report.store_seconds
    return {
        "cycle_s": report.seconds,
        "http_s": report.http_seconds,
        "reading_s": report.read_seconds,
        "judgment_s": report.judgment_seconds,
        "store_s": report.store_seconds,
        "judgment_and_store_share": own / report.seconds,
        "jobfsm_share_with_reading": (own + report.read_seconds) / report.seconds,
        "requests": report.requests,
        "observations": report.observations,
        "moves_written": report.written,
        "jobs_created": report.created,
    }


def run(jobs: int, cycles: int) -> list[dict[str, Any]]:
    server = subprocess.Popen(
        [sys.executable, str(TESTS / "fake_modelarts.py"), "--jobs", str(jobs), "--seed", "1",
         "--arrivals", "21600", "--step", "30"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert server.stdout is not None
    try:
        url = server.stdout.readline().strip()
        control(url, "tick", {"seconds": 6 * 3600.0})  # every job created; a mix of phases
        with tempfile.TemporaryDirectory() as folder:
            store = JobStore(f"sqlite:///{folder}/jobs.db", lifecycle=get_lifecycle("modelarts-v2"))
            store.create_schema()
            with ModelArtsSource(endpoint=url, ak=AK, sk=SK, project_id=PROJECT) as source:
                watcher = Watcher(source, store)
                first = watcher.run_once()
                steady = []
                for _ in range(cycles):
                    control(url, "tick")
                    steady.append(watcher.run_once())
                control(url, "tick", {"seconds": 3600.0})  # a poll after an hour away
                busy = watcher.run_once()
            store.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()
    median = sorted(steady, key=lambda r: r.seconds)[len(steady) // 2]
    cold = {"name": f"first cycle: {jobs:,} jobs read and created in the store", **split(first)}
    cold.update(target="none (one-off)", met=True)
    warm = {"name": f"steady cycle (median of {cycles}): {jobs:,} jobs read", **split(median)}
    warm["cycles_s"] = [r.seconds for r in steady]
    warm["share_spread"] = [
        min(split(r)["judgment_and_store_share"] for r in steady),
        max(split(r)["judgment_and_store_share"] for r in steady),
    ]
    warm["target"] = f"judgment + store <= {TARGET:.0%} of the cycle"
    warm["met"] = warm["judgment_and_store_share"] <= TARGET
    late = {"name": f"a cycle an hour after the last: {jobs:,} jobs read", **split(busy)}
    late.update(target=warm["target"], met=late["judgment_and_store_share"] <= TARGET)
    return [cold, warm, late]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs in the fleet (10,000)")
    parser.add_argument("--cycles", type=int, default=5, help="steady cycles (5)")
    args = parser.parse_args(argv)
    results = run(args.jobs, args.cycles)
    print(f"{'cycle':<52} {'total':>7} {'HTTP':>7} {'read':>6} {'judge':>6} {'store':>6} share")
    for r in results:
        mark = "" if r["target"].startswith("none") else (" ok" if r["met"] else " MISSED")
        print(
            f"{r['name']:<52} {r['cycle_s']:>6.2f}s {r['http_s']:>6.2f}s {r['reading_s']:>5.2f}s "
            f"{r['judgment_s']:>5.2f}s {r['store_s']:>5.2f}s {r['judgment_and_store_share']:>5.1%}"
            f"{mark}"
        )
    for r in results:
        print(
            f"  {r['name'].split(':')[0]}: {r['requests']:,} requests, {r['jobs_created']:,} jobs "
            f"created, {r['moves_written']:,} moves written; jobfsm's share with reading "
            f"{r['jobfsm_share_with_reading']:.1%}"
        )
    return save(
        "watch",
        "wall-clock of Watcher.run_once against the fake ModelArts in its own process, "
        "time split by the cycle report; SQLite store",
        results,
        huaweicloudsdkcore=version("huaweicloudsdkcore"),
        sqlalchemy=version("sqlalchemy"),
    )


if __name__ == "__main__":
    sys.exit(main())
