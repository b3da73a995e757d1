"""JobStore.apply: a poll's observations judged and written in one transaction; both backends."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from conftest import drop_store_rules
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import (
    DEFAULT_LIFECYCLE,
    ConcurrentUpdate,
    CorruptJob,
    Guard,
    GuardRejected,
    IllegalTransition,
    InvalidArgument,
    InvalidJobId,
    InvalidTime,
    JobNotFound,
    JobStatus,
    JobStore,
    StepKind,
    UnknownMode,
    UnknownStatus,
)
from jobfsm.store import ApplyKind, _BatchRaced
from jobfsm.vocabulary import Status

S = JobStatus
K = ApplyKind
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)


def moves(store: JobStore, job_id: str) -> list[tuple[Status, Status, datetime, bool]]:
    return [(m.source, m.target, m.at, m.inferred) for m in store.history(job_id)]


def test_every_kind_of_result_in_order(store: JobStore) -> None:
    """One result per item: moved, repeat, late, refused with its error, unknown job, and items
    that cannot be used; only the moves are written."""
    for job_id in ("a", "b", "c"):
        store.create(job_id, S.WAITING, created_at=T0)
    at = T0 + MINUTE
    results = store.apply(
        [
            ("a", S.RUNNING, at),
            ("b", "WAITING", at),
            ("c", 8, T0 - MINUTE),
            ("b", S.COMPLETED, at),
            ("zz", S.RUNNING, at),
            ("a", "NOPE", at),
            ("", S.RUNNING, at),
            ("a", S.RUNNING, datetime(2026, 1, 1)),
            ("a", S.RUNNING),  # type: ignore[list-item]
        ]
    )
    assert [r.kind for r in results] == [
        K.MOVED,
        K.REPEAT,
        K.LATE,
        K.REFUSED,
        K.UNKNOWN_JOB,
        K.REFUSED,
        K.REFUSED,
        K.REFUSED,
        K.REFUSED,
    ]
    errors = [type(r.error) for r in results]
    assert errors == [
        type(None),
        type(None),
        type(None),
        IllegalTransition,
        JobNotFound,
        UnknownStatus,
        InvalidJobId,
        InvalidTime,
        InvalidArgument,
    ]
    assert (results[0].source, results[0].version, results[0].moved) == (S.WAITING, 1, True)
    assert (results[2].source, results[2].version, results[2].moved) == (S.WAITING, 0, False)
    assert moves(store, "a") == [(S.WAITING, S.RUNNING, at, False)]
    assert [store.get(j).version for j in ("a", "b", "c")] == [1, 0, 0]
    assert store.get("a").updated_at == at


def test_a_polled_batch_infers_and_follows_a_job_through_the_batch(store: JobStore) -> None:
    """Later observations of a job are judged from where the earlier ones left it; a jump is
    written as its inferred chain; the version counts every row."""
    store.create("a", S.WAITING, created_at=T0)
    store.create("b", S.WAITING, created_at=T0)
    results = store.apply(
        [
            ("a", S.RUNNING, T0 + MINUTE),
            ("b", S.COMPLETED, T0 + MINUTE),
            ("a", S.COMPLETED, T0 + 2 * MINUTE),
            ("a", S.RUNNING, T0 + 90 * timedelta(seconds=1)),
        ],
        mode="polled",
    )
    assert [(r.kind, r.version, r.skipped) for r in results] == [
        (K.MOVED, 1, ()),
        (K.INFERRED, 2, (S.RUNNING,)),
        (K.MOVED, 2, ()),
        (K.LATE, 2, ()),
    ]
    assert moves(store, "a") == [
        (S.WAITING, S.RUNNING, T0 + MINUTE, False),
        (S.RUNNING, S.COMPLETED, T0 + 2 * MINUTE, False),
    ]
    assert moves(store, "b") == [
        (S.WAITING, S.RUNNING, T0 + MINUTE, True),
        (S.RUNNING, S.COMPLETED, T0 + MINUTE, False),
    ]
    assert (store.get("a").status, store.get("a").version) == (S.COMPLETED, 2)
    # What the store remembers is what it committed: the next move skips the read and holds.
    assert store.transition("b", S.COMPLETED).kind is StepKind.REPEAT


def test_strict_refuses_a_jump_that_polled_infers(store: JobStore) -> None:
    store.create("a", S.WAITING, created_at=T0)
    (result,) = store.apply([("a", S.COMPLETED, T0 + MINUTE)])
    assert (result.kind, type(result.error)) == (K.REFUSED, IllegalTransition)
    assert store.history("a") == ()


def test_guards_judge_every_move_of_a_batch(store_url: str) -> None:
    lifecycle = DEFAULT_LIFECYCLE.with_guards(
        Guard(
            "gpus",
            lambda m: m.context.get("gpus", 0) in range(9),
            "at most 8 GPUs",
            events={"start"},
        )
    )
    with JobStore(store_url, lifecycle=lifecycle) as guarded:
        guarded.create_schema()
        guarded.create("a", S.WAITING, created_at=T0)
        guarded.create("b", S.RUNNING, created_at=T0)
        batch = [("a", S.COMPLETED, T0 + MINUTE), ("b", S.COMPLETED, T0 + MINUTE)]
        results = guarded.apply(batch, mode="polled", context={"gpus": 16})
        assert [r.kind for r in results] == [K.REFUSED, K.MOVED]
        assert isinstance(results[0].error, GuardRejected)
        assert guarded.history("a") == ()
        assert guarded.apply(batch, mode="polled", context={"gpus": 1})[0].kind is K.INFERRED


def test_reason_and_actor_are_kept_and_checked(store: JobStore) -> None:
    store.create("a", S.WAITING, created_at=T0)
    with pytest.raises(InvalidArgument):
        store.apply([("a", S.RUNNING, None)], actor="x" * 256)
    with pytest.raises(UnknownMode):
        store.apply([("a", S.RUNNING, None)], mode="lenient")
    with pytest.raises(InvalidArgument):
        store.apply(5)  # type: ignore[arg-type]
    assert store.history("a") == ()
    store.apply([("a", S.RUNNING, None)], reason="poll", actor="sched-1")
    (move,) = store.history("a")
    assert (move.reason, move.actor) == ("poll", "sched-1")


def test_a_corrupt_row_refuses_its_items_only(store: JobStore, store_url: str) -> None:
    import sqlalchemy as sa

    store.create("a", S.WAITING, created_at=T0)
    store.create("bad", S.WAITING, created_at=T0)
    drop_store_rules(store_url)  # which refuse a status that is none
    engine = sa.create_engine(store._connect_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE jobs SET status = 99 WHERE job_id = 'bad'")
    engine.dispose()
    with JobStore(store_url) as other:
        results = other.apply([("bad", S.RUNNING, None), ("a", S.RUNNING, None)])
        assert [r.kind for r in results] == [K.REFUSED, K.MOVED]
        assert isinstance(results[0].error, CorruptJob)


def test_an_empty_batch_writes_nothing(store: JobStore) -> None:
    assert store.apply([]) == []


def test_a_batch_that_lost_its_compare_and_set_is_judged_again(
    store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short compare-and-set rolls the batch back and judges it again; after ``attempts``
    losses, ConcurrentUpdate with nothing written."""
    store.create("a", S.WAITING, created_at=T0)
    real = JobStore._apply_batch
    calls = []

    def losing(self: JobStore, *args: Any) -> Any:
        calls.append(1)
        result = real(self, *args)  # writes, then loses: the rollback must undo it
        if len(calls) < 3:
            raise _BatchRaced("a", S.RUNNING, S.SCALING)
        return result

    monkeypatch.setattr(JobStore, "_apply_batch", losing)
    (result,) = store.apply([("a", S.RUNNING, T0 + MINUTE)])
    assert (len(calls), result.kind, result.version) == (3, K.MOVED, 1)
    assert len(store.history("a")) == 1
    calls.clear()
    store.attempts = 2
    with pytest.raises(ConcurrentUpdate) as info:
        store.apply([("a", S.SCALING, T0 + 2 * MINUTE)])
    assert (info.value.job_id, info.value.source, info.value.target) == ("a", S.RUNNING, S.SCALING)
    assert info.value.attempts == 2
    assert (store.get("a").version, len(calls)) == (1, 2)


