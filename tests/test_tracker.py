"""The fleet tracker: observations, listeners, time in status, queries and agreement with the
history validator."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CallbackError,
    InvalidArgument,
    InvalidJobId,
    InvalidObservation,
    InvalidTime,
    JobFSMError,
    JobNotTracked,
    JobStatus,
    Mode,
    Outcome,
    StepKind,
    UnknownMode,
    UnknownStatus,
    VerdictKind,
    validate_history,
)
from jobfsm.logs import parse_time
from jobfsm.tracker import (
    FIRST,
    LATE,
    JobFinished,
    LateObservation,
    TrackedMove,
    TrackedViolation,
    Tracker,
)
from jobfsm.vocabulary import Status

S = JobStatus
UTC = timezone.utc


def test_first_observation_starts_tracking_in_any_status() -> None:
    """A job's first observation returns FIRST and puts it in that status."""
    tracker = Tracker()
    assert tracker.observe("j", S.RUNNING, 0.0) is FIRST
    assert tracker.status("j") is S.RUNNING
    assert "j" in tracker
    assert len(tracker) == 1


def test_a_declared_move_is_a_move_with_its_event() -> None:
    """WAITING → RUNNING is applied and returns the MOVE step with event 'start'."""
    tracker = Tracker()
    tracker.observe("j", S.WAITING, 0.0)
    step = tracker.observe("j", S.RUNNING, 10.0)
    assert (step.kind, step.event, step.skipped) == (StepKind.MOVE, "start", ())
    assert tracker.status("j") is S.RUNNING


def test_polled_jump_is_inferred_and_applied() -> None:
    """In polled mode (the default) WAITING → COMPLETED is applied with RUNNING skipped."""
    tracker = Tracker()
    tracker.observe("j", S.WAITING, 0.0)
    step = tracker.observe("j", S.COMPLETED, 10.0)
    assert (step.kind, step.skipped) == (StepKind.INFERRED, (S.RUNNING,))
    assert tracker.status("j") is S.COMPLETED


def test_strict_tracker_rejects_the_same_jump() -> None:
    """In strict mode WAITING → COMPLETED is a violation and the job stays WAITING."""
    tracker = Tracker(mode="strict")
    tracker.observe("j", S.WAITING, 0.0)
    assert tracker.observe("j", S.COMPLETED, 10.0).kind is StepKind.VIOLATION
    assert tracker.status("j") is S.WAITING
    assert tracker.mode is Mode.STRICT


def test_a_violation_changes_nothing() -> None:
    """RUNNING → WAITING is rejected; the job stays RUNNING and can still complete."""
    tracker = Tracker()
    tracker.observe("j", S.RUNNING, 0.0)
    assert tracker.observe("j", S.WAITING, 10.0).kind is StepKind.VIOLATION
    assert tracker.status("j") is S.RUNNING
    assert tracker.observe("j", S.COMPLETED, 20.0).kind is StepKind.MOVE


def test_repeats_are_counted_not_moved() -> None:
    """The same status again is REPEAT and only raises the repeat count."""
    tracker = Tracker()
    for t in (0.0, 10.0, 20.0):
        tracker.observe("j", S.RUNNING, t)
    counts = tracker.counts()
    assert (counts.observations, counts.jobs_started, counts.repeats, counts.moves) == (3, 1, 2, 0)


def test_late_observation_is_not_applied() -> None:
    """An observation older than the last accepted one is LATE and leaves the job as it was."""
    tracker = Tracker()
    tracker.observe("j", S.WAITING, 100.0)
    tracker.observe("j", S.RUNNING, 110.0)
    assert tracker.observe("j", S.COMPLETED, 105.0) is LATE
    assert tracker.status("j") is S.RUNNING
    assert tracker.counts().late == 1


def test_equal_times_are_not_late() -> None:
    """Two observations at the same instant are applied in the order given."""
    tracker = Tracker()
    tracker.observe("j", S.WAITING, 100.0)
    assert tracker.observe("j", S.RUNNING, 100.0).kind is StepKind.MOVE


def test_time_in_status_splits_at_each_move() -> None:
    """Each status gets the time from the observation that entered it to the one that left it."""
    tracker = Tracker()
    tracker.observe("j", S.WAITING, 1000.0)
    tracker.observe("j", S.WAITING, 1010.0)
    tracker.observe("j", S.RUNNING, 1030.0)
    tracker.observe("j", S.SCALING, 1100.0)
    tracker.observe("j", S.RUNNING, 1120.0)
    spent = tracker.time_in_status("j", now=1150.0)
    assert spent == {
        S.WAITING: timedelta(seconds=30),
        S.RUNNING: timedelta(seconds=70 + 30),
        S.SCALING: timedelta(seconds=20),
    }


