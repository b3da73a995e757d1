"""Deadlines: dwell limits declared in Python and in lifecycle files, learned from a store's
history, the overdue jobs of a store (SQLite and PostgreSQL), and the actions that stop them."""

from __future__ import annotations

import json
import statistics
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import DEFAULT_LIFECYCLE, Guard, InvalidArgument, InvalidTime, JobStatus, JobStore
from jobfsm.deadlines import (
    Deadlines,
    OverdueJob,
    Stop,
    act,
    count_by_status,
    format_duration,
    learn_limits,
    parse_duration,
    parse_percentile,
    percentile,
    time_in_statuses,
)
from jobfsm.errors import LifecycleFileError, UnknownStatus
from jobfsm.lifecycles import EXAMPLES, get_lifecycle
from jobfsm.lifecycles.toml import parse_lifecycle
from jobfsm.machine import Move

S = JobStatus
UTC = timezone.utc
T0 = datetime(2026, 3, 1, tzinfo=UTC)
SLURM = EXAMPLES["slurm"].read_text(encoding="utf-8")


# -- declared in Python ---------------------------------------------------------------------------


def test_limits_declared_in_python() -> None:
    limits = Deadlines({S.WAITING: "2h", "RUNNING": timedelta(days=3)})
    assert limits.limit(S.WAITING) == timedelta(hours=2)
    assert limits.limit(S.RUNNING) == timedelta(days=3)
    assert limits.limit(S.KILLING) is None
    assert list(limits) == [S.WAITING, S.RUNNING]
    assert len(limits) == 2
    assert limits
    assert not Deadlines({})
    assert limits == Deadlines({S.RUNNING: "3d", S.WAITING: "2h"})
    assert repr(limits) == "Deadlines({WAITING: 2h, RUNNING: 3d})"


@pytest.mark.parametrize(
    ("limits", "actions"),
    [
        ({S.WAITING: timedelta(0)}, None),
        ({S.WAITING: "-1h"}, None),
        ({S.WAITING: 3600}, None),
        ({S.COMPLETED: "1h"}, None),
        ({S.WAITING: "1h"}, {S.RUNNING: Stop(S.KILLING)}),
        ({S.WAITING: "1h"}, {S.WAITING: "KILLING"}),
        ([("WAITING", "1h")], None),
    ],
)
def test_bad_limits_refused(limits: object, actions: object) -> None:
    with pytest.raises(InvalidArgument):
        Deadlines(limits, actions)  # type: ignore[arg-type]


def test_unknown_status_refused() -> None:
    with pytest.raises(UnknownStatus):
        Deadlines({"NOPE": "1h"})


def test_an_action_must_be_a_declared_move_of_the_lifecycle() -> None:
    with pytest.raises(InvalidArgument, match="stop status WAITING may move to"):
        Deadlines({S.WAITING: "1h"}, {S.WAITING: Stop(S.COMPLETED)}, lifecycle=DEFAULT_LIFECYCLE)
    v2 = get_lifecycle("modelarts-v2")
    limits = Deadlines({"Pending": "1h"}, {"Pending": Stop("Terminating")}, lifecycle=v2)
    assert limits.actions[v2.parse("Pending")].target is v2.parse("Terminating")


def test_a_lifecycle_carries_its_limits_into_its_variants() -> None:
    limits = Deadlines({S.WAITING: "2h"}, {S.WAITING: Stop(S.KILLING)})
    lc = DEFAULT_LIFECYCLE.with_guards(name="v1-limited").with_guards()
    assert lc.limits is None
    limited = DEFAULT_LIFECYCLE.with_guards(Guard("any", lambda m: True, "always"))
    from jobfsm import Lifecycle

    built = Lifecycle(limited.events, name="v1-limited", limits=limits)
    assert built.limits == limits
    assert built.with_guards(Guard("g", lambda m: True, "ok")).limits == limits
    with pytest.raises(InvalidArgument):
        Lifecycle(limited.events, limits={S.WAITING: "2h"})  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        Lifecycle(
            limited.events,
            limits=Deadlines({S.WAITING: "1h"}, {S.WAITING: Stop(S.COMPLETED)}),
        )


