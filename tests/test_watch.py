"""The Watcher and `jobfsm watch`: events, batches, the store, signals; and end to end against the
fake ModelArts, where the store must end with what a check of the records it read finds."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import unavailable
from fake_modelarts import AK, PROJECT, SK, FaultPlan, running

from jobfsm.cli import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE, main
from jobfsm.errors import InvalidArgument, StoreUnavailable
from jobfsm.lifecycles import get_lifecycle
from jobfsm.logs import LogReport, read_log, scan_log
from jobfsm.modelarts import (
    BadRecord,
    ModelArtsSource,
    Observation,
    Poll,
    PollCancelled,
    RetryPolicy,
)
from jobfsm.modelarts.watch import CycleReport, EventKind, Watcher
from jobfsm.store import JobStore
from jobfsm.vocabulary import Status

V2 = get_lifecycle("modelarts-v2")
T0 = 1_772_323_200.0  # 2026-03-01T00:00:00Z


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, timezone.utc)


def seen(job_id: str, phase: str, seconds: float, secondary: str | None = None) -> Observation:
    return Observation(job_id, V2.parse(phase), secondary, T0 + seconds)


class Scripted:
    """A source that gives the polls it was made with, one per call (``None``: a cancelled one)."""

    lifecycle = V2

    def __init__(self, *polls: list[Observation | BadRecord] | None) -> None:
        self.polls = list(polls)
        self.asked: list[object] = []

    def poll(self, job_ids: Iterable[str] | None = None, *, cancelled: Any = None) -> Poll:
        self.asked.append(job_ids)
        items = self.polls.pop(0)
        if items is None:
            raise PollCancelled("list training jobs (page 2)")
        return Poll(
            [i for i in items if isinstance(i, Observation)],
            [i for i in items if isinstance(i, BadRecord)],
            requests=1,
        )


@pytest.fixture
def v2_store(tmp_path: Path) -> Iterator[JobStore]:
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}", lifecycle=V2)
    store.create_schema()
    yield store
    store.close()


def kinds(report: CycleReport) -> list[tuple[str, str | None]]:
    return [(e.kind.value, e.job_id) for e in report.events]


# -- the Watcher with a scripted source -----------------------------------------------------------


def test_a_first_sighting_creates_the_job_where_it_was_seen(v2_store: JobStore) -> None:
    """A job is created in the phase and at the time of its first observation; one first seen
    ended is a new job, not one that finished now."""
    watcher = Watcher(Scripted([seen("a", "Pending", 5), seen("b", "Completed", 9)]), v2_store)
    report = watcher.run_once()
    assert (report.new_jobs, report.created, report.written, report.events) == (2, 2, 0, ())
    a, b = v2_store.get("a"), v2_store.get("b")
    assert (a.status.name, a.created_at, b.status.name) == ("Pending", at(5), "Completed")
    assert (report.jobs, report.active) == (2, 1)


def test_the_store_keeps_the_secondary_phase_seen_with_each_move(v2_store: JobStore) -> None:
    watcher = Watcher(
        Scripted(
            [seen("a", "Creating", 1, "Creating")],
            [seen("a", "Pending", 5, "Queuing")],
            [seen("a", "Abnormal", 9, "Lost")],
        ),
        v2_store,
    )
    for _ in range(3):
        watcher.run_once()
    assert [(m.target.name, m.detail) for m in v2_store.history("a")] == [
        ("Pending", "Queuing"),
        ("Abnormal", "Lost"),
    ]


def test_every_kind_of_event_is_reported_in_order(v2_store: JobStore) -> None:
    source = Scripted(
        [seen("a", "Creating", 0), seen("b", "Running", 0)],
        [
            BadRecord("page 1, item 3", "status.phase: 'Exploded' is not a status"),
            seen("a", "Running", 60, "Running"),  # a jump: Pending inferred
            seen("b", "Creating", 60),  # backwards: a violation
            seen("b", "Completed", 70),
            seen("a", "Pending", 30),  # older than a's last observation: late
        ],
    )
    watcher = Watcher(source, v2_store)
    watcher.run_once()
    report = watcher.run_once()
    assert kinds(report) == [
        ("bad record", None),
        ("move", "a"),
        ("violation", "b"),
        ("move", "b"),
        ("finished", "b"),
        ("late", "a"),
    ]
    bad, jump, violation, move, finished, late = report.events
    assert str(bad) == "bad record page 1, item 3: status.phase: 'Exploded' is not a status"
    assert str(jump) == "move a: Creating → Running via Pending at 2026-03-01T00:01:00.000Z"
    assert jump.to_dict() == {
        "event": "move",
        "job_id": "a",
        "at": "2026-03-01T00:01:00.000Z",
        "source": "Creating",
        "target": "Running",
        "secondary_phase": "Running",
        "by": None,
        "skipped": ["Pending"],
    }
    assert str(violation) == (
        "violation b: Running → Creating at 2026-03-01T00:01:00.000Z is not a move of the "
        "lifecycle; allowed: Failed, Completed, Terminating, Abnormal"
    )
    assert str(move) == "move b: Running → Completed by 'complete' at 2026-03-01T00:01:10.000Z"
    assert str(finished) == "finished b: Completed (succeeded) at 2026-03-01T00:01:10.000Z"
    assert str(late) == (
        "late a: Pending observed at 2026-03-01T00:00:30.000Z, before its last observation at "
        "2026-03-01T00:01:00.000Z; ignored"
    )
    assert report.counts == {"move": 2, "violation": 1, "late": 1, "finished": 1,
                             "bad record": 1, "refused": 0, "overdue": 0}  # fmt: skip
    assert [(m.target.name, m.inferred) for m in v2_store.history("a")] == [
        ("Pending", True),
        ("Running", False),
    ]
    assert report.written == 2


def test_moves_are_written_in_batches(v2_store: JobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    batches: list[int] = []
    apply = v2_store.apply

    def counted(observations: Any, **options: Any) -> Any:
        items = list(observations)
        batches.append(len(items))
        return apply(items, **options)

    monkeypatch.setattr(v2_store, "apply", counted)
    jobs = [f"j{n}" for n in range(5)]
    source = Scripted([seen(j, "Pending", 0) for j in jobs], [seen(j, "Running", 10) for j in jobs])
    watcher = Watcher(source, v2_store, batch_size=2)
    watcher.run_once()
    assert watcher.run_once().written == 5
    assert batches == [2, 2, 1]


def test_a_new_watcher_judges_from_what_the_store_holds(v2_store: JobStore) -> None:
    """A restarted watcher starts each stored job at its stored phase and last change."""
    Watcher(Scripted([seen("a", "Pending", 0)]), v2_store).run_once()
    Watcher(Scripted([seen("a", "Running", 100)]), v2_store).run_once()
    report = Watcher(Scripted([seen("a", "Pending", 200), seen("a", "Creating", 50)]), v2_store)
    assert kinds(report.run_once()) == [("violation", "a"), ("late", "a")]
    assert v2_store.get("a").status.name == "Running"


def test_a_watcher_of_given_jobs_asks_for_them_and_reads_only_them(v2_store: JobStore) -> None:
    Watcher(Scripted([seen("a", "Running", 0), seen("b", "Running", 0)]), v2_store).run_once()
    source = Scripted([seen("a", "Completed", 10)])
    report = Watcher(source, v2_store, job_ids=["a"]).run_once()
    assert source.asked == [("a",)]
    assert kinds(report) == [("move", "a"), ("finished", "a")]


def test_a_move_another_writer_made_stale_is_refused(v2_store: JobStore) -> None:
    source = Scripted([seen("a", "Running", 0)], [seen("a", "Completed", 20)])
    watcher = Watcher(source, v2_store)
    watcher.run_once()
    v2_store.transition("a", "Failed", at=at(10))  # another writer, meanwhile
    report = watcher.run_once()
    assert kinds(report) == [("move", "a"), ("finished", "a"), ("refused", "a")]
    refused = report.events[-1]
    assert refused.kind is EventKind.REFUSED
    assert "Failed is terminal" in str(refused)
    assert report.written == 0


def test_a_job_stored_under_another_lifecycle_is_refused_not_a_crash(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    with JobStore(url) as v1:  # modelarts-v1
        v1.create_schema()
        v1.create("a")
    with JobStore(url, lifecycle=V2) as v2:
        source = Scripted([seen("a", "Pending", 0), seen("b", "Pending", 0)])
        report = Watcher(source, v2).run_once()
    ((kind, job),) = kinds(report)
    assert (kind, job, report.created) == ("refused", "a", 1)
    assert str(report.events[0]).startswith(
        "refused a: Pending was not written: job 'a' is stored under lifecycle 'modelarts-v1'"
    )


def test_what_a_failed_write_left_is_written_by_the_next_cycle(
    v2_store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = Scripted([seen("a", "Pending", 0)], [seen("a", "Running", 10)], [])
    watcher = Watcher(source, v2_store)
    watcher.run_once()
    apply = v2_store.apply

    def down(*args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailable("sqlite://", "the database is locked")

    monkeypatch.setattr(v2_store, "apply", down)
    with pytest.raises(StoreUnavailable):
        watcher.run_once()
    assert watcher.pending == 1
    monkeypatch.setattr(v2_store, "apply", apply)
    assert watcher.run_once().written == 1
    assert [m.target.name for m in v2_store.history("a")] == ["Running"]


def test_a_cancelled_poll_stops_the_cycle_with_nothing_judged(v2_store: JobStore) -> None:
    watcher = Watcher(Scripted(None, [seen("a", "Pending", 0)]), v2_store)
    report = watcher.run_once()
    assert (report.stopped, report.cycle, watcher.cycles) == (True, 1, 0)
    assert "stopped during the poll" in report.summary()
    assert watcher.run_once().cycle == 1


def test_an_observation_the_tracker_cannot_place_is_a_bad_record() -> None:
    """A time past the year 5138 is refused by the tracker: that one is a bad record only."""
    far = Observation("a", V2.parse("Running"), None, 2e11)
    report = Watcher(Scripted([far, seen("b", "Running", 0)])).run_once()
    (bad,) = report.events
    assert (bad.kind, bad.job_id, bad.where) == (EventKind.BAD_RECORD, "a", "job 'a'")
    assert report.jobs == 1


def test_a_store_of_another_lifecycle_is_refused(tmp_path: Path) -> None:
    v1 = JobStore(f"sqlite:///{tmp_path / 'v1.db'}")
    with pytest.raises(InvalidArgument, match="a JobStore of the source's lifecycle"):
        Watcher(Scripted(), v1)
    with pytest.raises(InvalidArgument, match="batch_size"):
        Watcher(Scripted(), batch_size=0)


def test_the_report_splits_the_cycle_s_time() -> None:
    ticks = iter(range(100))
    source = Scripted([seen("a", "Pending", 0)])
    report = Watcher(source, clock=lambda: float(next(ticks))).run_once()
    parts = (report.http_seconds, report.read_seconds, report.judgment_seconds,
             report.store_seconds)  # fmt: skip
    assert sum(parts) == report.seconds == 3.0  # one tick each: start, polled, judged, written
    assert report.own_share == pytest.approx(2 / 3)  # judgment and store
    assert report.to_dict()["seconds"]["judgment"] == 1.0


# -- end to end: the real SDK against the fake ModelArts ------------------------------------------


@pytest.fixture
def sdk() -> None:
    """The Huawei Cloud SDK: a test of the real SDK skips without it, and fails in CI."""
    try:
        import huaweicloudsdkmodelarts  # noqa: F401
    except ImportError:
        unavailable("the Huawei Cloud SDK is not installed; run: pip install 'jobfsm[modelarts]'")


def moves_made(report: LogReport) -> Counter[tuple[Status, Status]]:
    """The moves a report counts along declared edges: it counts each violation under its own
    pair too, and those the job never made."""
    refused = Counter((v.source, v.target) for v in report.violations)
    assert len(report.violations) == report.violation_count
    made = report.moves - refused
    assert all(target in V2.allowed_next(source) for source, target in made)
    return made


def assert_store_holds_what_the_log_finds(store: JobStore, records: list[Any], jobs: int) -> Any:
    """The records as a log of v2 records, checked: the store must hold every job's moves."""
    lines = [json.dumps(r).encode() for r in records]
    report = scan_log(io.BytesIO(b"\n".join(lines) + b"\n"), lifecycle=V2, listed=None)
    stored = {r.job_id: (r, store.history(r.job_id)) for r in store.list()}
    assert report.jobs == len(stored) == jobs
    everything = [m for _, history in stored.values() for m in history]
    assert Counter((m.source, m.target) for m in everything) == moves_made(report)
    assert sum(m.inferred for m in everything) == report.inferred_statuses
    outcomes = Counter(r.status.outcome.value for r, _ in stored.values() if r.status.outcome)
    assert report.unfinished == sum(1 for r, _ in stored.values() if r.status.outcome is None)
    assert outcomes == {k: n for k, n in report.outcomes.items() if n and k != "unfinished"}
    # Job by job: the same first phase, the same moves in a chain, the same end.
    by_job: dict[str, list[bytes]] = defaultdict(list)
    for record, line in zip(records, lines, strict=True):
        metadata = record.get("metadata") if isinstance(record, dict) else None
        if isinstance(metadata, dict) and isinstance(metadata.get("id"), str):
            by_job[metadata["id"]].append(line)
    for job_id, (record, history) in stored.items():
        log = b"\n".join(by_job[job_id]) + b"\n"
        first = next(iter(read_log(io.BytesIO(log), lifecycle=V2)))
        job = scan_log(io.BytesIO(log), lifecycle=V2, listed=None)
        start: Status = history[0].source if history else record.status
        assert start is first.status, job_id
        assert Counter((m.source, m.target) for m in history) == moves_made(job), job_id
        assert all(a.target is b.source for a, b in itertools.pairwise(history)), job_id
        assert record.status is (history[-1].target if history else start), job_id
        outcome = record.status.outcome.value if record.status.outcome else "unfinished"
        assert job.outcomes[outcome] == 1, job_id
    return report


