"""The core CLI commands, in-process through main() and once as a real subprocess."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from jobfsm import DEFAULT_LIFECYCLE, JobStatus
from jobfsm.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, cli, display_width, main, table


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_statuses_table(capsys: pytest.CaptureFixture[str]) -> None:
    """`statuses` prints one row per status with its classification."""
    code, out, _ = run(capsys, "statuses")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert len(lines) == 2 + 23
    assert "MOUNT_FAILED" in lines[-1]
    assert "挂载失败" in lines[-1]


def test_statuses_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`statuses --format json` is machine-readable and complete."""
    code, out, _ = run(capsys, "statuses", "--format", "json")
    rows = json.loads(out)
    assert code == EXIT_OK
    assert [r["code"] for r in rows] == list(range(23))
    running = rows[8]
    assert running == {
        "code": 8,
        "name": "RUNNING",
        "code_name": "JOBSTAT_RUNNING",
        "terminal": False,
        "outcome": None,
        "phase": "run",
        "description": "The job is running",
        "description_zh": "作业正在运行中",
    }


def test_transitions_json_lists_every_edge(capsys: pytest.CaptureFixture[str]) -> None:
    """`transitions --format json` lists each declared edge with its event and reason."""
    code, out, _ = run(capsys, "transitions", "--format", "json")
    rows = json.loads(out)
    assert code == EXIT_OK
    assert len(rows) == len(DEFAULT_LIFECYCLE.edges)
    assert {"source": 7, "source_name": "WAITING", "target": 8, "target_name": "RUNNING",
            "event": "start", "reason": "resources granted; the job runs"} in rows  # fmt: skip


def test_transitions_from_one_status(capsys: pytest.CaptureFixture[str]) -> None:
    """`transitions --from KILLING` shows only the moves out of KILLING."""
    code, out, _ = run(capsys, "transitions", "--from", "killing")
    assert code == EXIT_OK
    body = out.splitlines()[2:]
    assert len(body) == len(DEFAULT_LIFECYCLE.allowed_next(JobStatus.KILLING))
    assert all(line.startswith("KILLING(9)") for line in body)


def test_explain_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """`explain` exits 0 for a legal move and 1 for an illegal one, saying why."""
    code, out, _ = run(capsys, "explain", "WAITING", "RUNNING")
    assert code == EXIT_OK
    assert "legal by 'start'" in out
    code, out, _ = run(capsys, "explain", "8", "7")
    assert code == EXIT_INVALID
    assert "allowed moves are" in out


def test_explain_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`explain --format json` gives the structured verdict."""
    code, out, _ = run(capsys, "explain", "10", "8", "--format", "json")
    verdict = json.loads(out)
    assert code == EXIT_INVALID
    assert verdict["kind"] == "from_terminal"
    assert (verdict["source_name"], verdict["target_name"]) == ("COMPLETED", "RUNNING")
    assert verdict["allowed"] == []


@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "RUNNING", "23"],
        ["explain", "RUNNING"],
        ["statuses", "--format", "xml"],
        ["no-such-command"],
        ["transitions", "--from", "FOO"],
    ],
)
def test_usage_errors_exit_2_without_traceback(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Bad arguments give a one-line reason on stderr and exit code 2."""
    code, _out, err = run(capsys, *argv)
    assert code == EXIT_USAGE
    assert "Traceback" not in err
    assert "Error" in err


def test_an_unknown_status_names_the_input_and_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt status is named and the closest one suggested."""
    code, _, err = run(capsys, "explain", "RUNING", "COMPLETED")
    assert code == EXIT_USAGE
    assert "'RUNING' is not a ModelArts job status" in err
    assert "did you mean RUNNING?" in err


def test_demo_walks_a_job_and_rejects_a_move(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo shows the table, each move of a job to COMPLETED, and a rejection."""
    code, out, _ = run(capsys, "demo")
    assert code == EXIT_OK
    assert "RUNNING(8) → COMPLETED(10)  by 'complete'" in out
    assert "cannot move RUNNING(8) → WAITING(7)" in out
    assert "COMPLETED(10) is terminal" in out


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    """--help and --version exit 0."""
    assert run(capsys, "--help")[0] == EXIT_OK
    code, out, _ = run(capsys, "--version")
    assert code == EXIT_OK
    assert "jobfsm" in out