def test_durations_and_percentiles_read() -> None:
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert format_duration(timedelta(minutes=90)) == "1h30m"
    assert format_duration(timedelta(0)) == "0s"
    assert parse_percentile("p99") == 99 == parse_percentile("99")
    for bad in ("p0", "p100", "x", "p9.5", ""):
        with pytest.raises(ValueError, match="not a percentile"):
            parse_percentile(bad)


# -- declared in a lifecycle file ----------------------------------------------------------------


def test_limits_declared_in_a_lifecycle_file() -> None:
    lc = parse_lifecycle(
        SLURM + '\n[limits]\nPENDING = "2h"\nRUNNING = "1d12h"\n'
        '[actions]\nPENDING = { stop = "CANCELLED" }\n'
    )
    assert lc.limits is not None
    assert lc.limits.limits == {
        lc.parse("PENDING"): timedelta(hours=2),
        lc.parse("RUNNING"): timedelta(hours=36),
    }
    assert lc.limits.actions == {lc.parse("PENDING"): Stop(lc.parse("CANCELLED"))}
    assert parse_lifecycle(SLURM).limits is None


@pytest.mark.parametrize(
    ("tables", "where", "problem"),
    [
        ('[limits]\nPENDING = "2x"', "limits.PENDING", "is not a duration"),
        ('[limits]\nPENDING = "0s"', "limits.PENDING", "is no time"),
        ("[limits]\nPENDING = 3", "limits.PENDING", "found an integer 3"),
        ('[limits]\nPENDNG = "2h"', "limits.PENDNG", "did you mean PENDING"),
        ('[limits]\nCOMPLETED = "2h"', "limits.COMPLETED", "is terminal"),
        ('"limits" = 3', "limits", "expected a table"),
        ('[actions]\nPENDING = { stop = "CANCELLED" }', "actions.PENDING", "has no limit"),
        ('[limits]\nPENDING = "2h"\n[actions]\nPENDING = "x"', "actions.PENDING", "a table"),
        (
            '[limits]\nPENDING = "2h"\n[actions]\nPENDING = { stp = "CANCELLED" }',
            "actions.PENDING.stp",
            "did you mean stop",
        ),
        (
            '[limits]\nPENDING = "2h"\n[actions]\nPENDING = { stop = "COMPLETED" }',
            "actions.PENDING.stop",
            "not a declared move",
        ),
        (
            '[limits]\nPENDING = "2h"\n[actions]\nPENDING = {}',
            "actions.PENDING.stop",
            "required key missing",
        ),
    ],
)
def test_bad_limits_in_a_file_are_refused_with_the_key_path(
    tables: str, where: str, problem: str
) -> None:
    text = SLURM if not tables.startswith('"limits"') else tables + "\n" + SLURM
    if not tables.startswith('"limits"'):
        text = SLURM + "\n" + tables + "\n"
    with pytest.raises(LifecycleFileError) as caught:
        parse_lifecycle(text, path="slurm.toml")
    assert caught.value.where == where
    assert problem in caught.value.problem


# -- learned from history ------------------------------------------------------------------------


def _moves(*steps: tuple[JobStatus, JobStatus, float, bool]) -> tuple[Move, ...]:
    return tuple(
        Move(a, b, "e", T0 + timedelta(seconds=at), inferred=inferred)
        for a, b, at, inferred in steps
    )


def test_time_in_statuses_counts_finished_stays_only() -> None:
    moves = _moves(
        (S.WAITING, S.RUNNING, 60, False),
        (S.RUNNING, S.KILLING, 600, True),  # a jump: KILLING was inferred
        (S.KILLING, S.KILLED, 600, False),
    )
    ongoing = _moves((S.WAITING, S.RUNNING, 30, False))
    stays = time_in_statuses([(T0, moves), (T0, ongoing)])
    assert stays == {
        S.WAITING: [timedelta(seconds=60), timedelta(seconds=30)],
        S.RUNNING: [timedelta(seconds=540)],
    }


