"""Where commands write: bad output paths are refused clearly, and nothing is half-written."""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys
import unicodedata
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobfsm import (
    BadLogLine,
    IllegalTransition,
    Job,
    JobStatus,
    StoreUnavailable,
    UnreadableLog,
)
from jobfsm import diagram as diagrams
from jobfsm.cli import EXIT_OK, EXIT_USAGE, judging, main, simulating, walkthrough
from jobfsm.errors import escape, escape_json


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "option", "accepted"),
    [
        (["render", "--format", "dot", "--out", ""], "'--out'", "a file name such as"),
        (["simulate", "--jobs", "2", "--out", ""], "'--out'", "or - for standard output"),
        (["render", "--all-formats", ""], "'--all-formats'", "a directory name such as"),
        (["demo", "--out", ""], "'--out'", "a directory name such as"),
    ],
)
def test_an_empty_output_name_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], argv: list[str], option: str, accepted: str
) -> None:
    """An empty --out or --all-formats names the option and what is accepted; exit 2."""
    code, out, err = run(capsys, *argv)
    assert (code, out) == (EXIT_USAGE, "")
    assert option in err
    assert "an empty name is not a" in err
    assert accepted in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv", [["render", "--format", "dot", "--out"], ["simulate", "--jobs", "2", "--out"]]
)
def test_a_directory_given_as_the_output_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    """--out naming a directory is refused before any work, naming it."""
    code, _, err = run(capsys, *argv, str(tmp_path))
    assert code == EXIT_USAGE
    assert f"'{tmp_path}' is a directory, not a file" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "what"),
    [(["render", "--all-formats"], "--all-formats"), (["demo", "--out"], "--out")],
)
def test_a_file_given_as_the_output_directory_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], what: str
) -> None:
    """A directory option naming an existing file is refused, naming it."""
    plain = tmp_path / "plain"
    plain.write_text("keep")
    code, out, err = run(capsys, *argv, str(plain))
    assert (code, out) == (EXIT_USAGE, "")
    assert f"'{what}'" in err
    assert f"'{plain}' is a file, not a directory" in err
    assert plain.read_text() == "keep"


@pytest.mark.parametrize(
    "argv",
    [["render", "--format", "dot", "--out"], ["simulate", "--jobs", "2", "--out"]],
)
def test_a_file_in_a_missing_directory_is_one_error_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    """The project's error form names the file and the missing directory; nothing is created."""
    target = tmp_path / "no" / "dir" / "x.out"
    code, out, err = run(capsys, *argv, str(target))
    assert (code, out) == (EXIT_USAGE, "")
    assert err == (
        f"jobfsm: error: cannot write {target}: the directory {target.parent} does not exist\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_file_whose_parent_is_a_file_is_one_error_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A parent that is a file, not a directory, is named as such."""
    (tmp_path / "plain").write_text("")
    target = tmp_path / "plain" / "x.dot"
    code, _, err = run(capsys, "render", "--format", "dot", "--out", str(target))
    assert code == EXIT_USAGE
    assert err == (
        f"jobfsm: error: cannot write {target}: the directory {target.parent} is not a directory\n"
    )


def refuse(*args: object, **kwargs: object) -> None:
    raise PermissionError(13, "Permission denied")


@pytest.mark.parametrize(
    ("argv", "patched"),
    [
        (["render", "--format", "dot", "--out"], (diagrams, "write_atomic")),
        (["simulate", "--jobs", "2", "--out"], (simulating, "write_log")),
    ],
)
def test_an_unwritable_file_is_one_error_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    patched: tuple[object, str],
) -> None:
    """A write the system refuses (a read-only directory, say) names the file and the reason."""
    monkeypatch.setattr(*patched, refuse)
    target = tmp_path / "x.out"
    code, _, err = run(capsys, *argv, str(target))
    assert code == EXIT_USAGE
    assert err == f"jobfsm: error: cannot write {target}: Permission denied\n"


