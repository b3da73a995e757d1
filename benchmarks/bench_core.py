"""Core benchmarks: jobfsm side by side with raw ``transitions`` on the same 23-state table.

Each figure is measured in one run against its baseline and reported as a ratio:

- creating a tracked job vs a per-job ``transitions.Machine`` (time and memory);
- a legal ``Job.advance_to`` (guards and history included) vs a raw ``transitions`` trigger;
- rejecting an illegal move with ``IllegalTransition`` vs ``transitions`` raising ``MachineError``;
- ``Lifecycle.can_transition`` vs a bare ``frozenset`` membership test.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_core.py``). Prints a table and writes
``benchmarks/results/core.json``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import transitions
from report import save

from jobfsm import DEFAULT_LIFECYCLE, Guard, IllegalTransition, Job, JobStatus

S = JobStatus
TABLE = [
    {"trigger": e.event, "source": e.source, "dest": e.target} for e in DEFAULT_LIFECYCLE.edges
]


class Model:
    """A plain model object for raw transitions (which adds ``trigger`` to it)."""

    state: Any
    trigger: Callable[..., bool]


def raw_machine(model: object) -> transitions.Machine:
    return transitions.Machine(
        model=model, states=S, initial=S.INIT, transitions=TABLE, auto_transitions=False
    )


def raw_model_on_a_shared_machine(initial: JobStatus) -> Model:
    """The baseline for moves: one machine, the model added to it, triggers by name."""
    shared = transitions.Machine(
        model=None, states=S, initial=initial, transitions=TABLE, auto_transitions=False
    )
    model = Model()
    shared.add_model(model)
    return model


def best_per_op(fn: Callable[[], object], number: int, repeat: int) -> float:
    """Seconds per call of ``fn``, best of ``repeat`` rounds of ``number`` calls."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def memory_per_object(make: Callable[[int], object], count: int) -> float:
    """Bytes allocated per object while ``count`` of them are alive."""
    gc.collect()
    tracemalloc.start()
    keep = [make(i) for i in range(count)]
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del keep
    return size / count


def bench_create(scale: int) -> dict[str, Any]:
    counter = iter(range(10**9))
    job_t = best_per_op(lambda: Job(f"j-{next(counter)}"), 2000 * scale, 5)
    raw_t = best_per_op(lambda: raw_machine(Model()), 20 * scale, 5)
    job_m = memory_per_object(lambda i: Job(f"j-{i}"), 2000 * scale)
    raw_m = memory_per_object(lambda i: raw_machine(Model()), 20 * scale)
    return {
        "name": "create a tracked job",
        "jobfsm_us": job_t * 1e6,
        "baseline_us": raw_t * 1e6,
        "speedup": raw_t / job_t,
        "jobfsm_bytes": job_m,
        "baseline_bytes": raw_m,
        "memory_ratio": raw_m / job_m,
        "target": "speedup >= 100, memory_ratio >= 50",
        "met": raw_t / job_t >= 100 and raw_m / job_m >= 50,
    }


def bench_legal(scale: int) -> dict[str, Any]:
    # Two declared moves back and forth (RUNNING <-> SCALING) keep both sides legal forever.
    lifecycle = DEFAULT_LIFECYCLE.with_guards(
        Guard("quota", lambda m: True, "always passes", targets={S.SCALING}),
        Guard("owner", lambda m: True, "always passes", events={"resume"}),
    )
    job = Job("bench", S.RUNNING, lifecycle=lifecycle)
    n = 5000 * scale

    def ours() -> None:
        for _ in range(n):
            job.advance_to(S.SCALING)
            job.advance_to(S.RUNNING)
        # Keep the audit trail from growing without bound across rounds.
        job._history = None

    model = raw_model_on_a_shared_machine(S.RUNNING)

    def raw() -> None:
        for _ in range(n):
            model.trigger("scale")
            model.trigger("resume")

    ours_t = best_per_op(ours, 1, 7) / (2 * n)
    raw_t = best_per_op(raw, 1, 7) / (2 * n)
    return {
        "name": "legal advance_to (guards + history) vs raw trigger",
        "jobfsm_us": ours_t * 1e6,
        "baseline_us": raw_t * 1e6,
        "ratio": ours_t / raw_t,
        "target": "ratio <= 1.25",
        "met": ours_t / raw_t <= 1.25,
    }


