"""The 23 job statuses of the ModelArts v1 training-job API, and how to read them from clients.

Codes, code names and the Chinese descriptions follow the ModelArts "job status reference" table;
the English descriptions follow the official English API reference.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Final

from jobfsm.errors import InvalidArgument
from jobfsm.vocabulary import Outcome, Status, StatusInfo, install

__all__ = ["JobStatus", "Outcome", "Phase"]


class Phase(enum.Enum):
    """The part of the v1 lifecycle a status belongs to; reports and diagrams group by it."""

    UNKNOWN = "unknown"
    REVIEW = "review"
    CREATION = "creation"
    RUN = "run"
    STOP = "stop"


_PREFIX: Final = "JOBSTAT_"


class JobStatus(Status):
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

    @property
    def phase(self) -> Phase:
        """The lifecycle phase this status belongs to."""
        return _PHASES[self]

    @classmethod
    def parse(cls, value: object) -> JobStatus:
        """Read a status the way real clients send it.

        Accepts a status, an int code 0–22, a numeric string (``" 8 "``), a name with or without the
        ``JOBSTAT_`` prefix in any case, and names other clients report (``JOBSTAT_DEPLOYING`` is 7
        in older SDKs, ``RUNNING_COMPLETED`` is 20 in an OpenTelekomCloud client).

        Raises:
            UnknownStatus: for anything else, naming the input, the range and the closest names.

        >>> JobStatus.parse(" 8 ")
        <JobStatus.RUNNING: 8>
        >>> JobStatus.parse("deploying")
        <JobStatus.WAITING: 7>
        """
        # Plain codes and exact names (what JSON and the API give) cost one dict lookup; calling
        # the enum class would cost ten times as much.
        if type(value) is int or type(value) is str:
            found = _BY_VALUE.get(value)
            if found is not None:
                return found
        return super().parse(value)


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

# Names other clients report for a code: older ModelArts SDKs called 7 DEPLOYING; an
# OpenTelekomCloud client labels 20 RUNNING_COMPLETED.
_ALIASES: Final[dict[JobStatus, tuple[str, ...]]] = {
    JobStatus.WAITING: ("DEPLOYING",),
    JobStatus.CHECK_RUNNING_COMPLETED: ("RUNNING_COMPLETED",),
}

install(
    JobStatus,
    (
        StatusInfo(
            status.name,
            int(status),
            _INFO[status][0],
            _OUTCOMES.get(status),
            _PHASES[status].value,
            _ALIASES.get(status, ()),
            _INFO[status][1],
        )
        for status in JobStatus
    ),
    name="modelarts-v1",
    prefix=_PREFIX,
    numeric=True,
    example="RUNNING",
    initial="INIT",
    gap="UNKNOWN",
    groups=[p.value for p in (Phase.REVIEW, Phase.CREATION, Phase.RUN, Phase.STOP, Phase.UNKNOWN)],
    noun="ModelArts v1 status",
)
_BY_VALUE: Final[dict[object, JobStatus]] = JobStatus.vocabulary.by_value


def _refuse_text(values: object, argument: str, what: str = "statuses") -> None:
    """Refuse what cannot be a collection of statuses: a str or bytes would be read character
    by character (``"RUNNING"`` as ``"R"``, ``"U"``, ...), and None or a number not at all."""
    example = "['start']" if what == "event names" else "['RUNNING']"
    if isinstance(values, (str, bytes, bytearray)):
        given = "a single string" if isinstance(values, str) else "bytes"
        raise InvalidArgument(argument, values, f"a list of {what} such as {example}, not {given}")
    if not isinstance(values, Iterable):
        raise InvalidArgument(argument, values, f"a list of {what} such as {example}")