def test_time_in_status_gives_skipped_statuses_no_time() -> None:
    """Statuses inferred as skipped are not in time_in_status: when they happened is unknown."""
    tracker = Tracker()
    tracker.observe("j", S.WAITING, 0.0)
    tracker.observe("j", S.COMPLETED, 60.0)
    assert tracker.time_in_status("j", now=60.0) == {
        S.WAITING: timedelta(seconds=60),
        S.COMPLETED: timedelta(0),
    }


def test_time_in_status_accepts_datetimes_and_never_goes_negative() -> None:
    """now may be a datetime; a now before the last move counts zero for the current status."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    tracker = Tracker()
    tracker.observe("j", S.WAITING, start)
    tracker.observe("j", S.RUNNING, start + timedelta(minutes=5))
    spent = tracker.time_in_status("j", now=start)
    assert spent == {S.WAITING: timedelta(minutes=5), S.RUNNING: timedelta(0)}


def test_observe_without_a_time_uses_now() -> None:
    """at=None stamps the observation with the current time."""
    tracker = Tracker()
    tracker.observe("j", S.RUNNING)
    assert tracker.time_in_status("j")[S.RUNNING] < timedelta(minutes=1)


def test_naive_datetime_is_refused() -> None:
    """A datetime without a time zone is a ValueError, and nothing is recorded."""
    tracker = Tracker()
    with pytest.raises(ValueError, match="no time zone"):
        tracker.observe("j", S.RUNNING, datetime(2026, 1, 1))
    assert "j" not in tracker


@pytest.mark.parametrize("at", [float("nan"), float("inf"), 1.7e12])
def test_absurd_epoch_numbers_are_refused(at: float) -> None:
    """NaN, infinity and milliseconds passed as seconds are refused with a ValueError."""
    with pytest.raises(ValueError, match="epoch seconds"):
        Tracker().observe("j", S.RUNNING, at)


@pytest.mark.parametrize(
    "at",
    [
        -1,
        -0.5,
        -1e10,
        datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=12))),  # in the year 10000 UTC
    ],
)
@pytest.mark.parametrize("batch", [False, True])
def test_times_outside_what_logs_accept_are_refused(at: object, batch: bool) -> None:
    """Before 1970 (or after 9999) UTC is refused, as status logs refuse it; nothing changes."""
    tracker = Tracker()
    tracker.observe("old", S.RUNNING, 100.0)
    for job_id in ("new", "old"):
        observation: Any = (job_id, S.COMPLETED, at)
        with pytest.raises(InvalidTime):
            tracker.observe_many([observation]) if batch else tracker.observe(*observation)
    assert tracker.jobs() == ("old",)
    assert tracker.status("old") is S.RUNNING
    with pytest.raises(InvalidTime):
        tracker.time_in_status("old", now=at)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "at",
    [
        0,
        0.0,
        datetime(1970, 1, 1, tzinfo=UTC),
        99_999_999_999.0,
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ],
)
def test_the_edges_of_the_range_are_accepted(at: object) -> None:
    """1970-01-01T00:00:00Z itself, and the last second of 9999 as a datetime, are times."""
    assert Tracker().observe("j", S.RUNNING, at).kind is StepKind.FIRST  # type: ignore[arg-type]


@given(
    st.one_of(
        st.integers(-(10**12), 10**11 - 1),
        st.floats(-1e12, 1e11, exclude_max=True, allow_nan=False),
        st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=14))])),
    )
)
def test_the_tracker_accepts_the_times_a_status_log_accepts(at: int | float | datetime) -> None:
    """Epoch seconds and aware datetimes: accepted by the tracker exactly when a log reads them
    (as a number, or as ISO 8601 text), and read as the same instant."""
    try:
        expected: float | None = parse_time(at.isoformat() if isinstance(at, datetime) else at)
    except ValueError:
        expected = None
    tracker = Tracker()
    finished: list[JobFinished] = []
    tracker.on_terminal(finished.append)
    try:
        tracker.observe("j", S.COMPLETED, at)
    except InvalidTime:
        assert expected is None
    else:
        assert expected is not None
        assert finished[0].at.timestamp() == pytest.approx(expected, abs=1e-6)  # to the microsecond


def test_a_non_time_is_a_type_error() -> None:
    """A string time is a TypeError naming what is accepted."""
    with pytest.raises(TypeError, match="aware datetime"):
        Tracker().observe("j", S.RUNNING, "yesterday")  # type: ignore[arg-type]


def test_a_bad_mode_is_unknown_mode() -> None:
    """Tracker(mode=...) refuses an unknown mode with UnknownMode naming the modes."""
    with pytest.raises(UnknownMode, match=r"'bogus'.*'strict', 'polled'"):
        Tracker(mode="bogus")


@pytest.mark.parametrize("register", ["on_move", "on_violation", "on_terminal", "on_late"])
def test_a_listener_that_cannot_be_called_is_refused_when_registered(register: str) -> None:
    """A non-callable listener is an InvalidArgument (a TypeError) at once; observing goes on."""
    tracker = Tracker()
    with pytest.raises(InvalidArgument, match="expected a callable listener") as info:
        getattr(tracker, register)(None)
    assert isinstance(info.value, TypeError)
    assert info.value.argument == "listener"
    tracker.observe("j", S.RUNNING, 0.0)
    assert tracker.observe("j", S.COMPLETED, 1.0).kind is StepKind.MOVE


def test_bad_status_raises_and_records_nothing() -> None:
    """An unknown status propagates UnknownStatus; the counts do not move."""
    tracker = Tracker()
    with pytest.raises(UnknownStatus):
        tracker.observe("j", 23, 0.0)
    assert tracker.counts().observations == 0


@pytest.mark.parametrize("code", [-1, 23, True])
def test_out_of_range_codes_are_unknown_statuses(code: int) -> None:
    """Negative, too large and boolean codes are refused, not wrapped around by the fast path."""
    with pytest.raises(UnknownStatus):
        Tracker().observe("j", code, 0.0)


def test_int_epoch_seconds_are_accepted() -> None:
    """at may be an int number of seconds."""
    tracker = Tracker()
    tracker.observe("j", 7, 100)
    tracker.observe("j", 8, 130)
    assert tracker.time_in_status("j", now=130)[S.WAITING] == timedelta(seconds=30)


def test_statuses_are_parsed() -> None:
    """Codes and names are accepted like JobStatus.parse accepts them."""
    tracker = Tracker()
    tracker.observe("j", "JOBSTAT_WAITING", 0.0)
    tracker.observe("j", 8, 1.0)
    assert tracker.status("j") is S.RUNNING


def test_move_listener_gets_the_move() -> None:
    """on_move listeners receive job, source, target, time, skipped statuses and event."""
    tracker = Tracker()
    seen: list[TrackedMove] = []
    tracker.on_move(seen.append)
    tracker.observe("j", S.WAITING, 0.0)
    tracker.observe("j", S.WAITING, 5.0)
    tracker.observe("j", S.COMPLETED, 60.0)
    assert seen == [
        TrackedMove(
            "j", S.WAITING, S.COMPLETED, datetime(1970, 1, 1, 0, 1, tzinfo=UTC), (S.RUNNING,), None
        )
    ]


def test_violation_listener_gets_index_and_allowed_moves() -> None:
    """on_violation listeners receive the job's observation index and the declared moves."""
    tracker = Tracker()
    seen: list[TrackedViolation] = []
    tracker.on_violation(seen.append)
    for t, status in enumerate((S.RUNNING, S.RUNNING, S.WAITING)):
        tracker.observe("j", status, float(t))
    (violation,) = seen
    assert (violation.index, violation.source, violation.target) == (2, S.RUNNING, S.WAITING)
    assert violation.allowed == DEFAULT_LIFECYCLE.next_map[S.RUNNING]
    assert violation.kind is VerdictKind.UNDECLARED


