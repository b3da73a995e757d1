"""The ``jobfsm`` command line: the ``cli`` group, :func:`main`, and every name of its modules.

Exit codes: 0 ok; 1 the input was judged and found wanting (an illegal move, a violating log);
2 usage error, unreadable input or unwritable output; 129 hung up (SIGHUP); 130 interrupted
(Ctrl-C); 143 stopped by SIGTERM. User mistakes print one clear line on stderr, never a traceback.

One module per command group: :mod:`~jobfsm.cli.lifecycle` (statuses, transitions, explain),
:mod:`~jobfsm.cli.judging` (validate, check), :mod:`~jobfsm.cli.mining` (mine),
:mod:`~jobfsm.cli.rendering` (render),
:mod:`~jobfsm.cli.simulating` (simulate), :mod:`~jobfsm.cli.walkthrough` (demo) and
:mod:`~jobfsm.cli.store_commands` (store); what they share (exit codes, parameter types, output,
signals) is in :mod:`~jobfsm.cli.shared`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from jobfsm.cli.shared import (
    EXIT_OK,
    EXIT_USAGE,
    _discard_stdout,
    _GuardedStdout,
    _NoStdout,
    _ReaderLeft,
    _say,
    _StdoutFailed,
    _stop_on_signals,
    _Stopped,
)
from jobfsm.errors import JobFSMError, escape

if TYPE_CHECKING:
    from jobfsm.cli.enforcing import sql
    from jobfsm.cli.judging import check, check_text, load_log, validate_command
    from jobfsm.cli.lifecycle import explain, status_table, statuses, transitions
    from jobfsm.cli.mining import mine_command
    from jobfsm.cli.rendering import (
        check_diagram_output,
        diagram_format,
        dot_warnings_on_stderr,
        emit_diagram,
        load_traffic,
        render,
    )
    from jobfsm.cli.shared import (
        EXIT_HANGUP,
        EXIT_INTERRUPTED,
        EXIT_INVALID,
        EXIT_TERMINATED,
        FORMAT,
        LOG_FORMAT,
        MODE,
        PROGRESS_BYTES,
        STATUS,
        STATUSES,
        STDOUT,
        TEXT,
        TEXT_OR_JSON,
        CommandError,
        DurationParam,
        LabelParam,
        OutPathParam,
        StatusListParam,
        StatusParam,
        TextChoice,
        TextParam,
        TimeParam,
        ViewParam,
        all_statuses,
        cannot_write,
        cannot_write_into,
        check_parent,
        display_width,
        emit_json,
        parse_duration,
        refuse_undecodable,
        table,
    )
    from jobfsm.cli.simulating import simulate
    from jobfsm.cli.store_commands import (
        MAX_LIMIT,
        open_store,
        store,
        store_create,
        store_init,
        store_list,
        store_move,
        store_show,
        store_stale,
    )
    from jobfsm.cli.walkthrough import demo, demo_fleet, demo_pictures, demo_store, walk
    from jobfsm.cli.watching import watch

__all__ = [
    "EXIT_CODES_HELP",
    "EXIT_HANGUP",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "FORMAT",
    "LOG_FORMAT",
    "MAX_LIMIT",
    "MODE",
    "PROGRESS_BYTES",
    "STATUS",
    "STATUSES",
    "STDOUT",
    "TEXT",
    "TEXT_OR_JSON",
    "CommandError",
    "DurationParam",
    "LabelParam",
    "OutPathParam",
    "StatusListParam",
    "StatusParam",
    "TextChoice",
    "TextParam",
    "TimeParam",
    "ViewParam",
    "all_statuses",
    "cannot_write",
    "cannot_write_into",
    "check",
    "check_diagram_output",
    "check_parent",
    "check_text",
    "cli",
    "demo",
    "demo_fleet",
    "demo_pictures",
    "demo_store",
    "diagram_format",
    "display_width",
    "dot_warnings_on_stderr",
    "emit_diagram",
    "emit_json",
    "explain",
    "load_log",
    "load_traffic",
    "main",
    "mine_command",
    "open_store",
    "parse_duration",
    "refuse_undecodable",
    "render",
    "simulate",
    "sql",
    "status_table",
    "statuses",
    "store",
    "store_create",
    "store_init",
    "store_list",
    "store_move",
    "store_show",
    "store_stale",
    "table",
    "transitions",
    "validate_command",
    "walk",
    "watch",
]

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


# Where each name of this module lives. Only the running command's module is imported (the
# store's brings SQLAlchemy, render's Graphviz): `jobfsm check` starts in a fraction of the time
# every module would take.
_HOMES: dict[str, tuple[str, ...]] = {
    "enforcing": ("sql",),
    "judging": ("check", "check_text", "load_log", "validate_command"),
    "lifecycle": ("explain", "status_table", "statuses", "transitions"),
    "mining": ("mine_command",),
    "rendering": (
        "check_diagram_output",
        "diagram_format",
        "dot_warnings_on_stderr",
        "emit_diagram",
        "load_traffic",
        "render",
    ),
    "shared": (
        "EXIT_HANGUP",
        "EXIT_INTERRUPTED",
        "EXIT_INVALID",
        "EXIT_TERMINATED",
        "FORMAT",
        "LOG_FORMAT",
        "MODE",
        "PROGRESS_BYTES",
        "STATUS",
        "STATUSES",
        "STDOUT",
        "TEXT",
        "TEXT_OR_JSON",
        "CommandError",
        "DurationParam",
        "LabelParam",
        "OutPathParam",
        "StatusListParam",
        "StatusParam",
        "TextChoice",
        "TextParam",
        "TimeParam",
        "ViewParam",
        "all_statuses",
        "cannot_write",
        "cannot_write_into",
        "check_parent",
        "display_width",
        "emit_json",
        "parse_duration",
        "refuse_undecodable",
        "table",
    ),
    "simulating": ("simulate",),
    "store_commands": (
        "MAX_LIMIT",
        "open_store",
        "store",
        "store_create",
        "store_init",
        "store_list",
        "store_move",
        "store_show",
        "store_stale",
    ),
    "walkthrough": ("demo", "demo_fleet", "demo_pictures", "demo_store", "walk"),
    "watching": ("watch",),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

#: Each command of ``jobfsm`` and the name of its object (found in its module by ``_HOME``).
_COMMANDS: dict[str, str] = {
    "check": "check",
    "demo": "demo",
    "explain": "explain",
    "mine": "mine_command",
    "render": "render",
    "simulate": "simulate",
    "sql": "sql",
    "statuses": "statuses",
    "store": "store",
    "transitions": "transitions",
    "validate": "validate_command",
    "watch": "watch",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


class _LazyGroup(click.Group):
    """A group that imports a command's module when the command is run (or its help shown)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in _COMMANDS:
            found = __getattr__(_COMMANDS[cmd_name])
            assert isinstance(found, click.Command)
            self.add_command(found, cmd_name)
        return found


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXIT_CODES_HELP,
)
@click.version_option(package_name="jobfsm", prog_name="jobfsm")
def cli() -> None:
    """The lifecycle of a ModelArts training job: statuses, legal moves, validation, diagrams."""


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
