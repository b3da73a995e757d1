"""jobfsm: the lifecycle of a ModelArts training job as an explicit, checkable, drawable machine.

>>> from jobfsm import Job, JobStatus
>>> job = Job("train-42")
>>> job.advance_to(JobStatus.SUBMIT_TRYING)
True
>>> job.status
<JobStatus.SUBMIT_TRYING: 4>
"""

from jobfsm.errors import (
    BadLogLine,
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
    UnreadableLog,
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
from jobfsm.logs import (
    LogFormat,
    LogReport,
    LogViolation,
    Observation,
    ObservationLog,
    check_log,
    count_moves,
    read_log,
)
from jobfsm.machine import Job, JobMachine, Listener, Move
from jobfsm.simulate import Simulation
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
    "BadLogLine",
    "CallbackError",
    "CheckFailure",
    "DiagramInputError",
    "Edge",
    "Event",
    "GraphvizNotFound",
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
    "LogFormat",
    "LogReport",
    "LogViolation",
    "Mode",
    "Move",
    "MoveRequest",
    "Observation",
    "ObservationLog",
    "Outcome",
    "Phase",
    "Rules",
    "Simulation",
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
    "UnreadableLog",
    "Verdict",
    "VerdictKind",
    "Violation",
    "__version__",
    "check_log",
    "count_moves",
    "read_log",
    "validate_history",
]
