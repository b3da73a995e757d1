"""ModelArts v2 as a built-in lifecycle: its declaration, logs read in it (never half in v1), the
checked v1 → v2 mapping, and the command line with --lifecycle and --as."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import (
    DEFAULT_LIFECYCLE,
    CheckFailure,
    InvalidLifecycle,
    JobStatus,
    Simulation,
    UnknownStatus,
    UnreadableLog,
    get_lifecycle,
    read_log,
    scan_log,
    validate_history,
)
from jobfsm.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from jobfsm.lifecycles.mapping import V1_TO_V2, LifecycleMapping, mapping_between
from jobfsm.lifecycles.modelarts_v2 import MODELARTS_V2, Phase2
from jobfsm.vocabulary import Status

V2 = MODELARTS_V2
P = Phase2


@pytest.fixture(autouse=True)
def _capture(capsys: pytest.CaptureFixture[str]) -> None:
    global _CAPSYS
    _CAPSYS = capsys


_CAPSYS: pytest.CaptureFixture[str] | None = None


def run(*args: str) -> tuple[int, str, str]:
    assert _CAPSYS is not None
    _CAPSYS.readouterr()
    code = main(list(args))
    out, err = _CAPSYS.readouterr()
    return code, out, err


def csv_log(rows: list[tuple[str, str, int]], *, secondary: list[str] | None = None) -> bytes:
    header = "job_id,status,time" + (",secondary_phase" if secondary is not None else "")
    lines = [header]
    for i, (job, status, t) in enumerate(rows):
        tail = f",{secondary[i]}" if secondary is not None else ""
        lines.append(f"{job},{status},{t}{tail}")
    return ("\n".join(lines) + "\n").encode()


def sdk_record(
    job: str, phase: str, secondary: str | None, create: int, duration: int
) -> dict[str, object]:
    """A v2 training job as the SDK's show/list calls return it (the fields a reader uses)."""
    status: dict[str, object] = {"phase": phase, "duration": duration}
    if secondary is not None:
        status["secondary_phase"] = secondary
    return {
        "kind": "job",
        "metadata": {"id": job, "name": f"name-{job}", "create_time": create},
        "status": status,
        "algorithm": {"code_dir": "obs://bucket/code", "boot_file": "train.py"},
    }


# -- the declaration ------------------------------------------------------------------------


def test_the_v2_phases_are_those_the_sdk_documents() -> None:
    assert [p.name for p in P] == [
        "Creating",
        "Pending",
        "Running",
        "Failed",
        "Completed",
        "Terminating",
        "Terminated",
        "Abnormal",
    ]
    secondary = {d for p in P for d in p.details}
    assert secondary == {
        "Creating",
        "Queuing",
        "Running",
        "Failed",
        "Completed",
        "Terminating",
        "Terminated",
        "CreateFailed",
        "TerminatedFailed",
        "Unknown",
        "Lost",
    }
    assert {p.name for p in V2.terminal} == {"Failed", "Completed", "Terminated", "Abnormal"}
    assert V2.initial is P.Creating
    assert V2.gap is None


def test_every_v2_move_says_why_and_where_it_is_documented() -> None:
    for edge in V2.edges:
        assert edge.reason, edge
        assert edge.cite, edge
        # A move the documentation does not state is marked as the judgment call it is.
        assert edge.cite.startswith("judgment") or "opentelekomcloud-docs/modelarts" in edge.cite


def test_stop_is_declared_from_exactly_the_documented_phases() -> None:
    """Stop only from creating, pending or running (the terminate API and the user guide)."""
    assert {e.source for e in V2.edges if e.event == "terminate"} == {
        P.Creating,
        P.Pending,
        P.Running,
    }


