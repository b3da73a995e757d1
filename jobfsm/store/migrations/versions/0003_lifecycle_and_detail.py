"""Schema version 3: jobs.lifecycle ('modelarts-v1' in every stored row) and history.detail (NULL).

Revision ID: 0003_lifecycle_and_detail
Revises: 0002_history_inferred

Each job is stored under the name of the lifecycle whose vocabulary its codes are of; every job
stored before is of modelarts-v1, the only lifecycle jobfsm stored then. A move keeps the
secondary phase observed with its target; no move stored before has one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jobfsm.store.migrations import add_missing_column

revision = "0003_lifecycle_and_detail"
down_revision = "0002_history_inferred"
branch_labels = None
depends_on = None

#: The lifecycle of every job stored before this revision (jobfsm.store.LEGACY_LIFECYCLE).
LEGACY_LIFECYCLE = "modelarts-v1"


def upgrade() -> None:
    # In the order create_schema lays the columns out.
    add_missing_column("history", sa.Column("detail", sa.Text, nullable=True))
    # The default fills the stored rows (SQLite cannot add a NOT NULL column without one); every
    # write names the lifecycle, so PostgreSQL drops it again, making the layout create_schema
    # makes (on SQLite dropping it would mean making the table again, which the rules'
    # triggers and history's foreign key make a poor trade for an unused default).
    add_missing_column(
        "jobs",
        sa.Column("lifecycle", sa.String(255), nullable=False, server_default=LEGACY_LIFECYCLE),
    )
    if op.get_context().dialect.name == "postgresql":
        op.alter_column("jobs", "lifecycle", server_default=None)
    schema = sa.table("jobfsm_schema", sa.column("version", sa.Integer))
    op.execute(schema.update().where(schema.c.version < 3).values(version=3))


def downgrade() -> None:
    raise NotImplementedError("jobfsm's migrations go forward only")
