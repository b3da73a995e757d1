"""Batch benchmarks: ``JobStore.apply`` of one poll of 10,000 jobs against a raw ``executemany``.

For a SQLite file (WAL, as the store opens it) and for PostgreSQL (a temporary server this script
starts and removes, through the helper the tests use), side by side in one run:

- jobfsm: ``JobStore.apply`` of 10,000 observations, one per job, each a declared move (the jobs
  go back and forth between RUNNING and SCALING, so every observation is judged and written):
  one transaction that reads the 10,000 jobs, judges every observation by the lifecycle, then
  writes the compare-and-set UPDATEs and the history INSERTs, each as one ``executemany``;
- baseline: the same UPDATEs (same compare-and-set on version and status) and the same INSERTs,
  history and outbox events, built from statuses and versions the baseline already knows, as
  three raw DBAPI ``executemany`` calls in one transaction on a connection of the same engine: no
  read, no judgment. On PostgreSQL it also takes the outbox's advisory lock and notifies, as the
  store does: an outbox row per move is part of what a committed move is now, so a baseline
  without it would measure the outbox's cost as jobfsm's overhead rather than the writes any
  outbox needs.

Both sides alternate, best of ``--rounds``. Targets: at least 20,000 judged observations per
second into SQLite and 10,000 into PostgreSQL, and a jobfsm time at most 1.5 times the
baseline's.

Run: ``make bench-store`` (or ``.venv/bin/python benchmarks/bench_apply.py``). Prints a table and
writes ``benchmarks/results/apply.json``; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import pgserver
from report import save

from jobfsm import DEFAULT_LIFECYCLE, JobStatus, JobStore
from jobfsm.store import _stored_time
from jobfsm.store.outbox import _EVENT_SQL, _LOCK_SQL, _NOTIFY_SQL

S = JobStatus
JOBS = 10_000
RATE_TARGETS = {"sqlite": 20_000.0, "postgresql": 10_000.0}
RATIO_TARGET = 1.5
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def prepare(url: str, jobs: int) -> list[str]:
    store = JobStore(url)
    store.create_schema()
    ids = [f"job-{k:05d}" for k in range(jobs)]
    stored = _stored_time(T0, store.backend == "sqlite")
    with store._writer.begin() as conn:
        mark = "?" if store.backend == "sqlite" else "%s"
        conn.exec_driver_sql(
            "INSERT INTO jobs (job_id, status, version, created_at, updated_at, lifecycle) "
            f"VALUES ({mark}, {mark}, 0, {mark}, {mark}, {mark})",
            [(job_id, int(S.RUNNING), stored, stored, DEFAULT_LIFECYCLE.name) for job_id in ids],
        )
    store.close()
    return ids


class Fleet:
    """The jobs' statuses and versions as both sides leave them, so each round is all moves."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.status = dict.fromkeys(ids, S.RUNNING)
        self.version = dict.fromkeys(ids, 0)
        self.round = 0

    def next_time(self) -> datetime:
        self.round += 1
        return T0 + timedelta(minutes=self.round)


def run_jobfsm(store: JobStore, fleet: Fleet) -> float:
    at = fleet.next_time()
    batch = [
        (job_id, S.SCALING if fleet.status[job_id] is S.RUNNING else S.RUNNING, at)
        for job_id in fleet.ids
    ]
    start = time.perf_counter()
    results = store.apply(batch)
    elapsed = time.perf_counter() - start
    for (job_id, target, _), result in zip(batch, results, strict=True):
        if not result.moved:
            raise RuntimeError(f"jobfsm did not move {job_id}: {result}")
        fleet.status[job_id] = target
        fleet.version[job_id] = result.version or 0
    return elapsed


