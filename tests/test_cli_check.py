"""The validate, check and simulate commands: exit codes, output shapes, stdin, progress."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jobfsm.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, judging, main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, *rows: tuple[str, object, float]) -> Path:
    path.write_text(
        "".join(json.dumps({"job_id": j, "status": s, "time": t}) + "\n" for j, s, t in rows)
    )
    return path


CLEAN = (("a", "INIT", 0), ("a", "SUBMIT_TRYING", 1), ("a", 7, 2), ("b", 8, 0), ("b", 10, 1))


# -- validate ---------------------------------------------------------------------------------


def test_validate_conforming_sequence_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """A legal sequence of codes and names exits 0 and says it conforms."""
    code, out, _ = run(capsys, "validate", "1", "image_creating", "4", "7", "8", "10")
    assert code == EXIT_OK
    assert "conforms" in out


def test_validate_violation_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """A jump is a violation in strict mode (exit 1) and inferred in polled mode (exit 0)."""
    code, out, _ = run(capsys, "validate", "7", "10")
    assert code == EXIT_INVALID
    assert "cannot move WAITING(7) → COMPLETED(10)" in out
    code, out, _ = run(capsys, "validate", "7", "10", "--mode", "polled")
    assert code == EXIT_OK
    assert "inferred via RUNNING(8)" in out


def test_validate_unknown_status_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown status is a usage error with one line naming it."""
    code, _, err = run(capsys, "validate", "1", "FOO")
    assert code == EXIT_USAGE
    assert "'FOO' is not a ModelArts job status" in err
    assert "Traceback" not in err


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`validate --format json` gives the structured report."""
    code, out, _ = run(capsys, "validate", "8", "7", "--format", "json")
    data = json.loads(out)
    assert code == EXIT_INVALID
    assert data["ok"] is False
    assert data["violations"][0]["source"] == 8
    assert data["violations"][0]["target"] == 7


# -- check ------------------------------------------------------------------------------------


def test_check_clean_log_exits_0(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A log where every job conforms exits 0 with a summary table."""
    code, out, _ = run(capsys, "check", str(write(tmp_path / "ok.jsonl", *CLEAN)))
    assert code == EXIT_OK
    assert "lines  observations  rejected  jobs  conforming  violating  unfinished" in out
    assert "verdict: every one of 2 job(s) conforms" in out


def test_check_violation_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A violation exits 1 and is listed with job, line, move and allowed moves."""
    path = write(tmp_path / "bad.jsonl", *CLEAN, ("b", "RUNNING", 2))
    code, out, _ = run(capsys, "check", str(path))
    assert code == EXIT_INVALID
    assert "line 6: job b: COMPLETED(10) → RUNNING(8); allowed: none (terminal)" in out


def test_check_bad_lines_alone_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Rejected lines alone make the verdict 1: the input was judged and found wanting."""
    path = write(tmp_path / "log.jsonl", *CLEAN)
    path.write_text(path.read_text() + "{oops\n")
    code, out, _ = run(capsys, "check", str(path))
    assert code == EXIT_INVALID
    assert f"{path}:6: malformed JSON" in out
    assert "0 job(s) with violations, 1 bad line(s)" in out


def test_check_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A missing log is one line on stderr and exit 2, never a traceback."""
    code, out, err = run(capsys, "check", str(tmp_path / "nope.jsonl"))
    assert code == EXIT_USAGE
    assert out == ""
    assert err.strip().count("\n") == 0
    assert "cannot read status log" in err
    assert "No such file or directory" in err


def test_check_unusable_csv_header_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A CSV whose header lacks a status column cannot be judged: exit 2."""
    path = tmp_path / "log.csv"
    path.write_text("job_id,state,time\na,8,0\n")
    code, _, err = run(capsys, "check", str(path))
    assert code == EXIT_USAGE
    assert "no 'status' column" in err


def test_check_csv_header_with_a_repeated_column_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A CSV header naming job_id twice cannot be judged: exit 2, one line naming the column."""
    code, out, err = check_file(
        capsys, tmp_path / "log.csv", b"job_id,job_id,status,time\na,b,8,0\n"
    )
    assert (code, out) == (EXIT_USAGE, "")
    assert err.strip().count("\n") == 0
    assert "names the column 'job_id' 2 times" in err


def test_check_bad_option_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An unknown mode is a usage error."""
    code, _, err = run(capsys, "check", str(write(tmp_path / "ok.jsonl", *CLEAN)), "--mode", "x")
    assert code == EXIT_USAGE
    assert "'x' is not one of 'strict', 'polled'" in err


