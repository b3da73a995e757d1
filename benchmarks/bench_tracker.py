"""Tracker benchmarks: ``Tracker.observe`` and ``observe_many`` next to raw ``transitions``.

Every side consumes the same realistic poll stream in the same run: many jobs, interleaved by
time, each polled every 10 s so that most statuses are seen more than once (about 62 % of the
observations after each job's first repeat the job's status), every change of status a declared
move. The baseline is what an embedder would write with ``transitions`` alone: one shared
``transitions.Machine`` (``auto_transitions=False``, the same table), one model per job, and for
each change of status the declared event triggered by name (a repeated status is skipped with one
comparison, which costs the baseline almost nothing).

Measured, as microseconds per observation over every observation after each job's first (the
first starts a job: a ``Tracker`` entry, or a model added to the machine; prepared untimed on both
sides and measured separately):

- ``observe``, one call per observation, with and without the tracker's lock;
- ``observe_many``, one call per 10-s poll cycle (each job at most once per call, as a scheduler's
  list call returns them);
- both again on the changes of status alone (the repeats left out): the engine comparison;
- the ceiling: a ``NoOpTracker`` whose ``observe`` does nothing, called exactly as ``observe`` is.
  The baseline pays little more than its loop for a repeat, so the ratio no implementation of
  ``observe`` called from Python can exceed is baseline / no-op, whatever its work costs;
- bytes per tracked job with 100,000 live jobs (tracemalloc), next to a ``transitions`` model per
  job on one shared machine (measured on fewer models: adding one binds all 45 events to it).

Each side is timed with only its own objects alive (best of ``--repeat`` rounds, garbage collected
before each round and enabled during it).

Run: ``.venv/bin/python benchmarks/bench_tracker.py`` (``--jobs``/``--live`` to resize). Prints a
table and writes ``benchmarks/results/tracker.json``.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from itertools import groupby
from typing import Any

import transitions
from report import save

from jobfsm import DEFAULT_LIFECYCLE, JobStatus
from jobfsm.tracker import Tracker
from jobfsm.vocabulary import Status

S = JobStatus
TABLE = [
    {"trigger": e.event, "source": e.source, "dest": e.target} for e in DEFAULT_LIFECYCLE.edges
]
POLL_SECONDS = 10.0
# Mean seconds a job stays in a status: short creation steps, longer queueing and running.
MEAN_SECONDS: dict[Status, float] = {
    S.WAITING: 40.0,
    S.RUNNING: 60.0,
    S.SCALING: 20.0,
    S.KILLING: 15.0,
}
DEFAULT_SECONDS = 15.0
# How likely each next status is, relative to the others; anything unlisted weighs 1.
WEIGHT: dict[Status, int] = {
    S.SUBMIT_TRYING: 6,
    S.WAITING: 8,
    S.RUNNING: 10,
    S.COMPLETED: 8,
    S.IMAGE_CREATING: 3,
    S.KILLING: 2,
    S.KILLED: 2,
    S.UNKNOWN: 0,  # the stream has no reporting gaps: every change is a declared move
}

Observation = tuple[str, Status, float]


class Model:
    """A plain model object for raw transitions (which adds ``trigger`` and ``state``)."""

    state: Any
    trigger: Callable[..., bool]


def lifecycle_walk(rng: random.Random) -> list[Status]:
    """A legal lifecycle from INIT to a terminal status, weighted towards the common path."""
    walk: list[Status] = [S.INIT]
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


def split_firsts(stream: list[Observation]) -> tuple[list[Observation], list[Observation]]:
    """Each job's first observation (which starts tracking it), and every later one, in order."""
    seen: set[str] = set()
    firsts, rest = [], []
    for obs in stream:
        if obs[0] in seen:
            rest.append(obs)
        else:
            seen.add(obs[0])
            firsts.append(obs)
    return firsts, rest


def changes_only(rest: list[Observation], firsts: list[Observation]) -> list[Observation]:
    """The observations of ``rest`` that change their job's status (the repeats left out)."""
    last = {job_id: status for job_id, status, _at in firsts}
    changes = []
    for obs in rest:
        if last[obs[0]] is not obs[1]:
            changes.append(obs)
            last[obs[0]] = obs[1]
    return changes


