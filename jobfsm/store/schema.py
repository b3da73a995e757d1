"""The store's tables (``jobs``, ``history``, the outbox's ``events`` and ``consumers``,
``jobfsm_schema``), the schema version and the migration revision they are checked against;
:meth:`JobStore._check_schema` checks a database's layout, and :mod:`jobfsm.store.migrate`
upgrades it."""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

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
    # The name of the lifecycle the job is judged by, whose vocabulary its codes are of (schema
    # version 3; a version 1 or 2 database gains the column, every row LEGACY_LIFECYCLE, on first
    # write). Last, where ALTER TABLE adds it, so that both layouts order their columns alike.
    sa.Column("lifecycle", sa.String(255), nullable=False),
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
    # The secondary phase observed with the move's target (ModelArts v2's secondary_phase), or
    # NULL: none was observed, or the move was inferred (schema version 3; an older database gains
    # the column, NULL in every row, on first write). Text, not a bounded String: the platform
    # calls its secondary phases internal and changeable and bounds none, and a longer one than
    # a bound would be refused by PostgreSQL mid-batch (rolling a whole poll back) while SQLite
    # kept it; PostgreSQL stores TEXT as it stores VARCHAR(n).
    sa.Column("detail", sa.Text, nullable=True),
)


#: The outbox: one row per committed move, written in the move's transaction (see
#: :mod:`jobfsm.store.outbox`). ``position`` only grows: SQLite's AUTOINCREMENT never reuses a
#: pruned one, and PostgreSQL's writers take positions one transaction at a time.
events_table = sa.Table(
    "events",
    metadata,
    sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.Identity(),
        primary_key=True,
    ),
    sa.Column("job_id", sa.String(255), nullable=False),
    # The history row's seq: (job_id, seq) names the move, for consumers that deduplicate.
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("lifecycle", sa.String(255), nullable=False),
    sa.Column("source", sa.SmallInteger, nullable=False),
    sa.Column("target", sa.SmallInteger, nullable=False),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("actor", sa.String(255), nullable=True),
    sa.Column("inferred", sa.Boolean, nullable=False),
    sa.Column("detail", sa.Text, nullable=True),
    sqlite_autoincrement=True,
)

#: The position each named consumer of the outbox acknowledged.
consumers_table = sa.Table(
    "consumers",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


#: The layout of the tables this jobfsm writes; kept in ``jobfsm_schema``. A later layout that
#: older code cannot use correctly gets a higher number, which such code then refuses to touch.
#: 2 added ``history.inferred``, 3 ``jobs.lifecycle``, ``history.detail`` and the outbox's
#: ``events`` and ``consumers`` tables (see :data:`_ADDED_TABLES`); a store upgrades an older
#: database in place when it first writes to it (running the migrations to :data:`HEAD_REVISION`,
#: as ``jobfsm store upgrade`` does, then making the outbox's tables where missing), and reads one
#: as it is until then (every move observed and without a secondary phase, every job of
#: :data:`LEGACY_LIFECYCLE`, no events).
SCHEMA_VERSION: Final = 3

#: The lifecycle of every job a database of schema version 1 or 2 holds: the only one jobfsm
#: stored then.
LEGACY_LIFECYCLE: Final = "modelarts-v1"

#: The columns each schema version added, per table, with that version: a database of an older
#: one lacks them, and the first write adds them, in this order (see :mod:`jobfsm.store.migrate`).
_ADDED_COLUMNS: Final = {"history": {"inferred": 2, "detail": 3}, "jobs": {"lifecycle": 3}}

#: The tables of version 3 an older database lacks; its first write creates them (empty: no
#: event is made up for the moves stored before), and reads find no event until then.
_ADDED_TABLES: Final = (events_table, consumers_table)

schema_table = sa.Table(
    "jobfsm_schema",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)


#: The table in which Alembic records the revision of the store's migrations
#: (jobfsm/store/migrations) a database is at; named for jobfsm, so that an application keeping
#: its own Alembic history in the same database keeps it apart.
VERSION_TABLE: Final = "jobfsm_alembic_version"

#: The newest revision of the store's migrations: the layout :meth:`JobStore.create_schema` makes
#: and stamps. A database at it needs no migration (and no Alembic import to know it); one at an
#: older revision is migrated by its first write, and one at a revision this jobfsm does not have
#: is refused. Adding a revision moves it (tests/test_store_migrations.py checks they agree).
HEAD_REVISION: Final = "0003_lifecycle_and_detail"

#: The revision whose layout each schema version is: a database made before revisions were
#: recorded (no Alembic version table) is stamped at the one of its ``jobfsm_schema`` version
#: (1 without the table), then migrated from there.
LAYOUT_REVISIONS: Final = {
    1: "0001_v1",
    2: "0002_history_inferred",
    3: "0003_lifecycle_and_detail",
}


def _stored_revisions(conn: Connection) -> tuple[str, ...]:
    """The revisions the database's Alembic version table holds (one, but for branches), sorted;
    empty when it has none. The caller knows the table exists."""
    rows = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    return tuple(sorted(str(r) for r in rows))


_NO_TABLES = "it holds no jobfsm tables; run `jobfsm store init URL` (or create_schema()) first"


def _jobfsm_version() -> str:
    from jobfsm import __version__

    return __version__
