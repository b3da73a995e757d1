"""JobStore: jobs and their history in SQLite or PostgreSQL, every move judged by the lifecycle and
written as one compare-and-set."""

from __future__ import annotations

import builtins
import itertools
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone  # noqa: F401 (timezone: apply's doctest)
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool, StaticPool

from jobfsm.errors import (
    CallbackError,
    ConcurrentUpdate,
    CorruptJob,
    IllegalTransition,
    InvalidArgument,
    InvalidTime,
    JobExists,
    JobFSMError,
    JobNotFound,
    LifecycleMismatch,
    MissingExtra,
    StoreUnavailable,
    TransitionRejected,
)
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle, VerdictKind, _check_context
from jobfsm.machine import Job, JobMachine, Move, _aware
from jobfsm.status import JobStatus  # noqa: F401 (the doctests)
from jobfsm.store.arguments import (
    MAX_NAME_LENGTH,
    _job_id,
    _labels,
    _now,
    _store_lifecycle,
    _text,
    _unstorable,
    _utc,
    _whole_number,
)
from jobfsm.store.batch import (
    APPLY_READ_CHUNK,
    Applied,
    ApplyKind,
    _BatchRaced,
    _codes,
    _stored_time,
)
from jobfsm.store.enforce import (
    RulesRefused,
    declared_moves,
    ensure_rules,
    refused_by_rules,
    store_rules,
)
from jobfsm.store.outbox import _add_event_tuples, _add_events, _create_tables, _Outbox
from jobfsm.store.records import (
    _JOB_COLUMNS,
    _LEGACY_JOB_COLUMNS,
    _SQLITE_TIME_SHAPE,
    JobRecord,
    JobRecords,
    TransitionResult,
    _job_row,
    _lifecycle_value,
    _move,
    _raw,
    _raw_time,
    _record,
    _record_version,
    _records,
    _status_value,
    _time_value,
)
from jobfsm.store.schema import (
    _ADDED_COLUMNS,
    _ADDED_TABLES,
    _NO_TABLES,
    HEAD_REVISION,
    LAYOUT_REVISIONS,
    LEGACY_LIFECYCLE,
    SCHEMA_VERSION,
    VERSION_TABLE,
    _jobfsm_version,
    _stored_revisions,
    history_table,
    jobs_table,
    metadata,
    schema_table,
)
from jobfsm.store.sqlite import (
    SNAPSHOT_ATTEMPTS,
    SQLITE_BUSY_STEP,
    SQLITE_BUSY_TIMEOUT,
    _PatientConnection,
    _read_only,
    _sqlite_begin,
    _sqlite_connect,
)
from jobfsm.store.urls import _postgres_parameters, _sqlite_parameters, _store_url, mask_url
from jobfsm.validate import Mode, Rules, StepKind
from jobfsm.vocabulary import Status

if TYPE_CHECKING:
    from types import ModuleType

    from jobfsm.deadlines import Deadlines, OverdueJobs
    from jobfsm.store.migrate import Migration

_T = TypeVar("_T")


#: How many compare-and-set attempts :meth:`JobStore.transition` makes before giving up.
DEFAULT_ATTEMPTS: Final = 16
#: How many jobs a store remembers the last known version of (see ``cache_size``).
DEFAULT_CACHE_SIZE: Final = 10_000
#: The largest ``limit`` :meth:`JobStore.list` takes: SQLite and PostgreSQL both count rows in
#: signed 64-bit integers.
MAX_LIMIT: Final = 2**63 - 1


#: How long to wait for a PostgreSQL server to accept a connection, in seconds.
CONNECT_TIMEOUT: Final = 10


# Built once with bound parameters: constructing a statement per call costs more than the
# database round trip on SQLite.
_READ_FOR_MOVE = sa.select(
    jobs_table.c.status,
    jobs_table.c.version,
    _raw_time(jobs_table.c.updated_at),
    jobs_table.c.lifecycle,
).where(jobs_table.c.job_id == sa.bindparam("job_id"))
_COMPARE_AND_SET = (
    jobs_table.update()
    .where(
        jobs_table.c.job_id == sa.bindparam("b_job_id"),
        jobs_table.c.version == sa.bindparam("b_version"),
        # The version alone proves the status only to writers that bump it; the move is judged
        # from this status, so the write must find it too; and the status's code means it only
        # in the job's lifecycle.
        jobs_table.c.status == sa.bindparam("b_source"),
        jobs_table.c.lifecycle == sa.bindparam("b_lifecycle"),
    )
    .values(
        status=sa.bindparam("b_status"),
        version=sa.bindparam("b_new_version"),
        updated_at=sa.bindparam("b_at"),
    )
)
_ADD_MOVE = history_table.insert()

#: An observation of an :meth:`JobStore.apply` batch as read: ``(job_id, status, at in UTC or
#: None, detail)``.
_Observation = tuple[str, Status, datetime | None, str | None]


def _observation(index: int, item: object) -> tuple[Any, Any, Any, Any]:
    """``item``, an iterable of three or four values but not a tuple (which apply unpacks
    itself), as ``(job_id, status, at, detail)`` with its detail checked; else refused."""
    try:
        values = tuple(cast(Iterable[Any], item))
    except TypeError:
        values = ()
    if len(values) == 3:
        return (*values, None)
    if len(values) != 4:
        raise InvalidArgument(
            f"observations[{index}]",
            item,
            "a (job_id, status, at) or (job_id, status, at, detail) tuple",
        )
    _text(f"observations[{index}].detail", values[3])
    return values


def _migrations() -> ModuleType:
    """:mod:`jobfsm.store.migrate`, imported only when a database is to be migrated or is at
    another revision than :data:`HEAD_REVISION` (Alembic is then needed)."""
    try:
        from jobfsm.store import migrate
    except ImportError as exc:
        raise MissingExtra("the store's migrations", "sql", "alembic") from exc
    return migrate


