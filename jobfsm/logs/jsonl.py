"""JSON Lines logs: the reader's hot loop (orjson), ModelArts records met among JSON lines, and
why a JSON line is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from jobfsm.errors import UnknownStatus, _shown
from jobfsm.logs.lines import _binary_problem, _excerpt
from jobfsm.logs.modelarts import V2_SHAPE, _failed, _modelarts_fields, _v2_fields
from jobfsm.logs.reader import _Reader
from jobfsm.logs.times import MS_THRESHOLD, _epoch, _time_text, parse_time

if TYPE_CHECKING:
    from jobfsm.logs.judge import _Judge
    from jobfsm.logs.observations import ObservationLog
    from jobfsm.logs.statuses import _StatusReading


class _JsonReader(_Reader):
    """Reads JSON Lines; ``modelarts``: every line is a ModelArts record, else a line without
    ``time`` but with ``create_time`` is one."""

    def __init__(
        self,
        sink: ObservationLog | _Judge,
        modelarts: bool,
        reading: _StatusReading | None = None,
    ) -> None:
        super().__init__(sink, reading)
        self.modelarts = modelarts

    def feed(self, batch: list[bytes], first: int) -> None:
        self.json_lines(batch, first, self.modelarts, not self.modelarts)

    def json_lines(self, batch: list[bytes], first: int, modelarts: bool, auto: bool) -> None:
        """Read a batch of JSON lines; ``first`` is the number of the first line of the batch."""
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        job_index = self.job_index
        names = self.names
        refused = self.refused
        reading = self.reading
        code_of = reading.code
        limit = reading.limit
        first_int = int_value = 0
        has_details = self.has_details
        reject = self.sink._reject
        jobs: list[int] = []
        statuses: list[int] = []
        times: list[float] = []
        lines: list[int] = []
        details: list[int] | None = [] if has_details else None
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
            detail: object = None
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
                if type(status) is int and 0 <= status < limit:
                    code = status
                    if not first_int:
                        first_int, int_value = number, status
                elif type(status) is str:
                    found = names.get(status)
                    if found is None:
                        known = refused.get(status)
                        if known is not None:
                            reading.refused_again(number, status)
                            reject(number, known)
                            continue
                        found = code_of(status, number)
                    code = found
                else:
                    code = code_of(status, number)
                if has_details:
                    detail = record.get("secondary_phase")
                kind = type(job_id)
                job = job_index.get(job_id) if kind is str or kind is int else None
                if job is None:
                    job = self.intern(job_id)
            except KeyError as exc:
                if type(record.get("status")) is dict or type(record.get("items")) is list:
                    # A v2 training job (or a list of them) as the SDK returns it: no job_id.
                    self._v2_records(record, number, (jobs, statuses, times, lines, details))
                    continue
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
            if details is not None:
                details.append(self.detail_code(detail, code))
        if first_int:
            reading.saw_int(first_int, int_value)
        self.sink.lines_read += len(batch)
        if jobs:
            self.sink._take(jobs, statuses, times, lines, details)

    def _v2_records(
        self,
        record: dict[str, object],
        number: int,
        columns: tuple[list[int], list[int], list[float], list[int], list[int] | None],
    ) -> None:
        """Read a v2 training-job record, or a list response (``items``), on line ``number``.

        A list response is one line of many observations; one bad item makes the line bad and
        none of its items is taken, so the line is wholly read or wholly refused.
        """
        listed = record.get("items")
        items: list[object] = listed if type(listed) is list else [record]
        if self.reading.lifecycle.name == "modelarts-v1":
            # Its phases would half-read as v1 statuses (Running, Completed): refuse it as a word
            # of v2, so that the log is read in v2 or refused whole.
            self.reading.note_foreign(number, None, ("modelarts-v2", "ModelArts v2 record"))
            self.sink._reject(
                number,
                "a ModelArts v2 training-job record; read this log with --lifecycle modelarts-v2",
            )
            return
        taken: list[tuple[int, int, float, object]] = []
        for index, item in enumerate(items):
            where = f"items[{index}]: " if item is not record else ""
            try:
                if type(item) is not dict:
                    raise ValueError(f"a JSON {type(item).__name__}; expected {V2_SHAPE}")
                job_id, phase, detail, when = _v2_fields(item)
                code = self.reading.code(phase, number)
                job = self.job_index.get(job_id) if type(job_id) in (str, int) else None
                if job is None:
                    job = self.intern(job_id)
            except UnknownStatus as exc:
                self.sink._reject(number, f"{where}unknown status: {exc.message}")
                return
            except (ValueError, TypeError, ArithmeticError) as exc:
                self.sink._reject(number, f"{where}{exc}")
                return
            taken.append((job, code, when, detail))
        jobs, statuses, times, lines, details = columns
        for job, code, when, detail in taken:
            jobs.append(job)
            statuses.append(code)
            times.append(when)
            lines.append(number)
            if details is not None:
                details.append(self.detail_code(detail, code))


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
