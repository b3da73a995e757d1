"""A store over a lifecycle of another vocabulary (status names, codes with a hole), the lifecycle
each job is stored under, which a store of another lifecycle neither reads nor moves, and the
schema upgrade that records it. Both backends."""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import drop_store_rules
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_store_schema import execute

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CorruptJob,
    Event,
    IllegalTransition,
    InvalidArgument,
    Job,
    JobExists,
    JobStatus,
    JobStore,
    Lifecycle,
    LifecycleMismatch,
    Outcome,
    StatusInfo,
    StepKind,
    Tracker,
    UnknownStatus,
    declare_statuses,
)
from jobfsm.store import LEGACY_LIFECYCLE, SCHEMA_VERSION, ApplyKind
from jobfsm.validate import Rules
from jobfsm.vocabulary import Status

S = JobStatus
K = ApplyKind
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)

#: Statuses clients report by name, whose codes (internal) leave 3, 4 and 6 unused.
Phase = declare_statuses(
    "Phase",
    [
        StatusInfo("Queued", 0, "waiting for a slot"),
        StatusInfo("Running", 1, "running"),
        StatusInfo("Stopping", 2, "asked to stop"),
        StatusInfo("Done", 5, "finished", outcome=Outcome.SUCCEEDED),
        StatusInfo("Failed", 7, "failed, or stopped", outcome=Outcome.FAILED),
    ],
    name="tiny",
)
QUEUED, RUNNING, STOPPING, DONE, FAILED = (
    Phase.parse(name) for name in ("Queued", "Running", "Stopping", "Done", "Failed")
)
TINY = Lifecycle(
    [
        Event("start", {QUEUED}, RUNNING, "a slot was granted"),
        Event("finish", {RUNNING}, DONE, "the job ended well"),
        Event("stop", {QUEUED, RUNNING}, STOPPING, "a user asked to stop"),
        Event("fail", {QUEUED, RUNNING, STOPPING}, FAILED, "it failed or was stopped"),
    ],
    name="tiny",
    statuses=Phase,
)


@pytest.fixture
def tiny(store_url: str) -> Iterator[JobStore]:
    """A store of the tiny lifecycle, with its tables, on each backend."""
    with JobStore(store_url, lifecycle=TINY) as s:
        s.create_schema()
        yield s


def query(url: str, statement: str) -> list[tuple[Any, ...]]:
    """Rows as stored, read past the store."""
    engine = sa.create_engine(JobStore(url)._connect_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(statement)]
    finally:
        engine.dispose()


