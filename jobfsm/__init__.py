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
    CallbackError,
    CheckFailure,
    ConcurrentUpdate,
    GuardRejected,
    IllegalTransition,
    InvalidLifecycle,
    JobExists,
    JobFSMError,
    JobNotFound,
    MissingExtra,
    SnapshotError,
    StoreUnavailable,
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

if TYPE_CHECKING:
    from jobfsm.store import JobRecord, JobStore, TransitionResult

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_LIFECYCLE",
    "MODELARTS_EVENTS",
    "CallbackError",
    "CheckFailure",
    "ConcurrentUpdate",
    "Edge",
    "Event",
    "Guard",
    "GuardRejected",
    "IllegalTransition",
    "InvalidLifecycle",
    "Job",
    "JobExists",
    "JobFSMError",
    "JobMachine",
    "JobNotFound",
    "JobRecord",
    "JobStatus",
    "JobStore",
    "Lifecycle",
    "Listener",
    "MissingExtra",
    "Move",
    "MoveRequest",
    "Outcome",
    "Phase",
    "SnapshotError",
    "StoreUnavailable",
    "TransitionRejected",
    "TransitionResult",
    "UnknownEvent",
    "UnknownStatus",
    "Verdict",
    "VerdictKind",
    "__version__",
]

# The store needs the optional `sql` extra (SQLAlchemy): it is imported on first use, so the core
# works without it and `from jobfsm import JobStore` explains what to install.
_STORE_NAMES = frozenset({"JobRecord", "JobStore", "TransitionResult"})


def __getattr__(name: str) -> Any:
    if name in _STORE_NAMES:
        from jobfsm import store

        return getattr(store, name)
    raise AttributeError(f"module 'jobfsm' has no attribute {name!r}")
