"""Store benchmarks: validated transitions per second against a bare UPDATE + INSERT baseline.

For SQLite and for PostgreSQL (a temporary server this script starts and removes, through the
helper the tests use), with 1, 4 and 8 worker processes:

- jobfsm: every worker calls ``JobStore.transition`` on jobs of its own, back and forth between
  RUNNING and SCALING (two declared moves, so every call commits a move): one transaction that
  judges the move by the lifecycle from the version the store remembers, then does the
  compare-and-set UPDATE and the history INSERT;
- jobfsm, read first: the same with ``cache_size=0``, so every move also reads the job (what the
  first move of a job a worker has not seen before costs);
- baseline: the same UPDATE (same compare-and-set on the version, tracked by the worker) and the
  same INSERT in one transaction, on the same engine and connection settings, with no read and no
  validation.

Both sides run in the same run, alternating, best of ``--rounds``; the ratio is baseline rate over
jobfsm rate, i.e. how much longer a validated move takes (target: at most 1.3).

Run: ``make bench-store`` (or ``.venv/bin/python benchmarks/bench_store.py``). Prints a table and
writes ``benchmarks/results/store.json``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import pgserver
from report import save

from jobfsm import DEFAULT_LIFECYCLE, JobStatus, JobStore
from jobfsm.store import DEFAULT_CACHE_SIZE, history_table, jobs_table

S = JobStatus
JOBS_PER_WORKER = 10
WORKER_COUNTS = (1, 4, 8)
CTX = multiprocessing.get_context("fork")
TARGET = 1.3


def job_ids(worker: int) -> list[str]:
    return [f"w{worker}-job{k}" for k in range(JOBS_PER_WORKER)]


def jobfsm_moves(store: JobStore, ids: list[str], moves: int) -> float:
    """Seconds for ``moves`` validated transitions through the store."""
    status = {job_id: store.get(job_id).status for job_id in ids}
    start = time.perf_counter()
    for i in range(moves):
        job_id = ids[i % len(ids)]
        target = S.SCALING if status[job_id] is S.RUNNING else S.RUNNING
        store.transition(job_id, target)
        status[job_id] = target
    return time.perf_counter() - start


def baseline_moves(store: JobStore, ids: list[str], moves: int) -> float:
    """Seconds for ``moves`` bare UPDATE + INSERT transactions."""
    records = {job_id: store.get(job_id) for job_id in ids}
    status = {job_id: r.status for job_id, r in records.items()}
    version = {job_id: r.version for job_id, r in records.items()}
    # The event names are looked up once, outside the timed loop: the baseline knows its moves.
    events = {
        S.SCALING: DEFAULT_LIFECYCLE.event_for(S.RUNNING, S.SCALING),
        S.RUNNING: DEFAULT_LIFECYCLE.event_for(S.SCALING, S.RUNNING),
    }
    sqlite = store.backend == "sqlite"
    writer = store._writer
    # Statements built once with bound parameters, as a careful hand-written writer would.
    update = (
        jobs_table.update()
        .where(jobs_table.c.job_id == sa.bindparam("j"), jobs_table.c.version == sa.bindparam("v"))
        .values(status=sa.bindparam("s"), version=sa.bindparam("nv"), updated_at=sa.bindparam("t"))
    )
    insert = history_table.insert()
    start = time.perf_counter()
    for i in range(moves):
        job_id = ids[i % len(ids)]
        source = status[job_id]
        target = S.SCALING if source is S.RUNNING else S.RUNNING
        now = datetime.now(timezone.utc)
        at = now.replace(tzinfo=None) if sqlite else now
        v = version[job_id]
        with writer.begin() as conn:
            done = conn.execute(
                update, {"j": job_id, "v": v, "s": int(target), "nv": v + 1, "t": at}
            )
            if done.rowcount != 1:
                raise RuntimeError(f"baseline lost an update of {job_id}")
            conn.execute(
                insert,
                {
                    "job_id": job_id,
                    "seq": v + 1,
                    "source": int(source),
                    "target": int(target),
                    "event": events[target],
                    "at": at,
                    "reason": None,
                    "actor": None,
                },
            )
        status[job_id], version[job_id] = target, v + 1
    return time.perf_counter() - start


def worker(
    kind: str, url: str, index: int, moves: int, barrier: Barrier, out: Queue[float]
) -> None:
    store = JobStore(url, cache_size=0 if kind == "read first" else DEFAULT_CACHE_SIZE)
    ids = job_ids(index)
    store.get(ids[0])  # connect before the clock starts
    barrier.wait()
    elapsed = (baseline_moves if kind == "baseline" else jobfsm_moves)(store, ids, moves)
    store.close()
    out.put(elapsed)


def rate(kind: str, url: str, workers: int, moves: int) -> float:
    """Committed moves per second of ``workers`` processes doing ``moves`` each."""
    barrier = CTX.Barrier(workers)
    out: Queue[float] = CTX.Queue()
    procs = [
        CTX.Process(target=worker, args=(kind, url, i, moves, barrier, out)) for i in range(workers)
    ]
    for p in procs:
        p.start()
    elapsed = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"a {kind} worker failed with exit code {p.exitcode}")
    return workers * moves / max(elapsed)


def prepare(url: str) -> None:
    store = JobStore(url)
    store.create_schema()
    for w in range(max(WORKER_COUNTS)):
        for job_id in job_ids(w):
            store.create(job_id, S.RUNNING)
    store.close()


def bench_backend(backend: str, url: str, moves: int, rounds: int) -> list[dict[str, Any]]:
    prepare(url)
    results = []
    kinds = ("jobfsm", "read first", "baseline")
    for workers in WORKER_COUNTS:
        best = dict.fromkeys(kinds, 0.0)
        for r in range(rounds):
            # Rotate which side goes first so a warming cache or a growing table favours none.
            for kind in kinds[r % 3 :] + kinds[: r % 3]:
                best[kind] = max(best[kind], rate(kind, url, workers, moves))
        ours, cold, base = best["jobfsm"], best["read first"], best["baseline"]
        ratio = base / ours
        results.append(
            {
                "backend": backend,
                "workers": workers,
                "moves_per_worker": moves,
                "jobfsm_per_s": ours,
                "read_first_per_s": cold,
                "baseline_per_s": base,
                "ratio": ratio,
                "read_first_ratio": base / cold,
                "target": f"ratio <= {TARGET}",
                "met": ratio <= TARGET,
            }
        )
        print(
            f"{backend:<11} {workers:>7} {ours:>10.0f} {cold:>12.0f} {base:>10.0f} "
            f"{ratio:>7.2f}x {base / cold:>11.2f}x  {'ok' if ratio <= TARGET else 'MISSED'}",
            flush=True,
        )
    return results


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="jobfsm-bench-") as root:
        yield f"sqlite:///{root}/jobs.db"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--moves", type=int, default=1000, help="moves per worker (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per figure (default 3)")
    parser.add_argument(
        "--backend", choices=["sqlite", "postgresql", "both"], default="both", help="default both"
    )
    args = parser.parse_args(argv)
    print(
        f"{'backend':<11} {'workers':>7} {'jobfsm/s':>10} {'read first/s':>12} "
        f"{'baseline/s':>10} {'ratio':>8} {'read first':>12}  target ratio <= {TARGET}"
    )
    results: list[dict[str, Any]] = []
    if args.backend in ("sqlite", "both"):
        with sqlite_url() as url:
            results += bench_backend("sqlite", url, args.moves, args.rounds)
    if args.backend in ("postgresql", "both"):
        with pgserver.running() as server:
            results += bench_backend("postgresql", server.url, args.moves, args.rounds)
    return save(
        "store",
        "committed moves per second of all workers; best of several rounds",
        results,
        sqlalchemy=sa.__version__,
        sqlite=sqlite3.sqlite_version,
        postgresql_settings=dict(pgserver.FAST),
    )


if __name__ == "__main__":
    sys.exit(main())
