"""What every command of the ``jobfsm`` command line shares: exit codes, parameter types,
output (tables, JSON, the guarded stdout, errors) and the stopping on signals."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import FrameType
from typing import IO, Any, TypeVar

import click

from jobfsm.errors import (
    DiagramInputError,
    InvalidLifecycle,
    LifecycleFileError,
    UnknownLifecycle,
    UnknownStatus,
    escape,
    escape_json,
)
from jobfsm.lifecycle import Lifecycle
from jobfsm.lifecycles import builtin, get_lifecycle
from jobfsm.logs import LogFormat
from jobfsm.vocabulary import Status


def parse_duration(text: str) -> timedelta:
    """:func:`jobfsm.deadlines.parse_duration`, imported when a duration is read (the commands
    that read none start without the deadlines module)."""
    from jobfsm.deadlines import parse_duration as parse

    return parse(text)


_F = TypeVar("_F", bound=Callable[..., Any])

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
#: Stopped by a signal: 128 + its number, as a shell reports a process the signal killed.
#: SIGHUP is 1 wherever there is one (not on Windows).
EXIT_HANGUP = 128 + 1
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM

#: ``--out -`` means standard output.
STDOUT = "-"

#: Logs read or written larger than this show a progress bar (when stderr is a terminal).
PROGRESS_BYTES = 8 << 20

# -- parameter types and their callbacks ----------------------------------------------------------


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


#: Where a command keeps the lifecycle its --lifecycle chose (ctx.meta is shared by the
#: contexts of one invocation).
_LIFECYCLE_KEY = "jobfsm.lifecycle"


class LifecycleParam(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """A lifecycle: a built-in name (``modelarts-v1``, ``modelarts-v2``) or a TOML file (a file
    name, so any bytes: not a :class:`TextParam`)."""

    name = "lifecycle"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, Lifecycle):
            return value
        try:
            return get_lifecycle(value if isinstance(value, os.PathLike) else str(value))
        except (UnknownLifecycle, LifecycleFileError, InvalidLifecycle) as exc:
            # One line: a usage error is one line on stderr.
            self.fail(exc.message.replace(":\n  - ", ": ").replace("\n  - ", "; "), param, ctx)


LIFECYCLE = LifecycleParam()


def _remember_lifecycle(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta[_LIFECYCLE_KEY] = value
    return value


def lifecycle_option(*, detected: bool = False) -> Callable[[_F], _F]:
    """``--lifecycle NAME|PATH``, read before the command's other parameters (eager), so that
    statuses given to the command are read in it. ``detected``: without the option, the command
    picks the lifecycle from its input (a log) instead of taking modelarts-v1."""
    default = (
        "by default the built-in lifecycle the log reads as (modelarts-v1 unless it reads as v2)"
        if detected
        else "default: modelarts-v1"
    )
    return click.option(
        "--lifecycle",
        "lifecycle",
        type=LIFECYCLE,
        default=None,
        is_eager=True,
        callback=_remember_lifecycle,
        metavar="NAME|PATH",
        help=f"The lifecycle: modelarts-v1, modelarts-v2 or a TOML file declaring one; {default}.",
    )


def command_lifecycle() -> Lifecycle:
    """The lifecycle the running command's --lifecycle chose, else modelarts-v1."""
    ctx = click.get_current_context(silent=True)
    chosen = ctx.meta.get(_LIFECYCLE_KEY) if ctx is not None else None
    if isinstance(chosen, Lifecycle):
        return chosen
    found = builtin("modelarts-v1")
    assert found is not None
    return found


class StatusParam(TextParam):
    """A status as code or name, read in the command's lifecycle (:func:`command_lifecycle`)."""

    name = "status"

    def convert_text(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        try:
            return command_lifecycle().parse(value)
        except UnknownStatus as exc:
            self.fail(exc.message, param, ctx)


STATUS = StatusParam()


class StatusListParam(TextParam):
    """Statuses (names or codes) separated by commas, spaces or both, as ``1,4,7`` or ``1 4 7``,
    each read in the command's lifecycle; a tuple of them.

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
            lifecycle = command_lifecycle()
            return tuple(lifecycle.parse(item) for item in items)
        except UnknownStatus as exc:
            self.fail(exc.message, param, ctx)


# A comma with any spaces around it, or spaces alone.
_STATUS_SEPARATOR = re.compile(r"\s*,\s*|\s+")

STATUSES = StatusListParam()


def all_statuses(ctx: click.Context, param: click.Parameter, value: Any) -> tuple[Status, ...]:
    """The statuses of every argument (or repeat of an option) in order, as one tuple."""
    if isinstance(value, tuple) and all(isinstance(v, tuple) for v in value):
        return tuple(status for group in value for status in group)
    return tuple(value)


MODE = TextChoice(["strict", "polled"], case_sensitive=False)
LOG_FORMAT = TextChoice([f.value for f in LogFormat])


class ViewParam(TextParam):
    """A diagram view: ``full``, ``from:STATUS`` or ``phase:NAME``."""

    name = "view"

    def convert_text(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        from jobfsm import diagram as diagrams  # only the commands that draw need it

        if isinstance(value, diagrams.View):
            return value
        try:
            return diagrams.View.parse(str(value), command_lifecycle())
        except DiagramInputError as exc:
            self.fail(exc.message, param, ctx)


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


class LimitParam(TextParam):
    """``STATUS=DURATION``, the status read in the command's lifecycle (or the built-in one
    named): a (status, timedelta)."""

    name = "limit"

    def __init__(self, lifecycle: str | None = None) -> None:
        self.lifecycle = lifecycle

    def convert_text(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if isinstance(value, tuple):
            return value
        status, equals, duration = str(value).partition("=")
        if not equals:
            self.fail(
                f"{escape(str(value))} is not STATUS=DURATION, such as WAITING=2h", param, ctx
            )
        try:
            chosen = (
                command_lifecycle() if self.lifecycle is None else get_lifecycle(self.lifecycle)
            )
            found = chosen.parse(status.strip())
            limit = parse_duration(duration)
        except (UnknownStatus, ValueError) as exc:
            self.fail(str(exc), param, ctx)
        if found.is_terminal:
            self.fail(f"{found} is terminal; a job that ended is never overdue", param, ctx)
        if limit <= timedelta(0):
            self.fail(f"{escape(duration)} is no time; give a limit above 0s", param, ctx)
        return (found, limit)


class TimeParam(TextParam):
    """An observed time, read as status logs read one (:func:`jobfsm.logs.parse_time`): ISO 8601
    (no zone means UTC) or epoch seconds or milliseconds; an aware UTC datetime."""

    name = "time"

    def convert_text(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if isinstance(value, datetime):
            return value
        from jobfsm.logs import parse_time  # the log readers load only when a time is read

        try:
            return datetime.fromtimestamp(parse_time(str(value)), timezone.utc)
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


def _not_nan(ctx: click.Context, param: click.Parameter, value: float) -> float:
    # FloatRange lets NaN through: it compares false with both bounds.
    if value != value:
        raise click.BadParameter(f"{value!r} is not a number.", ctx, param)
    return value


# -- output: tables, JSON, errors, the files commands write ---------------------------------------


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


def emit_json(data: object) -> None:
    click.echo(escape_json(json.dumps(data, ensure_ascii=False, indent=2)))


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


# -- standard output and standard error -----------------------------------------------------------


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


# -- Ctrl-C, SIGTERM and SIGHUP -------------------------------------------------------------------


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
