"""Deadlines on live observations: the Tracker's overdue checks and listeners, and the overdue
events of the Watcher (and of `jobfsm watch`'s report), with the metrics they feed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from test_watch import T0, V2, Scripted, seen

from jobfsm import CallbackError, InvalidArgument, JobStatus, Tracker
from jobfsm.deadlines import Deadlines, OverdueJob, count_by_status
from jobfsm.modelarts.watch import EventKind, Watcher

S = JobStatus
UTC = timezone.utc


def test_a_tracker_without_limits_reports_nothing() -> None:
    tracker = Tracker()
    tracker.observe("a", S.WAITING, at=0.0)
    assert tracker.limits is None
    assert tracker.check_overdue(10**6) == []
    assert tracker.overdue(10**6) == []


def test_the_tracker_reports_a_job_once_per_stay() -> None:
    tracker = Tracker(limits=Deadlines({S.WAITING: "1m", S.RUNNING: "10m"}))
    heard: list[OverdueJob] = []
    assert tracker.on_overdue(heard.append) == heard.append
    tracker.observe("a", S.WAITING, at=0.0)
    tracker.observe("b", S.WAITING, at=30.0)
    tracker.observe("c", S.COMPLETED, at=0.0)
    assert tracker.check_overdue(60.0) == []  # a has been waiting exactly its limit
    (a,) = tracker.check_overdue(61.0)
    assert (a.job_id, a.status, a.limit) == ("a", S.WAITING, timedelta(minutes=1))
    assert a.elapsed == timedelta(seconds=61)
    assert a.since == datetime.fromtimestamp(0, UTC)
    assert [o.job_id for o in tracker.check_overdue(100.0)] == ["b"]  # a is not told again
    assert tracker.check_overdue(1000.0) == []
    assert [o.job_id for o in tracker.overdue(1000.0)] == ["a", "b"]
    assert [o.job_id for o in heard] == ["a", "b"]
    # A move starts a new stay: a is judged again in RUNNING, and back in WAITING it is not.
    tracker.observe("a", S.RUNNING, at=1000.0)
    assert tracker.check_overdue(1500.0) == []
    (again,) = tracker.check_overdue(1601.0)
    assert (again.job_id, again.status) == ("a", S.RUNNING)
    assert count_by_status(tracker.overdue(1601.0)) == {S.RUNNING: 1, S.WAITING: 1}
    tracker.remove_listener(heard.append)
    tracker.forget("b")
    tracker.observe("b", S.WAITING, at=2000.0)
    assert [o.job_id for o in tracker.check_overdue(2061.0)] == ["b"]
    assert len(heard) == 3


def test_a_listener_that_raises_does_not_stop_the_others() -> None:
    tracker = Tracker(limits=Deadlines({S.WAITING: "1m"}), thread_safe=False)
    heard: list[str] = []

    def broken(job: OverdueJob) -> None:
        raise RuntimeError("boom")

    tracker.on_overdue(broken)
    tracker.on_overdue(lambda job: heard.append(job.job_id))
    tracker.observe_many([("a", S.WAITING, 0.0), ("b", S.WAITING, 0.0)])
    with pytest.raises(CallbackError):
        tracker.check_overdue(120.0)
    assert heard == ["a", "b"]
    assert tracker.check_overdue(130.0) == []  # reported, even though a listener raised


def test_tracker_limits_are_checked() -> None:
    with pytest.raises(InvalidArgument):
        Tracker(V2, limits=Deadlines({S.WAITING: "1m"}))
    with pytest.raises(InvalidArgument):
        Tracker(limits={S.WAITING: timedelta(minutes=1)})  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        Tracker().on_overdue("not callable")  # type: ignore[type-var]


def test_observing_is_unchanged_by_limits() -> None:
    """The limits are judged only when asked: observe keeps no extra state for them."""
    plain, limited = Tracker(), Tracker(limits=Deadlines({S.WAITING: "1s"}))
    for tracker in (plain, limited):
        tracker.observe_many([("a", S.WAITING, 0.0), ("a", S.RUNNING, 5.0), ("b", 7, 9.0)])
    assert plain.counts() == limited.counts()
    assert limited._reported == {}


def test_the_watcher_prints_an_overdue_event_once_per_job_and_phase() -> None:
    limits = Deadlines({"Pending": "10m"}, lifecycle=V2)
    clock = iter([T0 + 300, T0 + 700, T0 + 800, T0 + 2000])
    source = Scripted(
        [seen("a", "Pending", 0), seen("b", "Pending", 600)],
        [seen("a", "Pending", 650), seen("b", "Pending", 650)],
        [seen("a", "Pending", 790), seen("b", "Running", 790)],
        [seen("a", "Pending", 1990)],
    )
    watcher = Watcher(source, limits=limits, now=lambda: next(clock))
    first = watcher.run_once()
    assert first.count(EventKind.OVERDUE) == 0
    assert first.overdue == {}
    second = watcher.run_once()
    (event,) = [e for e in second.events if e.kind is EventKind.OVERDUE]
    assert (event.job_id, event.target, event.limit) == (
        "a",
        V2.parse("Pending"),
        timedelta(minutes=10),
    )
    assert str(event) == (
        "overdue a: Pending since 2026-03-01T00:00:00.000Z, for 11m40s, past its limit of 10m"
    )
    assert event.to_dict()["limit_seconds"] == 600
    assert event.to_dict()["elapsed_seconds"] == 700
    assert second.overdue == {V2.parse("Pending"): 1}
    assert "1 overdue" in second.summary()
    assert second.to_dict()["overdue"] == {"Pending": 1}
    third = watcher.run_once()
    assert third.count(EventKind.OVERDUE) == 0  # a was reported; b moved
    assert third.overdue == {V2.parse("Pending"): 1}
    assert watcher.run_once().count(EventKind.OVERDUE) == 0


def test_a_watcher_without_limits_has_no_overdue_events() -> None:
    watcher = Watcher(Scripted([seen("a", "Pending", 0)]))
    report = watcher.run_once()
    assert report.overdue == {}
    assert report.count(EventKind.OVERDUE) == 0


def test_the_overdue_counts_feed_the_metrics() -> None:
    pytest.importorskip("prometheus_client")
    from jobfsm.metrics import Metrics

    limits = Deadlines({"Pending": "1m"}, lifecycle=V2)
    watcher = Watcher(
        Scripted([seen("a", "Pending", 0), seen("b", "Pending", 0)]),
        limits=limits,
        now=lambda: T0 + 120,
    )
    metrics = Metrics(V2)
    metrics.set_overdue(watcher.run_once().overdue)
    assert metrics.value("jobfsm_overdue_jobs", status="Pending") == 2
    assert metrics.value("jobfsm_overdue_jobs", status="Running") == 0
