"""Prometheus metrics of a fleet's lifecycle (optional extra ``metrics``: ``prometheus_client``).

One :class:`Metrics` object counts what the lifecycle sees, wherever it is seen: as a listener of a
:class:`~jobfsm.JobMachine` (every move of every job of that machine, and so of a
:class:`~jobfsm.JobStore` opened with it, whose listeners run after each commit), of a
:class:`~jobfsm.Tracker` (moves, violations, late observations, finished jobs), or fed refusals by
hand. :func:`serve` exposes them over HTTP for a Prometheus server to scrape.

Metrics (every one labelled with the lifecycle's name):

- ``jobfsm_moves_total{source, target, event, inferred}``: committed moves.
- ``jobfsm_time_in_status_seconds{status}``: a histogram of how long jobs stayed in a status they
  left (measured from the move into it, or from when the job was first seen).
- ``jobfsm_violations_total{kind}``: rejected observations by verdict kind (undeclared, from a
  terminal status, rejected by guard).
- ``jobfsm_refusals_total{kind}``: moves refused to a caller (illegal, guard, concurrent update,
  lifecycle mismatch), counted with :meth:`Metrics.refused`.
- ``jobfsm_late_observations_total``, ``jobfsm_finished_jobs_total{outcome}``.
- ``jobfsm_jobs{status}``: jobs per status, read at scrape time from a source you give
  (:meth:`Metrics.count_jobs`), such as a Tracker.
- ``jobfsm_overdue_jobs{status}``: set by whatever finds overdue jobs (:meth:`Metrics.set_overdue`).

>>> from jobfsm import Job, JobMachine, JobStatus
>>> from jobfsm.metrics import Metrics
>>> metrics, fleet = Metrics(), JobMachine()
>>> fleet.add_listener(metrics.on_job_move)
>>> _ = Job("a", JobStatus.WAITING, machine=fleet).start()
>>> print(metrics.value("jobfsm_moves_total", source="WAITING", target="RUNNING"))
1.0
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from jobfsm.errors import (
    ConcurrentUpdate,
    GuardRejected,
    IllegalTransition,
    InvalidArgument,
    JobFSMError,
    MissingExtra,
)
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle

try:
    import prometheus_client as prom
    from prometheus_client.registry import Collector
except ImportError as exc:  # pragma: no cover - exercised with the extra uninstalled
    raise MissingExtra("metrics (jobfsm.metrics)", "metrics", "prometheus_client") from exc

if TYPE_CHECKING:
    from collections.abc import Iterator

    from prometheus_client.metrics_core import Metric

    from jobfsm.machine import Job, Move
    from jobfsm.tracker import (
        JobFinished,
        LateObservation,
        TrackedMove,
        TrackedViolation,
        Tracker,
    )
    from jobfsm.vocabulary import Status

__all__ = ["BUCKETS", "Metrics", "MetricsServer", "serve"]

#: Time-in-status buckets, in seconds: a poll interval to a long training run.
BUCKETS: Final = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400, 604800)


class Metrics:
    """The lifecycle's metrics in a registry of their own (or the one given).

    Args:
        lifecycle: whose moves are counted (its name labels every series).
        registry: a :class:`prometheus_client.CollectorRegistry`; a new one by default, so two
            Metrics objects never clash.
    """

    def __init__(
        self,
        lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
        *,
        registry: prom.CollectorRegistry | None = None,
    ) -> None:
        if not isinstance(lifecycle, Lifecycle):
            raise InvalidArgument("lifecycle", lifecycle, "a Lifecycle (jobfsm.get_lifecycle(...))")
        self.lifecycle = lifecycle
        self.registry = registry if registry is not None else prom.CollectorRegistry()
        name = lifecycle.name
        reg = self.registry
        self._moves = prom.Counter(
            "jobfsm_moves",
            "Committed moves.",
            ["lifecycle", "source", "target", "event", "inferred"],
            registry=reg,
        )
        self._time = prom.Histogram(
            "jobfsm_time_in_status_seconds",
            "How long jobs stayed in a status they left.",
            ["lifecycle", "status"],
            buckets=BUCKETS,
            registry=reg,
        )
        self._violations = prom.Counter(
            "jobfsm_violations",
            "Rejected observations, by verdict kind.",
            ["lifecycle", "kind"],
            registry=reg,
        )
        self._refusals = prom.Counter(
            "jobfsm_refusals",
            "Moves refused to a caller, by kind.",
            ["lifecycle", "kind"],
            registry=reg,
        )
        self._late = prom.Counter(
            "jobfsm_late_observations",
            "Observations older than their job's last.",
            ["lifecycle"],
            registry=reg,
        )
        self._finished = prom.Counter(
            "jobfsm_finished_jobs",
            "Jobs that reached a terminal status, by outcome.",
            ["lifecycle", "outcome"],
            registry=reg,
        )
        self._overdue = prom.Gauge(
            "jobfsm_overdue_jobs",
            "Jobs past their status's dwell limit.",
            ["lifecycle", "status"],
            registry=reg,
        )
        self._label = name
        # When each job a Tracker reports entered its status (epoch seconds), for the histogram.
        self._entered: dict[str, float] = {}
        self._lock = threading.Lock()
        self._jobs_source: Callable[[], Mapping[Status, int]] | None = None
        reg.register(_JobsCollector(self))

    # -- sources -----------------------------------------------------------------------------

    def on_job_move(self, job: Job, move: Move) -> None:
        """A :data:`~jobfsm.machine.Listener`: ``machine.add_listener(metrics.on_job_move)``, or
        ``job.add_listener(...)`` for one job."""
        self._move(move.source, move.target, move.event, move.inferred)
        history = job.history
        before = history[-2].at if len(history) > 1 else job.created_at
        self._stayed(move.source, before, move.at)

    def watch(self, tracker: Tracker) -> None:
        """Count what ``tracker`` judges: moves, violations, late observations, finished jobs;
        and its jobs per status (:meth:`count_jobs`)."""
        tracker.on_move(self._tracked_move)
        tracker._on_first(self._tracked_first)
        tracker.on_violation(self._tracked_violation)
        tracker.on_late(self._tracked_late)
        tracker.on_terminal(self._tracked_finished)
        self.count_jobs(tracker.by_status)

    def refused(self, error: JobFSMError) -> None:
        """Count a refused move (what ``transition``, ``advance_to`` or ``apply`` reported)."""
        if isinstance(error, ConcurrentUpdate):
            kind = "concurrent_update"
        elif isinstance(error, GuardRejected):
            kind = "guard"
        elif isinstance(error, IllegalTransition):
            kind = "illegal"
        else:
            kind = type(error).__name__
        self._refusals.labels(self._label, kind).inc()

    def count_jobs(self, source: Callable[[], Mapping[Status, int]]) -> None:
        """Read ``jobfsm_jobs{status}`` from ``source()`` at every scrape, for example
        ``lambda: Counter(r.status for r in store.list())``."""
        if not callable(source):
            raise InvalidArgument("source", source, "a function returning {status: count}")
        self._jobs_source = source

    def set_overdue(self, counts: Mapping[Status, int]) -> None:
        """Set ``jobfsm_overdue_jobs{status}`` (statuses left out are set to 0)."""
        for status in self.lifecycle.statuses:
            self._overdue.labels(self._label, status.name).set(counts.get(status, 0))

    # -- reading -----------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The metrics in the Prometheus text format, as a scrape gets them."""
        return bytes(prom.generate_latest(self.registry))

    def value(self, name: str, **labels: str) -> float | None:
        """The sum of the samples called ``name`` whose labels include ``labels`` (and this
        lifecycle), or None when there is none. For a histogram, ask for ``..._count``.
        """
        wanted = {"lifecycle": self._label, **labels}
        found = [
            sample.value
            for family in self.registry.collect()
            for sample in family.samples
            if sample.name == name and wanted.items() <= sample.labels.items()
        ]
        return sum(found) if found else None

    # -- the counting itself -----------------------------------------------------------------

    def _move(self, source: Status, target: Status, event: str | None, inferred: bool) -> None:
        self._moves.labels(
            self._label, source.name, target.name, event or "", "true" if inferred else "false"
        ).inc()

    def _stayed(self, status: Status, since: datetime | float, until: datetime | float) -> None:
        start = since.timestamp() if isinstance(since, datetime) else since
        end = until.timestamp() if isinstance(until, datetime) else until
        if end >= start:
            self._time.labels(self._label, status.name).observe(end - start)

    def _tracked_first(self, move: TrackedMove) -> None:
        with self._lock:
            self._entered[move.job_id] = move.at.timestamp()

    def _tracked_move(self, move: TrackedMove) -> None:
        chain = (move.source, *move.skipped, move.target)
        for i, (a, b) in enumerate(itertools.pairwise(chain)):
            self._move(a, b, self.lifecycle.event_for(a, b), i < len(chain) - 2)
        at = move.at.timestamp()
        with self._lock:
            since = self._entered.get(move.job_id)
            self._entered[move.job_id] = at
        if since is not None:
            self._stayed(move.source, since, at)

    def _tracked_violation(self, violation: TrackedViolation) -> None:
        self._violations.labels(self._label, violation.kind.name.lower()).inc()

    def _tracked_late(self, late: LateObservation) -> None:
        self._late.labels(self._label).inc()

    def _tracked_finished(self, finished: JobFinished) -> None:
        self._finished.labels(self._label, finished.outcome.value).inc()
        with self._lock:
            self._entered.pop(finished.job_id, None)


