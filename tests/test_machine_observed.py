"""A Job given observed times and polled statuses: history, time in status, late observations."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobfsm import (
    DEFAULT_LIFECYCLE,
    Guard,
    GuardRejected,
    IllegalTransition,
    InvalidTime,
    Job,
    JobMachine,
    JobStatus,
    Move,
    SnapshotError,
    StepKind,
    UnknownMode,
    validate_history,
)
from jobfsm.validate import LATE, REPEAT, Rules
from jobfsm.vocabulary import Status

S = JobStatus
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)


def test_an_observed_time_is_the_time_of_the_move() -> None:
    """History and time_in_status use the observation's time, not the clock's."""
    job = Job("j-1", S.WAITING, created_at=T0)
    assert job.advance_to(S.RUNNING, at=T0 + 3 * MINUTE) is True
    assert job.history[-1].at == T0 + 3 * MINUTE
    assert job.advance_to(S.COMPLETED, at=T0 + 10 * MINUTE) is True
    spent = job.time_in_status(now=T0 + 60 * MINUTE)
    assert spent == {S.WAITING: 3 * MINUTE, S.RUNNING: 7 * MINUTE, S.COMPLETED: 50 * MINUTE}


def test_an_observed_time_in_another_zone_is_the_same_instant() -> None:
    """An offset other than UTC is kept as given and counts as the same instant."""
    job = Job("j-1", S.WAITING, created_at=T0)
    beijing = (T0 + MINUTE).astimezone(timezone(timedelta(hours=8)))
    job.advance_to(S.RUNNING, at=beijing)
    assert job.time_in_status(now=T0 + 2 * MINUTE)[S.WAITING] == MINUTE


@pytest.mark.parametrize("bad", [datetime(2026, 1, 1, 12), 1767268800.0, "2026-01-01T12:00Z"])
def test_a_time_without_a_zone_or_not_a_time_is_refused(bad: Any) -> None:
    """advance_to, observe and fire refuse it with InvalidTime naming ``at``; nothing changes."""
    job = Job("j-1", S.WAITING, created_at=T0)
    for call in (
        lambda: job.advance_to(S.RUNNING, at=bad),
        lambda: job.observe(S.RUNNING, at=bad, mode="polled"),
        lambda: job.fire("start", at=bad),
    ):
        with pytest.raises(InvalidTime) as info:
            call()
        assert info.value.argument == "at"
    assert (job.status, job.history) == (S.WAITING, ())


def test_a_polled_jump_records_the_inferred_moves() -> None:
    """WAITING → COMPLETED is refused strictly and, polled, recorded as WAITING → RUNNING
    (inferred) and RUNNING → COMPLETED (observed), both at the observation's time."""
    job = Job("j-1", S.WAITING, created_at=T0)
    with pytest.raises(IllegalTransition):
        job.advance_to(S.COMPLETED, at=T0 + MINUTE)
    assert job.status is S.WAITING
    step = job.observe(S.COMPLETED, at=T0 + 5 * MINUTE, mode="polled")
    assert (step.kind, step.skipped) == (StepKind.INFERRED, (S.RUNNING,))
    assert [(m.source, m.target, m.event, m.at, m.inferred) for m in job.history] == [
        (S.WAITING, S.RUNNING, "start", T0 + 5 * MINUTE, True),
        (S.RUNNING, S.COMPLETED, "complete", T0 + 5 * MINUTE, False),
    ]
    # The skipped status gets no time: when it happened is unknown.
    spent = job.time_in_status(now=T0 + 6 * MINUTE)
    assert spent[S.WAITING] == 5 * MINUTE
    assert spent[S.RUNNING] == timedelta(0)


def test_polled_mode_still_refuses_what_no_chain_explains() -> None:
    """Polled mode infers only along declared moves; a move out of a terminal status is refused."""
    job = Job("j-1", S.COMPLETED, created_at=T0)
    with pytest.raises(IllegalTransition):
        job.advance_to(S.RUNNING, at=T0 + MINUTE, mode="polled")
    assert job.history == ()


def test_a_declared_move_in_polled_mode_is_a_plain_move() -> None:
    job = Job("j-1", S.WAITING, created_at=T0)
    step = job.observe(S.RUNNING, at=T0 + MINUTE, mode="polled")
    assert (step.kind, step.event) == (StepKind.MOVE, "start")
    assert job.history[0].inferred is False


def test_an_older_observation_is_late_and_changes_nothing() -> None:
    """An observation older than the last move is LATE (advance_to returns False); one at the
    same time is judged; one older than the creation of a job without moves is late too."""
    job = Job("j-1", S.WAITING, created_at=T0)
    assert job.observe(S.RUNNING, at=T0 - MINUTE) is LATE
    job.advance_to(S.RUNNING, at=T0 + 5 * MINUTE)
    before = job.history
    assert job.observe(S.COMPLETED, at=T0 + 4 * MINUTE, mode="polled") is LATE
    assert job.advance_to(S.COMPLETED, at=T0 + 4 * MINUTE) is False
    # Late even when the status could never follow: lateness is decided first, as a Tracker does.
    assert job.observe(S.INIT, at=T0 + MINUTE) is LATE
    assert (job.status, job.history) == (S.RUNNING, before)
    assert job.observe(S.RUNNING, at=T0 + 5 * MINUTE) is REPEAT
    assert job.observe(S.COMPLETED, at=T0 + 5 * MINUTE).kind is StepKind.MOVE


