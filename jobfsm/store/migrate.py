"""The store's migrations: a chain of Alembic revisions (jobfsm/store/migrations/versions) that
takes a database of any released layout to the current one, recorded in Alembic's version table
(:data:`~jobfsm.store.schema.VERSION_TABLE`) while ``jobfsm_schema.version`` is kept in step.

:meth:`JobStore.upgrade <jobfsm.store.JobStore.upgrade>` and ``jobfsm store upgrade`` run them;
so does a store's first write to an older database. They run on the store's own connection,
inside its write transaction: a migration that fails leaves the database as it was. Alembic is
configured here, in code: the package needs no ``alembic.ini``.

A database made before revisions were recorded (no version table) is stamped at the revision of
its layout (:data:`~jobfsm.store.schema.LAYOUT_REVISIONS`, by its ``jobfsm_schema`` version)
and migrated from there. To run Alembic's own commands on a store (``history``, ``current``, a
new ``revision`` while developing jobfsm), give them :func:`config`::

    from alembic import command
    from jobfsm.store.migrate import config

    command.history(config())
    command.current(config("sqlite:///jobs.db"))
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from jobfsm.store.schema import LAYOUT_REVISIONS, VERSION_TABLE, _stored_revisions, schema_table

__all__ = [
    "MIGRATIONS",
    "Migration",
    "config",
    "head",
    "known_revisions",
    "pending",
    "stamp",
    "upgrade",
]

#: The migration environment shipped in the package: env.py, script.py.mako and versions/.
MIGRATIONS: Final = Path(__file__).with_name("migrations")

#: The advisory lock PostgreSQL migrators take, so that two first writers do not both migrate
#: (the rules' installers take the next key).
_MIGRATE_LOCK: Final = 0x6A6F6266736D - 1


@dataclass(frozen=True)
class Migration:
    """One revision of the store's migrations.

    Attributes:
        revision: its id, such as ``0002_history_inferred``.
        description: the first line of its docstring.
    """

    revision: str
    description: str

    def __str__(self) -> str:
        return f"{self.revision}: {self.description}"


def config(url: str | None = None, *, connection: Connection | None = None) -> Config:
    """An Alembic configuration of the store's migrations, for ``url`` (or an open
    ``connection``, whose transaction the migrations then run in; neither: only commands that
    read the revisions, such as ``history``, work)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        # The configuration interpolates %(name)s: a percent-encoded password keeps its %.
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


@functools.lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def known_revisions() -> frozenset[str]:
    """The ids of every revision this jobfsm has."""
    return frozenset(s.revision for s in _script().walk_revisions())


def head() -> str:
    """The newest revision this jobfsm has."""
    newest = _script().get_current_head()
    assert newest is not None  # the package ships its revisions
    return newest


def _layout_revision(conn: Connection) -> str:
    """The revision whose layout a database made before revisions were recorded is."""
    version = 1
    if sa.inspect(conn).has_table(schema_table.name):
        version = max(conn.execute(sa.select(schema_table.c.version)).scalars(), default=1)
    return LAYOUT_REVISIONS[version]


def _current(conn: Connection) -> tuple[str, ...]:
    """The revisions the database is at: recorded, or (none recorded) its layout's."""
    stored: tuple[str, ...] = ()
    if sa.inspect(conn).has_table(VERSION_TABLE):
        stored = _stored_revisions(conn)
    return stored or (_layout_revision(conn),)


def _migration(script: Any) -> Migration:
    return Migration(str(script.revision), str(script.doc).strip().splitlines()[0])


def pending(conn: Connection) -> tuple[Migration, ...]:
    """The revisions an upgrade of the database would apply, oldest first (nothing is written).
    The caller has checked that the database is at revisions this jobfsm has."""
    current = _current(conn)
    scripts = _script().iterate_revisions("heads", current)
    return tuple(reversed([_migration(s) for s in scripts if s.revision not in current]))


def stamp(conn: Connection) -> None:
    """Record the newest revision in the database, in the caller's transaction, running none:
    for tables :meth:`JobStore.create_schema <jobfsm.store.JobStore.create_schema>` made."""
    command.stamp(config(connection=conn), "heads")


def upgrade(conn: Connection) -> tuple[Migration, ...]:
    """Migrate the database to the newest revision in the caller's transaction; the revisions
    applied, oldest first. The caller has checked that the database is at revisions this jobfsm
    has.

    SQLite writers hold the write lock from BEGIN; PostgreSQL ones wait here for each other, and
    the second finds the database migrated by the first.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATE_LOCK})
    applied: list[Migration] = []

    def on_apply(*, step: Any, **_: Any) -> None:
        if step.is_upgrade and not step.is_stamp:
            applied.append(_migration(_script().get_revision(step.up_revision_id)))

    cfg = config(connection=conn)
    cfg.attributes["on_version_apply"] = on_apply
    if not (sa.inspect(conn).has_table(VERSION_TABLE) and _stored_revisions(conn)):
        command.stamp(cfg, _layout_revision(conn))
    command.upgrade(cfg, "heads")
    return tuple(applied)
