"""The store's own ``jobs`` table under the rules of :mod:`jobfsm.store.rules`: a raw
``UPDATE jobs SET status = ...`` cannot make a move the job's lifecycle does not declare.

Each lifecycle whose jobs a store writes gets its own rules on ``jobs`` (codes in ``status``,
``job_id`` named in messages, every row judged by the lifecycle its ``lifecycle`` column names,
which no UPDATE may change). A job may be created in any status of its lifecycle, as
:meth:`~jobfsm.store.JobStore.create` allows, but not in a code that is none. The rules are
installed by :meth:`~jobfsm.store.JobStore.create_schema` and by a store's first write transaction
(after an in-place upgrade, or when a store opens a database with a lifecycle whose rules are
missing, or were made from another declaration of that name or by another version of jobfsm:
they are then replaced, so the declaration last opened for writing is the one enforced).

On SQLite they are written for any version (their messages are literals): a database is moved
between machines, and a SQLite older than the rules' would not read the database at all. The
store names the job itself: a write the database refuses is reported as
:class:`~jobfsm.errors.IllegalTransition`, with the moves the database allows.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from jobfsm.errors import IllegalTransition
from jobfsm.lifecycle import Lifecycle
from jobfsm.store.rules import CHECK_VIOLATION, TableRules, _ident, table_rules
from jobfsm.store.schema import jobs_table

__all__ = [
    "PORTABLE_SQLITE",
    "RulesRefused",
    "declared_moves",
    "ensure_rules",
    "refused_by_rules",
    "store_rules",
]

#: The SQLite the store's rules are written for: any that reads a WITHOUT ROWID table (3.8.2).
PORTABLE_SQLITE: Final = (3, 8, 2)

#: The advisory lock PostgreSQL installers take, so that two first writers do not both install.
_INSTALL_LOCK: Final = 0x6A6F6266736D  # "jobfsm"

# What the rules' SQLite messages begin with (see jobfsm.store.rules).
_SQLITE_REFUSALS: Final = ("cannot move ", "cannot start in ", "cannot change the lifecycle ")


@functools.lru_cache(maxsize=64)
def store_rules(lifecycle: Lifecycle, backend: str) -> TableRules:
    """The rules of ``lifecycle`` on the store's ``jobs`` table."""
    return table_rules(
        lifecycle,
        dialect=backend,
        table=jobs_table.name,
        column="status",
        id_column="job_id",
        values="codes",
        start="any",
        lifecycle_column="lifecycle",
        sqlite_version=PORTABLE_SQLITE,
    )


def _installed(conn: Connection, rules: TableRules) -> bool:
    """Whether the database holds these rules, as made from this declaration by this jobfsm."""
    n = rules.names
    mark = f"jobfsm rules {rules.fingerprint}"
    if rules.dialect == "postgresql":
        row = conn.execute(
            sa.text(
                "SELECT (SELECT prosrc FROM pg_proc WHERE oid = to_regprocedure(:function)), "
                "(SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(:jobs) "
                "AND tgname IN (:move, :start)), "
                "to_regclass(:moves) IS NOT NULL AND to_regclass(:starts) IS NOT NULL"
            ),
            {
                "function": f"{_ident(n.function)}()",
                "jobs": _ident(rules.table),
                "move": n.move_trigger,
                "start": n.start_trigger,
                "moves": _ident(n.moves),
                "starts": _ident(n.starts),
            },
        ).one()
        source, triggers, tables = row
        return bool(source and mark in source and triggers == 2 and tables)
    found: dict[str, object] = dict(
        conn.execute(
            sa.text(
                "SELECT name, sql FROM sqlite_master WHERE name IN (:moves, :starts, :move, :start)"
            ),
            {
                "moves": n.moves,
                "starts": n.starts,
                "move": n.move_trigger,
                "start": n.start_trigger,
            },
        ).all()
    )
    return len(found) == 4 and all(
        mark in str(found[name]) for name in (n.move_trigger, n.start_trigger)
    )


def ensure_rules(conn: Connection, lifecycle: Lifecycle, backend: str) -> None:
    """Install the rules of ``lifecycle`` on ``jobs`` in the caller's write transaction, unless
    the database holds them already (one query)."""
    rules = store_rules(lifecycle, backend)
    if _installed(conn, rules):
        return
    if backend == "postgresql":
        # SQLite writers hold the write lock from BEGIN; PostgreSQL ones wait here for each other,
        # and the second finds the rules the first committed.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _INSTALL_LOCK})
        if _installed(conn, rules):
            return
    # The DBAPI cursor: the function's format() strings hold % signs, which a driver given
    # parameters would read as placeholders.
    cursor = conn.connection.cursor()
    try:
        for statement in rules.create:
            cursor.execute(statement)
    finally:
        cursor.close()


def refused_by_rules(error: BaseException) -> bool:
    """Whether ``error`` (a DBAPI error, or SQLAlchemy's around one) is a refusal by the rules'
    triggers."""
    orig: Any = getattr(error, "orig", None) or error
    if isinstance(orig, sqlite3.IntegrityError):
        return str(orig).startswith(_SQLITE_REFUSALS)
    if getattr(orig, "sqlstate", None) != CHECK_VIOLATION:
        return False
    constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
    return isinstance(constraint, str) and constraint.startswith("jobfsm_")


def declared_moves(conn: Connection, rules: TableRules) -> frozenset[tuple[int, int]]:
    """The (source, target) codes of the moves the database's rules declare."""
    rows = conn.execute(sa.text(f"SELECT source, target FROM {_ident(rules.names.moves)}"))
    return frozenset((int(source), int(target)) for source, target in rows)


class RulesRefused(Exception):
    """A write the database's rules refused (raised inside the store's transaction, which rolls
    back; the store then reports it as IllegalTransition).

    Attributes:
        moves: the moves the refused statement wrote, as (job id, source code, target code).
    """

    def __init__(self, moves: Sequence[tuple[str, int, int]]) -> None:
        super().__init__(moves)
        self.moves = tuple(moves)

    def error(
        self, lifecycle: Lifecycle, declared: frozenset[tuple[int, int]]
    ) -> IllegalTransition:
        """The first of :attr:`moves` that ``declared`` (the database's moves) lacks, as the
        store reports it: IllegalTransition with the moves the database allows from its source."""
        job_id, source, target = next(
            (move for move in self.moves if move[1:] not in declared), self.moves[0]
        )
        statuses = {int(s): s for s in lifecycle.statuses}
        allowed = frozenset(statuses[b] for a, b in declared if a == source and b in statuses)
        return IllegalTransition(job_id, statuses[source], statuses[target], None, allowed)
