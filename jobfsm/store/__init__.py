"""A persistent job store shared by many workers: SQLite by default, PostgreSQL across machines.

Every move is judged by the same lifecycle rules and guards as :class:`~jobfsm.machine.Job`, then
applied as one compare-and-set on the job's version together with its history row, in one
transaction::

    UPDATE jobs SET status = :target, version = :version_read + 1, updated_at = :at
     WHERE job_id = :job_id AND version = :version_read

When another worker moved the job first, the update matches no row; the store reads the job again
and judges the move from the status it finds (see :meth:`JobStore.transition`). A store remembers
the version it last committed or read of each job, so a worker that keeps moving its own jobs
skips the read: the compare-and-set proves the remembered status is still the stored one.

``version`` counts the history rows, and the history row of a move has ``seq`` equal to the version
it produced, so a lost update would also break the history's primary key.

A poller gives each status with the time it saw it (``at=``), which the history keeps, and may
judge in polled mode, where a jump is written as the chain of moves
:class:`~jobfsm.validate.Rules` infers, the skipped ones marked ``inferred``. A whole poll goes
to :meth:`JobStore.apply`: one transaction and two ``executemany`` statements per batch. The
secondary phase seen with a status (ModelArts v2's, ``detail=`` or an observation's fourth
value) is kept with the move into it, as a :class:`~jobfsm.machine.Move` keeps it.

A store judges by one lifecycle (``JobStore(url, lifecycle=...)``, ModelArts v1 by default) and
keeps each job's lifecycle with it: the jobs of other lifecycles that share the database are left
out of its listings, and reading or moving one raises :class:`~jobfsm.errors.LifecycleMismatch`.

Needs the ``sql`` extra: ``pip install 'jobfsm[sql]'``, but for :mod:`~jobfsm.store.rules`, the
SQL that enforces a lifecycle inside any database (``jobfsm sql``), which is text built from the
lifecycle alone.

The package holds one module per concept: :mod:`~jobfsm.store.jobstore` the :class:`JobStore`
itself (its reads, moves, batches and saves), :mod:`~jobfsm.store.schema` the tables and schema
version, :mod:`~jobfsm.store.migrate` the Alembic migrations that upgrade an older database,
:mod:`~jobfsm.store.records` what a read gives (JobRecord, JobRecords, TransitionResult) and the
checks of stored rows, :mod:`~jobfsm.store.batch` what :meth:`JobStore.apply` gives
(Applied, ApplyKind), :mod:`~jobfsm.store.urls` the store URLs, :mod:`~jobfsm.store.arguments`
the checks of what a store is given, :mod:`~jobfsm.store.sqlite` the SQLite connections, and
:mod:`~jobfsm.store.writer` the :class:`StoreWriter` that writes what a
:class:`~jobfsm.tracker.Tracker` judged; :mod:`~jobfsm.store.rules` the SQL that enforces a
lifecycle inside a database, and :mod:`~jobfsm.store.enforce` those rules on the store's own
``jobs`` table, so that SQL written past the store cannot make an illegal move either; and
:mod:`~jobfsm.store.outbox` the outbox: an event per committed move, read by named consumers
(:class:`StoredEvent`).
"""

from __future__ import annotations

from jobfsm.errors import MissingExtra

#: The modules of the package that need no SQLAlchemy: they import without the extra.
_WITHOUT_SQLALCHEMY = frozenset({"rules"})

try:
    import sqlalchemy  # noqa: F401
except ImportError as exc:  # tests/test_store_optional.py runs this without the extra
    _MISSING = exc

    def __getattr__(name: str) -> object:
        # The package itself still imports, so that jobfsm.store.rules (SQL as text, built from a
        # lifecycle alone) works without the extra; every name of the store says what to install.
        if name.startswith("__") or name in _WITHOUT_SQLALCHEMY:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        raise MissingExtra("the job store (jobfsm.store)", "sql", "sqlalchemy") from _MISSING

else:
    from jobfsm.store.arguments import MAX_NAME_LENGTH as MAX_NAME_LENGTH
    from jobfsm.store.batch import APPLY_READ_CHUNK as APPLY_READ_CHUNK
    from jobfsm.store.batch import Applied, ApplyKind
    from jobfsm.store.batch import _BatchRaced as _BatchRaced
    from jobfsm.store.batch import _stored_time as _stored_time
    from jobfsm.store.jobstore import CONNECT_TIMEOUT as CONNECT_TIMEOUT
    from jobfsm.store.jobstore import DEFAULT_ATTEMPTS as DEFAULT_ATTEMPTS
    from jobfsm.store.jobstore import DEFAULT_CACHE_SIZE as DEFAULT_CACHE_SIZE
    from jobfsm.store.jobstore import MAX_LIMIT as MAX_LIMIT
    from jobfsm.store.jobstore import JobStore
    from jobfsm.store.outbox import StoredEvent
    from jobfsm.store.records import JobRecord, JobRecords, TransitionResult
    from jobfsm.store.schema import LEGACY_LIFECYCLE as LEGACY_LIFECYCLE
    from jobfsm.store.schema import SCHEMA_VERSION, metadata
    from jobfsm.store.schema import history_table as history_table
    from jobfsm.store.schema import jobs_table as jobs_table
    from jobfsm.store.schema import schema_table as schema_table
    from jobfsm.store.sqlite import SNAPSHOT_ATTEMPTS as SNAPSHOT_ATTEMPTS
    from jobfsm.store.sqlite import SQLITE_BUSY_STEP as SQLITE_BUSY_STEP
    from jobfsm.store.sqlite import SQLITE_BUSY_TIMEOUT as SQLITE_BUSY_TIMEOUT
    from jobfsm.store.urls import mask_url as mask_url
    from jobfsm.store.writer import StoreWriter

__all__ = [
    "SCHEMA_VERSION",
    "Applied",
    "ApplyKind",
    "JobRecord",
    "JobRecords",
    "JobStore",
    "StoreWriter",
    "StoredEvent",
    "TransitionResult",
    "metadata",
]
