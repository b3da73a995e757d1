"""The files of a log as the DuckDB engine reads them: which files, their format, and the copies
and lines read again that keep DuckDB's lines the Python reader's."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

import orjson

from jobfsm.errors import InvalidArgument, UnreadableLog
from jobfsm.logs import MAX_LINE, LogFormat
from jobfsm.logs.csvlog import _csv_cells, _CsvReader
from jobfsm.logs.detect import _check_head
from jobfsm.logs.lines import _CHUNK

if TYPE_CHECKING:
    from jobfsm.engines.duckdb_engine.parquet import _ParquetColumns

#: What :attr:`EngineReport.input_format` says of a Parquet log (no :class:`LogFormat` names it).
PARQUET: Final = "parquet"


#: The first bytes of a Parquet file.
_PARQUET_MAGIC: Final = b"PAR1"


#: The file names a directory's log files end with.
_EXTENSIONS: Final = (".parquet", ".pq", ".csv", ".jsonl", ".ndjson", ".json")


#: DuckDB cuts lines up to this long; it refuses longer ones itself (MAX_LINE is the reader's).
_DUCK_MAX_LINE: Final = MAX_LINE + 4096


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
