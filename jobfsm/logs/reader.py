"""What the reader of every format shares: the sink it feeds, job ids interned and checked, and
the line longer than :data:`~jobfsm.logs.lines.MAX_LINE`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobfsm.errors import _shown, find_control_character
from jobfsm.logs.lines import MAX_LINE, _excerpt, _TooLong
from jobfsm.logs.statuses import _StatusReading

if TYPE_CHECKING:
    from jobfsm.logs.judge import _Judge
    from jobfsm.logs.observations import ObservationLog

_ACCEPTED_JOB = (
    "an integer, or a string with a character other than white space and no control character "
    "(U+0000–U+001F, U+007F)"
)


class _Reader:
    """Parses the lines of one log and feeds them to a sink (an ObservationLog or a _Judge).

    Accepted observations go to ``sink._take`` in one batch of columns per chunk of the file,
    rejected lines to ``sink._reject`` one by one; the sink's ``job_ids`` is the interning table.
    One subclass per format reads its lines: :class:`~jobfsm.logs.jsonl._JsonReader` (JSON Lines
    and ModelArts records) and :class:`~jobfsm.logs.csvlog._CsvReader`.
    """

    def __init__(
        self, sink: ObservationLog | _Judge, reading: _StatusReading | None = None
    ) -> None:
        self.sink = sink
        self.source = sink.source
        self.job_ids = sink.job_ids
        self.job_index: dict[object, int] = {}
        self.reading = reading if reading is not None else _StatusReading(sink.lifecycle)
        self.names = self.reading.names
        self.refused = self.reading.refused
        vocab = self.reading.vocabulary
        #: Secondary phases are read only where the lifecycle declares some (ModelArts v2).
        self.has_details = bool(vocab.details)
        self._declared_details = vocab.details
        self._detail_codes: dict[object, int] = {}

    def feed(self, batch: list[bytes], first: int) -> None:
        """Read a batch of lines; ``first`` is the number of the first line of the batch."""
        raise NotImplementedError

    def reject(self, number: int, problem: str) -> None:
        self.sink._reject(number, problem)

    def too_long(self, number: int, line: _TooLong) -> None:
        self.sink.lines_read += 1
        self.reject(
            number,
            f"a line of {line.length:,} bytes, longer than the longest line read "
            f"({MAX_LINE:,} bytes); it starts {_excerpt(line.opening)}",
        )

    def detail_code(self, value: object, status: int) -> int:
        """The sink's number for the secondary phase ``value`` seen with status code ``status``
        (-1 for none); one the lifecycle does not declare, or declares for another status, is
        counted and kept, never refused: only the phase is judged."""
        if value is None or value == "":
            return -1
        text = value if isinstance(value, str) else _shown(value)
        sink = self.sink
        code = self._detail_codes.get(text)
        if code is None:
            code = self._detail_codes[text] = len(sink.detail_names)
            sink.detail_names.append(text)
        with_status = self._declared_details.get(text)
        if with_status is None:
            sink.unrecognised_details[text] = sink.unrecognised_details.get(text, 0) + 1
        elif status not in with_status:
            key = f"{self.reading.statuses(status).name}/{text}"
            sink.mismatched_details[key] = sink.mismatched_details.get(key, 0) + 1
        return code

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
