"""The outbox: an ``events`` row for every committed move, in the move's own transaction, read in
position order by named consumers that acknowledge how far they got.

Every write that moves a job (:meth:`~JobStore.transition`, :meth:`~JobStore.apply`,
:meth:`~JobStore.save`; inferred moves included, marked ``inferred``) inserts one event per
history row it inserts, in the same transaction: an event exists exactly when its move was
committed. ``position`` is the table's autoincrement key and only grows, in commit order:

- SQLite holds the write lock from BEGIN, so writers commit one at a time, and AUTOINCREMENT
  never gives a pruned position again;
- PostgreSQL writers take a transaction-level advisory lock just before they insert their events
  (the last statement of every write, so no writer waits for a row lock while holding it): a
  position is drawn only once every smaller one is committed or rolled back, so a reader that has
  seen position N never finds a smaller one committed later. The write also runs
  ``NOTIFY jobfsm_events``, delivered when it commits, which :meth:`~JobStore.follow` listens to.

A consumer reads :meth:`~JobStore.events` after the last position it handled and then
:meth:`~JobStore.ack` s it; the position is kept in the ``consumers`` table. Delivery is
at-least-once: a consumer that stops between handling a batch and acknowledging it gets that
batch again; ``(job_id, seq)`` names a move for deduplication. :meth:`~JobStore.prune_events`
deletes what every known consumer has passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import sqlalchemy as sa

from jobfsm.errors import InvalidArgument
from jobfsm.store.arguments import MAX_NAME_LENGTH, _now, _whole_number
from jobfsm.store.records import _raw_time, _time_value
from jobfsm.store.schema import consumers_table, events_table

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from jobfsm.lifecycle import Lifecycle

#: The PostgreSQL channel every write that adds events notifies, in its transaction.
NOTIFY_CHANNEL: Final = "jobfsm_events"
#: The largest position a store keeps (BIGINT).
MAX_POSITION: Final = 2**63 - 1
#: How many events one :meth:`JobStore.events` read gives at most.
MAX_EVENTS_LIMIT: Final = 100_000
#: :meth:`JobStore.follow`'s polling: the first wait after an empty read and the longest one, in
#: seconds (each empty read doubles the wait; PostgreSQL's NOTIFY ends a wait at once).
POLL_FIRST: Final = 0.05
POLL_CAP: Final = 2.0

# The key of the advisory lock PostgreSQL writers take before drawing positions ("jobfsm" in
# ASCII).
_OUTBOX_LOCK: Final = 0x6A6F6266736D
_LOCK_SQL: Final = f"SELECT pg_advisory_xact_lock({_OUTBOX_LOCK})"
_NOTIFY_SQL: Final = f"NOTIFY {NOTIFY_CHANNEL}"
_ADD_EVENT = events_table.insert()
# In the order of apply's history tuples, then the lifecycle.
_EVENT_SQL: Final = (
    "INSERT INTO events (job_id, seq, source, target, event, at, reason, actor, inferred, detail, "
    "lifecycle) VALUES ({marks})"
)
# A wait for a NOTIFY or a poll is cut in slices this long, to notice a stop request.
_SLICE: Final = 0.1


class StoredEvent(NamedTuple):
    """One committed move as the outbox keeps it.

    ``source`` and ``target`` are the statuses' codes: members of the lifecycle's status enum
    (an int enum) when the event's lifecycle is the reading store's or a built-in one, plain ints
    otherwise. ``seq`` is the move's place in the job's history (1 for its first move), so
    ``(job_id, seq)`` names it.
    """

    position: int
    job_id: str
    lifecycle: str
    source: int
    target: int
    event: str
    at: datetime
    actor: str | None
    reason: str | None
    inferred: bool
    detail: str | None
    seq: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form: statuses as clients report them (a v1 code as an int, else the
        name; a plain code when the lifecycle is not known), the time as ISO 8601.

        >>> from jobfsm import JobStatus
        >>> at = datetime(2026, 1, 1)
        >>> e = StoredEvent(1, "j", "modelarts-v1", JobStatus.WAITING, JobStatus.RUNNING,
        ...                 "start", at, None, None, False, None, 1)
        >>> e.to_dict()["source"], e.to_dict()["target_name"]
        (7, 'RUNNING')
        """
        return {
            "position": self.position,
            "job_id": self.job_id,
            "lifecycle": self.lifecycle,
            "seq": self.seq,
            "source": _reported(self.source),
            "target": _reported(self.target),
            "source_name": getattr(self.source, "name", None),
            "target_name": getattr(self.target, "name", None),
            "event": self.event,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "reason": self.reason,
            "inferred": self.inferred,
            "detail": self.detail,
        }