def test_check_json_shape(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`check --format json` has jobs, conforming, violations and errors with their fields."""
    path = write(tmp_path / "log.jsonl", *CLEAN, ("b", 8, 2), ("c", 23, 0))
    code, out, _ = run(capsys, "check", str(path), "--format", "json")
    data = json.loads(out)
    assert code == EXIT_INVALID
    assert (data["jobs"], data["conforming"], data["violating"]) == (2, 1, 1)
    (violation,) = data["violations"]
    assert {k: violation[k] for k in ("job_id", "line", "source", "target")} == {
        "job_id": "b",
        "line": 6,
        "source": 10,
        "target": 8,
    }
    assert violation["allowed"] == []
    assert data["errors"] == [{"line": 7, "message": data["errors"][0]["message"]}]
    assert "unknown status" in data["errors"][0]["message"]
    assert data["mode"] == "polled"
    assert data["lines"] == data["observations"] + data["rejected"] == 7
    assert data["outcomes"] == {"succeeded": 1, "failed": 0, "canceled": 0, "unfinished": 1}


def test_check_max_errors_caps_the_listing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--max-errors caps listed bad lines and says how many more there are."""
    path = tmp_path / "log.jsonl"
    path.write_text("\n" * 5 + json.dumps({"job_id": "a", "status": 8, "time": 0}) + "\n")
    code, out, _ = run(capsys, "check", str(path), "--max-errors", "2")
    assert code == EXIT_INVALID
    assert out.count("empty line") == 2
    assert "... and 3 more (raise --max-errors)" in out
    code, out, _ = run(capsys, "check", str(path), "--max-errors", "2", "--format", "json")
    assert (len(json.loads(out)["errors"]), json.loads(out)["errors_omitted"]) == (2, 3)


def test_check_reads_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`check -` reads the log from standard input."""
    data = write(tmp_path / "ok.jsonl", *CLEAN).read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = run(capsys, "check", "-", "--format", "json")
    assert code == EXIT_OK
    assert json.loads(out)["source"] == "<stdin>"
    assert json.loads(out)["jobs"] == 2


def test_check_polled_and_input_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Polled (the default) accepts jumps, strict does not; --input-format csv reads a log
    whatever its name. The verdict says the mode and how many statuses were inferred."""
    path = tmp_path / "log.txt"
    path.write_text("job_id,status,time\na,WAITING,0\na,COMPLETED,60\n")
    code, out, _ = run(capsys, "check", str(path), "--input-format", "csv", "--mode", "strict")
    assert code == EXIT_INVALID
    assert out.endswith("(strict mode, 0 missed statuses inferred)\n")
    code, out, _ = run(capsys, "check", str(path), "--input-format", "csv")
    assert code == EXIT_OK
    assert "inferred jumps: 1 (1 missed statuses inferred)" in out
    assert out.endswith(
        "verdict: every one of 1 job(s) conforms (polled mode, 1 missed statuses inferred)\n"
    )


def test_check_is_silent_on_stderr_when_piped(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No progress bar when stderr is not a terminal, however long the file."""
    monkeypatch.setattr(judging, "PROGRESS_BYTES", 0)
    code, _, err = run(capsys, "check", str(write(tmp_path / "ok.jsonl", *CLEAN)))
    assert code == EXIT_OK
    assert err == ""


def test_check_shows_progress_at_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A long file read with stderr at a terminal shows a progress bar there."""
    monkeypatch.setattr(judging, "PROGRESS_BYTES", 0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, out, err = run(capsys, "check", str(write(tmp_path / "ok.jsonl", *CLEAN)))
    assert code == EXIT_OK
    assert "reading" in err
    assert "reading" not in out


# -- simulate and demo ------------------------------------------------------------------------


def test_simulate_writes_a_log_that_checks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """simulate exits 0 and writes a log that passes check in polled mode."""
    path = tmp_path / "fleet.jsonl"
    code, _, err = run(capsys, "simulate", "--jobs", "8", "--seed", "3", "--out", str(path))
    assert code == EXIT_OK
    assert err.startswith(f"wrote {path}: 1271 lines (8 jobs, 1271 polls; faults: illegal 0,")
    assert run(capsys, "check", str(path), "--mode", "polled")[0] == EXIT_OK


def test_simulate_is_deterministic_and_picks_csv_by_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The same seed writes the same file; a .csv name writes CSV."""
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (a, b):
        assert run(capsys, "simulate", "--jobs", "4", "--faults", "0.1", "--out", str(path))[0] == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_text().startswith("job_id,status,time\n")


def test_simulate_faults_make_check_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A log with injected faults fails check."""
    path = tmp_path / "fleet.jsonl"
    run(capsys, "simulate", "--jobs", "8", "--faults", "0.05", "--out", str(path))
    assert run(capsys, "check", str(path), "--mode", "polled")[0] == EXIT_INVALID


def test_simulate_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    """--out - writes the log on stdout."""
    code, out, _ = run(capsys, "simulate", "--jobs", "2", "--out", "-")
    assert code == EXIT_OK
    assert all(json.loads(row)["job_id"].startswith("job-") for row in out.splitlines())


@pytest.mark.parametrize(
    "argv",
    [
        ["--jobs", "0", "--out", "x.jsonl"],
        ["--jobs", "2", "--faults", "2", "--out", "x.jsonl"],
        ["--jobs", "2", "--poll-interval", "0", "--out", "x.jsonl"],
        ["--jobs", "1", "--poll-interval", "nan", "--out", "x.jsonl"],
        ["--jobs", "1", "--poll-interval", "inf", "--out", "x.jsonl"],
        ["--jobs", "1", "--poll-interval", "1e300", "--out", "x.jsonl"],
        ["--jobs", "1", "--poll-interval", "0.000001", "--out", "x.jsonl"],
        ["--jobs", "1", "--faults", "nan", "--out", "x.jsonl"],
        ["--jobs", "2"],
    ],
)
def test_simulate_bad_options_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """Out-of-range or missing options are usage errors."""
    code, _, err = run(capsys, "simulate", *argv)
    assert code == EXIT_USAGE
    assert "Error" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("jobs", ["99999999999999999999999999", "1000001"])
def test_simulate_refuses_more_jobs_than_it_can_hold(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, jobs: str
) -> None:
    """--jobs beyond 1,000,000 is a usage error naming the range, before anything is written."""
    code, _, err = run(capsys, "simulate", "--jobs", jobs, "--out", str(tmp_path / "a.jsonl"))
    assert code == EXIT_USAGE
    assert "'--jobs'" in err
    assert "1<=x<=1000000" in err
    assert list(tmp_path.iterdir()) == []


def test_simulate_unwritable_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An output path in a missing directory is one line on stderr and exit 2."""
    code, _, err = run(capsys, "simulate", "--jobs", "2", "--out", str(tmp_path / "no" / "x"))
    assert code == EXIT_USAGE
    assert err.startswith("jobfsm: error: cannot write ")
    assert "does not exist" in err


def test_demo_checks_a_simulated_fleet(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo ends by simulating a fleet and checking it."""
    code, out, _ = run(capsys, "demo")
    assert code == EXIT_OK
    assert "$ jobfsm check fleet.jsonl --mode polled" in out
    assert "verdict:" in out


def test_check_as_a_real_subprocess(tmp_path: Path) -> None:
    """`python -m jobfsm check` runs end to end with the documented exit code and JSON."""
    path = write(tmp_path / "log.jsonl", *CLEAN, ("b", 8, 3))
    proc = subprocess.run(
        [sys.executable, "-m", "jobfsm", "check", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == EXIT_INVALID
    assert json.loads(proc.stdout)["violations"][0]["line"] == 6
    assert proc.stderr == ""


def test_demo_out_keeps_its_files_and_tells_the_store_story(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`demo --out DIR` keeps the log, its check report, two pictures and a store; reruns agree."""
    out_dir = tmp_path / "demo"
    code, first, _ = run(capsys, "demo", "--out", str(out_dir))
    assert code == EXIT_OK
    assert "expected WAITING(7) but found RUNNING(8)" in first
    assert "moved=False" in first
    kept = {p.name for p in out_dir.iterdir()}
    assert {"fleet.jsonl", "check.json", "jobs.db"} <= kept
    assert {"lifecycle.svg", "traffic.svg"} <= kept or {"lifecycle.dot", "traffic.dot"} <= kept
    report = json.loads((out_dir / "check.json").read_text())
    assert report["lines"] == report["observations"] + report["rejected"]
    code, second, _ = run(capsys, "demo", "--out", str(out_dir))
    assert code == EXIT_OK
    assert second == first


# -- regressions: crashes on odd input, empty logs, SIGTERM --------------------------------------


def check_file(
    capsys: pytest.CaptureFixture[str], path: Path, data: bytes, *argv: str
) -> tuple[int, str, str]:
    path.write_bytes(data)
    return run(capsys, "check", str(path), *argv)


def test_check_csv_job_only_on_rejected_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A CSV job id seen only on a rejected line is a bad line (exit 1), not a traceback."""
    code, out, err = check_file(capsys, tmp_path / "onebad.csv", b"a,8,1\nb,FOO,2\n")
    assert code == EXIT_INVALID
    assert "onebad.csv:2: unknown status: 'FOO'" in out
    assert err == ""


def test_check_csv_with_unrecognised_header(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A CSV headed by other names (id,state,timestamp) cannot be judged: exit 2, one line."""
    data = b"id,state,timestamp\nj1,1,2026-03-01T08:00:00Z\n"
    code, out, err = check_file(capsys, tmp_path / "h.csv", data)
    assert (code, out) == (EXIT_USAGE, "")
    assert err.count("\n") == 1
    assert "the CSV header 'id,state,timestamp' names none of the columns" in err


def test_check_json_lines_read_as_csv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`--input-format csv` on a JSON Lines log is no CSV log: exit 2, saying how to read it."""
    path = write(tmp_path / "fleet.jsonl", *CLEAN)
    code, out, err = run(capsys, "check", str(path), "--input-format", "csv")
    assert (code, out) == (EXIT_USAGE, "")
    assert "its first line is JSON, not CSV; read it as JSON Lines (--input-format jsonl)" in err


def test_check_csv_header_without_job_id_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A CSV header without job_id is one line on stderr naming the column, exit 2."""
    code, _, err = check_file(capsys, tmp_path / "log.csv", b"status,time\n8,1\n")
    assert code == EXIT_USAGE
    assert "no 'job_id' column" in err
    assert err.strip().count("\n") == 0


def test_check_absurd_time_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A time of 1e300 between two sane ones is a bad line naming the range (exit 1)."""
    path = write(
        tmp_path / "log.jsonl", ("a", 7, 1772352000), ("a", 10, 1e300), ("a", 8, 1772352030)
    )
    code, out, _ = run(capsys, "check", str(path))
    assert code == EXIT_INVALID
    assert "log.jsonl:2: time 1e+300" in out
    assert "9999-12-31" in out


def test_check_failed_modelarts_response_in_jsonl(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A failed ModelArts response in a .jsonl log is reported with its error_code and error_msg."""
    record = {"is_success": False, "error_code": "ModelArts.0104", "error_msg": "job not found"}
    code, out, _ = check_file(capsys, tmp_path / "r.jsonl", json.dumps(record).encode() + b"\n")
    assert code == EXIT_INVALID
    assert "failed API response (error_code 'ModelArts.0104', error_msg 'job not found')" in out


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.jsonl", b""),
        ("-", b""),
        ("header.csv", b"job_id,status,time\n"),
        ("-", b"\xef\xbb\xbf"),
    ],
    ids=["empty-file", "empty-stdin", "csv-header-only", "bom-only-stdin"],
)
def test_check_empty_log_says_it_has_no_lines(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    name: str,
    data: bytes,
) -> None:
    """A log without a line of data passes (exit 0, as documented), and the text says, for a file
    as for stdin, that there was nothing to judge; the JSON report counts 0 lines."""
    if name == "-":
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    else:
        (tmp_path / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "check", name)
    assert code == EXIT_OK
    assert out.endswith("\nverdict: nothing to judge: the log has no lines of data\n")
    assert "conforms" not in out
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = run(capsys, "check", name, "--format", "json")
    assert code == EXIT_OK
    assert (json.loads(out)["lines"], json.loads(out)["observations"]) == (0, 0)


def test_simulate_sigterm_leaves_no_temporary_file(tmp_path: Path) -> None:
    """SIGTERM while simulate writes a large log removes its temporary file and exits 143."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobfsm", "simulate", "--jobs", "200000", "--out", "big.jsonl"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".big.jsonl.*.tmp")) and time.monotonic() < deadline:
            assert proc.poll() is None, "simulate ended before it was stopped"
            time.sleep(0.05)
        assert list(tmp_path.glob(".big.jsonl.*.tmp")), "no temporary file appeared"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signal.SIGTERM
    assert b"Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# -- hardening: lines the csv module refuses, not a log at all, the default mode, long values -----


def test_check_and_render_read_past_a_csv_line_with_a_carriage_return(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`printf 'a\\rb,1,1\\n'` in a CSV is one bad line for check and render --log, no
    traceback; the rest of the log is judged and drawn."""
    path = tmp_path / "x.csv"
    path.write_bytes(b"a\rb,1,1\nc,7,1\nc,8,2\n")
    code, out, err = run(capsys, "check", str(path))
    assert (code, err) == (EXIT_INVALID, "")
    assert f"{path}:1: a carriage return inside the line" in out
    assert "0 job(s) with violations, 1 bad line(s)" in out
    code, out, err = run(capsys, "render", "--log", str(path), "--format", "dot")
    assert code == EXIT_OK
    assert "start ×1" in out
    assert err.startswith(f"jobfsm: warning: {path}: 1 of 3 lines rejected")


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "it is binary data"),
        ('{"job_id": "a", "status": 8, "time": 0}\n'.encode("utf-16"), "it is UTF-16"),
    ],
    ids=["png", "utf-16"],
)
@pytest.mark.parametrize("command", ["check", "render"])
def test_a_file_that_is_no_log_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes, what: str, command: str
) -> None:
    """check and render --log refuse a picture or a UTF-16 file alike: exit 2, one line."""
    path = tmp_path / "pic.png"
    path.write_bytes(data)
    argv = ["check", str(path)] if command == "check" else ["render", "--log", str(path)]
    code, out, err = run(capsys, *argv)
    assert (code, out) == (EXIT_USAGE, "")
    assert err.startswith(f"jobfsm: error: cannot read status log {path}: {what}")
    assert err.count("\n") == 1


def test_a_fault_free_simulated_log_passes_check_by_default(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`simulate --jobs 20 --out f.csv; check f.csv`: polled is the default, so a correct poll
    log conforms; the verdict says the mode and how many statuses were inferred."""
    path = tmp_path / "f.csv"
    assert run(capsys, "simulate", "--jobs", "20", "--out", str(path))[0] == EXIT_OK
    code, out, _ = run(capsys, "check", str(path))
    assert code == EXIT_OK
    assert "every one of 20 job(s) conforms (polled mode, " in out
    assert " missed statuses inferred)" in out
    code, out, _ = run(capsys, "check", str(path), "--format", "json")
    assert json.loads(out)["mode"] == "polled"


def test_max_errors_bounds_what_is_listed_and_values_are_cut(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """200 lines with a 100 KB time: --max-errors 1 lists one short entry and counts the rest."""
    path = tmp_path / "big.jsonl"
    bad = json.dumps({"job_id": "a", "status": 8, "time": "9" * 100_000}) + "\n"
    path.write_text(bad * 200)
    code, out, _ = run(capsys, "check", str(path), "--max-errors", "1")
    assert code == EXIT_INVALID
    assert len(out) < 2000
    assert "... and 199 more (raise --max-errors)" in out
    code, out, _ = run(capsys, "check", str(path), "--max-errors", "1", "--format", "json")
    data = json.loads(out)
    assert (len(data["errors"]), data["errors_omitted"], data["rejected"]) == (1, 199, 200)
    assert len(data["errors"][0]["message"]) < 300


def test_json_violations_are_capped_by_max_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Violations are listed up to --max-errors in JSON too; violations_omitted counts the rest."""
    rows = [("a", 10, 0)] + [("a", 8 if i % 2 else 7, i) for i in range(1, 11)]
    path = write(tmp_path / "v.jsonl", *rows)
    code, out, _ = run(capsys, "check", str(path), "--max-errors", "3", "--format", "json")
    data = json.loads(out)
    assert code == EXIT_INVALID
    assert (len(data["violations"]), data["violations_omitted"]) == (3, 7)
