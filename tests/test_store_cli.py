"""The `jobfsm store` commands, in-process on both backends and once as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from jobfsm import JobStatus, JobStore
from jobfsm.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main, parse_duration

S = JobStatus


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def url(store_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert run(capsys, "store", "init", store_url)[0] == EXIT_OK
    return store_url


def test_init_is_idempotent(capsys: pytest.CaptureFixture[str], url: str) -> None:
    """`store init` on an initialized store succeeds and keeps the jobs."""
    run(capsys, "store", "create", url, "j-1")
    code, out, _ = run(capsys, "store", "init", url)
    assert code == EXIT_OK
    assert "jobfsm store ready at" in out
    assert run(capsys, "store", "show", url, "j-1")[0] == EXIT_OK


def test_create_and_move(capsys: pytest.CaptureFixture[str], url: str) -> None:
    """`store create` then `store move` print each move with its event and version."""
    code, out, _ = run(capsys, "store", "create", url, "j-1", "--label", "team=vision")
    assert (code, out) == (EXIT_OK, "created job j-1 in INIT(1)\n")
    code, out, _ = run(capsys, "store", "move", url, "j-1", "submit_trying", "--actor", "me")
    assert (code, out) == (EXIT_OK, "job j-1: INIT(1) → SUBMIT_TRYING(4) by 'submit' (version 1)\n")
    code, out, _ = run(capsys, "store", "move", url, "j-1", "4")
    assert (code, out) == (EXIT_OK, "job j-1: already SUBMIT_TRYING(4); nothing to do\n")


def test_refused_move_exits_1(capsys: pytest.CaptureFixture[str], url: str) -> None:
    """An illegal move prints one line naming the allowed moves and exits 1."""
    run(capsys, "store", "create", url, "j-1", "--status", "RUNNING")
    code, out, err = run(capsys, "store", "move", url, "j-1", "WAITING")
    assert (code, out) == (EXIT_INVALID, "")
    assert err.startswith("jobfsm: refused: job j-1: cannot move RUNNING(8) → WAITING(7);")
    assert err.count("\n") == 1


def test_stale_expected_exits_1(capsys: pytest.CaptureFixture[str], url: str) -> None:
    """`--expected` that does not match is refused with exit 1."""
    run(capsys, "store", "create", url, "j-1", "--status", "RUNNING")
    code, _, err = run(capsys, "store", "move", url, "j-1", "KILLING", "--expected", "WAITING")
    assert code == EXIT_INVALID
    assert "expected WAITING(7) but found RUNNING(8)" in err


def test_duplicate_create_exits_1(capsys: pytest.CaptureFixture[str], url: str) -> None:
    """Creating a job twice is refused with exit 1."""
    run(capsys, "store", "create", url, "j-1")
    code, _, err = run(capsys, "store", "create", url, "j-1")
    assert code == EXIT_INVALID
    assert "'j-1' is already in the store" in err


def test_show_status_and_history(capsys: pytest.CaptureFixture[str], url: str) -> None:
    """`store show` prints the status line and one row per move; json has the same facts."""
    run(capsys, "store", "create", url, "j-1", "--label", "team=vision")
    run(capsys, "store", "move", url, "j-1", "IMAGE_CREATING", "--reason", "build")
    code, out, _ = run(capsys, "store", "show", url, "j-1")
    assert code == EXIT_OK
    first, _, header, _, row = out.splitlines()
    assert first.startswith("job j-1: IMAGE_CREATING(2) since ")
    assert "version 1" in first
    assert "labels team=vision" in first
    assert header.split() == ["seq", "at", "source", "target", "event", "reason", "actor"]
    assert row.split()[2:] == ["INIT(1)", "IMAGE_CREATING(2)", "create_image", "build"]
    code, out, _ = run(capsys, "store", "show", url, "j-1", "--format", "json")
    data = json.loads(out)
    assert (data["status"], data["version"], data["labels"]) == (2, 1, {"team": "vision"})
    assert [(m["source"], m["target"]) for m in data["history"]] == [(1, 2)]


def test_list_filters(capsys: pytest.CaptureFixture[str], url: str) -> None:
    """`store list` filters by status and activity and limits the rows."""
    for job_id, status in (("a", "RUNNING"), ("b", "COMPLETED"), ("c", "WAITING")):
        run(capsys, "store", "create", url, job_id, "--status", status)

    def ids(*options: str) -> list[str]:
        code, out, _ = run(capsys, "store", "list", url, "--format", "json", *options)
        assert code == EXIT_OK
        return [r["job_id"] for r in json.loads(out)]

    assert ids() == ["a", "b", "c"]
    assert ids("--active") == ["a", "c"]
    assert ids("--status", "RUNNING", "--status", "COMPLETED") == ["a", "b"]
    assert ids("--limit", "1") == ["a"]
    _, out, _ = run(capsys, "store", "list", url)
    assert out.splitlines()[0].split() == ["job", "status", "version", "since", "labels"]
    assert len(out.splitlines()) == 5


@pytest.mark.parametrize("limit", ["99999999999999999999999", "1000000001", "0", "-1"])
def test_list_limit_out_of_range_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], url: str, limit: str
) -> None:
    """A --limit outside 1..1,000,000,000 is a usage error naming the range, not a traceback."""
    code, out, err = run(capsys, "store", "list", url, f"--limit={limit}")
    assert (code, out) == (EXIT_USAGE, "")
    assert "'--limit'" in err
    assert "1<=x<=1000000000" in err
    assert "Traceback" not in err


def test_stale_lists_stuck_jobs_and_exits_1(
    capsys: pytest.CaptureFixture[str], url: str, store_url: str
) -> None:
    """`store stale` lists jobs stuck in a status too long and exits 1 when it finds any."""
    store = JobStore(store_url)
    store.create("stuck", S.KILLING, created_at=datetime.now(timezone.utc) - timedelta(minutes=30))
    store.create("fresh", S.KILLING)
    store.close()
    stale = ["store", "stale", url, "--status", "KILLING"]
    code, out, _ = run(capsys, *stale, "--older-than", "10m", "--format", "json")
    assert code == EXIT_INVALID
    assert [r["job_id"] for r in json.loads(out)] == ["stuck"]
    code, out, _ = run(capsys, *stale, "--older-than", "1h")
    assert code == EXIT_OK
    assert out == "no job has been in KILLING(9) for longer than 1:00:00\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("90s", timedelta(seconds=90)), ("10m", timedelta(minutes=10)), ("2h", timedelta(hours=2)),
     ("1d", timedelta(days=1)), ("1h30m", timedelta(minutes=90))],
)  # fmt: skip
def test_durations(text: str, expected: timedelta) -> None:
    """Durations are numbers with s, m, h or d, and may be combined."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "10", "10x", "m10", "1.5h", "-5m"])