def test_the_installed_command_runs_as_a_subprocess() -> None:
    """`python -m jobfsm` works as a real process, with the documented exit codes."""
    ok = subprocess.run(
        [sys.executable, "-m", "jobfsm", "explain", "WAITING", "RUNNING"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == EXIT_OK, ok.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "jobfsm", "explain", "WAITING", "99"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == EXIT_USAGE
    assert "Traceback" not in bad.stderr
    assert "99" in bad.stderr


def test_transitions_from_a_terminal_status_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    """`transitions --from COMPLETED` explains why there is nothing to list."""
    code, out, _ = run(capsys, "transitions", "--from", "COMPLETED")
    assert code == EXIT_OK
    assert out == "COMPLETED(10) is terminal: no move leaves it (a re-run is a new job)\n"


def test_table_aligns_wide_characters_by_display_width() -> None:
    """Double-width (CJK) characters count as two columns, so the next column lines up."""
    lines = table(["名字", "n"], [("作业", 1), ("ab", 2), ("e\u0301", 3)]).splitlines()
    assert lines == ["名字  n", "----  -", "作业  1", "ab    2", "e\u0301     3"]
    assert [display_width(line) for line in lines] == [7, 7, 7, 7, 7]


def test_statuses_underlines_the_chinese_column_to_its_width(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The rule under 说明 is as wide as its widest description in terminal columns."""
    code, out, _ = run(capsys, "statuses")
    assert code == EXIT_OK
    rule = out.splitlines()[1].split("  ")[-1]
    assert len(rule) == max(display_width(s.description_zh) for s in JobStatus)
    assert len(rule) > max(len(s.description_zh) for s in JobStatus)


def test_top_level_help_lists_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    """`jobfsm --help` ends with the exit codes, Ctrl-C and SIGTERM included."""
    code, out, _ = run(capsys, "--help")
    assert code == EXIT_OK
    codes = out[out.index("Exit codes:") :]
    for line in ("0    ok", "1    the input was judged", "2    usage error", "130  interrupted",
                 "143  stopped by SIGTERM"):  # fmt: skip
        assert line in codes


@pytest.mark.parametrize(
    ("command", "codes"),
    [
        (["statuses"], "Exit 0, or 2 for a usage error"),
        (["transitions"], "Exit 0, or 2 for a usage error"),
        (["explain"], "Exit 0 when it is legal, 1 when it is not, 2 for a usage error"),
        (["validate"], "Exit 0 when it conforms, 1 when an observation is rejected, 2"),
        (["check"], "Exit 0 when every job conforms"),
        (["mine"], "Exit 0 when nothing undeclared was observed, 1 when something was, 2"),
        (["simulate"], "Ctrl-C (exit 130) or SIGTERM (exit 143)"),
        (["render"], "Exit 0, or 2 for a usage error"),
        (["demo"], "Exit 0, or 2 when --out cannot be written"),
        (["store"], "Exit codes: 0 ok; 1 a move or create was refused"),
        (["store", "init"], "Exit 0, or 2 for a usage error or a store"),
        (["store", "upgrade"], "Exit 0, or 2 for a usage error, a store that cannot be"),
        (["store", "create"], "Exit 0 when created, 1 when JOB_ID is already there, 2"),
        (["store", "move"], "Exit 0 when moved, already there, or late"),
        (["store", "show"], "Exit 0, or 2 for a usage error, an unknown job"),
        (["store", "list"], "Exit 0, or 2 for a usage error"),
        (["store", "stale"], "Exit 0 when there are none, 1 when there are any, 2"),
        (["sql"], "Exit 0, or 2 for a usage error"),
        (["store", "overdue"], "Exit 0 when no job is overdue, 1 when any is, 2"),
    ],
)
def test_each_command_help_states_its_exit_codes(
    capsys: pytest.CaptureFixture[str], command: list[str], codes: str
) -> None:
    """Every command's --help says which exit codes it gives."""
    code, out, _ = run(capsys, *command, "--help")
    assert code == EXIT_OK
    assert codes in " ".join(out.split())


def test_explain_help_shows_its_default_format(capsys: pytest.CaptureFixture[str]) -> None:
    """explain --format shows its default like every other command's --format."""
    _, out, _ = run(capsys, "explain", "--help")
    assert "[default: text]" in out


CLI_PAGE = Path(__file__).parent.parent / "docs" / "pages" / "cli.md"


def synopsis_lines() -> list[str]:
    """The synopsis block of the command line reference page (docs/pages/cli.md)."""
    page = CLI_PAGE.read_text(encoding="utf-8")
    section = page[page.index("\n## Synopsis\n") :]
    start = section.index("```text\n") + len("```text\n")
    return section[start : section.index("\n```", start)].splitlines()


def synopsis(command: list[str]) -> str:
    """The lines of ``command`` in the synopsis, continuations included."""
    lines = synopsis_lines()
    prefix = f"jobfsm {' '.join(command)} "
    start = next((i for i, line in enumerate(lines) if line.startswith(prefix)), None)
    assert start is not None, f"the synopsis in {CLI_PAGE.name} has no line for {prefix.strip()}"
    block = [lines[start]]
    block += itertools.takewhile(lambda line: line.startswith(" "), lines[start + 1 :])
    return "\n".join(block)


def subcommands(group: click.Group) -> dict[str, click.Command]:
    """The group's commands, those it loads when run included (``jobfsm`` loads each command's
    module when the command is run)."""
    with click.Context(group) as ctx:
        found = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}


def leaf_commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> list[list[str]]:
    """Every command a user runs (``store move``, not ``store``), as its words after jobfsm."""
    found = []
    for name, command in sorted(subcommands(group).items()):
        if isinstance(command, click.Group):
            found += leaf_commands(command, (*path, name))
        else:
            found.append([*path, name])
    return found


@pytest.mark.parametrize("command", leaf_commands(), ids=" ".join)
def test_the_synopsis_names_every_option(command: list[str]) -> None:
    """Each command has a line in the docs' synopsis, showing all of its options."""
    found: click.Command = cli
    for name in command:
        assert isinstance(found, click.Group)
        found = subcommands(found)[name]
    options = {opt for param in found.params for opt in param.opts if opt.startswith("--")}
    written = synopsis(command)
    missing = sorted(opt for opt in options - {"--help"} if opt not in written)
    assert not missing, f"the synopsis of {' '.join(command)} in {CLI_PAGE.name} lacks {missing}"


def test_the_synopsis_lists_only_commands_that_exist() -> None:
    """Each line of the synopsis starts with a command jobfsm has (a removed one would linger)."""
    commands = leaf_commands()
    assert ["store", "move"] in commands
    for line in synopsis_lines():
        if line.startswith("jobfsm "):
            words = line.split()[1:]
            assert any(words[: len(c)] == c for c in commands), line


def test_the_synopsis_shows_dash_for_stdout() -> None:
    """simulate and render both document --out - (stdout)."""
    assert "--out LOG|-" in synopsis(["simulate"])
    assert "--out FILE|-" in synopsis(["render"])


@pytest.mark.parametrize(
    "argv", [["statuses"], ["simulate", "--jobs", "2000", "--out", "-"], ["transitions"]]
)
def test_a_reader_that_leaves_early_is_not_an_error(argv: list[str]) -> None:
    """`jobfsm ... | head`: the closed pipe ends the command with 0 and nothing on stderr."""
    with subprocess.Popen(
        [sys.executable, "-m", "jobfsm", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.close()  # before the command has written: every write meets a closed pipe
        err = proc.stderr.read()
        assert (proc.wait(timeout=60), err) == (EXIT_OK, b"")


HUGE_CODE = "9" * 5000


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["explain", HUGE_CODE, "8"], "'SOURCE'"),
        (["explain", "8", HUGE_CODE], "'TARGET'"),
        (["validate", "7", HUGE_CODE], "'STATUSES...'"),
        (["transitions", "--from", HUGE_CODE], "'--from'"),
        (["render", "--format", "dot", "--path", f"7,{HUGE_CODE}"], "'--path'"),
        (["render", "--format", "dot", "--view", f"from:{HUGE_CODE}"], "'--view'"),
        (["store", "list", "sqlite:///unused.db", "--status", HUGE_CODE], "'--status'"),
    ],
    ids=["explain-source", "explain-target", "validate", "transitions", "render-path",
         "render-view", "store-list"],
)  # fmt: skip
def test_a_status_of_thousands_of_digits_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], argv: list[str], option: str
) -> None:
    """A code over Python's 4,300-digit int limit is an unknown status: exit 2, one short
    message naming the parameter, no traceback."""
    code, out, err = run(capsys, *argv)
    assert (code, out) == (EXIT_USAGE, "")
    assert option in err
    assert "Traceback" not in err
    assert len(err) < 1000