class JobStore(_Outbox):
    """Jobs kept in a database that many workers share, every move validated by the lifecycle.

    Args:
        url: a SQLite file path, ``sqlite:///path/to/jobs.db`` (``sqlite://`` keeps the jobs in
            memory, for tests), or ``postgresql+psycopg://user:password@host/dbname``.
        lifecycle: the rules every move is judged by; the ModelArts lifecycle by default. Each
            job is stored under the lifecycle's name (see below).
        machine: a :class:`~jobfsm.machine.JobMachine` (of this lifecycle, which it then gives):
            its lifecycle's guards judge every move before the write, as always, its listeners
            hear every move after the commit (see :meth:`transition`), and :meth:`load` gives
            jobs of it. Every method that writes or loads also takes a ``machine`` of its own.
        attempts: how many times a move that lost a race is judged again before
            :class:`ConcurrentUpdate` is raised.
        cache_size: how many jobs' last known (status, version) to remember. A worker that moves
            a job it moved or read before skips the read: the compare-and-set on the version
            proves the remembered status is still current, and on a mismatch the job is read and
            judged again. 0 reads before every move.

    Raises:
        StoreUnavailable: the URL cannot be read or names an unsupported backend.
        InvalidArgument: ``url`` is not a non-empty string, a Path or a SQLAlchemy URL, holds NUL
            or a lone surrogate, a password with an unquoted '@', or a query parameter the store
            does not take (SQLite: only ``timeout``, a number of seconds of 0 or more;
            PostgreSQL: libpq's parameters); ``attempts`` is not a whole number of 1 or more, or
            ``cache_size`` of 0 or more; ``lifecycle`` is not a Lifecycle, or one whose name is
            not printable text of at most 255 characters or whose codes are not 0–32767.

    SQLite runs in WAL mode, and every writer takes the write lock up front (``BEGIN
    IMMEDIATE``), so workers in several processes wait for each other instead of failing: for up
    to ``?timeout=`` seconds (:data:`SQLITE_BUSY_TIMEOUT` by default), in steps short enough that
    Ctrl-C and SIGTERM stop the wait at once. One store may be shared by the threads of a process;
    each process opens its own.

    Every use checks first, once per store, that the database holds tables of a
    :data:`SCHEMA_VERSION` this jobfsm knows (:class:`StoreUnavailable` otherwise). A row changed
    outside jobfsm is reported as :class:`~jobfsm.errors.CorruptJob` naming the job and column;
    :meth:`list` and :meth:`stale` leave it out and keep it in :attr:`JobRecords.errors`.

    Each job is stored under the name of the store's lifecycle, whose vocabulary its codes are
    of. A store reads and moves only the jobs of its own lifecycle: one stored under another is
    left out of :meth:`list` and :meth:`stale` (:meth:`lifecycles` counts every lifecycle's
    jobs), and :meth:`get`, :meth:`history`, :meth:`load`, :meth:`create`, :meth:`transition`
    and :meth:`save` refuse it with :class:`~jobfsm.errors.LifecycleMismatch`, as
    :meth:`apply` refuses it per observation; nothing is written. The name identifies the
    lifecycle: give a lifecycle of your own a name of its own (not the default ``"custom"``).
    Variants made by ``with_guards`` and the like keep their lifecycle's name and vocabulary,
    and so its jobs.

    >>> store = JobStore("sqlite://")
    >>> store.create_schema()
    >>> store.create("train-1").status
    <JobStatus.INIT: 1>
    >>> store.transition("train-1", JobStatus.SUBMIT_TRYING).moved
    True
    >>> store.transition("train-1", "SUBMIT_TRYING").moved  # a repeated observation
    False
    >>> store.transition("train-1", JobStatus.COMPLETED)
    Traceback (most recent call last):
    ...
    jobfsm.errors.IllegalTransition: job train-1: cannot move SUBMIT_TRYING(4) → COMPLETED(10); ...
    >>> [(m.source.name, m.target.name, m.event) for m in store.history("train-1")]
    [('INIT', 'SUBMIT_TRYING', 'submit')]
    >>> store.close()
    """

    def __init__(
        self,
        url: str | Path | URL,
        *,
        lifecycle: Lifecycle | None = None,
        machine: JobMachine | None = None,
        attempts: int = DEFAULT_ATTEMPTS,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        if machine is not None:
            if not isinstance(machine, JobMachine):
                raise InvalidArgument("machine", machine, "a JobMachine, or None")
            if lifecycle is not None and lifecycle is not machine.lifecycle:
                raise InvalidArgument(
                    "lifecycle",
                    lifecycle,
                    "None or the machine's own lifecycle: pass either a lifecycle or a machine, "
                    "not two that disagree",
                )
            lifecycle = machine.lifecycle
        self.lifecycle = _store_lifecycle(DEFAULT_LIFECYCLE if lifecycle is None else lifecycle)
        # Each code as a plain int, at its own index (see _apply_batch).
        self._codes = _codes(self.lifecycle.statuses)
        #: The machine whose listeners hear every move this store commits, and that loaded jobs
        #: keep (None: the lifecycle's shared machine for loaded jobs, and no listener).
        self.machine = machine
        self.attempts = _whole_number("attempts", attempts, 1)
        self._cache_size = _whole_number("cache_size", cache_size, 0)
        # job id -> (status, version, updated_at) this store last committed or read, oldest
        # first; only ever a hint that the compare-and-set confirms.
        self._known: dict[str, tuple[Status, int, datetime]] = {}
        self.url = _store_url(url)
        self.backend = "postgresql" if self.url.get_backend_name() == "postgresql" else "sqlite"
        self._busy_timeout = SQLITE_BUSY_TIMEOUT
        if self.backend == "sqlite":
            self._connect_url, self._busy_timeout = _sqlite_parameters(self.url)
        else:
            self._connect_url = _postgres_parameters(self.url)
        self.engine = self._make_engine()
        # A writer's connections carry this option, so that SQLite takes the lock up front.
        self._writer = self.engine.execution_options(jobfsm_write=True)
        self._file_seen = False
        self._schema_checked = False
        # Whether this store committed a write after checking that the database holds the rules
        # of its lifecycle (see jobfsm.store.enforce).
        self._rules_checked = False
        # A version 1 database read before its first write: its history has no inferred column.
        self._legacy_history = False
        # A version 1 or 2 one: its history has no detail column (no move has a secondary phase).
        self._legacy_detail = False
        # A version 1 or 2 one: its jobs have no lifecycle column (every one is LEGACY_LIFECYCLE).
        self._legacy_jobs = False
        # The database is at an older migration revision than HEAD_REVISION, or records none: the
        # next write transaction checks the schema again, and migrates it.
        self._behind_head = False
        # The revisions the last migration by this store applied, oldest first.
        self._migrated: tuple[Migration, ...] = ()
        self._snapshot: Engine | None = None

    def __repr__(self) -> str:
        return f"<JobStore {mask_url(self.url)}>"

    @property
    def busy_timeout(self) -> float:
        """How long a SQLite writer waits for the write lock in all, in seconds: the URL's
        ``?timeout=``, :data:`SQLITE_BUSY_TIMEOUT` by default."""
        return self._busy_timeout

    @property
    def _sqlite_file(self) -> bool:
        """Whether the store is a SQLite database in a file (not PostgreSQL, not in memory)."""
        return self.backend == "sqlite" and self.url.database not in (None, "", ":memory:")

    def _make_engine(self) -> Engine:
        if self.backend == "postgresql":
            # A connect_timeout given in the URL is the user's choice; a connect argument would
            # override it.
            waits = {"connect_timeout": CONNECT_TIMEOUT}
            if "connect_timeout" in self.url.query:
                waits = {}
            return sa.create_engine(self._connect_url, connect_args=waits, pool_pre_ping=True)
        if not self._sqlite_file:
            # One in-memory database only exists on one connection: share it.
            engine = sa.create_engine(
                self._connect_url, poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        else:
            engine = sa.create_engine(
                self._connect_url,
                connect_args={"timeout": SQLITE_BUSY_STEP, "factory": _PatientConnection},
            )
        self._listen_sqlite(engine)
        return engine

    def _listen_sqlite(self, engine: Engine) -> None:
        total = self._busy_timeout

        def connect(dbapi_connection: Any, connection_record: Any) -> None:
            if isinstance(dbapi_connection, _PatientConnection):
                dbapi_connection.busy_timeout = total
            _sqlite_connect(dbapi_connection, connection_record)

        sa_event.listen(engine, "connect", connect)
        sa_event.listen(engine, "begin", _sqlite_begin)

    def _snapshot_engine(self) -> Engine:
        """Read-only connections that take the SQLite file as it is, without its WAL index."""
        if self._snapshot is None:
            uri = Path(str(self.url.database)).absolute().as_uri() + "?mode=ro&immutable=1"
            self._snapshot = sa.create_engine(
                "sqlite://",
                # immutable=1 lets a connection cache pages for as long as it lives: a fresh one
                # for every read.
                poolclass=NullPool,
                creator=lambda: sqlite3.connect(
                    uri,
                    uri=True,
                    check_same_thread=False,
                    timeout=SQLITE_BUSY_STEP,
                    factory=_PatientConnection,
                ),
            )
            self._listen_sqlite(self._snapshot)
        return self._snapshot

    def close(self) -> None:
        """Close the store's connections (a closed store reconnects when used again)."""
        self.engine.dispose()
        if self._snapshot is not None:
            self._snapshot.dispose()

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connections ----------------------------------------------------------------------------

    @contextmanager
    def _transaction(
        self, *, write: bool, create: bool = False, engine: Engine | None = None
    ) -> Iterator[Connection]:
        if not self._file_seen:
            self._require_file(create=create)
        if engine is None:
            engine = self._writer if write else self.engine
        installed = False
        try:
            with engine.begin() as conn:
                if not self._schema_checked or (write and self._behind_head):
                    self._check_schema(conn, create=create, write=write)
                if write and not create and not self._rules_checked:
                    ensure_rules(conn, self.lifecycle, self.backend)
                    installed = True
                yield conn
        except RulesRefused as refused:
            raise self._rules_refusal(refused) from refused.__cause__
        except sa.exc.OperationalError as exc:
            raise self._unavailable(exc) from exc
        except sa.exc.ProgrammingError as exc:
            # PostgreSQL reports a missing table as a programming error.
            if "jobs" in str(exc.orig) or "history" in str(exc.orig):
                raise self._unavailable(exc) from exc
            raise
        except sa.exc.DatabaseError as exc:
            # For example a SQLite "database" that is some other kind of file.
            raise self._unavailable(exc) from exc
        # Only once committed: rules installed by a transaction that rolled back are not there.
        self._rules_checked = self._rules_checked or installed
        self._file_seen = True

    def _rules_refusal(self, refused: RulesRefused) -> IllegalTransition:
        """A write the database's rules refused, as IllegalTransition with the moves they allow
        (read after the rollback): rules of the store's lifecycle's name installed since this
        store checked, by a store of another declaration of that name."""
        rules = store_rules(self.lifecycle, self.backend)
        try:
            declared = self._read(lambda conn: declared_moves(conn, rules))
        except StoreUnavailable:
            declared = frozenset()  # no moves table: the database allows no move
        error = refused.error(self.lifecycle, declared)
        self._known.pop(str(error.job_id), None)
        return error

    def _check_schema(self, conn: Connection, *, create: bool, write: bool = True) -> None:
        """Refuse a database whose tables this jobfsm cannot use correctly: a newer schema
        version, a migration revision it does not have, or tables laid out otherwise (a column
        missing, or one that must be given and that jobfsm does not know), before anything is
        read or written. Once per store, and again by the first write to a database behind.

        A database without ``jobfsm_schema`` was made before versions were kept, with the tables
        of version 1. A database of an older version lacks the columns later versions added
        (see ``_ADDED_COLUMNS``), and is migrated in place by the first write transaction (see
        :mod:`jobfsm.store.migrate`), as is one at an older revision than
        :data:`~jobfsm.store.schema.HEAD_REVISION` or recording none; until then reads take every
        stored move as observed (version 1) and without a secondary phase, and every job as one
        of :data:`~jobfsm.store.schema.LEGACY_LIFECYCLE` (versions 1 and 2).
        """
        inspector = sa.inspect(conn)
        tables = set(inspector.get_table_names())
        stored_version = 1
        if schema_table.name in tables:
            versions = [r.version for r in conn.execute(sa.select(schema_table.c.version))]
            for version in versions:
                if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                    raise StoreUnavailable(
                        mask_url(self.url),
                        f"its jobfsm_schema table holds {version!r}, not a schema version "
                        "jobfsm writes; it was changed outside jobfsm",
                    )
            newest = max(versions, default=SCHEMA_VERSION)
            stored_version = newest
            if newest > SCHEMA_VERSION:
                raise StoreUnavailable(
                    mask_url(self.url),
                    f"its tables have schema version {newest}, from a newer jobfsm; this one "
                    f"(jobfsm {_jobfsm_version()}) knows versions up to {SCHEMA_VERSION}; "
                    "upgrade jobfsm (pip install -U 'jobfsm[sql]') to use it",
                )
        revisions: tuple[str, ...] = ()
        if VERSION_TABLE in tables:
            revisions = _stored_revisions(conn)
            if revisions != (HEAD_REVISION,):
                known = _migrations().known_revisions()
                unknown = [r for r in revisions if r not in known]
                if unknown:
                    raise StoreUnavailable(
                        mask_url(self.url),
                        f"its tables are at migration revision {', '.join(unknown)}, from a newer "
                        f"jobfsm; this one (jobfsm {_jobfsm_version()}) knows revisions up to "
                        f"{HEAD_REVISION} (schema version {SCHEMA_VERSION}); upgrade jobfsm "
                        "(pip install -U 'jobfsm[sql]') to use it",
                    )
        # The columns of later versions an upgrade adds, by table.
        behind: dict[str, builtins.list[str]] = {}
        for table in (jobs_table, history_table):
            if table.name not in tables:
                if create:
                    continue
                raise StoreUnavailable(mask_url(self.url), _NO_TABLES)
            found = {c["name"]: c for c in inspector.get_columns(table.name)}
            missing = [c.name for c in table.columns if c.name not in found]
            added = _ADDED_COLUMNS[table.name]
            if missing and all(added.get(name, 0) > stored_version for name in missing):
                behind[table.name] = missing
                missing = []
            required = [
                name
                for name, c in found.items()
                if name not in table.c and not c["nullable"] and c.get("default") is None
            ]
            if missing or required:
                problems = [f"it lacks the column(s) {', '.join(missing)}"] if missing else []
                if required:
                    problems.append(
                        f"it has column(s) {', '.join(required)} that must be given (NOT NULL "
                        "without a default), which jobfsm does not know"
                    )
                raise StoreUnavailable(
                    mask_url(self.url),
                    f"its {table.name} table is not one jobfsm schema version {SCHEMA_VERSION} "
                    f"makes: {'; '.join(problems)}",
                )
        if behind and revisions and revisions != (LAYOUT_REVISIONS[stored_version],):
            # The revisions since that version's add the columns: the tables were changed.
            lacking = ", ".join(f"{t}.{c}" for t, cs in behind.items() for c in cs)
            raise StoreUnavailable(
                mask_url(self.url),
                f"its {VERSION_TABLE} table records revision {', '.join(revisions)}, but its "
                f"tables lack {lacking} (schema version {stored_version}); they were changed "
                f"outside jobfsm (drop {VERSION_TABLE} to have them migrated from version "
                f"{stored_version})",
            )
        # A new database (create_schema makes its tables and stamps it) needs no migration.
        fresh = create and not {jobs_table.name, history_table.name} & tables
        self._behind_head = not fresh and (bool(behind) or revisions != (HEAD_REVISION,))
        # The outbox's tables, made on the first write where missing (an older database).
        absent = [t for t in _ADDED_TABLES if t.name not in tables and not create]
        if (self._behind_head or absent) and not write:
            # Read as it is; checked again by the next transaction that writes (and, while
            # columns are missing, by every one: another store may migrate it meanwhile).
            old_history = behind.get(history_table.name, ())
            self._legacy_history = "inferred" in old_history
            self._legacy_detail = "detail" in old_history
            self._legacy_jobs = jobs_table.name in behind
            self._legacy_events = bool(absent)
            self._schema_checked = not behind and not absent
            return
        if self._behind_head:
            self._migrated = _migrations().upgrade(conn)
            self._behind_head = False
        _create_tables(conn, absent)
        self._legacy_events = False
        self._legacy_history = False
        self._legacy_detail = False
        self._legacy_jobs = False
        self._schema_checked = True

    def _require_file(self, *, create: bool) -> None:
        # SQLite creates a missing file on connect: only create_schema may do that, so that a
        # mistyped path is an error rather than a new, empty database.
        if not self._sqlite_file:
            self._file_seen = True
            return
        path = str(self.url.database)
        if os.path.isdir(path):
            # SQLite would only say "unable to open database file".
            raise StoreUnavailable(
                mask_url(self.url),
                f"{path!r} is a directory; give a database file path such as "
                f"{os.path.join(path, 'jobs.db')}",
            )
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            # SQLite would only say "unable to open database file" here too.
            ancestor = folder
            while not os.path.exists(ancestor) and os.path.dirname(ancestor) != ancestor:
                ancestor = os.path.dirname(ancestor)
            if os.path.exists(ancestor) and not os.path.isdir(ancestor):
                problem = f"{ancestor} is a file, not a directory; give another path"
            else:
                problem = (
                    f"the directory {folder} does not exist; create it first, or give another path"
                )
            raise StoreUnavailable(mask_url(self.url), problem)
        if not create and not os.path.exists(path):
            raise StoreUnavailable(
                mask_url(self.url),
                "no such database file; run `jobfsm store init URL` (or create_schema()) first",
            )
        if not create and os.path.isfile(path) and os.path.getsize(path) == 0:
            # SQLite would take an empty file for a new database and write its header into it,
            # turning `store list` of a file that is no store into a write.
            raise StoreUnavailable(mask_url(self.url), _NO_TABLES)

    def _unavailable(self, exc: sa.exc.DBAPIError) -> StoreUnavailable:
        text = str(exc.orig).strip()
        if "no such table" in text or ("does not exist" in text and "relation" in text):
            problem = _NO_TABLES
        elif _read_only(exc):
            path = Path(str(self.url.database))
            problem = (
                f"the database is read-only for this user ({text}); creating and moving jobs "
                f"needs write access to {path} and to its directory {path.parent}"
            )
        else:
            first = text.splitlines()[0] if text else type(exc.orig).__name__
            problem = f"{first} ({type(exc.orig).__name__})"
            if isinstance(exc, sa.exc.IntegrityError):
                problem = f"the database refused the write: {problem}"
        return StoreUnavailable(mask_url(self.url), problem)

    def create_schema(self) -> None:
        """Create the ``jobs`` and ``history`` tables; tables that exist are left alone.

        The schema version (:data:`SCHEMA_VERSION`) is kept in a ``jobfsm_schema`` table, and
        the migration revision (:data:`~jobfsm.store.schema.HEAD_REVISION`) in Alembic's
        ``jobfsm_alembic_version``. A database of an older layout is migrated first (see
        :meth:`upgrade`). The rules of the store's lifecycle are installed on ``jobs`` (see
        :mod:`jobfsm.store.enforce`), as every store's first write installs those of its own.

        Raises:
            StoreUnavailable: the database cannot be reached or opened, or holds tables of a newer
                schema version or revision or of another layout (nothing is created then).
        """
        with self._transaction(write=True, create=True) as conn:
            metadata.create_all(conn, checkfirst=True)
            if conn.execute(sa.select(schema_table.c.version)).first() is None:
                conn.execute(schema_table.insert().values(version=SCHEMA_VERSION))
            if not (sa.inspect(conn).has_table(VERSION_TABLE) and _stored_revisions(conn)):
                _migrations().stamp(conn)
            ensure_rules(conn, self.lifecycle, self.backend)
        self._rules_checked = True

    def upgrade(self, *, dry_run: bool = False) -> tuple[Migration, ...]:
        """Migrate the database to the layout this jobfsm writes, in one transaction: the
        Alembic revisions from the one it is at to the newest (see :mod:`jobfsm.store.migrate`),
        then the rules of the store's lifecycle, as any first write does. Stored rows are kept:
        every stored move counts as observed and without a secondary phase, every stored job
        of a version 1 or 2 database as one of :data:`~jobfsm.store.schema.LEGACY_LIFECYCLE`.
        A database made before revisions were recorded is first stamped at the revision of its
        layout. A second upgrade applies nothing.

        Args:
            dry_run: only give the revisions that would be applied; nothing is written.

        Returns:
            The revisions applied (or that would be), oldest first; empty when the database is
            at the newest.

        Raises:
            StoreUnavailable: the database cannot be reached or opened, holds no jobfsm tables,
                or holds tables of a newer schema version or of a revision this jobfsm does not
                have (upgrade jobfsm then), or of another layout; nothing is written.
            MissingExtra: Alembic is not installed.

        >>> store = JobStore("sqlite://")
        >>> store.create_schema()
        >>> store.upgrade()
        ()
        >>> store.close()
        """
        migrate = _migrations()
        # Checked afresh: another process may have changed the database since this store did.
        self._schema_checked = False
        if dry_run:
            return self._read(migrate.pending)
        self._migrated = ()
        with self._transaction(write=True):
            pass
        return self._migrated

    # -- reads ----------------------------------------------------------------------------------

    def _read(self, work: Callable[[Connection], _T]) -> _T:
        """``work`` in a read transaction; also on a SQLite file this process may only read."""
        try:
            with self._transaction(write=False) as conn:
                return work(conn)
        except StoreUnavailable as exc:
            cause = exc.__cause__
            if not (
                self._sqlite_file
                and isinstance(cause, sa.exc.OperationalError)
                and (_read_only(cause) or "unable to open" in str(cause.orig))
            ):
                raise
        # A WAL database needs its -shm file to be read; when the directory is read-only and no
        # writer has the database open, there is none and SQLite cannot make one. Everything
        # committed is then in the file itself, unless a -wal file is left: read it as it is.
        return self._read_snapshot(work)

    def _read_snapshot(self, work: Callable[[Connection], _T]) -> _T:
        path = Path(str(self.url.database)).absolute()
        wal = path.with_name(path.name + "-wal")
        for _ in range(SNAPSHOT_ATTEMPTS):
            if self._file_state(wal, missing=True)[1]:
                raise StoreUnavailable(
                    mask_url(self.url),
                    f"the database is read-only for this user and {wal.name} holds commits not "
                    f"yet in {path.name}; give this user write access to {path.parent}, or read "
                    "again once the writers have closed the database",
                )
            before = self._file_state(path)
            with self._transaction(write=False, engine=self._snapshot_engine()) as conn:
                result = work(conn)
            # A writer that checkpointed meanwhile may have changed pages under the read.
            if self._file_state(path) == before and not self._file_state(wal, missing=True)[1]:
                return result
        raise StoreUnavailable(
            mask_url(self.url),
            f"the database is read-only for this user and kept changing during "
            f"{SNAPSHOT_ATTEMPTS} reads; try again",
        )

    def _file_state(self, path: Path, *, missing: bool = False) -> tuple[int, int, int]:
        """(inode, size, modification time) of ``path``; zeros for a missing file if allowed."""
        try:
            st = path.stat()
        except FileNotFoundError:
            if missing:
                return (0, 0, 0)
            raise StoreUnavailable(mask_url(self.url), f"{path} disappeared") from None
        except OSError as exc:
            raise StoreUnavailable(mask_url(self.url), f"cannot read {path}: {exc}") from None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _job_columns(self) -> tuple[Any, ...]:
        """The columns a read of jobs rows selects, in a transaction that checked the schema."""
        return _LEGACY_JOB_COLUMNS if self._legacy_jobs else _JOB_COLUMNS

    def _of_lifecycle(self) -> Any:
        """The condition that picks the rows of jobs of the store's lifecycle (likewise)."""
        if self._legacy_jobs:
            return sa.true() if self.lifecycle.name == LEGACY_LIFECYCLE else sa.false()
        return jobs_table.c.lifecycle == self.lifecycle.name

    def get(self, job_id: str) -> JobRecord:
        """The stored job ``job_id``.

        Raises:
            JobNotFound: the store does not hold the job.
            InvalidJobId: not a job id a store can hold (see :meth:`create`).
            LifecycleMismatch: the job is stored under another lifecycle than the store's.
        """
        _job_id(job_id)
        return self._read(
            lambda conn: _record(_job_row(conn, job_id, self._job_columns()), self.lifecycle)
        )

    def history(self, job_id: str) -> tuple[Move, ...]:
        """Every committed move of ``job_id``, oldest first.

        Raises:
            JobNotFound: the store does not hold the job.
            InvalidJobId: not a job id a store can hold (see :meth:`create`).
            LifecycleMismatch: the job is stored under another lifecycle than the store's.
        """
        _job_id(job_id)
        return self._read(lambda conn: self._history(conn, job_id))

    def _history(self, conn: Connection, job_id: str) -> tuple[Move, ...]:
        stored = (
            sa.literal(LEGACY_LIFECYCLE, sa.String())
            if self._legacy_jobs
            else jobs_table.c.lifecycle
        )
        exists = conn.execute(sa.select(stored).where(jobs_table.c.job_id == job_id)).first()
        if exists is None:
            raise JobNotFound(job_id)
        # Its codes are statuses of its own lifecycle only.
        _lifecycle_value(job_id, exists[0], self.lifecycle)
        h = history_table
        inferred = sa.false().label("inferred") if self._legacy_history else _raw(h.c.inferred)
        detail = sa.null().label("detail") if self._legacy_detail else h.c.detail
        rows = conn.execute(
            sa.select(
                h.c.seq,
                h.c.source,
                h.c.target,
                h.c.event,
                _raw_time(h.c.at),
                h.c.reason,
                h.c.actor,
                inferred,
                detail,
            )
            .where(h.c.job_id == job_id)
            .order_by(h.c.seq)
        )
        return tuple(_move(job_id, r, self.lifecycle) for r in rows)

    def list(
        self,
        *,
        status: Status | int | str | Iterable[Status | int | str] | None = None,
        active: bool | None = None,
        limit: int | None = None,
    ) -> JobRecords:
        """The stored jobs of the store's lifecycle, ordered by id, optionally only those in
        some statuses.

        Jobs stored under another lifecycle are not listed (their codes are not statuses of this
        one); :meth:`lifecycles` counts them, and a store opened with their lifecycle lists them.

        Args:
            status: one status or several; None for every status.
            active: True for jobs that can still move, False for terminal ones, None for both.
            limit: at most this many jobs (0 to :data:`MAX_LIMIT`).

        Returns:
            the jobs read; a row that cannot be read is left out and kept in ``errors``.

        Raises:
            UnknownStatus: a status that is not one of the lifecycle's.
            InvalidArgument: a ``limit`` that is not a whole number in range, or an ``active``
                that is not True, False or None.
        """
        codes: builtins.list[int] | None = None
        if status is not None:
            # Anything but a collection is one status, so that parse names it (0.0, b"8", ...).
            one = isinstance(status, (str, bytes)) or not isinstance(status, Iterable)
            many = [status] if one else list(cast(Iterable[object], status))
            codes = [int(self.lifecycle.parse(s)) for s in many]
        chosen: builtins.list[int] | None = None
        if active is not None:
            if not isinstance(active, bool):
                raise InvalidArgument("active", active, "True, False or None")
            chosen = [int(s) for s in self.lifecycle.statuses if s.is_active == active]
        if limit is not None:
            limit = _whole_number("limit", limit, 0, MAX_LIMIT)

        def read(conn: Connection) -> JobRecords:
            query = (
                sa.select(*self._job_columns())
                .where(self._of_lifecycle())
                .order_by(jobs_table.c.job_id)
            )
            if codes is not None:
                query = query.where(jobs_table.c.status.in_(codes))
            if chosen is not None:
                query = query.where(jobs_table.c.status.in_(chosen))
            if limit is not None:
                query = query.limit(limit)
            return _records(conn.execute(query), self.lifecycle)

        return self._read(read)

    def lifecycles(self) -> dict[str, int]:
        """How many jobs the database holds under each lifecycle, by name, in name order: the
        store's own, whose jobs it reads and moves, and any other, whose jobs a store opened with
        that lifecycle reads and moves.

        >>> store = JobStore("sqlite://")
        >>> store.create_schema()
        >>> _ = store.create("train-1")
        >>> store.lifecycles()
        {'modelarts-v1': 1}
        >>> store.close()
        """

        def read(conn: Connection) -> dict[str, int]:
            if self._legacy_jobs:
                count = conn.execute(sa.select(sa.func.count()).select_from(jobs_table)).scalar()
                return {LEGACY_LIFECYCLE: int(count or 0)} if count else {}
            name = jobs_table.c.lifecycle
            rows = conn.execute(
                sa.select(name, sa.func.count()).group_by(name).order_by(name)
            ).all()
            return {str(n): int(c) for n, c in rows}

        return self._read(read)

    def stale(
        self,
        status: Status | int | str,
        older_than: timedelta,
        *,
        now: datetime | None = None,
    ) -> JobRecords:
        """Jobs of the store's lifecycle that have been in ``status`` for longer than
        ``older_than``, oldest first (jobs of another lifecycle are not looked at, as in
        :meth:`list`).

        For example ``stale(JobStatus.KILLING, timedelta(minutes=10))`` finds the kills that
        never finished.

        Args:
            older_than: a duration of zero or more, as :func:`jobfsm.cli.parse_duration` reads
                ``--older-than``.
            now: the time to count back from (a datetime with a time zone); the clock's by
                default.

        Raises:
            UnknownStatus: ``status`` is not one of the lifecycle's.
            InvalidArgument: ``older_than`` is not a timedelta of zero or more.
            InvalidTime: ``now`` is not a datetime with a time zone.
        """
        code = int(self.lifecycle.parse(status))
        # Seconds as a plain number are refused, not guessed: a timedelta says its unit.
        if not isinstance(older_than, timedelta) or older_than < timedelta(0):
            raise InvalidArgument(
                "older_than",
                older_than,
                "a timedelta of zero or more, such as timedelta(minutes=10)",
            )
        if now is not None:
            now = _aware(now, "now")  # a naive time would be taken as this machine's local time
        try:
            cutoff = (now or _now()) - older_than
        except OverflowError:
            return JobRecords()  # longer ago than any time a job can have been stored
        updated = jobs_table.c.updated_at
        # A time changed outside jobfsm ('yesterday', 'infinity') compares as no time does, so the
        # query asks for it too: a job whose time cannot be read may be the stuck one, and is
        # reported (in .errors) rather than silently left out.
        if self.backend == "sqlite":
            unreadable = sa.not_(
                sa.cast(updated, sa.Text).op("GLOB", is_comparison=True)(_SQLITE_TIME_SHAPE)
            )
        else:
            unreadable = sa.not_(sa.func.isfinite(updated))

        def read(conn: Connection) -> JobRecords:
            query = (
                sa.select(*self._job_columns())
                .where(
                    jobs_table.c.status == code,
                    self._of_lifecycle(),
                    sa.or_(updated < self._time(cutoff), unreadable),
                )
                .order_by(updated, jobs_table.c.job_id)
            )
            return _records(conn.execute(query), self.lifecycle)

        found = self._read(read)
        # A time of another shape that still reads as a time is judged by its value.
        return JobRecords([r for r in found if r.updated_at < cutoff], found.errors)

    def overdue(self, limits: Deadlines, *, now: datetime | None = None) -> OverdueJobs:
        """The active jobs of the store's lifecycle past their status's limit at ``now`` (the
        clock's by default), longest past it first: one :meth:`stale` query per limited status,
        by ``updated_at``. See :mod:`jobfsm.deadlines`.

        Raises:
            InvalidArgument: ``limits`` is not a Deadlines of the lifecycle's statuses.
            InvalidTime: ``now`` is not a datetime with a time zone.
        """
        from jobfsm.deadlines import overdue_jobs

        return overdue_jobs(self, limits, now=now)

    def _time(self, value: datetime) -> datetime:
        # SQLite compares stored times as text without a zone: give it naive UTC.
        value = _utc(value)
        return value.replace(tzinfo=None) if self.backend == "sqlite" else value

    # -- writes ---------------------------------------------------------------------------------

    def create(
        self,
        job_id: str,
        status: Status | int | str | None = None,
        labels: Mapping[str, str] | None = None,
        *,
        created_at: datetime | None = None,
    ) -> JobRecord:
        """Start tracking ``job_id`` in ``status`` (the lifecycle's initial status by default,
        INIT for ModelArts v1), with no moves yet, under the store's lifecycle.

        Raises:
            JobExists: the store already holds the job.
            LifecycleMismatch: the store holds the job under another lifecycle.
            UnknownStatus: ``status`` is not one of the lifecycle's.
            InvalidJobId: an id that is not a string, or is blank; :class:`UnusableJobId` (an
                InvalidJobId) for one with a control character (U+0000–U+001F or U+007F: a
                newline, a tab, NUL...) or longer than 255 characters.
            InvalidArgument: labels that do not map strings to strings.
            InvalidTime: ``created_at`` is a naive datetime or not a datetime, as for a
                :class:`~jobfsm.machine.Job`.
        """
        _job_id(job_id)
        code = self.lifecycle.initial if status is None else self.lifecycle.parse(status)
        stored_labels = _labels(labels)
        at = (
            _utc(_aware(created_at, "created_at"), "created_at")
            if created_at is not None
            else _now()
        )
        try:
            with self._transaction(write=True) as conn:
                conn.execute(
                    jobs_table.insert().values(
                        job_id=job_id,
                        status=int(code),
                        version=0,
                        created_at=self._time(at),
                        updated_at=self._time(at),
                        labels=stored_labels,
                        lifecycle=self.lifecycle.name,
                    )
                )
        except StoreUnavailable as exc:
            if not isinstance(exc.__cause__, sa.exc.IntegrityError):
                raise
            try:
                found = self.get(job_id).status
            except JobNotFound:
                raise exc from exc.__cause__  # refused for another reason: say which
            except LifecycleMismatch as mismatch:
                raise mismatch from None
            raise JobExists(job_id, found) from None
        self._remember(job_id, (code, 0, at))
        return JobRecord(job_id, code, 0, at, at, stored_labels or {}, self.lifecycle.name)

    def transition(
        self,
        job_id: str,
        target: Status | int | str,
        *,
        at: datetime | None = None,
        mode: Mode | str = Mode.STRICT,
        expected: Status | int | str | None = None,
        reason: str | None = None,
        actor: str | None = None,
        context: Mapping[str, object] | None = None,
        machine: JobMachine | None = None,
        detail: str | None = None,
    ) -> TransitionResult:
        """Move ``job_id`` to the observed status ``target`` along its declared edge.

        The move is judged from the status the job is in when the write happens: if another
        worker moved the job between the read and the write, the move is judged again from the
        status found, up to ``attempts`` times.

        Args:
            target: the status observed or wanted.
            at: when ``target`` was observed (a datetime with a time zone): the time the history
                row and ``updated_at`` keep. An observation older than the job's last move (or
                its creation) is LATE: nothing is written. By default, now (never before the last
                move: clocks of workers disagree).
            mode: ``"strict"`` (default) or ``"polled"``: a jump is then written as the chain of
                declared moves :class:`~jobfsm.validate.Rules` infers, the skipped statuses'
                moves marked inferred, every one judged (guards included) from the stored status
                and written in the one compare-and-set.
            expected: the status the caller believes the job is in. When the job is found in
                another status the move is refused with :class:`ConcurrentUpdate` (naming both),
                even if it would be legal from there: the caller decided on a stale view. A job
                found already in ``target`` is still a no-op.
            reason, actor: kept in the history row.
            context: shown to the lifecycle's guards.
            detail: the secondary phase observed with ``target`` (ModelArts v2's
                ``secondary_phase``), kept in the move into ``target`` (in polled mode the last
                one: the inferred moves into the skipped statuses have none), as
                :meth:`Job.advance_to <jobfsm.machine.Job.advance_to>` keeps it; never judged.
            machine: a :class:`~jobfsm.machine.JobMachine` of the store's lifecycle whose
                listeners hear the moves written, after the commit, one call per move (an
                inferred chain is several); the store's machine by default. A listener gets a
                :class:`Job` of that machine in the status the write left it in, whose history
                holds that write's moves only (:meth:`load` gives all of them). The machine's
                enter and exit hooks do not run: the move was made in the database, not by the
                in-memory machine.

        Returns:
            ``moved=False`` when the job already was in ``target`` (nothing is written).

        Raises:
            JobNotFound: the store does not hold the job.
            InvalidJobId: not a job id a store can hold (see :meth:`create`).
            LifecycleMismatch: the job is stored under another lifecycle than the store's.
            UnknownStatus: ``target`` or ``expected`` is not one of the lifecycle's.
            UnknownMode: ``mode`` is not a mode.
            InvalidTime: ``at`` is a naive datetime, not a datetime, or outside years 1–9999 in
                UTC.
            InvalidArgument: a ``reason`` or ``detail`` that is not a string, or an ``actor``
                that is not a string of at most 255 characters (nothing is written).
            IllegalTransition: the move is not declared from the status found (polled: no chain
                of declared moves leads there), or leaves a terminal status; or the database's
                rules refused it (rules of another declaration of the lifecycle's name).
            GuardRejected: a guard refused the move (polled: any move of the chain).
            ConcurrentUpdate: ``expected`` does not match, or the job kept moving under us.
            CallbackError: a listener raised (``committed=True``: the move is written).
        """
        _job_id(job_id)
        target = self.lifecycle.parse(target)
        rules = Rules.for_lifecycle(self.lifecycle, mode)
        listening = self._listening(machine)
        when = None if at is None else _utc(_aware(at, "at"), "at")
        wanted = self.lifecycle.parse(expected) if expected is not None else None
        # Checked here: the driver would refuse a list only mid-transaction, and store a number
        # as text without a word.
        _text("reason", reason)
        _text("actor", actor, MAX_NAME_LENGTH)
        _text("detail", detail)
        found = target
        known = self._known.get(job_id)
        for _ in range(self.attempts):
            result: TransitionResult | None = None
            with self._transaction(write=True) as conn:
                if known is not None:
                    # What this store last committed or read: if the job is still at that
                    # version, the status is known and the read can be skipped. The
                    # compare-and-set proves it; any doubt falls through to a read.
                    result = self._try_move(
                        conn,
                        job_id,
                        known,
                        target,
                        wanted,
                        reason,
                        actor,
                        context,
                        when,
                        rules,
                        judge_only_legal=True,
                        detail=detail,
                    )
                    known = None
                if result is None:
                    row = conn.execute(_READ_FOR_MOVE, {"job_id": job_id}).first()
                    if row is None:
                        self._known.pop(job_id, None)
                        raise JobNotFound(job_id)
                    if row.lifecycle != self.lifecycle.name:
                        self._known.pop(job_id, None)
                        _lifecycle_value(job_id, row.lifecycle, self.lifecycle)
                    found = _status_value(job_id, "status", row.status, self.lifecycle)
                    seen = (found, row.version, _time_value(job_id, "updated_at", row.updated_at))
                    self._remember(job_id, seen)
                    result = self._try_move(
                        conn,
                        job_id,
                        seen,
                        target,
                        wanted,
                        reason,
                        actor,
                        context,
                        when,
                        rules,
                        detail=detail,
                    )
            # Remember a move only once it is committed.
            if result is not None:
                if result.moved:
                    assert result.at is not None
                    self._remember(job_id, (target, result.version, result.at))
                    if listening is not None:
                        written = self._moves_of(
                            result.source, result.skipped, target, result.at, reason, actor, detail
                        )
                        self._tell(listening, job_id, written)
                return result
            # Another worker moved the job between our read and our write: judge again.
        raise ConcurrentUpdate(
            job_id, found, target, None, self.lifecycle.next_map[found], wanted, self.attempts
        )

    def _remember_many(self, seen: dict[str, tuple[Status, int, datetime]]) -> None:
        """:meth:`_remember` of a batch's jobs, forgetting the oldest entries at once."""
        if self._cache_size <= 0:
            return
        known = self._known
        for job_id in seen:
            # Re-inserted at the end, as the newest, like _remember does.
            known.pop(job_id, None)
        known.update(seen)
        excess = len(known) - self._cache_size
        if excess > 0:
            for job_id in builtins.list(itertools.islice(known, excess)):
                known.pop(job_id, None)

    def _remember(self, job_id: str, seen: tuple[Status, int, datetime]) -> None:
        if self._cache_size <= 0:
            return
        if len(self._known) >= self._cache_size and job_id not in self._known:
            # Forget the oldest entry; a forgotten job only costs one read on its next move.
            # pop with a default: another thread of this store may have just removed it.
            oldest = next(iter(self._known), None)
            if oldest is not None:
                self._known.pop(oldest, None)
        self._known[job_id] = seen

    def _try_move(
        self,
        conn: Connection,
        job_id: str,
        seen: tuple[Status, int, datetime],
        target: Status,
        wanted: Status | None,
        reason: str | None,
        actor: str | None,
        context: Mapping[str, object] | None,
        at: datetime | None,
        rules: Rules,
        *,
        judge_only_legal: bool = False,
        detail: str | None = None,
    ) -> TransitionResult | None:
        """Judge the move from ``seen`` and apply it; None when the version moved on.

        With ``judge_only_legal`` (a remembered, unconfirmed status) anything but a legal move
        returns None, so that repeats, late observations and refusals are only ever reported
        from a fresh read.
        """
        found, version_read, updated_at = seen
        if at is not None and at < updated_at:
            if judge_only_legal:
                return None
            return TransitionResult(job_id, found, target, False, version_read, kind=StepKind.LATE)
        if found is target:
            if judge_only_legal:
                return None
            return TransitionResult(
                job_id, found, target, False, version_read, kind=StepKind.REPEAT
            )
        if wanted is not None and found is not wanted:
            if judge_only_legal:
                return None
            raise ConcurrentUpdate(
                job_id, found, target, None, self.lifecycle.next_map[found], wanted, 1
            )
        try:
            chain = self._judge_chain(job_id, found, target, context, rules)
        except TransitionRejected:
            if judge_only_legal:
                return None
            raise
        # Clocks of different workers may disagree; a history never goes back in time.
        if at is None:
            at = max(_now(), updated_at)
        stored_at = self._time(at)
        version = version_read + len(chain)
        # One compare-and-set per move of the chain, each the declared move the database's rules
        # check; the first makes the row this transaction's, so the others find it as left.
        steps = [
            {
                "b_job_id": job_id,
                "b_version": version_read + i,
                "b_source": int(source),
                "b_lifecycle": self.lifecycle.name,
                "b_status": int(reached),
                "b_new_version": version_read + i + 1,
                "b_at": stored_at,
            }
            for i, (source, reached, _) in enumerate(chain)
        ]
        try:
            if conn.execute(_COMPARE_AND_SET, steps[0]).rowcount != 1:
                return None
            for step in steps[1:]:
                if conn.execute(_COMPARE_AND_SET, step).rowcount != 1:
                    raise ConcurrentUpdate(
                        job_id, found, target, None, self.lifecycle.next_map[found], wanted, 1
                    )
        except sa.exc.IntegrityError as exc:
            if refused_by_rules(exc):
                raise RulesRefused([(job_id, int(a), int(b)) for a, b, _ in chain]) from exc
            raise
        last = len(chain) - 1
        rows = [
            {
                "job_id": job_id,
                "seq": version_read + 1 + i,
                "source": int(source),
                "target": int(reached),
                "event": event,
                "at": stored_at,
                "reason": reason,
                "actor": actor,
                "inferred": i < last,
                "detail": None if i < last else detail,
            }
            for i, (source, reached, event) in enumerate(chain)
        ]
        conn.execute(_ADD_MOVE, rows[0] if len(rows) == 1 else rows)
        _add_events(conn, self.backend == "postgresql", self.lifecycle.name, rows)
        event = chain[-1][2]
        if last:
            skipped = tuple(reached for _, reached, _ in chain[:-1])
            return TransitionResult(
                job_id, found, target, True, version, event, at, StepKind.INFERRED, skipped
            )
        return TransitionResult(job_id, found, target, True, version, event, at)

    def _judge_chain(
        self,
        job_id: str,
        found: Status,
        target: Status,
        context: Mapping[str, object] | None,
        rules: Rules,
    ) -> builtins.list[tuple[Status, Status, str]]:
        """The moves that take ``found`` to ``target`` by ``rules`` (one, or in polled mode the
        chain they infer), each judged by :meth:`_judge`, guards included, as ``(source, target,
        event)``.

        Raises:
            IllegalTransition, GuardRejected: as :meth:`_judge`, for the first move refused.
        """
        step = rules.table[found][target]
        if not step.skipped:
            return [(found, target, self._judge(job_id, found, target, context))]
        chain = (found, *step.skipped, target)
        return [
            (source, reached, self._judge(job_id, source, reached, context))
            for source, reached in itertools.pairwise(chain)
        ]

    def _judge(
        self,
        job_id: str,
        found: Status,
        target: Status,
        context: Mapping[str, object] | None,
    ) -> str:
        """The event of ``found → target`` by this store's lifecycle, guards included.

        Every write that moves a stored job asks this with the status it read from the database
        in the same transaction, never with what a caller or a :class:`Job` believes.

        Raises:
            IllegalTransition: the move is not declared from ``found`` (or is no move at all).
            GuardRejected: a guard refused it.
        """
        verdict = self.lifecycle.explain(found, target, job_id=job_id, context=context)
        if verdict.kind is VerdictKind.LEGAL:
            assert verdict.event is not None
            return verdict.event
        error = verdict.error(job_id)
        # A "move" to the status the job is in is a repeat, which only transition may skip.
        raise error or IllegalTransition(job_id, found, target, None, verdict.allowed)

    def _judge_moves(
        self,
        job: Job,
        found: Status,
        moves: tuple[Move, ...],
        context: Mapping[str, object] | None,
    ) -> None:
        """Refuse unless ``moves``, made from the stored status ``found`` one after the other, are
        each a move :meth:`_judge` allows, by the event the job recorded, ending at its status.

        Raises:
            ConcurrentUpdate: the job believes it is stored in another status than ``found``.
            IllegalTransition, GuardRejected: a move the store's lifecycle refuses.
        """
        allowed = self.lifecycle.next_map
        current = found
        for m in moves:
            if m.source is not current:
                if current is found:
                    raise ConcurrentUpdate(
                        job.job_id, found, m.target, None, allowed[found], m.source, 1
                    )
                raise IllegalTransition(job.job_id, current, m.target, m.event, allowed[current])
            if self._judge(job.job_id, current, m.target, context) != m.event:
                raise IllegalTransition(job.job_id, current, m.target, m.event, allowed[current])
            current = m.target
        if current is not job.status:
            raise ConcurrentUpdate(
                job.job_id, found, job.status, None, allowed[found], job.status, 1
            )

    # -- listeners ------------------------------------------------------------------------------

    def _check_machine(self, machine: object) -> None:
        if not isinstance(machine, JobMachine):
            raise InvalidArgument("machine", machine, "a JobMachine, or None for the store's")
        if machine.lifecycle is not self.lifecycle:
            raise InvalidArgument(
                "machine",
                machine,
                "a JobMachine of the store's own lifecycle, by which the store judges every move",
            )

    def _listening(self, machine: JobMachine | None) -> JobMachine | None:
        """The machine whose listeners a call tells (the one it names, else the store's), checked
        before anything is written; None when there is no listener to tell."""
        if machine is None:
            machine = self.machine
            if machine is None:
                return None
        else:
            self._check_machine(machine)
        return machine if machine._listeners else None

    def _moves_of(
        self,
        source: Status,
        skipped: tuple[Status, ...],
        target: Status,
        at: datetime,
        reason: str | None,
        actor: str | None,
        detail: str | None = None,
    ) -> builtins.list[Move]:
        """The moves one write made, as the history rows keep them."""
        chain = (source, *skipped, target)
        last = len(chain) - 2
        return [
            Move(
                a,
                b,
                cast(str, self.lifecycle.event_for(a, b)),
                at,
                reason,
                actor,
                i < last,
                None if i < last else detail,
            )
            for i, (a, b) in enumerate(itertools.pairwise(chain))
        ]

    def _announce(
        self, machine: JobMachine, job_id: str, moves: builtins.list[Move]
    ) -> builtins.list[Exception]:
        """Call every listener of ``machine`` for each of ``moves`` (committed); their errors."""
        job = Job(job_id, moves[-1].target, machine=machine, created_at=moves[0].at)
        job._history = moves
        errors: builtins.list[Exception] = []
        for move in moves:
            for listener in tuple(machine._listeners):
                try:
                    listener(job, move)
                except Exception as exc:
                    errors.append(exc)
        return errors

    def _tell(self, machine: JobMachine, job_id: str, moves: builtins.list[Move]) -> None:
        """:meth:`_announce`, then one :class:`CallbackError` carrying every error, if any."""
        errors = self._announce(machine, job_id, moves)
        if errors:
            raise CallbackError(
                job_id, moves[0].source, moves[-1].target, True, errors
            ) from errors[0]

    # -- batches --------------------------------------------------------------------------------

    def apply(
        self,
        observations: Iterable[
            tuple[str, Status | int | str, datetime | None]
            | tuple[str, Status | int | str, datetime | None, str | None]
        ],
        *,
        mode: Mode | str = Mode.STRICT,
        reason: str | None = None,
        actor: str | None = None,
        context: Mapping[str, object] | None = None,
        machine: JobMachine | None = None,
    ) -> builtins.list[Applied]:
        """Judge and write a poll's ``(job_id, status, at)`` observations in one transaction.

        An observation may also be ``(job_id, status, at, detail)``: ``detail`` is the secondary
        phase observed with the status (ModelArts v2's ``secondary_phase``), or None, kept in the
        move into the status (in polled mode, not in the inferred ones), as :meth:`transition`
        keeps it.

        Each observation is judged as :meth:`transition` judges it (``at``: when the status was
        observed, a datetime with a time zone, or None for now; ``mode`` strict or polled; guards
        shown ``context``), from the status the job is stored in, or from where the batch's
        earlier observations of the same job left it. All the batch's moves are then written at
        once: one compare-and-set UPDATE and one history INSERT per move, each as a single
        ``executemany``.

        Every job is read in the writing transaction, so that no other writer can move it
        between the read and the write: SQLite's write lock is held from the transaction's
        start, and PostgreSQL's rows are locked as they are read (``FOR UPDATE``, in id order, so
        that batches do not deadlock). The compare-and-set still checks every job's version and
        status; should it match fewer rows than it judged, the whole batch is rolled back and
        judged again from a fresh read, up to ``attempts`` times, before
        :class:`ConcurrentUpdate` is raised with nothing written.

        An item that cannot be used (not a triple or a 4-tuple, a bad job id, an unknown status,
        a naive time, a detail that is not a string: :class:`InvalidArgument`) is REFUSED with its
        error, as a move the lifecycle refuses is, and so is one of a job stored under another
        lifecycle (with :class:`~jobfsm.errors.LifecycleMismatch`) or whose row cannot be read
        (:class:`~jobfsm.errors.CorruptJob`); nothing is written for it, and the other items are
        applied. Database errors raise, and then nothing of the batch is written; a move the
        database's rules refuse raises IllegalTransition naming it.

        After the commit the listeners of ``machine`` (else of the store's machine) hear every
        move written, in the batch's order, as :meth:`transition` tells them; when some raise,
        every other still runs, then one :class:`CallbackError` names the first job whose
        listener raised and carries every error (the batch is written; its results are lost to
        the caller, so a listener that may raise should log rather than raise).

        Returns:
            one :class:`Applied` per observation, in order.

        Raises:
            UnknownMode: ``mode`` is not a mode.
            InvalidArgument: ``observations`` is not iterable, or ``reason``, ``actor`` or
                ``context`` is of the wrong kind.
            ConcurrentUpdate: the batch lost its compare-and-set ``attempts`` times.
            StoreUnavailable: the database cannot be used.
            CallbackError: a listener raised; the batch is written.

        >>> store = JobStore("sqlite://")
        >>> store.create_schema()
        >>> t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
        >>> for job_id in ("a", "b"):
        ...     _ = store.create(job_id, JobStatus.WAITING, created_at=t0)
        >>> at = t0 + timedelta(minutes=1)
        >>> [r.kind.value for r in store.apply(
        ...     [("a", "RUNNING", at), ("b", "COMPLETED", at), ("a", "RUNNING", at), ("c", 8, at)],
        ...     mode="polled")]
        ['moved', 'inferred', 'repeat', 'unknown job']
        >>> [m.target.name for m in store.history("b")]
        ['RUNNING', 'COMPLETED']
        """
        rules = Rules.for_lifecycle(self.lifecycle, mode)
        listening = self._listening(machine)
        _text("reason", reason)
        _text("actor", actor, MAX_NAME_LENGTH)
        if context is not None:
            _check_context(context)
        try:
            items = builtins.list(observations)
        except TypeError:
            raise InvalidArgument(
                "observations",
                observations,
                "an iterable of (job_id, status, at) or (job_id, status, at, detail) tuples",
            ) from None
        parsed = self._parse_batch(items)
        raced: _BatchRaced | None = None
        for _ in range(self.attempts):
            try:
                with self._transaction(write=True) as conn:
                    try:
                        results, seen = self._apply_batch(
                            conn, parsed, rules, reason, actor, context
                        )
                    except conn.dialect.loaded_dbapi.Error as exc:
                        # The batch uses the DBAPI cursor: give its errors the form every other
                        # statement's take, which _transaction reports.
                        raise sa.exc.DBAPIError.instance(
                            None, None, exc, conn.dialect.loaded_dbapi.Error
                        ) from exc
            except _BatchRaced as exc:
                raced = exc
                continue
            self._remember_many(seen)
            if listening is not None:
                errors: builtins.list[tuple[str, Status, Status, builtins.list[Exception]]]
                errors = []
                # One result per parsed item, in order: a move's detail is its item's.
                for item, r in zip(parsed, results, strict=True):
                    if r.moved:
                        assert r.source is not None
                        assert r.target is not None
                        assert r.at is not None
                        assert not isinstance(item, Applied)
                        job_id = cast(str, r.job_id)
                        written = self._moves_of(
                            r.source, r.skipped, r.target, r.at, reason, actor, item[3]
                        )
                        failed = self._announce(listening, job_id, written)
                        if failed:
                            errors.append((job_id, r.source, r.target, failed))
                if errors:
                    job_id, source, target, _ = errors[0]
                    every = [e for *_, failed in errors for e in failed]
                    raise CallbackError(job_id, source, target, True, every) from every[0]
            return results
        assert raced is not None
        job_id, found, target = raced.args
        raise ConcurrentUpdate(
            job_id, found, target, None, self.lifecycle.next_map[found], None, self.attempts
        )

    def _parse_batch(self, items: builtins.list[Any]) -> builtins.list[_Observation | Applied]:
        """Each item as ``(job_id, status, at in UTC or None, detail)``, or its REFUSED result."""
        statuses, parse = self.lifecycle.statuses, self.lifecycle.parse
        times: dict[datetime, datetime] = {}
        details: set[str] = set()
        out: builtins.list[_Observation | Applied] = []
        for index, item in enumerate(items):
            try:
                detail = None
                if type(item) is tuple and len(item) == 3:
                    job_id, status, at = item
                elif type(item) is tuple and len(item) == 4:
                    job_id, status, at, detail = item
                    # A poll reports a few secondary phases: check each once.
                    if detail is not None and (type(detail) is not str or detail not in details):
                        if type(detail) is not str or _unstorable(detail):
                            _text(f"observations[{index}].detail", detail)
                        details.add(detail)
                else:
                    job_id, status, at, detail = _observation(index, item)
                # Most ids are printable text, which is all _job_id checks beyond length and
                # blankness (isprintable refuses control characters, NUL and surrogates).
                if not (
                    type(job_id) is str
                    and len(job_id) <= MAX_NAME_LENGTH
                    and job_id.isprintable()
                    and job_id.strip()
                ):
                    job_id = _job_id(job_id)
                status = status if type(status) is statuses else parse(status)
                if at is not None:
                    when = times.get(at) if type(at) is datetime else None
                    if when is None:
                        when = times[at] = _utc(_aware(at, "at"), "at")
                    at = when
            except JobFSMError as exc:
                shown = item[0] if isinstance(item, tuple) and item else None
                out.append(Applied(shown, None, ApplyKind.REFUSED, error=exc))
                continue
            out.append((job_id, status, at, detail))
        return out

    def _apply_batch(
        self,
        conn: Connection,
        parsed: builtins.list[_Observation | Applied],
        rules: Rules,
        reason: str | None,
        actor: str | None,
        context: Mapping[str, object] | None,
    ) -> tuple[builtins.list[Applied], dict[str, tuple[Status, int, datetime]]]:
        sqlite = self.backend == "sqlite"
        mark = "?" if sqlite else "%s"
        ids = sorted({p[0] for p in parsed if not isinstance(p, Applied)})
        # job id -> [status, version, updated_at, status read, version read]
        state: dict[str, builtins.list[Any]] = {}
        # job id -> why it is refused: a row that cannot be read, or of another lifecycle.
        corrupt: dict[str, CorruptJob | LifecycleMismatch] = {}
        lock = "" if sqlite else " ORDER BY job_id FOR UPDATE"
        # The DBAPI cursor of the transaction's connection: SQLAlchemy's result rows would cost
        # as much again as the statements.
        cursor = conn.connection.cursor()
        # A poll's jobs mostly entered their status at a few times: parse each text once.
        parsed_times: dict[object, datetime] = {}
        lifecycle = self.lifecycle
        statuses, name = lifecycle.statuses, lifecycle.name
        by_code = statuses._value2member_map_
        # SQLite takes the ids as parameters, some at a time; PostgreSQL as one array.
        step = APPLY_READ_CHUNK if sqlite else max(len(ids), 1)
        for start in range(0, len(ids), step):
            chunk = ids[start : start + step]
            # Times as text, as every read of the store takes them (see _raw_time).
            if sqlite:
                cursor.execute(
                    "SELECT job_id, status, version, updated_at, lifecycle FROM jobs "
                    f"WHERE job_id IN ({', '.join('?' * len(chunk))})",
                    tuple(chunk),
                )
            else:
                cursor.execute(
                    "SELECT job_id, status, version, CAST(updated_at AS TEXT), lifecycle FROM jobs "
                    f"WHERE job_id = ANY(%s){lock}",
                    (chunk,),
                )
            for job_id, status, version, updated_at, under in cursor.fetchall():
                try:
                    # First: the codes of a job of another lifecycle are not this one's statuses.
                    if under != name:
                        _lifecycle_value(job_id, under, lifecycle)
                    found = by_code.get(status) if type(status) is int else None
                    if type(found) is not statuses:
                        found = _status_value(job_id, "status", status, lifecycle)
                    when = parsed_times.get(updated_at)
                    if when is None:
                        when = parsed_times[updated_at] = _time_value(
                            job_id, "updated_at", updated_at
                        )
                    if type(version) is not int or version < 0:
                        _record_version(job_id, version)
                except (CorruptJob, LifecycleMismatch) as exc:
                    corrupt[job_id] = exc
                    continue
                state[job_id] = [found, version, when, found, version, None]
        table = rules.table
        guards = self.lifecycle._guards
        # Per (source, target): the rows the chain writes, as (source code, target code, event,
        # inferred); judged once per batch when no guard needs the job's context.
        codes = self._codes
        size = len(codes)
        chains: builtins.list[builtins.list[Any]] = [[None] * size for _ in range(size)]
        now = _now()
        history: builtins.list[tuple[Any, ...]] = []
        results: builtins.list[Any] = []
        add = results.append
        stored_times: dict[datetime, Any] = {}
        late, repeat, refused = ApplyKind.LATE, ApplyKind.REPEAT, ApplyKind.REFUSED
        moved, inferred = ApplyKind.MOVED, ApplyKind.INFERRED
        # Results by tuple.__new__: a NamedTuple's own constructor is a Python function.
        make = tuple.__new__
        for item in parsed:
            if isinstance(item, Applied):
                add(item)
                continue
            job_id, target, at, detail = item
            job = state.get(job_id)
            if job is None:
                error: JobFSMError = corrupt.get(job_id) or JobNotFound(job_id)
                kind = refused if job_id in corrupt else ApplyKind.UNKNOWN_JOB
                add(Applied(job_id, target, kind, error=error))
                continue
            source, version, last = job[0], job[1], job[2]
            if at is not None and at < last:
                add(make(Applied, (job_id, target, late, source, version, (), None, None)))
                continue
            if target is source:
                add(make(Applied, (job_id, target, repeat, source, version, (), None, None)))
                continue
            chain = None if guards else chains[source][target]
            if chain is None:
                try:
                    judged = self._judge_chain(job_id, source, target, context, rules)
                except TransitionRejected as exc:
                    add(Applied(job_id, target, refused, source, version, error=exc))
                    continue
                last_move = len(judged) - 1
                chain = [
                    (int(a), int(b), event, i < last_move) for i, (a, b, event) in enumerate(judged)
                ]
                if not guards:
                    chains[source][target] = chain
            when = at if at is not None else (now if now >= last else last)
            stored = stored_times.get(when)
            if stored is None:
                stored = stored_times[when] = _stored_time(when, sqlite)
            if len(chain) == 1:
                a, b, event, _ = chain[0]
                version += 1
                history.append((job_id, version, a, b, event, stored, reason, actor, False, detail))
                add(make(Applied, (job_id, target, moved, source, version, (), None, when)))
            else:
                for a, b, event, mark_inferred in chain:
                    version += 1
                    history.append(
                        (
                            job_id,
                            version,
                            a,
                            b,
                            event,
                            stored,
                            reason,
                            actor,
                            mark_inferred,
                            None if mark_inferred else detail,
                        )
                    )
                skipped = table[source][target].skipped
                add(make(Applied, (job_id, target, inferred, source, version, skipped, None, when)))
            job[0], job[1], job[2], job[5] = target, version, when, stored
        # One compare-and-set per move, in the batch's order, each the declared move the
        # database's rules check (a job moved twice, or along an inferred chain, is updated once
        # per move, each finding the row as the one before left it).
        updates = [(h[3], h[1], h[5], h[0], h[1] - 1, h[2]) for h in history]
        if updates:
            try:
                cursor.executemany(
                    f"UPDATE jobs SET status = {mark}, version = {mark}, updated_at = {mark} "
                    f"WHERE job_id = {mark} AND version = {mark} AND status = {mark}",
                    updates,
                )
            except conn.dialect.loaded_dbapi.Error as exc:
                if refused_by_rules(exc):
                    raise RulesRefused([(u[3], u[5], u[0]) for u in updates]) from exc
                raise
            if cursor.rowcount != len(updates):
                target, _, _, job_id, _, source = updates[0]
                raise _BatchRaced(job_id, statuses(source), statuses(target))
            cursor.executemany(
                "INSERT INTO history (job_id, seq, source, target, event, at, reason, actor, "
                f"inferred, detail) VALUES ({', '.join([mark] * 10)})",
                history,
            )
            _add_event_tuples(cursor, sqlite, name, history)
        seen = {job_id: (j[0], j[1], j[2]) for job_id, j in state.items()}
        return results, seen

    # -- the in-memory Job ----------------------------------------------------------------------

    def load(self, job_id: str, *, machine: JobMachine | None = None) -> Job:
        """The stored job as an in-memory :class:`Job` with its whole history, moved by
        ``machine`` (its hooks and listeners), else by the store's, else by the lifecycle's
        shared one.

        Raises:
            JobNotFound: the store does not hold the job.
            InvalidJobId: not a job id a store can hold (see :meth:`create`).
            InvalidArgument: ``machine`` is not a JobMachine of the store's lifecycle.
            LifecycleMismatch: the job is stored under another lifecycle than the store's.
        """
        _job_id(job_id)
        if machine is not None:
            self._check_machine(machine)
        machine = machine or self.machine
        row, moves = self._read(
            lambda conn: (
                _job_row(conn, job_id, self._job_columns()),
                self._history(conn, job_id),
            )
        )
        record = _record(row, self.lifecycle)
        return Job.from_dict(
            {
                "job_id": record.job_id,
                "status": record.status.reported,
                "lifecycle": record.lifecycle,
                "created_at": record.created_at.isoformat(),
                "history": [m.to_dict() for m in moves],
            },
            lifecycle=None if machine is not None else self.lifecycle,
            machine=machine,
        )

    def save(
        self,
        job: Job,
        *,
        labels: Mapping[str, str] | None = None,
        context: Mapping[str, object] | None = None,
        machine: JobMachine | None = None,
    ) -> JobRecord:
        """Store ``job``: create it, or append the moves it made since it was loaded.

        The moves written are told, after the commit, to the listeners of ``machine`` (else of
        the store's machine), as :meth:`transition` tells them.

        The stored history must be the start of the job's history, and the new moves must lead,
        one after the other, from the status the job is stored in to the job's status: each is
        judged by this store's lifecycle (guards included, shown ``context``) from the stored
        status, as :meth:`transition` judges a move. They are appended with one compare-and-set
        on the version, so a job that another worker moved meanwhile is refused rather than
        overwritten, each as the job recorded it (its reason, actor, inferred mark and secondary
        phase). ``labels`` replace the stored labels when given.

        A job the store does not hold is stored under the store's lifecycle, which must be
        declared over the job's statuses; one it holds must be stored under that lifecycle.

        Raises:
            LifecycleMismatch: the job is stored under another lifecycle than the store's.
            ConcurrentUpdate: the stored job has moves this ``job`` does not have, or is stored in
                another status than the one the job's new moves start from.
            IllegalTransition: a new move of ``job`` is not declared by this store's lifecycle.
            GuardRejected: a guard of this store's lifecycle refused a new move.
            InvalidArgument: a move whose reason, actor or detail the store cannot keep (see
                :meth:`transition`), or a job whose statuses are not the store's lifecycle's;
                nothing is written.
            InvalidJobId: the job's id is not one a store can hold (see :meth:`create`).
            InvalidTime: the job's first new move is older than the stored job's last change
                (another writer created or moved it meanwhile); nothing is written.
            CallbackError: a listener raised; the job is stored.
        """
        if not isinstance(job, Job):
            raise InvalidArgument("job", job, "a Job, such as one from load()")
        _job_id(job.job_id)
        if job.lifecycle.statuses is not self.lifecycle.statuses:
            raise InvalidArgument(
                "job",
                job,
                f"a Job whose statuses are those of the store's lifecycle {self.lifecycle.name!r}"
                f" (this one is of {job.lifecycle.name!r}); save it to a store opened with its "
                "lifecycle",
            )
        listening = self._listening(machine)
        moves = job.history
        for i, m in enumerate(moves):
            # A Job checks that they are text, not that the database's column can hold them.
            _text(f"history[{i}].reason", m.reason)
            _text(f"history[{i}].actor", m.actor, MAX_NAME_LENGTH)
            _text(f"history[{i}].detail", m.detail)
        stored_labels = _labels(labels)
        self._known.pop(job.job_id, None)
        try:
            with self._transaction(write=True) as conn:
                row = conn.execute(
                    sa.select(*self._job_columns()).where(jobs_table.c.job_id == job.job_id)
                ).first()
                created: JobRecord | None = None
                if row is None:
                    self._insert_job(conn, job, stored_labels, context)
                    written = moves
                    created = JobRecord(
                        job.job_id,
                        job.status,
                        len(moves),
                        _utc(job.created_at, "created_at"),
                        _utc(moves[-1].at) if moves else _utc(job.created_at, "created_at"),
                        stored_labels or {},
                        self.lifecycle.name,
                    )
                else:
                    # Refuses a job of another lifecycle before anything is judged or written.
                    record = _record(row, self.lifecycle)
                    written = self._append_moves(conn, job, record, stored_labels, context)
        except StoreUnavailable as exc:
            if not isinstance(exc.__cause__, sa.exc.IntegrityError):
                raise
            try:
                found = self.get(job.job_id).status
            except JobNotFound:
                raise exc from exc.__cause__
            except LifecycleMismatch as mismatch:
                raise mismatch from None
            # Another worker created the job between our read and our insert.
            raise ConcurrentUpdate(
                job.job_id, found, job.status, None, self.lifecycle.next_map[found], None, 1
            ) from None
        if listening is not None and written:
            self._tell(listening, job.job_id, builtins.list(written))
        return created if created is not None else self.get(job.job_id)

    def _insert_job(
        self,
        conn: Connection,
        job: Job,
        labels: dict[str, str] | None,
        context: Mapping[str, object] | None,
    ) -> None:
        moves = job.history
        self._judge_moves(job, moves[0].source if moves else job.status, moves, context)
        created = _utc(job.created_at, "created_at")
        conn.execute(
            jobs_table.insert().values(
                job_id=job.job_id,
                status=int(job.status),
                version=len(moves),
                created_at=self._time(created),
                updated_at=self._time(moves[-1].at if moves else created),
                labels=labels,
                lifecycle=self.lifecycle.name,
            )
        )
        self._insert_moves(conn, job.job_id, moves, 1)

    def _append_moves(
        self,
        conn: Connection,
        job: Job,
        record: JobRecord,
        labels: dict[str, str] | None,
        context: Mapping[str, object] | None,
    ) -> tuple[Move, ...]:
        """Append the moves ``job`` made since ``record``; returns them."""
        moves = job.history
        stored = self._history(conn, job.job_id)
        known = [(m.source, m.target, m.event) for m in stored]
        if known != [(m.source, m.target, m.event) for m in moves[: len(stored)]]:
            # What the job believes the stored status is: where it was after the stored moves.
            believed = moves[len(stored) - 1].target if 0 < len(stored) <= len(moves) else None
            raise ConcurrentUpdate(
                job.job_id,
                record.status,
                job.status,
                None,
                self.lifecycle.next_map[record.status],
                believed,
                1,
            )
        new = moves[len(stored) :]
        self._judge_moves(job, record.status, new, context)
        if new and new[0].at < record.updated_at:
            # The stored job changed (or was created, by another writer) after this job's first
            # new move: appended, the history would go back in time and no longer load.
            raise InvalidTime(
                new[0].at,
                f"a time no earlier than the stored job's last change, "
                f"{record.updated_at.isoformat()}; load the job and apply the observation again",
                f"history[{len(stored)}].at",
            )
        values: dict[str, Any] = {}
        if new:
            values.update(
                status=int(job.status), version=len(moves), updated_at=self._time(new[-1].at)
            )
        if labels is not None:
            values["labels"] = labels
        if not values:
            return new
        # One UPDATE per move, each the declared move the database's rules check; the first is
        # the compare-and-set on the stored version, the last also writes the labels.
        steps: builtins.list[dict[str, Any]] = [
            {
                "status": int(m.target),
                "version": record.version + i + 1,
                "updated_at": self._time(m.at),
            }
            for i, m in enumerate(new[:-1])
        ]
        steps.append(values)
        version = record.version
        for step in steps:
            try:
                updated_rows = conn.execute(
                    jobs_table.update()
                    .where(
                        jobs_table.c.job_id == job.job_id,
                        jobs_table.c.version == version,
                        jobs_table.c.lifecycle == record.lifecycle,
                    )
                    .values(**step)
                )
            except sa.exc.IntegrityError as exc:
                if refused_by_rules(exc):
                    written = [(job.job_id, int(m.source), int(m.target)) for m in new]
                    raise RulesRefused(written) from exc
                raise
            if updated_rows.rowcount != 1:
                raise ConcurrentUpdate(
                    job.job_id,
                    record.status,
                    job.status,
                    None,
                    self.lifecycle.next_map[record.status],
                    None,
                    1,
                )
            version = step.get("version", version)
        self._insert_moves(conn, job.job_id, new, len(stored) + 1)
        return new

    def _insert_moves(
        self, conn: Connection, job_id: str, moves: tuple[Move, ...], first_seq: int
    ) -> None:
        if not moves:
            return
        rows = [
            {
                "job_id": job_id,
                "seq": seq,
                "source": int(m.source),
                "target": int(m.target),
                "event": m.event,
                "at": self._time(m.at),
                "reason": m.reason,
                "actor": m.actor,
                "inferred": m.inferred,
                "detail": m.detail,
            }
            for seq, m in enumerate(moves, first_seq)
        ]
        conn.execute(history_table.insert(), rows)
        _add_events(conn, self.backend == "postgresql", self.lifecycle.name, rows)