def test_bad_duration_exits_2(capsys: pytest.CaptureFixture[str], text: str) -> None:
    """A malformed duration is a usage error naming the accepted forms."""
    code, _, err = run(capsys, "store", "stale", "x.db", "--status", "9", "--older-than", text)
    assert code == EXIT_USAGE
    assert "such as 90s, 10m, 2h, 1d" in err


def test_bad_label_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A label without ``=`` is a usage error."""
    code, _, err = run(capsys, "store", "create", "x.db", "j-1", "--label", "team")
    assert code == EXIT_USAGE
    assert "'team' is not a label; use key=value" in err


def test_label_given_twice_exits_2(capsys: pytest.CaptureFixture[str], url: str) -> None:
    """A key given twice is refused naming both values, and no job is created."""
    code, _, err = run(capsys, "store", "create", url, "j-1", "--label", "a=1", "--label", "a=2")
    assert code == EXIT_USAGE
    assert "label 'a' is given twice (a=1, a=2); give each key once" in err
    assert run(capsys, "store", "show", url, "j-1")[0] == EXIT_USAGE


def test_unknown_status_exits_2(capsys: pytest.CaptureFixture[str], url: str) -> None:
    """An unknown status is a usage error with suggestions."""
    run(capsys, "store", "create", url, "j-1")
    code, _, err = run(capsys, "store", "move", url, "j-1", "RUNING")
    assert code == EXIT_USAGE
    assert "did you mean RUNNING?" in err


def test_unknown_job_exits_2(capsys: pytest.CaptureFixture[str], url: str) -> None:
    """An unknown job is reported in one line with exit 2."""
    code, _, err = run(capsys, "store", "show", url, "nope")
    assert (code, err) == (
        EXIT_USAGE,
        "jobfsm: error: job 'nope' is not in the store; create it first (`jobfsm store create`)\n",
    )


def test_unreachable_database_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unreachable server is one line naming the URL without its password, exit 2."""
    code, _, err = run(capsys, "store", "list", "postgresql://sched:hunter2@127.0.0.1:1/jobs")
    assert code == EXIT_USAGE
    assert err.startswith(
        "jobfsm: error: cannot use the job store at postgresql+psycopg://sched:***@"
    )
    assert "hunter2" not in err
    assert err.count("\n") == 1