def test_terminal_listener_fires_on_entry_and_on_first_sight() -> None:
    """on_terminal fires once when a job enters a terminal status and for a job first seen there."""
    tracker = Tracker()
    seen: list[JobFinished] = []
    tracker.on_terminal(seen.append)
    tracker.observe("a", S.RUNNING, 0.0)
    tracker.observe("a", S.FAILED, 1.0)
    tracker.observe("a", S.FAILED, 2.0)
    tracker.observe("b", S.KILLED, 3.0)
    assert [(f.job_id, f.status, f.outcome) for f in seen] == [
        ("a", S.FAILED, Outcome.FAILED),
        ("b", S.KILLED, Outcome.CANCELED),
    ]


def test_late_listener_gets_both_times() -> None:
    """on_late listeners receive the stale observation and the last accepted time."""
    tracker = Tracker()
    seen: list[LateObservation] = []
    tracker.on_late(seen.append)
    tracker.observe("j", S.RUNNING, 100.0)
    tracker.observe("j", S.WAITING, 50.0)
    (late,) = seen
    assert (late.index, late.status, late.current) == (1, S.WAITING, S.RUNNING)
    assert late.last_at - late.at == timedelta(seconds=50)


def test_a_raising_listener_leaves_state_intact_and_others_run() -> None:
    """A listener that raises: the move stands, later listeners run, CallbackError says so."""
    tracker = Tracker()
    seen: list[TrackedMove] = []

    def broken(move: TrackedMove) -> None:
        raise RuntimeError("listener bug")

    tracker.on_move(broken)
    tracker.on_move(seen.append)
    tracker.observe("j", S.WAITING, 0.0)
    with pytest.raises(CallbackError, match="the move stands") as info:
        tracker.observe("j", S.RUNNING, 1.0)
    assert info.value.committed
    assert isinstance(info.value.errors[0], RuntimeError)
    assert len(seen) == 1
    assert tracker.status("j") is S.RUNNING
    assert tracker.counts().moves == 1
    tracker.remove_listener(broken)
    assert tracker.observe("j", S.COMPLETED, 2.0).kind is StepKind.MOVE


