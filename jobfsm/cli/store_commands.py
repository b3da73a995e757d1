"""``jobfsm store``: jobs kept in SQLite or PostgreSQL (the ``sql`` extra, imported only when a
store command runs)."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from jobfsm.cli.shared import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    FORMAT,
    MODE,
    STATUS,
    STATUSES,
    TEXT,
    DurationParam,
    LabelParam,
    LimitParam,
    TextChoice,
    TextParam,
    TimeParam,
    _one_value_per_label,
    _say,
    all_statuses,
    command_lifecycle,
    emit_json,
    lifecycle_option,
    table,
)
from jobfsm.deadlines import DEFAULT_MIN_SAMPLE, parse_percentile
from jobfsm.errors import JobExists, TransitionRejected, escape, escape_json
from jobfsm.lifecycle import Lifecycle
from jobfsm.validate import StepKind
from jobfsm.vocabulary import Status

if TYPE_CHECKING:
    from jobfsm.store import JobRecord, JobRecords, JobStore
    from jobfsm.store.outbox import StoredEvent

#: The largest ``store list --limit``: far beyond any listing, and within every database's integer.
MAX_LIMIT = 1_000_000_000


@contextmanager
def open_store(url: str) -> Iterator[JobStore]:
    """The store at ``url``, closed afterwards (MissingExtra when the extra is not installed)."""
    from jobfsm.store import JobStore

    store = JobStore(url, lifecycle=command_lifecycle())
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


@click.group()
def store() -> None:
    """Jobs kept in SQLite or PostgreSQL and shared by many workers (needs jobfsm[sql]).

    URL is a SQLite file path, sqlite:///path/to/jobs.db, or
    postgresql+psycopg://user:password@host/dbname. Exit codes: 0 ok; 1 a move or create was
    refused, or stale or overdue jobs were found; 2 usage, an unknown job, a store that cannot be
    reached, or a stored job that cannot be read (list and stale still show the others).
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


@store.command("upgrade")
@click.argument("url", type=TEXT)
@click.option(
    "--dry-run", is_flag=True, help="Only list the revisions that would be applied; write nothing."
)
def store_upgrade(url: str, dry_run: bool) -> int:
    """Migrate the store's tables in URL to the layout this jobfsm writes, keeping every row.

    Runs the migration revisions from the one URL is at to the newest, in one transaction, and
    prints each one applied (with --dry-run, each one that would be). A database made before
    revisions were recorded is migrated from its schema version. A second upgrade applies nothing.

    Exit 0, or 2 for a usage error, a store that cannot be reached, or tables of a newer jobfsm.
    """
    from jobfsm.store import mask_url

    with open_store(url) as s:
        migrations = s.upgrade(dry_run=dry_run)
        where = escape(mask_url(s.url))
    from jobfsm.store.schema import HEAD_REVISION, SCHEMA_VERSION

    at = f"revision {HEAD_REVISION} (schema version {SCHEMA_VERSION})"
    for migration in migrations:
        click.echo(f"{'would apply' if dry_run else 'applied'} {escape(str(migration))}")
    if not migrations:
        click.echo(f"jobfsm store at {where} is at {at}: nothing to apply")
    elif not dry_run:
        click.echo(f"jobfsm store at {where} is at {at}")
    return EXIT_OK


@store.command("create")
@lifecycle_option()
@click.argument("url", type=TEXT)
@click.argument("job_id", type=TEXT)
@click.option(
    "--status",
    type=STATUS,
    default=None,
    help="Where the job starts; the lifecycle's initial status (INIT in modelarts-v1) by default.",
)
@click.option(
    "--label",
    "labels",
    type=LabelParam(),
    multiple=True,
    callback=_one_value_per_label,
    help="key=value, repeatable (each key once)",
)
def store_create(
    url: str,
    job_id: str,
    status: Status | None,
    labels: dict[str, str] | None,
    lifecycle: Lifecycle | None,
) -> int:
    """Start tracking JOB_ID in the store.

    Exit 0 when created, 1 when JOB_ID is already there, 2 for a usage error or a store that
    cannot be reached.
    """
    with open_store(url) as s:
        try:
            record = s.create(job_id, status if status is not None else s.lifecycle.initial, labels)
        except JobExists as exc:
            _say(f"jobfsm: refused: {exc}")
            return EXIT_INVALID
    click.echo(f"created job {escape(record.job_id)} in {record.status}")
    return EXIT_OK


