"""``jobfsm simulate``: a realistic poll log of a fleet of jobs, written atomically."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import click

from jobfsm.cli.shared import (
    EXIT_OK,
    PROGRESS_BYTES,
    STDOUT,
    OutPathParam,
    TextChoice,
    _not_nan,
    cannot_write,
    check_parent,
    command_lifecycle,
    lifecycle_option,
)
from jobfsm.errors import escape
from jobfsm.lifecycle import Lifecycle
from jobfsm.logs import LogFormat, format_of
from jobfsm.simulate import (
    MAX_JOBS,
    MAX_POLL_INTERVAL,
    MIN_POLL_INTERVAL,
    PROGRESS_LINES,
    Simulation,
    write_log,
)


@click.command()
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
@lifecycle_option()
def simulate(
    jobs: int,
    seed: int,
    poll_interval: float,
    faults: float,
    fmt: str | None,
    out: str,
    lifecycle: Lifecycle | None,
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
        simulation = Simulation(
            jobs,
            seed,
            poll_interval=poll_interval,
            faults=faults,
            fmt=fmt,
            lifecycle=command_lifecycle(),
        )
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
