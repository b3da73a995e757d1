"""CSV logs: the header and its columns (or none), the cells and record of one line, and hints
for a refused line."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Final

from jobfsm.errors import UnknownStatus, UnreadableLog, _shown
from jobfsm.logs.lines import _binary_problem, _excerpt, _TooLong
from jobfsm.logs.modelarts import _modelarts_time
from jobfsm.logs.reader import _Reader
from jobfsm.logs.times import _fromisoformat, _time_text

if TYPE_CHECKING:
    from jobfsm.logs.judge import _Judge
    from jobfsm.logs.observations import ObservationLog
    from jobfsm.logs.statuses import _StatusReading

#: Column names of a CSV header; a first line with one of them but no job_id is a bad header.
_COLUMNS: Final = frozenset({"status", "time", "create_time", "duration"})
#: The columns a CSV log is read from, each of which a header may name only once.
_READ_COLUMNS: Final = ("job_id", "status", "time", "create_time", "duration", "secondary_phase")


class _CsvReader(_Reader):
    """Reads CSV lines: the first one is a header naming the columns, or a line of data."""

    def __init__(
        self, sink: ObservationLog | _Judge, reading: _StatusReading | None = None
    ) -> None:
        super().__init__(sink, reading)
        self.csv_columns: tuple[int, int, int, int] | None = None
        #: The number of the first CSV line when it was taken as data, for a header hint.
        self.csv_headless_first = 0
        #: The CSV batch being read: jobs, statuses, times and line numbers.
        self.batch: tuple[list[int], list[int], list[float], list[int]] = ([], [], [], [])
        #: The column of secondary phases (-1: none), and the batch's secondary phases.
        self.detail_column = -1
        self.details: list[int] | None = None

    def feed(self, batch: list[bytes], first: int) -> None:
        self.csv_lines(batch, first)

    def too_long(self, number: int, line: _TooLong) -> None:
        if self.csv_columns is None:
            # No header is a megabyte long: the log has none, and this was its first line.
            self.csv_columns = (0, 1, 2, -1)
        super().too_long(number, line)

    def csv_lines(self, batch: list[bytes], first: int) -> None:
        sink = self.sink
        self.batch = ([], [], [], [])
        self.details = [] if self.has_details else None
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
            sink._take(*self.batch, self.details)

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
        if "secondary_phase" in names:
            self.detail_column = names.index("secondary_phase")
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
            self.reading.refused_again(number, status)
            return known
        try:
            code = self.names.get(status)
            if code is None:
                code = self.reading.code(status, number)
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
        if self.details is not None:
            column = self.detail_column
            detail = cells[column].strip() if 0 <= column < len(cells) else None
            self.details.append(self.detail_code(detail, code))
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