def test_concurrent_batches_lose_no_update(store: JobStore, store_url: str) -> None:
    """Workers applying batches to the same jobs at once: every move is judged from the stored
    status, every history is a chain, and versions count the rows."""
    ids = [f"j{k}" for k in range(20)]
    for job_id in ids:
        store.create(job_id, S.RUNNING, created_at=T0)
    moved: list[int] = []
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with JobStore(store_url) as mine:
                for r in range(6):
                    target = S.SCALING if (n + r) % 2 else S.RUNNING
                    results = mine.apply([(j, target, None) for j in ids])
                    moved.append(sum(res.moved for res in results))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    total = 0
    for job_id in ids:
        history = store.history(job_id)
        assert all(a.target is b.source for a, b in itertools.pairwise(history))
        assert store.get(job_id).version == len(history)
        total += len(history)
    assert total == sum(moved)


observations = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(sorted(JobStatus)),
        st.integers(0, 20),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(observations, st.sampled_from(["strict", "polled"]))
def test_a_batch_does_what_transition_does_item_by_item(
    batch: list[tuple[str, JobStatus, int]], mode: str
) -> None:
    """The same judgment as transition, one observation after the other: same results, same
    histories."""
    with JobStore("sqlite://") as one, JobStore("sqlite://") as each:
        for s in (one, each):
            s.create_schema()
            for job_id in ("a", "b"):
                s.create(job_id, S.WAITING, created_at=T0)
        timed = [(j, status, T0 + minutes * MINUTE) for j, status, minutes in batch]
        results = one.apply(timed, mode=mode)
        for (job_id, status, at), result in zip(timed, results, strict=True):
            try:
                r = each.transition(job_id, status, at=at, mode=mode)
            except JobNotFound:
                assert result.kind is K.UNKNOWN_JOB
            except IllegalTransition:
                assert result.kind is K.REFUSED
            else:
                expected = {
                    StepKind.MOVE: K.MOVED,
                    StepKind.INFERRED: K.INFERRED,
                    StepKind.REPEAT: K.REPEAT,
                    StepKind.LATE: K.LATE,
                }[r.kind]
                assert (result.kind, result.version, result.skipped) == (
                    expected,
                    r.version,
                    r.skipped,
                )
        for job_id in ("a", "b"):
            assert one.history(job_id) == each.history(job_id)


