"""``jobfsm watch``: poll ModelArts v2 training jobs, judge every observation, keep them in a store.

A thin loop around :class:`jobfsm.modelarts.watch.Watcher` (the ``modelarts`` and ``sql``
extras, imported when the command runs).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING

import click

from jobfsm.cli.shared import (
    _HANGUP,
    EXIT_HANGUP,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_TERMINATED,
    TEXT,
    DurationParam,
    LimitParam,
    TextChoice,
    _say,
    _Stopped,
)
from jobfsm.errors import SourceError, escape_json
from jobfsm.vocabulary import Status

if TYPE_CHECKING:
    from jobfsm.metrics import Metrics
    from jobfsm.modelarts.watch import CycleReport, Watcher

#: Cycles that saw one of these exit 1 with --once: the input was judged and found wanting.
_WANTING = ("violation", "bad record", "refused")


def _wait(event: threading.Event, seconds: float) -> bool:
    """Wait up to ``seconds`` or until ``event`` is set (a signal sets it); True when it was."""
    return event.wait(seconds)


@click.command("watch")
@click.option(
    "--store",
    "store_url",
    type=TEXT,
    required=True,
    metavar="URL",
    help="The job store: a SQLite file path, sqlite:///path/to/jobs.db or "
    "postgresql+psycopg://user:password@host/dbname; its tables are made when missing.",
)
@click.option(
    "--job-id",
    "job_ids",
    type=TEXT,
    multiple=True,
    metavar="ID",
    help="Watch only this training job (repeatable); by default every job of the project.",
)
@click.option(
    "--interval",
    type=DurationParam(),
    default="30s",
    show_default=True,
    help="Time between two polls, such as 30s, 5m or 1h (at least 1s).",
)
@click.option("--once", is_flag=True, help="Poll once, write, report and exit.")
@click.option(
    "--format",
    "fmt",
    type=TextChoice(["text", "jsonl"]),
    default="text",
    show_default=True,
    help="text: a line per event; jsonl: a JSON object per event, and one per cycle.",
)
@click.option(
    "--endpoint",
    type=TEXT,
    metavar="URL",
    help="Where to send requests (https:// by default; http:// for a local endpoint); else "
    "JOBFSM_MODELARTS_ENDPOINT, HUAWEICLOUD_SDK_ENDPOINT, or the region's public endpoint.",
)
@click.option(
    "--region",
    type=TEXT,
    metavar="R",
    help="A Huawei Cloud region, such as cn-north-4, whose public endpoint to use.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    metavar="N",
    help="Serve Prometheus metrics at http://127.0.0.1:N/metrics while watching (needs "
    "jobfsm[metrics]); 0 picks a free port, named on stderr.",
)
@click.option(
    "--limit",
    "limits",
    type=LimitParam("modelarts-v2"),
    multiple=True,
    metavar="PHASE=DURATION",
    help="A dwell limit, such as Pending=2h (repeatable): each job past it is printed as an "
    "overdue event, once per job and phase.",
)
def watch(
    store_url: str,
    job_ids: tuple[str, ...],
    interval: timedelta,
    once: bool,
    fmt: str,
    endpoint: str | None,
    region: str | None,
    metrics_port: int | None,
    limits: tuple[tuple[Status, timedelta], ...],
) -> int:
    """Poll a project's ModelArts v2 training jobs, judge each observation against the
    modelarts-v2 lifecycle, and write the moves to a job store.

    Credentials come from the environment, as the Huawei Cloud SDK reads them:
    HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_PROJECT_ID (needs
    jobfsm[modelarts,sql]). Every move, violation, late observation, finished job, overdue job
    (with --limit), bad record and
    refused write is printed as it happens; at a terminal, stderr shows a one-line status between
    polls. Throttled (429), failing (5xx) and timed-out requests are retried with backoff; a poll
    that fails for good is reported on stderr and the next one is tried, except with --once.

    Ctrl-C, SIGTERM or SIGHUP finish the cycle under way (its writes included; a poll under way
    is dropped) and exit; a second one stops at once.

    \b
    Exit codes:
      0    ok (with --once: no violation, bad record or refused write)
      1    with --once: the cycle saw a violation, a bad record or a refused write
      2    usage error, missing extra or credentials, a store that cannot be
           used, or a poll that failed for good (with --once, or one that
           retrying cannot help: credentials, permissions, the endpoint)
      129  hung up; 130 interrupted by Ctrl-C; 143 stopped by SIGTERM
    """
    seconds = interval.total_seconds()
    if seconds < 1:
        raise click.BadParameter(
            f"{interval} is too short; poll at most once a second (such as 30s or 5m)",
            param_hint="'--interval'",
        )
    from jobfsm.lifecycles import get_lifecycle
    from jobfsm.modelarts import ModelArtsSource
    from jobfsm.modelarts.watch import Watcher
    from jobfsm.store import JobStore

    stop = threading.Event()
    status = _StatusLine()
    wanting = False
    with ExitStack() as stack:
        caught = stack.enter_context(_finish_then_stop(stop))
        source = stack.enter_context(
            ModelArtsSource(endpoint=endpoint, region=region, sleep=lambda s: _wait(stop, s))
        )
        store = JobStore(store_url, lifecycle=get_lifecycle("modelarts-v2"))
        stack.callback(store.close)
        store.create_schema()
        from jobfsm.deadlines import Deadlines

        deadlines = Deadlines(dict(limits)) if limits else None
        watcher = Watcher(source, store, job_ids=job_ids or None, limits=deadlines)
        metrics = None if metrics_port is None else _serve_metrics(stack, watcher, metrics_port)
        while not stop.is_set():
            try:
                report = watcher.run_once(cancelled=stop.is_set)
            except SourceError as exc:
                if once or not exc.retryable:
                    raise
                status.clear()
                _say(f"jobfsm: warning: {exc}; polling again in {interval}")
            else:
                if report.stopped:
                    break
                status.clear()
                if metrics is not None:
                    metrics.set_overdue(report.overdue)
                _show(report, fmt)
                wanting = wanting or any(report.counts[k] for k in _WANTING)
                if once:
                    _say(f"jobfsm: {report.summary()}")
                    break
            status.countdown(stop, seconds, watcher)
        status.clear()
    if caught:
        raise caught[0]
    return EXIT_INVALID if wanting else EXIT_OK


def _serve_metrics(stack: ExitStack, watcher: Watcher, port: int) -> Metrics:
    """Count what the watcher's tracker judges and serve it until the command ends."""
    from jobfsm.errors import MissingExtra

    try:
        from jobfsm.metrics import Metrics, serve
    except MissingExtra as exc:
        raise click.UsageError(f"--metrics-port: {exc.message}") from None
    metrics = Metrics(watcher.lifecycle)
    metrics.watch(watcher.tracker)
    try:
        server = serve(metrics, port)
    except OSError as exc:
        raise click.UsageError(
            f"--metrics-port {port}: cannot listen there ({exc.strerror or exc}); choose another "
            "port, or 0 for any free one"
        ) from None
    stack.callback(server.close)
    _say(f"jobfsm watch: metrics at http://127.0.0.1:{server.port}/metrics")
    return metrics