def _fill(store: JobStore, waits: list[float], runs: list[float]) -> None:
    for i, wait in enumerate(waits):
        job = f"w-{i}"
        store.create(job, S.WAITING, created_at=T0)
        store.transition(job, S.RUNNING, at=T0 + timedelta(seconds=wait))
        if i < len(runs):
            store.transition(job, S.COMPLETED, at=T0 + timedelta(seconds=wait + runs[i]))


@settings(max_examples=15, deadline=None)
@given(
    waits=st.lists(st.integers(1, 10**6), min_size=2, max_size=25),
    p=st.integers(1, 99),
)
def test_learned_limit_is_the_percentile_of_the_durations(waits: list[int], p: int) -> None:
    store = JobStore("sqlite://")
    store.create_schema()
    try:
        _fill(store, [w / 1000 for w in waits], [])
        learned = learn_limits(store, p, min_sample=2)
    finally:
        store.close()
    cut = statistics.quantiles([w / 1000 for w in waits], n=100, method="inclusive")[p - 1]
    expected = timedelta(seconds=cut)
    limit = learned.limit(S.WAITING)
    assert limit is not None
    assert abs(limit - expected) <= timedelta(microseconds=1) or limit == timedelta(microseconds=1)
    assert learned.samples[S.WAITING] == len(waits)
    assert learned.percentile == p


def test_no_limit_is_learned_from_a_small_sample(store: JobStore) -> None:
    _fill(store, [10.0 * (i + 1) for i in range(5)], [100.0, 200.0])
    learned = learn_limits(store, 50, min_sample=3)
    assert learned.limit(S.WAITING) == timedelta(seconds=30)
    assert learned.limit(S.RUNNING) is None  # two stays, fewer than three
    assert learned.samples[S.WAITING] == 5
    assert learned.samples[S.RUNNING] == 2
    assert learned.samples[S.KILLING] == 0
    rows = {row["status"]: row for row in learned.to_dict()["limits"]}
    assert rows["WAITING"] == {"status": "WAITING", "limit_seconds": 30.0, "sample": 5}
    assert rows["RUNNING"]["limit_seconds"] is None
    for bad in ({"p": 0}, {"p": 100}, {"min_sample": 1}):
        with pytest.raises(InvalidArgument):
            learn_limits(store, **bad)  # type: ignore[arg-type]


def test_percentile_needs_two_durations() -> None:
    with pytest.raises(InvalidArgument):
        percentile([timedelta(seconds=1)], 50)


# -- overdue jobs of a store ---------------------------------------------------------------------


def _stuck(store: JobStore) -> None:
    store.create("a", S.WAITING, created_at=T0)
    store.create("b", S.WAITING, created_at=T0 + timedelta(minutes=50))
    store.create("c", S.RUNNING, created_at=T0)
    store.create("d", S.KILLING, created_at=T0)
    store.create("e", S.COMPLETED, created_at=T0)


def test_overdue_jobs_of_a_store(store: JobStore) -> None:
    _stuck(store)
    limits = Deadlines({S.WAITING: "30m", S.RUNNING: "10m"})
    now = T0 + timedelta(hours=1)
    found = store.overdue(limits, now=now)
    assert [(o.job_id, o.status, o.elapsed, o.limit) for o in found] == [
        ("c", S.RUNNING, timedelta(hours=1), timedelta(minutes=10)),
        ("a", S.WAITING, timedelta(hours=1), timedelta(minutes=30)),
    ]
    assert found[0].since == T0
    assert found[0].over_by == timedelta(minutes=50)
    assert not found.errors
    assert count_by_status(found) == {S.RUNNING: 1, S.WAITING: 1}
    assert str(found[1]) == "a: WAITING for 1h, past its limit of 30m"
    assert found[1].to_dict()["limit_seconds"] == 1800
    assert store.overdue(limits, now=T0) == []
    assert store.overdue(Deadlines({}), now=now) == []


