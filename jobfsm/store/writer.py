"""StoreWriter: what a :class:`~jobfsm.tracker.Tracker` judged, written to a JobStore in batches.

Made by :meth:`Tracker.persist_to <jobfsm.tracker.Tracker.persist_to>`.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from jobfsm.errors import InvalidArgument, JobExists, LifecycleMismatch
from jobfsm.store.batch import Applied
from jobfsm.store.jobstore import JobStore
from jobfsm.vocabulary import Status

if TYPE_CHECKING:
    from jobfsm.tracker import TrackedMove, Tracker

#: Observations a writer buffers before it writes them as one :meth:`JobStore.apply` batch.
DEFAULT_BATCH_SIZE = 1000


class StoreWriter:
    """Writes a tracker's first sightings and moves to ``store``, ``batch_size`` at a time.

    Each job's first observation and each MOVE or INFERRED step (the status observed and its
    time) is buffered; when ``batch_size`` are buffered, or on :meth:`flush`, the jobs first seen
    since the last flush that the store does not hold are created in the status and at the time
    the tracker first saw them, then the buffer goes to :meth:`JobStore.apply` in the tracker's
    mode, which infers the same skipped statuses the tracker did. Repeats, violations and late
    observations change nothing in the tracker, so nothing of them is written.

    The guarantee: after :meth:`flush`, every job the store did not hold before the tracker first
    saw it has, in the store, the status the tracker gives it and the same moves at the same
    times. A job the store already held is not created: its first observation is judged from its
    stored status like any other, and :meth:`flush`'s results say what became of it (REFUSED
    when the lifecycle does not allow it, or with :class:`~jobfsm.errors.LifecycleMismatch` when
    it is stored under another lifecycle; LATE when older than its stored last change). Feed the
    tracker from one thread, or each job from one thread, for the moves to reach the store in
    their order. The tracker does not run guards: with a lifecycle that has some, the store
    judges by them and may refuse what the tracker accepted, which the results say.

    A full batch is written inside the tracker's notification, so a database error then reaches
    the caller of ``observe`` as a CallbackError (the tracker has recorded the observation); the
    buffer is kept and written by the next flush.
    """

    def __init__(self, tracker: Tracker, store: JobStore, batch_size: int = DEFAULT_BATCH_SIZE):
        if not isinstance(store, JobStore):
            raise InvalidArgument("store", store, "a JobStore")
        if store.lifecycle is not tracker.lifecycle:
            raise InvalidArgument(
                "store",
                store,
                f"a JobStore of the tracker's lifecycle {tracker.lifecycle.name!r}, which judges "
                "moves the same way",
            )
        if type(batch_size) is not int or batch_size < 1:
            raise InvalidArgument("batch_size", batch_size, "a whole number of at least 1")
        self.tracker = tracker
        self.store = store
        self.batch_size = batch_size
        # One lock for the buffer and the writes: two flushes at once could write a job's later
        # move before its earlier one, which the store would then call late.
        self._lock = threading.RLock()
        self._pending: list[tuple[str, Status, datetime]] = []
        self._new: dict[str, tuple[Status, datetime]] = {}
        tracker.on_move(self._moved)
        tracker._on_first(self._first)

    def __repr__(self) -> str:
        return f"<StoreWriter to {self.store!r}: {len(self._pending)} pending>"

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pending(self) -> int:
        """Observations buffered and not yet written."""
        return len(self._pending)

    def _first(self, move: TrackedMove) -> None:
        with self._lock:
            self._new.setdefault(move.job_id, (move.target, move.at))
            self._add(move)

    def _moved(self, move: TrackedMove) -> None:
        with self._lock:
            self._add(move)

    def _add(self, move: TrackedMove) -> None:
        self._pending.append((move.job_id, move.target, move.at))
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> list[Applied]:
        """Write what is buffered now; return :meth:`JobStore.apply`'s result per observation.

        Raises what :meth:`JobStore.create` and :meth:`JobStore.apply` raise; the buffer is then
        kept for the next flush.
        """
        with self._lock:
            for job_id, (status, at) in list(self._new.items()):
                # Held already: its first observation is judged from the stored status (or, held
                # under another lifecycle, refused by apply with the others' results).
                with contextlib.suppress(JobExists, LifecycleMismatch):
                    self.store.create(job_id, status, created_at=at)
                del self._new[job_id]
            if not self._pending:
                return []
            results = self.store.apply(self._pending, mode=self.tracker.mode)
            self._pending = []
            return results

    def close(self) -> None:
        """Flush, then stop listening to the tracker."""
        with self._lock:
            self.flush()
            self.tracker.remove_listener(self._moved)
            self.tracker.remove_listener(self._first)
