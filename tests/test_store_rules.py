"""jobfsm's own store under the rules of jobfsm.store.rules: installed by create_schema, by the
upgrade and by a store's first write, every row judged by its own lifecycle, so that SQL written
past the store cannot make an illegal move; the database's refusals reported as IllegalTransition.
On real SQLite and a real PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from test_store_lifecycles import TINY, build_old_database, query
from test_store_schema import execute

from jobfsm import DEFAULT_LIFECYCLE, IllegalTransition, Job, JobStatus, JobStore
from jobfsm.store import ApplyKind
from jobfsm.store.enforce import store_rules

S = JobStatus
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)


def raw(url: str, statement: str) -> None:
    """Run ``statement`` past the store (its own transaction)."""
    execute(url, statement)


def refused(url: str, statement: str) -> str:
    """The database's refusal of ``statement``, written past the store."""
    with pytest.raises(sa.exc.IntegrityError) as caught:
        raw(url, statement)
    return str(caught.value.orig).splitlines()[0]


def installed(url: str, lifecycle: Any = DEFAULT_LIFECYCLE) -> bool:
    """Whether the database holds the store's rules of ``lifecycle`` (its moves table)."""
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    moves = store_rules(lifecycle, backend).names.moves
    if backend == "postgresql":
        rows = query(url, f"SELECT to_regclass('\"{moves}\"') IS NOT NULL")
        return bool(rows[0][0])
    return bool(query(url, f"SELECT count(*) FROM sqlite_master WHERE name = '{moves}'")[0][0])


def test_create_schema_installs_the_rules_so_raw_sql_cannot_make_an_illegal_move(
    store: JobStore, store_url: str
) -> None:
    """A raw UPDATE of a declared move passes, an undeclared one is refused naming both statuses
    (and on PostgreSQL the job), a repeat and other columns pass; the job is unchanged."""
    store.create("train-1", S.RUNNING, created_at=T0)
    message = refused(store_url, "UPDATE jobs SET status = 7 WHERE job_id = 'train-1'")
    allowed = ", ".join(str(s) for s in sorted(DEFAULT_LIFECYCLE.allowed_next(S.RUNNING)))
    expected = (
        f"cannot move RUNNING(8) → WAITING(7); from RUNNING(8) the allowed moves are: {allowed}"
    )
    assert message == (f"job train-1: {expected}" if store.backend == "postgresql" else expected)
    raw(store_url, "UPDATE jobs SET status = 8, labels = NULL WHERE job_id = 'train-1'")
    assert store.get("train-1").status is S.RUNNING
    raw(store_url, "UPDATE jobs SET status = 15 WHERE job_id = 'train-1'")  # RUNNING → SCALING
    assert store.get("train-1").status is S.SCALING
    message = refused(store_url, "UPDATE jobs SET status = 99 WHERE job_id = 'train-1'")
    assert "cannot move SCALING(15) → " in message
    assert "(not a modelarts-v1 status)" in message


def test_a_job_may_be_created_in_any_status_but_none_that_is_not_one(
    store: JobStore, store_url: str
) -> None:
    """The store's rules take any start, as create does; not a code that is no status, nor a
    change of a job's lifecycle."""
    for status in S:
        store.create(f"j-{int(status)}", status)
    now = "'2026-01-01 00:00:00'"
    insert = (
        "INSERT INTO jobs (job_id, status, version, created_at, updated_at, lifecycle) "
        f"VALUES ('odd', 99, 0, {now}, {now}, 'modelarts-v1')"
    )
    assert "cannot start in" in refused(store_url, insert)
    changed = refused(store_url, "UPDATE jobs SET lifecycle = 'tiny' WHERE job_id = 'j-8'")
    assert "lifecycle" in changed


def test_each_row_is_judged_by_its_own_lifecycle(store: JobStore, store_url: str) -> None:
    """A store of another lifecycle installs that lifecycle's rules on its first write, beside
    the others; a code means its status in the row's own lifecycle."""
    assert not installed(store_url, TINY)
    with JobStore(store_url, lifecycle=TINY) as tiny:
        tiny.list()
        assert not installed(store_url, TINY)  # reads install nothing
        tiny.create("t-1")  # Queued (0)
        assert installed(store_url, TINY)
        store.create("v-1", S.UNKNOWN)  # modelarts-v1's code 0 too
        # Code 1 is tiny's Running, which Queued reaches, and v1's INIT, which UNKNOWN
        # reaches: both pass, each judged by its own lifecycle's moves.
        raw(store_url, "UPDATE jobs SET status = 1 WHERE job_id IN ('t-1', 'v-1')")
        # Code 0 again: tiny's Running → Queued is undeclared, v1's INIT → UNKNOWN declared.
        assert "cannot move Running → Queued" in refused(
            store_url, "UPDATE jobs SET status = 0 WHERE job_id = 't-1'"
        )
        raw(store_url, "UPDATE jobs SET status = 0 WHERE job_id = 'v-1'")
        assert tiny.get("t-1").status.name == "Running"


@pytest.mark.parametrize("version", [1, 2], ids=["version-1", "version-2"])
def test_an_older_database_gets_the_rules_with_its_upgrade(store_url: str, version: int) -> None:
    """Read as it is until the first write, which upgrades the tables and installs the rules."""
    build_old_database(store_url, version)
    with JobStore(store_url) as store:
        assert store.get("j-1").status is S.RUNNING
        assert not installed(store_url)
        store.transition("j-1", S.SCALING)
        assert installed(store_url)
    assert "cannot move SCALING(15) → WAITING(7)" in refused(
        store_url, "UPDATE jobs SET status = 7 WHERE job_id = 'j-1'"
    )