@pytest.mark.parametrize(
    ("walk", "ok"),
    [
        (["Creating", "Pending", "Running", "Completed"], True),
        (["Running", "Terminating", "Terminated"], True),
        (["Creating", "Abnormal"], True),
        (["Completed", "Running"], False),
        (["Terminated", "Pending"], False),
    ],
)
def test_the_issue_walks(walk: list[str], ok: bool) -> None:
    assert validate_history(walk, "strict", lifecycle=V2).ok is ok


def test_v2_words_read_as_v1_name_the_lifecycle_that_reads_them() -> None:
    with pytest.raises(UnknownStatus) as caught:
        DEFAULT_LIFECYCLE.parse("Pending")
    assert str(caught.value) == (
        "'Pending' is a ModelArts v2 phase; read it with --lifecycle modelarts-v2"
    )
    assert "did you mean" not in str(caught.value)
    with pytest.raises(UnknownStatus, match="ModelArts v2 secondary phase"):
        DEFAULT_LIFECYCLE.parse("Queuing")
    with pytest.raises(UnknownStatus, match="ModelArts v1 status; read it with --lifecycle"):
        V2.parse("JOBSTAT_RUNNING")
    assert V2.parse("waiting") is P.Pending
    assert V2.parse("Stopped") is P.Terminated


# -- logs -----------------------------------------------------------------------------------

ISSUE_LOG = [
    ("a", "Creating", 1),
    ("a", "Pending", 2),
    ("a", "Running", 3),
    ("a", "Completed", 4),
    ("b", "Running", 1),
    ("b", "Terminating", 2),
    ("b", "Terminated", 3),
    ("c", "Creating", 1),
    ("c", "Abnormal", 2),
    ("d", "Completed", 1),
    ("d", "Running", 2),
    ("e", "Terminated", 1),
    ("e", "Pending", 2),
]


def _jsonl(rows: list[tuple[str, str, int]]) -> bytes:
    return b"".join(
        json.dumps({"job_id": j, "status": s, "time": t}).encode() + b"\n" for j, s, t in rows
    )


def _sdk(rows: list[tuple[str, str, int]]) -> bytes:
    return b"".join(
        json.dumps(sdk_record(j, s, None, 1_700_000_000_000, t * 1000)).encode() + b"\n"
        for j, s, t in rows
    )


@pytest.mark.parametrize("shape", ["csv", "jsonl", "sdk"])
@pytest.mark.parametrize("given_lifecycle", [True, False])
def test_a_v2_log_is_judged_the_same_in_every_shape(shape: str, given_lifecycle: bool) -> None:
    data = {"csv": csv_log, "jsonl": _jsonl, "sdk": _sdk}[shape](ISSUE_LOG)
    report = scan_log(
        io.BytesIO(data),
        "csv" if shape == "csv" else "jsonl",
        "strict",
        lifecycle=V2 if given_lifecycle else None,
    )
    assert report.lifecycle == "modelarts-v2"
    assert (report.lines, report.observations, report.rejected) == (13, 13, 0)
    assert (report.jobs, report.conforming) == (5, 3)
    assert sorted((v.job_id, v.source.name, v.target.name) for v in report.violations) == [
        ("d", "Completed", "Running"),
        ("e", "Terminated", "Pending"),
    ]
    assert report.outcomes == {"succeeded": 2, "failed": 1, "canceled": 2, "unfinished": 0}


def test_a_list_response_is_one_line_of_many_jobs() -> None:
    listed = {
        "total": 2,
        "count": 2,
        "items": [
            sdk_record("x", "Running", "Running", 1_700_000_000_000, 5_000),
            sdk_record("y", "Pending", "Queuing", 1_700_000_000_000, 0),
        ],
    }
    later = {"items": [sdk_record("x", "Completed", "Completed", 1_700_000_000_000, 9_000)]}
    data = (json.dumps(listed) + "\n" + json.dumps(later) + "\n").encode()
    log = read_log(io.BytesIO(data))
    assert log.lifecycle is V2
    assert [(o.job_id, o.status.name, o.detail, o.line) for o in log] == [
        ("x", "Running", "Running", 1),
        ("y", "Pending", "Queuing", 1),
        ("x", "Completed", "Completed", 2),
    ]
    assert [o.time for o in log] == [1_700_000_005.0, 1_700_000_000.0, 1_700_000_009.0]
    bad = {"items": [sdk_record("x", "Running", None, 1, 1), {"metadata": {"id": "z"}}]}
    log = read_log(io.BytesIO((json.dumps(bad) + "\n").encode()), lifecycle=V2)
    # One bad item makes the whole line bad: none of its items is taken.
    assert (len(log), log.rejected) == (0, 1)
    assert "items[1]: status is None" in log.errors[0].problem


