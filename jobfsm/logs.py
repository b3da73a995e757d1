"""Status logs: poll observations read from JSON Lines, CSV or ModelArts records, and judged.

A status log is what a poller writes: one observation per line, ``job_id``, ``status`` and
``time``. This module reads such logs without ever stopping on bad input, stores the accepted
observations compactly in columns, and judges every job against the lifecycle with the same
rules as :func:`jobfsm.validate.validate_history`.

What is read:

- **JSON Lines**: one object per line with ``job_id`` (string or integer), ``status`` (a code
  0–22 or any name :meth:`JobStatus.parse` accepts) and ``time``.
- **CSV**: a header naming the columns ``job_id``, ``status`` and ``time`` (any order, other
  columns ignored); without a header the columns are taken as ``job_id,status,time``. A first
  line naming ``status`` or ``time`` but not ``job_id`` is a header missing a column (the log is
  unreadable), and so is a header naming one of these columns twice. Fields do not span lines;
  a line split by semicolons or tabs is rejected with a hint about the delimiter.
- **ModelArts v1 records** (``get_job_info()`` responses, one per line): ``job_id``, ``status``,
  ``create_time`` (epoch milliseconds) and ``duration`` (milliseconds), each a finite number, 0
  or more (a negative one is a bad line); the observation time is ``create_time + duration``.
  When a record carries ``version_id`` the job is ``"<job_id>/<version_id>"``, because a re-run
  is a new job version with a lifecycle of its own.
  A failed response (``is_success`` false, with ``error_code`` and ``error_msg``) is a bad line
  naming both, in any JSON format.

Job ids: an integer, or a string that is not blank and holds no C0 control character or DEL
(U+0000–U+001F, U+007F); any other character, non-ASCII spaces included, is kept as written
(CSV cells are stripped first). Any other id is a bad line.

Times: ISO 8601 (anything :meth:`datetime.fromisoformat` reads, plus a trailing ``Z``); a time
without a zone is read as UTC. Or epoch numbers (also as strings): a magnitude of 10**11 or more
is milliseconds, anything smaller is seconds (10**11 seconds is the year 5138, 10**11
milliseconds is March 1973). A time must lie between 1970-01-01 and 9999-12-31 UTC (what a
:class:`~datetime.datetime` can hold); anything else is a bad line naming the value.

Accounting: every line of the file is either an accepted observation or a rejected line, so
``lines == observations + rejected``; a job exists once one of its lines is accepted. Blank
lines are rejected lines (``"empty line"``); a CSV header is not a line of data and is not
counted. A UTF-8 byte order mark on the first line and CRLF line endings are accepted; a log of a
byte order mark alone has no lines.

Order: observations are judged per job in time order; equal times keep file order.
"""

from __future__ import annotations

import csv
import enum
import itertools
import math
import os
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, BinaryIO, Final, NamedTuple, TextIO

import orjson

from jobfsm.errors import (
    BadLogLine,
    InvalidArgument,
    UnknownStatus,
    UnreadableLog,
    find_control_character,
)
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.status import JobStatus, Outcome
from jobfsm.validate import Mode, Rules, StepKind

__all__ = [
    "LogFormat",
    "LogReport",
    "LogViolation",
    "Observation",
    "ObservationLog",
    "check_log",
    "count_moves",
    "parse_time",
    "read_log",
]

_UTC = timezone.utc
_fromisoformat = datetime.fromisoformat
_BOM: Final = b"\xef\xbb\xbf"
_CHUNK: Final = 1 << 20
#: Epoch numbers of this magnitude or more are milliseconds.
MS_THRESHOLD: Final = 1e11
_STATUS_COUNT: Final = len(JobStatus)
#: The accepted times, in epoch seconds: 1970-01-01T00:00:00Z up to the end of 9999-12-31 UTC.
MIN_TIME: Final = 0.0
MAX_TIME: Final = datetime(9999, 12, 31, 23, 59, 59, 999999, timezone.utc).timestamp()

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
        ValueError: naming the value and what would be accepted.

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
    raise ValueError(f"time {value!r} is not a time; expected {_ACCEPTED_TIME}")


def _epoch(number: float) -> float:
    seconds = float(number)
    if not math.isfinite(seconds):
        raise ValueError(f"time {number!r} is not a finite number; expected {_ACCEPTED_TIME}")
    return _in_range(seconds / 1000.0 if abs(seconds) >= MS_THRESHOLD else seconds, number)


