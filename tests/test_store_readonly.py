"""A SQLite store that the user may only read: reads work, writes say why they cannot.

The commands run in a subprocess that file modes bind, on a database file at 0444 in a directory at
0555: as the current user, or, when the tests run as root (whom modes do not stop), as root without
the capabilities that override them (``setpriv`` drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH).
Staying the same user keeps the subprocess able to reach this checkout and its virtualenv, wherever
they are (a fresh clone in a private temporary directory, say).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import unavailable
from sqlalchemy import Connection

from jobfsm import JobStatus, JobStore, StoreUnavailable
from jobfsm.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from jobfsm.store import SNAPSHOT_ATTEMPTS

S = JobStatus


@pytest.fixture(scope="module")
def reader() -> list[str]:
    """The command prefix that runs a program that the files' modes keep from writing them."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv") or ""
    if not setpriv:
        unavailable("setpriv (util-linux) is needed to run the store bound by file modes")
    dropped = "-dac_override,-dac_read_search"
    prefix = [setpriv, f"--bounding-set={dropped}", f"--inh-caps={dropped}"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import jobfsm.store"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        problem = probe.stderr.strip()
        unavailable(f"without DAC capabilities, this Python cannot run jobfsm: {problem}")
    return prefix


@pytest.fixture
def folder() -> Iterator[Path]:
    """A directory for the database, writable again afterwards so that it can be removed."""
    path = Path(tempfile.mkdtemp(prefix="jobfsm-readonly-"))
    yield path
    for sub in path.rglob("*"):
        if sub.is_dir():
            sub.chmod(0o755)
    shutil.rmtree(path)


def jobfsm(reader: list[str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*reader, sys.executable, "-m", "jobfsm", "store", *argv],
        capture_output=True,
        text=True,
        check=False,
    )


def make_store(db: Path) -> None:
    """A store with one job that was moved once, closed (so no -wal or -shm file is left)."""
    with JobStore(db) as store:
        store.create_schema()
        store.create("train-1")
        store.transition("train-1", S.KILLING, reason="stuck", actor="ops")


def make_read_only(db: Path) -> None:
    db.chmod(0o444)
    db.parent.chmod(0o555)


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_reads_work_on_a_read_only_database(reader: list[str], folder: Path, journal: str) -> None:
    """show, list and stale work on a file at 0444 in a directory at 0555, whether the file is in
    WAL mode (jobfsm's own) or was switched back to a rollback journal; nothing is written."""
    ro = folder / "ro"
    ro.mkdir()
    db = ro / "jobs.db"
    make_store(db)
    if journal == "delete":
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
    make_read_only(db)
    before = digest(ro)

    shown = jobfsm(reader, "show", str(db), "train-1")
    assert (shown.returncode, shown.stderr) == (EXIT_OK, "")
    assert shown.stdout.startswith("job train-1: KILLING(9) since ")
    assert "stuck" in shown.stdout
    listed = jobfsm(reader, "list", str(db), "--format", "json")
    assert (listed.returncode, listed.stderr) == (EXIT_OK, "")
    assert '"job_id": "train-1"' in listed.stdout
    stale = jobfsm(reader, "stale", str(db), "--status", "KILLING", "--older-than", "0s")
    assert (stale.returncode, stale.stderr) == (EXIT_INVALID, "")
    assert "train-1" in stale.stdout
    assert digest(ro) == before


def test_a_write_to_a_read_only_database_says_what_access_it_needs(
    reader: list[str], folder: Path
) -> None:
    """A move on a database the user may only read is one line naming the file and directory."""
    ro = folder / "ro"
    ro.mkdir()
    db = ro / "jobs.db"
    make_store(db)
    make_read_only(db)
    before = digest(ro)
    moved = jobfsm(reader, "move", str(db), "train-1", "KILLED")
    assert moved.returncode == EXIT_USAGE
    assert "the database is read-only for this user" in moved.stderr
    assert f"needs write access to {db} and to its directory {ro}" in moved.stderr
    assert len(moved.stderr.splitlines()) == 1
    assert digest(ro) == before


def test_commits_still_in_the_wal_are_read(reader: list[str], folder: Path) -> None:
    """While a writer holds the database open with commits only in its WAL, a reader without
    write access sees them."""
    ro = folder / "ro"
    ro.mkdir()
    db = ro / "jobs.db"
    make_store(db)
    with sqlite3.connect(db, isolation_level=None) as writer:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute(f"UPDATE jobs SET status = {int(S.KILLED)} WHERE job_id = 'train-1'")
        (ro / "jobs.db-shm").chmod(0o644)
        ro.chmod(0o555)
        shown = jobfsm(reader, "show", str(db), "train-1", "--format", "json")
    assert (shown.returncode, shown.stderr) == (EXIT_OK, "")
    assert '"status_name": "KILLED"' in shown.stdout


def test_commits_in_a_wal_without_its_index_are_not_skipped(
    reader: list[str], folder: Path
) -> None:
    """A -wal file holding commits, but no -shm that SQLite could read it through: the reader
    refuses rather than show the older state of the file."""
    src = folder / "src"
    src.mkdir()
    db = src / "jobs.db"
    make_store(db)
    ro = folder / "ro"
    ro.mkdir()
    with sqlite3.connect(db, isolation_level=None) as writer:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute(f"UPDATE jobs SET status = {int(S.KILLED)} WHERE job_id = 'train-1'")
        shutil.copy(db, ro / "jobs.db")
        shutil.copy(src / "jobs.db-wal", ro / "jobs.db-wal")
    for f in ro.iterdir():
        f.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    ro.chmod(0o555)
    shown = jobfsm(reader, "show", str(ro / "jobs.db"), "train-1")
    assert shown.returncode == EXIT_USAGE
    assert "jobs.db-wal holds commits not yet in jobs.db" in shown.stderr
    assert shown.stdout == ""


def test_a_snapshot_read_is_made_again_while_the_file_changes(tmp_path: Path) -> None:
    """A read of the file as it is (the fallback above) is only returned if the file did not
    change under it; a file that keeps changing is refused after SNAPSHOT_ATTEMPTS reads."""
    db = tmp_path / "jobs.db"
    make_store(db)
    store = JobStore(db)
    reads: list[int] = []
    stamps = itertools.count(1_000_000_000)

    def changing(times: int) -> Callable[[Connection], str]:
        def work(conn: Connection) -> str:
            reads.append(1)
            if len(reads) <= times:
                stamp = next(stamps) * 1_000_000_000
                os.utime(db, ns=(stamp, stamp))  # as a writer's checkpoint would
            return "read"

        return work

    assert store._read_snapshot(changing(1)) == "read"
    assert len(reads) == 2
    reads.clear()
    with pytest.raises(StoreUnavailable, match=f"kept changing during {SNAPSHOT_ATTEMPTS} reads"):
        store._read_snapshot(changing(SNAPSHOT_ATTEMPTS))
    assert len(reads) == SNAPSHOT_ATTEMPTS
    store.close()