def test_unrecognised_secondary_phases_are_counted_and_never_judged() -> None:
    rows = [("a", "Creating", 1), ("a", "Pending", 2), ("a", "Running", 3), ("a", "Completed", 4)]
    secondary = ["Creating", "Rescheduling", "CreateFailed", "Completed"]
    report = scan_log(io.BytesIO(csv_log(rows, secondary=secondary)), "csv", "strict")
    assert report.ok
    assert report.lifecycle == "modelarts-v2"
    assert report.unrecognised_details == {"Rescheduling": 1}
    assert report.mismatched_details == {"Running/CreateFailed": 1}
    as_json = report.to_dict()
    assert as_json["unrecognised_secondary_phases"] == {"Rescheduling": 1}
    log = read_log(io.BytesIO(csv_log(rows, secondary=secondary)), "csv")
    assert [o.detail for o in log] == secondary


def test_a_v2_log_read_as_v1_is_refused_whole() -> None:
    """The issue's example: read as v1 it used to lose two lines and call the job succeeded."""
    data = csv_log([("a", "Creating", 1), ("a", "Pending", 2), ("a", "Running", 3)])
    with pytest.raises(UnreadableLog) as caught:
        scan_log(io.BytesIO(data), "csv", lifecycle=DEFAULT_LIFECYCLE, name="v2.csv")
    assert str(caught.value) == (
        "cannot read status log v2.csv: line 2: 'Creating' is a ModelArts v2 phase (and 1 more "
        "line(s)), and nothing in the log is read by modelarts-v1 alone; read this log with "
        "--lifecycle modelarts-v2"
    )
    records = _sdk([("a", "Running", 1), ("a", "Completed", 2)])
    with pytest.raises(UnreadableLog, match="ModelArts v2 record"):
        read_log(io.BytesIO(records), lifecycle=DEFAULT_LIFECYCLE)


@pytest.mark.parametrize("where", [2, 5000])
def test_a_log_mixing_v1_and_v2_is_refused_whole(where: int) -> None:
    """Wherever the v2 word is (in the lines that pick the lifecycle or far below), nothing is
    half-read: the log is refused, naming a line of each lifecycle."""
    rows = [("a", str(code), i) for i, code in enumerate([1, 4, 7, 8] * 2000)]
    rows.insert(where, ("b", "Pending", 1))
    with pytest.raises(UnreadableLog, match="it mixes modelarts-v1 statuses") as caught:
        scan_log(io.BytesIO(csv_log(rows)), "csv", name="mixed.csv")
    assert f"line {where + 2}: 'Pending'" in str(caught.value)
    assert "line 2: '1'" in str(caught.value)


def test_a_v1_log_is_still_read_as_v1() -> None:
    data = _jsonl([("a", "WAITING", 1), ("a", "RUNNING", 2), ("a", "Completed", 3)])
    report = scan_log(io.BytesIO(data))
    assert report.lifecycle == "modelarts-v1"
    assert report.ok


# -- the mapping ----------------------------------------------------------------------------


