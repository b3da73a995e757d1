"""Prometheus metrics: counted from a Job machine, a Tracker and the store, scraped over HTTP and
parsed in the exposition format."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from jobfsm import (
    IllegalTransition,
    Job,
    JobMachine,
    JobStatus,
    JobStore,
    Tracker,
    get_lifecycle,
)
from jobfsm.metrics import Metrics, serve

S = JobStatus


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample the server at ``port`` exposes, by (name, sorted labels)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.status == 200
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def labels(**pairs: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"lifecycle": "modelarts-v1", **pairs}.items()))


def test_moves_of_a_machine_are_counted_and_scraped() -> None:
    metrics, fleet = Metrics(), JobMachine()
    fleet.add_listener(metrics.on_job_move)
    for name in ("a", "b", "c"):
        job = Job(name, S.WAITING, machine=fleet)
        job.start()
    Job("d", S.RUNNING, machine=fleet).complete()
    with serve(metrics) as server:
        samples = scrape(server.port)
    start = labels(source="WAITING", target="RUNNING", event="start", inferred="false")
    assert samples[("jobfsm_moves_total", start)] == 3.0
    complete = labels(source="RUNNING", target="COMPLETED", event="complete", inferred="false")
    assert samples[("jobfsm_moves_total", complete)] == 1.0
    assert samples[("jobfsm_time_in_status_seconds_count", labels(status="WAITING"))] == 3.0


def test_a_tracker_reports_moves_violations_late_and_finished_jobs() -> None:
    tracker, metrics = Tracker(), Metrics()
    metrics.watch(tracker)
    tracker.observe("a", S.WAITING, 0.0)
    tracker.observe("a", S.COMPLETED, 60.0)  # polled: RUNNING inferred
    tracker.observe("b", S.COMPLETED, 0.0)
    tracker.observe("b", S.RUNNING, 10.0)  # a violation: nothing leaves COMPLETED
    tracker.observe("c", S.RUNNING, 50.0)
    tracker.observe("c", S.WAITING, 40.0)  # late
    assert metrics.value("jobfsm_moves_total", source="WAITING", target="RUNNING") == 1.0
    assert metrics.value("jobfsm_moves_total", inferred="true") == 1.0
    assert metrics.value("jobfsm_violations_total", kind="from_terminal") == 1.0
    assert metrics.value("jobfsm_late_observations_total") == 1.0
    assert metrics.value("jobfsm_finished_jobs_total", outcome="succeeded") == 2.0
    assert metrics.value("jobfsm_jobs", status="COMPLETED") == 2.0
    assert metrics.value("jobfsm_jobs", status="RUNNING") == 1.0
    assert metrics.value("jobfsm_time_in_status_seconds_sum", status="WAITING") == 60.0


def test_the_store_reports_through_its_machine_and_refusals_are_counted(tmp_path: Path) -> None:
    metrics, fleet = (
        Metrics(get_lifecycle("modelarts-v2")),
        JobMachine(get_lifecycle("modelarts-v2")),
    )
    fleet.add_listener(metrics.on_job_move)
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}", machine=fleet)
    store.create_schema()
    store.create("a")
    store.transition("a", "Pending")
    store.transition("a", "Running")
    try:
        store.transition("a", "Creating")
    except IllegalTransition as exc:
        metrics.refused(exc)
    store.close()
    assert metrics.value("jobfsm_moves_total", target="Running") == 1.0
    assert metrics.value("jobfsm_refusals_total", kind="illegal") == 1.0
    with serve(metrics) as server:
        samples = scrape(server.port)
    key = (
        "jobfsm_moves_total",
        tuple(
            sorted(
                {
                    "lifecycle": "modelarts-v2",
                    "source": "Creating",
                    "target": "Pending",
                    "event": "queue",
                    "inferred": "false",
                }.items()
            )
        ),
    )
    assert samples[key] == 1.0


def test_overdue_jobs_and_bad_ports() -> None:
    metrics = Metrics()
    metrics.set_overdue({S.KILLING: 2})
    assert metrics.value("jobfsm_overdue_jobs", status="KILLING") == 2.0
    assert metrics.value("jobfsm_overdue_jobs", status="RUNNING") == 0.0
    with pytest.raises(Exception, match="a port number"):
        serve(metrics, 70000)
    assert b"jobfsm_overdue_jobs" in metrics.exposition()
