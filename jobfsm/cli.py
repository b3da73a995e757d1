"""The ``jobfsm`` command line.

Exit codes: 0 ok; 1 the input was judged and found wanting (an illegal move, a violating log);
2 usage error, unreadable input or unwritable output; 129 hung up (SIGHUP); 130 interrupted
(Ctrl-C); 143 stopped by SIGTERM. User mistakes print one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from jobfsm import diagram as diagrams
from jobfsm.errors import (
    DiagramInputError,
    JobExists,
    JobFSMError,
    TransitionRejected,
    UnknownStatus,
    _shown,
    escape,
    escape_json,
)
from jobfsm.lifecycle import DEFAULT_LIFECYCLE
from jobfsm.logs import (
    LogFormat,
    LogReport,
    ObservationLog,
    check_log,
    count_moves,
    format_of,
    read_log,
    scan_log,
)
from jobfsm.machine import Job
from jobfsm.simulate import (
    MAX_JOBS,
    MAX_POLL_INTERVAL,
    MIN_POLL_INTERVAL,
    PROGRESS_LINES,
    Simulation,
    write_log,
)
from jobfsm.status import JobStatus
from jobfsm.validate import validate_history

if TYPE_CHECKING:
    from jobfsm.store import JobRecord, JobRecords, JobStore

__all__ = [
    "EXIT_HANGUP",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "MAX_LIMIT",
    "cli",
    "main",
]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
#: Stopped by a signal: 128 + its number, as a shell reports a process the signal killed.
#: SIGHUP is 1 wherever there is one (not on Windows).
EXIT_HANGUP = 128 + 1
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM

#: The largest ``store list --limit``: far beyond any listing, and within every database's integer.
MAX_LIMIT = 1_000_000_000

#: Written after ``Exit codes:`` in the top-level help; \b keeps click from rewrapping the list.
EXIT_CODES_HELP = """\b
Exit codes:
  0    ok
  1    the input was judged and found wanting (an illegal move, a violating
       log, a refused store move, stale jobs found)
  2    usage error, unreadable input or unwritable output (one line on stderr)
  129  hung up (SIGHUP: the terminal closed)
  130  interrupted by Ctrl-C
  143  stopped by SIGTERM
Files are written atomically: errors, Ctrl-C, SIGTERM and SIGHUP leave no
partial file (after SIGKILL, the next write of the same file removes it).
"""

#: ``--out -`` means standard output.
STDOUT = "-"


def refuse_undecodable(
    value: str, param: click.Parameter | None, ctx: click.Context | None
) -> None:
    """Refuse text holding bytes that are not UTF-8, as a usage error naming ``param``.

    Click decodes arguments with surrogateescape, so the byte 0xff arrives as '\\udcff': kept, it
    would fail every strict UTF-8 reader of the store and every write of it to stdout. File names
    are not text and take any bytes, so path parameters do not call this.

    Raises:
        click.BadParameter: showing the bytes as given.
    """
    if value.isascii():
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:
            given = repr(value.encode("utf-8", "surrogateescape"))
        except UnicodeEncodeError:  # a surrogate that stands for no byte (given in-process)
            given = repr(value)
        if len(given) > 80:
            given = f"{given[:77]}..."
        raise click.BadParameter(
            f"{given} is not UTF-8 text; give it in UTF-8", ctx, param
        ) from None


class TextParam(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """Text from the command line: job ids, reasons, URLs, statuses... (not file names).

    Every text parameter's type is one, so that bytes that are not UTF-8 are refused the same way
    everywhere; subclasses read the checked text in :meth:`convert_text`.
    """

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            refuse_undecodable(value, param, ctx)
        return self.convert_text(value, param, ctx)

    def convert_text(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        return value


TEXT = TextParam()


class TextChoice(click.Choice):  # type: ignore[type-arg]  # generic only in newer click
    """A :class:`click.Choice` that refuses bytes that are not UTF-8, as :class:`TextParam` does."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            refuse_undecodable(value, param, ctx)
        return super().convert(value, param, ctx)


FORMAT = TextChoice(["table", "json"])
TEXT_OR_JSON = TextChoice(["text", "json"])