@pytest.mark.parametrize("argv", [["render", "--all-formats"], ["demo", "--out"]])
def test_only_the_last_directory_of_an_output_directory_is_created(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    """--all-formats and demo --out create DIR but not a chain of missing parents, as --out
    writes a file only into an existing directory."""
    folder = tmp_path / "a" / "b"
    code, _, err = run(capsys, *argv, str(folder))
    assert code == EXIT_USAGE
    assert err == (
        f"jobfsm: error: cannot create {folder}: the directory {folder.parent} does not exist\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_demo_creates_its_directory_when_the_parent_exists(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """demo --out DIR creates DIR itself."""
    code, _, _ = run(capsys, "demo", "--out", str(tmp_path / "demo"))
    assert code == EXIT_OK
    assert (tmp_path / "demo" / "fleet.jsonl").is_file()


def test_demo_into_an_unwritable_directory_is_one_error_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A demo directory the system refuses to write into is named with the reason."""
    monkeypatch.setattr(walkthrough, "write_log", refuse)
    code, _, err = run(capsys, "demo", "--out", str(tmp_path))
    assert code == EXIT_USAGE
    assert err == f"jobfsm: error: cannot write into {tmp_path}: Permission denied\n"


# -- what was written is named on stderr, so stdout stays the data --------------------------------


def test_render_names_the_file_it_wrote_on_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """render --out FILE says `wrote FILE` on stderr and prints nothing on stdout."""
    target = tmp_path / "x.dot"
    code, out, err = run(capsys, "render", "--format", "dot", "--out", str(target))
    assert (code, out, err) == (EXIT_OK, "", f"wrote {target}\n")
    assert target.read_text().startswith("digraph lifecycle")


@pytest.mark.parametrize("to_stdout", [False, True])
def test_simulate_summary_is_on_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, to_stdout: bool
) -> None:
    """simulate's summary starts with `wrote FILE:` (`<stdout>` for -) and stays off stdout."""
    target = "-" if to_stdout else str(tmp_path / "fleet.csv")
    code, out, err = run(capsys, "simulate", "--jobs", "3", "--out", target)
    assert code == EXIT_OK
    name = "<stdout>" if to_stdout else target
    assert err.startswith(f"wrote {name}: ")
    assert err.count("\n") == 1
    assert "wrote" not in out


def test_demo_names_its_pictures_on_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """demo --out DIR names each picture it wrote on stderr, like render."""
    code, out, err = run(capsys, "demo", "--out", str(tmp_path / "demo"))
    assert code == EXIT_OK
    assert "wrote" not in out
    assert err.count("wrote ") == 2


def test_all_formats_into_an_unwritable_directory_is_one_error_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """--all-formats into a directory the system refuses (read-only, say) names it and why."""
    monkeypatch.setattr(diagrams, "write_gallery", refuse)
    code, out, err = run(capsys, "render", "--all-formats", str(tmp_path))
    assert (code, out) == (EXIT_USAGE, "")
    assert err == f"jobfsm: error: cannot write into {tmp_path}: Permission denied\n"


# -- standard output that refuses the output: one line on stderr and exit 2 ------------------------

FULL = "jobfsm: error: cannot write standard output: No space left on device\n"
CLOSED = "jobfsm: error: cannot write standard output: it is closed\n"

#: One of every command that writes to stdout, text and binary, small and large.
WRITERS = [
    ["statuses"],
    ["statuses", "--format", "json"],
    ["transitions"],
    ["explain", "WAITING", "RUNNING"],
    ["explain", "RUNNING", "WAITING"],
    ["validate", "7", "8", "10"],
    ["check", "log.jsonl"],
    ["simulate", "--jobs", "3", "--out", "-"],
    ["simulate", "--jobs", "3000", "--out", "-"],
    ["render", "--format", "mermaid"],
    ["render", "--format", "pdf", "--out", "-"],
    ["store", "init", "jobs.db"],
    ["demo"],
    ["--help"],
    ["--version"],
]


def jobfsm_to(stdout: int | None, argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    (cwd / "log.jsonl").write_text('{"job_id": "a", "status": 7, "time": 0}\n')
    return subprocess.run(
        [sys.executable, "-m", "jobfsm", *argv],
        cwd=cwd,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        # No descriptor 1 at all, as `jobfsm statuses >&-` starts it.
        preexec_fn=None if stdout is not None else lambda: os.close(1),
    )


@pytest.mark.parametrize("argv", WRITERS, ids=" ".join)
def test_a_full_stdout_is_one_error_line_and_exit_2(tmp_path: Path, argv: list[str]) -> None:
    """`jobfsm ... > /dev/full`: every command, the small outputs that fail only at the last
    flush included, says so in one line and exits 2, with no traceback and no ignored error."""
    with open("/dev/full", "w") as full:
        done = jobfsm_to(full.fileno(), argv, tmp_path)
    assert (done.returncode, done.stderr) == (EXIT_USAGE, FULL)


@pytest.mark.parametrize("argv", WRITERS[:8], ids=" ".join)
def test_a_closed_stdout_is_one_error_line_and_exit_2(tmp_path: Path, argv: list[str]) -> None:
    """`jobfsm ... >&-`: the output has nowhere to go, which is an error, not a silent exit 0 (or
    an AttributeError for the commands that write to sys.stdout directly)."""
    done = jobfsm_to(None, argv, tmp_path)
    assert (done.returncode, done.stderr) == (EXIT_USAGE, CLOSED)


def test_a_command_that_writes_nothing_to_a_closed_stdout_succeeds(tmp_path: Path) -> None:
    """Only a write fails: render --out FILE needs no stdout."""
    done = jobfsm_to(None, ["render", "--format", "dot", "--out", "x.dot"], tmp_path)
    assert (done.returncode, done.stderr) == (EXIT_OK, "wrote x.dot\n")


def test_full_stdout_and_stderr_exit_2_silently(tmp_path: Path) -> None:
    """With stderr full too the line cannot be written; the exit code still says what happened,
    and no traceback (nor the interpreter's exit 120) replaces it."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "jobfsm", "statuses"],
            stdout=full,
            stderr=full,
            check=False,
        )
    assert done.returncode == EXIT_USAGE


class FillingStream(io.StringIO):
    """A text stream that refuses every write from the one holding ``full_at`` on, as a file
    does once the disk is full."""

    def __init__(self, full_at: str) -> None:
        super().__init__()
        self.full_at = full_at
        self.full = False

    def write(self, text: str) -> int:
        self.full = self.full or self.full_at in text
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(text)


def test_a_full_stdout_is_not_taken_for_the_output_directory(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """demo turns an OSError while it writes into DIR into `cannot write into DIR`; a failure of
    stdout meanwhile is reported as stdout's, not as DIR's."""
    # The first line demo writes while it writes into DIR too.
    monkeypatch.setattr(sys, "stdout", FillingStream("A simulated fleet"))
    code = main(["demo", "--out", str(tmp_path / "demo")])
    _, err = capsys.readouterr()
    assert (code, err) == (EXIT_USAGE, FULL)


def test_main_restores_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    """main() guards stdout only while a command runs."""
    before = sys.stdout
    assert main(["statuses"]) == EXIT_OK
    assert sys.stdout is before


# -- input shown to people is escaped: nothing from it acts on the terminal -----------------------

CSI = "\u009b"  # a C1 control: as ESC [ to a terminal, so CSI + "2J" clears the screen
RLO = "\u202e"  # right-to-left override: the rest of the line is shown reversed
#: The bidirectional classes of the characters that reorder text: embeddings, overrides, isolates,
#: their ends, and the marks (LRM, RLM, ALM).
BIDI_CONTROLS = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
#: Invisible format characters, with which one id can pass for another: soft hyphen, zero width
#: space, word joiner, byte order mark, a tag character.
INVISIBLE = ["\u00ad", "\u200b", "\u2060", "\ufeff", "\U000e0041"]
ACTING = [
    "\x1b", "\n", "\x7f", CSI, "\x85", RLO, "\u2066", "\u200f", "\u061c", "\u2028", "\udcff",
    *INVISIBLE,
]  # fmt: skip


@pytest.mark.parametrize("char", ACTING)
def test_escape_writes_each_acting_character_as_its_python_escape(char: str) -> None:
    """C0, DEL, C1, bidirectional controls, invisible format characters, separators and lone
    surrogates become escapes."""
    shown = escape(f"a{char}b")
    assert shown == f"a{repr(char)[1:-1]}b"
    assert shown.isprintable()


def test_escape_keeps_what_shows_as_itself() -> None:
    """Chinese, accents, a no-break space, the arrow, the joiners of Persian and emoji: shown as
    they are."""
    text = "作业 café\u00a0→ e\u0301 می\u200cخواهم 👩\u200d💻"
    assert escape(text) == text


@given(st.text())
def test_escape_leaves_nothing_that_acts_and_is_stable(text: str) -> None:
    """Whatever the text, the escaped form holds none of those characters, and escaping it again
    changes nothing (so layers may each escape)."""
    shown = escape(text)
    assert not any(unicodedata.category(c) in {"Cc", "Cs", "Zl", "Zp"} for c in shown)
    # Of the format characters only the joiners stay, which several scripts are written with.
    assert not any(unicodedata.category(c) == "Cf" and c not in "\u200c\u200d" for c in shown)
    assert not any(unicodedata.bidirectional(c) in BIDI_CONTROLS for c in shown)
    assert escape(shown) == shown


@given(st.text())
def test_escape_json_is_the_same_data_without_acting_characters(text: str) -> None:
    """JSON output keeps its data for a reader and shows nothing that acts on a terminal."""
    dumped = escape_json(json.dumps({"v": text}, ensure_ascii=False, indent=2))
    assert json.loads(dumped) == {"v": text}
    assert not any(c in dumped for c in ACTING if c != "\n")


def shown_safely(text: str) -> bool:
    return not any(c in text for c in (CSI, RLO, "\x1b"))


def test_store_commands_escape_ids_labels_reasons_and_actors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every store command that shows a job id, a label, a reason or an actor, in a line, a
    table, JSON or an error, escapes them."""
    db = f"sqlite:///{tmp_path / 'jobs.db'}"
    job = f"a{RLO}b"
    runs = [
        ["store", "init", db],
        ["store", "create", db, job, "--label", f"k={CSI}2J"],
        ["store", "move", db, job, "2", "--reason", f"r{CSI}", "--actor", f"{RLO}x"],
        ["store", "move", db, job, "2"],
        ["store", "move", db, job, "10"],
        ["store", "create", db, job],
        ["store", "list", db],
        ["store", "list", db, "--format", "json"],
        ["store", "show", db, job],
        ["store", "show", db, job, "--format", "json"],
        ["store", "show", db, f"missing{RLO}"],
    ]
    for argv in runs:
        main(argv)
        out, err = capsys.readouterr()
        assert shown_safely(out + err), (argv, out, err)
        if "json" in argv:
            assert "\\u202e" in out
        else:
            assert "\\u202e" in out + err or argv[1] == "init", argv
    main(["store", "list", db, "--format", "json"])
    (record,) = json.loads(capsys.readouterr().out)
    assert (record["job_id"], record["labels"]) == (job, {"k": f"{CSI}2J"})


def test_clicks_own_messages_are_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    """Click shows an extra argument or an unknown option as given; main() escapes it."""
    for argv in (["statuses", f"x{CSI}2J"], [f"--x{RLO}"], ["explain", RLO, "8"]):
        code, _, err = run(capsys, *argv)
        assert code == EXIT_USAGE
        assert shown_safely(err)
        assert "\\x9b2J" in err or "\\u202e" in err


def test_check_escapes_the_log_name_job_ids_and_bad_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """check shows the log's name, its job ids and its bad lines escaped."""
    log = tmp_path / f"fleet{RLO}.jsonl"
    log.write_text(
        json.dumps({"job_id": f"a{RLO}", "status": 8, "time": 0})
        + "\n"
        + json.dumps({"job_id": f"a{RLO}", "status": 7, "time": 1})
        + "\n"
        + json.dumps({"job_id": "b", "status": f"FOO{CSI}", "time": 1})
        + "\n"
    )
    code, out, err = run(capsys, "check", str(log))
    assert code == 1
    assert shown_safely(out + err)
    assert "fleet\\u202e.jsonl (jsonl)" in out
    assert "job a\\u202e: RUNNING(8)" in out


def test_a_written_file_is_named_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`wrote FILE` on stderr escapes the name; the file has the name as given."""
    target = tmp_path / f"x{RLO}.dot"
    code, _, err = run(capsys, "render", "--format", "dot", "--out", str(target))
    assert code == EXIT_OK
    assert err == f"wrote {tmp_path}/x\\u202e.dot\n"
    assert target.exists()


def test_a_file_name_that_is_not_utf8_is_shown_escaped_by_the_real_command(
    tmp_path: Path,
) -> None:
    """check of a log whose name holds the byte 0xff works as a real process, and shows the name
    escaped on stdout (which a strict UTF-8 stream could not write as it is)."""
    name = os.fsencode(tmp_path) + b"/\xff.jsonl"
    with open(name, "w") as log:
        log.write('{"job_id": "a", "status": 7, "time": 0}\n')
    done = subprocess.run(
        [sys.executable, "-m", "jobfsm", "check", name], capture_output=True, check=False
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert done.stdout.decode("utf-8").startswith(f"{tmp_path}/\\udcff.jsonl (jsonl)")


@pytest.mark.parametrize(
    ("argv", "first"), [(["statuses"], "说明"), (["statuses", "--format", "json"], "作业状态未知")]
)
def test_a_stdout_whose_encoding_cannot_write_the_text_is_one_error_line(
    argv: list[str], first: str
) -> None:
    """A stdout in latin-1 cannot write the Chinese descriptions: one line naming the first text
    it could not write and what to do, exit 2, instead of a UnicodeEncodeError traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "jobfsm", *argv],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "latin-1"},
        check=False,
    )
    assert (done.returncode, done.stdout) == (EXIT_USAGE, b"")
    # stderr is in latin-1 too, where Python writes what it cannot encode as escapes.
    assert done.stderr.decode("latin-1") == (
        "jobfsm: error: cannot write standard output: its encoding latin-1 cannot write "
        f"{first!r}; use a UTF-8 locale or set PYTHONIOENCODING=utf-8\n"
    ).encode("latin-1", "backslashreplace").decode("latin-1")