def test_overdue_refuses_limits_of_another_vocabulary(store: JobStore) -> None:
    v2 = get_lifecycle("modelarts-v2")
    with pytest.raises(InvalidArgument):
        store.overdue(Deadlines({"Pending": "1h"}, lifecycle=v2))
    with pytest.raises(InvalidArgument):
        store.overdue({S.WAITING: timedelta(hours=1)})  # type: ignore[arg-type]
    with pytest.raises(InvalidTime):
        store.overdue(Deadlines({S.WAITING: "1h"}), now=datetime(2026, 1, 1))


def test_overdue_runs_one_query_per_limited_status(store: JobStore) -> None:
    _stuck(store)
    calls: list[object] = []
    original = store.stale

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(args[0])
        return original(*args, **kwargs)  # type: ignore[arg-type]

    store.stale = counting  # type: ignore[method-assign,assignment]
    store.overdue(Deadlines({S.WAITING: "1m", S.RUNNING: "1m", S.KILLING: "1m"}))
    assert calls == [S.WAITING, S.RUNNING, S.KILLING]


# -- actions -------------------------------------------------------------------------------------


def test_actions_stop_overdue_jobs_through_the_judged_path(store: JobStore) -> None:
    _stuck(store)
    limits = Deadlines(
        {S.WAITING: "30m", S.RUNNING: "10m", S.KILLING: "5m"},
        {S.WAITING: Stop(S.KILLING), S.RUNNING: Stop(S.KILLING)},
    )
    now = T0 + timedelta(hours=1)
    found = store.overdue(limits, now=now)
    store.transition("c", S.COMPLETED)  # finished after it was found overdue
    results = act(store, found, limits)
    by_job = {r.job.job_id: r for r in results}
    assert set(by_job) == {"a", "c"}  # KILLING has no action
    assert by_job["a"].moved
    assert by_job["a"].error is None
    assert str(by_job["a"]) == "stopped a: WAITING → KILLING"
    assert not by_job["c"].moved
    assert by_job["c"].error is not None
    assert "refused c" in str(by_job["c"])
    assert store.get("a").status is S.KILLING
    last = store.history("a")[-1]
    assert last.actor == "jobfsm deadlines"
    assert last.reason == "overdue: WAITING for 1h, limit 30m"
    assert store.get("c").status is S.COMPLETED
    assert by_job["a"].to_dict()["target"] == "KILLING"


def test_a_guard_refusing_the_stop_is_reported_not_raised(store_url: str) -> None:
    lc = DEFAULT_LIFECYCLE.with_guards(
        Guard("keep", lambda m: False, "never stopped", targets={S.KILLING})
    )
    store = JobStore(store_url, lifecycle=lc)
    store.create_schema()
    try:
        store.create("a", S.WAITING, created_at=T0)
        limits = Deadlines({S.WAITING: "1m"}, {S.WAITING: Stop(S.KILLING)})
        found = store.overdue(limits, now=T0 + timedelta(hours=1))
        (result,) = act(store, found, limits)
        assert not result.moved
        assert "never stopped" in str(result.error)
        assert store.get("a").status is S.WAITING
    finally:
        store.close()


def test_v2_stop_goes_to_terminating(tmp_path: object) -> None:
    v2 = get_lifecycle("modelarts-v2")
    store = JobStore("sqlite://", lifecycle=v2)
    store.create_schema()
    try:
        store.create("a", "Pending", created_at=T0)
        limits = Deadlines({"Pending": "1h"}, {"Pending": Stop("Terminating")}, lifecycle=v2)
        (result,) = act(store, store.overdue(limits, now=T0 + timedelta(hours=2)), limits)
        assert result.moved
        assert store.get("a").status is v2.parse("Terminating")
    finally:
        store.close()


def test_overdue_job_record() -> None:
    job = OverdueJob("x", S.WAITING, T0, timedelta(hours=3), timedelta(hours=2))
    assert job.over_by == timedelta(hours=1)
    assert job.reason == "overdue: WAITING for 3h, limit 2h"


# -- jobfsm store overdue ------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from jobfsm.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _old_jobs(url: str, lifecycle: object = None) -> None:
    store = JobStore(url, lifecycle=lifecycle)  # type: ignore[arg-type]
    store.create_schema()
    try:
        old = datetime.now(UTC) - timedelta(hours=3)
        store.create("old", S.WAITING, created_at=old)
        store.create("new", S.WAITING)
        store.create("run", S.RUNNING, created_at=old)
    finally:
        store.close()


