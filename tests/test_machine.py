"""Jobs on the shared machine: moves, guards, callbacks, history, snapshots, threads."""

from __future__ import annotations

import functools
import json
import pickle
import threading
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from types import MappingProxyType
from typing import Any

import pytest

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CallbackError,
    Guard,
    GuardError,
    GuardRejected,
    IllegalTransition,
    InvalidArgument,
    InvalidJobId,
    InvalidTime,
    Job,
    JobFSMError,
    JobMachine,
    JobStatus,
    Move,
    SnapshotError,
    UnknownEvent,
    UnknownStatus,
)
from jobfsm.vocabulary import Status

S = JobStatus
HAPPY = [S.IMAGE_CREATING, S.SUBMIT_TRYING, S.WAITING, S.RUNNING, S.COMPLETED]


def test_a_new_job_starts_in_init() -> None:
    """Job() defaults to INIT with an empty history."""
    job = Job("j-1")
    assert job.status is S.INIT
    assert job.history == ()
    assert not job.is_terminal


def test_one_shared_engine_per_lifecycle() -> None:
    """Every job of a lifecycle is moved by the same transitions machine."""
    a, b = Job("a"), Job("b")
    assert a.machine is b.machine
    assert a.machine is JobMachine.for_lifecycle(DEFAULT_LIFECYCLE)
    assert a.machine.engine.models == []  # jobs are not bound to the engine one by one


def test_the_engine_has_no_auto_transitions() -> None:
    """No to_<state>() shortcut exists that could bypass the table."""
    engine = Job("a").machine.engine
    assert not any(name.startswith("to_") for name in engine.events)
    assert set(engine.events) == set(DEFAULT_LIFECYCLE.event_names)


def test_advance_along_the_main_path() -> None:
    """INIT → IMAGE_CREATING → SUBMIT_TRYING → WAITING → RUNNING → COMPLETED is legal."""
    job = Job("j-1")
    for status in HAPPY:
        assert job.advance_to(status) is True
        assert job.status is status
    assert job.is_terminal
    assert [m.event for m in job.history] == [
        "create_image",
        "submit",
        "queue",
        "start",
        "complete",
    ]


def test_advance_accepts_codes_and_names() -> None:
    """advance_to parses its argument like JobStatus.parse."""
    job = Job("j-1")
    assert job.advance_to(4)
    assert job.advance_to("jobstat_waiting")
    assert job.status is S.WAITING
    with pytest.raises(UnknownStatus):
        job.advance_to("NOPE")


def test_a_repeated_observation_is_not_a_move() -> None:
    """advance_to(current status) returns False and records nothing."""
    job = Job("j-1", S.RUNNING)
    assert job.advance_to(S.RUNNING) is False
    assert job.history == ()


def test_an_undeclared_move_raises_with_the_facts() -> None:
    """IllegalTransition carries job, source, target and the allowed moves."""
    job = Job("j-1", S.RUNNING)
    with pytest.raises(IllegalTransition) as info:
        job.advance_to(S.WAITING)
    err = info.value
    assert (err.job_id, err.source, err.target) == ("j-1", S.RUNNING, S.WAITING)
    assert err.allowed == DEFAULT_LIFECYCLE.allowed_next(S.RUNNING)
    assert str(err).startswith(
        "job j-1: cannot move RUNNING(8) → WAITING(7); from RUNNING the allowed moves are: "
    )
    assert "COMPLETED(10)" in str(err)
    assert job.status is S.RUNNING
    assert job.history == ()


def test_a_move_out_of_a_terminal_status_says_so() -> None:
    """Leaving COMPLETED is refused with a message naming it terminal."""
    job = Job("j-1", S.COMPLETED)
    with pytest.raises(IllegalTransition, match="COMPLETED\\(10\\) is terminal"):
        job.advance_to(S.RUNNING)


def test_event_methods_and_fire() -> None:
    """job.<event>() and job.fire(event) apply the declared move and return it."""
    job = Job("j-1", S.WAITING)
    move = job.start(reason="gpus free", actor="scheduler")
    assert isinstance(move, Move)
    assert (move.source, move.target, move.event) == (S.WAITING, S.RUNNING, "start")
    assert (move.reason, move.actor) == ("gpus free", "scheduler")
    assert job.fire("scale").target is S.SCALING
    assert "start" in dir(job)


