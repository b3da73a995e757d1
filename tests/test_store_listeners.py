"""A store given a JobMachine: its guards judge before the write, its listeners hear every move
after the commit (transition, save, apply), and loaded jobs keep it. Both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CallbackError,
    Guard,
    GuardRejected,
    InvalidArgument,
    Job,
    JobMachine,
    JobStatus,
    JobStore,
    Move,
)
from jobfsm.vocabulary import Status

S = JobStatus
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)

Heard = list[tuple[str, Status, Status, Status, bool]]


def listening(machine: JobMachine) -> Heard:
    """(job id, job status, move source, move target, inferred) of every call, in order."""
    heard: Heard = []
    machine.add_listener(
        lambda job, move: heard.append(
            (job.job_id, job.status, move.source, move.target, move.inferred)
        )
    )
    return heard


@pytest.fixture
def machine() -> JobMachine:
    return JobMachine(DEFAULT_LIFECYCLE)


@pytest.fixture
def store(store_url: str, machine: JobMachine) -> Iterator[JobStore]:
    s = JobStore(store_url, machine=machine)
    s.create_schema()
    yield s
    s.close()


def test_transition_tells_the_listeners_after_the_commit(
    store: JobStore, store_url: str, machine: JobMachine
) -> None:
    """A listener hears each move once it is committed: another store already reads it."""
    store.create("j-1", S.WAITING, created_at=T0)
    seen_stored: list[Status] = []
    with JobStore(store_url) as other:
        machine.add_listener(lambda job, move: seen_stored.append(other.get(job.job_id).status))
        heard = listening(machine)
        store.transition("j-1", S.RUNNING, at=T0 + MINUTE)
    assert heard == [("j-1", S.RUNNING, S.WAITING, S.RUNNING, False)]
    assert seen_stored == [S.RUNNING]


def test_an_inferred_chain_is_one_call_per_move(store: JobStore, machine: JobMachine) -> None:
    heard = listening(machine)
    store.create("j-1", S.WAITING, created_at=T0)
    store.transition("j-1", S.COMPLETED, at=T0 + MINUTE, mode="polled")
    assert heard == [
        ("j-1", S.COMPLETED, S.WAITING, S.RUNNING, True),
        ("j-1", S.COMPLETED, S.RUNNING, S.COMPLETED, False),
    ]


def test_the_job_a_listener_gets(store: JobStore, machine: JobMachine) -> None:
    """A Job of the machine, with the write's moves as its history, equal to the stored rows."""
    got: list[tuple[Job, Move]] = []
    machine.add_listener(lambda job, move: got.append((job, move)))
    store.create("j-1", S.WAITING, created_at=T0)
    store.transition("j-1", S.RUNNING, at=T0 + MINUTE, reason="poll", actor="sched")
    ((job, move),) = got
    assert job.machine is machine
    assert job.history == store.history("j-1") == (move,)


def test_nothing_is_told_of_what_was_not_written(store: JobStore, machine: JobMachine) -> None:
    """Repeats, late observations and refusals reach no listener."""
    heard = listening(machine)
    store.create("j-1", S.RUNNING, created_at=T0 + MINUTE)
    store.transition("j-1", S.RUNNING)
    store.transition("j-1", S.COMPLETED, at=T0)
    with pytest.raises(Exception, match="cannot move"):
        store.transition("j-1", S.INIT)
    assert heard == []


def test_a_machine_per_call_and_none(store_url: str, machine: JobMachine) -> None:
    """A call's machine is told instead of the store's; a store without one tells nobody."""
    heard = listening(machine)
    with JobStore(store_url) as plain:
        plain.create_schema()
        plain.create("j-1", S.WAITING, created_at=T0)
        plain.transition("j-1", S.RUNNING, at=T0 + MINUTE)
        assert heard == []
        plain.transition("j-1", S.COMPLETED, at=T0 + 2 * MINUTE, machine=machine)
        assert heard == [("j-1", S.COMPLETED, S.RUNNING, S.COMPLETED, False)]


def test_a_machine_of_another_lifecycle_is_refused_before_the_write(
    store: JobStore, store_url: str
) -> None:
    other = JobMachine(DEFAULT_LIFECYCLE.with_guards(Guard("any", lambda m: True, "never")))
    store.create("j-1", S.WAITING, created_at=T0)
    with pytest.raises(InvalidArgument, match="the store's own lifecycle"):
        store.transition("j-1", S.RUNNING, machine=other)
    with pytest.raises(InvalidArgument, match="the store's own lifecycle"):
        store.apply([("j-1", S.RUNNING, None)], machine=other)
    with pytest.raises(InvalidArgument):
        store.load("j-1", machine="m")  # type: ignore[arg-type]
    assert store.history("j-1") == ()
    with pytest.raises(InvalidArgument, match="not two that disagree"):
        JobStore(store_url, lifecycle=other.lifecycle, machine=JobMachine())
    with pytest.raises(InvalidArgument, match="a JobMachine"):
        JobStore(store_url, machine=DEFAULT_LIFECYCLE)  # type: ignore[arg-type]


