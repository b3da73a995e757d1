"""Log-reading limits: ``jobfsm check`` measured against itself on inputs that used to blow up.

Three comparisons, each side a ``jobfsm check --format json`` subprocess run in the same session
(wall clock, interpreter start included, best of the rounds; peak memory is the subprocess's
``ru_maxrss`` from ``os.wait4``):

- **memory by jobs, not lines**: the peak of ``check`` on the first 10,000,000 lines of the log
  of a fleet of 10,000 jobs (polled in turn, so every job is in both) against its peak on the
  first 1,000,000 lines of the same log. Target: at most 1.2x.
- **unknown statuses**: 1,000,000 lines whose statuses are 7 distinct unknown names (every line a
  bad line, each needing a did-you-mean) against 1,000,000 lines of valid status names, the same
  jobs and times. Target: at most 2x the time.
- **one huge line**: a single 200 MB line (one bad line, read past) against 200 MB of ordinary
  lines. Target: at most 2x the time.

The inputs are generated once and cached as ``benchmarks/results/logs-*.tmp`` (git-ignored; the
10,000,000-line log is some 700 MB).

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_logs.py [--rounds N]``). Prints a
table and writes ``benchmarks/results/logs.json``; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from report import RESULTS, save

JOBS = 10_000
SMALL, LARGE = 1_000_000, 10_000_000
UNKNOWN = ["RUNING", "COMPLETE", "FAIL", "WAITTING", "KILED", "LOST_", "FOO"]
VALID = ["RUNNING", "COMPLETED", "FAILED", "WAITING", "KILLED", "LOST", "INIT"]
HUGE = 200_000_000


def cached(name: str, lines: Callable[[], Iterator[bytes]]) -> Path:
    """``results/logs-<name>.tmp``, written from ``lines`` on first use."""
    path = RESULTS / f"logs-{name}.tmp"
    if path.exists():
        return path
    RESULTS.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        for piece in lines():
            out.write(piece)
    partial.replace(path)
    return path


def fleet(count: int) -> Path:
    """The first ``count`` lines of one fleet of 10,000 jobs polled in turn: each seen WAITING,
    then RUNNING poll after poll (a simulated fleet starts its jobs over hours, so a prefix of
    its log would hold far fewer jobs than the whole)."""

    def lines() -> Iterator[bytes]:
        for i in range(count):
            status = 7 if i < JOBS else 8
            yield b'{"job_id": "job-%05d", "status": %d, "time": %d}\n' % (
                i % JOBS,
                status,
                1772352000 + 10 * (i // JOBS),
            )

    return cached(f"round-robin-{count}.jsonl", lines)


def named(names: list[str]) -> Path:
    """1,000,000 lines over 10,000 jobs whose statuses cycle through ``names``."""

    def lines() -> Iterator[bytes]:
        for i in range(SMALL):
            status = names[i % len(names)]
            yield b'{"job_id": "job-%05d", "status": "%s", "time": %d}\n' % (
                i % JOBS,
                status.encode(),
                1772352000 + i // JOBS,
            )

    return cached(f"names-{names[0].lower()}.jsonl", lines)


def huge_line() -> Path:
    """One line of some 200 MB (a time value of 200 MB), then one ordinary line."""

    def lines() -> Iterator[bytes]:
        yield b'{"job_id": "a", "status": 8, "time": "'
        piece = b"9" * (1 << 20)
        for _ in range(HUGE // len(piece)):
            yield piece
        yield b'"}\n{"job_id": "a", "status": 10, "time": 1772352001}\n'

    return cached("huge-line.jsonl", lines)


def ordinary() -> Path:
    """About 200 MB of ordinary lines (10,000 jobs)."""

    def lines() -> Iterator[bytes]:
        size = i = 0
        while size < HUGE:
            line = b'{"job_id": "job-%05d", "status": 8, "time": %d}\n' % (
                i % JOBS,
                1772352000 + i // JOBS,
            )
            size += len(line)
            i += 1
            yield line

    return cached("ordinary-200mb.jsonl", lines)


def check(path: Path) -> tuple[float, int, dict[str, Any]]:
    """Wall-clock seconds, peak RSS in bytes and the JSON report of one ``jobfsm check``."""
    argv = [sys.executable, "-m", "jobfsm", "check", str(path), "--format", "json"]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{argv} exited {code}")
    # ru_maxrss is in KiB on Linux.
    return elapsed, usage.ru_maxrss * 1024, json.loads(out)


def pair(name: str, ours: Path, base: Path, rounds: int, target: float, by: str) -> dict[str, Any]:
    """Run both sides alternately and compare them by ``by`` (``time`` or ``memory``)."""
    ours_t: list[float] = []
    ours_m: list[int] = []
    base_t: list[float] = []
    base_m: list[int] = []
    ours_r: dict[str, Any] = {}
    base_r: dict[str, Any] = {}
    for _ in range(rounds):
        t, m, base_r = check(base)
        base_t.append(t)
        base_m.append(m)
        t, m, ours_r = check(ours)
        ours_t.append(t)
        ours_m.append(m)
    if by == "time":
        mine, theirs = min(ours_t), min(base_t)
    else:
        mine, theirs = max(ours_m), max(base_m)
    ratio = mine / theirs
    return {
        "name": name,
        "by": by,
        "jobfsm": mine,
        "baseline": theirs,
        "ratio": ratio,
        "jobfsm_s": min(ours_t),
        "baseline_s": min(base_t),
        "jobfsm_peak_rss_mib": max(ours_m) / 2**20,
        "baseline_peak_rss_mib": max(base_m) / 2**20,
        "jobfsm_lines": ours_r["lines"],
        "baseline_lines": base_r["lines"],
        "jobfsm_jobs": ours_r["jobs"],
        "baseline_jobs": base_r["jobs"],
        "target": f"ratio <= {target:g}",
        "met": ratio <= target,
    }


def shown(value: float, by: str) -> str:
    return f"{value:.2f}s" if by == "time" else f"{value / 2**20:.0f}MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best counts (3)")
    args = parser.parse_args(argv)
    results = [
        pair(
            "check peak memory: 10,000,000 lines vs 1,000,000 of the same fleet",
            fleet(LARGE),
            fleet(SMALL),
            1,
            1.2,
            "memory",
        ),
        pair(
            "check: 1,000,000 lines of 7 unknown statuses vs 1,000,000 valid",
            named(UNKNOWN),
            named(VALID),
            args.rounds,
            2,
            "time",
        ),
        pair(
            "check: one 200 MB line vs 200 MB of ordinary lines",
            huge_line(),
            ordinary(),
            args.rounds,
            2,
            "time",
        ),
    ]
    print(f"{'benchmark':<68} {'jobfsm':>10} {'baseline':>10} {'ratio':>7}  target")
    for r in results:
        mark = "ok" if r["met"] else "MISSED"
        print(
            f"{r['name']:<68} {shown(r['jobfsm'], r['by']):>10} "
            f"{shown(r['baseline'], r['by']):>10} "
            f"{r['ratio']:>6.2f}x  {r['target']} {mark}"
        )
        print(
            f"  {r['jobfsm_lines']:,} vs {r['baseline_lines']:,} lines, {r['jobfsm_jobs']:,} vs "
            f"{r['baseline_jobs']:,} jobs; {r['jobfsm_s']:.2f}s vs {r['baseline_s']:.2f}s; peak "
            f"RSS {r['jobfsm_peak_rss_mib']:.0f} vs {r['baseline_peak_rss_mib']:.0f} MiB"
        )
    load = os.getloadavg()[0]
    method = (
        "jobfsm check --format json as subprocesses, alternated; time is the best wall clock of "
        f"the rounds, memory the highest ru_maxrss from wait4; load average {load:.1f} at the end"
    )
    return save("logs", method, results)


if __name__ == "__main__":
    sys.exit(main())