def snapshot(url: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every jobs and history row as stored."""
    return (
        query(url, "SELECT * FROM jobs ORDER BY job_id"),
        query(url, "SELECT * FROM history ORDER BY job_id, seq"),
    )


def columns(url: str, table: str) -> dict[str, Any]:
    engine = sa.create_engine(JobStore(url)._connect_url)
    try:
        return {c["name"]: c for c in sa.inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def moves(store: JobStore, job_id: str) -> list[tuple[Status, Status, str, bool]]:
    return [(m.source, m.target, m.event, m.inferred) for m in store.history(job_id)]


# -- a lifecycle of its own vocabulary ----------------------------------------------------------


def test_a_store_of_another_vocabulary_creates_moves_lists_and_loads(
    tiny: JobStore, store_url: str
) -> None:
    """Statuses are read by name, written as their codes (those after the hole too), and come
    back as the vocabulary's members; a job starts in the lifecycle's initial status."""
    created = tiny.create("a", created_at=T0)
    assert (created.status, created.version, created.lifecycle) == (QUEUED, 0, "tiny")
    tiny.create("b", "running", {"team": "nlp"}, created_at=T0)
    tiny.create("c", created_at=T0)
    moved = tiny.transition("a", "Running", at=T0 + MINUTE)
    assert (moved.moved, moved.source, moved.target, moved.event) == (
        True,
        QUEUED,
        RUNNING,
        "start",
    )
    assert tiny.transition("a", RUNNING, at=T0 + 2 * MINUTE).kind is StepKind.REPEAT
    with pytest.raises(IllegalTransition):
        tiny.transition("a", "Queued")
    with pytest.raises(IllegalTransition):
        tiny.transition("c", "Done")  # strict: no declared edge
    jumped = tiny.transition("c", "Done", at=T0 + MINUTE, mode="polled")
    assert (jumped.kind, jumped.skipped, jumped.event) == (StepKind.INFERRED, (RUNNING,), "finish")
    for wrong in (S.COMPLETED, 5, "5", "COMPLETED"):
        with pytest.raises(UnknownStatus):
            tiny.create("d", wrong)
    assert query(store_url, "SELECT job_id, status, lifecycle FROM jobs ORDER BY job_id") == [
        ("a", 1, "tiny"),
        ("b", 1, "tiny"),
        ("c", 5, "tiny"),
    ]
    assert [(r.job_id, r.status) for r in tiny.list()] == [
        ("a", RUNNING),
        ("b", RUNNING),
        ("c", DONE),
    ]
    assert [r.job_id for r in tiny.list(status="done")] == ["c"]
    assert [r.job_id for r in tiny.list(status=[DONE, "Queued", "Running"], limit=2)] == ["a", "b"]
    assert [r.job_id for r in tiny.list(active=False)] == ["c"]
    assert [r.job_id for r in tiny.stale("Running", MINUTE / 2, now=T0 + 2 * MINUTE)] == ["b", "a"]
    with pytest.raises(UnknownStatus):
        tiny.stale(S.RUNNING, MINUTE)
    assert tiny.get("b").to_dict() == {
        "job_id": "b",
        "status": "Running",
        "status_name": "Running",
        "lifecycle": "tiny",
        "version": 0,
        "created_at": T0.isoformat(),
        "updated_at": T0.isoformat(),
        "labels": {"team": "nlp"},
    }
    job = tiny.load("c")
    assert (job.lifecycle, job.status, job.created_at) == (TINY, DONE, T0)
    assert [(m.source, m.target, m.event, m.inferred) for m in job.history] == [
        (QUEUED, RUNNING, "start", True),
        (RUNNING, DONE, "finish", False),
    ]
    assert tiny.lifecycles() == {"tiny": 3}


def test_save_stores_a_job_of_the_lifecycle_and_appends_its_moves(tiny: JobStore) -> None:
    job = Job("s-1", lifecycle=TINY, created_at=T0)
    job.advance_to("Running", at=T0 + MINUTE)
    saved = tiny.save(job)
    assert (saved.status, saved.version, saved.lifecycle) == (RUNNING, 1, "tiny")
    loaded = tiny.load("s-1")
    loaded.advance_to("Failed", at=T0 + 2 * MINUTE)
    assert tiny.save(loaded).status is FAILED
    assert tiny.load("s-1").to_dict() == loaded.to_dict()
    assert moves(tiny, "s-1") == [
        (QUEUED, RUNNING, "start", False),
        (RUNNING, FAILED, "fail", False),
    ]


def test_save_refuses_a_job_of_another_vocabulary(tiny: JobStore, store_url: str) -> None:
    """Its codes would be stored as statuses they are not: refused, nothing written."""
    job = Job("v-1", created_at=T0)
    job.advance_to(S.SUBMIT_TRYING, at=T0 + MINUTE)
    with pytest.raises(InvalidArgument, match="store opened with its lifecycle") as info:
        tiny.save(job)
    assert info.value.value is job
    assert snapshot(store_url) == ([], [])


def test_apply_judges_a_batch_by_the_lifecycle_in_strict_and_polled_mode(tiny: JobStore) -> None:
    for job_id in ("a", "b", "c", "d", "e"):
        tiny.create(job_id, created_at=T0)
    at = T0 + MINUTE
    strict = tiny.apply(
        [
            ("a", "Running", at),
            ("b", "Done", at),  # no edge: refused in strict mode
            ("a", RUNNING, at),
            ("x", "Queued", at),
            ("c", "stopping", at),
            ("a", "Failed", T0 - MINUTE),
            ("c", 7, at),  # codes are not what clients of this vocabulary report
        ]
    )
    assert [r.kind for r in strict] == [
        K.MOVED,
        K.REFUSED,
        K.REPEAT,
        K.UNKNOWN_JOB,
        K.MOVED,
        K.LATE,
        K.REFUSED,
    ]
    assert isinstance(strict[1].error, IllegalTransition)
    assert isinstance(strict[6].error, UnknownStatus)
    assert (strict[4].source, strict[4].target, strict[4].version) == (QUEUED, STOPPING, 1)
    later = at + MINUTE
    polled = tiny.apply(
        [("b", "Done", later), ("d", "Done", later), ("e", "Done", later), ("c", "Failed", later)],
        mode="polled",
    )
    assert [(r.kind, r.skipped, r.version) for r in polled] == [
        (K.INFERRED, (RUNNING,), 2),
        (K.INFERRED, (RUNNING,), 2),
        (K.INFERRED, (RUNNING,), 2),
        (K.MOVED, (), 2),
    ]
    for job_id in ("b", "d", "e"):
        assert moves(tiny, job_id) == [
            (QUEUED, RUNNING, "start", True),
            (RUNNING, DONE, "finish", False),
        ]
    assert [(r.job_id, r.status) for r in tiny.list()] == [
        ("a", RUNNING),
        ("b", DONE),
        ("c", FAILED),
        ("d", DONE),
        ("e", DONE),
    ]


def test_a_code_in_the_hole_is_a_corrupt_row_naming_the_lifecycles_codes(
    tiny: JobStore, store_url: str
) -> None:
    tiny.create("a")
    tiny.create("b")
    drop_store_rules(store_url, TINY)  # which refuse a code that is no status
    execute(store_url, "UPDATE jobs SET status = 3 WHERE job_id = 'a'")
    with pytest.raises(CorruptJob) as info:
        tiny.get("a")
    assert (info.value.field, info.value.value) == ("status", 3)
    assert info.value.problem == "a status code of lifecycle 'tiny' (0–2, 5, 7)"
    listed = tiny.list()
    assert ([r.job_id for r in listed], [e.job_id for e in listed.errors]) == (["b"], ["a"])
    (result,) = tiny.apply([("a", "Running", None)])
    assert result.kind is K.REFUSED
    assert isinstance(result.error, CorruptJob)


def test_a_lifecycle_the_store_cannot_keep_is_refused() -> None:
    """Its name is kept with every job, its codes in SMALLINT columns that a batch indexes by."""
    with pytest.raises(InvalidArgument) as info:
        JobStore("sqlite://", lifecycle="tiny")  # type: ignore[arg-type]
    assert info.value.argument == "lifecycle"
    for name in ("", "  ", "two\nlines", "x" * 256):
        renamed = Lifecycle(TINY.events, name=name, statuses=Phase)
        with pytest.raises(InvalidArgument, match="printable text of at most 255"):
            JobStore("sqlite://", lifecycle=renamed)
    assert JobStore("sqlite://", lifecycle=TINY.with_guards(name="x" * 255)).lifecycle.name
    below = declare_statuses(
        "Below", [StatusInfo("Low", -1), StatusInfo("End", 0, terminal=True)], name="below"
    )
    ending = Event("end", {below.parse("Low")}, below.parse("End"), "done")
    low = Lifecycle([ending], name="below", statuses=below)
    with pytest.raises(InvalidArgument, match="codes are 0–32767, as the store keeps them; Low=-1"):
        JobStore("sqlite://", lifecycle=low)


# -- a job stored under another lifecycle -------------------------------------------------------


@pytest.fixture
def mixed(store: JobStore, tiny: JobStore) -> tuple[JobStore, JobStore]:
    """A ModelArts v1 store and a tiny one on one database, each holding jobs of its own."""
    store.create("v-1", S.WAITING, {"team": "cv"}, created_at=T0)
    store.transition("v-1", S.RUNNING, at=T0 + MINUTE)
    store.create("v-2", S.KILLING, created_at=T0)
    tiny.create("t-1", created_at=T0)
    tiny.transition("t-1", RUNNING, at=T0 + MINUTE)
    tiny.create("t-2", created_at=T0)
    tiny.create("t-3", "Stopping", created_at=T0)
    return store, tiny


@pytest.mark.parametrize("direction", ["v1 store, tiny job", "tiny store, v1 job"])
def test_a_job_of_another_lifecycle_is_refused_by_every_read_and_move(
    mixed: tuple[JobStore, JobStore], store_url: str, direction: str
) -> None:
    """get, history, load, create, transition (strict, polled, expected), save and apply all
    refuse it by name, and nothing is written."""
    v1, tiny = mixed
    # own: a job of the store's, per mode, that the same batch moves to ``target``.
    target: Status
    if direction.startswith("v1"):
        store, job_id, stored, target = v1, "t-1", "tiny", S.COMPLETED
        own = {"strict": "v-1", "polled": "v-2"}
        job = Job(job_id, S.RUNNING, created_at=T0)
        job.advance_to(S.COMPLETED, at=T0 + 2 * MINUTE)
    else:
        store, job_id, stored, target = tiny, "v-1", "modelarts-v1", DONE
        own = {"strict": "t-1", "polled": "t-2"}
        job = Job(job_id, RUNNING, lifecycle=TINY, created_at=T0)
        job.advance_to(DONE, at=T0 + 2 * MINUTE)
    before = snapshot(store_url)
    at = T0 + 2 * MINUTE
    calls: list[Callable[[], object]] = [
        lambda: store.get(job_id),
        lambda: store.history(job_id),
        lambda: store.load(job_id),
        lambda: store.create(job_id),
        lambda: store.create(job_id, target),
        lambda: store.transition(job_id, target, at=at),
        lambda: store.transition(job_id, target, at=at, mode="polled"),
        lambda: store.transition(job_id, target, at=at, expected=target),
        lambda: store.save(job),
        lambda: store.save(job, labels={"team": "x"}),
    ]
    for call in calls:
        with pytest.raises(LifecycleMismatch) as info:
            call()
        assert (info.value.job_id, info.value.stored, info.value.expected) == (
            job_id,
            stored,
            store.lifecycle.name,
        )
        assert f"open it with lifecycle=get_lifecycle({stored!r})" in str(info.value)
        assert snapshot(store_url) == before
    for mode in ("strict", "polled"):
        batch = [(job_id, target, at), (own[mode], target, at), (job_id, target, at)]
        results = store.apply(batch, mode=mode)
        assert [r.kind for r in results[::2]] == [K.REFUSED, K.REFUSED]
        assert results[1].moved
        assert store.get(own[mode]).status is target
        for refused in (results[0], results[2]):
            assert isinstance(refused.error, LifecycleMismatch)
            assert (refused.source, refused.version) == (None, None)
        after = snapshot(store_url)
        assert [r for r in after[0] if r[0] == job_id] == [r for r in before[0] if r[0] == job_id]
        assert [r for r in after[1] if r[0] == job_id] == [r for r in before[1] if r[0] == job_id]
        before = after


def test_list_and_stale_show_only_the_stores_lifecycle_and_lifecycles_counts_each(
    mixed: tuple[JobStore, JobStore],
) -> None:
    v1, tiny = mixed
    assert [(r.job_id, r.lifecycle) for r in v1.list()] == [
        ("v-1", "modelarts-v1"),
        ("v-2", "modelarts-v1"),
    ]
    assert [(r.job_id, r.lifecycle) for r in tiny.list()] == [
        ("t-1", "tiny"),
        ("t-2", "tiny"),
        ("t-3", "tiny"),
    ]
    # The codes 1 and 2 are statuses of both vocabularies: listed by lifecycle, not by code.
    assert [r.job_id for r in v1.list(status=[1, 2])] == []
    assert [r.job_id for r in tiny.list(status=["Running", "Stopping"])] == ["t-1", "t-3"]
    assert [r.job_id for r in v1.list(active=True)] == ["v-1", "v-2"]
    assert v1.list().errors == tiny.list().errors == ()
    later = T0 + timedelta(hours=1)
    assert [r.job_id for r in v1.stale(S.RUNNING, MINUTE, now=later)] == ["v-1"]
    assert [r.job_id for r in tiny.stale("Running", MINUTE, now=later)] == ["t-1"]
    assert [r.job_id for r in v1.stale(2, MINUTE, now=later)] == []  # t-3's code, not v1's
    with pytest.raises(UnknownStatus):
        tiny.stale(2, MINUTE, now=later)  # tiny's statuses are read by name
    assert v1.lifecycles() == tiny.lifecycles() == {"modelarts-v1": 2, "tiny": 3}


def test_a_job_whose_lifecycle_changed_outside_jobfsm_is_not_moved_from_memory(
    store: JobStore, store_url: str
) -> None:
    """A store that remembers the job's status and version skips the read, and its compare-and-set
    still finds that the row is of another lifecycle now: refused, nothing written."""
    store.create("v-1", S.RUNNING, created_at=T0)
    store.transition("v-1", S.SCALING, at=T0 + MINUTE)  # remembered: (SCALING, version 1)
    drop_store_rules(store_url)  # which refuse any change of a job's lifecycle
    execute(store_url, "UPDATE jobs SET lifecycle = 'tiny' WHERE job_id = 'v-1'")
    before = snapshot(store_url)
    with pytest.raises(LifecycleMismatch):
        store.transition("v-1", S.RUNNING, at=T0 + 2 * MINUTE)
    assert snapshot(store_url) == before


def test_a_tracker_of_another_lifecycle_writes_refusals_for_jobs_it_does_not_own(
    mixed: tuple[JobStore, JobStore], store_url: str
) -> None:
    """The writer does not create a job held under another lifecycle, and flush reports its
    observations as refused instead of raising; the tracker's own jobs are written."""
    _, tiny = mixed
    tracker = Tracker(TINY)
    writer = tracker.persist_to(tiny)
    start = T0.timestamp()
    tracker.observe("v-1", "Queued", at=start)
    tracker.observe("v-1", "Running", at=start + 60)
    tracker.observe("n-1", "Queued", at=start)
    tracker.observe("n-1", "Done", at=start + 60)
    before = snapshot(store_url)
    results = writer.flush()
    assert [(r.job_id, r.kind) for r in results] == [
        ("v-1", K.REFUSED),
        ("v-1", K.REFUSED),
        ("n-1", K.REPEAT),
        ("n-1", K.INFERRED),
    ]
    assert all(isinstance(r.error, LifecycleMismatch) for r in results[:2])
    after = snapshot(store_url)
    assert [r for r in after[0] if r[0] == "v-1"] == [r for r in before[0] if r[0] == "v-1"]
    assert [r for r in after[1] if r[0] == "v-1"] == [r for r in before[1] if r[0] == "v-1"]
    assert tiny.get("n-1").status is DONE
    with pytest.raises(JobExists):
        tiny.create("n-1")


def test_lifecycle_mismatch_pickles_with_its_fields() -> None:
    error = LifecycleMismatch("train-1", "modelarts-v1", "modelarts-v2")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.job_id, copy.stored, copy.expected) == ("train-1", "modelarts-v1", "modelarts-v2")
    assert str(copy) == str(error)
    assert str(error).startswith(
        "job 'train-1' is stored under lifecycle 'modelarts-v1'; this store judges "
        "'modelarts-v2' moves: open it with lifecycle=get_lifecycle('modelarts-v1')"
    )