def test_fire_with_a_time() -> None:
    """fire(at=) dates the move; a time before the last move is refused, nothing changes."""
    job = Job("j-1", S.WAITING, created_at=T0)
    assert job.fire("start", at=T0 + MINUTE).at == T0 + MINUTE
    with pytest.raises(InvalidTime, match="not before the job's last move"):
        job.fire("complete", at=T0)
    assert job.status is S.RUNNING
    assert job.fire("complete", at=T0 + MINUTE).at == T0 + MINUTE


def test_an_unknown_mode_is_refused() -> None:
    job = Job("j-1", S.WAITING, created_at=T0)
    with pytest.raises(UnknownMode):
        job.advance_to(S.RUNNING, mode="lenient")
    assert job.status is S.WAITING


def test_the_default_is_strict_and_now() -> None:
    """Without at or mode, advance_to is what it always was: strict, timed by the clock."""
    job = Job("j-1", S.WAITING)
    before = datetime.now(timezone.utc)
    assert job.advance_to(S.RUNNING) is True
    assert before <= job.history[0].at <= datetime.now(timezone.utc)
    with pytest.raises(IllegalTransition):
        job.advance_to(S.WAITING)


def test_a_guard_on_any_move_of_the_chain_refuses_it_all() -> None:
    """Every guard of an inferred chain answers before anything changes."""
    lifecycle = DEFAULT_LIFECYCLE.with_guards(
        Guard("no-start", lambda m: False, "starts are frozen", events={"start"})
    )
    job = Job("j-1", S.WAITING, lifecycle=lifecycle, created_at=T0)
    with pytest.raises(GuardRejected) as info:
        job.advance_to(S.COMPLETED, at=T0 + MINUTE, mode="polled")
    assert (info.value.source, info.value.target, info.value.guard) == (
        S.WAITING,
        S.RUNNING,
        "no-start",
    )
    assert (job.status, job.history) == (S.WAITING, ())


def test_hooks_and_listeners_hear_every_move_of_the_chain() -> None:
    machine = JobMachine(DEFAULT_LIFECYCLE)
    heard: list[tuple[str, Status, bool]] = []
    machine.on_enter(
        S.RUNNING, lambda job, move: heard.append(("enter", move.target, move.inferred))
    )
    machine.add_listener(lambda job, move: heard.append(("moved", move.target, move.inferred)))
    job = Job("j-1", S.WAITING, machine=machine, created_at=T0)
    job.advance_to(S.COMPLETED, at=T0 + MINUTE, mode="polled")
    assert heard == [
        ("enter", S.RUNNING, True),
        ("moved", S.RUNNING, True),
        ("moved", S.COMPLETED, False),
    ]


def test_snapshots_keep_inferred_moves() -> None:
    """to_dict/from_dict keep the mark; a snapshot from before it existed reads as observed."""
    job = Job("j-1", S.WAITING, created_at=T0)
    job.advance_to(S.COMPLETED, at=T0 + MINUTE, mode="polled")
    snap = json.loads(json.dumps(job.to_dict()))
    assert [m["inferred"] for m in snap["history"]] == [True, False]
    copy = Job.from_dict(snap)
    assert copy.history == job.history
    for move in snap["history"]:
        del move["inferred"]
    assert [m.inferred for m in Job.from_dict(snap).history] == [False, False]
    snap["history"][0]["inferred"] = "yes"
    with pytest.raises(SnapshotError, match=r"history\[0\]\.inferred"):
        Job.from_dict(snap)


def test_a_move_made_positionally_is_observed() -> None:
    """Code that builds a Move with six fields still can: inferred defaults to False."""
    assert Move(S.WAITING, S.RUNNING, "start", T0, None, None).inferred is False


statuses = st.lists(st.sampled_from(sorted(JobStatus)), min_size=1, max_size=12)


@given(statuses)
def test_a_polled_job_judges_as_validate_history_does(seen: list[JobStatus]) -> None:
    """The one inference rule: a Job fed a sequence in polled mode ends where validate_history
    says, refuses the observations it reports as violations, and records as inferred exactly the
    statuses it reports as skipped."""
    report = validate_history(seen, "polled")
    job = Job("j", seen[0], created_at=T0)
    refused = []
    for index, status in enumerate(seen[1:], 1):
        try:
            job.advance_to(status, at=T0 + index * MINUTE, mode="polled")
        except IllegalTransition:
            refused.append(index)
    assert job.status is report.final
    walk = list(Rules.for_lifecycle(DEFAULT_LIFECYCLE, "polled").walk(seen))
    # validate_history judges a refused status repeated right after it once; the job each time.
    assert {v.index for v in report.violations} <= set(refused)
    assert all(seen[i] is seen[i - 1] for i in set(refused) - {v.index for v in report.violations})
    inferred = [m.target for m in job.history if m.inferred]
    assert inferred == [s for i in report.inferred for s in i.skipped]
    observed = [m.target for m in job.history if not m.inferred]
    assert observed == [seen[i] for i, _, step in walk if step.kind is not StepKind.VIOLATION]
