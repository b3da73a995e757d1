"""A writer queued for a SQLite write lock that another process holds: signals still stop it
promptly, and nothing is written; without a signal it waits for the whole busy timeout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import psycopg
import pytest
from pgserver import PostgresServer

from jobfsm import JobStatus, JobStore, StoreUnavailable
from jobfsm.cli import EXIT_INTERRUPTED, EXIT_TERMINATED
from jobfsm.store import SQLITE_BUSY_STEP

S = JobStatus

HOLD_THE_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(600)
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "jobs.db"
    with JobStore(path) as store:
        store.create_schema()
        store.create("j-1", S.WAITING)
    return path


@pytest.fixture
def locked(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process that holds the write lock of ``db`` until the test ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        yield holder
    finally:
        holder.kill()
        holder.communicate()


class Alarm(Exception):
    pass


def raise_alarm(signum: int, frame: FrameType | None) -> None:
    raise Alarm


@pytest.mark.usefixtures("locked")
def test_a_signal_handler_runs_while_a_writer_waits_for_the_lock(db: Path) -> None:
    """A handler that raises stops the wait within a fraction of a second of the signal, not
    when the busy timeout runs out; nothing is written."""
    store = JobStore(db)
    previous = signal.signal(signal.SIGALRM, raise_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        started = time.monotonic()
        with pytest.raises(Alarm):
            store.transition("j-1", S.RUNNING)
        waited = time.monotonic() - started
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert 0.25 < waited < 0.3 + 10 * SQLITE_BUSY_STEP
    assert (store.get("j-1").status, store.history("j-1")) == (S.WAITING, ())
    store.close()


@pytest.mark.usefixtures("locked")
@pytest.mark.parametrize("timeout", [1.0, 0.0])
def test_without_a_signal_the_writer_waits_for_the_whole_busy_timeout(
    db: Path, timeout: float
) -> None:
    """The short waits inside SQLite add up to the URL's ``timeout``, then the lock is reported as
    the reason the store cannot be used; ``timeout=0`` gives up after one short wait."""
    store = JobStore(f"sqlite:///{db}?timeout={timeout:g}")
    assert store.busy_timeout == timeout
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="database is locked"):
        store.create("j-2")
    assert timeout <= time.monotonic() - started < timeout + 2.0
    store.close()


def test_the_wait_ends_when_the_lock_is_let_go(db: Path, locked: subprocess.Popen[str]) -> None:
    """A writer queued behind another process goes on as soon as that process ends."""
    store = JobStore(db)
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: locked.kill())
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        assert store.transition("j-1", S.RUNNING).moved
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    store.close()


def has_open(pid: int, path: Path) -> bool:
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.path.realpath(fd) == str(path) for fd in fds.iterdir())
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.usefixtures("locked")
@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [
        (signal.SIGINT, EXIT_INTERRUPTED, "jobfsm: interrupted\n"),
        (signal.SIGTERM, EXIT_TERMINATED, "jobfsm: terminated\n"),
    ],
)
@pytest.mark.parametrize("argv", [["create", "j-2"], ["move", "j-1", "RUNNING"]])
def test_ctrl_c_and_sigterm_stop_a_store_command_waiting_for_the_lock(
    db: Path, argv: list[str], signum: int, code: int, message: str
) -> None:
    """`jobfsm store create|move` queued for the lock ends with 130 or 143 and one line within
    seconds of one signal (it used to end when the 60 s busy timeout ran out); nothing stored."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobfsm", "store", argv[0], str(db), *argv[1:]],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not has_open(proc.pid, db):
            assert proc.poll() is None, "the command ended before it opened the store"
            assert time.monotonic() < deadline, "the command never opened the store"
            time.sleep(0.05)
        time.sleep(0.5)  # well into the wait for the lock
        assert proc.poll() is None
        proc.send_signal(signum)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=20)
        stopped_after = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (proc.returncode, err) == (code, message)
    assert stopped_after < 5
    with JobStore(db) as store:
        assert [r.job_id for r in store.list()] == ["j-1"]
        assert (store.get("j-1").status, store.history("j-1")) == (S.WAITING, ())


@pytest.mark.integration
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, EXIT_INTERRUPTED), (signal.SIGTERM, EXIT_TERMINATED)]
)
def test_a_signal_stops_a_move_waiting_for_a_postgres_row_lock(
    postgres_server: PostgresServer, signum: int, code: int
) -> None:
    """On PostgreSQL a move queued behind another transaction's row lock also stops at once."""
    url = postgres_server.fresh_url()
    with JobStore(url) as store:
        store.create_schema()
        store.create("j-1", S.WAITING)
    where = f"host={postgres_server.root} port={postgres_server.port} user=postgres"
    # The watcher commits every query: a transaction sees one snapshot of pg_stat_activity.
    with psycopg.connect(where) as holder, psycopg.connect(where, autocommit=True) as watcher:
        holder.execute("SELECT * FROM jobs WHERE job_id = 'j-1' FOR UPDATE")
        proc = subprocess.Popen(
            [sys.executable, "-m", "jobfsm", "store", "move", url, "j-1", "RUNNING"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # Wait until the move is queued behind the lock: the server shows it waiting.
            deadline = time.monotonic() + 60
            while not watcher.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            ).fetchall():
                assert proc.poll() is None, "the move ended before it waited for the lock"
                assert time.monotonic() < deadline, "the move never waited for the lock"
                time.sleep(0.05)
            proc.send_signal(signum)
            sent = time.monotonic()
            _, err = proc.communicate(timeout=20)
            stopped_after = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        holder.rollback()
    assert proc.returncode == code
    assert err.endswith(("jobfsm: interrupted\n", "jobfsm: terminated\n"))
    assert err.count("\n") == 1
    assert stopped_after < 5
    with JobStore(url) as store:
        assert (store.get("j-1").status, store.history("j-1")) == (S.WAITING, ())
