"""Stateful property tests: random events and observed statuses never break the invariants."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from jobfsm import (
    DEFAULT_LIFECYCLE,
    Guard,
    GuardRejected,
    IllegalTransition,
    Job,
    JobStatus,
    MoveRequest,
)
from jobfsm.vocabulary import Status

LC = DEFAULT_LIFECYCLE
EVENTS = st.sampled_from(LC.event_names)
STATUSES = st.sampled_from(list(JobStatus))


def no_scaling_at_night(request: MoveRequest) -> bool:
    return request.context.get("night") is not True


GUARDED = LC.with_guards(
    Guard("no-scaling-at-night", no_scaling_at_night, "no resizing at night", events={"scale"})
)


class JobInvariants(RuleBasedStateMachine):
    """Drive one job with random events and observations and check it after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.job = Job("prop", lifecycle=GUARDED)
        self.moves = 0

    @precondition(lambda self: self.job.status.is_terminal)
    @rule(status=st.sampled_from([s for s in JobStatus if s.is_active]))
    def track_a_new_job(self, status: JobStatus) -> None:
        # Jobs end quickly under random moves; a new job tracked from any active status keeps
        # the deep statuses (RUNNING, SCALING, KILLING) well exercised.
        self.job = Job("prop", status, lifecycle=GUARDED)
        self.moves = 0

    def _snapshot(self) -> tuple[Status, int]:
        return self.job.status, len(self.job.history)

    @precondition(lambda self: not self.job.status.is_terminal)
    @rule(data=st.data(), night=st.booleans())
    def fire_an_available_event(self, data: st.DataObject, night: bool) -> None:
        # Random names rarely reach deep statuses; drawing among the available events does.
        status = self.job.status
        available = sorted({e.event for e in LC.edges if e.source is status})
        self.fire(data.draw(st.sampled_from(available)), night)

    @precondition(lambda self: not self.job.status.is_terminal)
    @rule(data=st.data())
    def observe_an_allowed_status(self, data: st.DataObject) -> None:
        self.observe(data.draw(st.sampled_from(sorted(self.job.allowed_next()))))

    @rule(event=EVENTS, night=st.booleans())
    def fire(self, event: str, night: bool) -> None:
        before = self._snapshot()
        target = LC.target_of(event, before[0])
        try:
            move = self.job.fire(event, context={"night": night})
        except GuardRejected:
            assert event == "scale"
            assert night
            assert target is not None
            assert self._snapshot() == before
            return
        except IllegalTransition:
            assert target is None
            assert self._snapshot() == before
            return
        assert move.target is target
        assert not (event == "scale" and night), "the guard must refuse scaling at night"
        self.moves += 1

    @rule(status=STATUSES)
    def observe(self, status: JobStatus) -> None:
        target = status
        before = self._snapshot()
        legal = LC.can_transition(before[0], target)
        try:
            moved = self.job.advance_to(target)
        except GuardRejected:
            assert self._snapshot() == before
            return
        except IllegalTransition:
            assert not legal
            assert target is not before[0]
            assert self._snapshot() == before
            return
        if target is before[0]:
            assert moved is False
            assert self._snapshot() == before
        else:
            assert legal
            assert moved is True
            self.moves += 1

    @precondition(lambda self: self.job.status.is_terminal)
    @rule(status=STATUSES)
    def terminal_is_never_left(self, status: JobStatus) -> None:
        current = self.job.status
        if status is not current:
            with pytest.raises(IllegalTransition):
                self.job.advance_to(status)
            assert self.job.status is current

    @invariant()
    def status_is_declared(self) -> None:
        assert isinstance(self.job.status, JobStatus)

    @invariant()
    def history_is_a_chain_of_declared_moves(self) -> None:
        history = self.job.history
        assert len(history) == self.moves
        for move in history:
            assert LC.event_for(move.source, move.target) == move.event
        for a, b in pairwise(history):
            assert a.target is b.source
            assert not a.target.is_terminal
        if history:
            assert history[-1].target is self.job.status

    @invariant()
    def snapshot_round_trips(self) -> None:
        restored = Job.from_dict(self.job.to_dict(), lifecycle=GUARDED)
        assert restored.status is self.job.status
        assert restored.history == self.job.history


TestJobInvariants = JobInvariants.TestCase
TestJobInvariants.settings = settings(max_examples=300, stateful_step_count=30, deadline=None)


@given(status=st.sampled_from([s for s in JobStatus if LC.target_of("scale", s)]))
def test_the_guard_refuses_every_night_scaling(status: JobStatus) -> None:
    """From every status that can scale, the night guard refuses and nothing changes."""
    job = Job("g", status, lifecycle=GUARDED)
    with pytest.raises(GuardRejected) as info:
        job.scale(context={"night": True})
    assert info.value.guard == "no-scaling-at-night"
    assert job.status is status
    assert job.history == ()
    assert job.scale(context={"night": False}).target is JobStatus.SCALING
