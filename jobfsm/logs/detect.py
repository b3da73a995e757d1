"""A log's format (:class:`LogFormat`: from its file name, else its first lines) and the rule
that refuses a file whole as no log at all (binary, UTF-16, not JSON where JSON is read)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Final

import orjson

from jobfsm.errors import InvalidArgument, UnreadableLog
from jobfsm.logs.lines import _CHUNK, _excerpt

_BOM: Final = b"\xef\xbb\xbf"
#: UTF-16 byte order marks (little and big endian; UTF-32 LE starts with the first one too).
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
#: How many of the first lines decide whether a file is text at all.
_SAMPLE_LINES: Final = 100


class LogFormat(str, enum.Enum):
    """How the lines of a status log are written."""

    AUTO = "auto"
    JSONL = "jsonl"
    CSV = "csv"
    MODELARTS = "modelarts"


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


def _log_format(fmt: object) -> LogFormat:
    """``fmt`` as a :class:`LogFormat`, or a ValueError listing the formats."""
    try:
        return LogFormat(fmt)
    except ValueError:
        formats = ", ".join(f.value for f in LogFormat)
        raise InvalidArgument("fmt", fmt, f"a log format, one of {formats}") from None


def _check_head(
    head: bytes,
    fmt: LogFormat,
    label: str,
    read: Callable[[int], bytes],
    progress: Callable[[int], None] | None,
) -> tuple[bytes, LogFormat]:
    """The first chunk of a log, its UTF-8 byte order mark dropped, and the format to read it in.

    Raises UnreadableLog for a file that is no log at all (the package docs).
    """
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
    return head, fmt
