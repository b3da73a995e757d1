"""DuckDB engine benchmark: ``jobfsm check --engine duckdb`` against the streaming checker.

On the first 10,000,000 lines of a simulated fleet of 100,000 jobs (0.1 % faulty lines, some
730 MB of JSON Lines), each side a ``jobfsm check --format json`` subprocess run in the same
session, the rounds interleaved (wall clock, interpreter start included, best of the rounds;
beside it that run's CPU seconds, user and system of every thread, and their ratio, steadier
than wall clock on a shared machine; peak memory is the subprocess's ``ru_maxrss`` from
``os.wait4``):

- **JSON Lines**: ``--engine duckdb`` against ``--engine python`` on the same file. Target: 3x
  faster.
- **Parquet**: ``--engine duckdb`` on the same log as Parquet (one row per line: ``job_id`` and
  ``status`` as text, ``time`` a timestamp; a line that is no JSON object a row of nulls), against
  the Python checker on the JSON Lines. Target: 20x faster.
- **memory**: the peak of each DuckDB run at most its ``--memory-limit`` (1GB).
- **larger than memory**: the log twice, as a directory (20,000,000 lines, 1.46 GB: more than 4x
  a 256MB limit) judged under ``--memory-limit 256MB``: it completes, its peak within the limit.

The inputs are made once and cached as ``benchmarks/results/duckdb-*.tmp`` (git-ignored).
jobfsm's modules are compiled to bytecode first, as an installed package's are (where
``PYTHONDONTWRITEBYTECODE`` is set, each run would compile them again: 0.1 s a run).

Run: ``make bench-duckdb`` (or ``.venv/bin/python benchmarks/bench_duckdb.py [--rounds N]``;
some 6 minutes, the first run 3 more to write the log). Prints a table and writes
``benchmarks/results/duckdb.json``; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from report import RESULTS, save

import jobfsm
from jobfsm.engines.duckdb_engine import memory_bytes
from jobfsm.simulate import Simulation

LINES, JOBS = 10_000_000, 100_000
LIMIT, SMALL_LIMIT = "1GB", "256MB"


def jsonl_log() -> Path:
    """The cached log: the first LINES lines of the fleet."""
    path = RESULTS / f"duckdb-{LINES}-{JOBS}.jsonl.tmp"
    if path.exists():
        return path
    RESULTS.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as out:
        for line in itertools.islice(Simulation(JOBS, seed=1, faults=0.001).lines(), LINES):
            out.write(line + "\n")
    partial.replace(path)
    return path


def parquet_log(source: Path) -> Path:
    """The same log as Parquet, written by DuckDB: a row per line, in line order.

    Written by a subprocess of its own: a child's peak RSS (ru_maxrss) counts its parent's at
    the fork, so the parent that starts the runs measured must stay small."""
    path = RESULTS / f"duckdb-{LINES}-{JOBS}.parquet.tmp"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    sql = f"""COPY (SELECT x.job_id AS job_id, x.status AS status,
                         TRY_CAST(x.time AS TIMESTAMPTZ) AS time
            FROM (SELECT n, CASE WHEN json_valid(text) THEN json_transform(text,
                    '{{"job_id":"VARCHAR","status":"VARCHAR","time":"VARCHAR"}}') END AS x
                  FROM read_csv('{source}', columns = {{'text': 'VARCHAR'}}, delim = '\\x01',
                       quote = '', escape = '', header = false, auto_detect = false,
                       strict_mode = false, new_line = '\\n')
                  WITH ORDINALITY AS l(text, n))
            ORDER BY n)
        TO '{partial}' (FORMAT parquet)"""
    script = (
        "import sys\nfrom jobfsm.engines.duckdb_engine import connect\n"
        "connect('4GB').execute(sys.argv[1])\n"
    )
    subprocess.run([sys.executable, "-c", script, sql], check=True)
    partial.replace(path)
    return path


def big_log(source: Path) -> Path:
    """A directory holding the log twice (links to it)."""
    folder = RESULTS / "duckdb-twice.tmp"
    folder.mkdir(exist_ok=True)
    for name in ("part-1.jsonl", "part-2.jsonl"):
        link = folder / name
        if not link.exists():
            link.symlink_to(source.resolve())
    return folder


def timed(argv: list[str]) -> tuple[float, float, int, dict[str, Any]]:
    """Wall-clock seconds, CPU seconds (user and system, every thread), peak RSS in bytes and
    the JSON report of one subprocess."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code not in (0, 1):
        raise SystemExit(f"{argv} exited {code}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, json.loads(out)


def check(log: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "jobfsm", "check", str(log), "--format", "json", *options]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    # Five: on a shared 2-core machine one run of either side can be 30 % slower than its best.
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best counts (5)")
    args = parser.parse_args(argv)
    compileall.compile_dir(Path(jobfsm.__file__).parent, quiet=1)
    source = jsonl_log()
    parquet = parquet_log(source)
    twice = big_log(source)
    runs = {
        "python": check(source),
        "duckdb-jsonl": check(source, "--engine", "duckdb", "--memory-limit", LIMIT),
        "duckdb-parquet": check(parquet, "--engine", "duckdb", "--memory-limit", LIMIT),
    }
    best: dict[str, float] = {}
    cpu: dict[str, float] = {}
    peak: dict[str, int] = {}
    reports: dict[str, dict[str, Any]] = {}
    loads = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        for name, command in runs.items():
            elapsed, used, rss, report = timed(command)
            if elapsed < best.get(name, float("inf")):
                best[name], cpu[name] = elapsed, used
            peak[name] = max(peak.get(name, 0), rss)
            reports[name] = report
            loads.append(os.getloadavg()[0])
    big_s, _, big_peak, big_report = timed(
        check(twice, "--engine", "duckdb", "--memory-limit", SMALL_LIMIT)
    )
    limit, small = memory_bytes(LIMIT), memory_bytes(SMALL_LIMIT)
    python = best["python"]
    lines = reports["python"]["lines"]
    results: list[dict[str, Any]] = [
        {
            "name": "python checker, JSON Lines",
            "lines": lines,
            "jobs": reports["python"]["jobs"],
            "seconds": python,
            "cpu_s": cpu["python"],
            "lines_per_s": lines / python,
            "peak_rss_mib": peak["python"] / 2**20,
            "target": "the baseline",
            "met": True,
        }
    ]
    for name, label, target in (
        ("duckdb-jsonl", "duckdb engine, JSON Lines", 3.0),
        ("duckdb-parquet", "duckdb engine, Parquet", 20.0),
    ):
        speedup = python / best[name]
        results.append(
            {
                "name": f"{label} vs python checker on JSON Lines",
                "lines": reports[name]["lines"],
                "jobs": reports[name]["jobs"],
                "seconds": best[name],
                "cpu_s": cpu[name],
                "baseline_s": python,
                "speedup": speedup,
                "cpu_ratio": cpu["python"] / cpu[name],
                "peak_rss_mib": peak[name] / 2**20,
                "memory_limit": LIMIT,
                "target": f"speedup >= {target:g}, peak memory <= {LIMIT}",
                "met": speedup >= target and peak[name] <= limit,
            }
        )
    results.append(
        {
            "name": "duckdb engine, the log twice (a directory) under a 256MB limit",
            "lines": big_report["lines"],
            "bytes": 2 * source.stat().st_size,
            "seconds": big_s,
            "peak_rss_mib": big_peak / 2**20,
            "memory_limit": SMALL_LIMIT,
            "target": "completes, input >= 4x the limit, peak memory <= 256MB",
            "met": 2 * source.stat().st_size >= 4 * small and big_peak <= small,
        }
    )
    print(f"{'benchmark':<72} {'seconds':>8} {'speedup':>8} {'peak MiB':>9}  target")
    for r in results:
        mark = "ok" if r["met"] else "MISSED"
        ratio = f"{r['speedup']:.2f}x" if "speedup" in r else ""
        print(
            f"{r['name']:<72} {r['seconds']:>8.2f} {ratio:>8} {r['peak_rss_mib']:>9.0f}  "
            f"{r['target']} {mark}"
        )
    import duckdb

    return save(
        "duckdb",
        f"wall-clock of subprocesses, {args.rounds} rounds interleaved, best of rounds "
        "(cpu_s: that run's user "
        "and system seconds, every thread); peak RSS by wait4; load average (1 min) "
        f"{min(loads):.2f} to {max(loads):.2f} over the runs",
        results,
        duckdb=duckdb.__version__,
        cores=os.cpu_count(),
    )


if __name__ == "__main__":
    sys.exit(main())
