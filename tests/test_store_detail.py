"""The secondary phase a move's target was observed with (ModelArts v2's ``secondary_phase``), as
the store keeps it: written by transition, save and apply, read by history and load, shown by
the commands. Both backends."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_store_lifecycles import build_old_database, query
from test_store_schema import execute

from jobfsm import (
    InvalidArgument,
    Job,
    JobMachine,
    JobStatus,
    JobStore,
    Move,
    StepKind,
    StoreUnavailable,
)
from jobfsm.cli import EXIT_OK, EXIT_USAGE, main
from jobfsm.lifecycles.modelarts_v2 import MODELARTS_V2, Phase2
from jobfsm.store import SCHEMA_VERSION, ApplyKind
from jobfsm.validate import Rules
from jobfsm.vocabulary import Status

P = Phase2
K = ApplyKind
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def v2(store_url: str) -> Iterator[JobStore]:
    """A store of ModelArts v2, with its tables, on each backend."""
    with JobStore(store_url, lifecycle=MODELARTS_V2) as s:
        s.create_schema()
        yield s


def trail(moves: tuple[Move, ...]) -> list[tuple[str, str, bool, str | None]]:
    return [(m.source.name, m.target.name, m.inferred, m.detail) for m in moves]


def stored_details(url: str, job_id: str) -> list[tuple[int, Any]]:
    """The history rows' detail column as stored, read past the store."""
    return query(url, f"SELECT seq, detail FROM history WHERE job_id = '{job_id}' ORDER BY seq")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- transition ---------------------------------------------------------------------------------


def test_transition_keeps_the_detail_on_the_move_into_the_target(
    v2: JobStore, store_url: str
) -> None:
    """Strict: each move keeps the secondary phase given with it, or none; the rows hold it
    as given (NULL for none); history and load give it back."""
    v2.create("j-1", created_at=T0)
    assert v2.transition("j-1", P.Pending, at=T0 + MINUTE, detail="Queuing").moved
    assert v2.transition("j-1", "Running", at=T0 + 2 * MINUTE).moved
    assert v2.transition("j-1", P.Abnormal, at=T0 + 3 * MINUTE, detail="Lost").moved
    assert trail(v2.history("j-1")) == [
        ("Creating", "Pending", False, "Queuing"),
        ("Pending", "Running", False, None),
        ("Running", "Abnormal", False, "Lost"),
    ]
    assert stored_details(store_url, "j-1") == [(1, "Queuing"), (2, None), (3, "Lost")]
    job = Job("j-1", lifecycle=MODELARTS_V2, created_at=T0)
    job.advance_to(P.Pending, at=T0 + MINUTE, detail="Queuing")
    job.advance_to(P.Running, at=T0 + 2 * MINUTE)
    job.advance_to(P.Abnormal, at=T0 + 3 * MINUTE, detail="Lost")
    assert v2.history("j-1") == job.history
    assert v2.load("j-1").to_dict() == job.to_dict()
    with JobStore(store_url, lifecycle=MODELARTS_V2) as fresh:
        assert fresh.history("j-1") == job.history


def test_a_polled_jump_keeps_the_detail_on_its_observed_move_only(
    v2: JobStore, store_url: str
) -> None:
    """The inferred moves into the skipped statuses have no secondary phase: nobody saw them."""
    v2.create("j-1", created_at=T0)
    result = v2.transition("j-1", P.Completed, at=T0 + MINUTE, mode="polled", detail="Completed")
    assert (result.kind, result.skipped) == (StepKind.INFERRED, (P.Terminating,))
    assert trail(v2.history("j-1")) == [
        ("Creating", "Terminating", True, None),
        ("Terminating", "Completed", False, "Completed"),
    ]
    assert stored_details(store_url, "j-1") == [(1, None), (2, "Completed")]
    job = Job("j-1", lifecycle=MODELARTS_V2, created_at=T0)
    job.advance_to(P.Completed, at=T0 + MINUTE, mode="polled", detail="Completed")
    assert v2.load("j-1").to_dict() == job.to_dict()


def test_a_repeat_or_a_late_observation_writes_no_detail(v2: JobStore) -> None:
    """As for a Job: only a move keeps a secondary phase."""
    v2.create("j-1", created_at=T0)
    v2.transition("j-1", P.Pending, at=T0 + 2 * MINUTE)
    assert v2.transition("j-1", P.Pending, at=T0 + 3 * MINUTE, detail="Queuing").kind is (
        StepKind.REPEAT
    )
    assert v2.transition("j-1", P.Running, at=T0 + MINUTE, detail="Running").kind is StepKind.LATE
    assert trail(v2.history("j-1")) == [("Creating", "Pending", False, None)]


