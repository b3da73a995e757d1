"""jobfsm: the lifecycle of a ModelArts training job as an explicit, checkable, drawable machine.

>>> from jobfsm import Job, JobStatus
>>> job = Job("train-42")
>>> job.advance_to(JobStatus.SUBMIT_TRYING)
True
>>> job.status
<JobStatus.SUBMIT_TRYING: 4>
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobfsm.errors import (
    BadLogLine,
    CallbackError,
    CheckFailure,
    ConcurrentUpdate,
    CorruptJob,
    DiagramInputError,
    GraphvizNotFound,
    GuardError,
    GuardRejected,
    IllegalTransition,
    InvalidArgument,
    InvalidJobId,
    InvalidLifecycle,
    InvalidObservation,
    InvalidTime,
    JobExists,
    JobFSMError,
    JobNotFound,
    JobNotTracked,
    MissingExtra,
    SnapshotError,
    StoreUnavailable,
    TransitionRejected,
    UnknownEvent,
    UnknownMode,
    UnknownStatus,
    UnreadableLog,
    UnusableJobId,
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
    scan_log,
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

if TYPE_CHECKING:
    from jobfsm.store import Applied, ApplyKind, JobRecord, JobRecords, JobStore, TransitionResult

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_LIFECYCLE",
    "MODELARTS_EVENTS",
    "Applied",
    "ApplyKind",
    "BadLogLine",
    "CallbackError",
    "CheckFailure",
    "ConcurrentUpdate",
    "CorruptJob",
    "DiagramInputError",
    "Edge",
    "Event",
    "GraphvizNotFound",
    "Guard",
    "GuardError",
    "GuardRejected",
    "HistoryReport",
    "IllegalTransition",
    "Inference",
    "InvalidArgument",
    "InvalidJobId",
    "InvalidLifecycle",
    "InvalidObservation",
    "InvalidTime",
    "Job",
    "JobExists",
    "JobFSMError",
    "JobFinished",
    "JobMachine",
    "JobNotFound",
    "JobNotTracked",
    "JobRecord",
    "JobRecords",
    "JobStatus",
    "JobStore",
    "LateObservation",
    "Lifecycle",
    "Listener",
    "LogFormat",
    "LogReport",
    "LogViolation",
    "MissingExtra",
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
    "StoreUnavailable",
    "TrackedMove",
    "TrackedViolation",
    "Tracker",
    "TrackerCounts",
    "TransitionRejected",
    "TransitionResult",
    "UnknownEvent",
    "UnknownMode",
    "UnknownStatus",
    "UnreadableLog",
    "UnusableJobId",
    "Verdict",
    "VerdictKind",
    "Violation",
    "__version__",
    "check_log",
    "count_moves",
    "read_log",
    "scan_log",
    "validate_history",
]

# The store needs the optional `sql` extra (SQLAlchemy): it is imported on first use, so the core
# works without it and `from jobfsm import JobStore` explains what to install.
_STORE_NAMES = frozenset(
    {"Applied", "ApplyKind", "JobRecord", "JobRecords", "JobStore", "TransitionResult"}
)


def __getattr__(name: str) -> Any:
    if name in _STORE_NAMES:
        from jobfsm import store

        return getattr(store, name)
    raise AttributeError(f"module 'jobfsm' has no attribute {name!r}")