def test_firing_an_event_with_no_move_from_here() -> None:
    """An event declared elsewhere but not from the current status is illegal."""
    job = Job("j-1", S.WAITING)
    with pytest.raises(IllegalTransition, match="cannot fire 'complete' from WAITING"):
        job.complete()


def test_firing_an_unknown_event() -> None:
    """An event name the lifecycle does not declare raises UnknownEvent, and attributes fail."""
    job = Job("j-1")
    with pytest.raises(UnknownEvent, match="'launch' is not an event"):
        job.fire("launch")
    with pytest.raises(AttributeError):
        job.launch()


def always_no(_: Any) -> bool:
    return False


def test_a_guard_that_says_no_raises_and_changes_nothing() -> None:
    """GuardRejected names the guard and reason; status and history stay as they were."""
    lc = DEFAULT_LIFECYCLE.with_guards(
        Guard("freeze", always_no, "deploys are frozen", targets={8})
    )
    job = Job("j-1", S.SUBMIT_TRYING, lifecycle=lc)
    job.queue()
    before = job.history
    with pytest.raises(GuardRejected) as info:
        job.advance_to(S.RUNNING)
    assert (info.value.guard, info.value.reason) == ("freeze", "deploys are frozen")
    assert "rejected by guard 'freeze': deploys are frozen" in str(info.value)
    assert job.status is S.WAITING
    assert job.history == before
    assert not job.can_advance_to(S.RUNNING)
    with pytest.raises(GuardRejected):
        job.start()


def test_guards_see_the_context() -> None:
    """The caller's context reaches the guard, so one move can pass and another fail."""
    lc = DEFAULT_LIFECYCLE.with_guards(
        Guard("quota", lambda m: m.context.get("gpus") in (None, 1, 2, 4, 8), "at most 8 GPUs",
              events={"start"})
    )  # fmt: skip
    job = Job("j-1", S.WAITING, lifecycle=lc)
    with pytest.raises(GuardRejected):
        job.advance_to(S.RUNNING, context={"gpus": 16})
    assert job.can_advance_to(S.RUNNING, context={"gpus": 2})
    assert job.advance_to(S.RUNNING, context={"gpus": 2})


def test_explain_and_can_advance_have_no_side_effects() -> None:
    """Questions about a move never move the job."""
    job = Job("j-1", S.WAITING)
    assert job.can_advance_to(S.RUNNING)
    assert not job.can_advance_to(S.COMPLETED)
    assert not job.can_advance_to(S.WAITING)
    assert job.explain(S.RUNNING).event == "start"
    assert job.status is S.WAITING
    assert job.history == ()


def test_listeners_hear_committed_moves_only() -> None:
    """Job and machine listeners are told after each committed move, not of rejections."""
    machine = JobMachine(DEFAULT_LIFECYCLE)
    heard: list[tuple[str, str, Status, Status]] = []
    machine.add_listener(lambda job, m: heard.append(("machine", job.job_id, m.source, m.target)))
    job = Job("j-1", S.WAITING, machine=machine)
    job.add_listener(lambda job, m: heard.append(("job", job.job_id, m.source, m.target)))
    job.advance_to(S.RUNNING)
    with pytest.raises(IllegalTransition):
        job.advance_to(S.WAITING)
    assert heard == [
        ("machine", "j-1", S.WAITING, S.RUNNING),
        ("job", "j-1", S.WAITING, S.RUNNING),
    ]


def test_enter_and_exit_hooks_run_around_the_change() -> None:
    """Exit hooks see the old status, enter hooks the new one."""
    machine = JobMachine(DEFAULT_LIFECYCLE)
    seen: list[tuple[str, Status]] = []
    machine.on_exit(S.WAITING, lambda job, m: seen.append(("exit", job.status)))
    machine.on_enter(S.RUNNING, lambda job, m: seen.append(("enter", job.status)))
    Job("j-1", S.WAITING, machine=machine).start()
    assert seen == [("exit", S.WAITING), ("enter", S.RUNNING)]


def boom(*_: object) -> None:
    raise RuntimeError("hook failed")


def test_an_exit_hook_that_raises_abandons_the_move() -> None:
    """The job stays where it was and CallbackError says the move was abandoned."""
    machine = JobMachine(DEFAULT_LIFECYCLE)
    machine.on_exit(S.WAITING, boom)
    job = Job("j-1", S.WAITING, machine=machine)
    with pytest.raises(CallbackError) as info:
        job.start()
    assert not info.value.committed
    assert isinstance(info.value.__cause__, RuntimeError)
    assert job.status is S.WAITING
    assert job.history == ()