class _JobsCollector(Collector):
    """``jobfsm_jobs{status}`` computed at scrape time from the source :meth:`count_jobs` set."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        family = GaugeMetricFamily(
            "jobfsm_jobs", "Jobs per status.", labels=["lifecycle", "status"]
        )
        source = self.metrics._jobs_source
        if source is not None:
            counts = source()
            for status in self.metrics.lifecycle.statuses:
                family.add_metric([self.metrics._label, status.name], counts.get(status, 0))
        yield family

    def describe(self) -> Iterator[Metric]:
        return iter(())


class MetricsServer:
    """An HTTP server answering ``GET /metrics`` in a thread of its own; :meth:`close` stops it.

    Attributes:
        port: the port it listens on (the one asked for, or the one the system chose for 0).
    """

    def __init__(self, server: Any, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.port: int = server.server_port

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(metrics: Metrics, port: int = 0, addr: str = "127.0.0.1") -> MetricsServer:
    """Serve ``metrics`` at ``http://ADDR:PORT/metrics`` (port 0: any free one) until closed.

    Raises:
        InvalidArgument: ``port`` is not 0–65535.
        OSError: the port cannot be bound (in use, or privileged).
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise InvalidArgument("port", port, "a port number 0–65535 (0 for any free one)")
    server, thread = prom.start_http_server(port, addr, registry=metrics.registry)
    return MetricsServer(server, thread)