class StatusParam(TextParam):
    """A status as code or name, read with :meth:`JobStatus.parse`."""

    name = "status"

    def convert_text(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        try:
            return JobStatus.parse(value)
        except UnknownStatus as exc:
            self.fail(exc.message, param, ctx)


STATUS = StatusParam()


class StatusListParam(TextParam):
    """Statuses (names or codes) separated by commas, spaces or both, as ``1,4,7`` or ``1 4 7``,
    each read with :meth:`JobStatus.parse`; a tuple of them.

    Every parameter that takes several statuses has this type, with :func:`all_statuses` as its
    callback when it takes several arguments (``validate 1,4 7``) or repeats (``--status``).
    """

    name = "statuses"

    def convert_text(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if isinstance(value, tuple):
            return value
        text = str(value)
        items = _STATUS_SEPARATOR.split(text.strip())
        for position, item in enumerate(items, 1):
            if not item:
                self.fail(
                    f"{text!r} has an empty item (item {position} of {len(items)}); expected "
                    "statuses such as 1,2,4,7 or '1 2 4 7'",
                    param,
                    ctx,
                )
        try:
            return tuple(JobStatus.parse(item) for item in items)
        except UnknownStatus as exc:
            self.fail(exc.message, param, ctx)


# A comma with any spaces around it, or spaces alone.
_STATUS_SEPARATOR = re.compile(r"\s*,\s*|\s+")

STATUSES = StatusListParam()


def all_statuses(ctx: click.Context, param: click.Parameter, value: Any) -> tuple[JobStatus, ...]:
    """The statuses of every argument (or repeat of an option) in order, as one tuple."""
    if isinstance(value, tuple) and all(isinstance(v, tuple) for v in value):
        return tuple(status for group in value for status in group)
    return tuple(value)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK) characters two, combining marks none."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Plain aligned columns for people; ``--format json`` is for machines. Cells are escaped."""
    cells = [[escape(str(c)) for c in headers], *([escape(str(c)) for c in row] for row in rows)]
    widths = [max(display_width(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c + " " * (w - display_width(c)) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class CommandError(click.ClickException):
    """Input that cannot be read or output that cannot be written: one ``jobfsm: error:`` line.

    The same form as a :class:`JobFSMError` from the library, and the same exit code 2.
    """

    exit_code = EXIT_USAGE

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"jobfsm: error: {self.format_message()}", err=True, file=file)


class OutPathParam(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """Where a command writes: a file (or ``-`` for stdout, where allowed), or a directory.

    Refuses at once what could never be written: an empty name, a directory given for a file, a
    file given for a directory. A missing parent directory is refused when the command starts
    (see :func:`check_parent`), with the project's error form.
    """

    def __init__(self, example: str, *, directory: bool = False, stdout: bool = False) -> None:
        self.example = example
        self.directory = directory
        self.stdout = stdout
        self.name = "directory" if directory else "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
        accepted = f"a {self.name} name such as {self.example}"
        if self.stdout:
            accepted += ", or - for standard output"
        if text == STDOUT and self.stdout:
            return text
        if not text:
            self.fail(f"an empty name is not a {self.name}; give {accepted}", param, ctx)
        if self.directory:
            if os.path.exists(text) and not os.path.isdir(text):
                self.fail(f"{text!r} is a file, not a directory; give {accepted}", param, ctx)
        elif text.endswith(os.sep) or os.path.isdir(text):
            self.fail(f"{text!r} is a directory, not a file; give {accepted}", param, ctx)
        return text


def check_parent(path: Path, what: str = "write") -> None:
    """Refuse ``path`` unless its parent directory exists: jobfsm creates no directory chains.

    Raises:
        CommandError: naming ``path`` and the missing directory.
    """
    parent = path.parent
    if not parent.is_dir():
        reason = "is not a directory" if parent.exists() else "does not exist"
        raise CommandError(f"cannot {what} {path}: the directory {parent} {reason}")


def cannot_write(path: object, exc: OSError, what: str = "write") -> CommandError:
    """The error for an output that failed while written, naming the path and the reason."""
    return CommandError(f"cannot {what} {path}: {exc.strerror or exc}")


def cannot_write_into(folder: Path, exc: OSError) -> CommandError:
    """The error for a directory's output that failed: naming the file when the error does (a
    read-only file in it), else the directory (a full disk)."""
    if exc.filename:
        return cannot_write(exc.filename, exc)
    return cannot_write(folder, exc, "write into")


def emit_json(data: object) -> None:
    click.echo(escape_json(json.dumps(data, ensure_ascii=False, indent=2)))


class _ReaderLeft(Exception):
    """Standard output's reader closed the pipe (``jobfsm statuses | head``).

    Not an OSError: click turns a broken pipe into exit 1, the code for a judged failure.
    """


class _StdoutFailed(Exception):
    """Standard output refused a write: a full disk, ``> /dev/full``, a closed descriptor, or an
    encoding that cannot write the text (``PYTHONIOENCODING=latin-1`` and a Chinese description).

    Not an OSError, so that a command's ``except OSError`` for the file it writes cannot take a
    failure of stdout for one of that file.

    Attributes:
        reason: why, in a phrase.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _write_failed(error: OSError | UnicodeEncodeError) -> Exception:
    if isinstance(error, UnicodeEncodeError):
        bad = error.object[error.start : error.end]
        return _StdoutFailed(
            f"its encoding {error.encoding} cannot write {bad[:10]!r}; use a UTF-8 locale or set "
            "PYTHONIOENCODING=utf-8"
        )
    if error.errno == errno.EPIPE:
        return _ReaderLeft()
    return _StdoutFailed(error.strerror or str(error))


class _GuardedStdout:
    """Standard output as commands see it inside :func:`main`: every write and flush that fails
    raises :class:`_ReaderLeft` or :class:`_StdoutFailed`, text and binary (``.buffer``) alike.

    Everything else is the wrapped stream's, so that click and ``isatty()`` see the real one.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    @property
    def buffer(self) -> _GuardedStdout:
        return _GuardedStdout(self._stream.buffer)

    def write(self, data: Any) -> int:
        try:
            return int(self._stream.write(data))
        except (OSError, UnicodeEncodeError) as exc:
            raise _write_failed(exc) from None

    def writelines(self, lines: Iterable[Any]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise _write_failed(exc) from None


class _NoStdout:
    """Standard output when the process was started without one (``jobfsm statuses >&-``)."""

    encoding = "utf-8"
    errors = "strict"
    buffer: _NoStdout

    def __init__(self) -> None:
        self.buffer = self

    def isatty(self) -> bool:
        return False

    def write(self, data: object) -> int:
        raise OSError(errno.EBADF, "it is closed")

    def flush(self) -> None:
        """Nothing is ever buffered, so there is nothing to refuse."""


def _discard_stdout(stream: Any) -> None:
    """Send what ``stream`` still buffers nowhere, so that the interpreter's flush at exit
    cannot fail on it again (and print an ignored exception, and exit 120)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a file (a test's capture): the interpreter does not flush it
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _say(line: str) -> None:
    """One line on stderr, escaped; a stderr that cannot be written is given up on, not raised
    from."""
    try:
        click.echo(escape(line), err=True)
    except OSError:
        _discard_stdout(sys.stderr)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXIT_CODES_HELP,
)
@click.version_option(package_name="jobfsm", prog_name="jobfsm")
def cli() -> None:
    """The lifecycle of a ModelArts training job: statuses, legal moves, validation, diagrams."""


def _status_rows() -> list[dict[str, Any]]:
    return [
        {
            "code": int(s),
            "name": s.name,
            "code_name": s.code_name,
            "terminal": s.is_terminal,
            "outcome": s.outcome.value if s.outcome else None,
            "phase": s.phase.value,
            "description": s.description,
            "description_zh": s.description_zh,
        }
        for s in JobStatus
    ]


def status_table() -> str:
    return table(
        ["code", "name", "terminal", "outcome", "phase", "description", "说明"],
        (
            (
                r["code"],
                r["name"],
                "yes" if r["terminal"] else "",
                r["outcome"] or "",
                r["phase"],
                r["description"],
                r["description_zh"],
            )
            for r in _status_rows()
        ),
    )


@cli.command()
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
def statuses(fmt: str) -> int:
    """List the 23 ModelArts job statuses with their classification.

    Exit 0, or 2 for a usage error.
    """
    if fmt == "json":
        emit_json(_status_rows())
    else:
        click.echo(status_table())
    return EXIT_OK


@cli.command()
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
@click.option("--from", "source", type=STATUS, help="Only the moves out of this status.")
def transitions(fmt: str, source: JobStatus | None) -> int:
    """List the declared legal moves with their events and reasons.

    Exit 0, or 2 for a usage error (an unknown --from status).
    """
    edges = [e for e in DEFAULT_LIFECYCLE.edges if source is None or e.source == source]
    if source is not None and not edges and fmt != "json":
        click.echo(f"{source} is terminal: no move leaves it (a re-run is a new job)")
        return EXIT_OK
    if fmt == "json":
        emit_json(
            [
                {
                    "source": int(e.source),
                    "source_name": e.source.name,
                    "target": int(e.target),
                    "target_name": e.target.name,
                    "event": e.event,
                    "reason": e.reason,
                }
                for e in edges
            ]
        )
    else:
        click.echo(
            table(
                ["source", "target", "event", "reason"],
                ((e.source, e.target, e.event, e.reason) for e in edges),
            )
        )
    return EXIT_OK


@cli.command()
@click.argument("source", type=STATUS)
@click.argument("target", type=STATUS)
@click.option("--format", "fmt", type=TEXT_OR_JSON, default="text", show_default=True)
def explain(source: JobStatus, target: JobStatus, fmt: str) -> int:
    """Say whether SOURCE → TARGET is a legal move, and why.

    Exit 0 when it is legal, 1 when it is not, 2 for a usage error (an unknown status).
    """
    verdict = DEFAULT_LIFECYCLE.explain(source, target)
    if fmt == "json":
        emit_json(
            {
                "source": int(source),
                "source_name": source.name,
                "target": int(target),
                "target_name": target.name,
                "legal": verdict.legal,
                # Named like the kinds in validate's and check's JSON.
                "kind": verdict.kind.name.lower(),
                "event": verdict.event,
                "reason": verdict.reason,
                "allowed": sorted(int(s) for s in verdict.allowed),
            }
        )
    else:
        click.echo(str(verdict))
    return EXIT_OK if verdict.legal else EXIT_INVALID


def walk(job: Job, path: Iterable[JobStatus]) -> None:
    """Advance ``job`` along ``path``, printing each move; stop at the first rejected one."""
    for target in path:
        source = job.status
        try:
            job.advance_to(target, actor="demo")
        except JobFSMError as exc:
            click.echo(f"  ✗ {exc}")
            return
        click.echo(f"  ✓ {source} → {target}  by {job.history[-1].event!r}")


MODE = TextChoice(["strict", "polled"], case_sensitive=False)
LOG_FORMAT = TextChoice([f.value for f in LogFormat])
_F = TypeVar("_F", bound=Callable[..., Any])


def _judging_options(default_mode: str) -> Callable[[_F], _F]:
    """The --mode and --format (text or json) of validate (strict by default: one job's
    sequence) and check (polled: a poller's log misses statuses, and strict would call a correct
    log wrong)."""

    def add(command: _F) -> _F:
        fmt = click.option("--format", "fmt", type=TEXT_OR_JSON, default="text", show_default=True)
        mode = click.option(
            "--mode",
            type=MODE,
            default=default_mode,
            show_default=True,
            help="strict: every change a declared edge; polled: jumps along a legal chain are "
            "accepted.",
        )
        return mode(fmt(command))

    return add


@cli.command("validate")
@click.argument("statuses", nargs=-1, required=True, type=STATUSES, callback=all_statuses)
@_judging_options("strict")
def validate_command(statuses: tuple[JobStatus, ...], mode: str, fmt: str) -> int:
    """Judge one observed sequence of STATUSES (codes or names), oldest first, separated by
    spaces, commas or both: 1 4 7 8 10, or 1,4,7,8,10.

    Exit 0 when it conforms, 1 when an observation is rejected, 2 for a usage error.
    """
    report = validate_history(statuses, mode)
    if fmt == "json":
        emit_json(report.to_dict())
    else:
        click.echo(str(report))
    return EXIT_OK if report.ok else EXIT_INVALID


#: Logs larger than this show a progress bar (when stderr is a terminal).
PROGRESS_BYTES = 8 << 20


def load_log(path: str, input_format: str, mode: str, listed: int) -> LogReport:
    """Read and judge ``path`` (``-`` for stdin) in one pass, keeping the first ``listed``
    violations and bad lines; with a progress bar on long files at a terminal."""
    if path == "-":
        return scan_log(sys.stdin.buffer, input_format, mode, listed=listed, name="<stdin>")
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0  # scan_log reports why the file cannot be read
    if size < PROGRESS_BYTES or not sys.stderr.isatty():
        return scan_log(path, input_format, mode, listed=listed)
    with click.progressbar(length=size, label=f"reading {escape(path)}", file=sys.stderr) as bar:
        update: Callable[[int], None] = bar.update
        return scan_log(path, input_format, mode, listed=listed, progress=update)


def check_text(report: LogReport, max_errors: int) -> str:
    """The human form of a log's judgment: summary, outcomes, violations, bad lines, verdict."""
    out = [f"{escape(report.source)} ({report.format.value}), {report.mode.value} mode", ""]
    out.append(
        table(
            ["lines", "observations", "rejected", "jobs", "conforming", "violating", "unfinished"],
            [
                (
                    report.lines,
                    report.observations,
                    report.rejected,
                    report.jobs,
                    report.conforming,
                    report.violating,
                    report.unfinished,
                )
            ],
        )
    )
    out += ["", table(["final outcome", "jobs"], report.outcomes.items())]
    extra = (
        f"inferred jumps: {report.inferred} ({report.inferred_statuses} missed statuses "
        f"inferred); late lines (older than their job's last applied line, not judged): "
        f"{report.late}"
    )
    out += ["", extra]
    if report.violation_count:
        out += ["", f"violations ({report.violation_count}):"]
        out += [f"  {escape(str(v))}" for v in report.violations[:max_errors]]
        more = report.violation_count - min(max_errors, len(report.violations))
        if more > 0:
            out.append(f"  ... and {more} more (raise --max-errors)")
    if report.rejected:
        out += ["", f"bad lines ({report.rejected}):"]
        out += [f"  {escape(str(e))}" for e in report.errors[:max_errors]]
        more = report.rejected - min(max_errors, len(report.errors))
        if more > 0:
            out.append(f"  ... and {more} more (raise --max-errors)")
    if report.lines == 0:
        # "every one of 0 jobs conforms" would read as a pass of something that was checked.
        verdict = "nothing to judge: the log has no lines of data"
    elif report.ok:
        verdict = f"every one of {report.jobs} job(s) conforms"
    else:
        verdict = f"{report.violating} job(s) with violations, {report.rejected} bad line(s)"
    if report.lines:
        # What "conforms" rests on: in polled mode, statuses the log never showed.
        verdict += (
            f" ({report.mode.value} mode, {report.inferred_statuses} missed statuses inferred)"
        )
    out += ["", f"verdict: {verdict}"]
    return "\n".join(out)


@cli.command()
@click.argument("log")
@_judging_options("polled")
@click.option(
    "--input-format",
    type=LOG_FORMAT,
    default="auto",
    show_default=True,
    help="How LOG is written; auto looks at the file name, then the first lines.",
)
@click.option(
    "--max-errors",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="How many violations and bad lines to list, in text and JSON; the rest are counted.",
)
def check(log: str, mode: str, fmt: str, input_format: str, max_errors: int) -> int:
    """Judge every job of a status LOG (a path, or - for stdin).

    Exit 0 when every job conforms and every line was read, 1 when a job has a violation or a
    line was rejected, 2 for a usage error or a log that cannot be read (or no log at all).
    """
    report = load_log(log, input_format, mode, max_errors)
    if fmt == "json":
        emit_json(report.to_dict(max_errors))
    else:
        click.echo(check_text(report, max_errors))
    return EXIT_OK if report.ok else EXIT_INVALID


def _not_nan(ctx: click.Context, param: click.Parameter, value: float) -> float:
    # FloatRange lets NaN through: it compares false with both bounds.
    if value != value:
        raise click.BadParameter(f"{value!r} is not a number.", ctx, param)
    return value


@cli.command()
@click.option(
    "--jobs",
    type=click.IntRange(1, MAX_JOBS),
    required=True,
    help=f"How many jobs, 1 to {MAX_JOBS:,} (memory grows by under 1 KB per job, the log by "
    "some 9 KB at the default interval).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same log.")
@click.option(
    "--poll-interval",
    type=click.FloatRange(MIN_POLL_INTERVAL, MAX_POLL_INTERVAL),
    callback=_not_nan,
    default=30.0,
    show_default=True,
    help=(
        f"Seconds between two polls of a job (jittered by ±20 %), from {MIN_POLL_INTERVAL:g} "
        f"(which bounds the log's size) to {MAX_POLL_INTERVAL:g} (a day)."
    ),
)
@click.option(
    "--faults",
    type=click.FloatRange(0, 1),
    callback=_not_nan,
    default=0.0,
    show_default=True,
    help="Probability per observation of a fault (illegal move, bad line, late line).",
)
@click.option(
    "--format",
    "fmt",
    type=TextChoice(["jsonl", "csv"]),
    help="Line format; by default csv for a .csv file, else jsonl. A --format the extension "
    "contradicts (.csv, .jsonl, .ndjson, .json) is refused.",
)
@click.option(
    "--out",
    type=OutPathParam("fleet.jsonl", stdout=True),
    required=True,
    help="The log file to write, or - for stdout. Its directory must exist.",
)
def simulate(
    jobs: int, seed: int, poll_interval: float, faults: float, fmt: str | None, out: str
) -> int:
    """Write a realistic poll log of a fleet of jobs, optionally with injected faults.

    A log grows by some 120 lines and 9 KB a job at the default 30 s interval (a million jobs:
    about 9 GB, written in minutes). At a terminal, stderr first says the estimated lines and
    size (and when the disk has less room), then shows a progress bar for logs over 8 MiB;
    piped, stderr gets only the summary line, "wrote FILE: N lines (...)", so that stdout holds
    only the log with --out -. The file is written atomically: stopped by Ctrl-C (exit 130) or
    SIGTERM (exit 143), or by SIGHUP when the terminal closes (exit 129), it leaves nothing;
    killed by SIGKILL, it leaves a temporary .FILE.<pid>.<hex>.tmp that the next write of FILE
    removes. Exit 0, or 2 for a usage error or a file that cannot be written.
    """
    named = None if out == STDOUT else format_of(out)
    if fmt is not None and named is not None and named.value != fmt:
        # A log whose name says one format and whose lines another is refused by every reader.
        raise click.UsageError(
            f"--format {fmt} contradicts --out {escape(out)}, whose extension names "
            f"{named.value}; drop --format, or name the file *.{fmt}"
        )
    fmt = fmt or (named.value if named is LogFormat.CSV else "jsonl")
    try:
        simulation = Simulation(jobs, seed, poll_interval=poll_interval, faults=faults, fmt=fmt)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    name = "<stdout>" if out == STDOUT else out
    if out != STDOUT:
        check_parent(Path(out))
    size = 0
    if sys.stderr.isatty():
        lines, size = simulation.estimate()
        room = ""
        with suppress(OSError):
            free = shutil.disk_usage(Path(out).parent if out != STDOUT else ".").free
            if out != STDOUT and size > free:
                room = f"; only {_size(free)} free there"
        click.echo(f"jobfsm: simulate: about {lines:,} lines, {_size(size)}{room}", err=True)
    with _writing_progress(size, name) as progress:
        if out == STDOUT:
            count = 0
            for count, line in enumerate(simulation.lines(), 1):
                sys.stdout.write(line + "\n")
                if progress is not None and count % PROGRESS_LINES == 0:
                    # Close enough: the lines of a log differ by a few bytes at most.
                    progress(PROGRESS_LINES * (len(line) + 1))
        else:
            try:
                count = write_log(out, simulation, progress)
            except OSError as exc:
                raise cannot_write(out, exc) from None
    injected = ", ".join(f"{k} {v}" for k, v in simulation.faults_injected.items())
    click.echo(
        f"wrote {escape(name)}: {count} lines ({jobs} jobs, {simulation.observations} polls; "
        f"faults: {injected})",
        err=True,
    )
    return EXIT_OK


def _size(count: float) -> str:
    """A number of bytes for people, in decimal units: ``9.0 GB``."""
    units = ("bytes", "kB", "MB", "GB", "TB")
    power = 0
    while count >= 1000 and power < len(units) - 1:
        count /= 1000
        power += 1
    return f"{count:.0f} bytes" if power == 0 else f"{count:.1f} {units[power]}"


@contextmanager
def _writing_progress(size: int, name: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for writing about ``size`` bytes, given the bytes as they are
    written; None (no bar) for less than :data:`PROGRESS_BYTES` or when stderr is no terminal."""
    if size < PROGRESS_BYTES or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=size, label=f"writing {name}", file=sys.stderr) as bar:

        def advance(written: int) -> None:
            # An estimate can fall short: the bar stops just before the end rather than pass it.
            bar.update(max(0, min(written, size - 1 - bar.pos)))

        yield advance
        bar.update(size - bar.pos)  # done: whatever the estimate said


@cli.command()
@click.option(
    "--out",
    type=OutPathParam("build/demo", directory=True),
    metavar="DIR",
    help="Also keep the demo's files here: the fleet's log, its check report, the lifecycle and "
    "the fleet's traffic as pictures, and a job store with two workers' moves. DIR is created "
    "if missing; its parent must exist.",
)
def demo(out: str | None) -> int:
    """Walk jobs through the lifecycle, check a simulated fleet, draw it, and share a store.

    Exit 0, or 2 when --out cannot be written.
    """
    kept = None if out is None else Path(out)
    if kept is not None:
        check_parent(kept, "create")
    s = JobStatus
    click.echo("The 23 ModelArts job statuses\n")
    click.echo(status_table())
    click.echo(f"\n{DEFAULT_LIFECYCLE!r}\n")
    click.echo("Job train-1, from INIT to COMPLETED:")
    job = Job("train-1")
    walk(job, [s.IMAGE_CREATING, s.SUBMIT_TRYING, s.WAITING, s.RUNNING, s.COMPLETED])
    click.echo("\nJob train-2 is running; a poller then reports WAITING:")
    job = Job("train-2", s.RUNNING)
    walk(job, [s.WAITING])
    click.echo(f"  train-2 is still {job.status}; history unchanged ({len(job.history)} moves)")
    click.echo("\nJob train-1 completed; a late KILLING arrives:")
    job = Job("train-1", s.COMPLETED)
    walk(job, [s.KILLING])
    with tempfile.TemporaryDirectory(prefix="jobfsm-demo-") as scratch:
        folder = kept or Path(scratch)
        created = not folder.exists()
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise cannot_write(folder, exc, "create") from None
        try:
            log = demo_fleet(folder)
            demo_store(folder)
            if kept is not None:
                demo_pictures(folder, log)
        except BaseException as exc:
            if created:
                # Half a demo is no use to keep: a DIR made for it goes again.
                shutil.rmtree(folder, ignore_errors=True)
            if isinstance(exc, OSError):
                raise cannot_write_into(folder, exc) from None
            raise
    return EXIT_OK


def demo_fleet(folder: Path) -> ObservationLog:
    """Simulate a small fleet with a few faults, write it to ``folder``, check it; return it."""
    click.echo("\nA simulated fleet: 12 jobs polled every 30 s, 1 % of observations faulty:\n")
    path = folder / "fleet.jsonl"
    write_log(path, Simulation(12, seed=4, faults=0.01))
    log = read_log(path, name="fleet.jsonl")
    report = check_log(log, "polled")
    click.echo("$ jobfsm simulate --jobs 12 --seed 4 --faults 0.01 --out fleet.jsonl")
    click.echo("$ jobfsm check fleet.jsonl --mode polled --max-errors 3\n")
    click.echo(check_text(report, max_errors=3))
    diagrams.write_atomic(
        folder / "check.json", json.dumps(report.to_dict(1000), indent=2).encode()
    )
    return log


def demo_store(folder: Path) -> None:
    """Two workers share one job store; the stale one is refused instead of undoing a move."""
    click.echo("\nTwo workers share a job store (SQLite here; PostgreSQL across machines):")
    try:
        from jobfsm.store import JobStore
    except ImportError as exc:
        click.echo(f"  skipped: {exc}")
        return
    database = folder / "jobs.db"
    # The demo's own store: start it afresh so that every run tells the same story.
    for stale in (database, database.with_name("jobs.db-wal"), database.with_name("jobs.db-shm")):
        stale.unlink(missing_ok=True)
    with JobStore(f"sqlite:///{database}") as first, JobStore(f"sqlite:///{database}") as second:
        first.create_schema()
        first.create("train-9", JobStatus.WAITING)
        moved = first.transition("train-9", JobStatus.RUNNING, actor="worker-1")
        click.echo(f"  worker-1: {moved.source} → {moved.target} (version {moved.version})")
        try:
            second.transition(
                "train-9", JobStatus.CANCELED, expected=JobStatus.WAITING, actor="worker-2"
            )
        except JobFSMError as exc:
            click.echo(f"  worker-2, deciding from a stale WAITING: refused: {exc}")
        repeat = second.transition("train-9", JobStatus.RUNNING, actor="worker-2")
        click.echo(f"  worker-2 observes RUNNING again: moved={repeat.moved} (not a move)")
        history = second.history("train-9")
        click.echo(f"  history: {', '.join(f'{m.source} → {m.target}' for m in history)}")


def demo_pictures(folder: Path, log: ObservationLog) -> None:
    """The lifecycle and the fleet's observed traffic, as SVG (or DOT without Graphviz)."""
    drawings = {
        "lifecycle": diagrams.extract(DEFAULT_LIFECYCLE),
        "traffic": diagrams.extract(
            DEFAULT_LIFECYCLE, traffic=count_moves(log, DEFAULT_LIFECYCLE, "polled")
        ),
    }
    fmt = "svg" if shutil.which("dot") else "dot"
    click.echo("")
    for name, drawing in drawings.items():
        target = folder / f"{name}.{fmt}"
        with dot_warnings_on_stderr():
            data = diagrams.render(drawing, fmt)
        diagrams.write_atomic(target, data)
        click.echo(f"wrote {escape(str(target))}", err=True)
    click.echo(f"kept the fleet's log, its check report and the store in {escape(str(folder))}")


class ViewParam(TextParam):
    """A diagram view: ``full``, ``from:STATUS`` or ``phase:NAME``."""

    name = "view"

    def convert_text(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if isinstance(value, diagrams.View):
            return value
        try:
            return diagrams.View.parse(str(value))
        except DiagramInputError as exc:
            self.fail(exc.message, param, ctx)


def diagram_format(fmt: str | None, out: str | None) -> str:
    """The format to draw: ``--format``, else the one the extension of ``--out FILE`` names, else
    svg (for stdout, or a name without an extension such as /dev/null).

    Raises:
        click.UsageError: ``--format`` contradicts the file's extension, or, without
            ``--format``, the extension names no format (a PNG is never written into ``x.jpg``).
    """
    if out is None or out == STDOUT:
        return fmt or "svg"
    try:
        named = diagrams.format_of(out)
    except DiagramInputError as exc:
        if fmt is not None:
            return fmt  # what the user asked for, under a name of their choosing
        raise click.UsageError(
            f"cannot tell a format from --out {out}: its extension {exc.value} names none; give "
            f"--format ({', '.join(diagrams.FORMATS)}) or {exc.expected}"
        ) from None
    if fmt is not None and named is not None and named != fmt:
        raise click.UsageError(
            f"--format {fmt} contradicts --out {out}, whose extension names {named}; drop "
            f"--format, or name the file *{diagrams.EXTENSIONS[fmt]}"
        )
    return fmt or named or "svg"


def check_diagram_output(fmt: str, out: str | None) -> None:
    """Refuse, before any work, an output that ``fmt`` cannot go to.

    Stdout (no ``--out``, or ``--out -``) takes any format when it is redirected. A terminal gets
    no PNG or PDF, and SVG only when asked for with ``--out -``: plain ``jobfsm render`` would
    fill the screen with some 50 KB of XML. A file's directory must exist.

    Raises:
        CommandError: a picture for a terminal (one line saying what to do instead), or the
            file's directory is missing.
    """
    if out is None or out == STDOUT:
        if sys.stdout.isatty() and (fmt in diagrams.BINARY_FORMATS or (fmt, out) == ("svg", None)):
            ext = diagrams.EXTENSIONS[fmt]
            what = "binary" if fmt in diagrams.BINARY_FORMATS else "some 50 KB of XML"
            also = "" if fmt in diagrams.BINARY_FORMATS else "; --out - shows it here anyway"
            raise CommandError(
                f"stdout is a terminal and {fmt} is {what}: give --out FILE (such as "
                f"lifecycle{ext}) or redirect stdout (> lifecycle{ext}){also}"
            )
    else:
        check_parent(Path(out))


@contextmanager
def dot_warnings_on_stderr() -> Iterator[None]:
    """While inside, what ``dot`` warns goes to stderr as ``jobfsm: warning: dot: ...`` lines,
    each message once: the picture was drawn, so they do not change the exit code."""
    shown: set[str] = set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", diagrams.GraphvizWarning)
        try:
            yield
        finally:
            for record in caught:
                if not isinstance(record.message, diagrams.GraphvizWarning):
                    warnings.showwarning(
                        record.message, record.category, record.filename, record.lineno
                    )
                    continue
                for line in record.message.lines:
                    if line not in shown:
                        shown.add(line)
                        click.echo(f"jobfsm: warning: dot: {escape(line)}", err=True)


def emit_diagram(drawing: diagrams.Diagram, fmt: str, out: str | None) -> None:
    """Render ``drawing`` as ``fmt`` to the file ``out`` (atomically) or to stdout (None or -).

    Call :func:`check_diagram_output` first. A file written is named on stderr.

    Raises:
        GraphvizNotFound: SVG, PNG or PDF without the ``dot`` executable.
        CommandError: the file cannot be written.
    """
    with dot_warnings_on_stderr():
        data = diagrams.render(drawing, fmt)
    if out is None or out == STDOUT:
        if fmt in diagrams.BINARY_FORMATS:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            click.echo(data.decode(), nl=False)
        return
    try:
        diagrams.write_atomic(out, data)
    except OSError as exc:
        raise cannot_write(out, exc) from None
    click.echo(f"wrote {escape(out)}", err=True)


def load_traffic(path: str, input_format: str, mode: str) -> Counter[tuple[JobStatus, JobStatus]]:
    """The moves of the log behind ``render --log``: rejected lines make one warning, no
    observation an error.

    Raises:
        CommandError: the log has no observation at all (empty, or every line rejected).
    """
    report = load_log(path, input_format, mode, 1)
    if report.rejected:
        first = report.errors[0]
        where = f"first: line {first.line}: {first.problem}"
        if not report.observations:
            raise CommandError(
                f"no observations in {escape(report.source)}: {report.lines} "
                f"{'line' if report.lines == 1 else 'lines'}, all rejected; {where}"
            )
        click.echo(
            f"jobfsm: warning: {escape(report.source)}: {report.rejected} of {report.lines} lines "
            f"rejected and left out of the picture; {where}",
            err=True,
        )
    elif not report.observations:
        raise CommandError(f"no observations in {escape(report.source)}: it has no lines of data")
    return report.moves


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=TextChoice(diagrams.FORMATS),
    help="svg, png and pdf need the Graphviz dot executable; dot and mermaid are plain text. "
    "By default the format --out FILE's extension names (.svg, .png, .pdf, .dot or .gv, .mmd "
    "or .mermaid; another extension needs --format), else svg. A --format that contradicts "
    "the extension is refused.",
)
@click.option(
    "--out",
    type=OutPathParam("lifecycle.svg", stdout=True),
    help="Write here (atomically; its directory must exist) instead of stdout, and name it on "
    "stderr. Stdout, redirected, takes any format; a terminal gets no png or pdf, and svg only "
    "with --out -.",
)
@click.option(
    "--path",
    "path",
    type=STATUSES,
    default=(),
    metavar="STATUSES",
    help="A job's statuses, oldest first (names or codes, e.g. 1,2,4,7,8,10): its moves and "
    "current status are emphasised, undeclared moves drawn red and dashed.",
)
@click.option(
    "--view",
    type=ViewParam(),
    default="full",
    show_default=True,
    help="full, from:STATUS (what is reachable from it) or phase:NAME "
    "(review, creation, run, stop, unknown).",
)
@click.option(
    "--all-edges",
    is_flag=True,
    help="Draw every declared move literally instead of abbreviating the fans (the moves into "
    "and out of UNKNOWN, and declarations with many sources such as kill) into notes.",
)
@click.option(
    "--log",
    "log",
    metavar="LOG",
    help="Overlay the moves observed in a status LOG (a path, or - for stdin): edge width by "
    "count, counts in the labels, observed undeclared moves red and dashed. Rejected lines are "
    "counted in one warning on stderr; a LOG without a single observation is an error (exit 2).",
)
@click.option(
    "--mode",
    type=MODE,
    default="polled",
    show_default=True,
    help="With --log: how observed jumps are read (polled spreads a jump over its inferred path).",
)
@click.option(
    "--input-format",
    type=LOG_FORMAT,
    default="auto",
    show_default=True,
    help="With --log: how LOG is written.",
)
@click.option(
    "--all-formats",
    "all_dir",
    type=OutPathParam("diagrams", directory=True),
    metavar="DIR",
    help="Write the committed set (lifecycle.svg/.png/.dot/.mmd, lifecycle-all-edges, "
    "path-example) into DIR, naming each file on stderr. DIR is created if missing; its parent "
    "must exist.",
)
@click.pass_context
def render(
    ctx: click.Context,
    fmt: str | None,
    out: str | None,
    path: tuple[JobStatus, ...],
    view: diagrams.View,
    all_edges: bool,
    log: str | None,
    mode: str,
    input_format: str,
    all_dir: str | None,
) -> int:
    """Draw the lifecycle, a job's path or a log's traffic as SVG, PNG, PDF, DOT or Mermaid.

    The format follows the extension of --out FILE unless --format says otherwise. Exit 0, or 2
    for a usage error (a --format the extension contradicts), a LOG that cannot be read or has
    no observation, no dot for svg, png or pdf, a picture for a terminal, or an output that
    cannot be written (nothing is then written). What dot warns is shown on stderr as
    "jobfsm: warning: dot: ..." and does not change the exit code.
    """
    if all_dir is not None:
        given = [
            f"--{name.replace('_', '-')}"
            for name in ("fmt", "out", "path", "view", "all_edges", "log", "mode", "input_format")
            if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE
        ]
        if given:
            names = ", ".join(g.replace("--fmt", "--format") for g in given)
            raise click.UsageError(f"--all-formats writes a fixed set; it takes no {names}")
        folder = Path(all_dir)
        check_parent(folder, "create")
        try:
            # The parent exists, so only DIR itself can be created.
            with dot_warnings_on_stderr():
                written = diagrams.write_gallery(folder)
        except OSError as exc:
            raise cannot_write_into(folder, exc) from None
        for file in written:
            click.echo(f"wrote {escape(str(file))}", err=True)
        return EXIT_OK
    for name in ("mode", "input_format"):
        if log is None and ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            raise click.UsageError(f"--{name.replace('_', '-')} goes with --log")
    fmt = diagram_format(fmt, out)
    check_diagram_output(fmt, out)
    traffic = None
    if log is not None:
        traffic = load_traffic(log, input_format, mode)
    drawing = diagrams.extract(
        DEFAULT_LIFECYCLE, view=view, all_edges=all_edges, path=path, traffic=traffic
    )
    emit_diagram(drawing, fmt, out)
    return EXIT_OK


# -- the job store (needs the `sql` extra; imported only when a store command runs) -------------

_DURATION_PART = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """A duration such as ``90s``, ``10m``, ``2h``, ``1d`` or ``1h30m``.

    >>> parse_duration("1h30m")
    datetime.timedelta(seconds=5400)
    """
    compact = text.strip().lower()
    parts = _DURATION_PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(
            f"{_shown(text)} is not a duration; use a number with s, m, h or d, such as 90s, 10m, "
            "2h, 1d or 1h30m"
        )
    try:
        return sum((timedelta(**{_UNITS[u]: int(n)}) for n, u in parts), timedelta())
    except (OverflowError, ValueError):  # ValueError: more digits than int() converts
        raise ValueError(
            f"{_shown(text)} is longer than a duration can be (at most 999999999 days)"
        ) from None


class DurationParam(TextParam):
    """A duration read with :func:`parse_duration`."""

    name = "duration"

    def convert_text(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class LabelParam(TextParam):
    """A ``key=value`` label."""

    name = "key=value"

    def convert_text(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        key, sep, val = str(value).partition("=")
        if not sep or not key:
            self.fail(f"{value!r} is not a label; use key=value, such as team=vision", param, ctx)
        return key, val


def _one_value_per_label(
    ctx: click.Context, param: click.Parameter, labels: tuple[tuple[str, str], ...]
) -> dict[str, str] | None:
    """The labels as a dict; a key given twice is a usage error, not a silent overwrite."""
    seen: dict[str, str] = {}
    for key, val in labels:
        if key in seen:
            raise click.BadParameter(
                f"label {key!r} is given twice ({key}={seen[key]}, {key}={val}); "
                "give each key once",
                ctx,
                param,
            )
        seen[key] = val
    return seen or None


@contextmanager
def open_store(url: str) -> Iterator[JobStore]:
    """The store at ``url``, closed afterwards (MissingExtra when the extra is not installed)."""
    from jobfsm.store import JobStore

    store = JobStore(url)
    try:
        yield store
    finally:
        store.close()


def _when(record_time: Any) -> str:
    return str(record_time.isoformat(timespec="seconds"))


def _records(records: Sequence[JobRecord], fmt: str) -> None:
    if fmt == "json":
        emit_json([r.to_dict() for r in records])
        return
    click.echo(
        table(
            ["job", "status", "version", "since", "labels"],
            (
                (
                    r.job_id,
                    r.status,
                    r.version,
                    _when(r.updated_at),
                    ",".join(f"{k}={v}" for k, v in sorted(r.labels.items())),
                )
                for r in records
            ),
        )
    )


def _unreadable(records: JobRecords) -> int:
    """One line on stderr per row that could not be read, and exit 2 if any (the others were
    listed)."""
    for error in records.errors:
        click.echo(f"jobfsm: error: {error}", err=True)
    return EXIT_USAGE if records.errors else EXIT_OK


@cli.group()
def store() -> None:
    """Jobs kept in SQLite or PostgreSQL and shared by many workers (needs jobfsm[sql]).

    URL is a SQLite file path, sqlite:///path/to/jobs.db, or
    postgresql+psycopg://user:password@host/dbname. Exit codes: 0 ok; 1 a move or create was
    refused, or stale jobs were found; 2 usage, an unknown job, a store that cannot be reached, or
    a stored job that cannot be read (list and stale still show the others).
    """


@store.command("init")
@click.argument("url", type=TEXT)
def store_init(url: str) -> int:
    """Create the store's tables in URL (tables that exist are kept).

    Exit 0, or 2 for a usage error or a store that cannot be reached.
    """
    with open_store(url) as s:
        s.create_schema()
        from jobfsm.store import mask_url

        click.echo(f"jobfsm store ready at {escape(mask_url(s.url))}")
    return EXIT_OK


@store.command("create")
@click.argument("url", type=TEXT)
@click.argument("job_id", type=TEXT)
@click.option("--status", type=STATUS, default="INIT", show_default=True)
@click.option(
    "--label",
    "labels",
    type=LabelParam(),
    multiple=True,
    callback=_one_value_per_label,
    help="key=value, repeatable (each key once)",
)
def store_create(url: str, job_id: str, status: JobStatus, labels: dict[str, str] | None) -> int:
    """Start tracking JOB_ID in the store.

    Exit 0 when created, 1 when JOB_ID is already there, 2 for a usage error or a store that
    cannot be reached.
    """
    with open_store(url) as s:
        try:
            record = s.create(job_id, status, labels)
        except JobExists as exc:
            _say(f"jobfsm: refused: {exc}")
            return EXIT_INVALID
    click.echo(f"created job {escape(record.job_id)} in {record.status}")
    return EXIT_OK


@store.command("move")
@click.argument("url", type=TEXT)
@click.argument("job_id", type=TEXT)
@click.argument("target", metavar="STATUS", type=STATUS)
@click.option("--expected", type=STATUS, help="Refuse unless the job is in this status now.")
@click.option("--reason", type=TEXT, help="Kept in the history.")
@click.option("--actor", type=TEXT, help="Who moved the job; kept in the history.")
def store_move(
    url: str,
    job_id: str,
    target: JobStatus,
    expected: JobStatus | None,
    reason: str | None,
    actor: str | None,
) -> int:
    """Move JOB_ID to the observed STATUS.

    Exit 0 when moved or already there, 1 when the lifecycle (or --expected) refuses the move, 2
    for a usage error, an unknown job or a store that cannot be reached.
    """
    with open_store(url) as s:
        try:
            result = s.transition(job_id, target, expected=expected, reason=reason, actor=actor)
        except TransitionRejected as exc:
            _say(f"jobfsm: refused: {exc}")
            return EXIT_INVALID
    if result.moved:
        click.echo(
            f"job {escape(job_id)}: {result.source} → {result.target} by {result.event!r} "
            f"(version {result.version})"
        )
    else:
        click.echo(f"job {escape(job_id)}: already {result.target}; nothing to do")
    return EXIT_OK


@store.command("show")
@click.argument("url", type=TEXT)
@click.argument("job_id", type=TEXT)
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
def store_show(url: str, job_id: str, fmt: str) -> int:
    """Show JOB_ID's status and its history.

    Exit 0, or 2 for a usage error, an unknown job or a store that cannot be reached.
    """
    with open_store(url) as s:
        record = s.get(job_id)
        moves = s.history(job_id)
    if fmt == "json":
        emit_json({**record.to_dict(), "history": [m.to_dict() for m in moves]})
        return EXIT_OK
    labels = ", ".join(f"{k}={v}" for k, v in sorted(record.labels.items())) or "none"
    click.echo(
        f"job {escape(record.job_id)}: {record.status} since {_when(record.updated_at)}, "
        f"version {record.version}, created {_when(record.created_at)}, labels {escape(labels)}"
    )
    if moves:
        click.echo()
        click.echo(
            table(
                ["seq", "at", "source", "target", "event", "reason", "actor"],
                (
                    (i, _when(m.at), m.source, m.target, m.event, m.reason or "", m.actor or "")
                    for i, m in enumerate(moves, 1)
                ),
            )
        )
    return EXIT_OK


@store.command("list")
@click.argument("url", type=TEXT)
@click.option(
    "--status",
    "statuses_",
    type=STATUSES,
    multiple=True,
    callback=all_statuses,
    help="Repeatable, or several at once: --status RUNNING,KILLING.",
)
@click.option("--active", is_flag=True, help="Only jobs that can still move.")
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIMIT),
    help=f"At most this many jobs, 1 to {MAX_LIMIT:,}.",
)
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
def store_list(
    url: str, statuses_: tuple[JobStatus, ...], active: bool, limit: int | None, fmt: str
) -> int:
    """List stored jobs by id, optionally only some statuses or only active jobs.

    Exit 0, or 2 for a usage error, a store that cannot be reached, or a stored job that cannot be
    read (one line each on stderr; the others are listed).
    """
    with open_store(url) as s:
        records = s.list(status=statuses_ or None, active=True if active else None, limit=limit)
    _records(records, fmt)
    return _unreadable(records) or EXIT_OK


@store.command("stale")
@click.argument("url", type=TEXT)
@click.option("--status", type=STATUS, required=True, help="For example KILLING.")
@click.option(
    "--older-than", type=DurationParam(), required=True, help="Such as 90s, 10m, 2h or 1d."
)
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
def store_stale(url: str, status: JobStatus, older_than: timedelta, fmt: str) -> int:
    """List jobs in --status for longer than --older-than.

    Exit 0 when there are none, 1 when there are any, 2 for a usage error, a store that cannot be
    reached, or a stored job that cannot be read (one line each on stderr; the others are listed).
    """
    with open_store(url) as s:
        records = s.stale(status, older_than)
    if records or fmt == "json":
        _records(records, fmt)
    elif not records.errors:
        click.echo(f"no job has been in {status} for longer than {older_than}")
    return _unreadable(records) or (EXIT_INVALID if records else EXIT_OK)


class _Stopped(BaseException):
    """Ctrl-C, SIGTERM or SIGHUP, raised by :func:`_stop_on_signals` so that the stack unwinds.

    Not a KeyboardInterrupt, which click would turn into an Abort after printing a blank line;
    a BaseException, so that ``except Exception`` never swallows it and ``finally`` blocks (the
    removal of a temporary file) run.
    """

    def __init__(self, code: int, what: str) -> None:
        super().__init__(code, what)
        self.code = code
        self.what = what


_HANGUP: tuple[int, ...] = (signal.SIGHUP,) if sys.platform != "win32" else ()


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP raise :class:`_Stopped` (only in the main thread).

    SIGHUP comes when the terminal closes under a long ``simulate``: stopping as for Ctrl-C
    removes the temporary file, which the default action (ending at once) would leave.

    A signal the process was started with ignored stays ignored: a shell starts background jobs
    with SIGINT ignored, so that Ctrl-C stops only the job in the foreground.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT:
            raise _Stopped(EXIT_INTERRUPTED, "interrupted")
        if signum in _HANGUP:
            raise _Stopped(EXIT_HANGUP, "hung up")
        raise _Stopped(EXIT_TERMINATED, "terminated")

    previous = {
        sig: signal.signal(sig, stop)
        for sig in (signal.SIGINT, signal.SIGTERM, *_HANGUP)
        if signal.getsignal(sig) is not signal.SIG_IGN
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (``python -m jobfsm`` and ``jobfsm`` call this, from
    :func:`jobfsm.__main__.main`, which handles a signal while this module loads).

    Ctrl-C returns 130 and SIGTERM 143 (128 + the signal, as a shell reports a process the
    signal killed), each after one line on stderr and without leaving a partial file. A
    standard output that refuses the output (``> /dev/full``) returns 2 after one line on
    stderr; a reader that closes the pipe early (``| head``) is not an error.
    """
    stdout = sys.stdout
    sys.stdout = _GuardedStdout(_NoStdout() if stdout is None else stdout)
    try:
        return _run(argv, stdout)
    finally:
        sys.stdout = stdout


def _run(argv: Sequence[str] | None, stdout: Any) -> int:
    try:
        with _stop_on_signals():
            code = _invoke(argv)
            # Here rather than at interpreter exit, where a failure could only be ignored.
            sys.stdout.flush()
        return code
    except _Stopped as stopped:
        # After SIGHUP the terminal may be gone, and stderr with it: _say gives up on it.
        _say(f"jobfsm: {stopped.what}")
        try:
            sys.stdout.flush()
        except (_ReaderLeft, _StdoutFailed):
            _discard_stdout(stdout)
        return stopped.code
    except _StdoutFailed as exc:
        _say(f"jobfsm: error: cannot write standard output: {exc.reason}")
        _discard_stdout(stdout)
        return EXIT_USAGE
    except (_ReaderLeft, BrokenPipeError):
        # `jobfsm statuses | head`: the reader left, which is not an error. Output still buffered
        # for it goes nowhere.
        _discard_stdout(stdout)
        return EXIT_OK


# Click 8.2 and later raise it for `jobfsm` or `jobfsm store` without a command; earlier ones
# print the help themselves.
_HELP_AS_ERROR: tuple[type[click.ClickException], ...] = tuple(
    getattr(click.exceptions, name)
    for name in ("NoArgsIsHelpError",)
    if hasattr(click.exceptions, name)
)


def _invoke(argv: Sequence[str] | None) -> int:
    """The command's exit code; a usage or library error is reported here, on stderr."""
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            standalone_mode=False,
            prog_name="jobfsm",
        )
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        _say("jobfsm: aborted")
        return EXIT_USAGE
    except click.ClickException as exc:
        # Click's own messages show arguments as given ("Got unexpected extra argument (...)").
        # A group run without a command shows its help as the message, which is not input.
        if not isinstance(exc, _HELP_AS_ERROR):
            exc.message = escape(exc.message)  # type: ignore[misc]  # Final only to type checkers
        try:
            exc.show()
        except OSError:
            _discard_stdout(sys.stderr)
        return EXIT_USAGE
    except JobFSMError as exc:
        _say(f"jobfsm: error: {exc}")
        return EXIT_USAGE
    return result if isinstance(result, int) else EXIT_OK
