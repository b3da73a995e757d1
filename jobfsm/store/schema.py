"""The store's tables (``jobs``, ``history``, ``jobfsm_schema``) and the schema version they are
checked against; :meth:`JobStore._check_schema` and :meth:`JobStore._upgrade` check and upgrade a
database's layout."""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

metadata = sa.MetaData()

jobs_table = sa.Table(
    "jobs",
    metadata,
    sa.Column("job_id", sa.String(255), primary_key=True),
    sa.Column("status", sa.SmallInteger, nullable=False),
    # The number of committed moves; the compare-and-set token.
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # When the job entered its current status (a repeated observation does not touch it).
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("labels", sa.JSON, nullable=True),
    sa.Index("ix_jobs_status_updated", "status", "updated_at"),
)

history_table = sa.Table(
    "history",
    metadata,
    sa.Column("job_id", sa.String(255), sa.ForeignKey("jobs.job_id"), primary_key=True),
    # 1 for the first move; equals the job's version right after the move.
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("source", sa.SmallInteger, nullable=False),
    sa.Column("target", sa.SmallInteger, nullable=False),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("actor", sa.String(255), nullable=True),
    # A move into a status nobody observed, inferred from a polled observation that skipped it
    # (schema version 2; a version 1 database gains the column, every row false, on first write).
    sa.Column("inferred", sa.Boolean, nullable=False, server_default=sa.false()),
)


#: The layout of the tables this jobfsm writes; kept in ``jobfsm_schema``. A later layout that
#: older code cannot use correctly gets a higher number, which such code then refuses to touch.
#: 2 added ``history.inferred``; a store upgrades a version 1 database in place when it first
#: writes to it, and reads one as it is (every move observed) until then.
SCHEMA_VERSION: Final = 2

schema_table = sa.Table(
    "jobfsm_schema",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)


_NO_TABLES = "it holds no jobfsm tables; run `jobfsm store init URL` (or create_schema()) first"


def _jobfsm_version() -> str:
    from jobfsm import __version__

    return __version__
