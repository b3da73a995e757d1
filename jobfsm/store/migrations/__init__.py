"""The Alembic environment of the store's migrations (env.py) and its revisions (versions/);
run through :mod:`jobfsm.store.migrate`."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

__all__ = ["add_missing_column"]


def add_missing_column(table: str, column: sa.Column[object]) -> None:
    """``ALTER TABLE table ADD COLUMN column``, unless the table has it already (offline, as SQL
    text, always): a database of an older schema version may hold a column a later one added,
    which an upgrade keeps as it is, as jobfsm always has.

    Not in batch mode, which would make a SQLite table again for a default that is an
    expression; SQLite adds a NOT NULL column in place when given a default.
    """
    if not context.is_offline_mode():
        found = sa.inspect(op.get_bind()).get_columns(table)
        if any(c["name"] == column.name for c in found):
            return
    op.add_column(table, column)