def test_a_raising_violation_listener_reports_nothing_applied() -> None:
    """A violation listener that raises gives CallbackError with committed=False."""
    tracker = Tracker()

    @tracker.on_violation
    def broken(violation: TrackedViolation) -> None:
        raise RuntimeError("listener bug")

    tracker.observe("j", S.RUNNING, 0.0)
    with pytest.raises(CallbackError) as info:
        tracker.observe("j", S.WAITING, 1.0)
    assert not info.value.committed
    assert tracker.status("j") is S.RUNNING
    assert tracker.counts().violations == 1


def test_a_listener_may_observe_again() -> None:
    """Listeners run outside the lock, so one may feed the tracker without deadlock."""
    tracker = Tracker()

    @tracker.on_terminal
    def follow_up(done: JobFinished) -> None:
        if done.job_id == "a":
            tracker.observe("b", S.INIT, 0.0)

    tracker.observe("a", S.COMPLETED, 0.0)
    assert "b" in tracker


def test_remove_listener_stops_calls() -> None:
    """A removed listener is no longer called; removing an unknown one is a ValueError."""
    tracker = Tracker()
    seen: list[TrackedMove] = []
    tracker.on_move(seen.append)
    tracker.remove_listener(seen.append)
    tracker.observe("j", S.WAITING, 0.0)
    tracker.observe("j", S.RUNNING, 1.0)
    assert seen == []
    with pytest.raises(ValueError, match="not a listener"):
        tracker.remove_listener(seen.append)


def test_unknown_job_queries_raise_key_error() -> None:
    """status, time_in_status and forget name the job they do not track."""
    tracker = Tracker()
    for query in (tracker.status, tracker.time_in_status, tracker.forget):
        with pytest.raises(KeyError, match="'ghost' is not tracked"):
            query("ghost")


def test_forget_drops_a_job_and_a_new_observation_starts_afresh() -> None:
    """forget returns the last status; the next observation of that id is FIRST again."""
    tracker = Tracker()
    tracker.observe("j", S.RUNNING, 0.0)
    tracker.observe("j", S.COMPLETED, 1.0)
    assert tracker.forget("j") is S.COMPLETED
    assert "j" not in tracker
    assert tracker.observe("j", S.INIT, 2.0) is FIRST


def test_forget_finished_drops_only_terminal_jobs() -> None:
    """forget_finished removes every job in a terminal status and says how many."""
    tracker = Tracker()
    for job_id, status in (("a", S.RUNNING), ("b", S.COMPLETED), ("c", S.LOST)):
        tracker.observe(job_id, status, 0.0)
    assert tracker.forget_finished() == 2
    assert tracker.jobs() == ("a",)


def test_summary_by_outcome() -> None:
    """summary counts active jobs and finished ones by outcome."""
    tracker = Tracker()
    for job_id, status in enumerate((S.RUNNING, S.INIT, S.COMPLETED, S.FAILED, S.CANCELED)):
        tracker.observe(str(job_id), status, 0.0)
    assert tracker.summary() == {"active": 2, "succeeded": 1, "failed": 1, "canceled": 1}


def test_jobs_lists_ids_in_tracking_order() -> None:
    """jobs() returns every tracked id in the order tracking started."""
    tracker = Tracker()
    for job_id in ("c", "a", "b"):
        tracker.observe(job_id, S.INIT, 0.0)
    assert tracker.jobs() == ("c", "a", "b")


