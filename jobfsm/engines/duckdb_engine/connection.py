"""The DuckDB connection a run works in: its memory limit, and the SQL helpers every part uses."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Sequence
from typing import Any, Final

from jobfsm.errors import InvalidArgument, MissingExtra

#: DuckDB's memory limit when none is given.
DEFAULT_MEMORY_LIMIT: Final = "1GB"


#: Rows fetched from DuckDB, or handed to it, at a time.
_BATCH: Final = 10_000


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)B\s*", re.IGNORECASE)


#: What DuckDB allocates beyond its memory limit (outside its buffer manager: readers'
#: buffers, hash tables' directories...), measured on 2 threads: a share of the limit, and more.
_OUTSIDE: Final = 0.2


_OUTSIDE_BYTES: Final = 96_000_000


#: The least memory DuckDB is given.
_LEAST: Final = 32_000_000


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError as exc:
        raise MissingExtra("the duckdb engine (--engine duckdb)", "duckdb", "duckdb") from exc
    return duckdb


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


def _fetch(result: Any) -> Iterator[Any]:
    """The rows of a DuckDB result, fetched a batch at a time."""
    while True:
        rows = result.fetchmany(_BATCH)
        if not rows:
            return
        yield from rows


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