@store.command("move")
@lifecycle_option()
@click.argument("url", type=TEXT)
@click.argument("job_id", type=TEXT)
@click.argument("target", metavar="STATUS", type=STATUS)
@click.option("--expected", type=STATUS, help="Refuse unless the job is in this status now.")
@click.option("--reason", type=TEXT, help="Kept in the history.")
@click.option("--actor", type=TEXT, help="Who moved the job; kept in the history.")
@click.option(
    "--detail",
    type=TEXT,
    help="The secondary phase observed with STATUS (ModelArts v2's secondary_phase, such as "
    "Queuing); kept in the history with the move into STATUS, never judged.",
)
@click.option(
    "--at",
    type=TimeParam(),
    help="When STATUS was observed, as status logs give times (ISO 8601, no zone meaning UTC, or "
    "epoch seconds or milliseconds); kept in the history. Now by default.",
)
@click.option(
    "--mode",
    type=MODE,
    default="strict",
    show_default=True,
    help="strict: the move must be a declared edge; polled: the statuses a jump skipped are "
    "recorded as inferred moves.",
)
def store_move(
    url: str,
    job_id: str,
    target: Status,
    expected: Status | None,
    reason: str | None,
    actor: str | None,
    at: datetime | None,
    mode: str,
    lifecycle: Lifecycle | None,
    detail: str | None,
) -> int:
    """Move JOB_ID to the observed STATUS.

    Exit 0 when moved, already there, or late (--at older than the job's last change: nothing is
    written), 1 when the lifecycle (or --expected) refuses the move, 2 for a usage error, an
    unknown job or a store that cannot be reached.
    """
    with open_store(url) as s:
        try:
            result = s.transition(
                job_id,
                target,
                expected=expected,
                reason=reason,
                actor=actor,
                at=at,
                mode=mode,
                detail=detail,
            )
        except TransitionRejected as exc:
            _say(f"jobfsm: refused: {exc}")
            return EXIT_INVALID
    if result.moved:
        through = "".join(f" → {s}" for s in result.skipped)
        inferred = f" ({', '.join(map(str, result.skipped))} inferred)" if result.skipped else ""
        phase = f", secondary phase {escape(detail)}" if detail is not None else ""
        click.echo(
            f"job {escape(job_id)}: {result.source}{through} → {result.target} by "
            f"{result.event!r} (version {result.version}){inferred}{phase}"
        )
    elif result.kind is StepKind.LATE:
        click.echo(
            f"job {escape(job_id)}: late: observed at {at.isoformat() if at else 'now'}, before "
            f"its last change; nothing written"
        )
    else:
        click.echo(f"job {escape(job_id)}: already {result.target}; nothing to do")
    return EXIT_OK


@store.command("show")
@lifecycle_option()
@click.argument("url", type=TEXT)
@click.argument("job_id", type=TEXT)
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
def store_show(url: str, job_id: str, fmt: str, lifecycle: Lifecycle | None) -> int:
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
        # The secondary phases only when some move has one (a v1 job's table is as it was).
        details = any(m.detail is not None for m in moves)
        click.echo()
        click.echo(
            table(
                [
                    "seq",
                    "at",
                    "source",
                    "target",
                    *(["detail"] if details else []),
                    "event",
                    "reason",
                    "actor",
                ],
                (
                    (
                        i,
                        _when(m.at),
                        m.source,
                        m.target,
                        *([m.detail or ""] if details else []),
                        m.event,
                        m.reason or "",
                        m.actor or "",
                    )
                    for i, m in enumerate(moves, 1)
                ),
            )
        )
    return EXIT_OK


@store.command("list")
@lifecycle_option()
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
    url: str,
    statuses_: tuple[Status, ...],
    active: bool,
    limit: int | None,
    fmt: str,
    lifecycle: Lifecycle | None,
) -> int:
    """List stored jobs by id, optionally only some statuses or only active jobs.

    Exit 0, or 2 for a usage error, a store that cannot be reached, or a stored job that cannot be
    read (one line each on stderr; the others are listed).
    """
    with open_store(url) as s:
        records = s.list(status=statuses_ or None, active=True if active else None, limit=limit)
        others = {n: c for n, c in s.lifecycles().items() if n != s.lifecycle.name}
    _records(records, fmt)
    if others:
        # Jobs of another lifecycle are neither listed nor lost: say where they are.
        counts = ", ".join(f"{escape(n)}: {c}" for n, c in others.items())
        _say(f"jobfsm: note: not listed, jobs of other lifecycles ({counts}); use --lifecycle")
    return _unreadable(records) or EXIT_OK


