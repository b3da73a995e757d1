"""A log judged in a DuckDB connection of its own: :func:`check` and the session around a run."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from jobfsm.engines.duckdb_engine.connection import (
    DEFAULT_MEMORY_LIMIT,
    _duckdb,
    _sql_text,
    connect,
)
from jobfsm.engines.duckdb_engine.files import PARQUET, _File, _open_file, log_files
from jobfsm.engines.duckdb_engine.report import EngineReport
from jobfsm.engines.duckdb_engine.verdict import _Run
from jobfsm.errors import EngineFailed, InvalidArgument, UnreadableLog
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.lifecycles import BUILTIN, builtin
from jobfsm.logs import LogFormat
from jobfsm.logs.sources import _choose_lifecycle
from jobfsm.validate import Mode, Rules
from jobfsm.vocabulary import readable


def check(
    source: str | os.PathLike[str],
    fmt: str = "auto",
    mode: Mode | str = Mode.POLLED,
    *,
    lifecycle: Lifecycle | None = None,
    listed: int | None = 20,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    temp_directory: str | None = None,
    threads: int | None = None,
    name: str | None = None,
) -> EngineReport:
    """Judge the log at ``source`` (a file, a glob or a directory) in DuckDB.

    Args:
        fmt: ``auto`` (Parquet by its signature, else as the Python reader tells), ``jsonl``,
            ``csv`` or ``parquet``.
        mode, lifecycle, listed, name: as for :func:`jobfsm.logs.scan_log`.
        memory_limit: DuckDB's memory limit (``256MB``, ``1GB``...); beyond it DuckDB spills
            to disk.
        temp_directory: where the run's temporary directory is made (by default the system's).
        threads: DuckDB's threads (by default one per core).

    Raises:
        UnreadableLog: nothing to read, or a file that is no log at all.
        MissingExtra: DuckDB is not installed.
        EngineFailed: DuckDB could not finish (out of memory, out of disk).
    """
    with _Session(source, fmt, mode, lifecycle, listed, memory_limit, temp_directory, threads,
                  name) as run:  # fmt: skip
        return run.report()


class _Session:
    """A log read into a DuckDB connection of its own, for the length of a ``with`` block."""

    def __init__(
        self,
        source: str | os.PathLike[str],
        fmt: str,
        mode: Mode | str,
        lifecycle: Lifecycle | None,
        listed: int | None,
        memory_limit: str,
        temp_directory: str | None,
        threads: int | None,
        name: str | None,
    ) -> None:
        self.duck = _duckdb()
        self.mode = Mode.parse(mode)
        if listed is not None and (type(listed) is not int or listed < 0):
            raise InvalidArgument(
                "listed", listed, "a number of entries, 0 or more, or None for all"
            )
        self.label = name or os.fspath(source)
        self.files = [_open_file(path, fmt) for path in log_files(source)]
        kinds = sorted({f.kind for f in self.files})
        if len(kinds) > 1:
            raise UnreadableLog(self.label, f"it mixes formats ({', '.join(kinds)})")
        self.kind = kinds[0]
        self.lifecycle = lifecycle
        self.listed = listed
        self.memory_limit = memory_limit
        self.temp_directory = temp_directory
        self.threads = threads
        self.run: _Run | None = None

    def __enter__(self) -> _Run:
        self.folder = tempfile.TemporaryDirectory(prefix="jobfsm-duckdb-", dir=self.temp_directory)
        try:
            folder = self.folder.name
            self.con = connect(self.memory_limit, os.path.join(folder, "spill"), self.threads)
        except BaseException:
            self.folder.cleanup()
            raise
        try:
            lifecycle = self.lifecycle
            if lifecycle is None:
                lifecycle = _detect(self.files[0], self.con)
            rules = Rules.for_lifecycle(lifecycle, self.mode)
            self.run = _Run(self.con, lifecycle, rules, self.listed, self.label, self.kind)
            self.run.folder = folder
            self.run.load(self.files)
        except self.duck.Error as exc:
            self.__exit__(None, None, None)
            raise EngineFailed("duckdb", str(exc).split("\n")[0], self.memory_limit) from None
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self.run

    def __exit__(self, kind: object, value: object, trace: object) -> None:
        try:
            self.con.close()
        finally:
            self.folder.cleanup()
        if isinstance(value, self.duck.Error):
            raise EngineFailed("duckdb", str(value).split("\n")[0], self.memory_limit) from None


def _detect(first: _File, con: Any) -> Lifecycle:
    """The built-in lifecycle the log's first lines read as, picked as the Python checker picks
    it (Parquet: by the statuses of its first 1,000 rows)."""
    if first.kind != PARQUET:
        lifecycle, _ = _choose_lifecycle(first.head, LogFormat(first.kind), first.label)
        return lifecycle
    columns = [
        row[0]
        for row in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({_sql_text(first.read)})"
        ).fetchall()
    ]
    status = next((c for c in columns if c.lower() == "status"), None)
    if status is None:
        return DEFAULT_LIFECYCLE
    quoted = '"' + status.replace('"', '""') + '"'
    values = [
        row[0]
        for row in con.execute(
            f"SELECT {quoted} FROM read_parquet({_sql_text(first.read)}) LIMIT 1000"
        ).fetchall()
    ]
    best: tuple[int, int, Lifecycle] | None = None
    for index, name in enumerate(BUILTIN):
        candidate = builtin(name)
        assert candidate is not None
        vocab = candidate.statuses.vocabulary
        refused = sum(not readable(vocab, value) for value in values)
        if best is None or (refused, index) < best[:2]:
            best = (refused, index, candidate)
    assert best is not None
    return best[2]