@pytest.mark.parametrize("bad", [7, b"Queuing", ["Queuing"], "Queu\x00ing", "\udcff"])
def test_a_detail_the_store_cannot_keep_is_refused_before_anything_is_written(
    v2: JobStore, bad: object
) -> None:
    """Not a string (or None), or a string with NUL or a lone surrogate: InvalidArgument naming
    the detail, for transition, for an apply item (refused, the others applied) and for save."""
    for job_id in ("j-1", "j-2", "j-3"):
        v2.create(job_id, created_at=T0)
    with pytest.raises(InvalidArgument) as info:
        v2.transition("j-1", P.Pending, at=T0 + MINUTE, detail=bad)  # type: ignore[arg-type]
    assert info.value.argument == "detail"
    assert (v2.get("j-1").version, v2.history("j-1")) == (0, ())
    at = T0 + MINUTE
    items: list[Any] = [("j-1", P.Pending, at, bad), ["j-2", P.Pending, at, bad]]
    results = v2.apply([*items, ("j-3", P.Pending, at, "Queuing")])
    assert [r.kind for r in results] == [K.REFUSED, K.REFUSED, K.MOVED]
    for index, refused in enumerate(results[:2]):
        assert isinstance(refused.error, InvalidArgument)
        assert refused.error.argument == f"observations[{index}].detail"
    assert [(v2.get(j).version, v2.history(j)) for j in ("j-1", "j-2")] == [(0, ()), (0, ())]
    job = Job("j-4", lifecycle=MODELARTS_V2, created_at=T0)
    job.advance_to(P.Pending, at=T0 + MINUTE)
    # A Job takes any string; a hand-made history may hold anything.
    job._history = [job.history[0]._replace(detail=bad)]  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument) as info:
        v2.save(job)
    assert info.value.argument == "history[0].detail"
    assert [r.job_id for r in v2.list()] == ["j-1", "j-2", "j-3"]


def test_listeners_hear_the_detail_of_each_move_written(v2: JobStore) -> None:
    """transition and apply tell the moves as the history keeps them, details included."""
    machine = JobMachine(MODELARTS_V2)
    heard: list[tuple[str, str, str | None]] = []
    machine.add_listener(lambda job, m: heard.append((job.job_id, m.target.name, m.detail)))
    for job_id in ("a", "b"):
        v2.create(job_id, created_at=T0)
    v2.transition("a", P.Pending, at=T0 + MINUTE, detail="Queuing", machine=machine)
    v2.apply(
        [("a", P.Running, T0 + 2 * MINUTE, "Running"), ("b", P.Completed, T0 + 2 * MINUTE, "Done")],
        mode="polled",
        machine=machine,
    )
    assert heard == [
        ("a", "Pending", "Queuing"),
        ("a", "Running", "Running"),
        ("b", "Terminating", None),
        ("b", "Completed", "Done"),
    ]


# -- save and apply -----------------------------------------------------------------------------


def test_save_writes_each_moves_detail(v2: JobStore, store_url: str) -> None:
    """A new job's moves and the moves appended later keep their secondary phases."""
    job = Job("j-1", lifecycle=MODELARTS_V2, created_at=T0)
    job.advance_to(P.Pending, at=T0 + MINUTE, detail="Queuing")
    v2.save(job)
    job.advance_to(P.Running, at=T0 + 2 * MINUTE)
    job.advance_to(P.Abnormal, at=T0 + 3 * MINUTE, mode="polled", detail="Unknown")
    v2.save(job)
    assert v2.history("j-1") == job.history
    assert stored_details(store_url, "j-1") == [(1, "Queuing"), (2, None), (3, "Unknown")]
    assert v2.load("j-1").to_dict() == job.to_dict()


def test_apply_takes_triples_and_4_tuples(v2: JobStore, store_url: str) -> None:
    """In one batch: a triple's move has no detail, a 4-tuple's has its own (None too); in
    polled mode only the observed move of a chain; any iterable of four values is an item, one of
    five is refused."""
    for job_id in ("a", "b", "c", "d"):
        v2.create(job_id, created_at=T0)
    at = T0 + MINUTE
    batch: list[Any] = [
        ("a", P.Pending, at),
        ("b", "Waiting", at, "Queuing"),
        ("c", P.Completed, at, "Completed"),
        ["d", P.Pending, at, None],
        ("a", P.Running, at + MINUTE, "Running"),
        ("b", P.Pending, at + MINUTE, "Queuing"),
        ("d", P.Running, at, "Running", "extra"),
    ]
    results = v2.apply(batch, mode="polled")
    assert [r.kind for r in results] == [
        K.MOVED,
        K.MOVED,
        K.INFERRED,
        K.MOVED,
        K.MOVED,
        K.REPEAT,
        K.REFUSED,
    ]
    assert isinstance(results[-1].error, InvalidArgument)
    assert trail(v2.history("a")) == [
        ("Creating", "Pending", False, None),
        ("Pending", "Running", False, "Running"),
    ]
    assert trail(v2.history("b")) == [("Creating", "Pending", False, "Queuing")]
    assert trail(v2.history("c")) == [
        ("Creating", "Terminating", True, None),
        ("Terminating", "Completed", False, "Completed"),
    ]
    assert trail(v2.history("d")) == [("Creating", "Pending", False, None)]
    assert stored_details(store_url, "c") == [(1, None), (2, "Completed")]
    job = Job("c", lifecycle=MODELARTS_V2, created_at=T0)
    job.advance_to(P.Completed, at=at, mode="polled", detail="Completed")
    assert v2.load("c").to_dict() == job.to_dict()