def test_an_enter_hook_that_raises_leaves_the_move_standing() -> None:
    """The move is committed and in history; listeners still run; CallbackError says so."""
    machine = JobMachine(DEFAULT_LIFECYCLE)
    machine.on_enter(S.RUNNING, boom)
    heard: list[Move] = []
    machine.add_listener(lambda job, m: heard.append(m))
    job = Job("j-1", S.WAITING, machine=machine)
    with pytest.raises(CallbackError, match="the move stands") as info:
        job.start()
    assert info.value.committed
    assert job.status is S.RUNNING
    assert len(job.history) == 1
    assert len(heard) == 1


def test_every_listener_runs_even_when_one_raises() -> None:
    """A failing listener does not silence the others; all errors are reported in order."""
    job = Job("j-1", S.WAITING)
    heard: list[str] = []
    job.add_listener(boom)
    job.add_listener(lambda j, m: heard.append("second"))
    with pytest.raises(CallbackError) as info:
        job.start()
    assert heard == ["second"]
    assert info.value.committed
    assert [type(e) for e in info.value.errors] == [RuntimeError]
    job.remove_listener(boom)
    job.scale()


def test_history_and_time_in_status() -> None:
    """History records UTC times; time_in_status sums the time spent in each status."""
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    job = Job("j-1", created_at=t0)
    job.advance_to(S.SUBMIT_TRYING)
    job.advance_to(S.WAITING)
    assert all(m.at.tzinfo is not None for m in job.history)
    snap = job.to_dict()
    snap["history"][0]["at"] = (t0 + timedelta(seconds=10)).isoformat()
    snap["history"][1]["at"] = (t0 + timedelta(seconds=25)).isoformat()
    restored = Job.from_dict(snap)
    spent = restored.time_in_status(now=t0 + timedelta(seconds=100))
    assert spent == {
        S.INIT: timedelta(seconds=10),
        S.SUBMIT_TRYING: timedelta(seconds=15),
        S.WAITING: timedelta(seconds=75),
    }


def test_snapshot_round_trip_is_json_safe() -> None:
    """to_dict survives JSON and from_dict restores status and history exactly."""
    job = Job("j-1")
    for status in HAPPY:
        job.advance_to(status, actor="poller")
    snap = json.loads(json.dumps(job.to_dict()))
    restored = Job.from_dict(snap)
    assert restored.status is S.COMPLETED
    assert restored.history == job.history
    assert restored.created_at == job.created_at


@pytest.mark.parametrize(
    ("corrupt", "where"),
    [
        (lambda d: d.pop("status"), "status"),
        (lambda d: d.update(status=99), "status"),
        (lambda d: d.update(job_id=7), "job_id"),
        (lambda d: d.update(created_at="yesterday"), "created_at"),
        (lambda d: d.update(history="none"), "history"),
        (lambda d: d["history"][1].update(source=8), "history[1].source"),
        (lambda d: d["history"][0].update(target=10), "history[0]"),
        (lambda d: d["history"][0].update(event="launch"), "history[0].event"),
        (lambda d: d["history"][0].pop("at"), "history[0].at"),
        (lambda d: d.update(status=8), "status"),
        (lambda d: d["history"].__setitem__(0, [1, 2]), "history[0]"),
    ],
)
def test_a_corrupt_snapshot_raises_snapshot_error(corrupt: Any, where: str) -> None:
    """Every corruption is a SnapshotError naming where it is, never a KeyError."""
    job = Job("j-1")
    job.advance_to(S.SUBMIT_TRYING)
    job.advance_to(S.WAITING)
    snap = job.to_dict()
    corrupt(snap)
    with pytest.raises(SnapshotError) as info:
        Job.from_dict(snap)
    assert info.value.field == where
    assert where in str(info.value)


def test_snapshot_of_a_non_mapping() -> None:
    """A list or string instead of a snapshot is a SnapshotError too."""
    with pytest.raises(SnapshotError):
        Job.from_dict([])  # type: ignore[arg-type]


