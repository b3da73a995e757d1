"""Schema version 2: history.inferred (false in every stored row), kept in jobfsm_schema.

Revision ID: 0002_history_inferred
Revises: 0001_v1

A move into a status nobody observed, inferred from a polled observation that skipped it: every
move stored before was observed. The schema version, kept from now on in jobfsm_schema, is 2.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

from jobfsm.store.migrations import add_missing_column

revision = "0002_history_inferred"
down_revision = "0001_v1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_missing_column(
        "history", sa.Column("inferred", sa.Boolean, nullable=False, server_default=sa.false())
    )
    # A database of version 1 may hold the table already (with 1).
    if context.is_offline_mode() or not sa.inspect(op.get_bind()).has_table("jobfsm_schema"):
        schema = op.create_table("jobfsm_schema", sa.Column("version", sa.Integer, nullable=False))
        op.bulk_insert(schema, [{"version": 2}])
    else:
        stored = sa.table("jobfsm_schema", sa.column("version", sa.Integer))
        op.execute(stored.update().where(stored.c.version < 2).values(version=2))


def downgrade() -> None:
    raise NotImplementedError("jobfsm's migrations go forward only")
