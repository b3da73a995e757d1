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
from jobfsm.tracker import (
    JobFinished,
    LateObservation,
    TrackedMove,
    TrackedViolation,
    Tracker,
    TrackerCounts,
)
from jobfsm.validate import (
    HistoryReport,
    Inference,
    Mode,
    Rules,
    Step,
    StepKind,
    Violation,
    validate_history,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_LIFECYCLE",
    "MODELARTS_EVENTS",
    "CallbackError",
    "CheckFailure",
    "Edge",
    "Event",
    "Guard",
    "GuardRejected",
    "HistoryReport",
    "IllegalTransition",
    "Inference",
    "InvalidLifecycle",
    "Job",
    "JobFSMError",
    "JobFinished",
    "JobMachine",
    "JobStatus",
    "LateObservation",
    "Lifecycle",
    "Listener",
    "Mode",
    "Move",
    "MoveRequest",
    "Outcome",
    "Phase",
    "Rules",
    "SnapshotError",
    "Step",
    "StepKind",
    "TrackedMove",
    "TrackedViolation",
    "Tracker",
    "TrackerCounts",
    "TransitionRejected",
    "UnknownEvent",
    "UnknownStatus",
    "Verdict",
    "VerdictKind",
    "Violation",
    "__version__",
    "validate_history",
]