def _show(report: CycleReport, fmt: str) -> None:
    if fmt == "jsonl":
        for event in report.events:
            click.echo(escape_json(json.dumps(event.to_dict(), ensure_ascii=False)))
        cycle = {"event": "cycle", **report.to_dict()}
        click.echo(escape_json(json.dumps(cycle, ensure_ascii=False)))
        return
    for event in report.events:
        click.echo(str(event))


class _StatusLine:
    """The one-line status on stderr between polls, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.shown = False
        self.tty = sys.stderr.isatty()

    def countdown(self, stop: threading.Event, seconds: float, watcher: Watcher) -> None:
        """Wait ``seconds`` (or until ``stop``), showing the status each second at a terminal."""
        if not self.tty:
            _wait(stop, seconds)
            return
        left = seconds
        while left > 0 and not stop.is_set():
            summary = watcher.tracker.summary()
            polls = f"{watcher.cycles} poll" + ("s" if watcher.cycles != 1 else "")
            self.show(
                f"jobfsm watch: {len(watcher.tracker)} jobs, {summary['active']} active, "
                f"{polls}; next poll in {left:.0f}s (Ctrl-C stops)"
            )
            step = min(1.0, left)
            _wait(stop, step)
            left -= step

    def show(self, line: str) -> None:
        try:
            sys.stderr.write(f"\r\x1b[K{line}")
            sys.stderr.flush()
            self.shown = True
        except OSError:
            self.tty = False

    def clear(self) -> None:
        if self.shown:
            try:
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()
            except OSError:
                self.tty = False
            self.shown = False


def _stopped(signum: int) -> _Stopped:
    if signum == signal.SIGINT:
        return _Stopped(EXIT_INTERRUPTED, "interrupted")
    if signum in _HANGUP:
        return _Stopped(EXIT_HANGUP, "hung up")
    return _Stopped(EXIT_TERMINATED, "terminated")


@contextmanager
def _finish_then_stop(stop: threading.Event) -> Iterator[list[_Stopped]]:
    """While inside, the first SIGINT, SIGTERM or SIGHUP sets ``stop`` and is kept in the list
    given (the caller finishes its cycle, then raises it); a second one raises at once.

    Only in the main thread, and a signal the process was started with ignored stays ignored,
    as :func:`jobfsm.cli.shared._stop_on_signals` does.
    """
    caught: list[_Stopped] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return

    def finish(signum: int, frame: FrameType | None) -> None:
        if caught:
            raise _stopped(signum)
        caught.append(_stopped(signum))
        stop.set()

    previous = {
        sig: signal.signal(sig, finish)
        for sig in (signal.SIGINT, signal.SIGTERM, *_HANGUP)
        if signal.getsignal(sig) is not signal.SIG_IGN
    }
    try:
        yield caught
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