def test_threads_moving_one_job_are_serialized() -> None:
    """Many threads race one job; each gets its own answer and history stays a legal chain."""

    def worker(job: Job, target: JobStatus, barrier: threading.Barrier, out: list[object]) -> None:
        barrier.wait()
        for _ in range(50):
            try:
                outcome: object = job.advance_to(target)
            except IllegalTransition as exc:
                outcome = exc
            out.append(outcome)  # list.append is atomic

    for _ in range(20):
        job = Job("j-1", S.RUNNING)
        barrier = threading.Barrier(8)
        results: list[object] = []
        targets = [S.SCALING, S.RUNNING] * 3 + [S.COMPLETED, S.KILLING]
        threads = [
            threading.Thread(target=worker, args=(job, t, barrier, results)) for t in targets
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 8 * 50
        moved = sum(1 for r in results if r is True)
        assert moved == len(job.history)
        chain = [job.history[0].source] + [m.target for m in job.history]
        assert chain[0] is S.RUNNING
        assert chain[-1] is job.status
        assert all(DEFAULT_LIFECYCLE.can_transition(a, b) for a, b in pairwise(chain))
        assert job.status.is_terminal  # someone always finishes it


def test_errors_pickle_with_their_fields() -> None:
    """Rejections cross process boundaries (worker pools) with their fields intact."""
    job = Job("j-1", S.RUNNING)
    with pytest.raises(IllegalTransition) as info:
        job.advance_to(S.WAITING)
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.job_id, copy.source, copy.target) == ("j-1", S.RUNNING, S.WAITING)
    assert str(copy) == str(info.value)


@pytest.mark.parametrize("job_id", ["", "  ", None, 42])
def test_a_job_id_must_be_a_non_blank_string(job_id: object) -> None:
    """Job refuses an id that is not a non-blank string, naming it."""
    with pytest.raises(InvalidJobId, match="is not a job id"):
        Job(job_id)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["FOO", 99, None])
def test_hooks_refuse_a_non_status(bad: object) -> None:
    """on_enter and on_exit name a status that is not one with UnknownStatus."""
    machine = JobMachine()
    with pytest.raises(UnknownStatus):
        machine.on_enter(bad, lambda job, move: None)  # type: ignore[arg-type]
    with pytest.raises(UnknownStatus):
        machine.on_exit(bad, lambda job, move: None)  # type: ignore[arg-type]


def test_hooks_take_status_names() -> None:
    """A hook may be registered by code or name."""
    machine = JobMachine()
    seen: list[str] = []
    machine.on_enter("running", lambda job, move: seen.append("enter"))
    machine.on_exit(7, lambda job, move: seen.append("exit"))
    Job("j", S.WAITING, machine=machine).advance_to(S.RUNNING)
    assert seen == ["exit", "enter"]


@pytest.mark.parametrize(
    ("register", "argument"),
    [
        (lambda m, j, f: m.on_enter(S.RUNNING, f), "hook"),
        (lambda m, j, f: m.on_exit(S.WAITING, f), "hook"),
        (lambda m, j, f: m.add_listener(f), "listener"),
        (lambda m, j, f: j.add_listener(f), "listener"),
    ],
)
@pytest.mark.parametrize("callback", [None, 8, "print"])
def test_a_callback_that_cannot_be_called_is_refused_when_registered(
    register: Any, argument: str, callback: object
) -> None:
    """A non-callable hook or listener is an InvalidArgument (a TypeError) at once; moves go on."""
    machine = JobMachine()
    job = Job("j", S.WAITING, machine=machine)
    with pytest.raises(InvalidArgument) as info:
        register(machine, job, callback)
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, JobFSMError)
    assert info.value.argument == argument
    assert f"expected a callable {argument}(job, move)" in str(info.value)
    assert job.advance_to(S.RUNNING)  # nothing half-registered breaks later moves


@pytest.mark.parametrize("argument", ["reason", "actor"])
@pytest.mark.parametrize("value", [object(), ["x"], 5, b"ops"])
@pytest.mark.parametrize("by_event", [False, True])
def test_a_reason_or_actor_that_is_not_text_is_refused(
    argument: str, value: object, by_event: bool
) -> None:
    """reason and actor are strings or None; anything else is refused before the job moves."""
    job = Job("j", S.WAITING)
    move: Any = job.start if by_event else functools.partial(job.advance_to, S.RUNNING)
    with pytest.raises(InvalidArgument) as info:
        move(**{argument: value})
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, JobFSMError)
    assert info.value.argument == argument
    assert str(info.value).startswith(f"{argument} ")
    assert "expected a string or None" in str(info.value)
    assert job.status is S.WAITING
    assert job.history == ()


