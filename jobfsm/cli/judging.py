"""``jobfsm validate`` and ``check``: one observed sequence, or every job of a status log,
judged against the lifecycle."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from jobfsm.cli.shared import (
    EXIT_INVALID,
    EXIT_OK,
    LOG_FORMAT,
    MODE,
    PROGRESS_BYTES,
    STATUSES,
    TEXT_OR_JSON,
    all_statuses,
    emit_json,
    table,
)
from jobfsm.errors import escape
from jobfsm.logs import LogReport, scan_log
from jobfsm.status import JobStatus
from jobfsm.validate import validate_history

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