# -- text arguments are UTF-8: click hands the byte 0xff over as '\udcff' --------------------------

BAD = "\udcff"  # the byte 0xff as click decodes it (surrogateescape)
DB = "sqlite:///unused.db"
#: What `jobfsm sql` needs besides --dialect.
SQL = ["--table", "t", "--column", "c"]

#: Every text parameter of every command, given the byte 0xff: (argv, command, parameter, shown).
TEXT_PARAMETERS = [
    (["statuses", "--format", BAD], "statuses", "fmt", "'--format'"),
    (["transitions", "--format", BAD], "transitions", "fmt", "'--format'"),
    (["transitions", "--from", BAD], "transitions", "source", "'--from'"),
    (["explain", BAD, "8"], "explain", "source", "'SOURCE'"),
    (["explain", "8", f"RUN{BAD}"], "explain", "target", "'TARGET'"),
    (["explain", "7", "8", "--format", BAD], "explain", "fmt", "'--format'"),
    (["validate", "7", BAD], "validate", "statuses", "'STATUSES...'"),
    (["validate", "7", "--mode", BAD], "validate", "mode", "'--mode'"),
    (["validate", "7", "--format", BAD], "validate", "fmt", "'--format'"),
    (["check", "-", "--mode", BAD], "check", "mode", "'--mode'"),
    (["check", "-", "--format", BAD], "check", "fmt", "'--format'"),
    (["check", "-", "--input-format", BAD], "check", "input_format", "'--input-format'"),
    (["check", "-", "--engine", BAD], "check", "engine", "'--engine'"),
    (["check", "-", "--memory-limit", BAD], "check", "memory_limit", "'--memory-limit'"),
    (["mine", "-", "--engine", BAD], "mine", "engine", "'--engine'"),
    (["mine", "-", "--memory-limit", BAD], "mine", "memory_limit", "'--memory-limit'"),
    (["mine", "-", "--input-format", BAD], "mine", "input_format", "'--input-format'"),
    (["mine", "-", "--format", BAD], "mine", "fmt", "'--format'"),
    (["simulate", "--jobs", "1", "--out", "-", "--format", BAD], "simulate", "fmt", "'--format'"),
    (["render", "--format", BAD], "render", "fmt", "'--format'"),
    (["render", "--path", f"7,{BAD}"], "render", "path", "'--path'"),
    (["render", "--view", f"from:{BAD}"], "render", "view", "'--view'"),
    (["render", "--log", "-", "--mode", BAD], "render", "mode", "'--mode'"),
    (["render", "--log", "-", "--input-format", BAD], "render", "input_format", "'--input-format'"),
    (["store", "init", f"{BAD}.db"], "store init", "url", "'URL'"),
    (["store", "upgrade", f"{BAD}.db"], "store upgrade", "url", "'URL'"),
    (["store", "create", BAD, "a"], "store create", "url", "'URL'"),
    (["store", "create", DB, BAD], "store create", "job_id", "'JOB_ID'"),
    (["store", "create", DB, "a", "--status", BAD], "store create", "status", "'--status'"),
    (["store", "create", DB, "a", "--label", f"k={BAD}"], "store create", "labels", "'--label'"),
    (["store", "create", DB, "a", "--label", f"{BAD}=v"], "store create", "labels", "'--label'"),
    (["store", "move", f"sqlite:///{BAD}", "a", "8"], "store move", "url", "'URL'"),
    (["store", "move", DB, f"a{BAD}", "8"], "store move", "job_id", "'JOB_ID'"),
    (["store", "move", DB, "a", BAD], "store move", "target", "'STATUS'"),
    (["store", "move", DB, "a", "8", "--expected", BAD], "store move", "expected", "'--expected'"),
    (["store", "move", DB, "a", "8", "--reason", BAD], "store move", "reason", "'--reason'"),
    (["store", "move", DB, "a", "8", "--actor", BAD], "store move", "actor", "'--actor'"),
    (["store", "move", DB, "a", "8", "--detail", BAD], "store move", "detail", "'--detail'"),
    (["store", "move", DB, "a", "8", "--at", BAD], "store move", "at", "'--at'"),
    (["store", "move", DB, "a", "8", "--mode", BAD], "store move", "mode", "'--mode'"),
    (["store", "show", BAD, "a"], "store show", "url", "'URL'"),
    (["store", "show", DB, BAD], "store show", "job_id", "'JOB_ID'"),
    (["store", "show", DB, "a", "--format", BAD], "store show", "fmt", "'--format'"),
    (["store", "list", BAD], "store list", "url", "'URL'"),
    (["store", "list", DB, "--status", BAD], "store list", "statuses_", "'--status'"),
    (["store", "list", DB, "--format", BAD], "store list", "fmt", "'--format'"),
    (["store", "stale", BAD, "--status", "9", "--older-than", "1h"], "store stale", "url",
     "'URL'"),
    (["store", "stale", DB, "--status", BAD, "--older-than", "1h"], "store stale", "status",
     "'--status'"),
    (["store", "stale", DB, "--status", "9", "--older-than", BAD], "store stale", "older_than",
     "'--older-than'"),
    (["store", "stale", DB, "--status", "9", "--older-than", "1h", "--format", BAD],
     "store stale", "fmt", "'--format'"),
    (["store", "overdue", BAD, "--limit", "7=1h"], "store overdue", "url", "'URL'"),
    (["store", "overdue", DB, "--limit", f"7={BAD}"], "store overdue", "limits", "'--limit'"),
    (["store", "overdue", DB, "--learn", f"p{BAD}"], "store overdue", "learn", "'--learn'"),
    (["store", "overdue", DB, "--limit", "7=1h", "--format", BAD], "store overdue", "fmt",
     "'--format'"),
    (["store", "events", BAD], "store events", "url", "'URL'"),
    (["store", "events", DB, "--consumer", BAD], "store events", "consumer", "'--consumer'"),
    (["store", "events", DB, "--format", BAD], "store events", "fmt", "'--format'"),
    (["store", "prune-events", BAD], "store prune-events", "url", "'URL'"),
    (["watch", "--store", f"{BAD}.db"], "watch", "store_url", "'--store'"),
    (["watch", "--store", DB, "--job-id", BAD], "watch", "job_ids", "'--job-id'"),
    (["watch", "--store", DB, "--interval", BAD], "watch", "interval", "'--interval'"),
    (["watch", "--store", DB, "--format", BAD], "watch", "fmt", "'--format'"),
    (["watch", "--store", DB, "--endpoint", f"http://{BAD}"], "watch", "endpoint",
     "'--endpoint'"),
    (["watch", "--store", DB, "--region", BAD], "watch", "region", "'--region'"),
    (["sql", "--dialect", BAD, *SQL], "sql", "dialect", "'--dialect'"),
    (["sql", "--table", f"jobs{BAD}", "--dialect", "sqlite", "--column", "c"], "sql", "table",
     "'--table'"),
    (["sql", "--column", BAD, "--dialect", "sqlite", "--table", "t"], "sql", "column",
     "'--column'"),
    (["sql", "--id-column", BAD, "--dialect", "sqlite", *SQL], "sql", "id_column",
     "'--id-column'"),
    (["sql", "--values", BAD, "--dialect", "sqlite", *SQL], "sql", "values", "'--values'"),
    (["sql", "--start", f"INIT,{BAD}", "--dialect", "sqlite", *SQL], "sql", "start",
     "'--start'"),
    (["sql", "--lifecycle-column", BAD, "--dialect", "sqlite", *SQL], "sql",
     "lifecycle_column", "'--lifecycle-column'"),
    (["sql", "--sqlite-version", f"3.{BAD}", "--dialect", "sqlite", *SQL], "sql",
     "sqlite_version", "'--sqlite-version'"),
    (["watch", "--store", DB, "--limit", f"Pending={BAD}"], "watch", "limits", "'--limit'"),
]  # fmt: skip