def poll_cycles(stream: list[Observation]) -> list[list[Observation]]:
    """The stream cut into 10-s poll cycles: what one list call of a scheduler returns."""
    cycles = [list(group) for _, group in groupby(stream, key=lambda o: o[2] // POLL_SECONDS)]
    # A job is polled at most once per cycle, as a real list call reports it.
    assert all(len({o[0] for o in cycle}) == len(cycle) for cycle in cycles)
    return cycles


class NoOpTracker:
    """An ``observe`` that does nothing: the cost of the loop and the call alone."""

    def observe(self, job_id: str, status: Status, at: float | None = None) -> None:
        return None


def feed_noop(tracker: NoOpTracker, stream: list[Observation]) -> NoOpTracker:
    """``feed_tracker``'s loop, calling the no-op the way ``feed_tracker`` calls the tracker."""
    observe = tracker.observe
    for job_id, status, at in stream:
        observe(job_id, status, at)
    return tracker


def feed_tracker(tracker: Tracker, stream: list[Observation]) -> Tracker:
    observe = tracker.observe
    for job_id, status, at in stream:
        observe(job_id, status, at)
    return tracker


def feed_batches(tracker: Tracker, cycles: list[list[Observation]]) -> Tracker:
    observe_many = tracker.observe_many
    for cycle in cycles:
        observe_many(cycle)
    return tracker


def transitions_models(firsts: list[Observation]) -> tuple[transitions.Machine, dict[str, Model]]:
    """One shared machine and one model per job, each in its first observed status."""
    machine = transitions.Machine(
        model=None, states=S, initial=S.INIT, transitions=TABLE, auto_transitions=False
    )
    models: dict[str, Model] = {}
    for job_id, status, _at in firsts:
        model = models[job_id] = Model()
        machine.add_model(model, initial=status)
    return machine, models


EVENT_FOR = {(e.source, e.target): e.event for e in DEFAULT_LIFECYCLE.edges}


def feed_transitions(stream: list[Observation], models: dict[str, Model]) -> None:
    """What an embedder writes with transitions alone: trigger the declared event per change."""
    event_for = EVENT_FOR
    for job_id, status, _at in stream:
        model = models[job_id]
        if model.state is not status:
            model.trigger(event_for[(model.state, status)])


def best_of(
    prepare: Callable[[], Any], run: Callable[[Any], object], count: int, repeat: int
) -> float:
    """Seconds per item of ``run(prepare())``, best of ``repeat`` rounds; prepare is untimed."""
    times = []
    for _ in range(repeat):
        ready = prepare()
        gc.collect()
        start = time.perf_counter()
        run(ready)
        times.append(time.perf_counter() - start)
    return min(times) / count


def bench_observe(jobs: int, repeat: int) -> dict[str, Any]:
    stream = poll_stream(jobs)
    firsts, rest = split_firsts(stream)
    changes = changes_only(rest, firsts)
    # Both sides must end every job in the same status, or the comparison means nothing.
    tracker = feed_tracker(Tracker(), stream)
    counts = tracker.counts()
    assert counts.violations == counts.late == counts.inferred == 0, counts
    _machine, models = transitions_models(firsts)
    feed_transitions(rest, models)
    assert all(tracker.status(j) is m.state for j, m in models.items())

    def tracking(thread_safe: bool = True) -> Callable[[], Tracker]:
        return lambda: feed_tracker(Tracker(thread_safe=thread_safe), firsts)

    def ours(on: list[Observation]) -> Callable[[Tracker], object]:
        return lambda t: feed_tracker(t, on)

    def batched(on: list[Observation]) -> Callable[[Tracker], object]:
        cycles = poll_cycles(on)
        return lambda t: feed_batches(t, cycles)

    def raw(on: list[Observation]) -> Callable[[Any], object]:
        return lambda ready: feed_transitions(on, ready[1])

    def raw_models() -> Any:
        return transitions_models(firsts)

    # The same stream batched gives the same result (observe_many is observe, batched).
    batched_tracker = feed_batches(feed_tracker(Tracker(), firsts), poll_cycles(rest))
    assert batched_tracker.counts() == counts
    # Each side is timed with only its own objects alive: a heap of idle models (or trackers)
    # would make every garbage collection during the other side's run slower.
    del tracker, batched_tracker, _machine, models
    ours_t = best_of(tracking(), ours(rest), len(rest), repeat)
    unlocked_t = best_of(tracking(False), ours(rest), len(rest), repeat)
    many_t = best_of(tracking(), batched(rest), len(rest), repeat)
    raw_t = best_of(raw_models, raw(rest), len(rest), repeat)
    noop_t = best_of(NoOpTracker, lambda t: feed_noop(t, rest), len(rest), repeat)
    ours_c = best_of(tracking(), ours(changes), len(changes), repeat)
    many_c = best_of(tracking(), batched(changes), len(changes), repeat)
    raw_c = best_of(raw_models, raw(changes), len(changes), repeat)
    start_ours = best_of(lambda: Tracker(), ours(firsts), len(firsts), repeat)
    start_raw = best_of(lambda: None, lambda _: transitions_models(firsts), len(firsts), repeat)
    return {
        "name": "observe a poll stream vs raw transitions triggers",
        "jobs": jobs,
        "observations": len(stream),
        "timed_observations": len(rest),
        "changes_of_status": len(changes),
        "repeats": len(rest) - len(changes),
        "jobfsm_us": ours_t * 1e6,
        "baseline_us": raw_t * 1e6,
        "speedup": raw_t / ours_t,
        "observations_per_second": 1 / ours_t,
        "noop_us": noop_t * 1e6,
        "ceiling": raw_t / noop_t,
        "unlocked_jobfsm_us": unlocked_t * 1e6,
        "unlocked_speedup": raw_t / unlocked_t,
        "poll_cycles": len(poll_cycles(rest)),
        "many_jobfsm_us": many_t * 1e6,
        "many_speedup": raw_t / many_t,
        "many_observations_per_second": 1 / many_t,
        "changes_jobfsm_us": ours_c * 1e6,
        "changes_baseline_us": raw_c * 1e6,
        "changes_speedup": raw_c / ours_c,
        "many_changes_jobfsm_us": many_c * 1e6,
        "many_changes_speedup": raw_c / many_c,
        "start_jobfsm_us": start_ours * 1e6,
        "start_baseline_us": start_raw * 1e6,
        "start_speedup": start_raw / start_ours,
        "target": "speedup >= 20 per observation (observe, or observe_many per poll cycle)",
        "observe_met": raw_t / ours_t >= 20,
        "many_met": raw_t / many_t >= 20,
        "met": raw_t / ours_t >= 20 or raw_t / many_t >= 20,
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
    rows = [
        ("observe, per observation of the poll stream", "", "", speed["observe_met"]),
        ("  the same, Tracker(thread_safe=False)", "unlocked_", "", None),
        ("observe_many, one call per 10-s poll cycle", "many_", "", speed["many_met"]),
        ("observe, changes of status only (repeats left out)", "changes_", "changes_", None),
        ("observe_many, changes of status only", "many_changes_", "changes_", None),
        ("start tracking a job vs Machine.add_model", "start_", "start_", None),
    ]
    print(f"{'benchmark':<60} {'jobfsm':>10} {'baseline':>10} {'ratio':>13}  target")
    for label, key, base_key, met in rows:
        ours = speed[f"{key}jobfsm_us"]
        base = speed[f"{base_key}baseline_us"]
        ratio = speed[f"{key}speedup"]
        tail = f"  >= 20x {'ok' if met else 'MISSED'}" if met is not None else ""
        print(f"{label:<60} {ours:>8.2f}us {base:>8.2f}us {ratio:>6.1f}x faster{tail}")
    print(
        f"{'  ceiling: a no-op observe called the same way':<60} {speed['noop_us']:>8.2f}us "
        f"{speed['baseline_us']:>8.2f}us {speed['ceiling']:>6.1f}x faster"
    )
    print(
        f"{'  stream':<60} {speed['observations']:,} observations of {speed['jobs']:,} jobs, "
        f"{speed['repeats'] / speed['timed_observations']:.0%} repeats after the first, "
        f"{speed['poll_cycles']:,} poll cycles"
    )
    print(
        f"{'  throughput':<60} observe {speed['observations_per_second']:,.0f}/s, "
        f"observe_many {speed['many_observations_per_second']:,.0f}/s"
    )
    print(
        f"{memory['name']:<60} {memory['jobfsm_bytes']:>9.0f}B {memory['baseline_bytes']:>9.0f}B "
        f"{memory['baseline_bytes'] / memory['jobfsm_bytes']:>8.1f}x less  {memory['target']} "
        f"{'ok' if memory['met'] else 'MISSED'}"
    )
    results = [speed, memory]
    return save(
        "tracker",
        "best of several rounds over the whole stream",
        results,
        transitions=transitions.__version__,
    )


if __name__ == "__main__":
    sys.exit(main())
