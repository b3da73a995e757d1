"""The ModelArts v2 training-job lifecycle: eight phases, their secondary phases, every legal move.

The official SDK (``huaweicloudsdkmodelarts``) reads v2 training jobs, whose ``status`` holds a
``phase`` ("level-1 status; the value is stable") and a ``secondary_phase`` ("level-2 status; the
value is unstable"). The API reference lists both in its ``Status`` table; like v1, it documents
the phases but not every move between them. Each move below gives its reason and its source; a
move that rests on judgment rather than on a sentence of the documentation says so in ``cite``.

Secondary phases are kept as each phase's ``details``: a reader records the secondary phase with
the phase, a secondary phase the table does not declare is counted as unrecognised, and only the
phase is ever judged (the platform calls the secondary phase internal and changeable).

>>> from jobfsm.lifecycles.modelarts_v2 import MODELARTS_V2, Phase2
>>> MODELARTS_V2.main_path
(<Phase2.Creating: 0>, <Phase2.Pending: 1>, <Phase2.Running: 2>, <Phase2.Completed: 4>)
>>> Phase2.parse("Waiting"), Phase2.Abnormal.details
(<Phase2.Pending: 1>, ('CreateFailed', 'TerminatedFailed', 'Unknown', 'Lost'))
"""

from __future__ import annotations

from typing import Final

from jobfsm.lifecycle import Event, Lifecycle
from jobfsm.vocabulary import Outcome, Status, StatusInfo, install

__all__ = ["LIFECYCLE", "MODELARTS_V2", "MODELARTS_V2_EVENTS", "Phase2"]

_DOCS: Final = "opentelekomcloud-docs/modelarts"
#: The API reference's ``Status`` table (phases and secondary phases), and its terminate call.
STATUS_TABLE: Final = (
    f"{_DOCS} api-ref/source/training_management_new_version/training_job_management/"
    "terminating_a_training_job.rst (Table 5, Status)"
)
TERMINATE_API: Final = (
    f"{_DOCS} api-ref/source/training_management_new_version/training_job_management/"
    "terminating_a_training_job.rst: only jobs in the Creating, Waiting or Running state can be "
    "terminated"
)
STOP_GUIDE: Final = (
    f"{_DOCS} umn/source/training_management_new_version/performing_a_training/"
    "stopping_rebuilding_or_searching_for_a_training_job.rst: a job in creating, pending or "
    "running state can be stopped; completed, failed, terminated or abnormal cannot"
)
DETAIL_EXAMPLE: Final = (
    f"{_DOCS} api-ref/source/training_management_new_version/training_job_management/"
    "querying_the_details_about_a_training_job.rst: the example response pairs phase Abnormal "
    "with secondary_phase CreateFailed"
)
SDK_MODEL: Final = "huaweicloudsdkmodelarts/v1/model/status.py (the SDK's Status model)"


class Phase2(Status):
    """A ModelArts v2 training-job phase; the value is an internal code, the name is reported.

    >>> Phase2.parse("terminated").is_terminal, Phase2.parse("Stopped")
    (True, <Phase2.Terminated: 6>)
    """

    Creating = 0
    Pending = 1
    Running = 2
    Failed = 3
    Completed = 4
    Terminating = 5
    Terminated = 6
    Abnormal = 7


_P = Phase2
install(
    Phase2,
    (
        StatusInfo(
            "Creating", 0, "The job is being created", group="creation", details=("Creating",)
        ),
        # Command-line clients and the terminate call's own text say Waiting for Pending.
        StatusInfo(
            "Pending",
            1,
            "The job is waiting for resources",
            group="run",
            aliases=("Waiting",),
            details=("Queuing",),
        ),
        StatusInfo("Running", 2, "The job is running", group="run", details=("Running",)),
        StatusInfo("Failed", 3, "The job failed", Outcome.FAILED, group="run", details=("Failed",)),
        StatusInfo(
            "Completed",
            4,
            "The job completed",
            Outcome.SUCCEEDED,
            group="run",
            details=("Completed",),
        ),
        StatusInfo(
            "Terminating", 5, "The job is being terminated", group="stop", details=("Terminating",)
        ),
        StatusInfo(
            "Terminated",
            6,
            "The job was terminated",
            Outcome.CANCELED,
            group="stop",
            aliases=("Stopped",),
            details=("Terminated",),
        ),
        StatusInfo(
            "Abnormal",
            7,
            "The job is abnormal: it could not be created or terminated, or the platform lost it",
            Outcome.FAILED,
            group="abnormal",
            details=("CreateFailed", "TerminatedFailed", "Unknown", "Lost"),
        ),
    ),
    name="modelarts-v2",
    example="Running",
    initial="Creating",
    groups=("creation", "run", "stop", "abnormal"),
    noun="ModelArts v2 phase",
)