def bench_illegal(scale: int) -> dict[str, Any]:
    job = Job("bench", S.RUNNING)
    n = 5000 * scale

    def ours() -> None:
        for _ in range(n):
            try:  # noqa: SIM105 - the cheapest way to catch; both sides pay the same
                job.advance_to(S.WAITING)
            except IllegalTransition:
                pass

    model = raw_model_on_a_shared_machine(S.RUNNING)

    def raw() -> None:
        for _ in range(n):
            try:  # noqa: SIM105 - the cheapest way to catch; both sides pay the same
                model.trigger("queue")
            except transitions.MachineError:
                pass

    ours_t = best_per_op(ours, 1, 7) / n
    raw_t = best_per_op(raw, 1, 7) / n
    return {
        "name": "reject an illegal move vs transitions MachineError",
        "jobfsm_us": ours_t * 1e6,
        "baseline_us": raw_t * 1e6,
        "speedup": raw_t / ours_t,
        "target": "speedup >= 5",
        "met": raw_t / ours_t >= 5,
    }


def bench_can_transition(scale: int) -> dict[str, Any]:
    lc = DEFAULT_LIFECYCLE
    pairs = frozenset((e.source, e.target) for e in lc.edges)
    probes = [(a, b) for a in S for b in S] * (4 * scale)
    can = lc.can_transition

    def ours() -> None:
        for a, b in probes:
            can(a, b)

    def bare() -> None:
        for a, b in probes:
            (a, b) in pairs  # noqa: B015 - the membership test is the work measured

    def loop() -> None:
        for _a, _b in probes:
            pass

    loop_t = best_per_op(loop, 1, 9)
    ours_t = (best_per_op(ours, 1, 9) - loop_t) / len(probes)
    bare_t = (best_per_op(bare, 1, 9) - loop_t) / len(probes)
    return {
        "name": "can_transition vs frozenset membership (loop overhead subtracted)",
        "jobfsm_ns": ours_t * 1e9,
        "baseline_ns": bare_t * 1e9,
        "ratio": ours_t / bare_t,
        "target": "ratio <= 2",
        "met": ours_t / bare_t <= 2,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=int, default=5, help="work per measurement (default 5)")
    args = parser.parse_args(argv)
    results = [
        bench_create(args.scale),
        bench_legal(args.scale),
        bench_illegal(args.scale),
        bench_can_transition(args.scale),
    ]
    print(f"{'benchmark':<68} {'jobfsm':>10} {'baseline':>10} {'ratio':>9}  target")
    for r in results:
        unit = "ns" if "jobfsm_ns" in r else "us"
        ours, base = r[f"jobfsm_{unit}"], r[f"baseline_{unit}"]
        ratio = r.get("speedup") or r.get("ratio")
        label = f"{ratio:.2f}{'x faster' if 'speedup' in r else 'x'}"
        mark = "ok" if r["met"] else "MISSED"
        print(
            f"{r['name']:<68} {ours:>8.2f}{unit} {base:>8.2f}{unit} {label:>9}  "
            + f"{r['target']} {mark}"
        )
        if "memory_ratio" in r:
            print(
                f"{'  memory per job (bytes)':<68} {r['jobfsm_bytes']:>10.0f} "
                f"{r['baseline_bytes']:>10.0f} {r['memory_ratio']:>6.0f}x less"
            )
    return save(
        "core",
        "best of several rounds, per operation",
        results,
        transitions=transitions.__version__,
    )


if __name__ == "__main__":
    sys.exit(main())
