"""``jobfsm mine``: a fleet simulated with moves its lifecycle does not declare is mined for
exactly those moves, by either engine, and the patch it suggests declares them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import unavailable

from jobfsm import DEFAULT_LIFECYCLE, JobStatus, Simulation
from jobfsm.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from jobfsm.diagram import EdgeStyle, extract
from jobfsm.engines.mining import Mining, mine, nearest_rank, observe_duckdb, observe_python
from jobfsm.lifecycle import Event, Lifecycle
from jobfsm.lifecycles import EXAMPLES, get_lifecycle
from jobfsm.lifecycles.toml import parse_lifecycle
from jobfsm.simulate import write_log

SLURM = get_lifecycle(EXAMPLES["slurm"])
COMPLETING, RUNNING, PENDING = (SLURM.parse(name) for name in ("COMPLETING", "RUNNING", "PENDING"))
#: Moves Slurm's declaration lacks, from a status nothing legal leads on from but terminals.
INJECTED = {(COMPLETING, RUNNING), (COMPLETING, PENDING)}
WITH_INJECTED = SLURM.with_events(
    Event("restart", {COMPLETING}, RUNNING, "a step was restarted"),
    Event("requeue_ending", {COMPLETING}, PENDING, "requeued while it ended"),
    name="slurm-and-more",
)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Slurm jobs that also make the injected moves, polled every second (so that no status is
    missed around them: a missed one would show a move no chain explains besides)."""
    path = tmp_path_factory.mktemp("mine") / "fleet.csv"
    write_log(path, Simulation(60, seed=3, poll_interval=1, fmt="csv", lifecycle=WITH_INJECTED))
    return path


def duckdb_available() -> None:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        unavailable("duckdb is not installed; run: pip install 'jobfsm[duckdb]'")


def mined(path: Path, engine: str, lifecycle: Lifecycle, min_count: int = 5) -> Mining:
    if engine == "duckdb":
        duckdb_available()
        return mine(observe_duckdb(str(path), lifecycle=lifecycle), min_count)
    return mine(observe_python(str(path), lifecycle=lifecycle), min_count)


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_the_injected_moves_are_found_and_suggested_exactly(fleet: Path, engine: str) -> None:
    found = mined(fleet, engine, SLURM)
    assert {(u.source, u.target) for u in found.undeclared} == INJECTED
    assert {(u.source, u.target) for u in found.suggested} == INJECTED
    for u in found.undeclared:
        assert u.count >= 5
        assert len(u.examples) == 3
    # Declared moves the fleet shows carry counts; the injected ones are no declared move.
    assert all(d.observed + d.implied > 0 for d in found.declared if d not in found.never_observed)
    assert not {(d.source, d.target) for d in found.declared} & INJECTED


def test_the_suggested_patch_pasted_into_the_lifecycle_file_declares_the_moves(
    fleet: Path,
) -> None:
    """Appended to slurm.toml, the patch reads as a lifecycle that passes every check and
    declares the injected moves; the fleet mined against it shows nothing undeclared."""
    found = mined(fleet, "python", SLURM)
    patch = found.patch()
    assert patch.count("[[events]]") == len(INJECTED)
    patched = parse_lifecycle(EXAMPLES["slurm"].read_text(encoding="utf-8") + "\n" + patch)
    for source, target in INJECTED:
        assert patched.can_transition(source.name, target.name)
    assert not mined(fleet, "python", patched).undeclared


def test_both_engines_mine_the_same(fleet: Path) -> None:
    python = mined(fleet, "python", SLURM).to_dict()
    ours = mined(fleet, "duckdb", SLURM).to_dict()
    assert ours.pop("engine") == "duckdb"
    python.pop("engine")
    assert ours == python


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_a_modelarts_fleet_with_requeues_is_mined_for_them(tmp_path: Path, engine: str) -> None:
    """The same on ModelArts v1: a running job sent back to the queue, a queued one back to
    submission; and noise below --min-count is reported but not suggested."""
    injected = {
        (JobStatus.RUNNING, JobStatus.WAITING),
        (JobStatus.WAITING, JobStatus.SUBMIT_TRYING),
    }
    lifecycle = DEFAULT_LIFECYCLE.with_events(
        Event("requeue", {JobStatus.RUNNING}, JobStatus.WAITING, "preempted and queued again"),
        Event("resubmit", {JobStatus.WAITING}, JobStatus.SUBMIT_TRYING, "sent back"),
    )
    path = tmp_path / "fleet.jsonl"
    write_log(path, Simulation(120, seed=11, poll_interval=10, lifecycle=lifecycle))
    found = mined(path, engine, DEFAULT_LIFECYCLE, min_count=1)
    assert {(u.source, u.target) for u in found.undeclared} == injected
    assert {(u.source, u.target) for u in found.suggested} == injected
    rare = min(u.count for u in found.undeclared)
    high = mined(path, engine, DEFAULT_LIFECYCLE, min_count=rare + 1)
    assert len(high.suggested) == len(injected) - 1


