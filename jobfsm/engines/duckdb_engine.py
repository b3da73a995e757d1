"""The DuckDB engine: a status log judged by a SQL query in an embedded DuckDB (extra ``duckdb``).

:func:`check` reads Parquet, CSV and JSON Lines, one file, a glob or a directory (its files with
those extensions, in name order), and returns the :class:`~jobfsm.logs.LogReport` the streaming
checker returns, in the same JSON schema; the verdict is the query's
(:mod:`~jobfsm.engines.query`: lines judged in time order, no late lines). DuckDB works within
``memory_limit`` and spills what does not fit to a private temporary directory, so a log larger
than memory is judged too.

**Lines read as the Python reader reads them.** JSON Lines and CSV are cut into lines by DuckDB
exactly where the Python reader cuts them: at LF. A file holding a CR or the byte 0x01 (where
DuckDB's line reader would cut a line, or drop the rest of it) is read from a copy instead, its
CRLF endings made LF, any other CR a tab and 0x01 made 0x02, and every line so changed is read as
the file has it (below). A line is read by SQL when it is in the common form: a JSON object, or
a CSV line without quotes, with a job id that is text or an integer, a status spelled as the
lifecycle spells it (:func:`~jobfsm.engines.query.spellings`), and a time in ISO 8601 extended
form (``2026-03-01T08:00:00``, ``T`` or a space, optional milliseconds or microseconds, ``Z`` or
``±HH:MM``) or epoch seconds or milliseconds. Every other line (a bad line, or one in a rarer
form: quoted CSV fields, a ModelArts record, an unknown status, a job id with white space to
strip, any other time) is read by the Python reader itself, as the file has it; so are the lines
DuckDB refuses (not UTF-8, or longer than DuckDB's longest line), read again from the file. So
which lines are bad, and what their messages say, are the Python checker's.

Where the two read a line differently: DuckDB's JSON parser accepts a trailing comma in an object
and the literals ``NaN`` and ``Infinity`` (in other fields than those read), which the Python
reader refuses, and reads the first of two equal keys where the Python reader reads the last. A
glob or a directory is read as its files one after another, each CSV file with its own header,
line numbers counting on across them (the Python engine reads one file).

**Parquet** (a file with the ``PAR1`` signature): one row per observation, numbered from 1 (on
across files), with the columns ``job_id`` (text or an integer), ``status`` (text or an integer
code; each distinct value read once by the Python reader's rules), ``time`` (a timestamp, naive
ones in UTC; a date; epoch seconds or milliseconds; or text read as above) and, optionally,
``secondary_phase``; a null, or a value of another type, makes the row a bad line.

**Memory.** ``memory_limit`` (default :data:`DEFAULT_MEMORY_LIMIT`) caps the process: DuckDB is
given what the process does not hold already, less what it allocates outside its buffer manager
(:func:`connect`), and what exceeds it is written to a temporary directory made
for the run (in ``temp_directory`` or the system's) and removed afterwards. Besides, the engine
keeps the first ``listed`` violations and bad lines, the lines the Python reader read for it,
and each job's id once.
"""

from __future__ import annotations

import bisect
import csv
import heapq
import math
import os
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from jobfsm.engines import query
from jobfsm.errors import (
    BadLogLine,
    EngineFailed,
    InvalidArgument,
    MissingExtra,
    UnknownStatus,
    UnreadableLog,
)
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.lifecycles import BUILTIN, builtin
from jobfsm.logs import MAX_LINE, UNFINISHED, LogFormat, LogReport, LogViolation
from jobfsm.logs.csvlog import _csv_cells, _CsvReader
from jobfsm.logs.detect import _check_head
from jobfsm.logs.jsonl import _JsonReader
from jobfsm.logs.lines import _CHUNK, _TooLong
from jobfsm.logs.observations import ObservationLog
from jobfsm.logs.reader import _job_id_problem, _Reader
from jobfsm.logs.sources import _choose_lifecycle
from jobfsm.logs.statuses import _StatusReading
from jobfsm.logs.times import MAX_TIME, MS_THRESHOLD, parse_time
from jobfsm.validate import Mode, Rules
from jobfsm.vocabulary import Outcome, readable

__all__ = ["DEFAULT_MEMORY_LIMIT", "PARQUET", "EngineReport", "check", "connect", "log_files"]

#: DuckDB's memory limit when none is given.
DEFAULT_MEMORY_LIMIT: Final = "1GB"
#: What :attr:`EngineReport.input_format` says of a Parquet log (no :class:`LogFormat` names it).
PARQUET: Final = "parquet"
#: The first bytes of a Parquet file.
_PARQUET_MAGIC: Final = b"PAR1"
#: The file names a directory's log files end with.
_EXTENSIONS: Final = (".parquet", ".pq", ".csv", ".jsonl", ".ndjson", ".json")
#: DuckDB cuts lines up to this long; it refuses longer ones itself (MAX_LINE is the reader's).
_DUCK_MAX_LINE: Final = MAX_LINE + 4096
#: Rows fetched from DuckDB, or handed to it, at a time.
_BATCH: Final = 10_000
#: The most unknown status values the bad rows are looked for by (more: every row is read).
_LISTED_VALUES: Final = 64
#: Times a naive or zoned timestamp column holds only in range when none is outside these (the
#: last day of 9999 is left to the exact pass).
_TIME_BOUNDS: Final = ("1970-01-01 00:00:00+00", "9999-12-30 00:00:00+00")
#: DuckDB's integer types (a Parquet column of one holds codes or job ids).
_INTEGERS: Final = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
     "UBIGINT", "UHUGEINT"}
)  # fmt: skip