def _reported(status: int) -> int | str:
    reported = getattr(status, "reported", None)
    return int(status) if reported is None else reported


# -- the writes ---------------------------------------------------------------------------------


def _add_events(
    conn: Connection, postgres: bool, lifecycle: str, rows: Sequence[dict[str, Any]]
) -> None:
    """The events of ``rows`` (history rows as a move inserts them), in the move's transaction."""
    if not rows:
        return
    if postgres:
        conn.exec_driver_sql(_LOCK_SQL)
    events = [{**r, "lifecycle": lifecycle} for r in rows]
    conn.execute(_ADD_EVENT, events[0] if len(events) == 1 else events)
    if postgres:
        conn.exec_driver_sql(_NOTIFY_SQL)


def _add_event_tuples(
    cursor: Any, sqlite: bool, lifecycle: str, history: list[tuple[Any, ...]]
) -> None:
    """:func:`_add_events` for :meth:`JobStore.apply`'s history tuples, on its DBAPI cursor."""
    if not history:
        return
    mark = "?" if sqlite else "%s"
    if not sqlite:
        cursor.execute(_LOCK_SQL)
    tail = (lifecycle,)
    cursor.executemany(_EVENT_SQL.format(marks=", ".join([mark] * 11)), [h + tail for h in history])
    if not sqlite:
        cursor.execute(_NOTIFY_SQL)


def _create_tables(conn: Connection, tables: Sequence[sa.Table]) -> None:
    """Create the outbox tables an older database lacks (IF NOT EXISTS: another upgrader may
    have made them meanwhile)."""
    for table in tables:
        conn.execute(sa.schema.CreateTable(table, if_not_exists=True))


# -- the reads and the consumers ----------------------------------------------------------------


def _consumer(name: object) -> str:
    if (
        isinstance(name, str)
        and 0 < len(name) <= MAX_NAME_LENGTH
        and name.isprintable()
        and name.strip()
    ):
        return name
    raise InvalidArgument(
        "consumer", name, f"a name of printable text of at most {MAX_NAME_LENGTH} characters"
    )


def _statuses(own: Lifecycle) -> Callable[[str, int], int]:
    """A reader of an event's codes: a status of its lifecycle where that lifecycle is known."""
    from jobfsm.lifecycles import builtin

    known: dict[str, Any] = {}

    def status(lifecycle: str, code: int) -> int:
        if lifecycle not in known:
            found = own if lifecycle == own.name else builtin(lifecycle)
            known[lifecycle] = None if found is None else found.statuses._value2member_map_
        codes = known[lifecycle]
        return code if codes is None else codes.get(code, code)

    return status


