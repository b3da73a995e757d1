"""Log-check benchmark: ``jobfsm check`` side by side with a bare ``json.loads`` pass.

On a simulated poll log (default 1,000,000 JSON lines over 10,000 jobs, 0.1 % faulty lines), in
one run:

- ``jobfsm check LOG --mode polled --format json`` as a subprocess, exactly what a user runs
  (read, parse, judge every job, write the JSON report);
- the baseline: a subprocess that only reads the same file line by line and parses every line
  with the standard library's ``json.loads``.

Both are timed wall-clock, interpreter start included, best of several rounds; the ratio is
reported with observations per second. Peak memory is the ``ru_maxrss`` of the ``check``
subprocess (from ``os.wait4``), so it counts everything the process touched.

The log is generated once by :class:`jobfsm.Simulation` and cached as
``benchmarks/results/check-<lines>-<jobs>.jsonl.tmp`` (never committed).

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_check.py [--lines N --jobs J]``).
Prints a table and writes ``benchmarks/results/check.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from report import RESULTS, save

from jobfsm.simulate import Simulation

BASELINE = """
import json, sys
with open(sys.argv[1], "rb") as log:
    for line in log:
        try:
            json.loads(line)
        except ValueError:
            pass
"""


def make_log(lines: int, jobs: int) -> Path:
    """The cached simulated log, written on first use (the first ``lines`` lines of the fleet)."""
    path = RESULTS / f"check-{lines}-{jobs}.jsonl.tmp"
    if path.exists():
        return path
    RESULTS.mkdir(exist_ok=True)
    simulation = Simulation(jobs, seed=1, poll_interval=30.0, faults=0.001)
    partial = path.with_suffix(".partial")
    count = 0
    with partial.open("w", encoding="utf-8") as out:
        for line in itertools.islice(simulation.lines(), lines):
            out.write(line + "\n")
            count += 1
    if count < lines:
        partial.unlink()
        raise SystemExit(f"the simulation gave only {count} lines; use more --jobs")
    partial.replace(path)
    return path


def run(argv: list[str]) -> tuple[float, int, bytes]:
    """Wall-clock seconds, peak RSS in bytes and stdout of one subprocess."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv} exited {proc.returncode}")
    # ru_maxrss is in KiB on Linux.
    return elapsed, usage.ru_maxrss * 1024, out


def bench_check(path: Path, rounds: int) -> dict[str, Any]:
    check = [sys.executable, "-m", "jobfsm", "check", str(path), "--mode", "polled"]
    check += ["--format", "json"]
    baseline = [sys.executable, "-c", BASELINE, str(path)]
    ours_t, base_t, peak = [], [], 0
    report: dict[str, Any] = {}
    for _ in range(rounds):
        elapsed, _rss, _ = run(baseline)
        base_t.append(elapsed)
        elapsed, rss, out = run(check)
        ours_t.append(elapsed)
        peak = max(peak, rss)
        report = json.loads(out)
    ours, base = min(ours_t), min(base_t)
    mib = peak / 2**20
    return {
        "name": "jobfsm check (polled, json) vs json.loads of every line",
        "lines": report["lines"],
        "observations": report["observations"],
        "rejected": report["rejected"],
        "jobs": report["jobs"],
        "violations": len(report["violations"]),
        "jobfsm_s": ours,
        "baseline_s": base,
        "ratio": ours / base,
        "observations_per_s": report["observations"] / ours,
        "peak_rss_mib": mib,
        "target": "ratio <= 2, peak memory < 300 MB",
        "met": ours / base <= 2 and peak < 300e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=1_000_000, help="log lines (1,000,000)")
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs in the fleet (10,000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best counts (5)")
    args = parser.parse_args(argv)
    path = make_log(args.lines, args.jobs)
    r = bench_check(path, args.rounds)
    print(f"{'benchmark':<58} {'jobfsm':>9} {'baseline':>9} {'ratio':>7}  target")
    mark = "ok" if r["met"] else "MISSED"
    print(
        f"{r['name']:<58} {r['jobfsm_s']:>8.2f}s {r['baseline_s']:>8.2f}s "
        f"{r['ratio']:>6.2f}x  {r['target']} {mark}"
    )
    print(
        f"  {r['lines']:,} lines, {r['observations']:,} observations, {r['jobs']:,} jobs: "
        f"{r['observations_per_s']:,.0f} observations/s; peak RSS {r['peak_rss_mib']:.0f} MiB"
    )
    return save("check", "wall-clock of two subprocesses, best of rounds; peak RSS by wait4", [r])


if __name__ == "__main__":
    sys.exit(main())
