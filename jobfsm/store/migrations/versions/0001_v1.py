"""The tables of schema version 1: jobs and history, no jobfsm_schema.

Revision ID: 0001_v1
Revises: (none)

The layout before schema versions were kept. jobfsm itself never runs this revision: a database
of this layout is stamped at it, and a new one is made by create_schema() and stamped at the
newest revision. It makes, from nothing, the tables the later revisions start from, so that the
chain alone also builds the current layout.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_v1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("job_id", sa.String(255), primary_key=True),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("labels", sa.JSON, nullable=True),
    )
    op.create_index("ix_jobs_status_updated", "jobs", ["status", "updated_at"])
    op.create_table(
        "history",
        sa.Column("job_id", sa.String(255), sa.ForeignKey("jobs.job_id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("source", sa.SmallInteger, nullable=False),
        sa.Column("target", sa.SmallInteger, nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("actor", sa.String(255), nullable=True),
    )


def downgrade() -> None:
    raise NotImplementedError("jobfsm's migrations go forward only")
