"""Opening a log: a path or a file object (binary, or text read as UTF-8), read chunk by chunk
and fed, batch by batch of lines, to the reader of its format."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO, Final, TextIO

from jobfsm.errors import InvalidArgument, JobFSMError, UnreadableLog
from jobfsm.lifecycles import BUILTIN, builtin
from jobfsm.logs.csvlog import _CsvReader
from jobfsm.logs.detect import LogFormat, _check_head
from jobfsm.logs.jsonl import _JsonReader
from jobfsm.logs.lines import _CHUNK, _batches, _TooLong
from jobfsm.logs.reader import _Reader

if TYPE_CHECKING:
    from jobfsm.lifecycle import Lifecycle
    from jobfsm.logs.judge import _Judge
    from jobfsm.logs.observations import ObservationLog
    from jobfsm.logs.statuses import _StatusReading

#: What read_log reads, for its TypeError.
_ACCEPTED_SOURCE: Final = (
    "a path (str or os.PathLike) or a file object open for reading, binary (sys.stdin.buffer) "
    "or text (read as UTF-8)"
)

#: A log's source as read_log and scan_log take it.
LogSource = str | os.PathLike[str] | BinaryIO | TextIO


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
    head, fmt = _check_head(head, fmt, label, read, progress)
    sink.source = label
    sink.format = fmt
    reading = None
    if sink.auto:
        lifecycle, reading = _choose_lifecycle(head, fmt, label)
        sink._adopt(lifecycle)
    reader = _reader(sink, fmt, reading)
    number = 1
    for batch in _batches(read, head, progress):
        if type(batch) is _TooLong:
            reader.too_long(number, batch)
            number += 1
            continue
        assert type(batch) is list
        reader.feed(batch, number)
        number += len(batch)
    reader.reading.check_one_lifecycle(label)


def _reader(
    sink: ObservationLog | _Judge, fmt: LogFormat, reading: _StatusReading | None = None
) -> _Reader:
    if fmt is LogFormat.CSV:
        return _CsvReader(sink, reading)
    return _JsonReader(sink, fmt is LogFormat.MODELARTS, reading)


#: How many of the first lines pick the lifecycle of a log read without one.
_DETECT_LINES: Final = 1000


def _choose_lifecycle(
    head: bytes, fmt: LogFormat, label: str
) -> tuple[Lifecycle, _StatusReading | None]:
    """The built-in lifecycle that reads the first lines of the log best (fewest lines refused,
    words of another lifecycle counted as refused); ModelArts v1 on a tie, as before v2 existed.

    What the rest of the log holds is still checked as it is read: a word of another lifecycle
    further down refuses the log whole (:meth:`_StatusReading.check_one_lifecycle`).
    """
    from jobfsm.logs.observations import ObservationLog

    rows = head.split(b"\n", _DETECT_LINES)[:_DETECT_LINES]
    if len(rows) > 1:
        rows = rows[:-1]  # the last one may be cut by the end of the chunk
    rows = [row.removesuffix(b"\r") for row in rows]
    best: tuple[int, int, Lifecycle, _StatusReading] | None = None
    for index, name in enumerate(BUILTIN):
        lifecycle = builtin(name)
        assert lifecycle is not None
        trial = ObservationLog(label, fmt, lifecycle)
        try:
            reader = _reader(trial, fmt)
            reader.feed(rows, 1)
        except JobFSMError:
            continue  # the real read reports it
        score = (trial.rejected + reader.reading.foreign_lines, index, lifecycle, reader.reading)
        if best is None or score[:2] < best[:2]:
            best = score
    if best is None:
        default = builtin(next(iter(BUILTIN)))
        assert default is not None
        return default, None
    return best[2], best[3].handed_over()
