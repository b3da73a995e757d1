"""The store given observed times and polled statuses; the schema upgrade that keeps inferred
moves. Both backends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from test_store_schema import execute

from jobfsm import (
    DEFAULT_LIFECYCLE,
    Guard,
    GuardRejected,
    IllegalTransition,
    InvalidTime,
    Job,
    JobStatus,
    JobStore,
    StepKind,
    UnknownMode,
)
from jobfsm.store import SCHEMA_VERSION, schema_table
from jobfsm.vocabulary import Status

S = JobStatus
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)


def rows(store: JobStore, job_id: str) -> list[tuple[Status, Status, str, datetime, bool]]:
    return [(m.source, m.target, m.event, m.at, m.inferred) for m in store.history(job_id)]


def test_an_observed_time_is_what_the_store_keeps(store: JobStore) -> None:
    """The history row and updated_at take ``at``; a loaded job's time in status counts from it."""
    store.create("j-1", S.WAITING, created_at=T0)
    result = store.transition("j-1", S.RUNNING, at=T0 + 3 * MINUTE)
    assert (result.moved, result.kind, result.at) == (True, StepKind.MOVE, T0 + 3 * MINUTE)
    assert store.get("j-1").updated_at == T0 + 3 * MINUTE
    assert rows(store, "j-1") == [(S.WAITING, S.RUNNING, "start", T0 + 3 * MINUTE, False)]
    spent = store.load("j-1").time_in_status(now=T0 + 10 * MINUTE)
    assert spent == {S.WAITING: 3 * MINUTE, S.RUNNING: 7 * MINUTE}


@pytest.mark.parametrize("bad", [datetime(2026, 1, 1, 12), 1767268800.0])
def test_a_time_without_a_zone_is_refused_before_the_database(store: JobStore, bad: object) -> None:
    store.create("j-1", S.WAITING, created_at=T0)
    with pytest.raises(InvalidTime) as info:
        store.transition("j-1", S.RUNNING, at=bad)  # type: ignore[arg-type]
    assert info.value.argument == "at"
    assert (store.get("j-1").status, store.history("j-1")) == (S.WAITING, ())


def test_a_polled_jump_is_written_as_its_inferred_chain(store: JobStore) -> None:
    """Strict refuses WAITING → COMPLETED; polled writes WAITING → RUNNING (inferred) and
    RUNNING → COMPLETED in one compare-and-set: the version counts both rows."""
    store.create("j-1", S.WAITING, created_at=T0)
    with pytest.raises(IllegalTransition):
        store.transition("j-1", S.COMPLETED, at=T0 + MINUTE)
    result = store.transition("j-1", S.COMPLETED, at=T0 + 5 * MINUTE, mode="polled")
    assert (result.moved, result.kind, result.skipped, result.version, result.event) == (
        True,
        StepKind.INFERRED,
        (S.RUNNING,),
        2,
        "complete",
    )
    assert rows(store, "j-1") == [
        (S.WAITING, S.RUNNING, "start", T0 + 5 * MINUTE, True),
        (S.RUNNING, S.COMPLETED, "complete", T0 + 5 * MINUTE, False),
    ]
    assert store.get("j-1").version == 2
    # The in-memory job reads the marks back.
    assert [m.inferred for m in store.load("j-1").history] == [True, False]


def test_an_older_observation_is_late_and_writes_nothing(store: JobStore, store_url: str) -> None:
    """Older than the last move, the observation is LATE, from the remembered version and from a
    fresh read alike; at the same time it is judged."""
    store.create("j-1", S.WAITING, created_at=T0)
    store.transition("j-1", S.RUNNING, at=T0 + 5 * MINUTE)
    with JobStore(store_url, cache_size=0) as cold:
        for mover in (store, cold):
            result = mover.transition("j-1", S.COMPLETED, at=T0 + 4 * MINUTE, mode="polled")
            assert (result.moved, result.kind, result.version) == (False, StepKind.LATE, 1)
            assert mover.transition("j-1", S.RUNNING, at=T0 + 5 * MINUTE).kind is StepKind.REPEAT
    assert store.get("j-1").version == 1
    assert store.transition("j-1", S.COMPLETED, at=T0 + 5 * MINUTE).kind is StepKind.MOVE
    # Before the creation of a job without moves is late too.
    store.create("j-2", S.WAITING, created_at=T0)
    assert store.transition("j-2", S.RUNNING, at=T0 - MINUTE).kind is StepKind.LATE


def test_without_a_time_the_clock_never_goes_back(store: JobStore) -> None:
    """The default stays as it was: now, but never before the job's last move."""
    future = datetime.now(timezone.utc) + timedelta(days=1)
    store.create("j-1", S.WAITING, created_at=future)
    assert store.transition("j-1", S.RUNNING).at == future