def test_the_mapping_covers_every_v1_status_and_move() -> None:
    assert set(V1_TO_V2.rows) == set(JobStatus)
    assert V1_TO_V2.status(JobStatus.UNKNOWN) is None
    assert V1_TO_V2.status("WAITING") is P.Pending
    assert V1_TO_V2.status("KILLING") is P.Terminating
    assert (V1_TO_V2.status("IMAGE_FAILED"), V1_TO_V2.detail("IMAGE_FAILED")) == (
        P.Abnormal,
        "CreateFailed",
    )
    assert mapping_between("modelarts-v1", "modelarts-v2") is V1_TO_V2


def test_a_mapping_that_breaks_a_move_fails_its_check() -> None:
    rows = {
        s.name: (r.target.name if r.target is not None else None, r.detail, r.reason)
        for s, r in V1_TO_V2.rows.items()
    }
    rows["KILLED"] = ("Running", "", "wrong on purpose")  # KILLING → KILLED: Terminating → Running
    with pytest.raises(InvalidLifecycle) as caught:
        LifecycleMapping(DEFAULT_LIFECYCLE, V2, rows)
    [failure] = caught.value.failures
    assert isinstance(failure, CheckFailure)
    assert failure.check == "moves_map_to_moves"
    assert JobStatus.KILLED in failure.statuses
    del rows["LOST"]
    with pytest.raises(InvalidLifecycle, match="every_status_mapped"):
        LifecycleMapping(DEFAULT_LIFECYCLE, V2, rows)


@st.composite
def v1_walks(draw: st.DrawFn) -> list[Status]:
    """Legal v1 walks from INIT that never pass through UNKNOWN: v1 declares UNKNOWN → every
    status (a gap may end anywhere), which no lifecycle without a gap can carry."""
    walk: list[Status] = [JobStatus.INIT]
    while walk[-1].is_active and len(walk) < 30:
        onward = sorted(DEFAULT_LIFECYCLE.next_map[walk[-1]] - {JobStatus.UNKNOWN})
        walk.append(draw(st.sampled_from(onward)))
    return walk


@settings(max_examples=300, deadline=None)
@given(v1_walks())
def test_every_v1_walk_translated_to_v2_conforms(walk: list[Status]) -> None:
    assert validate_history(walk, "strict").ok
    translated = V1_TO_V2.translate(walk)
    report = validate_history(translated, "strict", lifecycle=V2)
    assert report.ok, (walk, translated, report)


def test_a_gap_is_dropped_and_what_it_hid_is_inferred() -> None:
    """UNKNOWN maps to nothing: the statuses it hid are missing in v2 as they were in v1."""
    translated = V1_TO_V2.translate([1, 7, 0, 8, 0, 10])
    assert [s.name for s in translated] == ["Creating", "Pending", "Running", "Completed"]
    gap = V1_TO_V2.translate([1, 0, 10])
    assert not validate_history(gap, "strict", lifecycle=V2).ok
    assert validate_history(gap, "polled", lifecycle=V2).ok


# -- the command line -----------------------------------------------------------------------


def test_check_judges_a_v2_log_with_the_usual_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(csv_log(ISSUE_LOG[:9]))
    code, out, _ = run("check", "--lifecycle", "modelarts-v2", "--mode", "strict", str(good))
    assert code == EXIT_OK
    assert "lifecycle modelarts-v2" in out
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(_sdk(ISSUE_LOG))
    code, out, _ = run("check", "--format", "json", str(bad))
    assert code == EXIT_INVALID
    assert json.loads(out)["lifecycle"] == "modelarts-v2"
    assert run("check", "--lifecycle", "modelarts-v1", str(good))[0] == EXIT_USAGE
    assert run("check", "--lifecycle", "modelarts-v9", str(good))[0] == EXIT_USAGE


def test_check_as_v2_reads_a_v1_fleet_in_v2_terms(tmp_path: Path) -> None:
    log = tmp_path / "v1.jsonl"
    log.write_text("\n".join(Simulation(60, seed=3).lines()) + "\n")
    code, out, _ = run("check", "--format", "json", "--as", "modelarts-v2", str(log))
    report = json.loads(out)
    assert (code, report["lifecycle"], report["ok"]) == (EXIT_OK, "modelarts-v2", True)
    assert report["jobs"] == 60
    v2 = tmp_path / "v2.csv"
    v2.write_bytes(csv_log(ISSUE_LOG))
    assert run("check", "--as", "modelarts-v1", str(v2))[0] == EXIT_USAGE


