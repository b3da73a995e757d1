"""Many worker processes moving shared stored jobs, and workers killed mid-transaction."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import signal
import threading
import time
from collections import Counter
from multiprocessing.synchronize import Event as EventType
from typing import Any

import pytest
import sqlalchemy as sa

from jobfsm import (
    DEFAULT_LIFECYCLE,
    ConcurrentUpdate,
    IllegalTransition,
    JobStatus,
    JobStore,
)
from jobfsm.store import history_table, jobs_table
from jobfsm.vocabulary import Status

S = JobStatus
WORKERS = 8
MOVES_PER_WORKER = 1000
JOBS = 50
# Fork: the workers need nothing from the parent but the URL, and start in milliseconds.
CTX = multiprocessing.get_context("fork")


def observe(seed: int, url: str, job_ids: list[str], moves: int, results: Any) -> None:
    """One worker: ``moves`` random observed moves on the shared jobs; report what happened."""
    rng = random.Random(seed)
    store = JobStore(url)
    seen: dict[str, Status] = dict.fromkeys(job_ids, S.INIT)
    counts: Counter[str] = Counter()
    statuses = list(S)
    for _ in range(moves):
        job_id = rng.choice(job_ids)
        onward = sorted(s for s in DEFAULT_LIFECYCLE.allowed_next(seen[job_id]) if s.is_active)
        # Mostly what a poller would report next; sometimes anything at all (terminal included).
        target = rng.choice(onward) if onward and rng.random() < 0.97 else rng.choice(statuses)
        expected = seen[job_id] if rng.random() < 0.2 else None
        try:
            result = store.transition(job_id, target, expected=expected, actor=f"w{seed}")
        except ConcurrentUpdate as exc:
            counts["stale expected" if exc.expected is not None else "lost races"] += 1
            seen[job_id] = exc.source
        except IllegalTransition as exc:
            counts["illegal"] += 1
            seen[job_id] = exc.source
        else:
            counts["moved" if result.moved else "repeat"] += 1
            seen[job_id] = target
    store.close()
    results.put(dict(counts))


def check_consistent(store: JobStore, start: JobStatus = S.INIT) -> int:
    """Assert every history is a chain of declared moves from ``start`` to the job's status.

    Returns the number of history rows.
    """
    with store.engine.connect() as conn:
        jobs = {r.job_id: r for r in conn.execute(sa.select(jobs_table))}
        rows = conn.execute(sa.select(history_table).order_by("job_id", "seq")).all()
    by_job: dict[str, list[Any]] = {job_id: [] for job_id in jobs}
    for row in rows:
        by_job[row.job_id].append(row)
    for job_id, history in by_job.items():
        job = jobs[job_id]
        assert job.version == len(history), job_id
        assert [h.seq for h in history] == list(range(1, len(history) + 1)), job_id
        status = start
        for h in history:
            source, target = S(h.source), S(h.target)
            assert source is status, f"{job_id}: history breaks at seq {h.seq}"
            assert not source.is_terminal, f"{job_id} left terminal {source}"
            assert DEFAULT_LIFECYCLE.event_for(source, target) == h.event, (job_id, h.seq)
            status = target
        assert S(job.status) is status, job_id
    return len(rows)


def test_workers_never_break_the_lifecycle(store_url: str) -> None:
    """8 processes × 1,000 observed moves on 50 jobs: consistent chains, no lost update."""
    store = JobStore(store_url)
    store.create_schema()
    job_ids = [f"job-{i:02d}" for i in range(JOBS)]
    for job_id in job_ids:
        store.create(job_id)
    results = CTX.Queue()
    workers = [
        CTX.Process(target=observe, args=(seed, store_url, job_ids, MOVES_PER_WORKER, results))
        for seed in range(WORKERS)
    ]
    for w in workers:
        w.start()
    reports = [results.get(timeout=300) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    totals: Counter[str] = Counter()
    for report in reports:
        totals.update(report)
    print(f"{store.backend}: {dict(totals)}")
    assert sum(totals.values()) == WORKERS * MOVES_PER_WORKER
    assert check_consistent(store) == totals["moved"]
    # The run exercised real moves and real refusals, not only one kind.
    assert totals["moved"] > 1000
    assert totals["illegal"] > 0
    store.close()


def stall(url: str, where: str, stalled: EventType) -> None:
    """Start a legal move, then stall inside its transaction until killed."""
    store = JobStore(url)

    def hang(*args: object) -> None:
        stalled.set()
        time.sleep(600)

    if where == "after the UPDATE":

        def after(conn: object, cursor: object, statement: str, *args: object) -> None:
            if statement.startswith("UPDATE jobs"):
                hang()

        sa.event.listen(store.engine, "after_cursor_execute", after)
    else:
        sa.event.listen(store.engine, "commit", hang)
    store.transition("j-1", S.KILLING, reason="about to die")


@pytest.mark.parametrize("where", ["after the UPDATE", "before the COMMIT"])
def test_sigkill_mid_transaction_leaves_no_half_move(store_url: str, where: str) -> None:
    """A worker killed inside its transaction leaves the job exactly as it was, and unlocked."""
    store = JobStore(store_url)
    store.create_schema()
    store.create("j-1", S.WAITING)
    store.transition("j-1", S.RUNNING)
    stalled = CTX.Event()
    worker = CTX.Process(target=stall, args=(store_url, where, stalled))
    worker.start()
    assert stalled.wait(timeout=60), "the worker never reached its transaction"
    # Readers are not blocked by the open write transaction, and do not see it.
    assert store.get("j-1").status is S.RUNNING
    os.kill(worker.pid or 0, signal.SIGKILL)
    worker.join(timeout=60)
    assert worker.exitcode == -signal.SIGKILL
    record = store.get("j-1")
    assert (record.status, record.version) == (S.RUNNING, 1)
    assert check_consistent(store, S.WAITING) == 1
    # The dead worker's lock is gone: the next move goes through.
    assert store.transition("j-1", S.KILLING).version == 2
    assert check_consistent(store, S.WAITING) == 2
    store.close()


def test_threads_share_one_store(store_url: str) -> None:
    """Threads sharing one store keep every history consistent and lose no update."""
    store = JobStore(store_url)
    store.create_schema()
    job_ids = [f"job-{i}" for i in range(5)]
    for job_id in job_ids:
        store.create(job_id)
    moved: list[int] = []

    def run(seed: int) -> None:
        rng = random.Random(seed)
        count = 0
        for _ in range(300):
            job_id = rng.choice(job_ids)
            status = store.get(job_id).status
            onward = [s for s in DEFAULT_LIFECYCLE.allowed_next(status) if s.is_active]
            # Another thread may have moved the job since the read: then the move may be refused.
            with contextlib.suppress(IllegalTransition):
                count += store.transition(job_id, rng.choice(onward or list(S))).moved
        moved.append(count)

    threads = [threading.Thread(target=run, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(moved) == 4
    assert check_consistent(store) == sum(moved) > 0
    store.close()