def test_the_progress_bar_names_the_log_escaped(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The progress bar of a long log at a terminal shows the log's name escaped."""
    monkeypatch.setattr(judging, "PROGRESS_BYTES", 0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    log = tmp_path / f"fleet{RLO}.jsonl"
    log.write_text('{"job_id": "a", "status": 7, "time": 0}\n')
    code, _, err = run(capsys, "check", str(log))
    assert code == EXIT_OK
    assert f"reading {tmp_path}/fleet\\u202e.jsonl" in err
    assert RLO not in err  # the bar's own escapes (hiding the cursor) are the only ones left


def test_library_errors_show_the_input_they_name_escaped() -> None:
    """The errors that name a job id, a log or a store URL as given escape it, so a program that
    prints them is as safe as the command line."""
    job = Job(f"a{RLO}b", JobStatus.RUNNING)
    with pytest.raises(IllegalTransition) as info:
        job.advance_to(JobStatus.WAITING)
    assert str(info.value).startswith("job a\\u202eb: cannot move RUNNING(8)")
    assert info.value.job_id == f"a{RLO}b"
    messages = [
        str(StoreUnavailable(f"sqlite:///x{RLO}.db", "no such database file")),
        str(UnreadableLog(f"x{CSI}.jsonl", "no such file")),
        str(BadLogLine(f"x{RLO}.jsonl", 3, "not JSON")),
    ]
    assert messages == [
        "cannot use the job store at sqlite:///x\\u202e.db: no such database file",
        "cannot read status log x\\x9b.jsonl: no such file",
        "x\\u202e.jsonl:3: not JSON",
    ]


def test_dots_warnings_are_shown_escaped(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What dot warns may quote a label or a name as given: its lines are shown escaped."""

    def warning_render(drawing: object, fmt: str) -> bytes:
        warnings.warn(diagrams.GraphvizWarning(fmt, f"Warning: no font for '{RLO}x'"), stacklevel=1)
        return b"<svg/>"

    monkeypatch.setattr(diagrams, "render", warning_render)
    code, _, err = run(capsys, "render", "--format", "svg", "--out", str(tmp_path / "x.svg"))
    assert code == EXIT_OK
    assert "jobfsm: warning: dot: no font for '\\u202ex'\n" in err
    assert RLO not in err