def test_store_commands_in_a_subprocess(tmp_path: Path) -> None:
    """`python -m jobfsm store …` works end to end as a real process."""
    db = str(tmp_path / "jobs.db")

    def jobfsm(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jobfsm", "store", *argv],
            capture_output=True,
            text=True,
            check=False,
        )

    assert jobfsm("init", db).returncode == EXIT_OK
    assert jobfsm("create", db, "j-1").returncode == EXIT_OK
    assert jobfsm("move", db, "j-1", "CHECK_INIT").returncode == EXIT_OK
    refused = jobfsm("move", db, "j-1", "COMPLETED")
    assert refused.returncode == EXIT_INVALID
    assert "Traceback" not in refused.stderr
    shown = jobfsm("show", db, "j-1", "--format", "json")
    assert json.loads(shown.stdout)["status_name"] == "CHECK_INIT"


def test_a_file_that_is_not_a_database_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A store path naming some other kind of file is one line on stderr and exit 2."""
    other = tmp_path / "fleet.jsonl"
    other.write_text('{"job_id": "a", "status": 8, "time": 1}\n' * 50)
    for argv in (["store", "list", str(other)], ["store", "init", str(other)]):
        code, _, err = run(capsys, *argv)
        assert code == EXIT_USAGE
        assert "file is not a database" in err
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1


def test_read_commands_do_not_create_a_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A mistyped store path is an error naming `store init`, and no file is left behind."""
    typo = tmp_path / "jbos.db"
    for sub in (["list", str(typo)], ["show", str(typo), "j-1"], ["move", str(typo), "j", "8"]):
        code, _, err = run(capsys, "store", *sub)
        assert code == EXIT_USAGE
        assert "no such database file" in err
        assert "jobfsm store init" in err
        assert not typo.exists()


def test_commands_leave_an_empty_file_empty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An empty file is no store: every command but init says so, and the file stays empty
    (SQLite would take it for a new database and write its header into it)."""
    empty = tmp_path / "e.db"
    empty.touch()
    for sub in (
        ["list", str(empty)],
        ["show", str(empty), "j-1"],
        ["stale", str(empty), "--status", "KILLING", "--older-than", "1m"],
        ["create", str(empty), "j-1"],
        ["move", str(empty), "j", "8"],
    ):
        code, _, err = run(capsys, "store", *sub)
        assert code == EXIT_USAGE
        assert "it holds no jobfsm tables; run `jobfsm store init URL`" in err
        assert empty.stat().st_size == 0
    assert run(capsys, "store", "init", str(empty))[0] == 0
    assert empty.stat().st_size > 0


def test_init_names_the_store_without_a_repr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`store init` says where the store is, as a URL."""
    code, out, _ = run(capsys, "store", "init", str(tmp_path / "jobs.db"))
    assert code == EXIT_OK
    assert out.strip() == f"jobfsm store ready at sqlite:///{tmp_path / 'jobs.db'}"


def test_a_password_in_the_query_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    """A password given as ?password=... never reaches the message."""
    code, _, err = run(
        capsys, "store", "list", "postgresql+psycopg://u@127.0.0.1:1/x?password=s3cret"
    )
    assert code == EXIT_USAGE
    assert "s3cret" not in err
    assert "password=***" in err


@pytest.mark.parametrize("job_id", ["", "   "])
def test_blank_job_id_exits_2(capsys: pytest.CaptureFixture[str], url: str, job_id: str) -> None:
    """An empty or blank job id is refused with a clear message."""
    code, _, err = run(capsys, "store", "create", url, job_id)
    assert code == EXIT_USAGE
    assert "is not a job id" in err