#: Parameters that are not text: file names (any bytes), numbers and flags.
NOT_TEXT = {
    ("check", "log"),
    ("render", "log"),
    ("render", "out"),
    ("render", "all_dir"),
    ("render", "all_edges"),
    ("simulate", "out"),
    ("simulate", "jobs"),
    ("simulate", "seed"),
    ("simulate", "poll_interval"),
    ("simulate", "faults"),
    ("check", "max_errors"),
    ("mine", "log"),
    ("mine", "min_count"),
    ("mine", "diagram"),
    ("demo", "out"),
    ("store list", "active"),
    ("store upgrade", "dry_run"),
    ("store list", "limit"),
    ("sql", "drop"),
    ("store overdue", "min_sample"),
    ("store overdue", "act"),
    ("store events", "after"),
    ("store events", "limit"),
    ("store events", "follow"),
    ("store prune-events", "before"),
    # A built-in lifecycle's name or a TOML file's name (file names take any bytes).
    *(
        (command, "lifecycle")
        for command in (
            "statuses",
            "transitions",
            "explain",
            "validate",
            "check",
            "mine",
            "simulate",
            "render",
            "store create",
            "store move",
            "store show",
            "store list",
            "store stale",
            "sql",
            "store overdue",
            "store events",
        )
    ),
    ("check", "as_lifecycle"),
    ("watch", "once"),
    ("watch", "metrics_port"),
}