# -- older databases ----------------------------------------------------------------------------


def test_a_version_3_history_without_the_column_is_refused(store_url: str) -> None:
    """Version 3 has history.detail: a table of that version without it is laid out otherwise."""
    with JobStore(store_url) as s:
        s.create_schema()
    execute(store_url, "ALTER TABLE history DROP COLUMN detail")
    with (
        JobStore(store_url) as other,
        pytest.raises(StoreUnavailable, match=r"its history table .* lacks the column\(s\) detail"),
    ):
        other.list()


@pytest.mark.parametrize("version", [1, 2], ids=["version-1", "version-2"])
def test_an_older_database_gains_the_column_and_then_keeps_details(
    store_url: str, version: int
) -> None:
    """Read as it is (every move without a secondary phase), upgraded by the first write, which
    may already carry one; the old moves stay without."""
    build_old_database(store_url, version)
    with JobStore(store_url) as old:
        assert [m.detail for m in old.history("j-2")] == [None, None]
        assert old.transition("j-1", JobStatus.COMPLETED, at=T0 + 5 * MINUTE, detail="x").moved
        assert [m.detail for m in old.history("j-1")] == [None, "x"]
        results = old.apply([("j-1", JobStatus.COMPLETED, T0 + 6 * MINUTE, "y")])
        assert results[0].kind is K.REPEAT
    assert stored_details(store_url, "j-1") == [(1, None), (2, "x")]
    assert stored_details(store_url, "j-2") == [(1, None), (2, None)]
    assert query(store_url, "SELECT version FROM jobfsm_schema") == [(SCHEMA_VERSION,)]


# -- the JSON forms -----------------------------------------------------------------------------


def test_the_json_forms_name_the_detail_only_when_there_is_one(v2: JobStore) -> None:
    """As Move.to_dict: a move without a secondary phase has no "detail" key, so a v1 job's
    forms are as they were."""
    v2.create("j-1", created_at=T0)
    v2.transition("j-1", P.Pending, at=T0 + MINUTE, detail="Queuing")
    v2.transition("j-1", P.Running, at=T0 + 2 * MINUTE)
    first, second = (m.to_dict() for m in v2.history("j-1"))
    assert first["detail"] == "Queuing"
    assert "detail" not in second
    snapshot = v2.load("j-1").to_dict()
    assert [m.get("detail") for m in snapshot["history"]] == ["Queuing", None]
    assert "detail" not in snapshot["history"][1]
    with JobStore(v2.url) as v1:
        v1.create("v1", JobStatus.WAITING, created_at=T0)
        v1.transition("v1", JobStatus.RUNNING, at=T0 + MINUTE)
        assert list(v1.history("v1")[0].to_dict()) == [
            "source",
            "target",
            "event",
            "at",
            "reason",
            "actor",
            "inferred",
        ]


# -- the commands -------------------------------------------------------------------------------


