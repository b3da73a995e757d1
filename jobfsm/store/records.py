"""Stored jobs as read: JobRecord, JobRecords and TransitionResult, and the reading of rows, where
a value jobfsm never writes is a CorruptJob."""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from jobfsm.errors import CorruptJob, InvalidTime, JobNotFound, LifecycleMismatch
from jobfsm.machine import Move
from jobfsm.store.arguments import _utc
from jobfsm.store.schema import LEGACY_LIFECYCLE, jobs_table
from jobfsm.validate import StepKind
from jobfsm.vocabulary import Status

if TYPE_CHECKING:
    from jobfsm.lifecycle import Lifecycle


@dataclass(frozen=True)
class JobRecord:
    """A stored job as read: its status, version (number of moves), times, labels, and the name
    of the lifecycle it is stored under (the one whose vocabulary ``status`` is of; a record made
    by hand without one is of ModelArts v1, as every job of an older store is)."""

    job_id: str
    status: Status
    version: int
    created_at: datetime
    updated_at: datetime
    labels: Mapping[str, str] = field(default_factory=dict)
    lifecycle: str = LEGACY_LIFECYCLE

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form: the status as clients report it (a v1 code as an int, else its
        name), times as ISO 8601.

        >>> from jobfsm import JobStatus
        >>> at = datetime(2026, 1, 1)
        >>> form = JobRecord("j-1", JobStatus.RUNNING, 2, at, at).to_dict()
        >>> form["status"], form["status_name"], form["lifecycle"]
        (8, 'RUNNING', 'modelarts-v1')
        """
        return {
            "job_id": self.job_id,
            "status": self.status.reported,
            "status_name": self.status.name,
            "lifecycle": self.lifecycle,
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "labels": dict(self.labels),
        }


class TransitionResult(NamedTuple):
    """What :meth:`JobStore.transition` did.

    ``moved`` is False for a repeated observation (the job was already in ``target``) and for a
    late one (older than the job's last move); then ``event`` and ``at`` are None and ``version``
    is the unchanged version. ``kind`` says which: MOVE, INFERRED (polled mode: ``skipped`` names
    the statuses recorded as inferred moves, ``event`` is the last move's), REPEAT or LATE.
    """

    job_id: str
    source: Status
    target: Status
    moved: bool
    version: int
    event: str | None = None
    at: datetime | None = None
    kind: StepKind = StepKind.MOVE
    skipped: tuple[Status, ...] = ()


def _job_row(conn: sa.Connection, job_id: str, columns: tuple[Any, ...]) -> Any:
    """The jobs row of ``job_id`` (``columns`` of it), read in the caller's transaction."""
    row = conn.execute(sa.select(*columns).where(jobs_table.c.job_id == job_id)).first()
    if row is None:
        raise JobNotFound(job_id)
    return row


def _status_value(job_id: str, field: str, value: object, lifecycle: Lifecycle) -> Status:
    statuses = lifecycle.statuses
    if isinstance(value, int) and not isinstance(value, bool):
        found = statuses._value2member_map_.get(value)
        if isinstance(found, statuses):
            return found
    raise CorruptJob(job_id, field, value, _codes_wanted(lifecycle))


def _codes_wanted(lifecycle: Lifecycle) -> str:
    """What a status column must hold, for CorruptJob: "a status code of lifecycle 'modelarts-v1'
    (0–22)", its codes as runs ("0–2, 5" where some are not used)."""
    codes = sorted(int(s) for s in lifecycle.statuses)
    runs: builtins.list[builtins.list[int]] = []
    for code in codes:
        if runs and code == runs[-1][-1] + 1:
            runs[-1].append(code)
        else:
            runs.append([code])
    shown = ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)
    return f"a status code of lifecycle {lifecycle.name!r} ({shown})"


def _lifecycle_value(job_id: str, value: object, lifecycle: Lifecycle) -> str:
    """The lifecycle a jobs row is stored under, which must be ``lifecycle``'s.

    Raises:
        LifecycleMismatch: the row is of another lifecycle.
        CorruptJob: the column holds no lifecycle name at all.
    """
    if value == lifecycle.name:
        return lifecycle.name
    if isinstance(value, str) and value.strip():
        raise LifecycleMismatch(job_id, value, lifecycle.name)
    raise CorruptJob(job_id, "lifecycle", value, "the name of a lifecycle such as 'modelarts-v1'")


# How PostgreSQL writes a time as text: fractions without trailing zeros and whole-hour offsets as
# +00, neither of which Python 3.10's fromisoformat reads.
_PG_TIME = re.compile(r"(.*:\d\d)(?:\.(\d{1,6}))?([+-]\d\d)((?::\d\d){0,2})")


def _isoformat(text: str) -> str:
    """``text`` in the form of datetime.isoformat when it is a PostgreSQL time; else as given."""
    found = _PG_TIME.fullmatch(text)
    if found is None:
        return text
    seconds, fraction, hours, rest = found.groups()
    return f"{seconds}.{(fraction or '').ljust(6, '0')}{hours}{rest or ':00'}"


def _time_value(job_id: str, field: str, value: object) -> datetime:
    # Read as stored (see _raw_time): SQLAlchemy and psycopg would parse it while fetching the
    # row, so that one bad time would end a listing of every job.
    parsed: object = value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(_isoformat(value))
        except ValueError:
            parsed = None
    if isinstance(parsed, datetime):
        try:
            return _utc(parsed)
        except InvalidTime:
            pass  # in year 0 or 10000 once in UTC
    raise CorruptJob(job_id, field, value, "a time such as 2026-01-01 00:00:00.000000")


def _text_value(job_id: str, field: str, value: object, optional: bool = True) -> Any:
    if (value is None and optional) or isinstance(value, str):
        return value
    raise CorruptJob(job_id, field, value, "text" + (" or NULL" if optional else ""))


def _labels_value(job_id: str, value: object) -> dict[str, str]:
    labels: object = value
    if isinstance(value, (str, bytes)):
        try:
            labels = json.loads(value)
        except ValueError:
            labels = value
    if labels is None:
        return {}
    if isinstance(labels, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        return labels
    raise CorruptJob(job_id, "labels", value, 'a JSON object of strings such as {"team": "vision"}')


def _record(row: Any, lifecycle: Lifecycle) -> JobRecord:
    """A jobs row as a record of ``lifecycle``; :class:`CorruptJob` for a value jobfsm never
    writes, :class:`LifecycleMismatch` for a job of another lifecycle."""
    job_id = str(row.job_id)
    # First: the other columns are only meaningful in the row's own lifecycle.
    name = _lifecycle_value(job_id, row.lifecycle, lifecycle)
    version = row.version
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise CorruptJob(job_id, "version", version, "a whole number of 0 or more")
    return JobRecord(
        job_id,
        _status_value(job_id, "status", row.status, lifecycle),
        version,
        _time_value(job_id, "created_at", row.created_at),
        _time_value(job_id, "updated_at", row.updated_at),
        _labels_value(job_id, row.labels),
        name,
    )


def _record_version(job_id: str, version: object) -> None:
    raise CorruptJob(job_id, "version", version, "a whole number of 0 or more")


def _move(job_id: str, row: Any, lifecycle: Lifecycle) -> Move:
    """A history row as a move; :class:`CorruptJob` for a value jobfsm never writes."""
    where = f"history[{row.seq}]"
    return Move(
        _status_value(job_id, f"{where}.source", row.source, lifecycle),
        _status_value(job_id, f"{where}.target", row.target, lifecycle),
        _text_value(job_id, f"{where}.event", row.event, optional=False),
        _time_value(job_id, f"{where}.at", row.at),
        _text_value(job_id, f"{where}.reason", row.reason),
        _text_value(job_id, f"{where}.actor", row.actor),
        _flag_value(job_id, f"{where}.inferred", row.inferred),
    )


def _flag_value(job_id: str, field: str, value: object) -> bool:
    # SQLite keeps a boolean as 0 or 1; read as stored (see _raw) so that another value is named.
    if isinstance(value, str) and value in ("0", "1"):
        return value == "1"
    if isinstance(value, (bool, int)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise CorruptJob(job_id, field, value, "true or false")


class JobRecords(builtins.list[JobRecord]):
    """The jobs :meth:`JobStore.list` or :meth:`JobStore.stale` found, in order.

    A list of :class:`JobRecord`; a row that cannot be read (changed outside jobfsm) is left out
    and reported in ``errors`` instead, so that one bad row does not hide every other job.

    Attributes:
        errors: one :class:`~jobfsm.errors.CorruptJob` per row left out, in order.
    """

    def __init__(self, records: Iterable[JobRecord] = (), errors: Iterable[CorruptJob] = ()):
        super().__init__(records)
        self.errors: tuple[CorruptJob, ...] = tuple(errors)


def _records(rows: Iterable[Any], lifecycle: Lifecycle) -> JobRecords:
    records: builtins.list[JobRecord] = []
    errors: builtins.list[CorruptJob] = []
    for row in rows:
        try:
            records.append(_record(row, lifecycle))
        except CorruptJob as exc:
            errors.append(exc)
    return JobRecords(records, errors)


def _raw(column: sa.Column[Any]) -> Any:
    """``column`` read as the driver gives it, for the store's own checks (see _record)."""
    return sa.type_coerce(column, sa.String()).label(column.name)


#: The shape of every time SQLAlchemy writes into SQLite ('2026-01-01 00:00:00.000000').
_SQLITE_TIME_SHAPE = (
    "[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9]"
    "[0-9][0-9][0-9]"
)


def _raw_time(column: sa.Column[Any]) -> Any:
    """``column`` read as text, for the store's own checks (see _time_value): psycopg would
    refuse a PostgreSQL time such as 'infinity' while fetching the row, ending the listing."""
    return sa.type_coerce(sa.cast(column, sa.Text), sa.String()).label(column.name)


_JOB_COLUMNS = (
    jobs_table.c.job_id,
    jobs_table.c.status,
    jobs_table.c.version,
    _raw_time(jobs_table.c.created_at),
    _raw_time(jobs_table.c.updated_at),
    _raw(jobs_table.c.labels),
    jobs_table.c.lifecycle,
)
#: The same from a database of schema version 1 or 2, before its first write adds the column.
_LEGACY_JOB_COLUMNS = (
    *_JOB_COLUMNS[:-1],
    sa.literal(LEGACY_LIFECYCLE, sa.String()).label("lifecycle"),
)
