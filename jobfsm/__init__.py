"""jobfsm: the lifecycle of a ModelArts training job as an explicit, checkable, drawable machine.

>>> from jobfsm import Job, JobStatus
>>> job = Job("train-42")
>>> job.advance_to(JobStatus.SUBMIT_TRYING)
True
>>> job.status
<JobStatus.SUBMIT_TRYING: 4>
"""

from __future__ import annotations

import importlib

# typing.TYPE_CHECKING without importing typing: `import jobfsm` is the first thing the command
# line does, before it can handle Ctrl-C (see jobfsm.__main__), so it imports next to nothing.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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
        LifecycleFileError,
        LifecycleMismatch,
        MissingExtra,
        SnapshotError,
        StoreUnavailable,
        TransitionRejected,
        UnknownEvent,
        UnknownLifecycle,
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
    from jobfsm.lifecycles import get_lifecycle
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
    from jobfsm.store import (
        Applied,
        ApplyKind,
        JobRecord,
        JobRecords,
        JobStore,
        TransitionResult,
    )
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
    from jobfsm.vocabulary import Status, StatusInfo, Vocabulary, declare_statuses

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
    "LifecycleFileError",
    "LifecycleMismatch",
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
    "Status",
    "StatusInfo",
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
    "UnknownLifecycle",
    "UnknownMode",
    "UnknownStatus",
    "UnreadableLog",
    "UnusableJobId",
    "Verdict",
    "VerdictKind",
    "Violation",
    "Vocabulary",
    "__version__",
    "check_log",
    "count_moves",
    "declare_statuses",
    "get_lifecycle",
    "read_log",
    "scan_log",
    "validate_history",
]

# ``import jobfsm`` loads no module but this one: each name loads its module on first use. The
# command line can so handle Ctrl-C before the heavy modules load (jobfsm.__main__), and the store,
# which needs the optional `sql` extra (SQLAlchemy), loads only when used: the core works without
# it, and `from jobfsm import JobStore` explains what to install.
_MODULES: dict[str, tuple[str, ...]] = {
    "jobfsm.errors": (
        "BadLogLine",
        "CallbackError",
        "CheckFailure",
        "ConcurrentUpdate",
        "CorruptJob",
        "DiagramInputError",
        "GraphvizNotFound",
        "GuardError",
        "GuardRejected",
        "IllegalTransition",
        "InvalidArgument",
        "InvalidJobId",
        "InvalidLifecycle",
        "InvalidObservation",
        "InvalidTime",
        "JobExists",
        "JobFSMError",
        "JobNotFound",
        "JobNotTracked",
        "LifecycleFileError",
        "LifecycleMismatch",
        "MissingExtra",
        "SnapshotError",
        "StoreUnavailable",
        "TransitionRejected",
        "UnknownEvent",
        "UnknownLifecycle",
        "UnknownMode",
        "UnknownStatus",
        "UnreadableLog",
        "UnusableJobId",
    ),
    "jobfsm.lifecycle": (
        "DEFAULT_LIFECYCLE",
        "Edge",
        "Event",
        "Guard",
        "Lifecycle",
        "MODELARTS_EVENTS",
        "MoveRequest",
        "Verdict",
        "VerdictKind",
    ),
    "jobfsm.logs": (
        "LogFormat",
        "LogReport",
        "LogViolation",
        "Observation",
        "ObservationLog",
        "check_log",
        "count_moves",
        "read_log",
        "scan_log",
    ),
    "jobfsm.machine": (
        "Job",
        "JobMachine",
        "Listener",
        "Move",
    ),
    "jobfsm.simulate": ("Simulation",),
    "jobfsm.status": (
        "JobStatus",
        "Outcome",
        "Phase",
    ),
    "jobfsm.store": (
        "Applied",
        "ApplyKind",
        "JobRecord",
        "JobRecords",
        "JobStore",
        "TransitionResult",
    ),
    "jobfsm.tracker": (
        "JobFinished",
        "LateObservation",
        "TrackedMove",
        "TrackedViolation",
        "Tracker",
        "TrackerCounts",
    ),
    "jobfsm.validate": (
        "HistoryReport",
        "Inference",
        "Mode",
        "Rules",
        "Step",
        "StepKind",
        "Violation",
        "validate_history",
    ),
    "jobfsm.vocabulary": (
        "Status",
        "StatusInfo",
        "Vocabulary",
        "declare_statuses",
    ),
    "jobfsm.lifecycles": ("get_lifecycle",),
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'jobfsm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