# -- the schema upgrade -------------------------------------------------------------------------


def build_old_database(url: str, version: int) -> None:
    """Tables as jobfsm schema version ``version`` made them, by hand (version 1 from before
    versions were kept), holding two v1 jobs."""
    postgres = url.startswith("postgresql")
    time = "TIMESTAMP WITH TIME ZONE" if postgres else "DATETIME"
    true, false = ("true", "false") if postgres else ("1", "0")
    inferred = f", inferred BOOLEAN NOT NULL DEFAULT {false}" if version >= 2 else ""
    marks = (f", {false}", f", {true}", f", {false}") if version >= 2 else ("", "", "")
    vision = """'{"team": "vision"}'"""

    def at(minutes: int) -> str:
        when = T0 + minutes * MINUTE
        return (
            f"'{when:%Y-%m-%d %H:%M:%S}+00'" if postgres else f"'{when:%Y-%m-%d %H:%M:%S}.000000'"
        )

    start = DEFAULT_LIFECYCLE.event_for(S.WAITING, S.RUNNING)
    complete = DEFAULT_LIFECYCLE.event_for(S.RUNNING, S.COMPLETED)
    statements = [
        "CREATE TABLE jobs (job_id VARCHAR(255) NOT NULL, status SMALLINT NOT NULL, version "
        f"INTEGER NOT NULL, created_at {time} NOT NULL, updated_at {time} NOT NULL, labels JSON, "
        "PRIMARY KEY (job_id))",
        "CREATE INDEX ix_jobs_status_updated ON jobs (status, updated_at)",
        "CREATE TABLE history (job_id VARCHAR(255) NOT NULL, seq INTEGER NOT NULL, source SMALLINT "
        f"NOT NULL, target SMALLINT NOT NULL, event VARCHAR(64) NOT NULL, at {time} NOT NULL, "
        f"reason TEXT, actor VARCHAR(255){inferred}, PRIMARY KEY (job_id, seq), FOREIGN KEY "
        "(job_id) REFERENCES jobs (job_id))",
        f"INSERT INTO jobs VALUES ('j-1', 8, 1, {at(0)}, {at(1)}, {vision})",
        f"INSERT INTO jobs VALUES ('j-2', 10, 2, {at(0)}, {at(2)}, NULL)",
        f"INSERT INTO history VALUES ('j-1', 1, 7, 8, '{start}', {at(1)}, 'scheduled', 'poller'"
        f"{marks[0]})",
        f"INSERT INTO history VALUES ('j-2', 1, 7, 8, '{start}', {at(2)}, NULL, NULL{marks[1]})",
        f"INSERT INTO history VALUES ('j-2', 2, 8, 10, '{complete}', {at(2)}, NULL, NULL"
        f"{marks[2]})",
    ]
    if version >= 2:
        statements += [
            "CREATE TABLE jobfsm_schema (version INTEGER NOT NULL)",
            f"INSERT INTO jobfsm_schema VALUES ({version})",
        ]
    execute(url, *statements)