def test_huge_durations_are_refused_or_find_nothing(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    """A duration past timedelta's range is a usage error; one past any stored time finds none."""
    code, _, err = run(
        capsys, "store", "stale", url, "--status", "KILLING", "--older-than", "99999999999d"
    )
    assert code == EXIT_USAGE
    assert "longer than a duration can be" in err
    code, out, _ = run(
        capsys, "store", "stale", url, "--status", "KILLING", "--older-than", "999999d"
    )
    assert code == EXIT_OK
    assert "no job" in out.lower()


def test_a_directory_is_named_as_one(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A store path that is a directory is one line saying so and suggesting a file in it."""
    for sub in ("init", "list", "create"):
        argv = [sub, str(tmp_path)] + (["j-1"] if sub == "create" else [])
        code, _, err = run(capsys, "store", *argv)
        assert code == EXIT_USAGE
        assert err == (
            f"jobfsm: error: cannot use the job store at sqlite:///{tmp_path}: '{tmp_path}' is a "
            f"directory; give a database file path such as {tmp_path / 'jobs.db'}\n"
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("job_id", ["a\nb", "a\tb", "a\rb"])
def test_job_id_with_a_control_character_exits_2(
    capsys: pytest.CaptureFixture[str], url: str, job_id: str
) -> None:
    """An id that would break the show and list tables is refused in one line; nothing stored."""
    code, _, err = run(capsys, "store", "create", url, job_id)
    assert code == EXIT_USAGE
    assert err.startswith(f"jobfsm: error: {job_id!r} is not a job id: it contains the control")
    assert err.count("\n") == 1
    assert run(capsys, "store", "list", url, "--format", "json")[1] == "[]\n"


def test_an_empty_url_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An empty store URL is a usage error naming the argument, not the current directory."""
    code, _, err = run(capsys, "store", "list", "")
    assert code == EXIT_USAGE
    assert err.startswith("jobfsm: error: url '' is not accepted; expected a SQLite file path")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///q.db?timeout=abc", "url parameter timeout 'abc' is not accepted"),
        ("sqlite:///q.db?cached_statements=x", "url parameter 'cached_statements' is not accepted"),
        ("postgresql://u:hunter2@h/db?port=abc", "url parameter port 'abc' is not accepted"),
        ("postgresql://u:hunter2@h/db?foo=1", "url parameter 'foo' is not accepted"),
    ],
)
def test_a_bad_url_parameter_exits_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    message: str,
) -> None:
    """`store init` with a malformed or unknown URL parameter is one line naming it, exit 2."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "store", "init", url)
    assert (code, out) == (EXIT_USAGE, "")
    assert err.startswith(f"jobfsm: error: {message}; expected ")
    assert err.count("\n") == 1
    assert "hunter2" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv",
    [
        [b"create", b"DB", b"\xff"],
        [b"create", b"DB", b"j-2", b"--label", b"k=\xff"],
        [b"create", b"DB", b"j-2", b"--label", b"\xff=v"],
        [b"move", b"DB", b"j-1", b"RUNNING", b"--reason", b"\xff"],
        [b"move", b"DB", b"j-1", b"RUNNING", b"--actor", b"\xff"],
        [b"show", b"DB", b"\xff"],
        [b"init", b"\xff.db"],
        [b"list", b"sqlite:///\xff.db"],
    ],
)
def test_undecodable_arguments_exit_2(tmp_path: Path, argv: list[bytes]) -> None:
    """An argument holding a byte that is not UTF-8 ends a store command with click's usage error
    (exit 2, an Error: line naming the parameter), never a traceback; nothing is stored, so a
    strict UTF-8 reader can read the listing."""
    db = tmp_path / "jobs.db"
    with JobStore(db) as store:
        store.create_schema()
        store.create("j-1", S.WAITING)
    command = [sys.executable.encode(), b"-m", b"jobfsm", b"store"]
    command += [bytes(db) if a == b"DB" else a for a in argv]
    done = subprocess.run(command, capture_output=True, cwd=tmp_path, check=False)
    assert done.returncode == EXIT_USAGE
    assert done.stdout == b""
    assert done.stderr.startswith(b"Usage: jobfsm store ")
    last = done.stderr.splitlines()[-1]
    assert last.startswith(b"Error: Invalid value for '")
    assert last.endswith(b"is not UTF-8 text; give it in UTF-8")
    assert b"Traceback" not in done.stderr
    listing = subprocess.run(
        [sys.executable, "-m", "jobfsm", "store", "list", str(db), "--format", "json"],
        capture_output=True,
        check=True,
    )
    records = json.loads(listing.stdout.decode("utf-8", errors="strict"))
    assert [(r["job_id"], r["version"], r["labels"]) for r in records] == [("j-1", 0, {})]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("jobs.db")) == []


@pytest.mark.parametrize("sub", ["init", "list", "create", "move"])
def test_a_missing_directory_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, sub: str
) -> None:
    """A store path in a directory that does not exist names that directory, as render does,
    instead of SQLite's "unable to open database file"; exit 2, nothing created."""
    db = tmp_path / "nodir" / "jobs.db"
    extra = {"create": ["j-1"], "move": ["j-1", "RUNNING"]}.get(sub, [])
    code, out, err = run(capsys, "store", sub, str(db), *extra)
    assert (code, out) == (EXIT_USAGE, "")
    assert err == (
        f"jobfsm: error: cannot use the job store at sqlite:///{db}: the directory "
        f"{tmp_path / 'nodir'} does not exist; create it first, or give another path\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_file_in_the_way_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A path through a file (not a directory) says which file is in the way."""
    (tmp_path / "afile").write_text("x")
    code, _, err = run(capsys, "store", "init", str(tmp_path / "afile" / "sub" / "jobs.db"))
    assert code == EXIT_USAGE
    assert err.endswith(f": {tmp_path / 'afile'} is a file, not a directory; give another path\n")


def test_a_duration_of_thousands_of_digits_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--older-than with more digits than int() converts says it is too long, in a short line."""
    code, _, err = run(
        capsys, "store", "stale", str(tmp_path / "x.db"), "--status", "KILLING",
        "--older-than", "9" * 5000 + "m",
    )  # fmt: skip
    assert code == EXIT_USAGE
    assert err.rstrip().endswith("... is longer than a duration can be (at most 999999999 days)")
    assert "set_int_max_str_digits" not in err
    assert len(err) < 400


def test_store_move_takes_the_observed_time_and_polled_mode(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--at is kept in the history; --mode polled records the skipped statuses as inferred moves;
    an observation older than the job's last change is late: exit 0, nothing written."""
    db = str(tmp_path / "jobs.db")
    assert run(capsys, "store", "init", db)[0] == EXIT_OK
    assert run(capsys, "store", "create", db, "j", "--status", "WAITING")[0] == EXIT_OK
    assert run(capsys, "store", "move", db, "j", "COMPLETED")[0] == EXIT_INVALID  # strict
    code, out, _ = run(
        capsys, "store", "move", db, "j", "COMPLETED", "--mode", "polled",
        "--at", "2099-01-01T00:00:00Z",
    )  # fmt: skip
    assert code == EXIT_OK
    assert out == (
        "job j: WAITING(7) → RUNNING(8) → COMPLETED(10) by 'complete' (version 2) "
        "(RUNNING(8) inferred)\n"
    )
    with JobStore(db) as store:
        history = store.history("j")
    assert [(m.target, m.inferred) for m in history] == [(S.RUNNING, True), (S.COMPLETED, False)]
    assert {m.at for m in history} == {datetime(2099, 1, 1, tzinfo=timezone.utc)}
    assert run(capsys, "store", "create", db, "k", "--status", "WAITING")[0] == EXIT_OK
    code, out, _ = run(capsys, "store", "move", db, "k", "RUNNING", "--at", "946684800")
    assert (code, out) == (
        EXIT_OK,
        "job k: late: observed at 2000-01-01T00:00:00+00:00, before its last change; "
        "nothing written\n",
    )
    with JobStore(db) as store:
        assert (store.get("k").status, store.history("k")) == (S.WAITING, ())


@pytest.mark.parametrize("at", ["nonsense", "-5", "1e400"])
def test_store_move_refuses_a_time_that_is_not_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, at: str
) -> None:
    """A bad --at is a usage error naming the option and what a time looks like."""
    code, _, err = run(capsys, "store", "move", str(tmp_path / "x.db"), "j", "8", "--at", at)
    assert code == EXIT_USAGE
    assert "Invalid value for '--at'" in err
    assert "Traceback" not in err
