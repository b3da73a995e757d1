"""Tracker benchmarks: ``Tracker.observe`` side by side with raw ``transitions`` triggers.

Both sides consume the same realistic poll stream in the same run: many jobs, interleaved by time,
each polled every 10 s so that most statuses are seen more than once, every change of status a
declared move. The baseline is what an embedder would write with ``transitions`` alone: one shared
``transitions.Machine`` (``auto_transitions=False``, the same table), one model per job added on
its first observation, and for each change of status the declared event triggered by name (a
repeated status is skipped with one comparison, which costs the baseline nothing).

Measured:

- seconds per observation over the whole stream, and per change of status alone;
- bytes per tracked job with 100,000 live jobs (tracemalloc), next to a ``transitions`` model per
  job on one shared machine.

Run: ``.venv/bin/python benchmarks/bench_tracker.py`` (``--jobs``/``--live`` to resize). Prints a
table and writes ``benchmarks/results/tracker.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import transitions

from jobfsm import DEFAULT_LIFECYCLE, JobStatus
from jobfsm.tracker import Tracker

S = JobStatus
RESULTS = Path(__file__).parent / "results"
TABLE = [
    {"trigger": e.event, "source": e.source, "dest": e.target} for e in DEFAULT_LIFECYCLE.edges
]
POLL_SECONDS = 10.0
# Mean seconds a job stays in a status: short creation steps, longer queueing and running.
MEAN_SECONDS = {S.WAITING: 40.0, S.RUNNING: 60.0, S.SCALING: 20.0, S.KILLING: 15.0}
DEFAULT_SECONDS = 15.0
# How likely each next status is, relative to the others; anything unlisted weighs 1.
WEIGHT = {
    S.SUBMIT_TRYING: 6,
    S.WAITING: 8,
    S.RUNNING: 10,
    S.COMPLETED: 8,
    S.IMAGE_CREATING: 3,
    S.KILLING: 2,
    S.KILLED: 2,
    S.UNKNOWN: 0,  # the stream has no reporting gaps: every change is a declared move
}

Observation = tuple[str, JobStatus, float]


class Model:
    """A plain model object for raw transitions (which adds ``trigger`` and ``state``)."""

    state: Any
    trigger: Callable[..., bool]


def lifecycle_walk(rng: random.Random) -> list[JobStatus]:
    """A legal lifecycle from INIT to a terminal status, weighted towards the common path."""
    walk = [S.INIT]
    while walk[-1].is_active and len(walk) < 40:
        choices = sorted(DEFAULT_LIFECYCLE.next_map[walk[-1]])
        weights = [WEIGHT.get(s, 1) for s in choices]
        walk.append(rng.choices(choices, weights)[0])
    return walk


def poll_stream(jobs: int, seed: int = 7) -> list[Observation]:
    """Every poll of ``jobs`` jobs started over an hour, merged into one time-ordered stream."""
    rng = random.Random(seed)
    stream: list[Observation] = []
    for n in range(jobs):
        job_id = f"train-{n:06d}"
        t = rng.uniform(0, 3600)
        first_poll = t + rng.uniform(0, POLL_SECONDS)
        poll = first_poll
        for status in lifecycle_walk(rng):
            end = t + rng.expovariate(1 / MEAN_SECONDS.get(status, DEFAULT_SECONDS))
            # Every status is seen at least once, so every change is a single declared move.
            poll = max(poll, t)
            stream.append((job_id, status, poll))
            poll += POLL_SECONDS
            while poll < end:
                stream.append((job_id, status, poll))
                poll += POLL_SECONDS
            t = max(end, poll - POLL_SECONDS)
    stream.sort(key=lambda o: o[2])
    return stream


def feed_tracker(stream: list[Observation]) -> Tracker:
    tracker = Tracker()
    observe = tracker.observe
    for job_id, status, at in stream:
        observe(job_id, status, at)
    return tracker


def transitions_models(stream: list[Observation]) -> dict[str, Model]:
    """One model per job on one shared machine, each already in its first observed status.

    ``Machine.add_model`` checks membership in a list, so adding models one by one grows
    quadratically; it is done here, outside the timed loop, which only favours the baseline.
    """
    machine = transitions.Machine(
        model=None, states=S, initial=S.INIT, transitions=TABLE, auto_transitions=False
    )
    models: dict[str, Model] = {}
    for job_id, status, _at in stream:
        if job_id not in models:
            models[job_id] = Model()
            machine.add_model(models[job_id], initial=status)
    return models


EVENT_FOR = {(e.source, e.target): e.event for e in DEFAULT_LIFECYCLE.edges}


def feed_transitions(stream: list[Observation], models: dict[str, Model]) -> None:
    event_for = EVENT_FOR
    for job_id, status, _at in stream:
        model = models[job_id]
        if model.state is not status:
            model.trigger(event_for[(model.state, status)])


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def best_of_baseline(stream: list[Observation], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        models = transitions_models(stream)
        gc.collect()
        start = time.perf_counter()
        feed_transitions(stream, models)
        times.append(time.perf_counter() - start)
    return min(times)


def bench_observe(jobs: int, repeat: int) -> dict[str, Any]:
    stream = poll_stream(jobs)
    moves_only = []
    last: dict[str, JobStatus] = {}
    for obs in stream:
        if last.get(obs[0]) is not obs[1]:
            moves_only.append(obs)
            last[obs[0]] = obs[1]
    tracker = feed_tracker(stream)
    counts = tracker.counts()
    assert counts.violations == counts.late == counts.inferred == 0, counts
    # Both sides must end every job in the same status, or the comparison means nothing.
    models = transitions_models(stream)
    feed_transitions(stream, models)
    assert all(tracker.status(j) is m.state for j, m in models.items())
    ours = best_of(lambda: feed_tracker(stream), repeat) / len(stream)
    raw = best_of_baseline(stream, repeat) / len(stream)
    ours_m = best_of(lambda: feed_tracker(moves_only), repeat) / len(moves_only)
    raw_m = best_of_baseline(moves_only, repeat) / len(moves_only)
    return {
        "name": "observe a poll stream vs raw transitions triggers",
        "jobs": jobs,
        "observations": len(stream),
        "changes_of_status": counts.moves + counts.jobs_started,
        "repeats": counts.repeats,
        "jobfsm_us": ours * 1e6,
        "baseline_us": raw * 1e6,
        "speedup": raw / ours,
        "observations_per_second": 1 / ours,
        "changes_only_jobfsm_us": ours_m * 1e6,
        "changes_only_baseline_us": raw_m * 1e6,
        "changes_only_speedup": raw_m / ours_m,
        "target": "speedup >= 20",
        "met": raw / ours >= 20,
    }


def bench_memory(live: int, baseline_jobs: int) -> dict[str, Any]:
    """Bytes per job while ``live`` jobs are tracked, each moved INIT → ... → RUNNING.

    The job ids exist before measuring starts (the caller holds them), so neither side is charged
    for them. The baseline is measured on fewer jobs because adding models is quadratic.
    """
    ids = [f"train-{n:06d}" for n in range(live)]
    path = (S.INIT, S.SUBMIT_TRYING, S.WAITING, S.RUNNING)

    def ours() -> object:
        tracker = Tracker()
        for t, status in enumerate(path):
            for job_id in ids:
                tracker.observe(job_id, status, float(t * 60))
        assert tracker.summary()["active"] == live
        return tracker

    def raw() -> object:
        machine = transitions.Machine(
            model=None, states=S, initial=S.INIT, transitions=TABLE, auto_transitions=False
        )
        models = {}
        for job_id in ids[:baseline_jobs]:
            model = models[job_id] = Model()
            machine.add_model(model, initial=S.INIT)
        for event in ("submit", "queue", "start"):
            for model in models.values():
                model.trigger(event)
        return machine, models

    def measure(build: Callable[[], object], count: int) -> float:
        gc.collect()
        tracemalloc.start()
        keep = build()
        size, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del keep
        return size / count

    ours_b = measure(ours, live)
    raw_b = measure(raw, baseline_jobs)
    return {
        "name": f"memory per tracked job, {live:,} live jobs in RUNNING",
        "jobs": live,
        "baseline_jobs": baseline_jobs,
        "jobfsm_bytes": ours_b,
        "baseline_bytes": raw_b,
        "jobfsm_total_mb": ours_b * live / 2**20,
        "target": "100,000 live jobs in well under 100 MB",
        "met": ours_b * live < 100 * 2**20,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=5000, help="jobs in the poll stream")
    parser.add_argument("--live", type=int, default=100_000, help="live jobs for memory")
    parser.add_argument("--baseline-jobs", type=int, default=5000, help="models for memory")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best one counts")
    args = parser.parse_args(argv)
    speed = bench_observe(args.jobs, args.repeat)
    memory = bench_memory(args.live, min(args.live, args.baseline_jobs))
    print(f"{'benchmark':<60} {'jobfsm':>10} {'baseline':>10} {'ratio':>13}  target")
    print(
        f"{speed['name']:<60} {speed['jobfsm_us']:>8.2f}us {speed['baseline_us']:>8.2f}us "
        f"{speed['speedup']:>6.1f}x faster  {speed['target']} {'ok' if speed['met'] else 'MISSED'}"
    )
    print(
        f"{'  changes of status only':<60} {speed['changes_only_jobfsm_us']:>8.2f}us "
        f"{speed['changes_only_baseline_us']:>8.2f}us {speed['changes_only_speedup']:>6.1f}x faster"
    )
    print(
        f"{'  stream':<60} {speed['observations']:,} observations of {speed['jobs']:,} jobs, "
        f"{speed['repeats'] / speed['observations']:.0%} repeats, "
        f"{speed['observations_per_second']:,.0f} observations/s"
    )
    print(
        f"{memory['name']:<60} {memory['jobfsm_bytes']:>9.0f}B {memory['baseline_bytes']:>9.0f}B "
        f"{memory['baseline_bytes'] / memory['jobfsm_bytes']:>8.1f}x less  {memory['target']} "
        f"{'ok' if memory['met'] else 'MISSED'}"
    )
    results = [speed, memory]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "tracker.json"
    tmp = out.with_suffix(".json.tmp")
    try:
        tmp.write_text(
            json.dumps(
                {
                    "python": sys.version.split()[0],
                    "transitions": transitions.__version__,
                    "machine": platform.machine(),
                    "method": "best of several rounds over the whole stream",
                    "results": results,
                },
                indent=2,
            )
            + "\n"
        )
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    print(f"\nwrote {out}")
    return 0 if all(r["met"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
