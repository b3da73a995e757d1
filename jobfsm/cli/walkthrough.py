"""``jobfsm demo``: jobs walked through the lifecycle, a simulated fleet checked and drawn, and
a job store shared by two workers."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import click

from jobfsm import diagram as diagrams
from jobfsm.cli.judging import check_text
from jobfsm.cli.lifecycle import status_table
from jobfsm.cli.rendering import dot_warnings_on_stderr
from jobfsm.cli.shared import EXIT_OK, OutPathParam, cannot_write, cannot_write_into, check_parent
from jobfsm.errors import JobFSMError, escape
from jobfsm.lifecycle import DEFAULT_LIFECYCLE
from jobfsm.logs import ObservationLog, check_log, count_moves, read_log
from jobfsm.machine import Job
from jobfsm.simulate import Simulation, write_log
from jobfsm.status import JobStatus


@click.command()
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
            demo_v2(folder, log)
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


def demo_v2(folder: Path, v1_log: ObservationLog) -> None:
    """The same checks for ModelArts v2 phases, and the v1 fleet read in v2 terms."""
    from jobfsm.lifecycles import builtin
    from jobfsm.lifecycles.mapping import V1_TO_V2

    v2 = builtin("modelarts-v2")
    assert v2 is not None
    click.echo("\nModelArts v2 jobs report phases (and secondary phases) instead of codes:")
    path = folder / "fleet-v2.csv"
    write_log(path, Simulation(12, seed=4, fmt="csv", lifecycle=v2))
    report = check_log(read_log(path, name="fleet-v2.csv"), "polled")
    click.echo("$ jobfsm simulate --lifecycle modelarts-v2 --jobs 12 --seed 4 --out fleet-v2.csv")
    click.echo(f"$ jobfsm check fleet-v2.csv    # read as {report.lifecycle}, found in its lines")
    click.echo(f"  {report.jobs} jobs, {report.conforming} conform, {report.rejected} bad lines")
    translated = check_log(V1_TO_V2.translate_log(v1_log), "polled")
    click.echo("$ jobfsm check fleet.jsonl --as modelarts-v2    # the v1 fleet in v2 terms")
    click.echo(
        f"  {translated.jobs} jobs, {translated.conforming} conform, "
        f"{translated.violation_count} violations ({translated.rejected} bad lines kept)"
    )


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