# An ISO 8601 time in a form every supported Python reads as DuckDB does: a date, hours and
# minutes, optional seconds with 3 or 6 decimals, then Z or an offset.
_ISO_SQL: Final = (
    "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    "(:[0-5][0-9](\\.[0-9]{3}|\\.[0-9]{6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?"
)
#: What DuckDB writes for a JSON value that is no string and no int: a job id SQL read as this
#: may have been one (a float, true, an object...), so the Python reader reads it again.
_JSON_SCALAR: Final = re.compile(
    r"-?[0-9]+[.eE][0-9eE.+-]*|-?[0-9]{19,}|true|false|null|(?i:-?(nan|inf|infinity))|[\[{].*"
)
# Neither white space (what str.strip strips) nor a control character.
_SOLID: Final = "[^\\x00-\\x20\\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:
        raise MissingExtra("the duckdb engine (--engine duckdb)", "duckdb", "duckdb") from exc
    return duckdb


@dataclass(frozen=True)
class EngineReport(LogReport):
    """A :class:`~jobfsm.logs.LogReport` made by a query engine.

    ``format`` is the :class:`LogFormat` read (``AUTO`` for Parquet, which no LogFormat names);
    ``input_format`` names what was read, ``parquet`` included, and is what :meth:`to_dict`
    writes as ``format``: the JSON schema is the streaming checker's.
    """

    input_format: str = ""
    engine: str = "duckdb"

    def to_dict(self, max_errors: int | None = None) -> dict[str, Any]:
        found = super().to_dict(max_errors)
        found["format"] = self.input_format or found["format"]
        return found


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _insert(con: Any, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` into ``table``, many rows to a statement (DuckDB's executemany runs one
    statement per row)."""
    if not rows:
        return
    width = len(rows[0])
    marks = "(" + ", ".join("?" * width) + ")"
    step = max(1, 2000 // width)
    for start in range(0, len(rows), step):
        batch = rows[start : start + step]
        values = [value for row in batch for value in row]
        con.execute(f"INSERT INTO {table} VALUES " + ", ".join([marks] * len(batch)), values)


def log_files(source: str | os.PathLike[str]) -> list[str]:
    """The files ``source`` names: itself, a directory's log files, or a glob's matches (in name
    order).

    Raises:
        UnreadableLog: nothing to read there.
    """
    path = os.fspath(source)
    if os.path.isdir(path):
        found = sorted(
            str(p)
            for p in Path(path).iterdir()
            if p.is_file() and not p.name.startswith(".") and p.name.lower().endswith(_EXTENSIONS)
        )
        if not found:
            raise UnreadableLog(
                path, "the directory holds no log file (*.parquet, *.csv, *.jsonl, *.json)"
            )
        return found
    if os.path.exists(path):
        return [path]
    if any(c in path for c in "*?["):
        import glob

        found = sorted(f for f in glob.glob(path) if os.path.isfile(f))
        if not found:
            raise UnreadableLog(path, "the pattern matches no file")
        return found
    raise UnreadableLog(path, "No such file or directory")


@dataclass(frozen=True)
class _ParquetColumns:
    """One Parquet file's columns as SQL reads them: the expressions of ``parquet_raw``, and
    what the one pass over the rows needs to know of them."""

    source: str
    offset: int
    job: str
    job_problem: str
    st: str
    si: str
    kind: str
    t0: str
    tt: str
    time_problem: str
    detail: str
    #: The file's own columns (conditions on them are pushed down into the Parquet reader).
    job_column: str
    status_column: str
    time_column: str
    #: The job ids are text or integers; the times timestamps, dates or numbers.
    job_typed: bool
    time_typed: bool
    #: A condition on the time column that holds for every time out of range, and for a few
    #: in it (the last day of 9999): the Parquet reader tells it from row group statistics.
    time_outside: str = "false"

    def raw(self) -> str:
        """The SELECT of the file's rows in ``parquet_raw``."""
        return (
            f"SELECT {self.offset} + file_row_number + 1 AS line, {self.job} AS job, "
            f"{self.job_problem} AS job_problem, {self.st} AS st, {self.si} AS si, "
            f"{self.kind} AS st_kind, {self.t0} AS t0, {self.tt} AS tt, "
            f"{self.time_problem} AS time_problem, {self.detail} AS detail "
            f"FROM read_parquet({self.source}, file_row_number = true)"
        )

    def lean(self, lines: bool) -> str:
        """The SELECT of what judging reads of each row (the job, status, secondary phase and
        time; and the row's number when ``lines``), nothing else: the one pass reads it."""
        line = f", {self.offset} + file_row_number + 1 AS line, {self.t0} AS t" if lines else ""
        numbered = ", file_row_number = true" if lines else ""
        return (
            f"SELECT {self.job} AS job, {self.st} AS st, {self.si} AS si, "
            f"{self.detail} AS detail, CAST(floor(({self.t0}) * 1000000.0) AS BIGINT) AS tu"
            f"{line} FROM read_parquet({self.source}{numbered})"
        )

    def numbers(self, where: str, limit: int) -> str:
        """The first ``limit`` row numbers (in the log) of the rows meeting ``where``."""
        return (
            f"SELECT {self.offset} + file_row_number + 1 AS line "
            f"FROM read_parquet({self.source}, file_row_number = true) "
            f"WHERE {where} ORDER BY file_row_number LIMIT {limit}"
        )


@dataclass
class _File:
    """One file of the log, as it is read."""

    label: str
    kind: str  # "jsonl", "csv" or "parquet"
    head: bytes = b""
    #: The file DuckDB reads: the file itself, or a copy without CR and 0x01.
    read: str = ""
    #: CSV lines (of the file) that held a CR inside them: refused.
    cr_lines: list[int] = field(default_factory=list)
    #: The copy's lines that differ from the file's: as they were, and the CRs that ended them.
    originals: dict[int, bytes] = field(default_factory=dict)
    crs: dict[int, int] = field(default_factory=dict)
    #: The keys (row numbers within the log) and the lines before the file's.
    key_offset: int = 0
    line_offset: int = 0
    #: Rows DuckDB gave (a CSV header included), and the lines it refused (in the file).
    rows: int = 0
    shifts: list[int] = field(default_factory=list)
    #: The lines DuckDB refused (not UTF-8, or too long): number, offset and text as DuckDB
    #: shows it; and, once the Python reader read them, each with why it is a bad line.
    unread: list[tuple[int, int, str]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    #: CSV: the first line is a header, and DuckDB gives it as row 1.
    header: bool = False
    header_row: bool = False
    csv: _CsvReader | None = None
    #: Parquet: the file's columns as SQL reads them.
    columns: _ParquetColumns | None = None

    @property
    def lines(self) -> int:
        """The file's lines of data."""
        return self.rows - self.header_row + len(self.refused)


def _open_file(path: str, fmt: str) -> _File:
    """The file's format and first chunk; refused whole when it is no log at all."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(_CHUNK)
            if fmt == PARQUET or (fmt == "auto" and head[:4] == _PARQUET_MAGIC):
                if head[:4] != _PARQUET_MAGIC:
                    raise UnreadableLog(path, "it is not a Parquet file (no PAR1 signature)")
                return _File(path, PARQUET, read=path)
            wanted = {"auto": LogFormat.AUTO, "jsonl": LogFormat.JSONL, "csv": LogFormat.CSV}
            if fmt not in wanted:
                raise InvalidArgument("fmt", fmt, "auto, jsonl, csv or parquet")
            head, found = _check_head(head, wanted[fmt], path, stream.read, None)
    except OSError as exc:
        raise UnreadableLog(path, exc.strerror or str(exc)) from None
    if found is LogFormat.MODELARTS:
        found = LogFormat.JSONL
    return _File(path, found.value, head=head, read=path)


def _needs_copy(path: str) -> bool:
    """True when the file holds a CR or the byte 0x01, where DuckDB's line reader would cut a
    line or drop the rest of it (the module docs). Read through one buffer: a mapping of the
    file would count its every page in the process's memory."""
    buffer = bytearray(8 << 20)
    with open(path, "rb", buffering=0) as stream:
        while size := stream.readinto(buffer):
            if buffer.find(b"\r", 0, size) >= 0 or buffer.find(b"\x01", 0, size) >= 0:
                return True
    return False


def _clean_copy(item: _File, folder: str, number: int) -> None:
    """Point ``item.read`` at a copy that DuckDB cuts into the Python reader's lines (the
    module docs). The lines changed are kept as they were, for the Python reader to read them
    as written."""
    copy = os.path.join(folder, f"copy-{number}.log")
    line = 1
    carry = b""
    with open(item.label, "rb") as stream, open(copy, "wb") as out:
        while True:
            chunk = stream.read(16 << 20)
            data = carry + chunk
            end = data.rfind(b"\n") + 1 if chunk else len(data)
            data, carry = data[:end], data[end:]
            if b"\r" not in data and b"\x01" not in data:
                line += data.count(b"\n")
                out.write(data)
            else:
                rows = data.split(b"\n")
                for index, row in enumerate(rows):
                    kept = row.rstrip(b"\r")
                    if len(kept) < len(row):
                        item.crs[line + index] = min(255, len(row) - len(kept))
                    if b"\r" in kept or b"\x01" in kept:
                        item.originals[line + index] = row
                        if b"\r" in kept and item.kind == "csv":
                            item.cr_lines.append(line + index)
                        kept = kept.replace(b"\r", b"\t").replace(b"\x01", b"\x02")
                    rows[index] = kept
                line += len(rows) - 1
                if not chunk and data and not rows[-1]:
                    rows.append(b"")  # a last line of CRs alone: still a line, if empty
                out.write(b"\n".join(rows))
            if not chunk:
                break
    item.read = copy


def _line_at(path: str, offset: int) -> tuple[bytes | None, int]:
    """The line that starts at byte ``offset`` of ``path`` (up to MAX_LINE + 1 bytes of it) and
    its length; None when no line starts there."""
    with open(path, "rb") as stream:
        if offset:
            stream.seek(offset - 1)
            if stream.read(1) != b"\n":
                return None, 0
        else:
            stream.seek(0)
        kept = b""
        length = 0
        while chunk := stream.read(1 << 16):
            end = chunk.find(b"\n")
            piece = chunk if end < 0 else chunk[:end]
            if len(kept) <= MAX_LINE:
                kept += piece[: MAX_LINE + 1 - len(kept)]
            length += len(piece)
            if end >= 0:
                break
    if offset == 0 and kept.startswith(b"\xef\xbb\xbf"):
        kept, length = kept[3:], length - 3
    return kept, length


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)B\s*", re.IGNORECASE)
#: What DuckDB allocates beyond its memory limit (outside its buffer manager: readers'
#: buffers, hash tables' directories...), measured on 2 threads: a share of the limit, and more.
_OUTSIDE: Final = 0.2
_OUTSIDE_BYTES: Final = 96_000_000
#: The least memory DuckDB is given.
_LEAST: Final = 32_000_000


def memory_bytes(size: str) -> int:
    """``size`` (``256MB``, ``1.5GB``, ``512MiB``) in bytes: KB, MB... are powers of 1000,
    KiB, MiB... of 1024, as DuckDB reads them.

    Raises:
        InvalidArgument: no such size.

    >>> memory_bytes("256MB"), memory_bytes("1GiB")
    (256000000, 1073741824)
    """
    found = _SIZE.fullmatch(size) if isinstance(size, str) else None
    if found is None:
        raise InvalidArgument("memory_limit", size, "a memory size such as 256MB or 2GB")
    number, unit, binary = found.groups()
    base = 1024 if binary else 1000
    return int(float(number) * base ** " KMGT".index(unit.upper() or " "))


def _resident() -> int:
    """The bytes this process holds in memory now."""
    try:
        with open("/proc/self/statm") as stream:
            return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):  # pragma: no cover - not Linux
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _status_of(item: _File, line: bytes) -> str | None:
    """The status value a line holds, as text (for the unknown statuses counted)."""
    if item.kind == "csv":
        assert item.csv is not None
        assert item.csv.csv_columns is not None
        try:
            cells = _csv_cells(line.decode("utf-8", "replace").rstrip("\r"))
        except csv.Error:
            return None
        column = item.csv.csv_columns[1]
        return cells[column] if column < len(cells) else None
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    value = record.get("status") if type(record) is dict else None
    return None if value is None else str(value)


def connect(
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    temp_directory: str | None = None,
    threads: int | None = None,
) -> Any:
    """A DuckDB connection that keeps the process within ``memory_limit`` and spills into
    ``temp_directory``: DuckDB is given what the process does not hold already (the interpreter,
    jobfsm, DuckDB's own code), less what it allocates outside its buffer manager (96 MB and a
    fifth of the rest).

    Raises:
        MissingExtra: DuckDB is not installed.
        InvalidArgument: ``memory_limit`` is no memory size, or leaves DuckDB less than 32 MB.
    """
    duck = _duckdb()
    limit = memory_bytes(memory_limit)
    held = _resident()
    budget = int((limit - held - _OUTSIDE_BYTES) * (1 - _OUTSIDE))
    if budget < _LEAST:
        least = held + _OUTSIDE_BYTES + _LEAST / (1 - _OUTSIDE)
        raise InvalidArgument(
            "memory_limit",
            memory_limit,
            f"at least {math.ceil(least / 1e6)}MB: the process holds {held / 1e6:.0f}MB already",
        )
    config: dict[str, Any] = {"memory_limit": f"{budget}B", "preserve_insertion_order": False}
    if temp_directory is not None:
        config["temp_directory"] = temp_directory
    if threads is not None:
        config["threads"] = threads
    con = duck.connect(":memory:", config=config)
    con.execute("SET TimeZone = 'UTC'")
    return con


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


class _Run:
    """One log judged in one DuckDB connection: its tables, then its report."""

    #: Parquet: judge from the one pass over the rows where it can (the tests turn it off to
    #: compare it with the exact pass).
    lean = True

    def __init__(
        self,
        con: Any,
        lifecycle: Lifecycle,
        rules: Rules,
        listed: int | None,
        label: str,
        kind: str,
    ) -> None:
        self.con = con
        self.lifecycle = lifecycle
        self.rules = rules
        self.listed = listed
        self.label = label
        self.kind = kind
        self.vocab = lifecycle.statuses.vocabulary
        self.details = bool(self.vocab.details)
        self.files: list[_File] = []
        #: Where the run keeps its files (a file's clean copy).
        self.folder = tempfile.gettempdir()
        #: True when a Parquet file's times are text (read as the Python reader reads them).
        self.text_times = False
        #: Where the report finds the bad lines it lists, and the secondary phases it counts.
        self.listing = "bad"
        self.phases = "good"
        #: What the Python reader reads for the engine: its sink and its status reading.
        self.sink = ObservationLog(label, LogFormat.JSONL, lifecycle)
        self.reading = _StatusReading(lifecycle)
        exact, normal = query.spellings(lifecycle)
        others = [v.statuses.vocabulary for n in BUILTIN if (v := builtin(n)) is not None]
        others = [v for v in others if v is not self.vocab]

        def own(key: str) -> bool:
            if key.startswith("#"):
                return not any(v.numeric for v in others)
            return not any(readable(v, key) for v in others)

        for table, rows in (("exact_spelling", exact), ("normal_spelling", normal)):
            con.execute(f"CREATE TEMP TABLE {table} (k VARCHAR, code INTEGER, own BOOLEAN)")
            _insert(con, table, [(k, code, own(k)) for k, code in rows.items()])
        con.execute("CREATE TEMP TABLE moves (source INTEGER, target INTEGER)")
        _insert(con, "moves", [(m.source, m.target) for m in query.moves(lifecycle, rules.mode)])

    # -- reading --------------------------------------------------------------------------------

    def load(self, files: Sequence[_File]) -> None:
        """Read every file. Afterwards ``good`` holds the accepted observations (``job``,
        ``code``, ``t``, ``tu``, ``line``, ``detail``), ``intervals`` each job's statuses
        (:func:`~jobfsm.engines.query.judging_sql`) and ``bad`` the bad lines (``line``,
        ``problem``, ``status_text``) but those DuckDB refused itself (in each file's
        ``refused``)."""
        self.files = list(files)
        if self.kind == PARQUET:
            self._parquet()
            return
        con = self.con
        con.execute(
            "CREATE TEMP TABLE obs (line BIGINT, job VARCHAR, code INTEGER, t DOUBLE, "
            "detail VARCHAR, raw VARCHAR)"
        )
        key = lines = 0
        for index, item in enumerate(files):
            item.key_offset, item.line_offset = key, lines
            self._text(index, item)
            key += item.rows
            lines += item.rows + len(item.shifts)
        tu = "CAST(floor(t * 1000000.0) AS BIGINT)"
        con.execute(
            f"CREATE TEMP VIEW fast AS SELECT job, code, t, {tu} AS tu, line, detail "
            "FROM obs WHERE raw IS NULL"
        )
        con.execute(query.judging_sql("fast")["intervals"])
        suspects = self._suspects()
        con.execute("CREATE TEMP TABLE suspect (job VARCHAR)")
        if suspects:  # their lines go to the Python reader: fast (raw IS NULL) drops them
            _insert(con, "suspect", [(j,) for j in suspects])
            self._reroute()
        con.execute(
            "CREATE TEMP TABLE extra (line BIGINT, job VARCHAR, code INTEGER, t DOUBLE, "
            "detail VARCHAR)"
        )
        con.execute("CREATE TEMP TABLE bad (line BIGINT, problem VARCHAR, status_text VARCHAR)")
        self._hand_over()
        con.execute(
            "CREATE TEMP VIEW good AS SELECT * FROM fast "
            f"UNION ALL SELECT job, code, t, {tu} AS tu, line, detail FROM extra"
        )
        if suspects:
            con.execute("DELETE FROM intervals WHERE job IN (SELECT job FROM suspect)")
        added = con.execute("SELECT count(*) FROM extra").fetchone()
        if added and added[0]:
            con.execute(
                f"""CREATE TEMP TABLE merged AS
                SELECT job, code, min(first_tu) AS first_tu, max(last_tu) AS last_tu,
                       sum(n) AS n FROM (
                    SELECT * FROM intervals UNION ALL
                    SELECT job, code, min({tu}), max({tu}), count(*) FROM extra
                    GROUP BY job, code)
                GROUP BY job, code"""
            )
            con.execute("DROP TABLE intervals")
            con.execute("ALTER TABLE merged RENAME TO intervals")
        self.rows = sum(item.rows - item.header_row for item in files)

    def _suspects(self) -> list[str]:
        """The job ids SQL read that the Python reader may read otherwise: blank, holding a
        control character, with white space to strip (CSV), or the text of a JSON value that
        is no string (a float, true, an object...). Their lines are read again by it."""
        suspects = []
        for (job,) in self._fetch(self.con.execute("SELECT DISTINCT job FROM intervals")):
            if (
                _job_id_problem("job_id", job) is not None
                or job != job.strip()
                or (self.kind == "jsonl" and _JSON_SCALAR.fullmatch(job) is not None)
            ):
                suspects.append(job)
        return suspects

    def _reroute(self) -> None:
        """Hand the lines of suspect jobs to the Python reader: read their text again."""
        con = self.con
        for index, item in enumerate(self.files):
            low, high = item.key_offset, item.key_offset + item.rows
            found = con.execute(
                f"SELECT count(*) FROM obs o SEMI JOIN suspect s ON o.job = s.job "
                f"WHERE o.raw IS NULL AND o.line > {low} AND o.line <= {high}"
            ).fetchone()
            if not found or not found[0]:
                continue
            lines = self._lines_sql(index, item).replace("refused_", "again_refused_")
            con.execute(
                f"""UPDATE obs SET raw = coalesce(again.text, '')
                FROM (SELECT {item.key_offset} + n AS line, text FROM {lines}) again
                WHERE obs.line = again.line AND obs.raw IS NULL
                AND obs.job IN (SELECT job FROM suspect)"""
            )

    def _lines_sql(self, index: int, item: _File) -> str:
        """The file's lines, each with its row number ``n`` (rows DuckDB refuses stored apart)."""
        return (
            f"read_csv({_sql_text(item.read)}, columns = {{'text': 'VARCHAR'}}, "
            "delim = '\\x01', quote = '', escape = '', header = false, auto_detect = false, "
            f"strict_mode = false, new_line = '\\n', max_line_size = {_DUCK_MAX_LINE}, "
            f"buffer_size = {4 * _DUCK_MAX_LINE}, "
            f"store_rejects = true, rejects_scan = 'refused_scan_{index}', "
            f"rejects_table = 'refused_{index}') WITH ORDINALITY AS lines(text, n)"
        )

    def _status_sql(self, text: str, digits: str | None) -> tuple[str, str, str]:
        """The joins that read the status ``text`` (or an integer status's ``digits``), the code
        they find and whether only this lifecycle reads it."""
        normal = query.normalised_status_sql(text, self.vocab.numeric)
        if digits is not None and self.vocab.numeric:
            key = f"CASE WHEN {digits} IS NOT NULL THEN '#' || {digits} ELSE {normal} END"
        else:
            key = normal
        joins = (
            f"LEFT JOIN exact_spelling se ON se.k = {text} "
            f"LEFT JOIN normal_spelling sn ON sn.k = CASE WHEN se.code IS NULL THEN {key} END"
        )
        return joins, "coalesce(se.code, sn.code)", "coalesce(se.own, sn.own, false)"

    @staticmethod
    def _time_sql(text: str) -> str:
        """SQL: the time in epoch seconds of a time ``text`` in a form SQL reads, else NULL.

        The forms: the ISO 8601 of :data:`_ISO_SQL` (its commonest one, milliseconds and Z,
        tested first and most cheaply: DuckDB also reads an hour of 24 or of one digit after a
        space, which Python refuses, and nothing else Python refuses in that shape), or a number
        without a colon (epoch seconds, or milliseconds from 10**11 on), but not of 8
        characters, as ``20260301``, which Python reads as a date."""
        number = f"TRY_CAST({text} AS DOUBLE)"
        return (
            f"CASE WHEN {text} LIKE '____-__-__T__:__:__.___Z' "
            f"AND substr({text}, 12, 2) BETWEEN '00' AND '23' "
            f"THEN epoch_us(TRY_CAST({text} AS TIMESTAMPTZ)) / 1000000.0 "
            f"WHEN NOT contains({text}, ':') AND strlen({text}) <> 8 "
            f"THEN CASE WHEN abs({number}) >= {MS_THRESHOLD} THEN {number} / 1000.0 "
            f"ELSE {number} END "
            f"WHEN regexp_full_match({text}, '{_ISO_SQL}') "
            f"THEN epoch_us(TRY_CAST({text} AS TIMESTAMPTZ)) / 1000000.0 END"
        )

    def _text(self, index: int, item: _File) -> None:
        """Read one JSON Lines or CSV file into ``obs``: a line SQL reads as its job, code, time
        (and secondary phase); any other with its text in ``raw``, for the Python reader.

        Whether the file needs a clean copy (:func:`_needs_copy`) is found out while DuckDB
        reads it; when it does, what was read is dropped and the copy read instead."""
        dirty: list[bool] = []
        scan = threading.Thread(target=lambda: dirty.append(_needs_copy(item.label)))
        if item.read == item.label:
            scan.start()
        self._insert_lines(index, item)
        if scan.ident is not None:
            scan.join()
        if dirty and dirty[0]:
            self.con.execute(f"DELETE FROM obs WHERE line > {item.key_offset}")
            _clean_copy(item, self.folder, index)
            self._insert_lines(index, item, "again_")

    def _insert_lines(self, index: int, item: _File, prefix: str = "") -> None:
        select = self._csv_select(item) if item.kind == "csv" else self._json_select()
        lines = self._lines_sql(index, item).replace("refused_", f"{prefix}refused_")
        if select is None:  # every line goes to the Python reader
            inner = (
                "SELECT n, text, NULL::VARCHAR AS job, NULL::INTEGER AS code, NULL::DOUBLE AS t, "
                f"NULL::VARCHAR AS detail, false AS fast FROM {lines}"
            )
        else:
            inner = select.replace("{lines}", lines)
        fast = "fast"
        if item.cr_lines:
            fast = f"(fast AND n NOT IN ({','.join(map(str, item.cr_lines))}))"
        skip = "WHERE n > 1" if item.header_row else ""
        # A line SQL did not read keeps its text in raw, and what it made of the line is never
        # read (good rows are those without raw).
        inserted = self.con.execute(
            f"""INSERT INTO obs
            SELECT {item.key_offset} + n, job, code, t, detail,
                   CASE WHEN NOT {fast} THEN coalesce(text, '') END
            FROM ({inner}) {skip}"""
        ).fetchone()
        refused = self.con.execute(
            f"SELECT line, line_byte_position, csv_line FROM {prefix}refused_{index} ORDER BY line"
        ).fetchall()
        item.rows = (int(inserted[0]) if inserted else 0) + item.header_row
        item.shifts, item.unread = [], []
        for line, position, text in refused:
            item.shifts.append(int(line))
            if not (item.header and int(line) == 1):  # a header that is not UTF-8 is one still
                item.unread.append((int(line), int(position) - 1, str(text)))

    def _fast(self, code: str, job: str, detail_ok: str) -> str:
        """SQL: true when SQL read the line (its job, status and time in the common forms)."""
        return (
            f"coalesce({code} IS NOT NULL AND t >= 0 AND t <= {MAX_TIME!r} "
            f"AND {job} IS NOT NULL AND {detail_ok}, false)"
        )

    def _json_select(self) -> str:
        fields = '"job_id":"VARCHAR","status":"VARCHAR","time":"VARCHAR"'
        if self.details:
            fields += ',"secondary_phase":"JSON"'
        spec = _sql_text("{" + fields + "}")
        if self.details:
            # SQL takes a secondary phase that is a JSON string, or none; the Python reader
            # reads any other value.
            raw = "x.secondary_phase::VARCHAR"
            detail = f"CASE WHEN left({raw}, 1) = '\"' THEN json_extract_string({raw}, '$') END"
            detail_ok = f"({raw} IS NULL OR left({raw}, 1) = '\"')"
        else:
            detail, detail_ok = "NULL::VARCHAR", "true"
        joins, code, own = self._status_sql("st", None)
        return f"""
            SELECT n, text, job, {code} AS code, t, detail, st AS status_text, {own} AS own,
                   {self._fast(code, "job", "detail_ok")} AS fast
            FROM (
                SELECT n, text, x.job_id AS job, x.status AS st, {self._time_sql("tr")} AS t,
                       {detail} AS detail, {detail_ok} AS detail_ok
                FROM (
                    SELECT n, text, x, x.time AS tr
                    FROM (
                        SELECT n, text,
                               CASE WHEN json_valid(text)
                                    THEN json_transform(text, {spec}) END AS x
                        FROM {{lines}}))) parsed
            {joins}"""

    def _csv_select(self, item: _File) -> str | None:
        """The CSV file's SELECT; None when every line goes to the Python reader."""
        reader = _CsvReader(ObservationLog(item.label, LogFormat.CSV, self.lifecycle))
        first = item.head.split(b"\n", 1)[0]
        item.header = reader._csv_header(first, 1)
        item.csv = reader
        try:
            first.decode("utf-8")
            item.header_row = item.header and len(first) <= _DUCK_MAX_LINE
        except UnicodeDecodeError:
            item.header_row = False
        columns = reader.csv_columns
        assert columns is not None
        job_col, status_col, time_col, duration_col = columns
        if duration_col >= 0:
            return None  # ModelArts records (create_time, duration): the Python reader's
        if reader.detail_column >= 0:
            # The Python reader strips a secondary phase: SQL takes one with nothing to strip.
            detail = f"cells[{reader.detail_column + 1}]"
            detail_ok = f"coalesce(regexp_full_match(detail, '({_SOLID}(.*{_SOLID})?)?'), true)"
        else:
            detail, detail_ok = "NULL::VARCHAR", "true"
        joins, code, own = self._status_sql("st", None)
        return f"""
            SELECT n, text, job, {code} AS code, t, detail, st AS status_text, {own} AS own,
                   {self._fast(code, "job", detail_ok)} AS fast
            FROM (
                SELECT n, text, job, st, {self._time_sql("tr")} AS t, detail
                FROM (
                    SELECT n, text, cells[{job_col + 1}] AS job, cells[{status_col + 1}] AS st,
                           cells[{time_col + 1}] AS tr, {detail} AS detail
                    FROM (
                        SELECT n, text,
                               CASE WHEN NOT contains(text, '"') AND NOT contains(text, chr(0))
                                    THEN string_split(text, ',') END AS cells
                        FROM {{lines}}))) parsed
            {joins}"""

    def _hand_over(self) -> None:
        """Read the lines SQL left (``raw``) with the Python reader: what it accepts goes to
        ``extra``, what it refuses to ``bad``."""
        con = self.con
        routed = con.execute("SELECT line, raw FROM obs WHERE raw IS NOT NULL ORDER BY line")
        readers: dict[int, _Reader] = {}
        sink = self.sink
        taken: list[tuple[Any, ...]] = []
        refused: list[tuple[Any, ...]] = []
        for key, raw in self._fetch(routed):
            item = self._file_of(key)
            reader = readers.get(id(item))
            if reader is None:
                reader = readers[id(item)] = self._reader(item)
            data = raw.encode("utf-8", "surrogatepass")
            if item.originals or item.crs:  # read from a copy: the line as the file has it
                number = self.physical(key) - item.line_offset
                data = item.originals.get(number, data + b"\r" * item.crs.get(number, 0))
            seen, errors = len(sink.jobs), len(sink.errors)
            if len(data) > MAX_LINE:
                reader.too_long(key, _TooLong(len(data), data[:40]))
            else:
                reader.feed([data], key)
            for i in range(seen, len(sink.jobs)):
                detail = sink._detail(i) if sink.details else ""
                job = sink.job_ids[sink.jobs[i]]
                taken.append((key, job, sink.statuses[i], sink.times[i], detail or None))
            for error in sink.errors[errors:]:
                status = None
                if error.problem.startswith("unknown status: "):
                    status = _status_of(item, data)
                refused.append((key, error.problem, status))
            del sink.errors[errors:]
        _insert(con, "extra", taken)
        _insert(con, "bad", refused)
        for item in self.files:
            for line, offset, text in item.unread:
                reader = readers.get(id(item))
                if reader is None:
                    reader = readers[id(item)] = self._reader(item)
                item.refused.append((line, self._unread(reader, item, line, offset, text)))
        if readers:
            self._one_lifecycle()

    def _unread(self, reader: _Reader, item: _File, line: int, offset: int, text: str) -> str:
        """Why the Python reader refuses line ``line`` of ``item``, which DuckDB refused, read
        again from the file at ``offset``."""
        sink = self.sink
        data, length = _line_at(item.read, offset)
        if data is None:  # not where DuckDB said: say it as DuckDB shows it
            return f"not UTF-8 text {text[:40]!r}; expected a line of UTF-8 text"
        data = item.originals.get(line, data + b"\r" * item.crs.get(line, 0))
        errors, seen = len(sink.errors), len(sink.jobs)
        number = item.line_offset + line
        if length > MAX_LINE:
            reader.too_long(number, _TooLong(length, data[:40]))
        else:
            reader.feed([data], number)
        problems = [e.problem for e in sink.errors[errors:]]
        del sink.errors[errors:]
        if len(sink.jobs) > seen or not problems:  # pragma: no cover - DuckDB refuses no line
            return f"not UTF-8 text {text[:40]!r}; expected a line of UTF-8 text"
        return problems[0]

    def _reader(self, item: _File) -> _Reader:
        if item.kind == "csv":
            reader = _CsvReader(self.sink, self.reading)
            assert item.csv is not None
            reader.csv_columns = item.csv.csv_columns
            reader.detail_column = item.csv.detail_column
            return reader
        return _JsonReader(self.sink, False, self.reading)

    def _one_lifecycle(self) -> None:
        """Refuse the log whole when it holds words of another built-in lifecycle, as the
        Python checker does (:meth:`_StatusReading.check_one_lifecycle`)."""
        reading = self.reading
        if reading.foreign is None:
            return
        line, value, other, noun = reading.foreign
        reading.foreign = (self.physical(line), value, other, noun)
        if reading.own is not None:
            reading.own = (self.physical(reading.own[0]), reading.own[1])
        first = self._own_line()
        if first is not None and (reading.own is None or first[0] < reading.own[0]):
            reading.own = first
        reading.check_one_lifecycle(self.label)

    def _own_line(self) -> tuple[int, object] | None:
        """The first line SQL read whose status only this lifecycle reads, and its status."""
        found: tuple[int, object] | None = None
        for index, item in enumerate(self.files):
            if item.kind == PARQUET:
                joins, _, own = self._status_sql("st", "si")
                sql = f"SELECT line, st FROM parquet_raw {joins} WHERE {own} ORDER BY line LIMIT 1"
            else:
                select = self._csv_select(item) if item.kind == "csv" else self._json_select()
                if select is None:
                    continue
                lines = self._lines_sql(index, item).replace("refused_", "own_refused_")
                sql = (
                    f"SELECT {item.key_offset} + n, status_text FROM "
                    f"({select.replace('{lines}', lines)}) WHERE own AND code IS NOT NULL "
                    "ORDER BY n LIMIT 1"
                )
            row = self.con.execute(sql).fetchone()
            if row is not None:
                line = self.physical(int(row[0]))
                if found is None or line < found[0]:
                    found = (line, row[1])
        return found

    def _file_of(self, key: int) -> _File:
        offsets = [f.key_offset for f in self.files]
        return self.files[bisect.bisect_left(offsets, key) - 1]

    def physical(self, key: int) -> int:
        """The line number (counting on across files) of the row numbered ``key``."""
        item = self._file_of(key)
        n = key - item.key_offset
        shift = 0
        for i, line in enumerate(item.shifts):
            if line - i - 1 < n:
                shift += 1
            else:
                break
        return item.line_offset + n + shift

    @staticmethod
    def _fetch(result: Any) -> Iterator[Any]:
        while True:
            rows = result.fetchmany(_BATCH)
            if not rows:
                return
            yield from rows

    # -- Parquet --------------------------------------------------------------------------------

    def _parquet(self) -> None:
        """Read the Parquet files: views over them (nothing is copied), each distinct status
        read once by the Python reader's rules, and times in other forms than SQL reads too.

        Judging reads the rows once (:meth:`_parquet_groups`); the bad rows listed are found
        by conditions the Parquet reader checks against each row group's statistics, and read
        again by their row numbers."""
        con = self.con
        key = 0
        for item in self.files:
            item.key_offset = item.line_offset = key
            path = _sql_text(item.read)
            described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
            types = {str(row[0]).lower(): (str(row[0]), str(row[1]).upper()) for row in described}
            missing = [c for c in ("job_id", "status", "time") if c not in types]
            if missing:
                raise UnreadableLog(
                    item.label,
                    f"the Parquet file has no {' or '.join(repr(c) for c in missing)} column; "
                    "expected the columns job_id, status and time",
                )
            found = con.execute(
                f"SELECT sum(num_rows) FROM parquet_file_metadata({path})"
            ).fetchone()
            item.rows = int(found[0] or 0) if found else 0
            item.columns = self._parquet_columns(item, types)
            key += item.rows
        self.rows = key
        con.execute("CREATE TEMP VIEW parquet_raw AS " + self._each_file(lambda c: c.raw()))
        self._parquet_statuses()
        con.execute("CREATE TEMP TABLE time_fix (k VARCHAR, t DOUBLE, problem VARCHAR)")
        if self.text_times:
            self._parquet_times()
        con.execute("CREATE TEMP VIEW pq AS " + self._pq_sql("parquet_raw"))
        tu = "CAST(floor(t * 1000000.0) AS BIGINT)"
        con.execute(
            f"CREATE TEMP VIEW fast AS SELECT job, code, t, {tu} AS tu, line, detail "
            "FROM pq WHERE problem IS NULL"
        )
        lean = self.lean and not self.text_times and self._parquet_groups()
        if not lean:
            self._parquet_exact_groups(tu)
        invalid = []
        # A job id of printable ASCII alone is one; only the others are read by Python's rule.
        others = "SELECT job FROM (SELECT DISTINCT job FROM intervals) "
        others += "WHERE NOT regexp_full_match(job, '[!-~]+')"
        for (job,) in self._fetch(con.execute(others)):
            problem = _job_id_problem("job_id", job)
            if problem is not None:
                invalid.append((job, problem))
        con.execute("CREATE TEMP TABLE invalid_job (job VARCHAR, problem VARCHAR)")
        if not invalid:
            if lean:
                con.execute(
                    "CREATE TEMP VIEW good AS SELECT r.job, coalesce(sc.code, sn.code) AS code, "
                    "r.t, r.tu, r.line, r.detail FROM ("
                    + self._each_file(lambda c: c.lean(True))
                    + ") r LEFT JOIN status_text sc ON sc.st = r.st "
                    "LEFT JOIN status_int sn ON sn.si = r.si "
                    "WHERE r.job IS NOT NULL AND r.t IS NOT NULL "
                    "AND coalesce(sc.code, sn.code) IS NOT NULL"
                )
            else:
                con.execute("CREATE TEMP VIEW good AS SELECT * FROM fast")
            con.execute(
                "CREATE TEMP VIEW bad AS SELECT line, problem, status_text FROM pq "
                "WHERE problem IS NOT NULL"
            )
            self._parquet_listed(lean)
            return
        # Rare: every row of these jobs is a bad line, and the groups no longer say which bad
        # lines come first, nor which secondary phases were seen with good rows.
        _insert(con, "invalid_job", invalid)
        con.execute("DELETE FROM intervals WHERE job IN (SELECT job FROM invalid_job)")
        con.execute(
            "CREATE TEMP VIEW good AS SELECT * FROM fast f WHERE NOT EXISTS "
            "(SELECT 1 FROM invalid_job i WHERE i.job = f.job)"
        )
        con.execute(
            "CREATE TEMP VIEW bad AS SELECT line, problem, status_text FROM pq "
            "WHERE problem IS NOT NULL UNION ALL SELECT f.line, i.problem, NULL "
            "FROM fast f JOIN invalid_job i ON i.job = f.job"
        )
        self.listing, self.phases = "bad", "good"

    def _each_file(self, select: Callable[[_ParquetColumns], str]) -> str:
        """The SELECTs ``select`` makes of each Parquet file, one after another."""
        return " UNION ALL ".join(select(f.columns) for f in self.files if f.columns is not None)

    def _pq_sql(self, raw: str) -> str:
        """The rows of ``raw`` (``parquet_raw``'s columns) with their status code, time, and
        why a row is a bad line (``problem``, null for a good one)."""
        if self.text_times:
            times = "LEFT JOIN time_fix ft ON r.t0 IS NULL AND ft.k = r.tt"
            time, refused = "coalesce(r.t0, ft.t)", "ft.problem"
        else:
            times, time, refused = "", "r.t0", "NULL::VARCHAR"
        return f"""
            SELECT line, job, code, t, detail, problem,
                   CASE WHEN problem LIKE 'unknown status: %'
                        THEN coalesce(st, CAST(si AS VARCHAR)) END AS status_text
            FROM (
                SELECT line, job, code, t, detail, st, si,
                       CASE WHEN job_problem IS NOT NULL THEN job_problem
                            WHEN st IS NULL AND si IS NULL
                                THEN 'status is null; expected a status'
                            WHEN code IS NULL THEN status_problem
                            WHEN time_problem IS NOT NULL THEN time_problem
                            WHEN t IS NULL THEN coalesce(time_refused, 'time ' || tt)
                            WHEN NOT (t >= 0 AND t <= {MAX_TIME!r}) THEN
                                'the time is out of range; expected a time between '
                                || '1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z'
                       END AS problem
                FROM (
                    SELECT r.line, r.job, r.job_problem, r.st, r.si, r.tt, r.time_problem,
                           r.detail, coalesce(sc.code, sn.code) AS code,
                           coalesce(sc.problem, sn.problem) AS status_problem, {time} AS t,
                           {refused} AS time_refused
                    FROM {raw} r LEFT JOIN status_text sc ON sc.st = r.st
                    LEFT JOIN status_int sn ON sn.si = r.si {times}))"""

    def _parquet_groups(self) -> bool:
        """The one pass over the rows: ``groups`` holds each job's values of status (and
        secondary phase) with their timed rows' first and last time and count, and
        ``intervals`` is made from it, the values read as codes afterwards.

        A row without a job id, a status or a time (or with a value of no such type) is left
        out by those NULLs alone; a row out of time's range, though, would be counted: when a
        file holds one, False is returned and nothing made (the exact pass,
        :meth:`_parquet_exact_groups`, is made instead)."""
        con = self.con
        outside = self._each_file(
            lambda c: f"SELECT 1 FROM read_parquet({c.source}) WHERE {c.time_outside}"
        )
        if con.execute(f"SELECT count(*) FROM ({outside} LIMIT 1)").fetchone() != (0,):
            return False
        detail = ", detail" if self.details else ""
        first = ", min(line) FILTER (tu IS NOT NULL) AS first_line" if self.details else ""
        con.execute(
            f"""CREATE TEMP TABLE groups AS
            SELECT job, st, si{detail}, min(tu) AS first_tu, max(tu) AS last_tu,
                   count(tu) AS n{first}
            FROM ({self._each_file(lambda c: c.lean(self.details))})
            GROUP BY ALL"""
        )
        known = (
            "FROM groups g LEFT JOIN status_text sc ON sc.st = g.st "
            "LEFT JOIN status_int sn ON sn.si = g.si "
            "WHERE g.job IS NOT NULL AND g.n > 0 AND coalesce(sc.code, sn.code) IS NOT NULL"
        )
        con.execute(
            f"""CREATE TEMP TABLE intervals AS
            SELECT g.job, coalesce(sc.code, sn.code) AS code, min(g.first_tu) AS first_tu,
                   max(g.last_tu) AS last_tu, sum(g.n) AS n {known}
            GROUP BY g.job, coalesce(sc.code, sn.code)"""
        )
        if self.details:
            con.execute(
                f"""CREATE TEMP VIEW phase_groups AS
                SELECT coalesce(sc.code, sn.code) AS code, g.detail, g.n, g.first_line {known}"""
            )
            self.phases = "phase_groups"
        self.listing = "bad" if self.listed is None else "listed_bad"
        return True

    def _parquet_exact_groups(self, tu: str) -> None:
        """``groups`` and ``intervals`` read off ``pq``, every row's problem worked out: for
        text times (the Python reader reads some of them) and times out of range."""
        con = self.con
        listed = self.listed
        odd = f", min(line, {listed}) FILTER (NOT ok) AS odd" if listed else ""
        detail = ", detail" if self.details else ""
        first = ", min(line) FILTER (ok) AS first_line" if self.details else ""
        con.execute(
            f"""CREATE TEMP TABLE groups AS
            SELECT job, code{detail}, min(tu) FILTER (ok) AS first_tu,
                   max(tu) FILTER (ok) AS last_tu, count(*) FILTER (ok) AS n{first}{odd}
            FROM (SELECT job, code, detail, line, problem IS NULL AS ok,
                         CASE WHEN problem IS NULL THEN {tu} END AS tu FROM pq)
            GROUP BY ALL"""
        )
        con.execute(
            """CREATE TEMP TABLE intervals AS
            SELECT job, code, min(first_tu) AS first_tu, max(last_tu) AS last_tu, sum(n) AS n
            FROM groups WHERE n > 0 GROUP BY job, code"""
        )
        if self.details:
            self.phases = "groups"
        self.listing = "bad" if listed is None else "listed_bad"

    def _parquet_listed(self, lean: bool) -> None:
        """``listed_bad``: the first ``listed`` bad rows, read again by their row numbers."""
        con = self.con
        con.execute("CREATE TEMP TABLE listed_bad (line BIGINT, problem VARCHAR)")
        listed = self.listed
        if not listed:
            return
        if not lean:
            found = con.execute(
                "SELECT line FROM (SELECT unnest(odd) AS line FROM groups WHERE odd IS NOT NULL) "
                f"ORDER BY line LIMIT {listed}"
            ).fetchall()
        else:
            queries = self._bad_row_queries(listed)
            if queries is None:
                self.listing = "bad"
                return
            found = con.execute(
                "SELECT DISTINCT line FROM ("
                + " UNION ALL ".join(f"SELECT * FROM ({q})" for q in queries)
                + ") "
                f"ORDER BY line LIMIT {listed}"
            ).fetchall() if queries else []  # fmt: skip
        lines = [int(row[0]) for row in found]
        if not lines:
            return
        selects = []
        for item in self.files:
            here = [n - item.key_offset for n in lines if 0 < n - item.key_offset <= item.rows]
            if here and item.columns is not None:
                numbers = ", ".join(str(n - 1) for n in here)  # file_row_number counts from 0
                selects.append(f"{item.columns.raw()} WHERE file_row_number IN ({numbers})")
        raw = "(" + " UNION ALL ".join(selects) + ")"
        con.execute(
            f"INSERT INTO listed_bad SELECT line, problem FROM ({self._pq_sql(raw)}) "
            "WHERE problem IS NOT NULL"
        )

    def _bad_row_queries(self, listed: int) -> list[str] | None:
        """Queries of the first ``listed`` row numbers of each kind of bad row the files hold
        (a job id, status or time missing or of another type, an unknown status), on the
        files' own columns so that the Parquet reader skips the row groups whose statistics
        rule them out; None when the unknown statuses are too many to list in a query."""
        unknown_text = [
            row[0]
            for row in self.con.execute("SELECT st FROM status_text WHERE code IS NULL").fetchall()
        ]
        unknown_int = [
            row[0]
            for row in self.con.execute("SELECT si FROM status_int WHERE code IS NULL").fetchall()
        ]
        if len(unknown_text) + len(unknown_int) > _LISTED_VALUES:
            return None
        queries: list[str] = []
        for item in self.files:
            c = item.columns
            if c is None:
                continue
            status = c.status_column
            where = [f"{status} IS NULL"]
            where.append(f"{c.job_column} IS NULL" if c.job_typed else "true")
            where.append(f"{c.time_column} IS NULL" if c.time_typed else "true")
            if c.kind == "'x'":
                where.append(f"{status} IS NOT NULL")  # neither text nor an integer: unknown
            elif c.kind == "'i'" and unknown_int:
                where.append(f"{status} IN ({', '.join(str(int(v)) for v in unknown_int)})")
            elif c.kind == "'t'" and unknown_text:
                where.append(f"{status} IN ({', '.join(_sql_text(v) for v in unknown_text)})")
            queries.extend(c.numbers(w, listed) for w in where)
        return queries

    def _parquet_columns(self, item: _File, types: dict[str, tuple[str, str]]) -> _ParquetColumns:
        def column(name: str) -> str:
            return '"' + types[name][0].replace('"', '""') + '"'

        job, status, when = column("job_id"), column("status"), column("time")
        jk, sk, tk = types["job_id"][1], types["status"][1], types["time"][1]
        null_job = f"CASE WHEN {job} IS NULL THEN 'job_id is null; expected a job id' END"
        if jk == "VARCHAR":
            job_sql, job_problem = job, null_job
        elif jk in _INTEGERS:
            job_sql, job_problem = f"CAST({job} AS VARCHAR)", null_job
        else:
            job_sql = "NULL::VARCHAR"
            job_problem = (
                f"'job_id ' || coalesce(CAST({job} AS VARCHAR), 'null') || ' is a "
                f"{jk.lower()}, not a job id; expected text or an integer'"
            )
        # Text statuses are looked up as text, integers as integers; any other type is shown
        # as text, and refused.
        if sk in _INTEGERS:
            st, si, kind = "NULL::VARCHAR", f"CAST({status} AS BIGINT)", "'i'"
        else:
            st = status if sk == "VARCHAR" else f"CAST({status} AS VARCHAR)"
            si, kind = "NULL::BIGINT", "'t'" if sk == "VARCHAR" else "'x'"
        null_time = f"CASE WHEN {when} IS NULL THEN 'time is null; expected a time' END"
        time_typed = True
        tt = "NULL::VARCHAR"  # a time given as text, read again by Python if SQL did not
        outside = "false"
        if tk.startswith("TIMESTAMP") or tk == "DATE":
            moment = when if "TIME ZONE" in tk else f"CAST({when} AS TIMESTAMP)"
            t0, problem = f"epoch_us({moment}) / 1000000.0", null_time
            kind_of = "TIMESTAMPTZ" if "TIME ZONE" in tk else "DATE" if tk == "DATE" else tk
            low, high = ("1970-01-01", "9999-12-30") if tk == "DATE" else _TIME_BOUNDS
            outside = f"{when} < {kind_of} '{low}' OR {when} > {kind_of} '{high}'"
        elif tk in _INTEGERS or tk in ("FLOAT", "DOUBLE") or tk.startswith("DECIMAL"):
            value = f"CAST({when} AS DOUBLE)"
            t0 = f"CASE WHEN abs({value}) >= {MS_THRESHOLD} THEN {value} / 1000.0 ELSE {value} END"
            problem = null_time
            # Seconds below MS_THRESHOLD, milliseconds from it; NaN is above everything.
            outside = f"{when} < 0 OR {when} > {(MAX_TIME - 86400) * 1000:.0f}"
        elif tk == "VARCHAR":
            t0, tt, problem = self._time_sql(when), when, null_time
            self.text_times, time_typed = True, False
        else:
            t0, time_typed = "NULL::DOUBLE", False
            problem = f"'a time of type {tk.lower()}; expected a timestamp, a number or text'"
        detail = (
            f"CAST({column('secondary_phase')} AS VARCHAR)"
            if self.details and "secondary_phase" in types
            else "NULL::VARCHAR"
        )
        return _ParquetColumns(
            source=_sql_text(item.read),
            offset=item.key_offset,
            job=job_sql,
            job_problem=job_problem,
            st=st,
            si=si,
            kind=kind,
            t0=t0,
            tt=tt,
            time_problem=problem,
            detail=detail,
            job_column=job,
            status_column=status,
            time_column=when,
            job_typed=jk == "VARCHAR" or jk in _INTEGERS,
            time_typed=time_typed,
            time_outside=outside,
        )

    def _parquet_statuses(self) -> None:
        """Read every distinct status once, by the Python reader's rules (``status_code``): an
        integer column's values as ints, a text column's as text.

        Where each value is first seen matters only when a value is a word of another
        lifecycle (the log is refused whole, naming lines): then the values are read again, in
        the order of their first rows."""
        con = self.con
        for table, key in (("status_text", "st VARCHAR"), ("status_int", "si BIGINT")):
            con.execute(f"CREATE TEMP TABLE {table} ({key}, code INTEGER, problem VARCHAR)")
        values = "FROM parquet_raw WHERE st IS NOT NULL OR si IS NOT NULL GROUP BY st, si"
        each = self._each_file(
            lambda c: (
                f"SELECT {c.st} AS st, {c.si} AS si, {c.kind} AS st_kind FROM "
                f"(SELECT DISTINCT {c.status_column} FROM read_parquet({c.source}))"
            )
        )
        found = con.execute(
            f"SELECT st, si, any_value(st_kind), 0 FROM ({each}) "
            "WHERE st IS NOT NULL OR si IS NOT NULL GROUP BY st, si"
        ).fetchall()
        texts, ints = self._read_statuses(found)
        if self.reading.foreign is not None:
            self.reading = _StatusReading(self.lifecycle)
            found = con.execute(
                f"SELECT st, si, any_value(st_kind), min(line) {values} ORDER BY min(line)"
            ).fetchall()
            texts, ints = self._read_statuses(found)
        _insert(con, "status_text", texts)
        _insert(con, "status_int", ints)
        self._one_lifecycle()

    def _read_statuses(
        self, found: Sequence[tuple[Any, ...]]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The rows of ``status_text`` and ``status_int`` for the values ``found`` (text, int,
        kind, line)."""
        texts: list[tuple[Any, ...]] = []
        ints: list[tuple[Any, ...]] = []
        for text, number, kind, line in found:
            value = number if text is None else text
            row: tuple[Any, ...]
            try:
                if kind == "x":  # neither text nor an integer
                    raise UnknownStatus(value, lifecycle=self.vocab.name)
                row = (value, self.reading.code(value, int(line)), None)
            except UnknownStatus as exc:
                row = (value, None, f"unknown status: {exc.message}")
            (texts if text is not None else ints).append(row)
        return texts, ints

    def _parquet_times(self) -> None:
        """Read by the Python reader's rules the text times SQL does not read (``time_fix``)."""
        found: list[tuple[Any, ...]] = []
        for (value,) in self._fetch(
            self.con.execute(
                "SELECT DISTINCT tt FROM parquet_raw "
                "WHERE t0 IS NULL AND tt IS NOT NULL AND time_problem IS NULL"
            )
        ):
            try:
                found.append((value, parse_time(value), None))
            except (ValueError, TypeError) as exc:
                found.append((value, None, str(exc)))
        _insert(self.con, "time_fix", found)

    # -- judging --------------------------------------------------------------------------------

    def report(self) -> EngineReport:
        """Judge ``good`` (:func:`~jobfsm.engines.query.judging_sql`) and report."""
        con = self.con
        rules = self.rules
        cls = self.lifecycle.statuses
        statements = query.judging_sql("good")
        for name in ("sequence", "replayed_jobs"):
            con.execute(statements[name])
        pairs: Counter[tuple[int, int]] = Counter()
        for a, b, n in con.execute(statements["pairs"]).fetchall():
            pairs[(int(a), int(b))] += int(n)
        finals: Counter[int] = Counter()
        for code, n in con.execute(statements["finals"]).fetchall():
            finals[int(code)] += int(n)
        replayed = query.replay(self._fetch(con.execute(statements["changes"])), rules)
        if replayed.violations:  # named by the jobs' numbers in replayed_jobs
            names = dict(con.execute("SELECT jid, job FROM replayed_jobs").fetchall())
            for i, (key, time, jid, a, b) in enumerate(replayed.violations):
                replayed.violations[i] = (key, time, names[jid], a, b)
        pairs.update(replayed.pairs)
        finals.update(replayed.finals)
        jobs = sum(finals.values())
        inferred, inferred_statuses, moves = query.tally(pairs.items(), rules)
        found = con.execute("SELECT sum(n) FROM intervals").fetchone()
        observations = int(found[0] or 0) if found else 0
        refused = [(f.line_offset + n, why) for f in self.files for n, why in f.refused]
        lines = self.rows + len(refused)
        outcomes = dict.fromkeys((*(o.value for o in Outcome), UNFINISHED), 0)
        for code, count in finals.items():
            outcome = cls(code).outcome
            outcomes[outcome.value if outcome is not None else UNFINISHED] += count
        listed = self.listed
        met = replayed.violations
        first = sorted(met) if listed is None else heapq.nsmallest(listed, met)
        allowed = self.lifecycle.next_map
        violations = tuple(
            LogViolation(job, self.physical(key), time, cls(a), cls(b), allowed[cls(a)])
            for key, time, job, a, b in first
        )
        limit = "" if listed is None else f"LIMIT {listed}"
        bad = [
            (self.physical(int(key)), problem)
            for key, problem in con.execute(
                f"SELECT line, problem FROM {self.listing} ORDER BY line {limit}"
            ).fetchall()
        ]
        bad = sorted(bad + refused)[:listed]
        unrecognised, mismatched = self._details()
        return EngineReport(
            source=self.label,
            format=LogFormat.AUTO if self.kind == PARQUET else LogFormat(self.kind),
            mode=rules.mode,
            lines=lines,
            observations=observations,
            jobs=jobs,
            conforming=jobs - replayed.violating,
            unfinished=outcomes[UNFINISHED],
            inferred=inferred,
            late=0,
            outcomes=outcomes,
            violations=violations,
            errors=tuple(BadLogLine(self.label, line, problem) for line, problem in bad),
            rejected=lines - observations,
            violation_count=len(met),
            inferred_statuses=inferred_statuses,
            moves=moves,
            lifecycle=self.lifecycle.name,
            unrecognised_details=unrecognised,
            mismatched_details=mismatched,
            input_format=self.kind,
        )

    def _details(self) -> tuple[dict[str, int], dict[str, int]]:
        """Secondary phases the lifecycle does not declare, and those seen with another phase
        than their own (``Phase/secondary``), counted, in order of their first line."""
        unrecognised: dict[str, int] = {}
        mismatched: dict[str, int] = {}
        if not self.details:
            return unrecognised, mismatched
        declared = self.vocab.details
        cls = self.lifecycle.statuses
        if self.phases != "good":  # each job's good rows counted by status and phase
            total, first, where = "sum(n)", "min(first_line)", "n > 0 AND "
        else:
            total, first, where = "count(*)", "min(line)", ""
        for code, detail, count in self.con.execute(
            f"SELECT code, detail, {total} FROM {self.phases} "
            f"WHERE {where}detail IS NOT NULL AND detail <> '' "
            f"GROUP BY code, detail ORDER BY {first}"
        ).fetchall():
            with_status = declared.get(detail)
            if with_status is None:
                unrecognised[detail] = unrecognised.get(detail, 0) + int(count)
            elif cls(code) not in with_status:
                key = f"{cls(code).name}/{detail}"
                mismatched[key] = mismatched.get(key, 0) + int(count)
        return unrecognised, mismatched
