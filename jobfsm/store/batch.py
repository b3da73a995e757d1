"""What :meth:`JobStore.apply` gives for a batch of observations (Applied, ApplyKind) and the
helpers its writes use."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Final, NamedTuple

from jobfsm.errors import JobFSMError
from jobfsm.vocabulary import Status


class ApplyKind(enum.Enum):
    """What :meth:`JobStore.apply` did with one observation."""

    #: moved along a declared edge
    MOVED = "moved"
    #: moved along the chain polled mode infers (``skipped`` names the statuses in between)
    INFERRED = "inferred"
    #: the job already was in the status: nothing written
    REPEAT = "repeat"
    #: older than the job's last move: nothing written
    LATE = "late"
    #: judged and refused (``error`` says why): nothing written for it
    REFUSED = "refused"
    #: the store holds no such job (``error`` is the JobNotFound)
    UNKNOWN_JOB = "unknown job"


class Applied(NamedTuple):
    """The result of one observation of a :meth:`JobStore.apply` batch, in the batch's order.

    ``source`` is the status it was judged from and ``version`` the job's version after it (both
    None when the job is unknown, its row or the item could not be read, or it is stored under
    another lifecycle); ``error`` is the refusal for REFUSED (a
    :class:`~jobfsm.errors.LifecycleMismatch` for a job of another lifecycle) and UNKNOWN_JOB,
    None otherwise; ``at`` the time written for a move.
    """

    job_id: object
    target: Status | None
    kind: ApplyKind
    source: Status | None = None
    version: int | None = None
    skipped: tuple[Status, ...] = ()
    error: JobFSMError | None = None
    #: for MOVED and INFERRED, the time written (the observation's, else when it was applied)
    at: datetime | None = None

    @property
    def moved(self) -> bool:
        """True when the observation was written as a move (MOVED or INFERRED)."""
        return self.kind is ApplyKind.MOVED or self.kind is ApplyKind.INFERRED


class _BatchRaced(Exception):
    """A batch's compare-and-set matched fewer rows than it judged: roll back and judge again.

    Its arguments name the batch's first move, ``(job_id, status read, target)``: which job lost
    is not known, and one of them is what ConcurrentUpdate then names.
    """


def _codes(statuses: type[Status]) -> tuple[int, ...]:
    """Each code of ``statuses`` as a plain int at its own index, by one tuple index (int() of an
    IntEnum costs a call); codes no status has are there too, never looked up."""
    return tuple(range(max(int(s) for s in statuses) + 1))


#: How many job ids one read of an :meth:`JobStore.apply` batch asks for (SQLite allows 32,766
#: parameters per statement, and long IN lists stop paying off well before that).
APPLY_READ_CHUNK: Final = 1000


def _stored_time(value: datetime, sqlite: bool) -> Any:
    """``value`` (UTC) as a batch writes it: SQLite keeps the text SQLAlchemy writes for a
    DateTime column, PostgreSQL takes the datetime."""
    if not sqlite:
        return value
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:"
        f"{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
    )
