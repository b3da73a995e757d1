"""Status logs: poll observations read from JSON Lines, CSV or ModelArts records, and judged.

A status log is what a poller writes: one observation per line, ``job_id``, ``status`` and
``time``. This module reads such logs without ever stopping on a bad line and judges every job
against the lifecycle with the rule of :func:`jobfsm.validate.validate_history` and of
:class:`jobfsm.tracker.Tracker`. :func:`scan_log` reads and judges in one pass, keeping a few
dozen bytes per job and never the observations, so its memory does not grow with the length of
the log; :func:`read_log` keeps every observation (in columns) for code that wants them, and
:func:`check_log` judges what it kept.

What is read:

- **JSON Lines**: one object per line with ``job_id`` (string or integer), ``status`` (a code
  0–22 or any name :meth:`JobStatus.parse` accepts) and ``time``.
- **CSV**: a header naming the columns ``job_id``, ``status`` and ``time`` (any order, other
  columns ignored); without a header the columns are taken as ``job_id,status,time``. A first
  line naming ``status`` or ``time`` but not ``job_id`` is a header missing a column (the log is
  unreadable), and so is a header naming one of these columns twice, and a first line that names
  none of them and holds no number or time (``id,state,timestamp``). Fields do not span lines: a
  carriage return inside a line (not its CRLF ending) makes it a bad line, and so does a quoted
  field the :mod:`csv` module refuses (one of more than 131,072 characters). A line split by
  semicolons or tabs is rejected with a hint about the delimiter.
- **ModelArts v1 records** (``get_job_info()`` responses, one per line): ``job_id``, ``status``,
  ``create_time`` (epoch milliseconds) and ``duration`` (milliseconds), each a finite number, 0
  or more (a negative one is a bad line); the observation time is ``create_time + duration``.
  When a record carries ``version_id`` the job is ``"<job_id>/<version_id>"``, because a re-run
  is a new job version with a lifecycle of its own.
  A failed response (``is_success`` false, with ``error_code`` and ``error_msg``) is a bad line
  naming both, in any JSON format.

Not a log at all: whatever the format, a file that starts with a UTF-16 or UTF-32 byte order
mark, or whose first lines (up to 100, in its first MiB) are more than half binary (holding NUL
bytes, or bytes that are not UTF-8), is refused whole with :class:`~jobfsm.errors.UnreadableLog`
(a picture, an archive, a UTF-16 export); so is a JSON Lines (or ModelArts) log none of whose
first lines (up to 100, the last one of the first MiB aside) is a JSON object (CSV read as JSON,
a pretty-printed document), and a CSV log whose first line is one of those above or JSON. A
binary or malformed line among readable lines is one bad line.

Job ids: an integer, or a string that is not blank and holds no C0 control character or DEL
(U+0000–U+001F, U+007F); any other character, non-ASCII spaces included, is kept as written
(CSV cells are stripped first). Any other id is a bad line.

Times: ISO 8601 (anything :meth:`datetime.fromisoformat` reads, plus a trailing ``Z``); a time
without a zone is read as UTC. Or epoch numbers (also as strings): a magnitude of 10**11 or more
is milliseconds, anything smaller is seconds (10**11 seconds is the year 5138, 10**11
milliseconds is March 1973). A time must lie between 1970-01-01 and 9999-12-31 UTC (what a
:class:`~datetime.datetime` can hold); anything else is a bad line naming the value.

Limits: a line holds at most :data:`MAX_LINE` bytes (1 MiB) besides its line ending; a longer
line is one bad line, read past without being held in memory. Values quoted in messages are cut
to 80 characters, and the start of a line quoted to 40 bytes.

Accounting: every line of the file is either an accepted observation or a rejected line, so
``lines == observations + rejected``; a job exists once one of its lines is accepted. Blank
lines are rejected lines (``"empty line"``); a CSV header is not a line of data and is not
counted. A UTF-8 byte order mark on the first line and CRLF line endings are accepted; a log of a
byte order mark alone has no lines.

Judging, line by line in file order, per job:

- The job's first accepted line sets its status unjudged (polling may start at any point of a
  job's life).
- A line older than the job's last *applied* line (a time strictly before it) is **late**: it is
  counted in ``late`` and otherwise ignored; it is not judged, does not move the job, and does
  not end a run of repeats. Equal times are not late: they are judged in file order. This is the
  :class:`~jobfsm.tracker.Tracker`'s rule, so a log checked after the fact and the same
  observations fed live get the same verdicts; and a job whose lines are in time order is judged
  exactly as :func:`~jobfsm.validate.validate_history` judges its statuses.
- Otherwise a status equal to the job's line before (late lines aside) is a repeat, whatever the
  verdict on that line was; a repeat of the current status advances the job's last applied time,
  a repeat of a refused status does not.
- Any other status is judged from the job's current status by :class:`~jobfsm.validate.Rules`: a
  move (or, in polled mode, a jump along a legal chain) is applied; a violation is reported and
  leaves the job where it was.
"""

from __future__ import annotations

import csv
import enum
import itertools
import math
import os
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, BinaryIO, Final, NamedTuple, TextIO

import orjson

from jobfsm.errors import (
    BadLogLine,
    InvalidArgument,
    InvalidTime,
    UnknownStatus,
    UnreadableLog,
    _shown,
    find_control_character,
)
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.status import JobStatus, Outcome
from jobfsm.validate import VIOLATION, Mode, Rules, StepKind

__all__ = [
    "MAX_LINE",
    "LogFormat",
    "LogReport",
    "LogViolation",
    "Observation",
    "ObservationLog",
    "check_log",
    "count_moves",
    "format_of",
    "parse_time",
    "read_log",
    "scan_log",
]

_UTC = timezone.utc
_fromisoformat = datetime.fromisoformat
_BOM: Final = b"\xef\xbb\xbf"
#: UTF-16 byte order marks (little and big endian; UTF-32 LE starts with the first one too).
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_CHUNK: Final = 1 << 20
#: The longest line read, in bytes, its line ending excluded; a longer line is one bad line.
MAX_LINE: Final = 1 << 20
#: How many of the first lines decide whether a file is text at all.
_SAMPLE_LINES: Final = 100
#: Epoch numbers of this magnitude or more are milliseconds.
MS_THRESHOLD: Final = 1e11
_STATUS_COUNT: Final = len(JobStatus)
#: The accepted times, in epoch seconds: 1970-01-01T00:00:00Z up to the end of 9999-12-31 UTC.
MIN_TIME: Final = 0.0
MAX_TIME: Final = datetime(9999, 12, 31, 23, 59, 59, 999999, timezone.utc).timestamp()
#: How many distinct status spellings (read or refused) a reader remembers: enough for any real
#: log, and a bound for one that writes a new one on every line.
_NAME_CACHE: Final = 4096
#: No status name is this long: a longer value is refused without looking for a similar name.
_LONGEST_NAME: Final = 64
#: How many bad lines and violations scan_log lists by default (the rest are counted).
DEFAULT_LISTED: Final = 20

