"""The 23 job statuses of the ModelArts v1 training-job API, and how to read them from clients.

Codes, code names and the Chinese descriptions follow the ModelArts "job status reference" table;
the English descriptions follow the official English API reference.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable
from typing import Final

from jobfsm.errors import InvalidArgument, UnknownStatus

__all__ = ["JobStatus", "Outcome", "Phase"]


class Outcome(enum.Enum):
    """How a terminal status ended the job."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class Phase(enum.Enum):
    """The part of the lifecycle a status belongs to; reports and diagrams group by it."""

    UNKNOWN = "unknown"
    REVIEW = "review"
    CREATION = "creation"
    RUN = "run"
    STOP = "stop"


_PREFIX: Final = "JOBSTAT_"


class JobStatus(enum.IntEnum):
    """A ModelArts job status; the value is the integer code the API reports.

    >>> JobStatus.RUNNING == 8
    True
    >>> JobStatus.parse("jobstat_running").code_name
    'JOBSTAT_RUNNING'
    >>> JobStatus.COMPLETED.outcome
    <Outcome.SUCCEEDED: 'succeeded'>
    """

    UNKNOWN = 0
    INIT = 1
    IMAGE_CREATING = 2
    IMAGE_FAILED = 3
    SUBMIT_TRYING = 4
    SUBMIT_FAILED = 5
    DELETE_FAILED = 6
    WAITING = 7
    RUNNING = 8
    KILLING = 9
    COMPLETED = 10
    FAILED = 11
    KILLED = 12
    CANCELED = 13
    LOST = 14
    SCALING = 15
    SUBMIT_MODEL_FAILED = 16
    DEPLOY_SERVICE_FAILED = 17
    CHECK_INIT = 18
    CHECK_RUNNING = 19
    CHECK_RUNNING_COMPLETED = 20
    CHECK_FAILED = 21
    MOUNT_FAILED = 22

    def __str__(self) -> str:
        return f"{self.name}({self.value})"

    @property
    def code_name(self) -> str:
        """The name the API documents, for example ``"JOBSTAT_RUNNING"``."""
        return _PREFIX + self.name

    @property
    def description(self) -> str:
        """The English description from the API reference."""
        return _INFO[self][0]

    @property
    def description_zh(self) -> str:
        """The Chinese description from the ModelArts status table."""
        return _INFO[self][1]

    @property
    def is_terminal(self) -> bool:
        """True when the job can never leave this status (a re-run is a new job version)."""
        return self in _OUTCOMES

    @property
    def is_active(self) -> bool:
        """True for every status that is not terminal."""
        return self not in _OUTCOMES

    @property
    def outcome(self) -> Outcome | None:
        """How a terminal status ended the job; None for an active status."""
        return _OUTCOMES.get(self)

    @property
    def phase(self) -> Phase:
        """The lifecycle phase this status belongs to."""
        return _PHASES[self]

    @classmethod
    def parse(cls, value: object) -> JobStatus:
        """Read a status the way real clients send it.

        Accepts a status, an int code 0–22, a numeric string (``" 8 "``), a name with or without the
        ``JOBSTAT_`` prefix in any case, and legacy SDK names (``JOBSTAT_DEPLOYING`` is 7).

        Raises:
            UnknownStatus: for anything else, naming the input, the range and the closest names.

        >>> JobStatus.parse(" 8 ")
        <JobStatus.RUNNING: 8>
        >>> JobStatus.parse("deploying")
        <JobStatus.WAITING: 7>
        """
        if isinstance(value, cls):
            return value
        # Plain codes and exact names (what JSON and the API give) cost one dict lookup; calling
        # the enum class would cost ten times as much.
        if type(value) is int or type(value) is str:
            found = _BY_VALUE.get(value)
            if found is not None:
                return found
        # bool is an int subclass; True is not a status.
        if isinstance(value, int) and not isinstance(value, bool):
            found = _BY_VALUE.get(int(value))
            if found is None:
                raise UnknownStatus(value, ())
            return found
        if isinstance(value, str):
            text = value.strip()
            if text.isascii() and text.isdigit():
                # Codes have at most two digits once leading zeros are gone; int() of the rest
                # would also refuse strings of over 4,300 digits with a bare ValueError.
                digits = text.lstrip("0")
                found = _BY_VALUE.get(int(digits or "0")) if len(digits) <= 2 else None
                if found is None:
                    raise UnknownStatus(value, ())
                return found
            found = _BY_TEXT.get(text.upper())
            if found is not None:
                return found
            raise UnknownStatus(value, _suggest(text))
        raise UnknownStatus(value, ())


