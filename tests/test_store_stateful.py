"""Stateful property test: no sequence of store calls from any number of Job objects and stores
leaves a stored history that is not a chain of declared moves ending at the stored status."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import drop_store_rules
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from jobfsm import (
    DEFAULT_LIFECYCLE,
    ConcurrentUpdate,
    IllegalTransition,
    InvalidTime,
    Job,
    JobExists,
    JobNotFound,
    JobStatus,
    JobStore,
)
from jobfsm.store import history_table, jobs_table
from jobfsm.vocabulary import Status

S = JobStatus
LC = DEFAULT_LIFECYCLE
IDS = st.sampled_from(["a", "b"])
STATUSES = st.sampled_from(list(S))
# A status a job can still leave: random draws over all 23 end most jobs at once.
ACTIVE = st.sampled_from([s for s in S if s.is_active])


class StoreInvariants(RuleBasedStateMachine):
    """Two stores on one SQLite file (one remembering versions, one not) and many Job objects,
    some loaded, some made up, all moved and saved at random."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="jobfsm-stateful-"))
        url = f"sqlite:///{self.folder / 'jobs.db'}"
        self.stores = [JobStore(url), JobStore(url, cache_size=0)]
        self.stores[0].create_schema()
        self.jobs: list[Job] = []
        # The status each stored job was created in: where its history must start.
        self.started: dict[str, Status] = {}

    def teardown(self) -> None:
        for store in self.stores:
            store.close()
        shutil.rmtree(self.folder)

    def _store(self, which: int) -> JobStore:
        return self.stores[which % len(self.stores)]

    def _job(self, which: int) -> Job | None:
        return self.jobs[which % len(self.jobs)] if self.jobs else None

    @rule(which=st.integers(0, 1), job_id=IDS, status=ACTIVE)
    def create(self, which: int, job_id: str, status: JobStatus) -> None:
        try:
            self._store(which).create(job_id, status)
        except JobExists:
            assert job_id in self.started
            return
        assert job_id not in self.started
        self.started[job_id] = status

    @rule(
        which=st.integers(0, 1),
        job_id=IDS,
        to=STATUSES,
        expected=st.none() | STATUSES,
    )
    def transition(
        self, which: int, job_id: str, to: JobStatus, expected: JobStatus | None
    ) -> None:
        with contextlib.suppress(JobNotFound, IllegalTransition, ConcurrentUpdate):
            self._store(which).transition(job_id, to, expected=expected)

    @rule(job_id=IDS, status=ACTIVE)
    def make_up_a_job(self, job_id: str, status: JobStatus) -> None:
        self.jobs.append(Job(job_id, status))

    @rule(which=st.integers(0, 1), job_id=IDS)
    def load(self, which: int, job_id: str) -> None:
        try:
            self.jobs.append(self._store(which).load(job_id))
        except JobNotFound:
            assert job_id not in self.started

    @rule(job=st.integers(0, 50), to=STATUSES)
    def advance_a_job(self, job: int, to: JobStatus) -> None:
        chosen = self._job(job)
        if chosen is not None:
            with contextlib.suppress(IllegalTransition):
                chosen.advance_to(to)

    @rule(which=st.integers(0, 1), job=st.integers(0, 50), relabel=st.booleans())
    def save(self, which: int, job: int, relabel: bool) -> None:
        chosen = self._job(job)
        if chosen is None:
            return
        store = self._store(which)
        try:
            record = store.save(chosen, labels={"by": "save"} if relabel else None)
        except (ConcurrentUpdate, IllegalTransition, InvalidTime):
            # InvalidTime: the Job moved before another call created the stored job.
            return
        # A save that succeeds leaves the job stored exactly as the Job has it.
        assert record.status is chosen.status
        assert [m[:3] for m in store.history(chosen.job_id)] == [m[:3] for m in chosen.history]
        if chosen.job_id not in self.started:
            self.started[chosen.job_id] = (
                chosen.history[0].source if chosen.history else chosen.status
            )

    @invariant()
    def every_history_is_a_chain_of_declared_moves(self) -> None:
        with self.stores[0].engine.connect() as conn:
            jobs = {r.job_id: r for r in conn.execute(sa.select(jobs_table))}
            rows = conn.execute(sa.select(history_table).order_by("job_id", "seq")).all()
        assert set(jobs) == set(self.started)
        by_job: dict[str, list[Any]] = {job_id: [] for job_id in jobs}
        for row in rows:
            by_job[row.job_id].append(row)
        for job_id, history in by_job.items():
            assert jobs[job_id].version == len(history)
            assert [h.seq for h in history] == list(range(1, len(history) + 1))
            status = self.started[job_id]
            for h in history:
                assert S(h.source) is status, f"{job_id}: the history breaks at seq {h.seq}"
                assert LC.event_for(status, S(h.target)) == h.event, f"{job_id}: seq {h.seq}"
                status = S(h.target)
            assert S(jobs[job_id].status) is status, job_id
            # And it loads: its times never go back (a Job refuses a history that does).
            assert self.stores[0].load(job_id).status is status


StoreInvariants.TestCase.settings = settings(
    max_examples=150, stateful_step_count=30, deadline=None
)
test_store_invariants = StoreInvariants.TestCase


def test_the_invariant_notices_a_broken_chain() -> None:
    """The invariant is not vacuous: a history that skips the stored status is caught."""
    machine = StoreInvariants()
    try:
        machine.create(0, "a", S.WAITING)
        # Past the rules, which refuse the stored status's jump.
        drop_store_rules(f"sqlite:///{machine.folder / 'jobs.db'}")
        with machine.stores[0].engine.begin() as conn:
            conn.execute(
                history_table.insert().values(
                    job_id="a",
                    seq=1,
                    source=int(S.INIT),
                    target=int(S.SUBMIT_TRYING),
                    event="submit",
                    at=sa.func.now(),
                )
            )
            conn.execute(jobs_table.update().values(status=int(S.SUBMIT_TRYING), version=1))
        with pytest.raises(AssertionError, match="the history breaks at seq 1"):
            machine.every_history_is_a_chain_of_declared_moves()
    finally:
        machine.teardown()
