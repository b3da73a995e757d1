"""What a store accepts to keep: job ids, labels, texts and whole numbers, times in UTC, and the
lifecycle its jobs are judged by.

Each check refuses a value with the error naming the argument, before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Final

from jobfsm.errors import (
    InvalidArgument,
    InvalidJobId,
    InvalidTime,
    UnusableJobId,
    find_control_character,
)
from jobfsm.lifecycle import Lifecycle, _as_lifecycle

_UTC = timezone.utc


#: The longest ``actor`` and job id a store keeps (PostgreSQL refuses longer ones).
MAX_NAME_LENGTH: Final = 255


def _utc(value: datetime, argument: str | None = None) -> datetime:
    # SQLite keeps no time zone; every time the store writes is UTC.
    try:
        return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)
    except OverflowError:
        # Such as 0001-01-01T00:00+23:59, which is in year 0 in UTC.
        raise InvalidTime(
            value, "a time whose UTC equivalent is within years 1 to 9999", argument
        ) from None


def _now() -> datetime:
    return datetime.now(_UTC)


#: Characters no text a store keeps may hold: NUL, which PostgreSQL cannot store (SQLite would),
#: and lone surrogates, which are not text at all but how Python carries the undecodable bytes of
#: a command-line argument or file name; no driver can encode them, and no UTF-8 reader decode
#: them.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

_STORABLE = (
    "without NUL (U+0000) or lone surrogates (U+D800–U+DFFF, the undecodable bytes of a "
    "command-line argument or file name), which a store cannot keep"
)


def _unstorable(text: str) -> str | None:
    """Why a store cannot keep ``text``, or None when it can."""
    bad = _UNSTORABLE.search(text)
    if bad is None:
        return None
    char = bad.group()
    what = "NUL" if char == "\x00" else "the lone surrogate"
    return f"it contains {what} {char!r} (U+{ord(char):04X})"


def _labels(labels: Mapping[str, str] | None) -> dict[str, str] | None:
    if labels is None:
        return None
    if not isinstance(labels, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        raise InvalidArgument(
            "labels", labels, "a mapping of strings to strings, such as {'team': 'vision'}, or None"
        )
    for key, value in labels.items():
        if _unstorable(key) is not None:
            raise InvalidArgument("labels key", key, f"a string {_STORABLE}")
        if _unstorable(value) is not None:
            raise InvalidArgument(f"labels[{key!r}]", value, f"a string {_STORABLE}")
    return dict(labels)


def _job_id(job_id: object) -> str:
    """``job_id`` if a store can keep it: printable, not blank, at most 255 characters."""
    if not isinstance(job_id, str) or not job_id.strip():
        raise InvalidJobId(job_id)
    surrogate = _unstorable(job_id)
    if surrogate is not None and "\x00" not in job_id:
        raise UnusableJobId(
            job_id, f"{surrogate}, an undecodable byte of a command-line argument or file name"
        )
    bad = find_control_character(job_id)
    if bad is not None:
        char = bad.group()
        raise UnusableJobId(
            job_id, f"it contains the control character {char!r} (U+{ord(char):04X})"
        )
    if len(job_id) > MAX_NAME_LENGTH:
        raise UnusableJobId(
            job_id,
            f"it has {len(job_id)} characters, more than the {MAX_NAME_LENGTH} a job store keeps",
        )
    return job_id


def _text(argument: str, value: object, max_length: int | None = None) -> str | None:
    """``value`` if it is a str of at most ``max_length`` characters or None; else refused."""
    if value is None or (
        isinstance(value, str)
        and (max_length is None or len(value) <= max_length)
        and _unstorable(value) is None
    ):
        return value
    longest = f" of at most {max_length} characters" if max_length is not None else ""
    if isinstance(value, str) and _unstorable(value) is not None:
        raise InvalidArgument(argument, value, f"a string{longest} {_STORABLE}, or None")
    raise InvalidArgument(argument, value, f"a string{longest} or None")


def _whole_number(argument: str, value: object, low: int, high: int | None = None) -> int:
    """``value`` if it is an int from ``low`` to ``high``; InvalidArgument naming ``argument``."""
    # bool is an int, but limit=True is a mistake, not a 1.
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value >= low
        and (high is None or value <= high)
    ):
        return value
    bound = f"from {low} to {high}" if high is not None else f"of {low} or more"
    raise InvalidArgument(argument, value, f"a whole number {bound}")


#: The codes a store keeps a status as: no larger than its SMALLINT columns hold, and no
#: negative one, as a batch indexes its tables by code.
_CODE_RANGE: Final = range(2**15)


def _store_lifecycle(lifecycle: object) -> Lifecycle:
    """``lifecycle`` if a store can keep its jobs: a Lifecycle whose name the ``lifecycle``
    column holds and whose codes the status columns hold."""
    checked = _as_lifecycle(lifecycle)
    name = checked.name
    if (
        not isinstance(name, str)
        or not name.strip()
        or len(name) > MAX_NAME_LENGTH
        or _unstorable(name) is not None
        or find_control_character(name) is not None
    ):
        raise InvalidArgument(
            "lifecycle",
            checked,
            f"a Lifecycle whose name, which the store keeps with each job, is printable text of "
            f"at most {MAX_NAME_LENGTH} characters (its name is {name!r})",
        )
    outside = [s for s in checked.statuses if int(s) not in _CODE_RANGE]
    if outside:
        raise InvalidArgument(
            "lifecycle",
            checked,
            f"a Lifecycle whose status codes are {_CODE_RANGE.start}–{_CODE_RANGE.stop - 1}, as "
            f"the store keeps them; {', '.join(f'{s.name}={int(s)}' for s in outside)} "
            f"{'is' if len(outside) == 1 else 'are'} not",
        )
    return checked