_INFO: Final[dict[JobStatus, tuple[str, str]]] = {
    JobStatus.UNKNOWN: ("Unknown status", "作业状态未知"),
    JobStatus.INIT: ("The job is being initialized", "作业初始化状态"),
    JobStatus.IMAGE_CREATING: ("The job image is being created", "作业镜像正在创建"),
    JobStatus.IMAGE_FAILED: ("Failed to create the job image", "作业镜像创建失败"),
    JobStatus.SUBMIT_TRYING: ("The job is being submitted", "作业正在提交"),
    JobStatus.SUBMIT_FAILED: ("Failed to submit the job", "作业提交失败"),
    JobStatus.DELETE_FAILED: ("Failed to delete the job", "作业删除失败"),
    JobStatus.WAITING: ("The job is queuing", "作业正在排队中"),
    JobStatus.RUNNING: ("The job is running", "作业正在运行中"),
    JobStatus.KILLING: ("The job is being canceled", "作业正在取消"),
    JobStatus.COMPLETED: ("The job has been completed", "作业已经完成"),
    JobStatus.FAILED: ("Failed to run the job", "作业运行失败"),
    JobStatus.KILLED: ("Job canceled successfully", "作业取消成功"),
    JobStatus.CANCELED: ("Job canceled", "作业取消"),
    JobStatus.LOST: ("Job lost", "作业丢失"),
    JobStatus.SCALING: ("The job is being scaled", "作业正在扩容"),
    JobStatus.SUBMIT_MODEL_FAILED: ("Failed to submit the model", "提交模型失败"),
    JobStatus.DEPLOY_SERVICE_FAILED: ("Failed to deploy the service", "部署服务失败"),
    JobStatus.CHECK_INIT: ("The job review is being initialized", "审核作业初始化"),
    JobStatus.CHECK_RUNNING: ("The job is being reviewed", "审核作业正在运行中"),
    JobStatus.CHECK_RUNNING_COMPLETED: ("The review job is completed", "审核作业已经完成"),
    JobStatus.CHECK_FAILED: ("Failed to review the job", "审核作业失败"),
    JobStatus.MOUNT_FAILED: ("Failed to mount", "挂载失败"),
}

_S = JobStatus
_OUTCOMES: Final[dict[JobStatus, Outcome]] = {
    _S.IMAGE_FAILED: Outcome.FAILED,
    _S.SUBMIT_FAILED: Outcome.FAILED,
    _S.DELETE_FAILED: Outcome.FAILED,
    _S.COMPLETED: Outcome.SUCCEEDED,
    _S.FAILED: Outcome.FAILED,
    _S.KILLED: Outcome.CANCELED,
    _S.CANCELED: Outcome.CANCELED,
    _S.LOST: Outcome.FAILED,
    _S.SUBMIT_MODEL_FAILED: Outcome.FAILED,
    _S.DEPLOY_SERVICE_FAILED: Outcome.FAILED,
    _S.CHECK_FAILED: Outcome.FAILED,
    _S.MOUNT_FAILED: Outcome.FAILED,
}

_PHASES: Final[dict[JobStatus, Phase]] = {
    _S.UNKNOWN: Phase.UNKNOWN,
    **dict.fromkeys(
        (_S.CHECK_INIT, _S.CHECK_RUNNING, _S.CHECK_RUNNING_COMPLETED, _S.CHECK_FAILED), Phase.REVIEW
    ),
    **dict.fromkeys(
        (_S.INIT, _S.IMAGE_CREATING, _S.IMAGE_FAILED, _S.SUBMIT_TRYING, _S.SUBMIT_FAILED),
        Phase.CREATION,
    ),
    **dict.fromkeys(
        (
            _S.WAITING,
            _S.RUNNING,
            _S.COMPLETED,
            _S.FAILED,
            _S.LOST,
            _S.SCALING,
            _S.SUBMIT_MODEL_FAILED,
            _S.DEPLOY_SERVICE_FAILED,
            _S.MOUNT_FAILED,
        ),
        Phase.RUN,
    ),
    **dict.fromkeys((_S.KILLING, _S.KILLED, _S.CANCELED, _S.DELETE_FAILED), Phase.STOP),
}

# Names older ModelArts SDKs report for a code that was later renamed.
_LEGACY: Final[dict[str, JobStatus]] = {"DEPLOYING": JobStatus.WAITING}


def _text_index() -> dict[str, JobStatus]:
    index: dict[str, JobStatus] = {}
    for status in JobStatus:
        index[status.name] = status
        index[status.code_name] = status
    for name, status in _LEGACY.items():
        index[name] = status
        index[_PREFIX + name] = status
    return index


_BY_TEXT: Final = _text_index()
# Codes (ints) and names as written (str) to statuses; int and str keys never collide.
_BY_VALUE: Final[dict[int | str, JobStatus]] = {int(status): status for status in JobStatus}
_BY_VALUE.update(_BY_TEXT)


# A name this much less similar than the closest one is noise, not a candidate: RUNING is
# RUNNING, not CHECK_RUNNING.
_SUGGEST_MARGIN: Final = 0.15
# A ratio of 0.5 or more needs the text at most three times as long as the name: anything longer
# has no candidate, and a long text (a megabyte from a log) costs no difflib pass at all.
_LONGEST_SUGGESTION: Final = 3 * max(len(status.name) for status in JobStatus)


def _suggest(text: str) -> tuple[str, ...]:
    """Up to three short names closest to ``text``, best first (ties in code order)."""
    wanted = text.strip().upper().removeprefix(_PREFIX)
    if len(wanted) > _LONGEST_SUGGESTION:
        return ()
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(wanted)
    scored: list[tuple[float, int, str]] = []
    for status in JobStatus:
        matcher.set_seq1(status.name)
        ratio = matcher.ratio()
        if ratio >= 0.5:
            scored.append((-ratio, status.value, status.name))
    scored.sort()
    if not scored:
        return ()
    floor = -scored[0][0] - _SUGGEST_MARGIN
    return tuple(name for minus, _, name in scored[:3] if -minus >= floor)


def _refuse_text(values: object, argument: str, what: str = "statuses") -> None:
    """Refuse what cannot be a collection of statuses: a str or bytes would be read character
    by character (``"RUNNING"`` as ``"R"``, ``"U"``, ...), and None or a number not at all."""
    example = "['start']" if what == "event names" else "['RUNNING']"
    if isinstance(values, (str, bytes, bytearray)):
        given = "a single string" if isinstance(values, str) else "bytes"
        raise InvalidArgument(argument, values, f"a list of {what} such as {example}, not {given}")
    if not isinstance(values, Iterable):
        raise InvalidArgument(argument, values, f"a list of {what} such as {example}")