def every_parameter() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()

    def walk(command: click.Command, path: str) -> None:
        for param in command.params:
            if param.name not in {"help", "version"}:
                found.add((path, str(param.name)))
        if isinstance(command, click.Group):
            for name, sub in subcommands(command).items():
                walk(sub, f"{path} {name}".strip())

    walk(cli, "")
    return found


def test_every_parameter_is_either_checked_text_or_not_text() -> None:
    """The list below names every text parameter: a new one must be added there (and given a
    text type) or be a file name, a number or a flag."""
    checked = {(command, name) for _, command, name, _ in TEXT_PARAMETERS}
    assert checked | NOT_TEXT == every_parameter()
    assert not checked & NOT_TEXT


@pytest.mark.parametrize(("argv", "command", "name", "shown"), TEXT_PARAMETERS)
def test_text_that_is_not_utf8_is_a_usage_error_naming_the_parameter(
    capsys: pytest.CaptureFixture[str], argv: list[str], command: str, name: str, shown: str
) -> None:
    """Every text parameter refuses the byte 0xff with exit 2, before any store is opened or any
    log read, naming itself and showing the bytes."""
    code, out, err = run(capsys, *argv)
    assert (code, out) == (EXIT_USAGE, "")
    assert f"Invalid value for {shown}: b'" in err
    assert "\\xff" in err
    assert "is not UTF-8 text" in err
    assert "Traceback" not in err
    assert not Path("unused.db").exists()


