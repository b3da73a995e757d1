"""Every built-in lifecycle (and the shipped example file) through every component: for random
walks, the validators, the Tracker, a Job, a log's judgment, the store and the renderer agree."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobfsm import (
    Job,
    JobStore,
    Lifecycle,
    Tracker,
    get_lifecycle,
    scan_log,
    validate_history,
)
from jobfsm.diagram import EdgeStyle, extract
from jobfsm.lifecycles import BUILTIN, EXAMPLES
from jobfsm.vocabulary import Status

LIFECYCLES = {name: get_lifecycle(name) for name in BUILTIN} | {
    f"example:{name}": get_lifecycle(path) for name, path in EXAMPLES.items()
}


@st.composite
def walks(draw: st.DrawFn, lifecycle: Lifecycle) -> tuple[list[Status], list[bool]]:
    """A walk from the initial status along declared moves, never through the gap; and, per
    observation after the first, whether the poller missed the status before it."""
    walk: list[Status] = [lifecycle.initial]
    while walk[-1].is_active and len(walk) < 25:
        onward = sorted(lifecycle.next_map[walk[-1]] - {lifecycle.gap})
        if not onward:
            break
        walk.append(draw(st.sampled_from(onward)))
    skipped = [draw(st.booleans()) for _ in walk[1:]]
    return walk, skipped


def _polled(walk: list[Status], skipped: list[bool]) -> list[Status]:
    """What a poller saw: some statuses missed (never the first nor the last)."""
    seen = [walk[0]]
    for status, miss in zip(walk[1:-1], skipped, strict=False):
        if not miss:
            seen.append(status)
    if len(walk) > 1:
        seen.append(walk[-1])
    return seen


@pytest.mark.parametrize("name", sorted(LIFECYCLES))
def test_every_component_agrees_on_random_walks(name: str, tmp_path: Path) -> None:
    lifecycle = LIFECYCLES[name]
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}", lifecycle=lifecycle)
    store.create_schema()
    counter = iter(range(10**6))

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(walks(lifecycle))
    def check(case: tuple[list[Status], list[bool]]) -> None:
        walk, skipped = case
        job_id = f"job-{next(counter)}"
        # The declared walk conforms strictly, everywhere it is judged.
        assert validate_history(walk, "strict", lifecycle=lifecycle).ok
        job = Job(job_id, lifecycle=lifecycle)
        for status in walk[1:]:
            job.advance_to(status)
        assert job.status is walk[-1]
        tracker = Tracker(lifecycle, "strict")
        for t, status in enumerate(walk):
            tracker.observe(job_id, status, float(t))
        assert tracker.status(job_id) is walk[-1]
        lines = b"".join(
            json.dumps({"job_id": job_id, "status": s.reported, "time": t}).encode() + b"\n"
            for t, s in enumerate(walk)
        )
        report = scan_log(io.BytesIO(lines), "jsonl", "strict", lifecycle=lifecycle)
        assert report.ok
        assert report.jobs == 1
        assert report.lifecycle == lifecycle.name
        store.create(job_id, walk[0])
        for status in walk[1:]:
            assert store.transition(job_id, status).moved
        assert store.get(job_id).status is walk[-1]
        drawing = extract(lifecycle, path=walk)
        assert not [e for e in drawing.edges if e.style is EdgeStyle.UNDECLARED]
        # A poller that missed statuses: polled judgment infers them, everywhere alike.
        seen = _polled(walk, skipped)
        polled = validate_history(seen, "polled", lifecycle=lifecycle)
        assert polled.ok
        watcher = Tracker(lifecycle, "polled")
        for t, status in enumerate(seen):
            watcher.observe(job_id, status, float(t))
        assert watcher.status(job_id) is polled.final
        polled_job = Job(f"{job_id}-polled", lifecycle=lifecycle)
        for status in seen[1:]:
            polled_job.advance_to(status, mode="polled")
        assert polled_job.status is polled.final

    try:
        check()
    finally:
        store.close()


@pytest.mark.parametrize("name", sorted(LIFECYCLES))
def test_a_terminal_status_is_never_left(name: str) -> None:
    lifecycle = LIFECYCLES[name]
    for end in lifecycle.terminal:
        for other in lifecycle.statuses:
            if other is not end:
                assert not lifecycle.can_transition(end, other)
                assert not validate_history([end, other], "polled", lifecycle=lifecycle).ok
