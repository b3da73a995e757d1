"""``jobfsm validate`` and ``check``: one observed sequence, or every job of a status log,
judged against the lifecycle."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from jobfsm.cli.engines import check_engine_options, duckdb_report, refuse_for_python
from jobfsm.cli.shared import (
    EXIT_INVALID,
    EXIT_OK,
    LIFECYCLE,
    LOG_FORMAT,
    MODE,
    PROGRESS_BYTES,
    STATUSES,
    TEXT_OR_JSON,
    all_statuses,
    command_lifecycle,
    emit_json,
    lifecycle_option,
    table,
)
from jobfsm.errors import InvalidArgument, escape
from jobfsm.lifecycle import Lifecycle
from jobfsm.lifecycles.mapping import mapping_between
from jobfsm.logs import LogReport, check_log, read_log, scan_log
from jobfsm.validate import validate_history
from jobfsm.vocabulary import Status

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


@click.command("validate")
@click.argument("statuses", nargs=-1, required=True, type=STATUSES, callback=all_statuses)
@_judging_options("strict")
@lifecycle_option()
def validate_command(
    statuses: tuple[Status, ...], mode: str, fmt: str, lifecycle: Lifecycle | None
) -> int:
    """Judge one observed sequence of STATUSES (codes or names), oldest first, separated by
    spaces, commas or both: 1 4 7 8 10, or 1,4,7,8,10.

    Exit 0 when it conforms, 1 when an observation is rejected, 2 for a usage error.
    """
    report = validate_history(statuses, mode, lifecycle=command_lifecycle())
    if fmt == "json":
        emit_json(report.to_dict())
    else:
        click.echo(str(report))
    return EXIT_OK if report.ok else EXIT_INVALID


def load_log(
    path: str,
    input_format: str,
    mode: str,
    listed: int,
    lifecycle: Lifecycle | None = None,
    translate_to: Lifecycle | None = None,
) -> LogReport:
    """Read and judge ``path`` (``-`` for stdin) in one pass, keeping the first ``listed``
    violations and bad lines; with a progress bar on long files at a terminal.

    ``lifecycle`` None detects it from the log. ``translate_to``: read the log in its lifecycle,
    then judge it in that one through the built-in mapping (the observations are kept for it).
    """
    source: Any = sys.stdin.buffer if path == "-" else path
    name = "<stdin>" if path == "-" else None
    size = 0
    if path != "-":
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0  # the reader reports why the file cannot be read
    bar: Any = None
    if size >= PROGRESS_BYTES and sys.stderr.isatty():
        bar = click.progressbar(length=size, label=f"reading {escape(path)}", file=sys.stderr)
    with bar if bar is not None else contextlib.nullcontext():
        progress: Callable[[int], None] | None = bar.update if bar is not None else None
        if translate_to is None:
            return scan_log(
                source,
                input_format,
                mode,
                lifecycle=lifecycle,
                listed=listed,
                name=name,
                progress=progress,
            )
        log = read_log(source, input_format, name=name, progress=progress, lifecycle=lifecycle)
    try:
        mapping = mapping_between(log.lifecycle.name, translate_to.name)
    except InvalidArgument as exc:
        raise click.UsageError(f"--as {translate_to.name}: {exc.message}") from None
    return check_log(mapping.translate_log(log), mode)


def check_text(report: LogReport, max_errors: int) -> str:
    """The human form of a log's judgment: summary, outcomes, violations, bad lines, verdict."""
    fmt = getattr(report, "input_format", "") or report.format.value  # Parquet: no LogFormat
    out = [
        f"{escape(report.source)} ({fmt}), lifecycle {report.lifecycle}, {report.mode.value} mode",
        "",
    ]
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
    for title, found in (
        (
            "unrecognised secondary phases (counted; the phase alone is judged)",
            report.unrecognised_details,
        ),
        (
            "secondary phases seen with another phase than their own (counted, not judged)",
            report.mismatched_details,
        ),
    ):
        if found:
            out += [f"{title}: " + ", ".join(f"{escape(k)} ×{n}" for k, n in found.items())]
    for title, count, kept in (
        ("violations", report.violation_count, report.violations),
        ("bad lines", report.rejected, report.errors),
    ):
        if count:
            # The report keeps only the first entries of each (the rest are counted).
            out += ["", f"{title} ({count}):"]
            out += [f"  {escape(str(entry))}" for entry in kept[:max_errors]]
            more = count - min(max_errors, len(kept))
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


@click.command()
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
@lifecycle_option(detected=True)
@click.option(
    "--as",
    "as_lifecycle",
    type=LIFECYCLE,
    default=None,
    metavar="NAME",
    help="Judge the log in this lifecycle instead, translated through the built-in mapping "
    "(modelarts-v1 → modelarts-v2): how a v1 fleet reads in v2 terms.",
)
@check_engine_options
def check(
    log: str,
    mode: str,
    fmt: str,
    input_format: str,
    max_errors: int,
    lifecycle: Lifecycle | None,
    as_lifecycle: Lifecycle | None,
    engine: str,
    memory_limit: str,
) -> int:
    """Judge every job of a status LOG (a path, or - for stdin; with --engine duckdb a file,
    a glob or a directory, Parquet too).

    Exit 0 when every job conforms and every line was read, 1 when a job has a violation or a
    line was rejected, 2 for a usage error or a log that cannot be read (or no log at all).
    """
    reordered = 0
    if engine == "spark":
        if log == "-" or as_lifecycle is not None:
            raise click.UsageError("--engine spark reads a log file, not stdin, and has no --as")
        from jobfsm.spark import check_file

        report, reordered = check_file(log, input_format, mode, lifecycle, max_errors)
    elif engine == "duckdb":
        report = duckdb_report(
            log, input_format, mode, max_errors, lifecycle, memory_limit, as_lifecycle
        )
    else:
        refuse_for_python(log)
        report = load_log(log, input_format, mode, max_errors, lifecycle, as_lifecycle)
    if fmt == "json":
        found = report.to_dict(max_errors)
        emit_json(
            found if engine != "spark" else {**found, "engine": engine, "reordered": reordered}
        )
    else:
        text = check_text(report, max_errors)
        if engine == "spark":
            text += f"\nreordered rows (judged at their time, not in file order): {reordered}"
        click.echo(text)
    return EXIT_OK if report.ok else EXIT_INVALID