@store.command("stale")
@lifecycle_option()
@click.argument("url", type=TEXT)
@click.option("--status", type=STATUS, required=True, help="For example KILLING.")
@click.option(
    "--older-than", type=DurationParam(), required=True, help="Such as 90s, 10m, 2h or 1d."
)
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
def store_stale(
    url: str, status: Status, older_than: timedelta, fmt: str, lifecycle: Lifecycle | None
) -> int:
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


class PercentileParam(TextParam):
    """A percentile, ``p99`` or ``99``."""

    name = "percentile"

    def convert_text(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if isinstance(value, int):
            return value
        try:
            return parse_percentile(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@store.command("overdue")
@lifecycle_option()
@click.argument("url", type=TEXT)
@click.option(
    "--limit",
    "limits",
    type=LimitParam(),
    multiple=True,
    metavar="STATUS=DURATION",
    help="A dwell limit, such as WAITING=2h (repeatable); by default the limits the lifecycle "
    "file declares in [limits].",
)
@click.option(
    "--learn",
    type=PercentileParam(),
    default=None,
    metavar="PERCENTILE",
    help="Learn the limits from the store's history instead: this percentile (such as p99) of "
    "the time its jobs spent in each status.",
)
@click.option(
    "--min-sample",
    type=click.IntRange(min=2),
    default=DEFAULT_MIN_SAMPLE,
    show_default=True,
    help="With --learn: no limit for a status with fewer stays than this.",
)
@click.option(
    "--act",
    is_flag=True,
    help="Apply the lifecycle file's [actions] to the overdue jobs (such as a stop), each move "
    "judged as store move judges it; refusals are reported.",
)
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
def store_overdue(
    url: str,
    limits: tuple[tuple[Status, timedelta], ...],
    learn: int | None,
    min_sample: int,
    act: bool,
    fmt: str,
    lifecycle: Lifecycle | None,
) -> int:
    """List active jobs that have been in their status for longer than its limit.

    The limits come from --limit, from --learn, or else from the lifecycle file's [limits]
    table; --learn shows each status's learned limit and sample size.

    Exit 0 when no job is overdue, 1 when any is, 2 for a usage error (no limits), a store that
    cannot be reached, or a stored job that cannot be read (one line each on stderr).
    """
    from jobfsm import deadlines as dl

    chosen = command_lifecycle()
    declared = chosen.limits
    if limits and learn is not None:
        raise click.UsageError("give either --limit or --learn, not both")
    if not limits and learn is None and declared is None:
        raise click.UsageError(
            f"no limits: give --limit STATUS=DURATION or --learn p99, or a lifecycle file with "
            f"a [limits] table ({chosen.name} declares none)"
        )
    actions = dict(declared.actions) if declared is not None else {}
    with open_store(url) as s:
        if learn is not None:
            deadlines = dl.learn_limits(s, learn, min_sample=min_sample, actions=actions)
        elif limits:
            given = dict(limits)
            deadlines = dl.Deadlines(given, {k: a for k, a in actions.items() if k in given})
        else:
            assert declared is not None
            deadlines = declared
        found = s.overdue(deadlines)
        results = dl.act(s, found, deadlines) if act else []
    if act and not deadlines.actions:
        _say("jobfsm: warning: --act: the lifecycle declares no [actions]; nothing was done")
    if fmt == "json":
        emit_json(
            {
                "limits": deadlines.to_dict(),
                "overdue": [o.to_dict() for o in found],
                "actions": [r.to_dict() for r in results],
            }
        )
    else:
        if learn is not None:
            click.echo(_learned_table(deadlines))
        if found:
            click.echo(
                table(
                    ["job", "status", "since", "for", "limit"],
                    (
                        (
                            o.job_id,
                            o.status,
                            _when(o.since),
                            dl.format_duration(o.elapsed),
                            dl.format_duration(o.limit),
                        )
                        for o in found
                    ),
                )
            )
        elif not found.errors:
            click.echo("no job is past its status's limit")
        for result in results:
            click.echo(escape(str(result)))
    for error in found.errors:
        click.echo(f"jobfsm: error: {error}", err=True)
    if found.errors:
        return EXIT_USAGE
    return EXIT_INVALID if found else EXIT_OK


def _learned_table(deadlines: Any) -> str:
    from jobfsm.deadlines import format_duration

    rows = [
        (
            s.name,
            format_duration(deadlines.limits[s]) if s in deadlines.limits else "-",
            deadlines.samples.get(s, 0),
        )
        for s in sorted(set(deadlines.samples) | set(deadlines.limits))
    ]
    return table([f"status (p{deadlines.percentile} learned)", "limit", "sample"], rows)


#: The largest position ``store events`` and ``store prune-events`` take (BIGINT).
MAX_POSITION = 2**63 - 1
#: The largest ``store events --limit``, as :meth:`JobStore.events` takes.
MAX_EVENTS_LIMIT = 100_000


def _event_line(e: StoredEvent, fmt: str) -> str:
    if fmt == "jsonl":
        return escape_json(json.dumps(e.to_dict(), ensure_ascii=False))
    marks = [" (inferred)" if e.inferred else ""]
    marks += [f", secondary phase {e.detail}" if e.detail is not None else ""]
    marks += [f", reason {e.reason}" if e.reason is not None else ""]
    marks += [f", actor {e.actor}" if e.actor is not None else ""]
    return escape(
        f"{e.position} {e.at.isoformat()} job {e.job_id} ({e.lifecycle}): {e.source} → "
        f"{e.target} by {e.event!r}{''.join(marks)}"
    )


@store.command("events")
@lifecycle_option()
@click.argument("url", type=TEXT)
@click.option(
    "--after",
    type=click.IntRange(0, MAX_POSITION),
    default=0,
    show_default=True,
    help="Only events after this position.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_EVENTS_LIMIT),
    default=1000,
    show_default=True,
    help=f"At most this many events (with --follow: per batch), 1 to {MAX_EVENTS_LIMIT:,}.",
)
@click.option(
    "--consumer",
    type=TEXT,
    metavar="NAME",
    help="Start after NAME's stored position (if further than --after) and store the position "
    "reached after each batch printed.",
)
@click.option(
    "--follow", is_flag=True, help="Keep printing new events as they commit, until stopped."
)
@click.option(
    "--format",
    "fmt",
    type=TextChoice(["text", "jsonl"]),
    default="text",
    show_default=True,
    help="text: a line per event; jsonl: a JSON object per event.",
)
def store_events(
    url: str,
    after: int,
    limit: int,
    consumer: str | None,
    follow: bool,
    fmt: str,
    lifecycle: Lifecycle | None,
) -> int:
    """Print the outbox's events (one per committed move, of every lifecycle) in position order.

    With --consumer each batch is acknowledged once it is printed and flushed: a consumer
    stopped or killed in between gets that batch again when restarted, and never loses one.
    With --follow, new events are printed as they commit (PostgreSQL wakes the reader by
    LISTEN/NOTIFY; SQLite is polled, at most 2s apart); Ctrl-C, SIGTERM or SIGHUP finish the
    batch under way (its acknowledgement included) and exit.

    Exit 0 (129, 130 or 143 when stopped by a signal), or 2 for a usage error or a store that
    cannot be reached.
    """
    from jobfsm.cli.watching import _finish_then_stop

    stop = threading.Event()
    with _finish_then_stop(stop) as caught, open_store(url) as s:
        if follow:
            batches = s.follow(after=after, limit=limit, consumer=consumer, stop=stop.is_set)
        else:
            batches = iter([s.events(after=after, limit=limit, consumer=consumer)])
        for batch in batches:
            if not batch:
                continue
            click.echo("\n".join(_event_line(e, fmt) for e in batch))
            # Printed before acknowledged: what is acknowledged has reached the reader.
            sys.stdout.flush()
            if consumer is not None:
                s.ack(consumer, batch[-1].position)
    if caught:
        raise caught[0]
    return EXIT_OK


@store.command("prune-events")
@click.argument("url", type=TEXT)
@click.option(
    "--before",
    type=click.IntRange(0, MAX_POSITION),
    help="Delete only events before this position; with no consumer known, what lets any be "
    "deleted.",
)
def store_prune_events(url: str, before: int | None) -> int:
    """Delete the events every known consumer has acknowledged (see store events --consumer).

    An event a known consumer has not acknowledged is never deleted. Exit 0, or 2 for a usage
    error or a store that cannot be reached.
    """
    with open_store(url) as s:
        deleted = s.prune_events(before=before)
    click.echo(f"deleted {deleted} event{'s' if deleted != 1 else ''}")
    return EXIT_OK
