"""The observations of a log kept: :class:`Observation`, :class:`ObservationLog` (every accepted
line, in columns, and every bad line) and :func:`read_log`, which fills one."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from jobfsm.errors import BadLogLine
from jobfsm.logs.detect import LogFormat, _log_format
from jobfsm.logs.sources import LogSource, _consume

if TYPE_CHECKING:
    from jobfsm.lifecycle import Lifecycle
from jobfsm.vocabulary import Status


class Observation(NamedTuple):
    """One accepted line: a job seen in a status at a time (epoch seconds), its line number, and
    the secondary phase reported with the status (``""`` when none was)."""

    job_id: str
    status: Status
    time: float
    line: int
    detail: str = ""


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
        lifecycle: the lifecycle whose statuses the log was read in.
        details, detail_names: per observation, the number of its secondary phase in
            ``detail_names`` (-1 for none); kept only for lifecycles that declare secondary phases.
        unrecognised_details: secondary phases the lifecycle does not declare, with their counts.
        mismatched_details: ``"Phase/secondary"`` pairs the lifecycle declares apart, counted.
    """

    def __init__(self, source: str, fmt: LogFormat, lifecycle: Lifecycle | None = None) -> None:
        self.source = source
        self.format = fmt
        #: True until a lifecycle is chosen for the log (read_log's auto-detection).
        self.auto = lifecycle is None
        self.lifecycle: Lifecycle = lifecycle if lifecycle is not None else _default()
        self.job_ids: list[str] = []
        self.jobs = array("i")
        self.statuses = array("b")
        self.times = array("d")
        self.lines = array("q")
        self.details = array("h")
        self.detail_names: list[str] = []
        self.unrecognised_details: dict[str, int] = {}
        self.mismatched_details: dict[str, int] = {}
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
        ids, cls, detail = self.job_ids, self.lifecycle.statuses, self._detail
        for i, (j, s, t, n) in enumerate(
            zip(self.jobs, self.statuses, self.times, self.lines, strict=True)
        ):
            yield Observation(ids[j], cls(s), t, n, detail(i))

    def _detail(self, index: int) -> str:
        if not self.details:
            return ""
        code = self.details[index]
        return self.detail_names[code] if code >= 0 else ""

    @property
    def rejected(self) -> int:
        """How many lines were rejected."""
        return len(self.errors)

    def by_job(self) -> Iterator[tuple[str, list[Observation]]]:
        """Each job with its observations in time order (equal times in file order), jobs in
        order of first appearance. A view of the file; judging goes by file order (package docs).
        """
        groups: list[list[int]] = [[] for _ in self.job_ids]
        for i, j in enumerate(self.jobs):
            groups[j].append(i)
        ids, statuses, times, lines = self.job_ids, self.statuses, self.times, self.lines
        for j, indices in enumerate(groups):
            if not indices:
                continue
            indices.sort(key=times.__getitem__)  # stable: equal times keep file order
            job, cls, detail = ids[j], self.lifecycle.statuses, self._detail
            yield (
                job,
                [
                    Observation(job, cls(statuses[i]), times[i], lines[i], detail(i))
                    for i in indices
                ],
            )

    # -- what a reader feeds (the same as _Judge) ------------------------------------------------

    def _take(
        self,
        jobs: list[int],
        statuses: list[int],
        times: list[float],
        lines: list[int],
        details: list[int] | None = None,
    ) -> None:
        self.jobs.extend(jobs)
        self.statuses.extend(statuses)
        self.times.extend(times)
        self.lines.extend(lines)
        if details is not None:
            self.details.extend(details)

    def _adopt(self, lifecycle: Lifecycle) -> None:
        """Read the log in ``lifecycle`` (chosen from its first lines; nothing is read yet)."""
        self.lifecycle = lifecycle
        self.auto = False

    def _reject(self, number: int, problem: str) -> None:
        self.errors.append(BadLogLine(self.source, number, problem))


def read_log(
    source: LogSource,
    fmt: LogFormat | str = LogFormat.AUTO,
    *,
    name: str | None = None,
    progress: Callable[[int], None] | None = None,
    lifecycle: Lifecycle | None = None,
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
        lifecycle: the lifecycle whose statuses the log holds; None picks the built-in one its
            first lines are read by (ModelArts v1 unless they read as v2). A log that holds words
            of another built-in lifecycle is refused whole (see the package docs).

    Raises:
        UnreadableLog: the log cannot be opened or read, is not a text log at all (binary,
            UTF-16), or its CSV header lacks needed columns (see the package docs).
        InvalidArgument: ``fmt`` is not one of the formats (naming them), or ``source`` is neither
            a path nor a file object (``None``, ``bytes``, ...); also a ValueError and TypeError.

    >>> import io
    >>> log = read_log(io.BytesIO(b'{"job_id": "a", "status": 8, "time": 0}\\n{"job_id": 1}\\n'))
    >>> len(log), log.rejected, log.errors[0].problem
    (1, 1, "missing field 'time'; expected an object with job_id, status and time ...")
    """
    fmt = _log_format(fmt)
    log = ObservationLog("", fmt, _checked(lifecycle))
    log.auto = lifecycle is None
    _consume(source, fmt, name, progress, log)
    return log


def _default() -> Lifecycle:
    from jobfsm.lifecycles import builtin

    found = builtin("modelarts-v1")
    assert found is not None
    return found


def _checked(lifecycle: object) -> Lifecycle | None:
    from jobfsm.errors import InvalidArgument
    from jobfsm.lifecycle import Lifecycle

    if lifecycle is None or isinstance(lifecycle, Lifecycle):
        return lifecycle
    raise InvalidArgument(
        "lifecycle", lifecycle, "a Lifecycle (jobfsm.get_lifecycle(name)) or None"
    )
