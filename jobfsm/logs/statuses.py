"""Status values read as codes: a code 0–22 or a name, each distinct spelling looked up once."""

from __future__ import annotations

from typing import Final

from jobfsm.errors import UnknownStatus
from jobfsm.status import JobStatus

_STATUS_COUNT: Final = len(JobStatus)
#: How many distinct status spellings (read or refused) a reader remembers: enough for any real
#: log, and a bound for one that writes a new one on every line.
_NAME_CACHE: Final = 4096
#: No status name is this long: a longer value is refused without looking for a similar name.
_LONGEST_NAME: Final = 64

_ACCEPTED_STATUS = "a code 0–22 or a status name such as RUNNING or JOBSTAT_RUNNING"


def _status_code(value: object, names: dict[str, int], refused: dict[str, str]) -> int:
    """The status code of ``value``, or raise UnknownStatus.

    Spellings are remembered both ways: ``names`` maps read ones to their code, ``refused`` maps
    refused ones to the bad-line reason, which readers look up before calling this, so the search
    for similar names and the message run once per distinct value, not once per line.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value < _STATUS_COUNT:
            return value
        raise UnknownStatus(value)
    if not isinstance(value, str):
        raise UnknownStatus(value)
    code = names.get(value)
    if code is not None:
        return code
    if len(value) > _LONGEST_NAME and len(value.strip()) > _LONGEST_NAME:
        raise UnknownStatus(value)
    try:
        code = int(JobStatus.parse(value))
    except UnknownStatus as exc:
        if len(refused) < _NAME_CACHE:
            refused[value] = f"unknown status: {exc.message}"
        raise
    if len(names) < _NAME_CACHE:
        names[value] = code
    return code