def test_the_likeliest_chain_follows_the_moves_observed() -> None:
    """WAITING → COMPLETED fits two chains (through RUNNING or KILLING): the one whose moves
    the log shows more often takes the larger share."""
    from jobfsm.engines.mining import Observed

    observed = Observed("log", DEFAULT_LIFECYCLE, "python")
    observed.changes.update({(7, 8): 30, (8, 10): 30, (7, 9): 10, (9, 10): 10, (7, 10): 4})
    jump = next(j for j in mine(observed).jumps if (j.source, j.target) == (7, 10))
    assert [s.name for s in jump.likeliest] == ["WAITING", "RUNNING", "COMPLETED"]
    # P(WAITING → RUNNING) = 30/40 and P(RUNNING → COMPLETED) = 1, against 10/40 and 1.
    assert jump.share == pytest.approx(0.75)
    assert sum(share for _, share in jump.chains) == pytest.approx(1.0)
    assert dict(mine(observed).skipped) == {JobStatus.RUNNING: 4}


def test_nearest_rank_percentiles() -> None:
    stays = [float(n) for n in range(1, 101)]
    assert [nearest_rank(stays, q) for q in (0.5, 0.95, 0.99)] == [50.0, 95.0, 99.0]
    assert nearest_rank([3.0], 0.99) == 3.0


def test_never_observed_moves_are_drawn_dashed_with_no_count() -> None:
    drawing = extract(traffic={(7, 8): 3}, all_edges=True, dash_unobserved=True)
    styles = {(e.source, e.target): e for e in drawing.edges}
    assert styles[("WAITING", "RUNNING")].style is EdgeStyle.SPINE
    assert styles[("RUNNING", "COMPLETED")].style is EdgeStyle.UNOBSERVED
    assert styles[("RUNNING", "COMPLETED")].label.endswith("×0")
    assert any(entry.style is EdgeStyle.UNOBSERVED for entry in drawing.legend)
    plain = extract(traffic={(7, 8): 3}, all_edges=True)
    assert not [e for e in plain.edges if e.style is EdgeStyle.UNOBSERVED]


# -- the command line ---------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_mine_command(
    capsys: pytest.CaptureFixture[str], fleet: Path, tmp_path: Path, engine: str
) -> None:
    if engine == "duckdb":
        duckdb_available()
    slurm = str(EXAMPLES["slurm"])
    picture = tmp_path / "mined.dot"
    argv = ["mine", str(fleet), "--engine", engine, "--lifecycle", slurm, "--format", "json"]
    code, out, err = run(capsys, *argv, "--min-count", "3", "--diagram", str(picture))
    assert code == EXIT_INVALID  # undeclared moves were observed
    found: dict[str, Any] = json.loads(out)
    assert {(m["source"], m["target"]) for m in found["suggested_events"]} == {
        (a.name, b.name) for a, b in INJECTED
    }
    assert found["patch"].count("[[events]]") == 2
    assert "style=dashed" in picture.read_text()
    assert f"wrote {picture}" in err
    code, out, _ = run(capsys, "mine", str(fleet), "--engine", engine, "--lifecycle", slurm)
    assert code == EXIT_INVALID
    assert "suggested patch" in out
    assert "[[events]]" in out


def test_mine_a_conforming_fleet_exits_0(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "fleet.jsonl"
    write_log(path, Simulation(20, seed=1))
    code, out, _ = run(capsys, "mine", str(path))
    assert code == EXIT_OK
    assert "undeclared moves observed (0)" in out


def test_mine_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "mine", "-", "--engine", "duckdb")
    assert code == EXIT_USAGE
    assert "not stdin" in err
    code, _, err = run(capsys, "mine", str(tmp_path / "missing.jsonl"))
    assert code == EXIT_USAGE