def test_text_reasons_and_actors_make_a_loadable_snapshot() -> None:
    """A move with a str (or str subclass) reason and actor round-trips through JSON."""

    class Name(str):
        pass

    job = Job("j", S.WAITING)
    job.advance_to(S.RUNNING, reason="granted", actor=Name("scheduler"))
    job.advance_to(S.COMPLETED)
    copy = Job.from_dict(json.loads(json.dumps(job.to_dict())))
    assert [(m.reason, m.actor) for m in copy.history] == [("granted", "scheduler"), (None, None)]


@pytest.mark.parametrize(
    ("build", "argument"),
    [
        (lambda: JobMachine(None), "lifecycle"),  # type: ignore[arg-type]
        (lambda: JobMachine.for_lifecycle(None), "lifecycle"),  # type: ignore[arg-type]
        (lambda: Job("a", lifecycle=5), "lifecycle"),  # type: ignore[arg-type]
        (lambda: Job("a", lifecycle=0), "lifecycle"),  # type: ignore[arg-type]
        (lambda: Job("a", machine=5), "machine"),  # type: ignore[arg-type]
        (lambda: Job("a", machine=DEFAULT_LIFECYCLE), "machine"),  # type: ignore[arg-type]
    ],
)
def test_a_constructor_argument_of_the_wrong_kind_is_refused(build: Any, argument: str) -> None:
    """A lifecycle or machine that is not one is an InvalidArgument (a TypeError) naming it."""
    with pytest.raises(InvalidArgument) as info:
        build()
    assert isinstance(info.value, TypeError)
    assert info.value.argument == argument
    assert str(info.value).startswith(f"{argument} ")


def test_a_lifecycle_and_a_machine_that_disagree_are_refused() -> None:
    """Passing both is allowed only when the machine runs that lifecycle."""
    other = DEFAULT_LIFECYCLE.with_guards(Guard("g", lambda m: True, "never"))
    machine = JobMachine(other)
    assert Job("a", lifecycle=other, machine=machine).lifecycle is other
    with pytest.raises(InvalidArgument, match="not two that disagree") as info:
        Job("a", lifecycle=DEFAULT_LIFECYCLE, machine=machine)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("created_at", "naive"),
    [(datetime(2026, 1, 1), True), ("2026-01-01", False), (1767225600, False)],
)
def test_created_at_must_be_an_aware_datetime(created_at: object, naive: bool) -> None:
    """A naive datetime or a non-datetime is InvalidTime at once, naming created_at."""
    with pytest.raises(InvalidTime) as info:
        Job("j", created_at=created_at)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TypeError)
    assert info.value.argument == "created_at"
    assert str(info.value).startswith(f"created_at {created_at!r} is not a usable time")
    assert ("has none" in str(info.value)) is naive


@pytest.mark.parametrize("now", [datetime(2026, 1, 1), 5, "now"])
def test_time_in_status_needs_an_aware_now(now: object) -> None:
    """time_in_status refuses a naive or non-datetime now with InvalidTime naming it."""
    with pytest.raises(InvalidTime, match=r"^now .* is not a usable time"):
        Job("p").time_in_status(now=now)  # type: ignore[arg-type]


def test_an_aware_created_at_in_any_zone_round_trips() -> None:
    """Any time zone is accepted; its snapshot loads back and durations are exact."""
    east = timezone(timedelta(hours=8))
    t0 = datetime(2026, 1, 1, 8, tzinfo=east)
    job = Job("j", created_at=t0)
    copy = Job.from_dict(json.loads(json.dumps(job.to_dict())))
    assert copy.created_at == t0
    later = datetime(2026, 1, 1, 0, 30, tzinfo=timezone.utc)
    assert copy.time_in_status(now=later) == {S.INIT: timedelta(minutes=30)}


def _boom(move: Any) -> bool:
    return 1 / 0 > 0


BOOM = DEFAULT_LIFECYCLE.with_guards(Guard("boom", _boom, "never raises", targets={S.RUNNING}))