def test_a_guard_anywhere_in_the_chain_writes_nothing(store_url: str) -> None:
    lifecycle = DEFAULT_LIFECYCLE.with_guards(
        Guard("no-start", lambda m: False, "starts are frozen", events={"start"})
    )
    with JobStore(store_url, lifecycle=lifecycle) as guarded:
        guarded.create_schema()
        guarded.create("j-1", S.WAITING, created_at=T0)
        with pytest.raises(GuardRejected, match="no-start"):
            guarded.transition("j-1", S.COMPLETED, at=T0 + MINUTE, mode="polled")
        assert (guarded.get("j-1").version, guarded.history("j-1")) == (0, ())


def test_an_unknown_mode_is_refused(store: JobStore) -> None:
    store.create("j-1", S.WAITING)
    with pytest.raises(UnknownMode):
        store.transition("j-1", S.RUNNING, mode="lenient")


def test_save_keeps_the_moves_own_times_and_marks(store: JobStore) -> None:
    """A Job moved with observed times and inferred moves is saved and loaded unchanged."""
    job = Job("j-1", S.WAITING, created_at=T0)
    job.advance_to(S.RUNNING, at=T0 + MINUTE)
    store.save(job)
    job.advance_to(S.COMPLETED, at=T0 + 9 * MINUTE)
    store.save(job)
    other = Job("j-2", S.WAITING, created_at=T0)
    other.advance_to(S.COMPLETED, at=T0 + 2 * MINUTE, mode="polled")
    store.save(other)
    for saved in (job, other):
        loaded = store.load(saved.job_id)
        assert loaded.to_dict() == saved.to_dict()
        assert store.get(saved.job_id).updated_at == saved.history[-1].at
    assert [m.inferred for m in store.history("j-2")] == [True, False]


def columns(url: str) -> set[str]:
    engine = sa.create_engine(JobStore(url)._connect_url)
    try:
        return {c["name"] for c in sa.inspect(engine).get_columns("history")}
    finally:
        engine.dispose()


@pytest.mark.parametrize("versioned", [True, False], ids=["version-1", "before-versions"])
def test_a_version_1_database_is_read_as_it_is_and_upgraded_by_the_first_write(
    store: JobStore, store_url: str, versioned: bool
) -> None:
    """Its moves read as observed and without a secondary phase; the first write adds the
    columns (old rows false and NULL) and records the current version; the new moves keep their
    marks and details."""
    store.create("j-1", S.WAITING, created_at=T0)
    store.transition("j-1", S.RUNNING, at=T0 + MINUTE)
    execute(store_url, "ALTER TABLE history DROP COLUMN inferred")
    execute(store_url, "ALTER TABLE history DROP COLUMN detail")
    execute(
        store_url,
        "UPDATE jobfsm_schema SET version = 1" if versioned else "DROP TABLE jobfsm_schema",
        # As a jobfsm from before migration revisions were recorded left it.
        "DROP TABLE jobfsm_alembic_version",
    )
    with JobStore(store_url) as old:
        assert [(m.inferred, m.detail) for m in old.history("j-1")] == [(False, None)]
        assert old.load("j-1").status is S.RUNNING
        assert not {"inferred", "detail"} & columns(store_url)
        old.create("j-2", S.WAITING, created_at=T0)
        assert {"inferred", "detail"} <= columns(store_url)
        old.transition("j-2", S.COMPLETED, at=T0 + MINUTE, mode="polled", detail="ok")
        assert [(m.inferred, m.detail) for m in old.history("j-1")] == [(False, None)]
        assert [(m.inferred, m.detail) for m in old.history("j-2")] == [(True, None), (False, "ok")]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(schema_table.c.version)).scalars().all() == [SCHEMA_VERSION]
    with JobStore(store_url) as fresh:
        assert [m.inferred for m in fresh.history("j-2")] == [True, False]


observations = st.lists(st.sampled_from(sorted(JobStatus)), min_size=1, max_size=10)


@settings(max_examples=40, deadline=None)
@given(observations)
def test_the_store_infers_as_a_job_does(seen: list[JobStatus]) -> None:
    """One inference rule: polled observations give the same history (moves, events, marks,
    times) through the store as through a Job, and the same refusals."""
    with JobStore("sqlite://") as store:
        store.create_schema()
        store.create("j", seen[0], created_at=T0)
        job = Job("j", seen[0], created_at=T0)
        for index, status in enumerate(seen[1:], 1):
            at = T0 + index * MINUTE
            try:
                job.advance_to(status, at=at, mode="polled")
            except IllegalTransition:
                with pytest.raises(IllegalTransition):
                    store.transition("j", status, at=at, mode="polled")
            else:
                store.transition("j", status, at=at, mode="polled")
        assert store.load("j").to_dict() == job.to_dict()