def test_simulate_writes_v2_logs_that_check_passes(tmp_path: Path) -> None:
    for name in ("fleet.jsonl", "fleet.csv"):
        out = tmp_path / name
        assert (
            run("simulate", "--lifecycle", "modelarts-v2", "--jobs", "80", "--out", str(out))[0]
            == EXIT_OK
        )
        report = scan_log(out)
        assert report.lifecycle == "modelarts-v2"
        assert report.ok
        assert report.jobs == 80
        assert not report.unrecognised_details
        assert not report.mismatched_details


def test_every_lifecycle_command_takes_lifecycle(tmp_path: Path) -> None:
    code, out, _ = run("statuses", "--lifecycle", "modelarts-v2", "--format", "json")
    assert code == EXIT_OK
    assert [r["name"] for r in json.loads(out)][:2] == ["Creating", "Pending"]
    code, out, _ = run(
        "transitions", "--lifecycle", "modelarts-v2", "--from", "Running", "--format", "json"
    )
    assert code == EXIT_OK
    assert all(m["cite"] for m in json.loads(out))
    assert run("explain", "--lifecycle", "modelarts-v2", "Completed", "Running")[0] == EXIT_INVALID
    assert run("explain", "--lifecycle", "modelarts-v2", "Pending", "Running")[0] == EXIT_OK
    code, out, _ = run("validate", "--lifecycle", "modelarts-v2", "Creating", "Pending")
    assert code == EXIT_OK
    assert run("validate", "Creating", "Pending")[0] == EXIT_USAGE
    code, out, _ = run("render", "--lifecycle", "modelarts-v2", "--format", "dot")
    assert code == EXIT_OK
    assert "Terminating" in out
    assert "JOBSTAT" not in out
    assert (
        run("render", "--lifecycle", "modelarts-v2", "--view", "phase:stop", "--format", "mermaid")[
            0
        ]
        == EXIT_OK
    )


def test_a_lifecycle_named_wrong_is_a_usage_error_naming_the_choices() -> None:
    code, _, err = run("statuses", "--lifecycle", "nope")
    assert code == EXIT_USAGE
    assert "modelarts-v1, modelarts-v2" in err
    with pytest.raises(Exception, match="modelarts-v1, modelarts-v2"):
        get_lifecycle("nope")


def test_a_job_history_records_the_phase_and_its_secondary_phase() -> None:
    from jobfsm import Job

    job = Job("train-1", lifecycle=V2)
    assert job.advance_to("Pending", detail="Queuing")
    assert job.advance_to("Completed", mode="polled", detail="Completed")
    assert [(m.target.name, m.detail, m.inferred) for m in job.history] == [
        ("Pending", "Queuing", False),
        ("Running", None, True),
        ("Completed", "Completed", False),
    ]
    snapshot = job.to_dict()
    assert snapshot["history"][0]["detail"] == "Queuing"
    again = Job.from_dict(snapshot)
    assert [m.detail for m in again.history] == [m.detail for m in job.history]
    assert again.lifecycle is V2


def test_a_detail_that_is_not_a_string_moves_nothing() -> None:
    """Refused before the first move of a polled chain, and for a repeat as for a move."""
    from jobfsm import InvalidArgument, Job

    job = Job("train-1", lifecycle=V2)
    with pytest.raises(InvalidArgument, match="detail"):
        job.advance_to("Completed", mode="polled", detail=7)  # type: ignore[arg-type]
    assert (job.status.name, job.history) == ("Creating", ())
    with pytest.raises(InvalidArgument, match="detail"):
        job.observe("Creating", detail=["Creating"])  # type: ignore[arg-type]
