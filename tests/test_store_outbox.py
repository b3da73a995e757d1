"""The outbox: an event per committed move, consumers and their positions, pruning, the upgrade of
older databases, and `jobfsm store events`; on SQLite and a real PostgreSQL."""

from __future__ import annotations

import json
import multiprocessing
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from test_store_cli import run
from test_store_lifecycles import build_old_database, query
from test_store_schema import execute

from jobfsm import (
    ConcurrentUpdate,
    IllegalTransition,
    InvalidArgument,
    JobStatus,
    JobStore,
)
from jobfsm.cli import EXIT_OK
from jobfsm.store import ApplyKind, jobstore, outbox
from jobfsm.store.outbox import POLL_CAP, StoredEvent

S = JobStatus
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)
CTX = multiprocessing.get_context("fork")


def tables(url: str) -> set[str]:
    engine = sa.create_engine(JobStore(url)._connect_url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def as_history(e: StoredEvent) -> tuple[Any, ...]:
    return (e.job_id, e.seq, e.source, e.target, e.event, e.at, e.reason, e.actor, e.inferred,
            e.detail)  # fmt: skip


def every_move(store: JobStore) -> list[tuple[Any, ...]]:
    """Every history row of the store's jobs, as the events keep them, by job and seq."""
    return sorted(
        (r.job_id, seq, m.source, m.target, m.event, m.at, m.reason, m.actor, m.inferred, m.detail)
        for r in store.list()
        for seq, m in enumerate(store.history(r.job_id), 1)
    )


def check_outbox(store: JobStore) -> list[StoredEvent]:
    """The events are exactly the history rows, in strictly increasing positions, each job's in
    its history's order."""
    events = store.events(limit=100_000)
    positions = [e.position for e in events]
    assert positions == sorted(set(positions))
    assert sorted(as_history(e) for e in events) == every_move(store)
    for job_id in {e.job_id for e in events}:
        seqs = [e.seq for e in events if e.job_id == job_id]
        assert seqs == list(range(1, len(seqs) + 1))
    return events


# -- what is written --------------------------------------------------------------------------


def test_every_committed_move_writes_its_event(store: JobStore) -> None:
    """transition, apply (inferred moves marked) and save each write one event per move, with
    the move's fields, its lifecycle and its statuses as the JSON reports them."""
    for job_id in ("a", "b", "c"):
        store.create(job_id, S.WAITING, created_at=T0)
    store.transition("a", S.RUNNING, at=T0 + MINUTE, reason="seen", actor="poller", detail="up")
    store.apply(
        [("b", S.COMPLETED, T0 + 2 * MINUTE, "done"), ("c", S.RUNNING, None)], mode="polled"
    )
    job = store.load("a")
    job.advance_to(S.COMPLETED, at=T0 + 3 * MINUTE)
    store.save(job)
    events = check_outbox(store)
    assert [(e.position, e.job_id, e.source, e.target, e.inferred, e.detail) for e in events] == [
        (1, "a", S.WAITING, S.RUNNING, False, "up"),
        (2, "b", S.WAITING, S.RUNNING, True, None),
        (3, "b", S.RUNNING, S.COMPLETED, False, "done"),
        (4, "c", S.WAITING, S.RUNNING, False, None),
        (5, "a", S.RUNNING, S.COMPLETED, False, None),
    ]
    first = events[0].to_dict()
    assert first == {
        "position": 1,
        "job_id": "a",
        "lifecycle": "modelarts-v1",
        "seq": 1,
        "source": 7,
        "target": 8,
        "source_name": "WAITING",
        "target_name": "RUNNING",
        "event": "start",
        "at": (T0 + MINUTE).isoformat(),
        "actor": "poller",
        "reason": "seen",
        "inferred": False,
        "detail": "up",
    }
    assert json.loads(json.dumps(first)) == first
    assert [e.position for e in store.events(after=2, limit=2)] == [3, 4]


def test_refused_late_repeated_and_raced_moves_write_no_event(store_url: str) -> None:
    store = JobStore(store_url)
    store.create_schema()
    store.create("a", S.WAITING, created_at=T0)
    store.transition("a", S.RUNNING, at=T0 + 2 * MINUTE)
    with pytest.raises(IllegalTransition):
        store.transition("a", S.INIT)
    assert not store.transition("a", S.RUNNING).moved  # repeat
    assert not store.transition("a", S.COMPLETED, at=T0 + MINUTE).moved  # late
    kinds = [
        r.kind
        for r in store.apply(
            [
                ("a", S.INIT, None),
                ("a", S.RUNNING, None),
                ("a", S.KILLING, T0),
                ("x", S.RUNNING, None),
            ]
        )
    ]
    assert kinds == [ApplyKind.REFUSED, ApplyKind.REPEAT, ApplyKind.LATE, ApplyKind.UNKNOWN_JOB]
    stale = store.load("a")
    # Another writer moves the job: this store's remembered version and the loaded job are stale.
    with JobStore(store_url) as other:
        other.transition("a", S.KILLING, at=T0 + 3 * MINUTE)
    stale.advance_to(S.COMPLETED, at=T0 + 4 * MINUTE)
    with pytest.raises(ConcurrentUpdate):
        store.save(stale)
    # The raced transition is judged again from KILLING, and written once.
    assert store.transition("a", S.KILLED, at=T0 + 5 * MINUTE).version == 3
    events = check_outbox(store)
    assert [(e.source, e.target) for e in events] == [
        (S.WAITING, S.RUNNING),
        (S.RUNNING, S.KILLING),
        (S.KILLING, S.KILLED),
    ]
    store.close()


def test_a_failed_event_write_rolls_the_move_back(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event is written in the move's transaction: when it fails, neither the job nor its
    history changes (nothing half-written), for transition and apply alike."""
    store.create("a", S.WAITING, created_at=T0)

    def refuse(conn: Any, cursor: Any, statement: str, *args: object) -> None:
        if statement.startswith("INSERT INTO events"):
            raise RuntimeError("the disk is full")

    sa.event.listen(store.engine, "before_cursor_execute", refuse)
    with pytest.raises(RuntimeError):
        store.transition("a", S.RUNNING, at=T0 + MINUTE)
    sa.event.remove(store.engine, "before_cursor_execute", refuse)
    store._known.clear()
    assert (store.get("a").status, store.history("a")) == (S.WAITING, ())
    assert store.events() == []
    # apply writes through the DBAPI cursor: fail right after its events are inserted.
    original = outbox._add_event_tuples

    def failing(*args: Any) -> None:
        original(*args)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(jobstore, "_add_event_tuples", failing)
    with pytest.raises(RuntimeError):
        store.apply([("a", S.RUNNING, T0 + MINUTE)])
    monkeypatch.setattr(jobstore, "_add_event_tuples", original)
    assert (store.get("a").status, store.history("a")) == (S.WAITING, ())
    assert store.events() == []
    store.apply([("a", S.RUNNING, T0 + MINUTE)])
    assert [e.target for e in check_outbox(store)] == [S.RUNNING]


def write_moves(url: str, seed: int, jobs: int, rounds: int) -> None:
    """One writer process: its own jobs moved back and forth, by transition and by apply."""
    store = JobStore(url)
    ids = [f"w{seed}-{k}" for k in range(jobs)]
    for job_id in ids:
        store.create(job_id, S.RUNNING, created_at=T0)
    for r in range(rounds):
        target = S.SCALING if r % 2 == 0 else S.RUNNING
        at = T0 + (r + 1) * MINUTE
        if seed % 2:
            store.apply([(job_id, target, at) for job_id in ids])
        else:
            for job_id in ids:
                store.transition(job_id, target, at=at)
    store.close()


def test_positions_grow_in_commit_order_across_concurrent_writers(store_url: str) -> None:
    """4 writer processes at once; a reader following meanwhile sees every event exactly once:
    a position it passed is never committed later (which would be lost to every consumer)."""
    store = JobStore(store_url)
    store.create_schema()
    writers = [CTX.Process(target=write_moves, args=(store_url, seed, 5, 20)) for seed in range(4)]
    seen: list[int] = []
    done = threading.Event()

    def follow() -> None:
        with JobStore(store_url) as reader:
            for batch in reader.follow(limit=50, stop=lambda: done.is_set() and len(seen) >= 400):
                seen.extend(e.position for e in batch)

    # The writers first: a process forked while the reader's thread holds a lock could hang.
    for w in writers:
        w.start()
    reading = threading.Thread(target=follow)
    reading.start()
    for w in writers:
        w.join(timeout=120)
        assert w.exitcode == 0
    done.set()
    reading.join(timeout=60)
    assert not reading.is_alive()
    events = check_outbox(store)
    assert len(events) == 4 * 5 * 20
    assert seen == [e.position for e in events]
    store.close()


# -- consumers and pruning ----------------------------------------------------------------------


def moved(store: JobStore, count: int) -> None:
    """``count`` more events: jobs created and moved once each."""
    start = len(store.list())
    for k in range(start, start + count):
        store.create(f"j-{k:03d}", S.WAITING, created_at=T0)
        store.transition(f"j-{k:03d}", S.RUNNING, at=T0 + MINUTE)


def test_consumers_resume_from_their_acknowledged_position(store: JobStore) -> None:
    moved(store, 5)
    assert store.position("c") == 0
    assert [e.position for e in store.events(consumer="c", limit=2)] == [1, 2]
    assert store.ack("c", 2) == 2
    assert [e.position for e in store.events(consumer="c")] == [3, 4, 5]
    # Backwards is ignored: the stored position is kept and returned.
    assert store.ack("c", 1) == 2
    assert store.position("c") == 2
    # A further --after wins over the consumer's position.
    assert [e.position for e in store.events(after=4, consumer="c")] == [5]
    assert store.ack("d", 5) == 5
    assert store.consumers() == {"c": 2, "d": 5}
    with pytest.raises(InvalidArgument, match="last position written, 5"):
        store.ack("c", 6)
    for bad in ("", " ", "a\nb", "x" * 256, 3):
        with pytest.raises(InvalidArgument, match="consumer"):
            store.position(bad)  # type: ignore[arg-type]
    for bad_position in (-1, True, 1.0, 2**63):
        with pytest.raises(InvalidArgument, match="position"):
            store.ack("c", bad_position)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="limit"):
        store.events(limit=0)
    with JobStore(store.url) as another:
        assert another.position("c") == 2


def test_prune_deletes_what_every_consumer_passed(store: JobStore) -> None:
    moved(store, 6)
    assert store.prune_events() == 0  # no consumer: nothing, unless told before=
    store.ack("slow", 2)
    store.ack("fast", 5)
    assert store.prune_events() == 2
    assert [e.position for e in store.events()] == [3, 4, 5, 6]
    # before= bounds it, and never deletes what a known consumer has not acknowledged.
    store.ack("slow", 5)
    assert store.prune_events(before=4) == 1
    assert store.prune_events(before=100) == 2
    assert [e.position for e in store.events()] == [6]
    with pytest.raises(InvalidArgument, match="before"):
        store.prune_events(before=-1)


def test_without_consumers_before_prunes_and_positions_are_never_reused(store: JobStore) -> None:
    moved(store, 3)
    assert store.prune_events(before=10) == 3
    assert store.events() == []
    moved(store, 1)
    assert [e.position for e in store.events()] == [4]
    assert store.ack("late", 3) == 3  # a pruned position can still be acknowledged


# -- older databases ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2, 3], ids=["version-1", "version-2", "version-3"])
def test_an_older_database_gains_the_outbox_tables_on_its_first_write(
    store_url: str, version: int
) -> None:
    """Reads find no event and create nothing; the first write creates the tables, and its
    moves, not the ones stored before, are the first events. A version 3 database made before
    the outbox (an unreleased layout) gains them too."""
    build_old_database(store_url, version if version < 3 else 2)
    if version == 3:
        with JobStore(store_url) as upgrade:
            upgrade.create("t", S.WAITING, created_at=T0)  # upgrades the columns and version
        execute(store_url, "DROP TABLE events", "DROP TABLE consumers")
    with JobStore(store_url) as old:
        assert old.events() == []
        assert old.position("c") == 0
        assert old.consumers() == {}
        assert {"events", "consumers"}.isdisjoint(tables(store_url))
        assert old.transition("j-1", S.COMPLETED).moved
        assert {"events", "consumers"} <= tables(store_url)
        [event] = old.events()
        assert (event.position, event.job_id, event.seq, event.target) == (1, "j-1", 2, S.COMPLETED)
        assert old.ack("c", 1) == 1
    assert query(store_url, "SELECT version FROM jobfsm_schema") == [(3,)]


# -- the command line ------------------------------------------------------------------------------


def test_store_events_and_prune_on_the_command_line(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "store", "init", store_url)[0] == EXIT_OK
    assert run(capsys, "store", "create", store_url, "a", "--status", "WAITING")[0] == EXIT_OK
    argv = ("store", "move", store_url, "a", "COMPLETED", "--mode", "polled", "--detail", "x")
    assert run(capsys, *argv)[0] == EXIT_OK
    code, out, _ = run(capsys, "store", "events", store_url)
    assert code == EXIT_OK
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("1 ")
    assert "job a (modelarts-v1): WAITING(7) → RUNNING(8) by 'start' (inferred)" in lines[0]
    assert "RUNNING(8) → COMPLETED(10) by 'complete', secondary phase x" in lines[1]
    code, out, _ = run(
        capsys, "store", "events", store_url, "--consumer", "c", "--limit", "1", "--format", "jsonl"
    )
    assert [json.loads(line)["position"] for line in out.splitlines()] == [1]
    code, out, _ = run(capsys, "store", "events", store_url, "--consumer", "c", "--format", "jsonl")
    assert [json.loads(line)["position"] for line in out.splitlines()] == [2]
    assert run(capsys, "store", "events", store_url, "--consumer", "c") == (EXIT_OK, "", "")
    assert run(capsys, "store", "prune-events", store_url)[1] == "deleted 2 events\n"
    assert (
        run(capsys, "store", "prune-events", store_url, "--before", "9")[1] == "deleted 0 events\n"
    )
    code, _, err = run(capsys, "store", "events", store_url, "--consumer", "a\tb")
    assert code == 2
    assert "consumer" in err


class Follower:
    """`jobfsm store events --follow` in a subprocess, its stdout read line by line."""

    def __init__(self, *argv: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jobfsm", "store", "events", *argv, "--follow"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), line.decode()))

    def line(self, timeout: float = 30) -> tuple[float, str]:
        return self.lines.get(timeout=timeout)

    def positions(self) -> list[int]:
        """The positions of the lines not taken yet, once the process has ended."""
        self.reader.join(timeout=30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        found = []
        while True:
            try:
                found.append(json.loads(self.lines.get_nowait()[1])["position"])
            except queue.Empty:
                return found

    def stop(self, signum: int) -> tuple[int, str]:
        self.proc.send_signal(signum)
        _, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, err.decode()


@pytest.fixture
def writer(store_url: str) -> Iterator[JobStore]:
    store = JobStore(store_url)
    store.create_schema()
    yield store
    store.close()


def test_a_killed_consumer_restarted_loses_nothing(store_url: str, writer: JobStore) -> None:
    """At-least-once: SIGKILL mid-stream, restart, and every event is printed; the only repeats
    are of the batch printed but not yet acknowledged when it died."""
    limit = 5
    argv = (store_url, "--consumer", "c", "--limit", str(limit), "--format", "jsonl")
    moved(writer, 10)
    first = Follower(*argv)
    first.line()
    stop = threading.Event()

    def keep_writing() -> None:
        with JobStore(store_url) as store:
            while not stop.is_set():
                moved(store, 1)
                time.sleep(0.01)

    writing = threading.Thread(target=keep_writing)
    writing.start()
    try:
        deadline = time.monotonic() + 60
        while writer.position("c") < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.proc.kill()
        first.proc.wait(timeout=30)
        before = [1, *first.positions()]  # the first line read above was position 1
        acked = writer.position("c")
        assert acked >= 40
        second = Follower(*argv)
        time.sleep(0.5)
    finally:
        stop.set()
        writing.join(timeout=60)
    last = writer.events(limit=100_000)[-1].position
    after: list[int] = []
    while not after or after[-1] < last:
        after.append(json.loads(second.line()[1])["position"])
    code, err = second.stop(signal.SIGTERM)
    assert (code, err) == (143, "jobfsm: terminated\n")
    assert sorted(set(before) | set(after)) == list(range(1, last + 1))
    repeated = set(before) & set(after)
    assert all(p > acked for p in repeated)
    assert len(repeated) <= limit
    assert after[0] == acked + 1
    assert writer.position("c") == last


def test_follow_prints_new_events_and_stops_cleanly(store_url: str, writer: JobStore) -> None:
    """A move committed while following is printed within the polling cap (SQLite) and at once
    (PostgreSQL's NOTIFY); Ctrl-C ends it with 130."""
    moved(writer, 1)
    follower = Follower(store_url, "--format", "jsonl")
    assert json.loads(follower.line()[1])["position"] == 1
    latencies = []
    for _ in range(2):
        time.sleep(POLL_CAP * 1.7)  # idle long enough for the polling to back off to its cap
        committed = time.monotonic()
        moved(writer, 1)
        seen, _ = follower.line()
        latencies.append(seen - committed)
    print(f"{writer.backend}: latencies {[f'{s:.3f}' for s in latencies]}")
    if writer.backend == "postgresql":
        assert max(latencies) < POLL_CAP / 4
    else:
        assert max(latencies) < POLL_CAP + 1
    assert follower.stop(signal.SIGINT) == (130, "jobfsm: interrupted\n")