def test_cli_overdue_with_limits(capsys: pytest.CaptureFixture[str], store_url: str) -> None:
    _old_jobs(store_url)
    code, out, err = _run(capsys, "store", "overdue", store_url, "--limit", "WAITING=2h")
    assert code == 1, err
    assert "old" in out
    assert "new" not in out
    assert "run" not in out
    code, out, _ = _run(capsys, "store", "overdue", store_url, "--limit", "WAITING=5h")
    assert (code, out) == (0, "no job is past its status's limit\n")
    code, out, _ = _run(
        capsys, "store", "overdue", store_url, "--limit", "7=1h", "--limit", "RUNNING=1h",
        "--format", "json",
    )  # fmt: skip
    assert code == 1
    shown = json.loads(out)
    assert [o["job_id"] for o in shown["overdue"]] == ["old", "run"] or [
        o["job_id"] for o in shown["overdue"]
    ] == ["run", "old"]
    assert shown["actions"] == []


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        ([], "no limits"),
        (["--limit", "WAITING"], "not STATUS=DURATION"),
        (["--limit", "WAITING=2x"], "not a duration"),
        (["--limit", "NOPE=2h"], "NOPE"),
        (["--limit", "COMPLETED=2h"], "terminal"),
        (["--limit", "WAITING=0s"], "no time"),
        (["--learn", "p100"], "not a percentile"),
        (["--learn", "p99", "--limit", "WAITING=1h"], "not both"),
        (["--learn", "p99", "--min-sample", "1"], "--min-sample"),
    ],
)
def test_cli_overdue_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: object, argv: list[str], problem: str
) -> None:
    code, out, err = _run(capsys, "store", "overdue", "sqlite:///unused.db", *argv)
    assert code == 2
    assert out == ""
    assert problem in err


def test_cli_overdue_learns_limits(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    store = JobStore(url)
    store.create_schema()
    _fill(store, [60.0] * 4, [])
    store.create("stuck", S.WAITING, created_at=T0)
    store.close()
    code, out, _ = _run(capsys, "store", "overdue", url, "--learn", "p99", "--min-sample", "3")
    assert code == 1
    assert "p99 learned" in out
    assert "WAITING" in out
    assert "1m" in out
    assert "stuck" in out
    code, out, _ = _run(capsys, "store", "overdue", url, "--learn", "p99", "--format", "json")
    assert code == 0  # 4 stays of WAITING: fewer than the default sample
    limits = {row["status"]: row for row in json.loads(out)["limits"]["limits"]}
    assert limits["WAITING"] == {"status": "WAITING", "limit_seconds": None, "sample": 4}


def test_cli_overdue_acts_with_the_lifecycle_files_limits(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    v2_file = tmp_path / "v2.toml"
    text = SLURM + '\n[limits]\nPENDING = "2h"\n[actions]\nPENDING = { stop = "CANCELLED" }\n'
    v2_file.write_text(text, encoding="utf-8")
    lc = parse_lifecycle(text)
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    store = JobStore(url, lifecycle=lc)
    store.create_schema()
    store.create("old", "PENDING", created_at=datetime.now(UTC) - timedelta(hours=3))
    store.create("new", "PENDING")
    store.close()
    base = ["store", "overdue", url, "--lifecycle", str(v2_file)]
    code, out, _ = _run(capsys, *base)
    assert code == 1
    assert "old" in out
    code, out, _ = _run(capsys, *base, "--act", "--format", "json")
    assert code == 1
    shown = json.loads(out)
    assert shown["actions"] == [
        {"job_id": "old", "status": "PENDING", "target": "CANCELLED", "moved": True, "error": None}
    ]
    store = JobStore(url, lifecycle=lc)
    assert store.get("old").status.name == "CANCELLED"
    assert store.history("old")[-1].actor == "jobfsm deadlines"
    store.close()
    code, out, _ = _run(capsys, *base, "--act")
    assert (code, out) == (0, "no job is past its status's limit\n")