def test_the_store_writes_every_move_of_a_chain_and_of_a_batch_as_the_rules_allow(
    store: JobStore, store_url: str
) -> None:
    """Polled jumps, and several observations of one job in one batch, are written one declared
    move at a time: the rules pass them, and the history and version agree."""
    store.create("a", S.WAITING, created_at=T0)
    store.create("b", S.WAITING, created_at=T0)
    store.create("c", S.INIT, created_at=T0)
    result = store.transition("a", S.COMPLETED, at=T0 + MINUTE, mode="polled")
    assert (result.skipped, result.version) == ((S.RUNNING,), 2)
    at = T0 + 2 * MINUTE
    results = store.apply(
        [("b", S.RUNNING, at), ("b", S.SCALING, at), ("b", S.RUNNING, at), ("c", S.RUNNING, at)],
        mode="polled",
    )
    kinds = [r.kind for r in results]
    assert kinds == [ApplyKind.MOVED, ApplyKind.MOVED, ApplyKind.MOVED, ApplyKind.INFERRED]
    for job_id, version in (("a", 2), ("b", 3), ("c", 3)):
        record = store.get(job_id)
        assert (record.version, len(store.history(job_id))) == (version, version)
    job = store.load("a")
    assert job.status is S.COMPLETED
    fresh = Job("d", S.WAITING, created_at=T0)
    fresh.advance_to(S.RUNNING, at=T0 + MINUTE)
    store.save(fresh)
    fresh.advance_to(S.SCALING, at=T0 + 2 * MINUTE)
    fresh.advance_to(S.RUNNING, at=T0 + 3 * MINUTE)
    fresh.advance_to(S.COMPLETED, at=T0 + 4 * MINUTE)
    store.save(fresh, labels={"team": "vision"})
    record = store.get("d")
    assert (record.status, record.version, record.labels) == (S.COMPLETED, 4, {"team": "vision"})


# A declaration of modelarts-v1 without RUNNING → LOST, under the same name: another program's.
NARROWER = DEFAULT_LIFECYCLE.without_edges(("RUNNING", "LOST"))


def test_rules_of_another_declaration_of_the_name_are_replaced_by_the_first_write(
    store: JobStore, store_url: str
) -> None:
    store.create("a", S.RUNNING, created_at=T0)
    with JobStore(store_url, lifecycle=NARROWER) as narrower:
        narrower.create("b", S.RUNNING, created_at=T0)  # replaces the rules with its own
    assert "cannot move RUNNING(8) → LOST(14)" in refused(
        store_url, "UPDATE jobs SET status = 14 WHERE job_id = 'b'"
    )
    with JobStore(store_url) as wider:
        wider.create("c", S.RUNNING, created_at=T0)  # and this one puts the declared back
    raw(store_url, "UPDATE jobs SET status = 14 WHERE job_id = 'b'")


def test_a_move_the_database_refuses_is_an_illegal_transition_with_nothing_written(
    store: JobStore, store_url: str
) -> None:
    """A store that checked its rules before another declaration of its lifecycle's name replaced
    them meets the database's refusal: IllegalTransition naming the job and the moves the
    database allows, from transition, apply and save alike; nothing is written."""
    for job_id in ("a", "b", "c"):
        store.create(job_id, S.RUNNING, created_at=T0)
    saved = store.load("c")
    with JobStore(store_url, lifecycle=NARROWER) as narrower:
        narrower.create("n", S.INIT, created_at=T0)
    database_allows = NARROWER.allowed_next(S.RUNNING)
    with pytest.raises(IllegalTransition) as caught:
        store.transition("a", S.LOST, at=T0 + MINUTE)
    error = caught.value
    assert (error.job_id, error.source, error.target) == ("a", S.RUNNING, S.LOST)
    assert error.allowed == database_allows
    assert isinstance(error.__cause__, sa.exc.IntegrityError)
    at = T0 + MINUTE
    with pytest.raises(IllegalTransition) as caught:
        store.apply([("a", S.SCALING, at), ("b", S.LOST, at)])
    assert (caught.value.job_id, caught.value.target) == ("b", S.LOST)
    saved.advance_to(S.SCALING, at=at)
    saved.advance_to(S.RUNNING, at=at + MINUTE)
    saved.advance_to(S.LOST, at=at + 2 * MINUTE)
    with pytest.raises(IllegalTransition) as caught:
        store.save(saved)
    assert (caught.value.job_id, caught.value.source, caught.value.target) == (
        "c",
        S.RUNNING,
        S.LOST,
    )
    for job_id in ("a", "b", "c"):
        record = store.get(job_id)
        assert (record.status, record.version, store.history(job_id)) == (S.RUNNING, 0, ())
    # Moves both declarations allow still go through.
    assert store.transition("a", S.SCALING, at=at).moved


@pytest.mark.integration
def test_two_first_writers_on_postgresql_install_the_rules_once(postgres_server: Any) -> None:
    """Two stores of a lifecycle whose rules are missing write at once: one installs them, the
    other waits and finds them; both writes land."""
    url = postgres_server.fresh_url()
    with JobStore(url) as owner:
        owner.create_schema()
    stores = [JobStore(url, lifecycle=TINY) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            barrier.wait()
            stores[index].create(f"t-{index}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert errors == []
    assert installed(url, TINY)
    assert "cannot move" in refused(url, "UPDATE jobs SET status = 5 WHERE job_id = 't-0'")