def _in_range(seconds: float, value: object) -> float:
    """``seconds``, unless it is outside what a datetime can hold (or before 1970)."""
    if MIN_TIME <= seconds <= MAX_TIME:
        return seconds
    ms = isinstance(value, (int, float)) and abs(value) >= MS_THRESHOLD
    unit = " (read as milliseconds)" if ms else ""
    raise ValueError(f"time {value!r}{unit} is out of range; expected a time {_ACCEPTED_RANGE}")


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
        raise ValueError(f"time {text!r} is not a time; expected {_ACCEPTED_TIME}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    return _in_range(moment.timestamp(), text)


def _status_code(value: object, cache: dict[str, int]) -> int:
    """The status code of ``value``, or raise with the reason; names are cached once parsed."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < _STATUS_COUNT:
            return value
        raise UnknownStatus(value)
    if isinstance(value, str):
        code = cache.get(value)
        if code is None:
            code = int(JobStatus.parse(value))
            cache[value] = code
        return code
    raise UnknownStatus(value)


class ObservationLog:
    """Every accepted observation of one log, in file order, stored in columns; and every bad line.

    Columns keep a million observations in about 21 MB: job ids are interned to 32-bit ints
    (:attr:`job_ids` maps them back), statuses are bytes, times doubles, line numbers 64-bit ints.

    Attributes:
        source: the log's name (a path, or ``<stdin>``).
        format: the format it was read as.
        job_ids: the job id of each interned job number, in order of first appearance.
        jobs, statuses, times, lines: one entry per accepted observation.
        errors: one :class:`~jobfsm.errors.BadLogLine` per rejected line, in file order.
        lines_read: every line read, the CSV header excepted.
        late: observations that arrived after a later-timed observation of the same job.
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
        self.late = 0
        #: Jobs whose observations are not in time order in the file.
        self.unsorted_jobs: set[int] = set()

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

    def job_indices(self, only: set[int] | None = None) -> dict[int, list[int]]:
        """For each interned job (or each of ``only``), its observation indices by time.

        Equal times keep file order.
        """
        groups: dict[int, list[int]] = {
            j: [] for j in (range(len(self.job_ids)) if only is None else sorted(only))
        }
        if only is None:
            for i, j in enumerate(self.jobs):
                groups[j].append(i)
        else:
            for i, j in enumerate(self.jobs):
                if j in only:
                    groups[j].append(i)
        times = self.times
        for j in self.unsorted_jobs:
            if j in groups:
                # sort is stable and indices are in file order, so equal times keep file order.
                groups[j].sort(key=times.__getitem__)
        return groups

    def by_job(self) -> Iterator[tuple[str, list[Observation]]]:
        """Each job with its observations in time order, jobs in order of first appearance."""
        ids, statuses, times, lines = self.job_ids, self.statuses, self.times, self.lines
        for j, indices in self.job_indices().items():
            job = ids[j]
            yield (
                job,
                [Observation(job, JobStatus(statuses[i]), times[i], lines[i]) for i in indices],
            )


class _Reader:
    """Appends the lines of one log to an :class:`ObservationLog`; one method per format."""

    def __init__(self, log: ObservationLog) -> None:
        self.log = log
        self.job_index: dict[object, int] = {}
        self.last_time: list[float] = []
        self.names: dict[str, int] = {}
        self.csv_columns: tuple[int, int, int, int] | None = None
        #: The number of the first CSV line when it was taken as data, for a header hint.
        self.csv_headless_first = 0

    # -- shared pieces ---------------------------------------------------------------------------

    def reject(self, number: int, problem: str) -> None:
        self.log.errors.append(BadLogLine(self.log.source, number, problem))

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
            raise ValueError(f"job_id {raw!r} is not a job id; expected {_ACCEPTED_JOB}")
        found = self.job_index.get(key)
        if found is None:
            problem = _job_id_problem("job_id", key)
            if problem is not None:
                raise ValueError(problem)
            found = len(self.log.job_ids)
            self.log.job_ids.append(key)
            self.job_index[key] = found
            self.last_time.append(-math.inf)
        self.job_index[raw] = found
        return found

    def add(self, job: int, code: int, when: float, number: int) -> None:
        log = self.log
        log.jobs.append(job)
        log.statuses.append(code)
        log.times.append(when)
        log.lines.append(number)
        if when < self.last_time[job]:
            log.late += 1
            log.unsorted_jobs.add(job)
        else:
            self.last_time[job] = when

    # -- JSON Lines and ModelArts records --------------------------------------------------------

    def json_lines(self, batch: list[bytes], first: int, modelarts: bool, auto: bool) -> None:
        """Read a batch of JSON lines; ``first`` is the number of the first line of the batch."""
        log = self.log
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        job_index = self.job_index
        last_time = self.last_time
        names = self.names
        jobs, statuses, times, lines = log.jobs, log.statuses, log.times, log.lines
        number = first - 1
        # The hot loop: one dict lookup per field, typed fast paths, slow paths in helpers, and
        # add() inlined at the end (a method call per line costs more than the appends).
        for raw in batch:
            number += 1
            try:
                record = loads(raw)
            except decode_error as exc:
                self.reject(number, _json_problem(raw, exc))
                continue
            if type(record) is not dict:
                self.reject(number, _not_an_object(record, modelarts))
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
                else:
                    found = names.get(status) if type(status) is str else None
                    code = found if found is not None else _status_code(status, names)
                kind = type(job_id)
                job = job_index.get(job_id) if kind is str or kind is int else None
                if job is None:
                    job = self.intern(job_id)
            except KeyError as exc:
                # A failed API response lacks every field; say what it is instead.
                failed = record.get("is_success") is False
                self.reject(number, _failed(record) if failed else _missing(exc.args[0], modelarts))
                continue
            except UnknownStatus as exc:
                self.reject(number, f"unknown status: {exc.message}")
                continue
            except (ValueError, TypeError) as exc:
                self.reject(number, str(exc))
                continue
            jobs.append(job)
            statuses.append(code)
            times.append(when)
            lines.append(number)
            if when < last_time[job]:
                log.late += 1
                log.unsorted_jobs.add(job)
            else:
                last_time[job] = when
        log.lines_read = number

    # -- CSV -------------------------------------------------------------------------------------

    def csv_lines(self, batch: list[bytes], first: int) -> None:
        log = self.log
        number = first - 1
        for raw in batch:
            number += 1
            if self.csv_columns is None and self._csv_header(raw, number):
                continue
            log.lines_read += 1
            try:
                text = raw.decode("utf-8").rstrip("\r")
            except UnicodeDecodeError:
                self.reject(number, _binary_problem(raw))
                continue
            if not text.strip():
                self.reject(number, "empty line; expected job_id,status,time")
                continue
            if "\x00" in text:
                self.reject(number, _binary_problem(raw))
                continue
            cells = next(csv.reader([text])) if '"' in text else text.split(",")
            problem = self._csv_record(cells, number)
            if problem is not None:
                self.reject(number, problem + self._csv_hint(text, number))

    def _csv_header(self, raw: bytes, number: int) -> bool:
        """Take the columns from the first line; True when it was a header (not data)."""
        text = raw.decode("utf-8", "replace").rstrip("\r")
        names = [c.strip().lower() for c in next(csv.reader([text]))] if text.strip() else []
        if "job_id" not in names:
            if _COLUMNS.intersection(names):
                raise UnreadableLog(
                    self.log.source,
                    "the CSV header has no 'job_id' column; "
                    "expected the columns job_id,status,time",
                )
            self.csv_columns = (0, 1, 2, -1)
            self.csv_headless_first = number
            return False
        for column in _READ_COLUMNS:
            if names.count(column) > 1:
                # Which of the two to read would be a guess, and the wrong one judges wrong data.
                raise UnreadableLog(
                    self.log.source,
                    f"the CSV header names the column {column!r} {names.count(column)} times; "
                    "expected each of job_id, status and time (or create_time and duration) once",
                )
        if "status" not in names:
            raise UnreadableLog(self.log.source, "the CSV header has no 'status' column")
        if "time" in names:
            when, duration = names.index("time"), -1
        elif "create_time" in names and "duration" in names:
            when, duration = names.index("create_time"), names.index("duration")
        else:
            raise UnreadableLog(
                self.log.source,
                "the CSV header has no 'time' column (nor 'create_time' and 'duration'); "
                "expected the columns job_id,status,time",
            )
        self.csv_columns = (names.index("job_id"), names.index("status"), when, duration)
        return True

    def _csv_record(self, cells: list[str], number: int) -> str | None:
        """Add the observation of one line; or return why the line is rejected."""
        assert self.csv_columns is not None
        job_col, status_col, time_col, duration_col = self.csv_columns
        width = max(job_col, status_col, time_col, duration_col) + 1
        if len(cells) < width:
            return (
                f"{len(cells)} field(s) in {','.join(cells)!r}, expected at least {width} "
                "(job_id, status, time)"
            )
        try:
            code = _status_code(cells[status_col], self.names)
            if duration_col < 0:
                when = _time_text(cells[time_col])
            else:
                when = _modelarts_time(cells[time_col], cells[duration_col])
            # Interned last: a job is known only once one of its lines is accepted.
            job = self.intern(cells[job_col].strip())
        except UnknownStatus as exc:
            return f"unknown status: {exc.message}"
        except ValueError as exc:
            return str(exc)
        self.add(job, code, when, number)
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


_ACCEPTED_MS: Final = {
    "create_time": "epoch milliseconds, 0 or more",
    "duration": "a finite number of milliseconds, 0 or more",
}


def _ms(value: object, field: str) -> float:
    """A ModelArts millisecond field: a finite number, never negative (time does not run back)."""
    try:
        number = float(value.strip() if type(value) is str else value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    # One comparison refuses NaN, infinities and negatives alike; the reason is found after.
    if 0.0 <= number < math.inf and type(value) is not bool:
        return number
    if type(value) is bool or not math.isfinite(number):
        raise ValueError(
            f"{field} {value!r} is not a number of milliseconds; expected {_ACCEPTED_MS[field]}"
        )
    raise ValueError(f"{field} {value!r} is negative; expected {_ACCEPTED_MS[field]}")


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
        f"a failed API response (error_code {record.get('error_code')!r}, error_msg {text!r}), "
        "not a job status"
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
        return f"{field} {text!r} is not a job id (it is blank); expected {_ACCEPTED_JOB}"
    found = find_control_character(text)
    if found is None:
        return None
    return (
        f"{field} {text!r} is not a job id (it holds the control character {found.group()!r}); "
        f"expected {_ACCEPTED_JOB}"
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
    return f"missing field {field!r}; expected an object with {shape}"


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


def _sniff(head: bytes, name: str) -> LogFormat:
    """The format of a log from its file name, else from its first lines."""
    lower = name.lower()
    if lower.endswith(".csv"):
        return LogFormat.CSV
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return LogFormat.JSONL
    rows = [row.removeprefix(_BOM).strip() for row in head.split(b"\n", 100)[:100]]
    rows = [row for row in rows if row]
    if not rows or any(row.startswith(b"{") for row in rows):
        return LogFormat.JSONL
    return LogFormat.CSV


def _batches(
    read: Callable[[int], bytes], head: bytes, progress: Callable[[int], None] | None
) -> Iterator[list[bytes]]:
    """The lines ``read`` returns in batches, split on LF; the first chunk ``head`` is read."""
    carry = b""
    chunk = head
    while chunk:
        if progress is not None:
            progress(len(chunk))
        parts = (carry + chunk).split(b"\n")
        carry = parts.pop()
        yield parts
        chunk = read(_CHUNK)
    if carry:
        # The last line has no newline: often a line cut short by a writer that died.
        yield [carry]


#: What read_log reads, for its TypeError.
_ACCEPTED_SOURCE: Final = (
    "a path (str or os.PathLike) or a file object open for reading, binary (sys.stdin.buffer) "
    "or text (read as UTF-8)"
)


def read_log(
    source: str | os.PathLike[str] | BinaryIO | TextIO,
    fmt: LogFormat | str = LogFormat.AUTO,
    *,
    name: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ObservationLog:
    """Read every line of a status log; bad lines are recorded, never raised.

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
        UnreadableLog: the log cannot be opened or read, or a CSV header lacks needed columns.
        InvalidArgument: ``fmt`` is not one of the formats (naming them), or ``source`` is neither
            a path nor a file object (``None``, ``bytes``, ...); also a ValueError and TypeError.

    >>> import io
    >>> log = read_log(io.BytesIO(b'{"job_id": "a", "status": 8, "time": 0}\\n{"job_id": 1}\\n'))
    >>> len(log), log.rejected, log.errors[0].problem
    (1, 1, "missing field 'time'; expected an object with job_id, status and time ...")
    """
    fmt = _log_format(fmt)
    if isinstance(source, (bytes, bytearray, memoryview)):
        raise InvalidArgument(
            "source",
            source,
            f"{_ACCEPTED_SOURCE} (wrap log content held in memory in io.BytesIO)",
        )
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        label = name or path
        try:
            with open(path, "rb") as stream:
                return _read(stream, fmt, label, progress)
        except OSError as exc:
            raise UnreadableLog(label, exc.strerror or str(exc)) from None
    if not callable(getattr(source, "read", None)):
        raise InvalidArgument("source", source, _ACCEPTED_SOURCE)
    label = str(name or getattr(source, "name", None) or "<stream>")
    try:
        return _read(source, fmt, label, progress)
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
) -> ObservationLog:
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
    if head.startswith(_BOM):
        # The mark is not data: a log holding nothing else has no lines (like an empty one).
        if progress is not None:
            progress(len(_BOM))
        head = head[len(_BOM) :] or read(_CHUNK)
    if fmt is LogFormat.AUTO:
        fmt = _sniff(head, label)
    log = ObservationLog(label, fmt)
    reader = _Reader(log)
    first = 1
    for batch in _batches(read, head, progress):
        if fmt is LogFormat.CSV:
            reader.csv_lines(batch, first)
        else:
            modelarts = fmt is LogFormat.MODELARTS
            reader.json_lines(batch, first, modelarts, not modelarts)
        first += len(batch)
    return log


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
    """The judgment of a whole log.

    A job counts once it has at least one accepted observation; it conforms when none of its
    observations is a violation. Its first observation sets its status unjudged (polling may
    start at any point of a job's life).
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

    @property
    def rejected(self) -> int:
        """Lines that were not read as observations."""
        return len(self.errors)

    @property
    def violating(self) -> int:
        """Jobs with at least one violation."""
        return self.jobs - self.conforming

    @property
    def ok(self) -> bool:
        """True when every job conforms and every line was read."""
        return not self.violations and not self.errors

    def to_dict(self, max_errors: int | None = None) -> dict[str, Any]:
        """A JSON-safe form; ``max_errors`` caps the listed bad lines (``errors_omitted`` says how
        many more there were)."""
        shown = self.errors if max_errors is None else self.errors[:max_errors]
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
            "late": self.late,
            "outcomes": dict(self.outcomes),
            "violations": [v.to_dict() for v in self.violations],
            "errors": [{"line": e.line, "message": e.problem} for e in shown],
            "errors_omitted": len(self.errors) - len(shown),
        }


_REPEAT, _MOVE, _INFERRED, _VIOLATION = 0, 1, 2, 3
_KIND_CODE: Final = {
    StepKind.REPEAT: _REPEAT,
    StepKind.MOVE: _MOVE,
    StepKind.INFERRED: _INFERRED,
    StepKind.VIOLATION: _VIOLATION,
}


def _kind_rows(rules: Rules) -> list[list[int]]:
    return [[_KIND_CODE[step.kind] for step in row] for row in rules.table]


def check_log(
    log: ObservationLog,
    mode: Mode | str = Mode.STRICT,
    *,
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
) -> LogReport:
    """Judge every job of ``log`` with :class:`~jobfsm.validate.Rules` table lookups.

    A rejected observation does not change the job's status; repeats are not moves.

    >>> import io
    >>> log = read_log(io.BytesIO(b'{"job_id":"a","status":"WAITING","time":1}\\n'
    ...                           b'{"job_id":"a","status":"COMPLETED","time":2}\\n'))
    >>> check_log(log, "strict").violations[0].allowed == DEFAULT_LIFECYCLE.allowed_next(7)
    True
    >>> check_log(log, "polled").ok
    True

    Raises:
        InvalidArgument: ``log`` is not an :class:`ObservationLog` (a path is refused with a hint
            to read it with :func:`read_log` first, which is where its format is chosen).
    """
    if not isinstance(log, ObservationLog):
        if isinstance(log, (str, os.PathLike)):
            path = os.fspath(log)
            raise InvalidArgument(
                "log",
                log,
                f"an ObservationLog, not a path; read the log first: check_log(read_log({path!r}))",
            )
        raise InvalidArgument("log", log, "an ObservationLog (what read_log returns)")
    mode = Mode.parse(mode)
    rows = _kind_rows(Rules.for_lifecycle(lifecycle, mode))
    n_jobs = len(log.job_ids)
    state = [-1] * n_jobs
    seen = [-1] * n_jobs  # each job's observation before, accepted or not
    found: list[tuple[int, int]] = []  # (observation index, status the job was in)
    inferred = 0
    late = log.unsorted_jobs
    jobs, statuses = log.jobs, log.statuses

    ordered: Iterable[tuple[int, int, int]] = zip(range(len(jobs)), jobs, statuses, strict=True)
    if late:
        # Jobs are independent, so file order serves for every job whose lines are in time order;
        # the few jobs with late lines follow, each re-sorted by time.
        ordered = itertools.chain(
            ((i, j, s) for i, j, s in ordered if j not in late),
            ((i, j, statuses[i]) for j, indices in log.job_indices(late).items() for i in indices),
        )
    # Rules.walk's judgment, run over all jobs at once on int columns: a generator per job would
    # cost more than the judging itself on a million lines.
    for i, j, s in ordered:
        if seen[j] == s:
            continue  # a repeat of the job's observation before, whatever its verdict was
        seen[j] = s
        current = state[j]
        if current == s:
            continue
        if current < 0:
            state[j] = s
            continue
        kind = rows[current][s]
        if kind == _VIOLATION:
            found.append((i, current))
            continue
        state[j] = s
        if kind == _INFERRED:
            inferred += 1

    found.sort(key=lambda item: log.lines[item[0]])
    allowed = lifecycle.next_map
    violations = tuple(
        LogViolation(
            log.job_ids[jobs[i]],
            log.lines[i],
            log.times[i],
            JobStatus(source),
            JobStatus(statuses[i]),
            allowed[JobStatus(source)],
        )
        for i, source in found
    )
    outcomes: Counter[str] = Counter()
    finals = Counter(state)
    # A job interned without an accepted observation has no status (the readers do not make
    # such jobs, but an ObservationLog can be built by hand): it is not counted.
    n_jobs -= finals.pop(-1, 0)
    for code, count in finals.items():
        outcome = JobStatus(code).outcome
        outcomes[outcome.value if outcome is not None else UNFINISHED] += count
    violating = len({jobs[i] for i, _ in found})
    return LogReport(
        source=log.source,
        format=log.format,
        mode=mode,
        lines=log.lines_read,
        observations=len(log),
        jobs=n_jobs,
        conforming=n_jobs - violating,
        unfinished=outcomes[UNFINISHED],
        inferred=inferred,
        late=log.late,
        outcomes={o: outcomes[o] for o in (*(x.value for x in Outcome), UNFINISHED)},
        violations=violations,
        errors=tuple(log.errors),
    )


def count_moves(
    observations: Iterable[Observation],
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    mode: Mode | str = Mode.STRICT,
) -> Counter[tuple[JobStatus, JobStatus]]:
    """How many times each move was observed, per (source, target); for a traffic overlay.

    Observations are grouped per job and taken in time order (equal times in line order).
    Undeclared moves are counted under their own pair (and the job stays where it was, as in
    :func:`check_log`). In polled mode an accepted jump counts once on every declared edge of its
    inferred path, so the traffic lands on the edges a diagram draws.

    >>> S = JobStatus
    >>> seen = [Observation("a", S.WAITING, 1, 1), Observation("a", S.COMPLETED, 2, 2)]
    >>> sorted(count_moves(seen, mode="polled").items())
    [((<JobStatus.WAITING: 7>, <JobStatus.RUNNING: 8>), 1), ((<JobStatus.RUNNING: 8>, ...), 1)]
    >>> count_moves(seen, mode="strict")
    Counter({(<JobStatus.WAITING: 7>, <JobStatus.COMPLETED: 10>): 1})
    """
    rules = Rules.for_lifecycle(lifecycle, mode)
    per_job: dict[str, list[Observation]] = {}
    for obs in observations:
        per_job.setdefault(obs.job_id, []).append(obs)
    counts: Counter[tuple[JobStatus, JobStatus]] = Counter()
    for seen in per_job.values():
        seen.sort(key=lambda o: (o.time, o.line))
        statuses = [JobStatus(o.status) for o in seen]
        for index, source, step in rules.walk(statuses):
            target = statuses[index]
            if step.kind is StepKind.VIOLATION:
                counts[(source, target)] += 1
            else:
                for a, b in itertools.pairwise((source, *step.skipped, target)):
                    counts[(a, b)] += 1
    return counts