def run_baseline(store: JobStore, fleet: Fleet) -> float:
    sqlite = store.backend == "sqlite"
    mark = "?" if sqlite else "%s"
    events = {
        S.SCALING: DEFAULT_LIFECYCLE.event_for(S.RUNNING, S.SCALING),
        S.RUNNING: DEFAULT_LIFECYCLE.event_for(S.SCALING, S.RUNNING),
    }
    update = (
        f"UPDATE jobs SET status = {mark}, version = {mark}, updated_at = {mark} "
        f"WHERE job_id = {mark} AND version = {mark} AND status = {mark}"
    )
    insert = (
        "INSERT INTO history (job_id, seq, source, target, event, at, reason, actor, inferred, "
        f"detail) VALUES ({', '.join([mark] * 10)})"
    )
    add_events = _EVENT_SQL.format(marks=", ".join([mark] * 11))
    at = fleet.next_time()
    raw = store.engine.raw_connection()
    try:
        start = time.perf_counter()
        stored = _stored_time(at, sqlite)
        updates: list[tuple[Any, ...]] = []
        rows: list[tuple[Any, ...]] = []
        status, version = fleet.status, fleet.version
        for job_id in fleet.ids:
            source = status[job_id]
            target = S.SCALING if source is S.RUNNING else S.RUNNING
            v = version[job_id]
            updates.append((int(target), v + 1, stored, job_id, v, int(source)))
            rows.append(
                (
                    job_id,
                    v + 1,
                    int(source),
                    int(target),
                    events[target],
                    stored,
                    None,
                    None,
                    False,
                    None,
                )
            )
        cursor = raw.cursor()
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        cursor.executemany(update, updates)
        if cursor.rowcount != len(updates):
            raise RuntimeError(f"baseline updated {cursor.rowcount} of {len(updates)} jobs")
        cursor.executemany(insert, rows)
        if not sqlite:
            cursor.execute(_LOCK_SQL)
        tail = (DEFAULT_LIFECYCLE.name,)
        cursor.executemany(add_events, [r + tail for r in rows])
        if not sqlite:
            cursor.execute(_NOTIFY_SQL)
        raw.commit()
        elapsed = time.perf_counter() - start
    finally:
        raw.close()
    for job_id, (target, v, *_rest) in zip(fleet.ids, updates, strict=True):
        status[job_id], version[job_id] = S(target), v
    return elapsed


def bench_backend(backend: str, url: str, jobs: int, rounds: int) -> dict[str, Any]:
    ids = prepare(url, jobs)
    fleet = Fleet(ids)
    store = JobStore(url)
    store.get(ids[0])  # connect and check the schema before the clock starts
    best = {"jobfsm": float("inf"), "baseline": float("inf")}
    for r in range(rounds):
        # Alternate which side goes first, so that a growing history table favours neither.
        order = ("jobfsm", "baseline") if r % 2 == 0 else ("baseline", "jobfsm")
        for kind in order:
            run = run_jobfsm if kind == "jobfsm" else run_baseline
            best[kind] = min(best[kind], run(store, fleet))
    store.close()
    ours, base = jobs / best["jobfsm"], jobs / best["baseline"]
    ratio = best["jobfsm"] / best["baseline"]
    met = ours >= RATE_TARGETS[backend] and ratio <= RATIO_TARGET
    print(
        f"{backend:<11} {jobs:>7} {ours:>12.0f} {base:>12.0f} {ratio:>7.2f}x  "
        f"{'ok' if met else 'MISSED'}",
        flush=True,
    )
    return {
        "backend": backend,
        "batch": jobs,
        "jobfsm_per_s": ours,
        "baseline_per_s": base,
        "jobfsm_s": best["jobfsm"],
        "baseline_s": best["baseline"],
        "ratio": ratio,
        "target": f"jobfsm_per_s >= {RATE_TARGETS[backend]:.0f} and ratio <= {RATIO_TARGET}",
        "met": met,
    }


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="jobfsm-bench-") as root:
        yield f"sqlite:///{root}/jobs.db"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=JOBS, help=f"batch size (default {JOBS})")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per side (default 5)")
    parser.add_argument(
        "--backend", choices=["sqlite", "postgresql", "both"], default="both", help="default both"
    )
    args = parser.parse_args(argv)
    print(
        f"{'backend':<11} {'batch':>7} {'jobfsm/s':>12} {'baseline/s':>12} {'ratio':>8}  "
        f"targets: >= {RATE_TARGETS['sqlite']:.0f}/s SQLite, >= "
        f"{RATE_TARGETS['postgresql']:.0f}/s PostgreSQL, ratio <= {RATIO_TARGET}"
    )
    results: list[dict[str, Any]] = []
    if args.backend in ("sqlite", "both"):
        with sqlite_url() as url:
            results.append(bench_backend("sqlite", url, args.jobs, args.rounds))
    if args.backend in ("postgresql", "both"):
        with pgserver.running() as server:
            results.append(bench_backend("postgresql", server.url, args.jobs, args.rounds))
    return save(
        "apply",
        "observations judged and written per second by one JobStore.apply of a batch, each a "
        "move; best of several rounds, alternating with the raw executemany baseline",
        results,
        sqlalchemy=sa.__version__,
        sqlite=sqlite3.sqlite_version,
        postgresql_settings=dict(pgserver.FAST),
    )


if __name__ == "__main__":
    sys.exit(main())