_ACCEPTED_STATUS = "a code 0–22 or a status name such as RUNNING or JOBSTAT_RUNNING"
_ACCEPTED_TIME = (
    "ISO 8601 (2026-03-01T08:00:00Z; no zone means UTC) or epoch seconds or milliseconds"
)
_ACCEPTED_JOB = (
    "an integer, or a string with a character other than white space and no control character "
    "(U+0000–U+001F, U+007F)"
)
_ACCEPTED_RANGE = "between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z"


class LogFormat(str, enum.Enum):
    """How the lines of a status log are written."""

    AUTO = "auto"
    JSONL = "jsonl"
    CSV = "csv"
    MODELARTS = "modelarts"


class Observation(NamedTuple):
    """One accepted line: a job seen in a status at a time (epoch seconds), and its line number."""

    job_id: str
    status: JobStatus
    time: float
    line: int


def parse_time(value: object) -> float:
    """Read an observation time as epoch seconds.

    Raises:
        InvalidTime: naming the value and what would be accepted (a ValueError and a TypeError).

    >>> parse_time("2026-03-01T08:00:00Z")
    1772352000.0
    >>> parse_time("2026-03-01T08:00:00") == parse_time(1772352000000)
    True
    """
    kind = type(value)
    if kind is float or kind is int:
        return _epoch(value)  # type: ignore[arg-type]
    if kind is str:
        return _time_text(value)  # type: ignore[arg-type]
    raise InvalidTime(value, _ACCEPTED_TIME, "time")


def _epoch(number: float) -> float:
    try:
        seconds = float(number)
    except OverflowError:
        # An int too large for a float: far past any time, like 1e300.
        raise InvalidTime(
            number, f"a time {_ACCEPTED_RANGE} (it is out of range)", "time"
        ) from None
    if not math.isfinite(seconds):
        raise InvalidTime(number, f"{_ACCEPTED_TIME} (it is not a finite number)", "time")
    return _in_range(seconds / 1000.0 if abs(seconds) >= MS_THRESHOLD else seconds, number)


def _in_range(seconds: float, value: object) -> float:
    """``seconds``, unless it is outside what a datetime can hold (or before 1970)."""
    if MIN_TIME <= seconds <= MAX_TIME:
        return seconds
    ms = isinstance(value, (int, float)) and abs(value) >= MS_THRESHOLD
    unit = ", read as milliseconds" if ms else ""
    raise InvalidTime(value, f"a time {_ACCEPTED_RANGE} (it is out of range{unit})", "time")


