"""jobfsm: the lifecycle of a ModelArts training job as an explicit, checkable, drawable machine.

>>> from jobfsm import Job, JobStatus
>>> job = Job("train-42")
>>> job.advance_to(JobStatus.SUBMIT_TRYING)
True
>>> job.status
<JobStatus.SUBMIT_TRYING: 4>
"""

from jobfsm.errors import (
    CallbackError,
    CheckFailure,
    DiagramInputError,
    GraphvizNotFound,
    GuardRejected,
    IllegalTransition,
    InvalidLifecycle,
    JobFSMError,
    SnapshotError,
    TransitionRejected,
    UnknownEvent,
    UnknownStatus,
)
from jobfsm.lifecycle import (
    DEFAULT_LIFECYCLE,
    MODELARTS_EVENTS,
    Edge,
    Event,
    Guard,
    Lifecycle,
    MoveRequest,
    Verdict,
    VerdictKind,
)
from jobfsm.machine import Job, JobMachine, Listener, Move
from jobfsm.status import JobStatus, Outcome, Phase

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_LIFECYCLE",
    "MODELARTS_EVENTS",
    "CallbackError",
    "CheckFailure",
    "DiagramInputError",
    "Edge",
    "Event",
    "GraphvizNotFound",
    "Guard",
    "GuardRejected",
    "IllegalTransition",
    "InvalidLifecycle",
    "Job",
    "JobFSMError",
    "JobMachine",
    "JobStatus",
    "Lifecycle",
    "Listener",
    "Move",
    "MoveRequest",
    "Outcome",
    "Phase",
    "SnapshotError",
    "TransitionRejected",
    "UnknownEvent",
    "UnknownStatus",
    "Verdict",
    "VerdictKind",
    "__version__",
]