@pytest.mark.parametrize("by_event", [False, True])
def test_a_guard_that_raises_is_a_guard_error_and_the_job_stays(by_event: bool) -> None:
    """A raising guard is GuardError naming guard and move, the cause attached; nothing moves."""
    machine = JobMachine(BOOM)
    heard: list[Move] = []
    machine.add_listener(lambda job, move: heard.append(move))
    job = Job("j", S.WAITING, machine=machine)
    move: Any = job.start if by_event else functools.partial(job.advance_to, S.RUNNING)
    with pytest.raises(GuardError) as info:
        move()
    error = info.value
    assert isinstance(error, JobFSMError)
    assert (error.job_id, error.guard, error.source, error.target, error.event) == (
        "j",
        "boom",
        S.WAITING,
        S.RUNNING,
        "start",
    )
    assert isinstance(error.error, ZeroDivisionError)
    assert error.__cause__ is error.error
    assert str(error).startswith(
        "job j: guard 'boom' raised while judging WAITING(7) → RUNNING(8) by 'start'; the move "
        "was not made and the job stays WAITING(7): ZeroDivisionError: division by zero"
    )
    assert job.status is S.WAITING
    assert job.history == ()
    assert heard == []
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.guard, copy.source, str(copy)) == ("boom", S.WAITING, str(error))


def test_queries_report_a_raising_guard_as_guard_error() -> None:
    """explain and can_advance_to raise GuardError too; without a job, none is named."""
    job = Job("j", S.WAITING, lifecycle=BOOM)
    with pytest.raises(GuardError, match=r"^job j: guard 'boom'"):
        job.can_advance_to(S.RUNNING)
    with pytest.raises(GuardError, match=r"^guard 'boom' raised while judging") as info:
        BOOM.explain(S.WAITING, S.RUNNING)
    assert info.value.job_id is None
    assert "stays" not in str(info.value)


def _small(move: Any) -> bool:
    return int(move.context.get("gpus", 0)) <= 8


QUOTA = DEFAULT_LIFECYCLE.with_guards(Guard("quota", _small, "at most 8", targets={S.RUNNING}))


@pytest.mark.parametrize("context", [5, "gpus=8", [("gpus", 8)]])
def test_a_context_that_is_not_a_mapping_is_refused(context: Any) -> None:
    """context is a mapping or None, with or without guards to read it; nothing moves."""
    for lifecycle in (DEFAULT_LIFECYCLE, QUOTA):
        job = Job("j", S.WAITING, lifecycle=lifecycle)
        for call in (
            functools.partial(job.advance_to, S.RUNNING, context=context),
            functools.partial(job.start, context=context),
            functools.partial(job.explain, S.RUNNING, context=context),
        ):
            with pytest.raises(InvalidArgument, match="expected a mapping") as info:
                call()
            assert info.value.argument == "context"
            assert isinstance(info.value, TypeError)
        assert job.status is S.WAITING


def test_any_mapping_is_a_context() -> None:
    """A read-only mapping works as a context, like a dict."""
    job = Job("j", S.WAITING, lifecycle=QUOTA)
    with pytest.raises(GuardRejected):
        job.advance_to(S.RUNNING, context=MappingProxyType({"gpus": 16}))
    assert job.advance_to(S.RUNNING, context=MappingProxyType({"gpus": 8}))


@pytest.mark.parametrize(
    "register",
    [
        lambda m: m.add_listener(lambda job, move: None),
        lambda m: m.on_enter(S.RUNNING, lambda job, move: None),
        lambda m: m.on_exit(S.WAITING, lambda job, move: None),
    ],
)
@pytest.mark.parametrize("lifecycle", [None, DEFAULT_LIFECYCLE])
def test_the_shared_machine_refuses_hooks_and_listeners(register: Any, lifecycle: Any) -> None:
    """A hook on the machine every Job without machine= shares would fire for all of them: refused,
    naming the per-job and the own-machine ways; other jobs' moves hear nothing."""
    job = Job("j", S.WAITING, lifecycle=lifecycle)
    assert job.machine is JobMachine.for_lifecycle(DEFAULT_LIFECYCLE)
    with pytest.raises(InvalidArgument) as info:
        register(job.machine)
    assert info.value.argument == "machine"
    assert info.value.value is job.machine
    assert "job.add_listener" in info.value.expected
    assert "JobMachine()" in info.value.expected
    assert job.machine._listeners == []
    assert job.start().target is S.RUNNING


def test_a_machine_of_ones_own_takes_them_for_its_jobs_only() -> None:
    """JobMachine(DEFAULT_LIFECYCLE) is not the shared one: its listener hears its jobs only."""
    own = JobMachine(DEFAULT_LIFECYCLE)
    heard: list[str] = []
    own.add_listener(lambda job, move: heard.append(job.job_id))
    Job("mine", S.WAITING, machine=own).start()
    Job("other", S.WAITING).start()
    assert heard == ["mine"]
