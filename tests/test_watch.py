"""The Watcher and `jobfsm watch`: events, batches, the store, signals; and end to end against the
fake ModelArts, where the store must end with what a check of the records it read finds."""

from __future__ import annotations

import io
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import unavailable
from fake_modelarts import AK, PROJECT, SK, FaultPlan, running

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
                             "bad record": 1, "refused": 0}  # fmt: skip
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