def _time_text(text: str) -> float:
    # ISO 8601 first: it is what loggers write; numbers and a "Z" on Python 3.10 take the slow path.
    try:
        moment = _fromisoformat(text)
    except ValueError:
        return _time_text_slow(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    seconds = moment.timestamp()
    return seconds if MIN_TIME <= seconds <= MAX_TIME else _in_range(seconds, text)


def _time_text_slow(text: str) -> float:
    stripped = text.strip()
    try:
        number = float(stripped)
    except ValueError:
        pass
    else:
        return _epoch(number)
    iso = stripped[:-1] + "+00:00" if stripped[-1:] in ("Z", "z") else stripped
    try:
        moment = _fromisoformat(iso)
    except ValueError:
        raise InvalidTime(text, _ACCEPTED_TIME, "time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    return _in_range(moment.timestamp(), text)


def _status_code(value: object, names: dict[str, int], refused: dict[str, str]) -> int:
    """The status code of ``value``, or raise UnknownStatus.

    Spellings are remembered both ways: ``names`` maps read ones to their code, ``refused`` maps
    refused ones to the bad-line reason, which readers look up before calling this, so the search
    for similar names and the message run once per distinct value, not once per line.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < _STATUS_COUNT:
            return value
        raise UnknownStatus(value)
    if not isinstance(value, str):
        raise UnknownStatus(value)
    code = names.get(value)
    if code is not None:
        return code
    if len(value) > _LONGEST_NAME and len(value.strip()) > _LONGEST_NAME:
        raise UnknownStatus(value)
    try:
        code = int(JobStatus.parse(value))
    except UnknownStatus as exc:
        if len(refused) < _NAME_CACHE:
            refused[value] = f"unknown status: {exc.message}"
        raise
    if len(names) < _NAME_CACHE:
        names[value] = code
    return code


class ObservationLog:
    """Every accepted observation of one log, in file order, stored in columns; and every bad line.

    Columns keep a million observations in about 21 MB: job ids are interned to 32-bit ints
    (:attr:`job_ids` maps them back), statuses are bytes, times doubles, line numbers 64-bit ints.
    To judge a log without keeping it, use :func:`scan_log`.

    Attributes:
        source: the log's name (a path, or ``<stdin>``).
        format: the format it was read as.
        job_ids: the job id of each interned job number, in order of first appearance.
        jobs, statuses, times, lines: one entry per accepted observation.
        errors: one :class:`~jobfsm.errors.BadLogLine` per rejected line, in file order.
        lines_read: every line read, the CSV header excepted.
    """

    def __init__(self, source: str, fmt: LogFormat) -> None:
        self.source = source
        self.format = fmt
        self.job_ids: list[str] = []
        self.jobs = array("i")
        self.statuses = array("b")
        self.times = array("d")
        self.lines = array("q")
        self.errors: list[BadLogLine] = []
        self.lines_read = 0

    def __repr__(self) -> str:
        return (
            f"<ObservationLog {self.source!r} ({self.format.value}): {self.lines_read} lines, "
            f"{len(self)} observations, {len(self.errors)} rejected, {len(self.job_ids)} jobs>"
        )

    def __len__(self) -> int:
        return len(self.jobs)

    def __iter__(self) -> Iterator[Observation]:
        """The accepted observations in file order."""
        ids = self.job_ids
        for j, s, t, n in zip(self.jobs, self.statuses, self.times, self.lines, strict=True):
            yield Observation(ids[j], JobStatus(s), t, n)

    @property
    def rejected(self) -> int:
        """How many lines were rejected."""
        return len(self.errors)

    def by_job(self) -> Iterator[tuple[str, list[Observation]]]:
        """Each job with its observations in time order (equal times in file order), jobs in
        order of first appearance. A view of the file; judging goes by file order (module docs).
        """
        groups: list[list[int]] = [[] for _ in self.job_ids]
        for i, j in enumerate(self.jobs):
            groups[j].append(i)
        ids, statuses, times, lines = self.job_ids, self.statuses, self.times, self.lines
        for j, indices in enumerate(groups):
            if not indices:
                continue
            indices.sort(key=times.__getitem__)  # stable: equal times keep file order
            job = ids[j]
            yield (
                job,
                [Observation(job, JobStatus(statuses[i]), times[i], lines[i]) for i in indices],
            )

    # -- what a reader feeds (the same as _Judge) ------------------------------------------------

    def _take(
        self, jobs: list[int], statuses: list[int], times: list[float], lines: list[int]
    ) -> None:
        self.jobs.extend(jobs)
        self.statuses.extend(statuses)
        self.times.extend(times)
        self.lines.extend(lines)

    def _reject(self, number: int, problem: str) -> None:
        self.errors.append(BadLogLine(self.source, number, problem))


class _TooLong(NamedTuple):
    """A line longer than MAX_LINE, read past: its length and its first bytes."""

    length: int
    opening: bytes


class _Reader:
    """Parses the lines of one log and feeds them to a sink (an ObservationLog or a _Judge).

    Accepted observations go to ``sink._take`` in one batch of columns per chunk of the file,
    rejected lines to ``sink._reject`` one by one; the sink's ``job_ids`` is the interning table.
    """

    def __init__(self, sink: ObservationLog | _Judge) -> None:
        self.sink = sink
        self.source = sink.source
        self.job_ids = sink.job_ids
        self.job_index: dict[object, int] = {}
        self.names: dict[str, int] = {}
        self.refused: dict[str, str] = {}
        self.csv_columns: tuple[int, int, int, int] | None = None
        #: The number of the first CSV line when it was taken as data, for a header hint.
        self.csv_headless_first = 0
        #: The CSV batch being read: jobs, statuses, times and line numbers.
        self.batch: tuple[list[int], list[int], list[float], list[int]] = ([], [], [], [])

    # -- shared pieces ---------------------------------------------------------------------------

    def reject(self, number: int, problem: str) -> None:
        self.sink._reject(number, problem)

    def too_long(self, number: int, line: _TooLong) -> None:
        self.sink.lines_read += 1
        if self.csv_columns is None:
            # No header is a megabyte long: the log has none, and this was its first line.
            self.csv_columns = (0, 1, 2, -1)
        self.reject(
            number,
            f"a line of {line.length:,} bytes, longer than the longest line read "
            f"({MAX_LINE:,} bytes); it starts {_excerpt(line.opening)}",
        )

    def intern(self, raw: object) -> int:
        """The job number of ``raw``; ids are compared as text, so 42 and "42" are one job.

        Raises ValueError for a value that is not a job id. Readers call this only for an id not
        seen yet, so the check costs once per job, not once per line.
        """
        if isinstance(raw, int) and not isinstance(raw, bool):
            key = str(raw)
        elif isinstance(raw, str):
            key = raw
        else:
            raise ValueError(f"job_id {_shown(raw)} is not a job id; expected {_ACCEPTED_JOB}")
        found = self.job_index.get(key)
        if found is None:
            problem = _job_id_problem("job_id", key)
            if problem is not None:
                raise ValueError(problem)
            found = len(self.job_ids)
            self.job_ids.append(key)
            self.job_index[key] = found
        self.job_index[raw] = found
        return found

    # -- JSON Lines and ModelArts records --------------------------------------------------------

    def json_lines(self, batch: list[bytes], first: int, modelarts: bool, auto: bool) -> None:
        """Read a batch of JSON lines; ``first`` is the number of the first line of the batch."""
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        job_index = self.job_index
        names = self.names
        refused = self.refused
        reject = self.sink._reject
        jobs: list[int] = []
        statuses: list[int] = []
        times: list[float] = []
        lines: list[int] = []
        add_job, add_status, add_time, add_line = (
            jobs.append,
            statuses.append,
            times.append,
            lines.append,
        )
        number = first - 1
        # The hot loop: one dict lookup per field, typed fast paths, slow paths in helpers, and
        # the appends bound to locals (a method call per line costs more than the appends).
        for raw in batch:
            number += 1
            try:
                record = loads(raw)
            except decode_error as exc:
                reject(number, _json_problem(raw, exc))
                continue
            if type(record) is not dict:
                reject(number, _not_an_object(record, modelarts))
                continue
            try:
                if modelarts or (auto and "time" not in record and "create_time" in record):
                    job_id, when = _modelarts_fields(record)
                else:
                    job_id = record["job_id"]
                    value = record["time"]
                    kind = type(value)
                    if kind is float or kind is int:
                        when = value if 0 <= value < MS_THRESHOLD else _epoch(value)
                    elif kind is str:
                        when = _time_text(value)
                    else:
                        when = parse_time(value)
                status = record["status"]
                if type(status) is int and 0 <= status < _STATUS_COUNT:
                    code = status
                elif type(status) is str:
                    found = names.get(status)
                    if found is None:
                        known = refused.get(status)
                        if known is not None:
                            reject(number, known)
                            continue
                        found = _status_code(status, names, refused)
                    code = found
                else:
                    code = _status_code(status, names, refused)
                kind = type(job_id)
                job = job_index.get(job_id) if kind is str or kind is int else None
                if job is None:
                    job = self.intern(job_id)
            except KeyError as exc:
                # A failed API response lacks every field; say what it is instead.
                failed = record.get("is_success") is False
                reject(number, _failed(record) if failed else _missing(exc.args[0], modelarts))
                continue
            except UnknownStatus as exc:
                reject(number, f"unknown status: {exc.message}")
                continue
            except (ValueError, TypeError, ArithmeticError) as exc:
                # ArithmeticError: an integer too large for a float, wherever one is met.
                reject(number, str(exc))
                continue
            add_job(job)
            add_status(code)
            add_time(when)
            add_line(number)
        self.sink.lines_read += len(batch)
        if jobs:
            self.sink._take(jobs, statuses, times, lines)

    # -- CSV -------------------------------------------------------------------------------------

    def csv_lines(self, batch: list[bytes], first: int) -> None:
        sink = self.sink
        self.batch = ([], [], [], [])
        number = first - 1
        for raw in batch:
            number += 1
            if self.csv_columns is None and self._csv_header(raw, number):
                continue
            sink.lines_read += 1
            problem = self._csv_line(raw, number)
            if problem is not None:
                self.reject(number, problem)
        if self.batch[0]:
            sink._take(*self.batch)

    def _csv_line(self, raw: bytes, number: int) -> str | None:
        """Add the observation of one CSV line; or return why the line is rejected."""
        try:
            text = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            return _binary_problem(raw)
        if not text.strip():
            return "empty line; expected job_id,status,time"
        if "\x00" in text:
            return _binary_problem(raw)
        if "\r" in text:
            return (
                f"a carriage return inside the line {_excerpt(raw)}; a CSV line ends "
                "at LF or CRLF, and its fields do not span lines"
            )
        try:
            cells = _csv_cells(text)
        except csv.Error as exc:
            return f"not a line of CSV ({exc}) {_excerpt(raw)}"
        problem = self._csv_record(cells, number)
        return None if problem is None else problem + self._csv_hint(text, number)

    def _csv_header(self, raw: bytes, number: int) -> bool:
        """Take the columns from the first line; True when it was a header (not data).

        Raises UnreadableLog for a first line that is a header the log cannot be read by, or
        no CSV at all.
        """
        text = raw.decode("utf-8", "replace").rstrip("\r")
        try:
            cells = _csv_cells(text) if text.strip() else []
        except csv.Error:
            cells = []  # not a header; the line is rejected as data, with the reason
        names = [c.strip().lower() for c in cells]
        if "job_id" not in names:
            if _COLUMNS.intersection(names):
                raise UnreadableLog(
                    self.source,
                    "the CSV header has no 'job_id' column; "
                    "expected the columns job_id,status,time",
                )
            self._refuse_first_line(raw, text, cells)
            self.csv_columns = (0, 1, 2, -1)
            self.csv_headless_first = number
            return False
        for column in _READ_COLUMNS:
            if names.count(column) > 1:
                # Which of the two to read would be a guess, and the wrong one judges wrong data.
                raise UnreadableLog(
                    self.source,
                    f"the CSV header names the column {column!r} {names.count(column)} times; "
                    "expected each of job_id, status and time (or create_time and duration) once",
                )
        if "status" not in names:
            raise UnreadableLog(self.source, "the CSV header has no 'status' column")
        if "time" in names:
            when, duration = names.index("time"), -1
        elif "create_time" in names and "duration" in names:
            when, duration = names.index("create_time"), names.index("duration")
        else:
            raise UnreadableLog(
                self.source,
                "the CSV header has no 'time' column (nor 'create_time' and 'duration'); "
                "expected the columns job_id,status,time",
            )
        self.csv_columns = (names.index("job_id"), names.index("status"), when, duration)
        return True

    def _refuse_first_line(self, raw: bytes, text: str, cells: list[str]) -> None:
        """Raise UnreadableLog when a first line without job_id is no line of data either: JSON,
        or a header of other names (no cell a number or a time). Else it is read as data."""
        if not cells or b"\x00" in raw or "\ufffd" in text:
            return  # blank or binary: a bad line of data, said as such
        if "," not in text and (";" in text or "\t" in text):
            return  # another delimiter: each line is rejected with a hint saying so
        if text.lstrip().startswith("{"):
            raise UnreadableLog(
                self.source,
                "its first line is JSON, not CSV; read it as JSON Lines (--input-format jsonl)",
            )
        if any(_datum(cell) for cell in cells):
            return
        raise UnreadableLog(
            self.source,
            f"the CSV header {_shown(text)} names none of the columns job_id, status and time; "
            "expected a header such as job_id,status,time, or lines of job_id,status,time",
        )

    def _csv_record(self, cells: list[str], number: int) -> str | None:
        """Add the observation of one line; or return why the line is rejected."""
        assert self.csv_columns is not None
        job_col, status_col, time_col, duration_col = self.csv_columns
        width = max(job_col, status_col, time_col, duration_col) + 1
        if len(cells) < width:
            return (
                f"{len(cells)} field(s) in {_shown(','.join(cells))}, expected at least {width} "
                "(job_id, status, time)"
            )
        status = cells[status_col]
        known = self.refused.get(status)
        if known is not None:
            return known
        try:
            code = _status_code(status, self.names, self.refused)
            if duration_col < 0:
                when = _time_text(cells[time_col])
            else:
                when = _modelarts_time(cells[time_col], cells[duration_col])
            # Interned last: a job is known only once one of its lines is accepted.
            raw_id = cells[job_col].strip()
            job = self.job_index.get(raw_id)
            if job is None:
                job = self.intern(raw_id)
        except UnknownStatus as exc:
            return f"unknown status: {exc.message}"
        except (ValueError, ArithmeticError) as exc:
            return str(exc)
        jobs, statuses, times, lines = self.batch
        jobs.append(job)
        statuses.append(code)
        times.append(when)
        lines.append(number)
        return None

    def _csv_hint(self, text: str, number: int) -> str:
        """A guess at why a CSV line was rejected, when the line itself suggests one."""
        if "," not in text and (";" in text or "\t" in text):
            sep = "semicolons" if ";" in text else "tabs"
            return f" (the fields are separated by {sep}; a CSV log separates them by commas)"
        if text.lstrip().startswith("{"):
            return " (this line looks like JSON; read the log with --input-format jsonl)"
        if number == self.csv_headless_first:
            return " (if this is a header, name the columns job_id,status,time)"
        return ""


def _csv_cells(text: str) -> list[str]:
    """The fields of one CSV line (raises csv.Error for one the csv module refuses)."""
    return next(csv.reader([text])) if '"' in text else text.split(",")


def _datum(cell: str) -> bool:
    """True when a CSV cell reads as a number or an ISO 8601 time, which no header name does."""
    text = cell.strip()
    try:
        float(text)
    except ValueError:
        pass
    else:
        return True
    try:
        _fromisoformat(text[:-1] if text[-1:] in ("Z", "z") else text)
    except ValueError:
        return False
    return True


_ACCEPTED_MS: Final = {
    "create_time": "epoch milliseconds, 0 or more",
    "duration": "a finite number of milliseconds, 0 or more",
}


def _ms(value: object, field: str) -> float:
    """A ModelArts millisecond field: a finite number, never negative (time does not run back)."""
    try:
        number = float(value.strip() if type(value) is str else value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    # One comparison refuses NaN, infinities and negatives alike; the reason is found after.
    if 0.0 <= number < math.inf and type(value) is not bool:
        return number
    if type(value) is bool or not math.isfinite(number):
        raise ValueError(
            f"{field} {_shown(value)} is not a number of milliseconds; "
            f"expected {_ACCEPTED_MS[field]}"
        )
    raise ValueError(f"{field} {_shown(value)} is negative; expected {_ACCEPTED_MS[field]}")


def _modelarts_time(create_time: object, duration: object) -> float:
    """The observation time of a ModelArts record: ``create_time + duration``, in seconds."""
    total = _ms(create_time, "create_time") + _ms(duration, "duration")
    seconds = total / 1000.0
    if MIN_TIME <= seconds <= MAX_TIME:
        return seconds
    raise ValueError(
        f"create_time + duration ({total!r} ms) is out of range; expected a time {_ACCEPTED_RANGE}"
    )


def _failed(record: dict[str, Any]) -> str:
    """The bad-line reason of a failed ModelArts API response (``is_success`` false)."""
    # ModelArts v1 answers with error_msg; error_message is read when a client renamed it.
    text = record.get("error_msg", record.get("error_message"))
    return (
        f"a failed API response (error_code {_shown(record.get('error_code'))}, "
        f"error_msg {_shown(text)}), not a job status"
    )


def _modelarts_fields(record: dict[str, Any]) -> tuple[object, float]:
    """The job key and observation time of a ``get_job_info()`` record."""
    if record.get("is_success") is False:
        raise ValueError(_failed(record))
    job_id = record["job_id"]
    when = _modelarts_time(record["create_time"], record["duration"])
    version = record.get("version_id")
    if version is not None and type(job_id) in (int, str) and type(version) in (int, str):
        # A blank part would hide in the joined id; control characters are found in the whole.
        if type(job_id) is str and not job_id.strip():
            raise ValueError(_job_id_problem("job_id", job_id))
        if type(version) is str and not version.strip():
            raise ValueError(_job_id_problem("version_id", version))
        job_id = f"{job_id}/{version}"
    return job_id, when


def _job_id_problem(field: str, text: str) -> str | None:
    """Why ``text`` is not a job id (blank, or holding a control character), or None."""
    if not text.strip():
        return f"{field} {_shown(text)} is not a job id (it is blank); expected {_ACCEPTED_JOB}"
    found = find_control_character(text)
    if found is None:
        return None
    return (
        f"{field} {_shown(text)} is not a job id (it holds the control character "
        f"{found.group()!r}); expected {_ACCEPTED_JOB}"
    )


#: Column names of a CSV header; a first line with one of them but no job_id is a bad header.
_COLUMNS: Final = frozenset({"status", "time", "create_time", "duration"})
#: The columns a CSV log is read from, each of which a header may name only once.
_READ_COLUMNS: Final = ("job_id", "status", "time", "create_time", "duration")


def _missing(field: object, modelarts: bool) -> str:
    shape = (
        "job_id, status, create_time and duration"
        if modelarts
        else "job_id, status and time (or ModelArts create_time and duration)"
    )
    return f"missing field {_shown(field)}; expected an object with {shape}"


def _not_an_object(record: object, modelarts: bool) -> str:
    shape = "job_id, status, create_time and duration" if modelarts else "job_id, status and time"
    return f"a JSON {type(record).__name__}, not an object; expected an object with {shape}"


def _excerpt(raw: bytes, limit: int = 40) -> str:
    """The start of a bad line, quoted, so a person can find it."""
    text = repr(raw[:limit])
    return text + "..." if len(raw) > limit else text


def _binary_problem(raw: bytes) -> str:
    what = "binary data (NUL bytes)" if b"\x00" in raw else "not UTF-8 text"
    return f"{what} {_excerpt(raw)}; expected a line of UTF-8 text"


def _json_problem(raw: bytes, exc: Exception) -> str:
    if not raw.strip():
        return "empty line; expected a JSON object with job_id, status and time"
    if b"\x00" in raw:
        return _binary_problem(raw)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return _binary_problem(raw)
    detail = str(exc).split(": line ")[0]
    return (
        f"malformed JSON ({detail}) {_excerpt(raw.rstrip())}; "
        "expected a JSON object with job_id, status and time"
    )


def _is_binary(row: bytes, last: bool) -> bool:
    """True when a line holds NUL bytes or is not UTF-8 (``last``: it may be cut mid-character)."""
    if b"\x00" in row:
        return True
    try:
        row.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The end of the sample may cut a character in two; that is not binary data.
        return not (last and exc.reason == "unexpected end of data")
    return False


def _not_text(head: bytes) -> str | None:
    """Why the file that starts with ``head`` is no text log at all, or None when it is text.

    The one rule for every format: more than half of the first non-blank lines are binary.
    """
    rows = head.split(b"\n", _SAMPLE_LINES)[:_SAMPLE_LINES]
    last = len(rows) - 1
    sampled = binary = 0
    for index, row in enumerate(rows):
        if row.strip():
            sampled += 1
            binary += _is_binary(row, index == last)
    if binary * 2 <= sampled:
        return None
    # UTF-16 text without a byte order mark: a NUL beside every ASCII character.
    utf16 = head[:4096].count(0) * 3 > min(len(head), 4096)
    what = "UTF-16 text without a byte order mark, or binary data" if utf16 else "binary data"
    return (
        f"it is {what}, not a status log: {binary} of its first {sampled} lines hold NUL bytes or "
        "bytes that are not UTF-8; a status log is UTF-8 text"
    )


def _not_json(head: bytes) -> str | None:
    """Why the file that starts with ``head`` is no JSON Lines log, or None when it may be one:
    none of its first non-blank lines (up to 100) is a JSON object."""
    rows = [row for row in head.split(b"\n", _SAMPLE_LINES)[:_SAMPLE_LINES] if row.strip()]
    if rows and not head.endswith(b"\n"):
        rows.pop()  # perhaps cut short by the end of the sample
    for row in rows:
        try:
            if type(orjson.loads(row)) is dict:
                return None
        except orjson.JSONDecodeError:
            pass
    if not rows:
        return None
    hint = " (it looks like CSV: read it with --input-format csv)" if b"," in rows[0] else ""
    return (
        f"none of its first {len(rows)} lines is a JSON object, so it is no JSON Lines log; "
        f"expected one object with job_id, status and time per line{hint}"
    )


def format_of(name: str) -> LogFormat | None:
    """The format a log's file name names: CSV for ``.csv``, JSON Lines for ``.jsonl``,
    ``.ndjson`` or ``.json`` (any case), else None.

    >>> format_of("fleet.CSV"), format_of("fleet.jsonl"), format_of("fleet.log")
    (<LogFormat.CSV: 'csv'>, <LogFormat.JSONL: 'jsonl'>, None)
    """
    lower = name.lower()
    if lower.endswith(".csv"):
        return LogFormat.CSV
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return LogFormat.JSONL
    return None


def _sniff(head: bytes, name: str) -> LogFormat:
    """The format of a log from its file name, else from its first lines."""
    named = format_of(name)
    if named is not None:
        return named
    rows = [row.removeprefix(_BOM).strip() for row in head.split(b"\n", 100)[:100]]
    rows = [row for row in rows if row]
    if not rows or any(row.startswith(b"{") for row in rows):
        return LogFormat.JSONL
    return LogFormat.CSV


def _batches(
    read: Callable[[int], bytes], head: bytes, progress: Callable[[int], None] | None
) -> Iterator[list[bytes] | _TooLong]:
    """The lines ``read`` returns, split on LF, in batches; the first chunk ``head`` is read.

    A line longer than MAX_LINE comes as a _TooLong of its own, in its place among the lines. The
    start of a line that spans chunks is kept in pieces and joined once, when its end arrives, so
    reading is linear in the size of the file; past MAX_LINE its bytes are only counted.
    """
    pending: list[bytes] = []  # the pieces of a line not ended yet
    pending_size = 0
    skipped = -1  # the bytes of an over-long line read past so far; -1 when none is
    opening = b""
    chunk = head
    while chunk:
        if progress is not None:
            progress(len(chunk))
        if skipped >= 0:
            end = chunk.find(b"\n")
            if end < 0:
                skipped += len(chunk)
                chunk = read(_CHUNK)
                continue
            yield _TooLong(skipped + end, opening)
            skipped = -1
            chunk = chunk[end + 1 :]
        parts = chunk.split(b"\n")
        tail = parts.pop()  # what follows the last newline: the start of the next line
        if parts:
            if pending:
                pending.append(parts[0])
                parts[0] = b"".join(pending)
                pending, pending_size = [], 0
            # Only a chunk longer than MAX_LINE, or the line completed by it, can hold a long one.
            if _too_long(parts[0]) or (len(chunk) > MAX_LINE and max(map(len, parts)) > MAX_LINE):
                yield from _split_long(parts)
            else:
                yield parts
        if tail:
            pending_size += len(tail)
            if pending_size > MAX_LINE + 1:  # one more for the CR of a CRLF ending
                opening = (pending[0] if pending else tail)[:40]
                skipped, pending, pending_size = pending_size, [], 0
            else:
                pending.append(tail)
        chunk = read(_CHUNK)
    if skipped >= 0:
        yield _TooLong(skipped, opening)
    elif pending:
        # The last line has no newline: often a line cut short by a writer that died.
        last = b"".join(pending)
        yield _TooLong(len(last), last[:40]) if _too_long(last) else [last]


def _too_long(line: bytes) -> bool:
    """True when ``line`` holds more than MAX_LINE bytes besides the CR of a CRLF ending."""
    size = len(line)
    return size > MAX_LINE and (size > MAX_LINE + 1 or line[-1:] != b"\r")


def _split_long(parts: list[bytes]) -> Iterator[list[bytes] | _TooLong]:
    """``parts`` as batches, each line longer than MAX_LINE a _TooLong in its place."""
    start = 0
    for index, part in enumerate(parts):
        if _too_long(part):
            if start < index:
                yield parts[start:index]
            yield _TooLong(len(part), part[:40])
            start = index + 1
    if start < len(parts):
        yield parts[start:]


#: What read_log reads, for its TypeError.
_ACCEPTED_SOURCE: Final = (
    "a path (str or os.PathLike) or a file object open for reading, binary (sys.stdin.buffer) "
    "or text (read as UTF-8)"
)

#: A log's source as read_log and scan_log take it.
LogSource = str | os.PathLike[str] | BinaryIO | TextIO


def read_log(
    source: LogSource,
    fmt: LogFormat | str = LogFormat.AUTO,
    *,
    name: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ObservationLog:
    """Read every line of a status log and keep every observation; bad lines are recorded, never
    raised. To judge a log without keeping its observations, use :func:`scan_log`.

    Args:
        source: a path (``"-"`` is a file of that name, not stdin), or a file object with
            ``read()``: binary (``sys.stdin.buffer``, ``io.BytesIO``) or text (``sys.stdin``,
            ``io.StringIO``; its characters are read as UTF-8).
        fmt: ``auto`` (``.csv``, ``.jsonl``, ``.ndjson`` or ``.json`` by the name, else JSON
            when one of the first 100 lines opens an object), ``jsonl``, ``csv`` or
            ``modelarts``. In ``auto`` and ``jsonl`` a JSON line without ``time`` but with
            ``create_time`` is read as a ModelArts record.
        name: how to name the log in messages (defaults to the path, or ``<stream>``).
        progress: called with the number of bytes read after each chunk.

    Raises:
        UnreadableLog: the log cannot be opened or read, is not a text log at all (binary,
            UTF-16), or its CSV header lacks needed columns (see the module docs).
        InvalidArgument: ``fmt`` is not one of the formats (naming them), or ``source`` is neither
            a path nor a file object (``None``, ``bytes``, ...); also a ValueError and TypeError.

    >>> import io
    >>> log = read_log(io.BytesIO(b'{"job_id": "a", "status": 8, "time": 0}\\n{"job_id": 1}\\n'))
    >>> len(log), log.rejected, log.errors[0].problem
    (1, 1, "missing field 'time'; expected an object with job_id, status and time ...")
    """
    fmt = _log_format(fmt)
    log = ObservationLog("", fmt)
    _consume(source, fmt, name, progress, log)
    return log


def scan_log(
    source: LogSource,
    fmt: LogFormat | str = LogFormat.AUTO,
    mode: Mode | str = Mode.POLLED,
    *,
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    listed: int | None = DEFAULT_LISTED,
    name: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> LogReport:
    """Read and judge a status log in one pass, keeping only a few dozen bytes per job.

    The report is the one :func:`check_log` gives for ``read_log(source)``, except that only the
    first ``listed`` violations and bad lines are kept (in file order; the rest are counted), so
    memory follows the number of jobs, not of lines. ``listed=None`` keeps them all. The moves
    are counted too (:attr:`LogReport.moves`, what :func:`count_moves` gives).

    Args:
        source, fmt, name, progress: as for :func:`read_log`.
        mode: ``polled`` (default: a poller misses statuses) or ``strict``.
        lifecycle: the rules; the ModelArts lifecycle by default.
        listed: how many violations and how many bad lines to keep, 0 or more, or None for all.

    Raises:
        UnreadableLog, InvalidArgument: as :func:`read_log`; InvalidArgument also for ``listed``.
        UnknownMode: ``mode`` is not a mode.

    >>> import io
    >>> lines = b'{"job_id":"a","status":7,"time":1}\\n{"job_id":"a","status":10,"time":2}\\n'
    >>> report = scan_log(io.BytesIO(lines))
    >>> report.ok, report.mode.value, report.inferred, report.inferred_statuses
    (True, 'polled', 1, 1)
    """
    fmt = _log_format(fmt)
    rules = Rules.for_lifecycle(lifecycle, mode)
    if listed is not None and (type(listed) is not int or listed < 0):
        raise InvalidArgument("listed", listed, "a number of entries, 0 or more, or None for all")
    judge = _Judge("", fmt, rules, listed)
    _consume(source, fmt, name, progress, judge)
    return judge.report()


def _consume(
    source: object,
    fmt: LogFormat,
    name: str | None,
    progress: Callable[[int], None] | None,
    sink: ObservationLog | _Judge,
) -> None:
    """Open ``source`` and feed every line of it to ``sink``."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        raise InvalidArgument(
            "source",
            source,
            f"{_ACCEPTED_SOURCE} (wrap log content held in memory in io.BytesIO)",
        )
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        label = name or str(path)
        try:
            with open(path, "rb") as stream:
                return _read(stream, fmt, label, progress, sink)
        except OSError as exc:
            raise UnreadableLog(label, exc.strerror or str(exc)) from None
    if not callable(getattr(source, "read", None)):
        raise InvalidArgument("source", source, _ACCEPTED_SOURCE)
    label = str(name or getattr(source, "name", None) or "<stream>")
    try:
        return _read(source, fmt, label, progress, sink)  # type: ignore[arg-type]
    except OSError as exc:
        raise UnreadableLog(label, exc.strerror or str(exc)) from None
    except UnicodeDecodeError as exc:
        # Raised by a text stream's own decoding, before any line reaches the reader.
        raise UnreadableLog(
            label,
            f"the text stream cannot be decoded ({exc.reason} at byte {exc.start}); open the log "
            "in binary mode ('rb') and each undecodable line is reported as a bad line",
        ) from None


def _log_format(fmt: object) -> LogFormat:
    """``fmt`` as a :class:`LogFormat`, or a ValueError listing the formats."""
    try:
        return LogFormat(fmt)
    except ValueError:
        formats = ", ".join(f.value for f in LogFormat)
        raise InvalidArgument("fmt", fmt, f"a log format, one of {formats}") from None


def _read(
    stream: BinaryIO | TextIO,
    fmt: LogFormat,
    label: str,
    progress: Callable[[int], None] | None,
    sink: ObservationLog | _Judge,
) -> None:
    first_chunk = stream.read(_CHUNK)
    read: Callable[[int], bytes]
    if type(first_chunk) is bytes:
        head = first_chunk
        read = stream.read  # type: ignore[assignment]
    elif isinstance(first_chunk, str):
        text_read = stream.read

        # surrogatepass never fails: a lone surrogate becomes bytes that are not UTF-8, so its
        # line is reported like any line of bad bytes.
        def read(size: int) -> bytes:
            return text_read(size).encode("utf-8", "surrogatepass")  # type: ignore[union-attr]

        head = first_chunk.encode("utf-8", "surrogatepass")
    else:
        raise TypeError(
            f"{label}: read() returned a {type(first_chunk).__name__}, not bytes or str; "
            f"expected {_ACCEPTED_SOURCE}"
        )
    if head.startswith(_UTF16_BOMS):
        raise UnreadableLog(
            label,
            "it is UTF-16 (or UTF-32) text: it starts with a byte order mark "
            f"{_excerpt(head[:2])}; a status log is UTF-8 text (convert it, for example with "
            "iconv -f UTF-16 -t UTF-8)",
        )
    if head.startswith(_BOM):
        # The mark is not data: a log holding nothing else has no lines (like an empty one).
        if progress is not None:
            progress(len(_BOM))
        head = head[len(_BOM) :] or read(_CHUNK)
    problem = _not_text(head)
    if problem is not None:
        raise UnreadableLog(label, problem)
    if fmt is LogFormat.AUTO:
        fmt = _sniff(head, label)
    if fmt is not LogFormat.CSV:
        problem = _not_json(head)
        if problem is not None:
            raise UnreadableLog(label, problem)
    sink.source = label
    sink.format = fmt
    reader = _Reader(sink)
    csv_log = fmt is LogFormat.CSV
    modelarts = fmt is LogFormat.MODELARTS
    number = 1
    for batch in _batches(read, head, progress):
        if type(batch) is _TooLong:
            reader.too_long(number, batch)
            number += 1
            continue
        assert type(batch) is list
        if csv_log:
            reader.csv_lines(batch, number)
        else:
            reader.json_lines(batch, number, modelarts, not modelarts)
        number += len(batch)


# -- judging ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogViolation:
    """An observation the rules reject: the job stays in ``source``.

    ``allowed`` lists the declared moves from ``source``, as in :class:`~jobfsm.validate.Violation`.
    """

    job_id: str
    line: int
    time: float
    source: JobStatus
    target: JobStatus
    allowed: frozenset[JobStatus]

    def __str__(self) -> str:
        names = ", ".join(s.name for s in sorted(self.allowed)) or "none (terminal)"
        return (
            f"line {self.line}: job {self.job_id}: {self.source} → {self.target}; allowed: {names}"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form (codes as ints, names beside them)."""
        return {
            "job_id": self.job_id,
            "line": self.line,
            "time": self.time,
            "source": int(self.source),
            "source_name": self.source.name,
            "target": int(self.target),
            "target_name": self.target.name,
            "allowed": sorted(int(s) for s in self.allowed),
        }


#: The final outcome of a job: an :class:`Outcome` value, or this for a job still active.
UNFINISHED: Final = "unfinished"


@dataclass(frozen=True)
class LogReport:
    """The judgment of a whole log (the rule is in the module docs).

    A job counts once it has at least one accepted observation; it conforms when none of its
    observations is a violation.

    Attributes:
        lines, observations, rejected: every line read; the accepted ones; the rejected ones.
        jobs, conforming: the jobs seen; those without a violation (:attr:`violating` the rest).
        unfinished: jobs whose last status is not terminal.
        inferred: jumps accepted in polled mode; ``inferred_statuses`` the missed statuses
            they imply (the statuses a shortest legal chain passes through).
        late: lines older than their job's last applied line, not judged.
        violation_count: every violation; ``violations`` lists the first ones kept, in file order.
        errors: the first bad lines kept, in file order (``rejected`` counts them all).
        moves: how many times each move was observed, as :func:`count_moves` counts them.
    """

    source: str
    format: LogFormat
    mode: Mode
    lines: int
    observations: int
    jobs: int
    conforming: int
    unfinished: int
    inferred: int
    late: int
    outcomes: dict[str, int]
    violations: tuple[LogViolation, ...]
    errors: tuple[BadLogLine, ...]
    rejected: int
    violation_count: int
    inferred_statuses: int
    moves: Counter[tuple[JobStatus, JobStatus]]

    @property
    def violating(self) -> int:
        """Jobs with at least one violation."""
        return self.jobs - self.conforming

    @property
    def ok(self) -> bool:
        """True when every job conforms and every line was read."""
        return not self.violation_count and not self.rejected

    def to_dict(self, max_errors: int | None = None) -> dict[str, Any]:
        """A JSON-safe form; ``max_errors`` caps the listed violations and bad lines
        (``violations_omitted`` and ``errors_omitted`` say how many more there were)."""
        errors = self.errors if max_errors is None else self.errors[:max_errors]
        violations = self.violations if max_errors is None else self.violations[:max_errors]
        return {
            "source": self.source,
            "format": self.format.value,
            "mode": self.mode.value,
            "ok": self.ok,
            "lines": self.lines,
            "observations": self.observations,
            "rejected": self.rejected,
            "jobs": self.jobs,
            "conforming": self.conforming,
            "violating": self.violating,
            "unfinished": self.unfinished,
            "inferred": self.inferred,
            "inferred_statuses": self.inferred_statuses,
            "late": self.late,
            "outcomes": dict(self.outcomes),
            "violations": [v.to_dict() for v in violations],
            "violations_omitted": self.violation_count - len(violations),
            "errors": [{"line": e.line, "message": e.problem} for e in errors],
            "errors_omitted": self.rejected - len(errors),
        }


class _Judge:
    """Judges observations as a reader feeds them, with a few list slots per job (module docs).

    The same interface as :class:`ObservationLog` (``_take``, ``_reject``, ``job_ids``,
    ``lines_read``), so one reader feeds either.
    """

    def __init__(self, source: str, fmt: LogFormat, rules: Rules, listed: int | None) -> None:
        self.source = source
        self.format = fmt
        self.rules = rules
        self.listed = listed
        self.job_ids: list[str] = []
        self.lines_read = 0
        self.observations = 0
        self.rejected = 0
        self.late = 0
        self.errors: list[BadLogLine] = []
        # Per job, by interned number: the current status (-1 before the first line), the
        # status of the line before (late lines aside), the time of the last applied line, and
        # whether it had a violation.
        self.state: list[int] = []
        self.seen: list[int] = []
        self.last: list[float] = []
        self.violated = bytearray()
        self.refused = [[step is VIOLATION for step in row] for row in rules.table]
        # Every judged change, by (source, target): what the counts of kinds and moves come from.
        self.pairs = [[0] * _STATUS_COUNT for _ in range(_STATUS_COUNT)]
        self.violation_count = 0
        self.found: list[tuple[int, int, float, int, int]] = []  # job, line, time, source, target

    def _reject(self, number: int, problem: str) -> None:
        self.rejected += 1
        if self.listed is None or len(self.errors) < self.listed:
            self.errors.append(BadLogLine(self.source, number, problem))

    def _take(
        self,
        jobs: Sequence[int],
        statuses: Sequence[int],
        times: Sequence[float],
        lines: Sequence[int],
    ) -> None:
        grow = len(self.job_ids) - len(self.state)
        if grow > 0:
            self.state.extend([-1] * grow)
            self.seen.extend([-1] * grow)
            self.last.extend([-math.inf] * grow)
            self.violated.extend(bytes(grow))
        state, seen, last, pairs, refused = (
            self.state,
            self.seen,
            self.last,
            self.pairs,
            self.refused,
        )
        late = 0
        # Rules.walk's judgment and the Tracker's lateness, inlined over int columns: a call per
        # observation would cost more than the judging itself on a million lines.
        for j, s, t, n in zip(jobs, statuses, times, lines, strict=True):
            if t < last[j]:
                late += 1
                continue
            if s == seen[j]:
                if s == state[j]:
                    last[j] = t
                continue  # a repeat of the line before, whatever its verdict was
            seen[j] = s
            current = state[j]
            if current == s or current < 0:
                state[j] = s
                last[j] = t
                continue
            pairs[current][s] += 1
            if refused[current][s]:
                self._violation(j, n, t, current, s)
                continue
            state[j] = s
            last[j] = t
        self.late += late
        self.observations += len(jobs)

    def _violation(self, job: int, line: int, time: float, source: int, target: int) -> None:
        self.violation_count += 1
        self.violated[job] = 1
        if self.listed is None or len(self.found) < self.listed:
            self.found.append((job, line, time, source, target))

    def report(self) -> LogReport:
        rules = self.rules
        table = rules.table
        inferred = inferred_statuses = 0
        moves: Counter[tuple[JobStatus, JobStatus]] = Counter()
        for a, row in enumerate(self.pairs):
            for b, count in enumerate(row):
                if not count:
                    continue
                step = table[a][b]
                source, target = JobStatus(a), JobStatus(b)
                if step.kind is StepKind.INFERRED:
                    inferred += count
                    inferred_statuses += count * len(step.skipped)
                    for x, y in itertools.pairwise((source, *step.skipped, target)):
                        moves[(x, y)] += count
                else:
                    moves[(source, target)] += count
        allowed = rules.lifecycle.next_map
        violations = tuple(
            LogViolation(
                self.job_ids[j], line, time, JobStatus(a), JobStatus(b), allowed[JobStatus(a)]
            )
            for j, line, time, a, b in self.found
        )
        finals = Counter(self.state)
        # A job interned without an accepted observation has no status (the readers do not make
        # such jobs, but an ObservationLog can be built by hand): it is not counted.
        finals.pop(-1, None)
        outcomes = dict.fromkeys((*(o.value for o in Outcome), UNFINISHED), 0)
        for code, count in finals.items():
            outcome = JobStatus(code).outcome
            outcomes[outcome.value if outcome is not None else UNFINISHED] += count
        jobs = sum(finals.values())
        return LogReport(
            source=self.source,
            format=self.format,
            mode=rules.mode,
            lines=self.lines_read,
            observations=self.observations,
            jobs=jobs,
            conforming=jobs - sum(self.violated),
            unfinished=outcomes[UNFINISHED],
            inferred=inferred,
            late=self.late,
            outcomes=outcomes,
            violations=violations,
            errors=tuple(self.errors),
            rejected=self.rejected,
            violation_count=self.violation_count,
            inferred_statuses=inferred_statuses,
            moves=moves,
        )


def check_log(
    log: ObservationLog,
    mode: Mode | str = Mode.POLLED,
    *,
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
) -> LogReport:
    """Judge every job of ``log`` (the rule is in the module docs); every violation is listed.

    A rejected observation does not change the job's status; repeats are not moves.

    >>> import io
    >>> log = read_log(io.BytesIO(b'{"job_id":"a","status":"WAITING","time":1}\\n'
    ...                           b'{"job_id":"a","status":"COMPLETED","time":2}\\n'))
    >>> check_log(log, "strict").violations[0].allowed == DEFAULT_LIFECYCLE.allowed_next(7)
    True
    >>> check_log(log).ok
    True

    Raises:
        InvalidArgument: ``log`` is not an :class:`ObservationLog` (a path is refused with a hint
            to read it with :func:`read_log` first, or to judge it with :func:`scan_log`).
    """
    if not isinstance(log, ObservationLog):
        if isinstance(log, (str, os.PathLike)):
            path = os.fspath(log)
            raise InvalidArgument(
                "log",
                log,
                f"an ObservationLog, not a path; read the log first: "
                f"check_log(read_log({path!r})), or judge it as it is read: scan_log({path!r})",
            )
        raise InvalidArgument("log", log, "an ObservationLog (what read_log returns)")
    judge = _Judge(log.source, log.format, Rules.for_lifecycle(lifecycle, mode), None)
    judge.job_ids = log.job_ids
    judge._take(log.jobs, log.statuses, log.times, log.lines)
    judge.lines_read = log.lines_read
    judge.errors = list(log.errors)
    judge.rejected = len(log.errors)
    return judge.report()


def count_moves(
    observations: Iterable[Observation],
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    mode: Mode | str = Mode.POLLED,
) -> Counter[tuple[JobStatus, JobStatus]]:
    """How many times each move was observed, per (source, target); for a traffic overlay.

    Observations are judged in the order given, per job, by the rule of :func:`check_log` (the
    module docs): late ones are left out, repeats are not moves. Undeclared moves are counted
    under their own pair (and the job stays where it was). In polled mode (the default) an
    accepted jump counts once on every declared edge of its inferred path, so the traffic lands
    on the edges a diagram draws.

    >>> S = JobStatus
    >>> seen = [Observation("a", S.WAITING, 1, 1), Observation("a", S.COMPLETED, 2, 2)]
    >>> sorted(count_moves(seen).items())
    [((<JobStatus.WAITING: 7>, <JobStatus.RUNNING: 8>), 1), ((<JobStatus.RUNNING: 8>, ...), 1)]
    >>> count_moves(seen, mode="strict")
    Counter({(<JobStatus.WAITING: 7>, <JobStatus.COMPLETED: 10>): 1})
    """
    judge = _Judge("", LogFormat.AUTO, Rules.for_lifecycle(lifecycle, mode), 0)
    index: dict[str, int] = {}
    batch: tuple[list[int], list[int], list[float], list[int]] = ([], [], [], [])
    for obs in observations:
        job = index.get(obs.job_id)
        if job is None:
            job = index[obs.job_id] = len(judge.job_ids)
            judge.job_ids.append(obs.job_id)
        batch[0].append(job)
        batch[1].append(int(obs.status))
        batch[2].append(obs.time)
        batch[3].append(obs.line)
        if len(batch[0]) >= 65536:
            judge._take(*batch)
            batch = ([], [], [], [])
    judge._take(*batch)
    return judge.report().moves
