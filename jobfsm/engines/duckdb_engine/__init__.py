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
The rows are read once to judge them (each job's statuses as intervals), once more for the
jobs whose lines must be replayed in order, and the bad rows listed are found by conditions the
Parquet reader checks against each row group's statistics; a file with text times, or a time
out of range, has every row's problem worked out instead (the same report, more slowly).

**Memory.** ``memory_limit`` (default :data:`DEFAULT_MEMORY_LIMIT`) caps the process: DuckDB is
given what the process does not hold already, less what it allocates outside its buffer manager
(:func:`connect`), and what exceeds it is written to a temporary directory made
for the run (in ``temp_directory`` or the system's) and removed afterwards. Besides, the engine
keeps the first ``listed`` violations and bad lines, the lines the Python reader read for it,
and each job's id once.

One module per part:

- :mod:`~jobfsm.engines.duckdb_engine.session`: :func:`check`, a connection of its own per log;
- :mod:`~jobfsm.engines.duckdb_engine.connection`: the memory limit, and SQL helpers;
- :mod:`~jobfsm.engines.duckdb_engine.files`: which files, and the lines read again;
- :mod:`~jobfsm.engines.duckdb_engine.text`: JSON Lines and CSV;
- :mod:`~jobfsm.engines.duckdb_engine.parquet`: Parquet;
- :mod:`~jobfsm.engines.duckdb_engine.verdict`: the judging;
- :mod:`~jobfsm.engines.duckdb_engine.report`: :class:`EngineReport`.
"""

from __future__ import annotations

from jobfsm.engines.duckdb_engine.connection import DEFAULT_MEMORY_LIMIT, connect, memory_bytes
from jobfsm.engines.duckdb_engine.files import PARQUET, log_files
from jobfsm.engines.duckdb_engine.report import EngineReport
from jobfsm.engines.duckdb_engine.session import check

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "PARQUET",
    "EngineReport",
    "check",
    "connect",
    "log_files",
    "memory_bytes",
]