def test_text_may_be_any_utf8(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Text in UTF-8 beyond ASCII is kept as given: a job id in Chinese, an accented reason."""
    db = f"sqlite:///{tmp_path / 'jobs.db'}"
    assert run(capsys, "store", "init", db)[0] == EXIT_OK
    assert run(capsys, "store", "create", db, "训练-1", "--label", "équipe=vision")[0] == EXIT_OK
    code, out, _ = run(capsys, "store", "move", db, "训练-1", "2", "--reason", "café")
    assert code == EXIT_OK
    assert out.startswith("job 训练-1: INIT(1) → IMAGE_CREATING(2)")


def test_argv_bytes_that_are_not_utf8_are_refused_by_the_real_command(tmp_path: Path) -> None:
    """As a real process, with the bytes in argv: a job id and a label are refused with exit 2,
    and nothing is stored that a strict UTF-8 reader of `store list` would fail on."""
    db = str(tmp_path / "jobs.db")
    jobfsm = [sys.executable, "-m", "jobfsm"]
    subprocess.run([*jobfsm, "store", "init", db], check=True, capture_output=True)
    for argv in ([b"store", b"create", db.encode(), b"\xff"],
                 [b"store", b"create", db.encode(), b"a", b"--label", b"k=\xff"]):  # fmt: skip
        done = subprocess.run([*jobfsm, *argv], capture_output=True, check=False)
        assert done.returncode == EXIT_USAGE
        assert b"is not UTF-8 text" in done.stderr
        assert b"Traceback" not in done.stderr
    listed = subprocess.run([*jobfsm, "store", "list", db, "--format", "json"],
                            capture_output=True, check=True)  # fmt: skip
    assert json.loads(listed.stdout.decode("utf-8")) == []


def test_a_file_name_that_is_not_utf8_still_works(tmp_path: Path) -> None:
    """File names are bytes to the system: render --out writes to one, as a real process."""
    target = os.fsencode(tmp_path) + b"/\xff.dot"
    done = subprocess.run(
        [sys.executable, "-m", "jobfsm", "render", "--format", "dot", "--out", target],
        capture_output=True,
        check=False,
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert os.path.exists(target)


# -- a list of statuses: separate arguments, comma-separated, or both ------------------------------


@pytest.mark.parametrize(
    "argv",
    [["1,4,7,8,10"], ["1", "4", "7", "8", "10"], ["1,4", "7", "8, 10"], ["1 4 7", "8,10"],
     ["init,SUBMIT_TRYING", "JOBSTAT_WAITING", "8,10"]],
)  # fmt: skip
def test_validate_takes_statuses_as_arguments_or_comma_separated(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """`validate 1,4,7,8,10` is the same history as `validate 1 4 7 8 10`, as render --path
    takes it; the forms mix."""
    code, out, _ = run(capsys, "validate", "--format", "json", *argv)
    assert code == EXIT_OK
    assert json.loads(out)["statuses"] == [1, 4, 7, 8, 10]


@pytest.mark.parametrize(("given", "position"), [("1,,4", "item 2 of 3"), ("7,", "item 2 of 2")])
def test_an_empty_item_of_a_status_list_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], given: str, position: str
) -> None:
    """A doubled or trailing comma is refused, saying which item (from 1) is empty."""
    code, _, err = run(capsys, "validate", given)
    assert code == EXIT_USAGE
    assert f"{given!r} has an empty item ({position})" in err


def test_render_path_takes_spaces_as_well_as_commas(capsys: pytest.CaptureFixture[str]) -> None:
    """render --path reads "1 2 4 7" as it reads 1,2,4,7."""
    drawn = {
        given: run(capsys, "render", "--format", "dot", "--path", given)
        for given in ("1,2,4,7", "1 2 4 7", "1, 2,4 7")
    }
    assert len(set(drawn.values())) == 1
    assert drawn["1,2,4,7"][0] == EXIT_OK


def test_store_list_status_takes_a_comma_separated_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """store list --status RUNNING,KILLING --status 7 is three statuses, as three --status are."""
    db = f"sqlite:///{tmp_path / 'jobs.db'}"
    run(capsys, "store", "init", db)
    for job, status in [("a", "8"), ("b", "9"), ("c", "7"), ("d", "10")]:
        assert run(capsys, "store", "create", db, job, "--status", status)[0] == EXIT_OK
    code, out, _ = run(capsys, "store", "list", db, "--status", "RUNNING,KILLING",
                       "--status", "7", "--format", "json")  # fmt: skip
    assert code == EXIT_OK
    assert [r["job_id"] for r in json.loads(out)] == ["a", "b", "c"]


# -- positions for people count from 1 --------------------------------------------------------


def test_validate_numbers_a_violation_by_its_position_from_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The fifth status of `validate 1 4 7 7 10` is violation #5 in the text; JSON keeps its
    documented index from 0."""
    code, out, _ = run(capsys, "validate", "1", "4", "7", "7", "10")
    assert code == EXIT_INVALID
    assert "  violation #5: cannot move WAITING(7) → COMPLETED(10);" in out
    code, out, _ = run(capsys, "validate", "1", "4", "7", "7", "10", "--format", "json")
    (violation,) = json.loads(out)["violations"]
    assert violation["index"] == 4


def test_validate_numbers_an_inferred_jump_by_its_position_from_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In polled mode the jump to the second status is inferred #2."""
    code, out, _ = run(capsys, "validate", "--mode", "polled", "WAITING", "COMPLETED")
    assert code == EXIT_OK
    assert "  inferred #2: WAITING(7) → COMPLETED(10) inferred via RUNNING(8)" in out


@pytest.mark.parametrize("argv", [[], ["store"]])
def test_a_group_without_a_command_shows_its_help_as_it_is(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """`jobfsm` and `jobfsm store` alone show their help, lines intact (escaping is for input,
    not for the help text click hands over in the same way as an error)."""
    code, out, err = run(capsys, *argv)
    assert code in {EXIT_OK, EXIT_USAGE}
    shown = out + err
    assert shown.startswith(f"Usage: jobfsm {' '.join(argv)}".rstrip() + " [OPTIONS] COMMAND")
    assert "\\n" not in shown
    assert "\nCommands:\n" in shown


def test_a_command_loads_only_its_own_modules() -> None:
    """`jobfsm check` starts without the store's SQLAlchemy or the renderer's Graphviz modules
    (each command's module is loaded when it runs), and `jobfsm --help` still lists every
    command."""
    script = (
        "import sys\nfrom jobfsm.cli import main\n"
        "code = main(['check', '--help'])\n"
        "loaded = sorted(m for m in ('sqlalchemy', 'graphviz', 'jobfsm.diagram', "
        "'jobfsm.store', 'duckdb') if m in sys.modules)\n"
        "print(code, loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == "0 []"
    listed = subprocess.run(
        [sys.executable, "-m", "jobfsm", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name in ("check", "demo", "explain", "mine", "render", "simulate", "sql", "statuses",
                 "store", "transitions", "validate", "watch"):  # fmt: skip
        assert f"\n  {name} " in listed


def test_every_lazily_loaded_name_is_where_the_cli_says() -> None:
    """Each name `jobfsm.cli` hands out on first use is the object its module defines, even
    after the module was imported on its own (a module named as one of its names would shadow
    it), each command's entry names a click command, and `__all__` names only what resolves."""
    import importlib

    import jobfsm.cli as package

    for name, module in package._HOME.items():
        home = importlib.import_module(f"jobfsm.cli.{module}")
        assert getattr(package, name) is getattr(home, name), name
    for command, name in package._COMMANDS.items():
        assert isinstance(getattr(package, name), click.Command), command
    for name in package.__all__:
        assert hasattr(package, name), name