def test_a_write_the_database_refuses_fails_the_batch_with_nothing_written(
    store: JobStore, store_url: str
) -> None:
    """The batch's statements go through the DBAPI cursor; a refusal is still the store's
    StoreUnavailable naming it, and the transaction is rolled back whole."""
    import sqlalchemy as sa

    from jobfsm import StoreUnavailable

    store.create("a", S.WAITING, created_at=T0)
    store.create("b", S.RUNNING, created_at=T0)
    engine = sa.create_engine(store._connect_url)
    with engine.begin() as conn:
        if store.backend == "postgresql":
            conn.exec_driver_sql(
                "ALTER TABLE history ADD CONSTRAINT no_start CHECK (event <> 'start')"
            )
        else:
            conn.exec_driver_sql(
                "CREATE TRIGGER no_start BEFORE INSERT ON history WHEN NEW.event = 'start' "
                "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: no_start'); END"
            )
    engine.dispose()
    with pytest.raises(StoreUnavailable, match=r"the database refused the write: .*no_start"):
        store.apply([("b", S.SCALING, T0 + MINUTE), ("a", S.RUNNING, T0 + MINUTE)])
    assert [(store.get(j).status, store.get(j).version) for j in ("a", "b")] == [
        (S.WAITING, 0),
        (S.RUNNING, 0),
    ]
    assert store.history("b") == ()
