"""Tracker.persist_to: a StoreWriter writes what the tracker judged, so the store holds the same
statuses and moves, on each backend."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobfsm import DEFAULT_LIFECYCLE, InvalidArgument, JobStatus, JobStore, Tracker
from jobfsm.store import ApplyKind
from jobfsm.tracker import TrackedMove

S = JobStatus
K = ApplyKind
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
START = T0.timestamp()


def test_a_job_the_store_does_not_hold_is_created_where_the_tracker_first_saw_it(
    store: JobStore,
) -> None:
    tracker = Tracker()
    writer = tracker.persist_to(store, batch_size=100)
    tracker.observe("j-1", S.RUNNING, at=START)
    tracker.observe("j-1", S.RUNNING, at=START + 30)  # a repeat: nothing to write
    tracker.observe("j-1", S.WAITING, at=START + 40)  # refused by the rules: nothing either
    tracker.observe("j-1", S.COMPLETED, at=START + 60)
    assert writer.pending == 2
    results = writer.flush()
    assert [r.kind for r in results] == [K.REPEAT, K.MOVED]
    assert writer.pending == 0
    record = store.get("j-1")
    assert (record.status, record.created_at) == (S.COMPLETED, T0)
    assert [(m.source, m.target, m.at) for m in store.history("j-1")] == [
        (S.RUNNING, S.COMPLETED, T0 + timedelta(seconds=60))
    ]
    assert writer.flush() == []


def test_a_full_batch_is_written_at_once(store: JobStore) -> None:
    tracker = Tracker()
    writer = tracker.persist_to(store, batch_size=3)
    tracker.observe_many([("a", S.WAITING, START), ("b", S.WAITING, START)])
    assert writer.pending == 2
    assert "a" not in {r.job_id for r in store.list()}
    tracker.observe("a", S.COMPLETED, at=START + 60)
    assert writer.pending == 0
    assert store.get("a").status is S.COMPLETED
    assert [(m.target, m.inferred) for m in store.history("a")] == [
        (S.RUNNING, True),
        (S.COMPLETED, False),
    ]
    assert store.get("b").status is S.WAITING


def test_a_job_the_store_held_is_judged_from_its_stored_status(store: JobStore) -> None:
    """Not created again: its first observation is an observation like any other, and the
    flush's results say the store refused it."""
    store.create("done", S.COMPLETED, created_at=T0)
    tracker = Tracker()
    with tracker.persist_to(store) as writer:
        tracker.observe("done", S.RUNNING, at=START + 60)
        (result,) = writer.flush()
    assert result.kind is K.REFUSED
    assert store.get("done").status is S.COMPLETED
    assert tracker.status("done") is S.RUNNING


def test_close_writes_and_stops_listening(store: JobStore) -> None:
    tracker = Tracker()
    with tracker.persist_to(store) as writer:
        tracker.observe("a", S.WAITING, at=START)
    assert store.get("a").status is S.WAITING
    tracker.observe("a", S.RUNNING, at=START + 60)
    assert writer.pending == 0
    assert store.get("a").status is S.WAITING


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, "10", True])
def test_a_batch_size_that_is_not_a_whole_number_of_at_least_one_is_refused(
    batch_size: object,
) -> None:
    with JobStore("sqlite://") as store, pytest.raises(InvalidArgument) as info:
        Tracker().persist_to(store, batch_size=batch_size)  # type: ignore[arg-type]
    assert (info.value.argument, info.value.value) == ("batch_size", batch_size)


def test_the_store_must_be_a_job_store_of_the_trackers_lifecycle() -> None:
    with pytest.raises(InvalidArgument) as info:
        Tracker().persist_to("sqlite://")  # type: ignore[arg-type]
    assert info.value.argument == "store"
    other = DEFAULT_LIFECYCLE.with_guards()
    with JobStore("sqlite://", lifecycle=other) as store, pytest.raises(InvalidArgument) as info:
        Tracker().persist_to(store)
    assert info.value.value is store
    tracker = Tracker()
    with JobStore("sqlite://") as store:
        tracker.persist_to(store)  # refused ones registered nothing: this one is the only one
        assert len(tracker._move_listeners) == len(tracker._first_listeners) == 1


ids = itertools.count()

polls = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(sorted(JobStatus)),
        st.integers(0, 20),
    ),
    max_size=30,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    polls,
    st.sampled_from(["strict", "polled"]),
    st.integers(1, 6),
    st.booleans(),
)
def test_the_store_ends_with_what_the_tracker_judged(
    store: JobStore, stream: list[tuple[str, JobStatus, int]], mode: str, size: int, many: bool
) -> None:
    """For any poll stream (repeats, violations, late ones included), after a flush the store's
    status per job is the tracker's, and its history is the tracker's moves with their skipped
    statuses, at the tracker's times."""
    run = f"r{next(ids)}-"  # the store is shared by every example: fresh ids for each
    tracker = Tracker(mode=mode)
    moves: list[TrackedMove] = []
    tracker.on_move(moves.append)
    writer = tracker.persist_to(store, batch_size=size)
    timed = [(run + job, status, START + 60.0 * minutes) for job, status, minutes in stream]
    if many:
        tracker.observe_many(timed)
    else:
        for observation in timed:
            tracker.observe(*observation)
    results = writer.flush()
    assert all(r.kind in (K.MOVED, K.INFERRED, K.REPEAT) for r in results)
    for job_id in tracker.jobs():
        assert store.get(job_id).status is tracker.status(job_id)
        expected = [
            (step, m.at) for m in moves if m.job_id == job_id for step in (*m.skipped, m.target)
        ]
        assert [(m.target, m.at) for m in store.history(job_id)] == expected