def test_store_move_detail_and_store_show(
    capsys: pytest.CaptureFixture[str], store_url: str
) -> None:
    """`store move --detail` keeps the secondary phase and says so; `store show` has a detail
    column once a move has one, and its JSON names it where there is one; a v1 job's table has no
    such column."""
    v2 = ("--lifecycle", "modelarts-v2")
    assert run(capsys, "store", "init", store_url)[0] == EXIT_OK
    assert run(capsys, "store", "create", store_url, "j-1", *v2)[0] == EXIT_OK
    code, out, _ = run(capsys, "store", "move", store_url, "j-1", "Pending", *v2)
    assert code == EXIT_OK
    code, out, _ = run(capsys, "store", "show", store_url, "j-1", *v2)
    assert "detail" not in out
    with JobStore(store_url, lifecycle=MODELARTS_V2) as s:
        s.create("j-2", created_at=T0)
    code, out, _ = run(
        capsys, "store", "move", store_url, "j-2", "Waiting", "--detail", "Queuing", *v2
    )
    assert (code, out) == (
        EXIT_OK,
        "job j-2: Creating → Pending by 'queue' (version 1), secondary phase Queuing\n",
    )
    code, out, _ = run(
        capsys,
        "store",
        "move",
        store_url,
        "j-2",
        "Completed",
        "--mode",
        "polled",
        "--detail",
        "Completed",
        *v2,
    )
    assert out == (
        "job j-2: Pending → Running → Completed by 'complete' (version 3) (Running inferred), "
        "secondary phase Completed\n"
    )
    code, out, _ = run(capsys, "store", "show", store_url, "j-2", *v2)
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[2].split() == [
        "seq",
        "at",
        "source",
        "target",
        "detail",
        "event",
        "reason",
        "actor",
    ]
    assert [line.split()[2:5] for line in lines[4:]] == [
        ["Creating", "Pending", "Queuing"],
        ["Pending", "Running", "start"],
        ["Running", "Completed", "Completed"],
    ]
    code, out, _ = run(capsys, "store", "show", store_url, "j-2", "--format", "json", *v2)
    history = json.loads(out)["history"]
    assert [m.get("detail") for m in history] == ["Queuing", None, "Completed"]
    assert "detail" not in history[1]
    assert run(capsys, "store", "create", store_url, "v1", "--status", "WAITING")[0] == EXIT_OK
    assert run(capsys, "store", "move", store_url, "v1", "RUNNING")[0] == EXIT_OK
    code, out, _ = run(capsys, "store", "show", store_url, "v1")
    assert out.splitlines()[2].split() == [
        "seq",
        "at",
        "source",
        "target",
        "event",
        "reason",
        "actor",
    ]
    code, out, _ = run(capsys, "store", "show", store_url, "v1", "--format", "json")
    assert "detail" not in json.loads(out)["history"][0]


def test_store_move_refuses_a_detail_with_nul(
    capsys: pytest.CaptureFixture[str], store_url: str
) -> None:
    """One line, exit 2, nothing written."""
    assert run(capsys, "store", "init", store_url)[0] == EXIT_OK
    run(capsys, "store", "create", store_url, "j-1", "--status", "WAITING")
    code, out, err = run(capsys, "store", "move", store_url, "j-1", "RUNNING", "--detail", "a\x00b")
    assert (code, out) == (EXIT_USAGE, "")
    assert err.startswith("jobfsm: error: detail ")
    assert err.count("\n") == 1
    with JobStore(store_url) as s:
        assert s.history("j-1") == ()


# -- the store keeps details as a Job does ------------------------------------------------------

POLLED = Rules.for_lifecycle(MODELARTS_V2, "polled")


@st.composite
def walks(draw: st.DrawFn) -> tuple[str, Status, list[tuple[Status, str | None]]]:
    """A mode, a first phase and a walk of phases each legal (or a repeat) from the last, each
    with one of its declared secondary phases or none."""
    mode = draw(st.sampled_from(["strict", "polled"]))
    first: Status = draw(st.sampled_from(sorted(P)))
    walk: list[tuple[Status, str | None]] = []
    current = first
    for _ in range(draw(st.integers(0, 6))):
        if mode == "strict":
            options = sorted({current, *MODELARTS_V2.next_map[current]})
        else:
            options = [s for s in sorted(P) if POLLED.table[current][s].kind.accepted]
        current = draw(st.sampled_from(options))
        detail = draw(st.none() | st.sampled_from(current.details))
        walk.append((current, detail))
    return mode, first, walk


ids = itertools.count()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(walks(), st.booleans())
def test_the_store_keeps_details_as_a_job_does_for_any_legal_walk(
    v2: JobStore, walk: tuple[str, Status, list[tuple[Status, str | None]]], batch: bool
) -> None:
    """The walk through transition (one at a time) or apply (one batch of 4-tuples): the stored
    history, details included, and the loaded job are those Job.advance_to(detail=) gives."""
    mode, first, steps = walk
    job_id = f"w{next(ids)}"  # the store is shared by every example: a fresh id for each
    v2.create(job_id, first, created_at=T0)
    job = Job(job_id, first, lifecycle=MODELARTS_V2, created_at=T0)
    timed = [(status, T0 + (i + 1) * MINUTE, detail) for i, (status, detail) in enumerate(steps)]
    for status, at, detail in timed:
        job.advance_to(status, at=at, mode=mode, detail=detail)
    if batch:
        results = v2.apply([(job_id, s, at, d) for s, at, d in timed], mode=mode)
        assert all(r.kind in (K.MOVED, K.INFERRED, K.REPEAT) for r in results)
    else:
        for status, at, detail in timed:
            result = v2.transition(job_id, status, at=at, mode=mode, detail=detail)
            assert result.kind is not StepKind.LATE
    assert v2.history(job_id) == job.history
    assert v2.load(job_id).to_dict() == job.to_dict()