_JUDGMENT: Final = "judgment"

#: Every legal move of a v2 training job, with its reason and source.
MODELARTS_V2_EVENTS: Final[tuple[Event, ...]] = (
    Event(
        "queue",
        {_P.Creating},
        _P.Pending,
        "created; the job waits for resources (secondary phase Queuing)",
        cite=f"{STATUS_TABLE}; {SDK_MODEL}",
    ),
    Event(
        "start",
        {_P.Pending},
        _P.Running,
        "resources granted; the job runs",
        cite=STATUS_TABLE,
    ),
    Event("complete", {_P.Running}, _P.Completed, "training finished", cite=STATUS_TABLE),
    Event("fail", {_P.Running}, _P.Failed, "the training process failed", cite=STATUS_TABLE),
    Event(
        "fail",
        {_P.Pending},
        _P.Failed,
        "the job failed to start on its nodes (v1 reports MOUNT_FAILED from WAITING)",
        cite=f"{_JUDGMENT}: the v1 lifecycle's WAITING → MOUNT_FAILED, mapped to v2",
    ),
    Event(
        "terminate",
        {_P.Creating, _P.Pending, _P.Running},
        _P.Terminating,
        "a stop was requested; only creating, pending and running jobs can be stopped",
        cite=f"{TERMINATE_API}; {STOP_GUIDE}",
    ),
    Event(
        "terminated",
        {_P.Terminating},
        _P.Terminated,
        "the platform finished terminating the job",
        cite=STATUS_TABLE,
    ),
    Event(
        "cancel",
        {_P.Creating, _P.Pending},
        _P.Terminated,
        "stopped before it ran, with nothing to kill (v1: INIT … WAITING → CANCELED)",
        cite=f"{_JUDGMENT}: the v1 lifecycle's cancel, mapped to v2; a poller may never see "
        "Terminating",
    ),
    Event(
        "complete",
        {_P.Terminating},
        _P.Completed,
        "the job finished before the stop landed (v1: KILLING → COMPLETED)",
        cite=f"{_JUDGMENT}: the v1 lifecycle's KILLING → COMPLETED, mapped to v2",
    ),
    Event(
        "fail",
        {_P.Terminating},
        _P.Failed,
        "the job failed before the stop landed (v1: KILLING → FAILED)",
        cite=f"{_JUDGMENT}: the v1 lifecycle's KILLING → FAILED, mapped to v2",
    ),
    Event(
        "create_failed",
        {_P.Creating},
        _P.Abnormal,
        "the job could not be created (secondary phase CreateFailed)",
        cite=DETAIL_EXAMPLE,
    ),
    Event(
        "terminate_failed",
        {_P.Terminating},
        _P.Abnormal,
        "the stop failed (secondary phase TerminatedFailed)",
        cite=f"{STATUS_TABLE}; {_JUDGMENT}: TerminatedFailed belongs to Abnormal, as CreateFailed "
        "does",
    ),
    Event(
        "lose",
        {_P.Pending, _P.Running},
        _P.Abnormal,
        "the platform lost the job or cannot tell its state (secondary phase Lost or Unknown)",
        cite=f"{STATUS_TABLE}; {_JUDGMENT}: Lost and Unknown belong to Abnormal",
    ),
)

#: The checked ModelArts v2 lifecycle.
MODELARTS_V2: Final = Lifecycle(
    MODELARTS_V2_EVENTS,
    name="modelarts-v2",
    statuses=Phase2,
    description="ModelArts v2 training jobs: 8 phases (Creating … Abnormal) with secondary phases",
    source="jobfsm.lifecycles.modelarts_v2",
    main_path=("Creating", "Pending", "Running", "Completed"),
)
LIFECYCLE: Final = MODELARTS_V2
