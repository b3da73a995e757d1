"""A log cut into lines: batches of lines per chunk read, :data:`MAX_LINE` and the longer line
read past in constant memory; a bad line quoted in messages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final, NamedTuple

_CHUNK: Final = 1 << 20
#: The longest line read, in bytes, its line ending excluded; a longer line is one bad line.
MAX_LINE: Final = 1 << 20


class _TooLong(NamedTuple):
    """A line longer than MAX_LINE, read past: its length and its first bytes."""

    length: int
    opening: bytes


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


def _excerpt(raw: bytes, limit: int = 40) -> str:
    """The start of a bad line, quoted, so a person can find it."""
    text = repr(raw[:limit])
    return text + "..." if len(raw) > limit else text


def _binary_problem(raw: bytes) -> str:
    what = "binary data (NUL bytes)" if b"\x00" in raw else "not UTF-8 text"
    return f"{what} {_excerpt(raw)}; expected a line of UTF-8 text"