@pytest.mark.parametrize("version", [1, 2], ids=["version-1", "version-2"])
def test_an_older_database_is_read_as_modelarts_v1_and_upgraded_by_the_first_write(
    store_url: str, version: int
) -> None:
    """Until the first write every job reads as one of modelarts-v1, every move without a
    secondary phase, and the tables stay as they are; the first write, by a store of any
    lifecycle, adds jobs.lifecycle ('modelarts-v1' in every row) and history.detail (NULL in
    every row) and records the current version; the old jobs read and move as before."""
    build_old_database(store_url, version)
    with JobStore(store_url) as old:
        assert [(r.job_id, r.status, r.version, r.labels, r.lifecycle) for r in old.list()] == [
            ("j-1", S.RUNNING, 1, {"team": "vision"}, "modelarts-v1"),
            ("j-2", S.COMPLETED, 2, {}, "modelarts-v1"),
        ]
        histories = {job_id: old.history(job_id) for job_id in ("j-1", "j-2")}
        assert [m.inferred for m in histories["j-2"]] == [version >= 2, False]
        assert [m.detail for h in histories.values() for m in h] == [None, None, None]
        assert all("detail" not in m.to_dict() for h in histories.values() for m in h)
        assert [m.at for m in histories["j-1"]] == [T0 + MINUTE]
        assert (histories["j-1"][0].reason, histories["j-1"][0].actor) == ("scheduled", "poller")
        assert old.load("j-2").status is S.COMPLETED
        assert [r.job_id for r in old.stale(S.RUNNING, MINUTE, now=T0 + 10 * MINUTE)] == ["j-1"]
        assert old.lifecycles() == {"modelarts-v1": 2}
    with JobStore(store_url, lifecycle=TINY) as other:
        assert other.list() == []
        with pytest.raises(LifecycleMismatch, match="stored under lifecycle 'modelarts-v1'"):
            other.get("j-1")
        with pytest.raises(LifecycleMismatch):
            other.history("j-2")
        # Reads changed nothing.
        assert "lifecycle" not in columns(store_url, "jobs")
        assert ("inferred" in columns(store_url, "history")) == (version >= 2)
        assert "detail" not in columns(store_url, "history")
        other.create("t-1", created_at=T0)
    found = columns(store_url, "jobs")
    assert found["lifecycle"]["nullable"] is False
    if store_url.startswith("postgresql"):
        assert found["lifecycle"]["default"] is None  # as create_schema makes it
    history = columns(store_url, "history")
    assert "inferred" in history
    assert history["detail"]["nullable"] is True
    assert list(history)[-2:] == ["inferred", "detail"]  # as create_schema lays them out
    assert query(store_url, "SELECT job_id, seq, detail FROM history ORDER BY job_id, seq") == [
        ("j-1", 1, None),
        ("j-2", 1, None),
        ("j-2", 2, None),
    ]
    assert query(store_url, "SELECT job_id, lifecycle FROM jobs ORDER BY job_id") == [
        ("j-1", LEGACY_LIFECYCLE),
        ("j-2", LEGACY_LIFECYCLE),
        ("t-1", "tiny"),
    ]
    assert query(store_url, "SELECT version FROM jobfsm_schema") == [(SCHEMA_VERSION,)]
    with JobStore(store_url) as fresh:
        assert {job_id: fresh.history(job_id) for job_id in ("j-1", "j-2")} == histories
        assert fresh.get("j-1").labels == {"team": "vision"}
        moved = fresh.transition("j-1", S.COMPLETED, at=T0 + 3 * MINUTE, detail="done")
        assert moved.version == 2
        assert [m.detail for m in fresh.history("j-1")] == [None, "done"]
        assert [r.job_id for r in fresh.list()] == ["j-1", "j-2"]
        assert fresh.lifecycles() == {"modelarts-v1": 2, "tiny": 1}
    with JobStore(store_url, lifecycle=TINY) as other:
        assert [r.job_id for r in other.list()] == ["t-1"]


