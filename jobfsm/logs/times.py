"""Observation times read as epoch seconds (:func:`parse_time`): ISO 8601, or epoch seconds or
milliseconds, between 1970-01-01 and 9999-12-31 UTC."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Final

from jobfsm.errors import InvalidTime

_UTC = timezone.utc
_fromisoformat = datetime.fromisoformat
#: Epoch numbers of this magnitude or more are milliseconds.
MS_THRESHOLD: Final = 1e11
#: The accepted times, in epoch seconds: 1970-01-01T00:00:00Z up to the end of 9999-12-31 UTC.
MIN_TIME: Final = 0.0
MAX_TIME: Final = datetime(9999, 12, 31, 23, 59, 59, 999999, timezone.utc).timestamp()

_ACCEPTED_TIME = (
    "ISO 8601 (2026-03-01T08:00:00Z; no zone means UTC) or epoch seconds or milliseconds"
)
_ACCEPTED_RANGE = "between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z"


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