class Waits(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


#: Throttling, failures, garbage and broken bodies on about one request in six; malformed,
#: stale (late) and illegal records among the good answers.
FAULTS = FaultPlan(
    request={"throttle": 0.06, "error": 0.03, "garbage": 0.02, "truncated": 0.02,
             "dropped": 0.01, "slow": 0.004},
    record={"bad": 0.01, "stale": 0.02, "illegal": 0.01},
    retry_after="2",
    slow_seconds=0.5,
)  # fmt: skip


@pytest.mark.usefixtures("sdk")
def test_watching_a_faulty_fleet_stores_what_a_check_of_its_records_finds(store_url: str) -> None:
    """200 jobs watched until every one has ended, through throttling, failures, garbage and bad
    records: the store holds exactly the moves, inferred phases and final phases that
    scan_log finds in the records the SDK received, and the watcher saw the same violations,
    late observations and bad records."""
    store = JobStore(store_url, lifecycle=V2)
    store.create_schema()
    waits = Waits()
    with running(200, seed=7, faults=FAULTS, arrivals=7200.0, step=300.0) as fake:
        policy = RetryPolicy(attempts=10)
        source = ModelArtsSource(
            endpoint=fake.url, ak=AK, sk=SK, project_id=PROJECT, retry=policy, timeout=0.25,
            sleep=waits,
        )  # fmt: skip
        watcher = Watcher(source, store, batch_size=64)
        reports = []
        for _ in range(1000):
            reports.append(watcher.run_once())
            if fake.fleet.all_terminal() and watcher.tracker.summary()["active"] == 0:
                break
            fake.fleet.tick()
        else:
            pytest.fail("the fleet never ended")
        records, stats = list(fake.delivered), Counter(fake.stats)
    report = assert_store_holds_what_the_log_finds(store, records, 200)
    total = Counter[str]()
    for r in reports:
        total.update(r.counts)
    assert total["violation"] == report.violation_count > 0
    assert total["late"] == report.late > 0
    assert total["bad record"] == report.rejected == stats["bad records read"] > 0
    assert total["refused"] == 0
    assert sum(r.observations for r in reports) == report.observations
    # Every fault was met and retried; the waits honoured Retry-After.
    assert all(stats[kind] > 0 for kind in ("throttle", "error", "garbage", "truncated"))
    assert sum(r.retries for r in reports) == len(waits) >= stats["throttle"]
    assert sum(1 for w in waits if w >= 2.0) >= stats["throttle"]
    assert store.list(active=True) == []
    store.close()


# -- the command line -----------------------------------------------------------------------------


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch, sdk: None) -> None:
    """The fake's credentials in the environment, as the SDK reads them; no endpoint there."""
    for name, value in (("HUAWEICLOUD_SDK_AK", AK), ("HUAWEICLOUD_SDK_SK", SK),
                        ("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)):  # fmt: skip
        monkeypatch.setenv(name, value)
    for name in ("JOBFSM_MODELARTS_ENDPOINT", "HUAWEICLOUD_SDK_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_watch_once_repeated_stores_what_a_check_of_its_records_finds(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    credentials: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`jobfsm watch --once`, run again and again as a cron job would, each run a new watcher on
    the same store, until the fleet has ended; events as JSON Lines."""
    monkeypatch.setattr("jobfsm.cli.watching._wait", lambda event, seconds: event.is_set())
    db = f"sqlite:///{tmp_path / 'jobs.db'}"
    plan = FaultPlan(request={"throttle": 0.05, "error": 0.03, "garbage": 0.02},
                     record={"bad": 0.02, "stale": 0.03, "illegal": 0.02})  # fmt: skip
    events: list[dict[str, Any]] = []
    with running(40, seed=11, faults=plan, arrivals=3600.0, step=600.0) as fake:
        for _ in range(300):
            code, out, err = run(capsys, "watch", "--store", db, "--once", "--format", "jsonl",
                                 "--endpoint", fake.url)  # fmt: skip
            assert code in (EXIT_OK, EXIT_INVALID), err
            assert err.startswith("jobfsm: cycle 1: ")
            events += [json.loads(line) for line in out.splitlines()]
            with JobStore(db, lifecycle=V2) as store:
                active = store.list(active=True)
            if fake.fleet.all_terminal() and not active:
                break
            fake.fleet.tick()
        else:
            pytest.fail("the fleet never ended")
        records = list(fake.delivered)
    with JobStore(db, lifecycle=V2) as store:
        assert_store_holds_what_the_log_finds(store, records, 40)
    cycles = [e for e in events if e["event"] == "cycle"]
    assert sum(c["written"] for c in cycles) == sum(1 for e in events if e["event"] == "move") > 0
    assert {e["event"] for e in events} >= {"move", "finished", "violation", "bad record", "cycle"}


def test_watch_once_prints_events_as_text_and_exits_1_when_a_record_was_bad(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, credentials: None
) -> None:
    db = str(tmp_path / "jobs.db")
    with running(3, arrivals=0.0) as fake:
        code, out, err = run(capsys, "watch", "--store", db, "--once", "--endpoint", fake.url)
        assert (code, out) == (EXIT_OK, "")
        assert err.startswith("jobfsm: cycle 1: 3 observed (3 new), 3 jobs (3 active): 0 moves")
        fake.fleet.tick(200_000)  # every job has ended
        fake.faults.record["bad"] = 1.0
        first = fake.fleet.jobs[0].job_id
        code, out, err = run(capsys, "watch", "--store", db, "--once", "--endpoint", fake.url,
                             "--job-id", first, "--job-id", "missing")  # fmt: skip
    assert code == EXIT_INVALID
    lines = out.splitlines()
    assert lines[0].startswith(f"bad record job {fake.fleet.jobs[0].job_id!r}: ")
    assert lines[1] == f"bad record job 'missing': no such training job in project {PROJECT}"


def test_watch_usage_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, credentials: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    db = str(tmp_path / "jobs.db")
    code, _, err = run(capsys, "watch", "--store", db, "--interval", "0s", "--endpoint", "x")
    assert code == EXIT_USAGE
    assert "Invalid value for '--interval': 0:00:00 is too short" in err
    code, _, err = run(capsys, "watch", "--store", db, "--once")
    assert (code, err.count("\n")) == (EXIT_USAGE, 1)
    assert err.startswith("jobfsm: error: the ModelArts source needs an endpoint: ")
    monkeypatch.delenv("HUAWEICLOUD_SDK_SK")
    code, _, err = run(capsys, "watch", "--store", db, "--once", "--region", "cn-north-4")
    assert err == (
        "jobfsm: error: the ModelArts source needs credentials: HUAWEICLOUD_SDK_SK is not set; "
        "set HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_PROJECT_ID (an access key, "
        "its secret and the project id, as the Huawei Cloud SDK reads them)\n"
    )
    assert not (tmp_path / "jobs.db").exists()


def test_watch_once_reports_a_poll_that_failed_for_good(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, credentials: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr("jobfsm.cli.watching._wait", lambda event, seconds: event.is_set())
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", "wrong")
    with running(3) as fake:
        code, out, err = run(capsys, "watch", "--store", str(tmp_path / "j.db"), "--once",
                             "--endpoint", fake.url)  # fmt: skip
    assert (code, out) == (EXIT_USAGE, "")
    assert err.startswith(f"jobfsm: error: ModelArts at {fake.url}: list training jobs (page 1) ")
    assert "HTTP 401" in err
    assert "Traceback" not in err


def test_watch_keeps_polling_through_a_failed_poll(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, credentials: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Without --once, a poll that keeps failing is a warning; the next poll is tried. A signal
    between polls ends the watch with its exit code."""
    waits: list[float] = []

    def wait(event: threading.Event, seconds: float) -> bool:
        waits.append(seconds)
        if len(waits) > 12:  # well after the failed poll: stop as Ctrl-C would
            os.kill(os.getpid(), signal.SIGINT)
        return event.is_set()

    monkeypatch.setattr("jobfsm.cli.watching._wait", wait)
    with running(3, arrivals=0.0) as fake:
        fake.inject("error", 5)  # every attempt of the first poll
        code, _, err = run(capsys, "watch", "--store", str(tmp_path / "j.db"),
                           "--interval", "2s", "--endpoint", fake.url)  # fmt: skip
    assert code == EXIT_INTERRUPTED
    assert err.splitlines()[0].startswith("jobfsm: warning: ModelArts at ")
    assert err.splitlines()[0].endswith("a later poll may succeed; polling again in 0:00:02")
    assert err.splitlines()[-1] == "jobfsm: interrupted"
    assert 2.0 in waits  # the interval, after the failed poll


def test_a_signal_during_the_writes_lets_the_cycle_finish_then_exits(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, credentials: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """SIGTERM while the cycle writes: every job and move of the cycle is still written, then
    the watch exits 143 with one line."""
    create = JobStore.create

    def create_then_signal(self: JobStore, *args: Any, **kwargs: Any) -> Any:
        if not hasattr(create_then_signal, "sent"):
            create_then_signal.sent = True  # type: ignore[attr-defined]
            os.kill(os.getpid(), signal.SIGTERM)
        return create(self, *args, **kwargs)

    monkeypatch.setattr(JobStore, "create", create_then_signal)
    db = tmp_path / "jobs.db"
    with running(120, arrivals=0.0) as fake:
        code, _, err = run(capsys, "watch", "--store", str(db), "--endpoint", fake.url)
    assert (code, err) == (EXIT_TERMINATED, "jobfsm: terminated\n")
    with JobStore(str(db), lifecycle=V2) as store:
        assert len(store.list()) == 120


SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from fake_modelarts import running
with running(3, arrivals=0.0) as fake:
    print(fake.url, flush=True)
    sys.stdin.readline()
"""


@pytest.mark.usefixtures("sdk")
@pytest.mark.parametrize(("sent", "code", "said"), [
    (signal.SIGTERM, EXIT_TERMINATED, "jobfsm: terminated"),
    (signal.SIGINT, EXIT_INTERRUPTED, "jobfsm: interrupted"),
])  # fmt: skip
def test_a_signal_between_polls_ends_the_watch_at_once(
    tmp_path: Path, sent: int, code: int, said: str
) -> None:
    """As a real process waiting an hour for its next poll: the signal ends it at once, with
    its exit code and one line, and the first poll's jobs are in the store."""
    tests = str(Path(__file__).parent)
    server = subprocess.Popen([sys.executable, "-c", SCRIPT.format(tests=tests)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert server.stdin is not None
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    db = tmp_path / "jobs.db"
    env = {**os.environ, "HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK,
           "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT}  # fmt: skip
    try:
        watch = subprocess.Popen(
            [sys.executable, "-m", "jobfsm", "watch", "--store", str(db), "--interval", "1h",
             "--endpoint", url],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _stored(db) < 3:
            time.sleep(0.05)
        started = time.monotonic()
        watch.send_signal(sent)
        out, err = watch.communicate(timeout=60)
        assert time.monotonic() - started < 10
    finally:
        server.stdin.close()
        server.wait(timeout=30)
        server.stdout.close()
    assert (watch.returncode, out, err) == (code, "", said + "\n")
    assert _stored(db) == 3


def _stored(db: Path) -> int:
    """Jobs in the store's file so far (0 before its tables are made)."""
    import sqlite3

    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM jobs").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


@pytest.mark.usefixtures("sdk")
def test_at_a_terminal_stderr_shows_one_status_line_between_polls(tmp_path: Path) -> None:
    """The status line is rewritten in place (carriage return, erase line) and erased before
    the watch ends; on a pipe it never shows (the other tests)."""
    import pty

    tests = str(Path(__file__).parent)
    server = subprocess.Popen([sys.executable, "-c", SCRIPT.format(tests=tests)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert server.stdin is not None
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    env = {**os.environ, "HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK,
           "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT}  # fmt: skip
    controller, terminal = pty.openpty()
    try:
        watch = subprocess.Popen(
            [sys.executable, "-m", "jobfsm", "watch", "--store", str(tmp_path / "j.db"),
             "--interval", "1h", "--endpoint", url],
            stdout=subprocess.PIPE, stderr=terminal, env=env,
        )  # fmt: skip
        os.close(terminal)
        shown = b""
        deadline = time.monotonic() + 60
        while b"next poll in" not in shown and time.monotonic() < deadline:
            shown += os.read(controller, 65536)
        watch.send_signal(signal.SIGINT)
        out, _ = watch.communicate(timeout=60)
        with contextlib.suppress(OSError):  # EIO once the process has gone
            while chunk := os.read(controller, 65536):
                shown += chunk
    finally:
        os.close(controller)
        server.stdin.close()
        server.wait(timeout=30)
        server.stdout.close()
    assert (watch.returncode, out) == (EXIT_INTERRUPTED, b"")
    assert b"\r\x1b[Kjobfsm watch: 3 jobs, 3 active, 1 poll; next poll in 3600s" in shown
    assert shown.endswith(b"\r\x1b[Kjobfsm: interrupted\r\n")


def test_watch_serves_its_metrics_while_it_watches(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    credentials: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--metrics-port serves what the tracker judged; it is scraped before the command ends."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    import jobfsm.metrics

    scraped: list[str] = []
    serve = jobfsm.metrics.serve

    def serve_and_scrape(metrics: jobfsm.metrics.Metrics, port: int = 0) -> Any:
        server = serve(metrics, port)
        original = server.close

        def close() -> None:
            url = f"http://127.0.0.1:{server.port}/metrics"
            with urllib.request.urlopen(url, timeout=5) as response:
                scraped.append(response.read().decode())
            original()

        server.close = close  # type: ignore[method-assign]
        return server

    monkeypatch.setattr(jobfsm.metrics, "serve", serve_and_scrape)
    db = str(tmp_path / "jobs.db")
    with running(5, arrivals=0.0) as fake:
        run(capsys, "watch", "--store", db, "--once", "--endpoint", fake.url)
        fake.fleet.tick(200_000)
        code, _, err = run(capsys, "watch", "--store", db, "--once", "--endpoint", fake.url,
                           "--metrics-port", "0")  # fmt: skip
    assert code in (EXIT_OK, EXIT_INVALID), err
    assert "metrics at http://127.0.0.1:" in err
    [text] = scraped
    samples = {
        (s.name, s.labels.get("status")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert sum(v for (name, _), v in samples.items() if name == "jobfsm_moves_total") > 0
    ended = sum(
        v for (name, status), v in samples.items()
        if name == "jobfsm_jobs" and status in {"Completed", "Failed", "Terminated", "Abnormal"}
    )  # fmt: skip
    assert ended == 5.0