def test_the_legacy_lifecycle_is_the_default_one() -> None:
    """What older stores held is what a store judges by when given no lifecycle."""
    assert LEGACY_LIFECYCLE == DEFAULT_LIFECYCLE.name == JobStore("sqlite://").lifecycle.name


# -- the store moves as a Job does --------------------------------------------------------------

POLLED = Rules.for_lifecycle(TINY, "polled")


@st.composite
def walks(draw: st.DrawFn) -> tuple[str, Status, list[Status]]:
    """A mode, a first status and a walk of statuses each legal (or a repeat) from the last."""
    mode = draw(st.sampled_from(["strict", "polled"]))
    first = draw(st.sampled_from(sorted(Phase)))
    walk: list[Status] = []
    current = first
    for _ in range(draw(st.integers(0, 6))):
        if mode == "strict":
            options = sorted({current, *TINY.next_map[current]})
        else:
            options = [s for s in sorted(Phase) if POLLED.table[current][s].kind.accepted]
        current = draw(st.sampled_from(options))
        walk.append(current)
    return mode, first, walk


ids = itertools.count()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(walks(), st.booleans())
def test_the_store_ends_as_a_job_does_for_any_legal_walk(
    tiny: JobStore, walk: tuple[str, Status, list[Status]], batch: bool
) -> None:
    """The walk through transition (one at a time) or apply (one batch): the stored status,
    history and loaded job are those Job.advance_to gives for the same walk."""
    mode, first, steps = walk
    job_id = f"w{next(ids)}"  # the store is shared by every example: a fresh id for each
    tiny.create(job_id, first, created_at=T0)
    job = Job(job_id, first, lifecycle=TINY, created_at=T0)
    timed = [(status, T0 + (i + 1) * MINUTE) for i, status in enumerate(steps)]
    for status, at in timed:
        job.advance_to(status, at=at, mode=mode)
    if batch:
        results = tiny.apply([(job_id, status, at) for status, at in timed], mode=mode)
        assert all(r.kind in (K.MOVED, K.INFERRED, K.REPEAT) for r in results)
    else:
        for status, at in timed:
            assert tiny.transition(job_id, status, at=at, mode=mode).kind is not StepKind.LATE
    record = tiny.get(job_id)
    assert (record.status, record.version) == (job.status, len(job.history))
    assert tiny.history(job_id) == job.history
    assert tiny.load(job_id).to_dict() == job.to_dict()