def test_concurrent_observers_lose_nothing() -> None:
    """Threads feeding one tracker: every observation is counted and every job ends RUNNING."""
    tracker = Tracker()
    path = (S.INIT, S.SUBMIT_TRYING, S.WAITING, S.RUNNING)

    def feed(worker: int) -> None:
        for n in range(200):
            for t, status in enumerate(path):
                tracker.observe(f"{worker}-{n}", status, float(t))
                tracker.observe(f"{worker}-{n}", status, float(t))

    threads = [threading.Thread(target=feed, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = tracker.counts()
    assert counts.observations == 4 * 200 * len(path) * 2
    assert counts.violations == counts.late == 0
    assert counts.moves == 4 * 200 * (len(path) - 1)
    assert tracker.summary()["active"] == 4 * 200
    assert all(tracker.status(j) is S.RUNNING for j in tracker.jobs())


def test_an_unlocked_tracker_judges_the_same() -> None:
    """thread_safe=False changes only the locking, never a judgment."""
    sequence = (S.WAITING, S.WAITING, S.COMPLETED, S.RUNNING)
    results = []
    for thread_safe in (True, False):
        tracker = Tracker(thread_safe=thread_safe)
        results.append([tracker.observe("j", s, float(t)) for t, s in enumerate(sequence)])
        assert tracker.thread_safe is thread_safe
    assert results[0] == results[1]


# -- the repeat fast path --------------------------------------------------------------------------


def test_a_repeat_given_as_a_code_or_name_is_a_repeat() -> None:
    """A repeat given as an int code or a name is judged like the status itself."""
    tracker = Tracker()
    tracker.observe("j", S.RUNNING, 0.0)
    assert tracker.observe("j", 8, 10.0).kind is StepKind.REPEAT
    assert tracker.observe("j", "RUNNING", 20).kind is StepKind.REPEAT
    assert tracker.counts().repeats == 2


@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("at", [float("nan"), float("inf"), 1.7e12, True])
def test_a_repeat_with_a_bad_time_is_refused_and_changes_nothing(at: float, batch: bool) -> None:
    """The repeat path checks the time as fully as any other: NaN, inf, ms, bool are refused."""
    tracker = Tracker()
    tracker.observe("j", S.RUNNING, 10.0)

    def feed() -> None:
        if batch:
            tracker.observe_many([("j", S.RUNNING, at)])
        else:
            tracker.observe("j", S.RUNNING, at)

    with pytest.raises((ValueError, TypeError)):
        feed()
    assert tracker.counts().observations == 1
    assert tracker.observe("j", S.RUNNING, 10.0).kind is StepKind.REPEAT


def test_a_late_repeat_is_late() -> None:
    """The same status again but older than the last observation is LATE, not REPEAT."""
    tracker = Tracker()
    tracker.observe("j", S.RUNNING, 10.0)
    assert tracker.observe("j", S.RUNNING, 5.0) is LATE


# -- observe_many ----------------------------------------------------------------------------------


def test_observe_many_returns_the_batch_counts() -> None:
    """observe_many returns what this batch did; counts() keeps the totals."""
    tracker = Tracker()
    tracker.observe("a", S.WAITING, 0.0)
    batch = tracker.observe_many(
        [("a", S.WAITING, 10.0), ("a", S.RUNNING, 20.0), ("b", 8, 20), ("a", S.WAITING, 30.0)]
    )
    assert batch == (4, 1, 1, 1, 0, 1, 0)
    assert tracker.counts() == (5, 2, 1, 1, 0, 1, 0)
    assert tracker.observe_many([]) == (0,) * 7


def test_observe_many_stops_at_a_bad_observation() -> None:
    """A bad observation raises as observe would; earlier ones stand, later ones are not read."""
    tracker = Tracker()
    rest = iter([("a", S.WAITING, 0.0), ("a", 23, 10.0), ("a", S.RUNNING, 20.0)])
    with pytest.raises(UnknownStatus):
        tracker.observe_many(rest)
    assert tracker.status("a") is S.WAITING
    assert tracker.counts().observations == 1
    assert tracker.observe_many(rest).moves == 1  # the iterator resumes after the bad one
    with pytest.raises(ValueError, match="no time zone"):
        tracker.observe_many([("a", S.COMPLETED, datetime(2026, 1, 1))])
    assert tracker.status("a") is S.RUNNING


def test_observe_many_names_an_item_that_is_not_a_triple() -> None:
    """A malformed item is InvalidObservation (a ValueError and TypeError) naming it and where."""
    tracker = Tracker()
    with pytest.raises(InvalidObservation) as info:
        tracker.observe_many(
            [("a", S.WAITING, 0.0), ("a", S.RUNNING, 10.0), ("b", 8)]  # type: ignore[list-item]
        )
    error = info.value
    assert isinstance(error, ValueError)
    assert isinstance(error, TypeError)
    assert isinstance(error, InvalidArgument)
    assert (error.index, error.value, error.kept) == (2, ("b", 8), True)
    assert error.argument == "observations[2]"
    assert str(error).startswith("observations[2] ('b', 8) is not accepted (not enough values")
    assert "expected a (job_id, status, at) tuple" in str(error)
    assert "the 2 observations before it were applied" in str(error)
    assert tracker.status("a") is S.RUNNING  # the ones before it stand
    assert tracker.counts().observations == 2
    for item in [5, None, ("a", S.RUNNING, 20.0, "extra")]:
        with pytest.raises(InvalidObservation, match=r"observations\[0\] ") as info:
            tracker.observe_many([item])  # type: ignore[list-item]
        assert info.value.value == item


def test_observe_many_from_an_iterator_names_the_position() -> None:
    """From an iterator the item is gone, but its position is named; the iterator resumes."""
    tracker = Tracker()
    rest: Iterator[tuple[str, S, float]] = iter(
        [("a", S.WAITING, 0.0), ("b",), ("a", S.RUNNING, 10.0)]  # type: ignore[list-item]
    )
    with pytest.raises(InvalidObservation) as info:
        tracker.observe_many(rest)
    assert (info.value.index, info.value.value, info.value.kept) == (1, None, False)
    assert str(info.value).startswith("observations[1] is not accepted (not enough values")
    assert tracker.observe_many(rest).moves == 1


def test_observe_many_leaves_other_errors_as_they_are() -> None:
    """Only the batch's own shape is relabelled: the iterable's errors propagate exactly as they
    were raised, and an unhashable id is the InvalidJobId that observe raises."""

    def broken() -> Iterator[tuple[str, S, float]]:
        yield ("a", S.WAITING, 0.0)
        raise ValueError("the poll response was cut short")

    tracker = Tracker()
    with pytest.raises(ValueError, match="cut short") as cut:
        tracker.observe_many(broken())
    assert not isinstance(cut.value, JobFSMError)
    with pytest.raises(InvalidJobId, match=r"^\['a'\] is not a job id"):
        tracker.observe_many([(["a"], S.WAITING, 0.0)])  # type: ignore[list-item]
    with pytest.raises(InvalidJobId, match=r"^\['a'\] is not a job id"):
        tracker.observe(["a"], S.WAITING, 0.0)  # type: ignore[arg-type]


def test_observe_many_refuses_a_batch_that_is_not_iterable() -> None:
    """A batch that cannot be iterated is an InvalidArgument naming it."""
    with pytest.raises(InvalidArgument, match="observations 5 is not accepted; expected an it"):
        Tracker().observe_many(5)  # type: ignore[arg-type]


@pytest.mark.parametrize("lifecycle", [None, "modelarts-v1", 0])
def test_a_lifecycle_that_is_not_one_is_refused(lifecycle: object) -> None:
    """Tracker(lifecycle=...) names a value that is not a Lifecycle with InvalidArgument."""
    with pytest.raises(InvalidArgument, match="expected a Lifecycle") as info:
        Tracker(lifecycle=lifecycle)  # type: ignore[arg-type]
    assert info.value.argument == "lifecycle"
    assert isinstance(info.value, TypeError)


def test_observe_many_stops_after_a_raising_listener() -> None:
    """A raising listener: its observation stands, CallbackError, the rest is left unread."""
    tracker = Tracker()

    @tracker.on_move
    def broken(move: TrackedMove) -> None:
        raise RuntimeError("listener bug")

    rest = iter([("a", S.WAITING, 0.0), ("a", S.RUNNING, 10.0), ("b", S.INIT, 10.0)])
    with pytest.raises(CallbackError, match="the move stands"):
        tracker.observe_many(rest)
    assert tracker.status("a") is S.RUNNING
    assert "b" not in tracker
    assert tracker.counts() == (2, 1, 0, 1, 0, 0, 0)
    assert list(rest) == [("b", S.INIT, 10.0)]


def test_listeners_in_a_batch_see_the_tracker_as_observe_shows_it() -> None:
    """A listener runs right after its observation, unlocked: it may query and observe."""
    tracker = Tracker()
    seen: list[tuple[str, Status, int]] = []

    @tracker.on_move
    def follow(move: TrackedMove) -> None:
        seen.append((move.job_id, tracker.status(move.job_id), tracker.counts().observations))
        if move.target is S.COMPLETED:
            tracker.observe("follow-up", S.INIT, 0.0)

    tracker.observe_many(
        [("a", S.WAITING, 0.0), ("a", S.WAITING, 5.0), ("a", S.RUNNING, 10.0), ("a", 10, 20.0)]
    )
    assert seen == [("a", S.RUNNING, 3), ("a", S.COMPLETED, 4)]
    assert "follow-up" in tracker


def test_concurrent_batches_lose_nothing() -> None:
    """Threads feeding batches to one tracker: every observation is counted."""
    tracker = Tracker()
    path = (S.INIT, S.SUBMIT_TRYING, S.WAITING, S.RUNNING)

    def feed(worker: int) -> None:
        for t, status in enumerate(path):
            tracker.observe_many((f"{worker}-{n}", status, float(t)) for n in range(200))
            tracker.observe_many([(f"{worker}-{n}", status, float(t)) for n in range(200)])

    threads = [threading.Thread(target=feed, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = tracker.counts()
    assert counts.observations == 4 * 200 * len(path) * 2
    assert counts.moves == 4 * 200 * (len(path) - 1)
    assert all(tracker.status(j) is S.RUNNING for j in tracker.jobs())


# Mostly the busy statuses (so repeats and revisits are common), also any member, code or name.
_BUSY = st.sampled_from([S.WAITING, S.RUNNING, S.SCALING, S.RUNNING, S.SCALING, S.COMPLETED])
_OBSERVATION = st.tuples(
    st.sampled_from("ab"),
    st.one_of(
        _BUSY, _BUSY, _BUSY, st.sampled_from(list(S)), st.integers(0, 22), st.just("RUNNING")
    ),
    st.integers(-3, 10),
)
# Every path once: repeats (fast and slow), a revisit after repeats, late by one second, a late
# repeat, an inferred jump, a violation and a first sighting in a terminal status.
_EVERY_PATH = [
    ("a", S.RUNNING, 0),
    ("a", S.RUNNING, 10),
    ("a", S.SCALING, 10),
    ("a", 15, 10),
    ("a", S.RUNNING, 10),
    ("a", S.RUNNING, -1),
    ("a", S.RUNNING, 0),
    ("a", S.RUNNING, 6),
    ("a", S.WAITING, -2),
    ("a", S.WAITING, 10),
    ("b", S.COMPLETED, 0),
    ("b", "RUNNING", 10),
    ("a", S.SCALING, 10),
    ("c", S.WAITING, 0),
    ("c", S.COMPLETED, 10),
]


def _recording(tracker: Tracker) -> list[object]:
    notices: list[object] = []
    tracker.on_move(notices.append)
    tracker.on_violation(notices.append)
    tracker.on_terminal(notices.append)
    tracker.on_late(notices.append)
    return notices


@settings(max_examples=200, deadline=None)
@example(_EVERY_PATH, [], Mode.POLLED, True, True)
@example(_EVERY_PATH, [1, 1, 2, 3], Mode.STRICT, False, True)
@given(
    st.lists(_OBSERVATION, max_size=40),
    st.lists(st.integers(1, 10), max_size=10),
    st.sampled_from(list(Mode)),
    st.booleans(),
    st.booleans(),
)
def test_observe_many_does_exactly_what_observe_does(
    stream: list[tuple[str, S | int | str, int]],
    cuts: list[int],
    mode: Mode,
    float_times: bool,
    listening: bool,
) -> None:
    """Any stream, cut into any batches, ends in the same state with the same notices and counts.

    Times wander backwards and forwards (late observations), statuses come as members, codes
    and names, and every pair of statuses occurs (violations, inferred moves, repeats).
    """
    clock = 100
    observations: list[tuple[str, S | int | str, float | int]] = []
    for job_id, status, dt in stream:
        clock += dt
        observations.append((job_id, status, float(clock) if float_times else clock))
    one, many = Tracker(mode=mode), Tracker(mode=mode, thread_safe=False)
    notices = [_recording(t) for t in (one, many)] if listening else [[], []]
    steps = [one.observe(*o) for o in observations]
    batch_counts = []
    start = 0
    for cut in cuts:
        batch_counts.append(many.observe_many(observations[start : start + cut]))
        start += cut
    batch_counts.append(many.observe_many(iter(observations[start:])))
    assert notices[0] == notices[1]
    assert one.counts() == many.counts()
    assert [sum(column) for column in zip(*batch_counts, strict=True)] == list(many.counts())
    kinds = [s.kind for s in steps]
    assert one.counts().late == kinds.count(StepKind.LATE)
    assert one.jobs() == many.jobs()
    for job_id in one.jobs():
        assert one.status(job_id) is many.status(job_id)
        assert one.time_in_status(job_id, now=1000.0) == many.time_in_status(job_id, now=1000.0)


# -- agreement with validate_history --------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(list(S)), max_size=30),
    st.sampled_from(list(Mode)),
)
def test_tracker_agrees_with_validate_history(statuses: list[S], mode: Mode) -> None:
    """Fed one job's sequence in time order, the tracker finds what validate_history finds."""
    tracker = Tracker(mode=mode)
    violations: list[TrackedViolation] = []
    moves: list[TrackedMove] = []
    tracker.on_violation(violations.append)
    tracker.on_move(moves.append)
    for t, status in enumerate(statuses):
        tracker.observe("j", status, float(t))
    report = validate_history(statuses, mode)
    assert [(v.index, v.source, v.target) for v in violations] == [
        (v.index, v.source, v.target) for v in report.violations
    ]
    assert [(m.source, m.target, m.skipped) for m in moves if m.skipped] == [
        (i.source, i.target, i.skipped) for i in report.inferred
    ]
    if statuses:
        assert tracker.status("j") is report.final
    counts = tracker.counts()
    assert counts.violations == len(report.violations)
    assert counts.inferred == len(report.inferred)
    assert counts.observations == len(statuses)


class TrackerAgainstHistories(RuleBasedStateMachine):
    """Interleaved observations of several jobs, late ones included, against per-job histories."""

    def __init__(self) -> None:
        super().__init__()
        self.tracker = Tracker()
        self.accepted: dict[str, list[S]] = {}  # what each job's history looks like to validate
        self.clock: dict[str, float] = {}

    @rule(job=st.sampled_from("abc"), status=st.sampled_from(list(S)), dt=st.integers(-5, 20))
    def observe(self, job: str, status: S, dt: int) -> None:
        last = self.clock.get(job)
        at = (last if last is not None else 1000.0) + dt
        step = self.tracker.observe(job, status, at)
        if last is None:
            assert step.kind is StepKind.FIRST
        elif at < last:
            assert step.kind is StepKind.LATE
            return
        history = self.accepted.setdefault(job, [])
        before = validate_history(history, "polled")
        after = validate_history([*history, status], "polled")
        grew = len(after.violations) > len(before.violations)
        if step.kind is StepKind.VIOLATION:
            # Not a new violation only when it repeats the refused observation just before.
            assert grew or (history and history[-1] is status and before.final is not status)
        else:
            assert not grew
        history.append(status)
        if step.kind is not StepKind.VIOLATION:
            self.clock[job] = at

    @rule(job=st.sampled_from("abc"))
    def forget(self, job: str) -> None:
        if job in self.tracker:
            self.tracker.forget(job)
            del self.accepted[job]
            del self.clock[job]

    @invariant()
    def statuses_match_the_histories(self) -> None:
        for job, history in self.accepted.items():
            assert self.tracker.status(job) is validate_history(history, "polled").final


TestTrackerAgainstHistories = TrackerAgainstHistories.TestCase
TestTrackerAgainstHistories.settings = settings(
    max_examples=100, stateful_step_count=30, deadline=None
)


@pytest.mark.parametrize("batch", [False, True])
def test_a_refused_status_repeated_is_counted_once(batch: bool) -> None:
    """Repeats of a refused status stay refused but are one violation, told once."""
    tracker = Tracker(mode="strict")
    told: list[TrackedViolation] = []
    tracker.on_violation(told.append)
    stream = [
        ("j", S.INIT, 0.0),
        ("j", S.WAITING, 1.0),
        ("j", S.WAITING, 2.0),
        ("j", S.WAITING, 3.0),
    ]
    if batch:
        tracker.observe_many(stream)
    else:
        steps = [tracker.observe(*obs) for obs in stream]
        assert [s.kind for s in steps[1:]] == [StepKind.VIOLATION] * 3
    assert [v.index for v in told] == [1]
    counts = tracker.counts()
    assert (counts.violations, counts.repeats, counts.observations) == (1, 2, 4)
    assert tracker.status("j") is S.INIT


def test_tracker_errors_are_jobfsm_errors() -> None:
    """A naive datetime and an unknown job raise jobfsm's own errors, still ValueError/KeyError."""
    tracker = Tracker()
    with pytest.raises(InvalidTime, match="is not a usable time") as naive:
        tracker.observe("j", S.RUNNING, datetime(2026, 3, 1, 8, 0))
    assert isinstance(naive.value, ValueError)
    with pytest.raises(JobNotTracked, match="'nope' is not tracked") as unknown:
        tracker.status("nope")
    assert isinstance(unknown.value, KeyError)


@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("job_id", ["", "  ", None, 7, ["unhashable"], {"a": 1}])
def test_a_job_id_must_be_a_non_blank_string(job_id: object, batch: bool) -> None:
    """A new job's id must be a non-blank string; nothing is tracked otherwise."""
    tracker = Tracker()

    def feed() -> None:
        if batch:
            tracker.observe_many([(job_id, S.RUNNING, 1.0)])  # type: ignore[list-item]
        else:
            tracker.observe(job_id, S.RUNNING, 1.0)  # type: ignore[arg-type]

    with pytest.raises(InvalidJobId, match="is not a job id"):
        feed()
    assert len(tracker) == 0


@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize(
    "at",
    [
        10**400,
        -(10**400),
        10**5000,
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59))),
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-23, minutes=-59))),
    ],
    ids=["1e400", "-1e400", "1e5000", "year-1-east", "year-9999-west"],
)
def test_a_time_beyond_any_float_or_calendar_is_invalid_time(at: object, batch: bool) -> None:
    """An int too large for a float, or a datetime whose offset leaves years 1-9999, is
    InvalidTime with a short message, and nothing is tracked."""
    tracker = Tracker()

    def feed() -> None:
        if batch:
            tracker.observe_many([("j", S.RUNNING, at)])  # type: ignore[list-item]
        else:
            tracker.observe("j", S.RUNNING, at)  # type: ignore[arg-type]

    with pytest.raises(InvalidTime, match="is not a usable time") as info:
        feed()
    assert len(str(info.value)) < 200
    assert len(tracker) == 0


@pytest.mark.parametrize("thread_safe", ["no", 0, None])
def test_thread_safe_is_true_or_false(thread_safe: object) -> None:
    """A truthy string such as 'no' is refused, not read as yes."""
    with pytest.raises(InvalidArgument, match=r"^thread_safe .* expected True or False$"):
        Tracker(thread_safe=thread_safe)  # type: ignore[arg-type]