def test_the_machine_gives_the_store_its_lifecycle_and_guards(store_url: str) -> None:
    """The machine's guards judge before anything is written; no listener hears a refusal."""
    lifecycle = DEFAULT_LIFECYCLE.with_guards(
        Guard("frozen", lambda m: False, "no starts today", events={"start"})
    )
    machine = JobMachine(lifecycle)
    heard = listening(machine)
    with JobStore(store_url, machine=machine) as guarded:
        assert guarded.lifecycle is lifecycle
        guarded.create_schema()
        guarded.create("j-1", S.WAITING, created_at=T0)
        with pytest.raises(GuardRejected, match="frozen"):
            guarded.transition("j-1", S.RUNNING)
        assert (guarded.history("j-1"), heard) == ((), [])


def test_a_listener_that_raises_leaves_the_move_written(
    store: JobStore, machine: JobMachine
) -> None:
    """Every listener runs; then CallbackError (committed) carries the errors."""

    def broken(job: Job, move: Move) -> None:
        raise RuntimeError("pager down")

    machine.add_listener(broken)
    heard = listening(machine)
    store.create("j-1", S.WAITING, created_at=T0)
    with pytest.raises(CallbackError) as info:
        store.transition("j-1", S.RUNNING, at=T0 + MINUTE)
    assert info.value.committed is True
    assert [str(e) for e in info.value.errors] == ["pager down"]
    assert heard == [("j-1", S.RUNNING, S.WAITING, S.RUNNING, False)]
    assert store.get("j-1").status is S.RUNNING


def test_a_loaded_job_keeps_the_machine(store: JobStore, machine: JobMachine) -> None:
    """load gives a job of the store's machine (or the call's), whose own moves it then hears."""
    heard = listening(machine)
    store.create("j-1", S.WAITING, created_at=T0)
    job = store.load("j-1")
    assert job.machine is machine
    job.advance_to(S.RUNNING, at=T0 + MINUTE)
    assert heard == [("j-1", S.RUNNING, S.WAITING, S.RUNNING, False)]
    another = JobMachine(DEFAULT_LIFECYCLE)
    assert store.load("j-1", machine=another).machine is another


def test_save_tells_of_the_moves_it_writes(store: JobStore, machine: JobMachine) -> None:
    """A new job's moves, then only the moves appended; the in-memory job's own machine is the
    lifecycle's shared one here, so each move is heard once, from the store."""
    job = Job("j-1", S.WAITING, created_at=T0)
    job.advance_to(S.RUNNING, at=T0 + MINUTE)
    heard = listening(machine)
    store.save(job)
    job.advance_to(S.COMPLETED, at=T0 + 2 * MINUTE)
    store.save(job)
    store.save(job)  # nothing new
    assert heard == [
        ("j-1", S.RUNNING, S.WAITING, S.RUNNING, False),
        ("j-1", S.COMPLETED, S.RUNNING, S.COMPLETED, False),
    ]


def test_apply_tells_of_every_move_in_batch_order(store: JobStore, machine: JobMachine) -> None:
    """After the commit, in order; a raising listener stops no other and the batch stands."""
    for job_id in ("a", "b"):
        store.create(job_id, S.WAITING, created_at=T0)
    heard = listening(machine)
    at = T0 + MINUTE
    store.apply([("b", S.COMPLETED, at), ("a", S.WAITING, at), ("a", S.RUNNING, at)], mode="polled")
    assert heard == [
        ("b", S.COMPLETED, S.WAITING, S.RUNNING, True),
        ("b", S.COMPLETED, S.RUNNING, S.COMPLETED, False),
        ("a", S.RUNNING, S.WAITING, S.RUNNING, False),
    ]

    def broken(job: Job, move: Move) -> None:
        raise RuntimeError(job.job_id)

    machine.add_listener(broken)
    heard.clear()
    with pytest.raises(CallbackError) as info:
        store.apply([("a", S.COMPLETED, at), ("c", S.RUNNING, at)])
    assert (info.value.job_id, info.value.committed) == ("a", True)
    assert [str(e) for e in info.value.errors] == ["a"]
    assert heard == [("a", S.COMPLETED, S.RUNNING, S.COMPLETED, False)]
    assert store.get("a").status is S.COMPLETED
