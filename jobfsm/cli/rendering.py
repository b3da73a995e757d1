"""``jobfsm render``: the lifecycle, a job's path or a log's traffic drawn as SVG, PNG, PDF,
DOT or Mermaid, or the lifecycle as an interactive HTML page."""

from __future__ import annotations

import sys
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from click.core import ParameterSource

from jobfsm import diagram as diagrams
from jobfsm.cli.judging import load_log
from jobfsm.cli.shared import (
    EXIT_OK,
    LOG_FORMAT,
    MODE,
    STATUSES,
    STDOUT,
    CommandError,
    OutPathParam,
    TextChoice,
    ViewParam,
    cannot_write,
    cannot_write_into,
    check_parent,
    command_lifecycle,
    lifecycle_option,
)
from jobfsm.errors import DiagramInputError, escape
from jobfsm.lifecycle import Lifecycle
from jobfsm.vocabulary import Status

#: What ``--format`` takes: the pictures, and the interactive page.
CHOICES = (*diagrams.FORMATS, diagrams.PAGE_FORMAT)
#: What a terminal gets only with ``--out -``: text, but too long to read there.
LONG_TEXT = {"svg": "some 50 KB of XML", diagrams.PAGE_FORMAT: "a page of some 100 KB of HTML"}


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
            f"--format ({', '.join(CHOICES)}) or {exc.expected}"
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
    no PNG or PDF, and SVG or HTML only when asked for with ``--out -``: plain ``jobfsm render``
    would fill the screen with some 50 KB of XML. A file's directory must exist.

    Raises:
        CommandError: a picture for a terminal (one line saying what to do instead), or the
            file's directory is missing.
    """
    if out is None or out == STDOUT:
        binary = fmt in diagrams.BINARY_FORMATS
        if sys.stdout.isatty() and (binary or (fmt in LONG_TEXT and out is None)):
            ext = diagrams.EXTENSIONS[fmt]
            what = "binary" if binary else LONG_TEXT[fmt]
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
    emit(data, fmt, out)


def emit(data: bytes, fmt: str, out: str | None) -> None:
    """Write ``data`` (``fmt``) to the file ``out`` (atomically) or to stdout (None or -).

    Raises:
        CommandError: the file cannot be written.
    """
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


def load_traffic(path: str, input_format: str, mode: str) -> Counter[tuple[Status, Status]]:
    """The moves of the log behind ``render --log``: rejected lines make one warning, no
    observation an error.

    Raises:
        CommandError: the log has no observation at all (empty, or every line rejected).
    """
    report = load_log(path, input_format, mode, 1, command_lifecycle())
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


@click.command()
@click.option(
    "--format",
    "fmt",
    type=TextChoice(CHOICES),
    help="svg, png and pdf need the Graphviz dot executable; dot and mermaid are plain text; "
    "html is an interactive page (dot draws its SVG inside) that opens with no network: hover "
    "a move for its event, reason and source, click a status to highlight its moves, find a "
    "status by name, code or alias, and with --log switch between the declared and the "
    "observed view. By default the format --out FILE's extension names (.svg, .png, .pdf, .dot "
    "or .gv, .mmd or .mermaid, .html or .htm; another extension needs --format), else svg. A "
    "--format that contradicts the extension is refused.",
)
@click.option(
    "--out",
    type=OutPathParam("lifecycle.svg", stdout=True),
    help="Write here (atomically; its directory must exist) instead of stdout, and name it on "
    "stderr. Stdout, redirected, takes any format; a terminal gets no png or pdf, and svg or "
    "html only with --out -.",
)
@click.option(
    "--path",
    "path",
    type=STATUSES,
    default=(),
    metavar="STATUSES",
    help="A job's statuses, oldest first (names or codes, e.g. 1,2,4,7,8,10): its moves and "
    "current status are emphasised, undeclared moves drawn red and dashed. Not with html.",
)
@click.option(
    "--view",
    type=ViewParam(),
    default="full",
    show_default=True,
    help="full, from:STATUS (what is reachable from it) or phase:NAME (a group of the "
    "lifecycle's statuses; v1: review, creation, run, stop, unknown).",
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
    "path-example, modelarts-v2, modelarts-v1-to-v2) into DIR, naming each file on stderr; with "
    "--lifecycle, that lifecycle's lifecycle.* and lifecycle-all-edges.*. DIR is created if "
    "missing; its parent must exist.",
)
@lifecycle_option()
@click.pass_context
def render(
    ctx: click.Context,
    fmt: str | None,
    out: str | None,
    path: tuple[Status, ...],
    view: diagrams.View,
    all_edges: bool,
    log: str | None,
    mode: str,
    input_format: str,
    all_dir: str | None,
    lifecycle: Lifecycle | None,
) -> int:
    """Draw the lifecycle, a job's path or a log's traffic as SVG, PNG, PDF, DOT or Mermaid,
    or write the lifecycle as an interactive HTML page (with a log's traffic, if given).

    The format follows the extension of --out FILE unless --format says otherwise. Exit 0, or 2
    for a usage error (a --format the extension contradicts, a --path with html), a LOG that
    cannot be read or has no observation, no dot for svg, png, pdf or html, a picture or page for
    a terminal, or an output that cannot be written (nothing is then written). What dot warns is
    shown on stderr as "jobfsm: warning: dot: ..." and does not change the exit code.
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
                written = diagrams.write_gallery(folder, lifecycle)
        except OSError as exc:
            raise cannot_write_into(folder, exc) from None
        for file in written:
            click.echo(f"wrote {escape(str(file))}", err=True)
        return EXIT_OK
    for name in ("mode", "input_format"):
        if log is None and ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            raise click.UsageError(f"--{name.replace('_', '-')} goes with --log")
    fmt = diagram_format(fmt, out)
    if fmt == diagrams.PAGE_FORMAT and path:
        raise click.UsageError(
            "the html page shows the lifecycle and a --log's traffic, not one job's --path; draw "
            "the path as svg, png, pdf, dot or mermaid, or give its statuses as a --log"
        )
    check_diagram_output(fmt, out)
    traffic = None
    if log is not None:
        traffic = load_traffic(log, input_format, mode)
    if fmt == diagrams.PAGE_FORMAT:
        from jobfsm.diagram_html import page

        with dot_warnings_on_stderr():
            text = page(
                command_lifecycle(),
                view=view,
                all_edges=all_edges,
                traffic=traffic,
                log_name="stdin" if log == STDOUT else Path(log or "").name,
            )
        emit(text.encode(), fmt, out)
        return EXIT_OK
    drawing = diagrams.extract(
        command_lifecycle(), view=view, all_edges=all_edges, path=path, traffic=traffic
    )
    emit_diagram(drawing, fmt, out)
    return EXIT_OK
