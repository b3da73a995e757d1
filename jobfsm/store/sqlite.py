"""SQLite connections of a store: WAL mode, BEGIN IMMEDIATE for writers, and waits for a locked
database in short, interruptible steps."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any, Final, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

_T = TypeVar("_T")


#: How long a SQLite writer waits for the write lock before failing, in seconds.
SQLITE_BUSY_TIMEOUT: Final = 60.0
#: How long one wait for a SQLite lock lasts inside SQLite, in seconds. Python runs signal handlers
#: only between bytecodes, so the whole wait is made of waits this short, retried from Python:
#: Ctrl-C and SIGTERM stop a writer queued for the lock within about this long.
SQLITE_BUSY_STEP: Final = 0.05
#: How many times a read of a read-only SQLite file is made again when the file changed under it.
SNAPSHOT_ATTEMPTS: Final = 5


def _read_only(exc: BaseException | None) -> bool:
    """Whether ``exc`` is SQLite refusing to write (SQLITE_READONLY and its variants)."""
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    return isinstance(orig, sqlite3.OperationalError) and "readonly database" in str(orig)


def _busy(exc: sqlite3.OperationalError) -> bool:
    """Whether ``exc`` is SQLite giving up on a lock another connection holds (SQLITE_BUSY)."""
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11 and later
    if code is not None:
        return int(code) & 0xFF == 5  # SQLITE_BUSY and its extended codes
    return "database is locked" in str(exc)


def _patiently(call: Callable[[], _T], total: float) -> _T:
    """``call()``, made again while SQLite reports the database locked, for up to ``total``
    seconds in all.

    Each try waits at most :data:`SQLITE_BUSY_STEP` inside SQLite, so that a signal's handler
    (Ctrl-C, SIGTERM) runs between two tries instead of after the whole wait. A statement that
    SQLite refused as busy had no effect, so making it again is safe.
    """
    deadline = time.monotonic() + total
    while True:
        started = time.monotonic()
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or started >= deadline:
                raise
        if time.monotonic() - started < SQLITE_BUSY_STEP / 2:
            # SQLite answered busy without waiting (it does when waiting could not help, such as
            # a deadlock between two readers upgrading): do not spin.
            time.sleep(SQLITE_BUSY_STEP)


class _PatientCursor(sqlite3.Cursor):
    """A cursor whose statements wait for a locked database as :func:`_patiently` does."""

    connection: _PatientConnection

    def execute(self, sql: str, parameters: Any = (), /) -> _PatientCursor:
        try:
            return super().execute(sql, parameters)  # the hot path: one try, no closure
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        return _patiently(
            lambda: super(_PatientCursor, self).execute(sql, parameters),
            self.connection.busy_timeout,
        )

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> _PatientCursor:
        rows = list(seq_of_parameters)  # an iterator would be spent by the first try
        return _patiently(
            lambda: super(_PatientCursor, self).executemany(sql, rows),
            self.connection.busy_timeout,
        )


class _PatientConnection(sqlite3.Connection):
    """A SQLite connection whose cursors and commits wait for locks in short, interruptible
    steps (see :data:`SQLITE_BUSY_STEP`), for up to ``busy_timeout`` seconds in all."""

    busy_timeout: float = SQLITE_BUSY_TIMEOUT

    def cursor(self, factory: Any = _PatientCursor) -> Any:
        return super().cursor(factory)

    def commit(self) -> None:
        # In rollback-journal mode a commit waits for readers to let go of the file.
        _patiently(super().commit, self.busy_timeout)


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can ask for IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # WAL: readers never block the writer nor each other. NORMAL sync is safe in WAL mode: a
        # crashed process loses nothing committed; a power cut may lose the last commits, never
        # half of one.
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.OperationalError as exc:
            # A file this process may only read can still be read in the mode it is in; a
            # write will say why it cannot.
            if not _read_only(exc):
                raise
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_STEP * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # A writer that started with a plain BEGIN would have to upgrade its read lock later and
    # could fail with "database is locked"; IMMEDIATE makes writers queue for the lock instead.
    write = conn.get_execution_options().get("jobfsm_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