class _Outbox:
    """The outbox's part of :class:`~jobfsm.store.JobStore` (see :mod:`jobfsm.store.outbox`)."""

    # A database of an older version read before its first write: it has no outbox tables yet.
    _legacy_events = False

    if TYPE_CHECKING:
        backend: str
        lifecycle: Lifecycle
        engine: Engine

        def _read(self, work: Callable[[Connection], Any]) -> Any: ...

        def _transaction(self, *, write: bool) -> Any: ...

    def events(
        self, after: int = 0, limit: int = 1000, consumer: str | None = None
    ) -> list[StoredEvent]:
        """Up to ``limit`` events after position ``after``, in position order, of every lifecycle.

        With ``consumer``, the read starts after that consumer's stored position when it is
        further than ``after`` (nothing is acknowledged: see :meth:`ack`).

        Raises:
            InvalidArgument: ``after`` is not a whole number from 0 to :data:`MAX_POSITION`,
                ``limit`` not one from 1 to :data:`MAX_EVENTS_LIMIT`, or ``consumer`` no name.
        """
        after = _whole_number("after", after, 0, MAX_POSITION)
        limit = _whole_number("limit", limit, 1, MAX_EVENTS_LIMIT)
        name = None if consumer is None else _consumer(consumer)
        e = events_table
        status = _statuses(self.lifecycle)

        def read(conn: Connection) -> list[StoredEvent]:
            if self._legacy_events:
                return []
            start = after
            if name is not None:
                start = max(start, _position(conn, name))
            rows = conn.execute(
                sa.select(
                    e.c.position,
                    e.c.job_id,
                    e.c.lifecycle,
                    e.c.source,
                    e.c.target,
                    e.c.event,
                    _raw_time(e.c.at),
                    e.c.actor,
                    e.c.reason,
                    e.c.inferred,
                    e.c.detail,
                    e.c.seq,
                )
                .where(e.c.position > start)
                .order_by(e.c.position)
                .limit(limit)
            )
            return [
                StoredEvent(
                    r.position,
                    r.job_id,
                    r.lifecycle,
                    status(r.lifecycle, r.source),
                    status(r.lifecycle, r.target),
                    r.event,
                    _time_value(r.job_id, "events.at", r.at),
                    r.actor,
                    r.reason,
                    bool(r.inferred),
                    r.detail,
                    r.seq,
                )
                for r in rows
            ]

        result: list[StoredEvent] = self._read(read)
        return result

    def position(self, consumer: str) -> int:
        """The position ``consumer`` last acknowledged; 0 for a consumer never heard of.

        Raises:
            InvalidArgument: ``consumer`` is not a name of printable text of at most 255
                characters.
        """
        name = _consumer(consumer)
        found: int = self._read(lambda conn: 0 if self._legacy_events else _position(conn, name))
        return found

    def ack(self, consumer: str, position: int) -> int:
        """Keep ``position`` as the last one ``consumer`` handled; returns its stored position.

        Only forward: a position behind the stored one is ignored (the stored one is kept and
        returned), so that a consumer restarted on an older batch cannot make others prune
        less, nor itself read the same events twice over. A position past the last event ever
        written is refused: acknowledging an event that does not exist yet would skip it.

        Raises:
            InvalidArgument: ``consumer`` is no name, or ``position`` not a whole number from 0
                to the last position written.
        """
        name = _consumer(consumer)
        position = _whole_number("position", position, 0, MAX_POSITION)
        postgres = self.backend == "postgresql"
        with self._transaction(write=True) as conn:
            if position > _high_water(conn, postgres):
                raise InvalidArgument(
                    "position",
                    position,
                    f"a whole number from 0 to the last position written, "
                    f"{_high_water(conn, postgres)}",
                )
            c = consumers_table
            insert: Any
            if postgres:
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            stmt = insert(c).values(name=name, position=position, updated_at=_now())
            forward = stmt.excluded.position > c.c.position
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[c.c.name],
                    set_={
                        "position": stmt.excluded.position,
                        "updated_at": stmt.excluded.updated_at,
                    },
                    where=forward,
                )
            )
            stored: int = _position(conn, name)
        return stored

    def consumers(self) -> dict[str, int]:
        """Every known consumer's acknowledged position, by name."""

        def read(conn: Connection) -> dict[str, int]:
            if self._legacy_events:
                return {}
            c = consumers_table
            rows = conn.execute(sa.select(c.c.name, c.c.position).order_by(c.c.name))
            return {str(n): int(p) for n, p in rows}

        found: dict[str, int] = self._read(read)
        return found

    def prune_events(self, before: int | None = None) -> int:
        """Delete the events every known consumer has passed (those at or before the smallest
        acknowledged position); returns how many were deleted.

        ``before`` also bounds the deletion to positions below it, and is what lets a store
        without consumers prune at all: with none, nothing is deleted unless it is given. It
        never deletes an event a known consumer has not acknowledged.

        Raises:
            InvalidArgument: ``before`` is not None or a whole number from 0 to
                :data:`MAX_POSITION`.
        """
        if before is not None:
            before = _whole_number("before", before, 0, MAX_POSITION)
        with self._transaction(write=True) as conn:
            e = events_table
            passed = conn.execute(sa.select(sa.func.min(consumers_table.c.position))).scalar()
            if passed is None and before is None:
                return 0
            conditions = []
            if passed is not None:
                conditions.append(e.c.position <= int(passed))
            if before is not None:
                conditions.append(e.c.position < before)
            deleted = conn.execute(e.delete().where(*conditions))
            count: int = deleted.rowcount
        return count

    def follow(
        self,
        *,
        after: int = 0,
        limit: int = 1000,
        consumer: str | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Iterator[list[StoredEvent]]:
        """Batches of new events as they commit, until ``stop()`` is true (checked at least every
        0.1 s while waiting).

        Starts as :meth:`events` does and never acknowledges: a consumer calls :meth:`ack` with
        a batch's last position once it has handled the batch. After an empty read it waits,
        :data:`POLL_FIRST` seconds first, doubling up to :data:`POLL_CAP`; on PostgreSQL a
        ``LISTEN jobfsm_events`` connection ends the wait as soon as a write commits events.
        """
        stopped = stop or (lambda: False)
        position = after
        if consumer is not None:
            position = max(after, self.position(consumer))
        with self._waiter(stopped) as wait:
            delay = POLL_FIRST
            while not stopped():
                batch = self.events(after=position, limit=limit)
                if batch:
                    position = batch[-1].position
                    delay = POLL_FIRST
                    yield batch
                    continue
                wait(delay)
                delay = min(delay * 2, POLL_CAP)

    @contextmanager
    def _waiter(self, stopped: Callable[[], bool]) -> Iterator[Callable[[float], None]]:
        """A wait of up to some seconds, cut short by ``stopped()`` and, on PostgreSQL, by a
        notification on :data:`NOTIFY_CHANNEL` (listened to before the first read)."""
        if self.backend != "postgresql":

            def sleep(seconds: float) -> None:
                end = time.monotonic() + seconds
                while not stopped() and (left := end - time.monotonic()) > 0:
                    time.sleep(min(left, _SLICE))

            yield sleep
            return
        raw = self.engine.raw_connection()
        try:
            listener: Any = raw.driver_connection
            listener.rollback()
            listener.autocommit = True
            listener.execute(f"LISTEN {NOTIFY_CHANNEL}")

            def wait(seconds: float) -> None:
                end = time.monotonic() + seconds
                while not stopped() and (left := end - time.monotonic()) > 0:
                    if any(
                        True for _ in listener.notifies(timeout=min(left, _SLICE), stop_after=1)
                    ):
                        # Take the others already delivered too: one read serves them all.
                        for _ in listener.notifies(timeout=0):
                            pass
                        return

            yield wait
        finally:
            raw.invalidate()


def _position(conn: Connection, name: str) -> int:
    found = conn.execute(
        sa.select(consumers_table.c.position).where(consumers_table.c.name == name)
    ).scalar()
    return 0 if found is None else int(found)


def _high_water(conn: Connection, postgres: bool) -> int:
    """The last position ever drawn (0 for none), pruned or not."""
    if postgres:
        found = conn.exec_driver_sql(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence('events', 'position'))"
        ).scalar()
    else:
        found = conn.exec_driver_sql(
            "SELECT seq FROM sqlite_sequence WHERE name = 'events'"
        ).scalar()
    return 0 if found is None else int(found)
