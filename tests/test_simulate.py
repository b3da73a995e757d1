"""The fleet simulator: legal walks, polling, determinism, injected faults, atomic writes."""

from __future__ import annotations

import array
import heapq
import io
import itertools
import math
import os
import random
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from terminal import on_a_terminal
from test_cli_signals import jobfsm, stop, writing

from jobfsm import DEFAULT_LIFECYCLE, JobStatus, Simulation, check_log, read_log
from jobfsm.cli import EXIT_HANGUP, PROGRESS_BYTES, main
from jobfsm.simulate import FAULT_KINDS, MAX_JOBS, MIN_POLL_INTERVAL, PROGRESS_LINES, write_log
from jobfsm.validate import validate_history
from jobfsm.vocabulary import Status


def text(sim: Simulation) -> bytes:
    return "".join(line + "\n" for line in sim.lines()).encode()


def test_same_seed_same_log() -> None:
    """A seed fixes the log byte for byte; another seed gives another log."""
    assert text(Simulation(20, seed=5, faults=0.05)) == text(Simulation(20, seed=5, faults=0.05))
    assert text(Simulation(20, seed=5)) != text(Simulation(20, seed=6))


@given(st.integers(0, 2**32))
@settings(max_examples=30, deadline=None)
def test_walks_follow_declared_edges(seed: int) -> None:
    """Every walk is a legal lifecycle from INIT to a terminal status."""
    walk = Simulation(1).walk(random.Random(seed))
    statuses = [s for s, _ in walk]
    assert statuses[0] is DEFAULT_LIFECYCLE.initial
    assert statuses[-1].is_terminal
    assert validate_history(statuses, "strict").ok


def test_walks_favour_the_main_path() -> None:
    """Most walks go through RUNNING and end COMPLETED."""
    sim = Simulation(1)
    rng = random.Random(0)
    walks = [[s for s, _ in sim.walk(rng)] for _ in range(400)]
    completed = sum(w[-1] is JobStatus.COMPLETED for w in walks)
    assert completed > 0.6 * len(walks)
    assert sum(JobStatus.RUNNING in w for w in walks) > 0.7 * len(walks)


@pytest.mark.parametrize("seed", range(4))
def test_fault_free_logs_pass_check_in_polled_mode(seed: int) -> None:
    """Without faults every job conforms in polled mode and every line is read."""
    sim = Simulation(40, seed=seed)
    report = check_log(read_log(io.BytesIO(text(sim))), "polled")
    assert report.ok
    assert report.jobs == 40
    assert report.observations == sim.observations
    assert report.unfinished == 0


def test_polling_misses_short_statuses_and_repeats_long_ones() -> None:
    """At a 30 s interval some jumps are inferred and most lines repeat a status."""
    sim = Simulation(40, seed=2)
    report = check_log(read_log(io.BytesIO(text(sim))), "polled")
    assert report.inferred > 0
    assert report.observations > 10 * report.jobs


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("seed", range(3))
def test_injected_faults_are_found_exactly(fmt: str, seed: int) -> None:
    """Each illegal move is one violation, each bad line one rejected line, each late line late."""
    sim = Simulation(30, seed=seed, faults=0.1, fmt=fmt)
    report = check_log(read_log(io.BytesIO(text(sim)), name=f"fleet.{fmt}"), "polled")
    injected = sim.faults_injected
    assert set(injected) == set(FAULT_KINDS)
    assert all(injected[k] > 0 for k in FAULT_KINDS)
    assert len(report.violations) == injected["illegal"]
    assert report.rejected == injected["malformed"] + injected["unknown_status"]
    assert report.late == injected["late"]


def test_lines_are_in_time_order_without_late_faults() -> None:
    """Across jobs, the lines of a fault-free log are in poll-time order."""
    log = read_log(io.BytesIO(text(Simulation(30, seed=1))))
    assert list(log.times) == sorted(log.times)


def test_csv_log_has_a_header() -> None:
    """The CSV form starts with its column names."""
    first = next(iter(Simulation(1, fmt="csv").lines()))
    assert first == "job_id,status,time"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"jobs": -1}, "jobs"),
        ({"jobs": MAX_JOBS + 1}, "between 0 and 1,000,000"),
        ({"jobs": 1, "poll_interval": 0}, "poll interval"),
        ({"jobs": 1, "poll_interval": math.nan}, "poll interval"),
        ({"jobs": 1, "poll_interval": math.inf}, "poll interval"),
        ({"jobs": 1, "poll_interval": 1e300}, "poll interval"),
        ({"jobs": 1, "poll_interval": 0.000001}, "between 1 and 86400 seconds"),
        ({"jobs": 1, "faults": math.nan}, "fault rate"),
        ({"jobs": 1, "arrivals": math.inf}, "arrivals"),
        ({"jobs": 1, "arrivals": -1.0}, "arrivals"),
        ({"jobs": 1, "faults": 1.5}, "fault rate"),
        ({"jobs": 1, "fmt": "xml"}, "format"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    """Out-of-range settings raise ValueError naming the setting."""
    with pytest.raises(ValueError, match=message):
        Simulation(**kwargs)  # type: ignore[arg-type]


def test_write_log_writes_the_lines(tmp_path: Path) -> None:
    """write_log writes every line and returns how many."""
    sim = Simulation(5, seed=3)
    path = tmp_path / "fleet.jsonl"
    count = write_log(path, sim)
    assert path.read_bytes() == text(Simulation(5, seed=3))
    assert count == len(path.read_bytes().splitlines())


class Failing(Simulation):
    """A simulation that breaks half-way through, with ``error``."""

    error: BaseException = RuntimeError("disk on fire")

    def lines(self) -> Iterator[str]:
        yield from itertools.islice(super().lines(), 10)
        raise self.error


@pytest.mark.parametrize(
    "error", [RuntimeError("disk on fire"), MemoryError(), KeyboardInterrupt()]
)
def test_write_log_is_atomic(tmp_path: Path, error: BaseException) -> None:
    """Any failure, running out of memory or Ctrl-C included, leaves neither a half-written log
    nor a temporary file, and keeps the old log."""
    path = tmp_path / "fleet.jsonl"
    path.write_text("old\n")
    failing = Failing(5)
    failing.error = error
    with pytest.raises(type(error)):
        write_log(path, failing)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["fleet.jsonl"]


def test_a_jobs_poller_is_made_only_when_its_first_poll_is_due(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first line of a large fleet needs the poller of one job, not one per job: memory
    follows the jobs polled at one time rather than all of them."""
    made = 0
    polls = Simulation._polls

    def counting(self: Simulation, *args: random.Random) -> Iterator[tuple[float, Status]]:
        nonlocal made
        made += 1
        return polls(self, *args)

    monkeypatch.setattr(Simulation, "_polls", counting)
    next(Simulation(2000, seed=1).lines())
    assert made < 10


@pytest.mark.parametrize("seed", range(3))
def test_merge_is_the_order_of_all_polls_at_once(seed: int) -> None:
    """Making pollers as their jobs come due gives exactly the order of merging every job's
    polls at once, by time and then job."""
    sim = Simulation(60, seed=seed, arrivals=600.0)
    master = random.Random(seed)
    seeds = [master.getrandbits(64) for _ in range(sim.jobs)]

    def tagged(job: int) -> Iterator[tuple[float, int, Status]]:
        for when, status in sim._polls(random.Random(seeds[job])):
            yield when, job, status

    everything = list(heapq.merge(*(tagged(job) for job in range(sim.jobs))))
    assert len({job for _, job, _ in everything}) == sim.jobs
    assert list(sim._merged(array.array("Q", seeds))) == everything


def test_fastest_polling_gives_a_bounded_log() -> None:
    """At the minimum poll interval a job's log stays small (its lifetime over one second)."""
    sim = Simulation(1, seed=0, poll_interval=MIN_POLL_INTERVAL)
    count = sum(1 for _ in sim.lines())
    assert 0 < count < 200_000


def test_written_log_honours_the_umask(tmp_path: Path) -> None:
    """The written log has the permissions the umask allows (0644 under 022), not 0600."""
    old = os.umask(0o022)
    try:
        write_log(tmp_path / "fleet.jsonl", Simulation(2))
    finally:
        os.umask(old)
    assert (tmp_path / "fleet.jsonl").stat().st_mode & 0o777 == 0o644


# -- stopped while writing (real processes) -------------------------------------------------------


def test_sighup_stops_simulate_with_129_and_leaves_no_file(tmp_path: Path) -> None:
    """The terminal closing under simulate (SIGHUP): exit 129, one line, no temporary file."""
    proc = jobfsm("simulate", "--jobs", "200000", "--out", "big.jsonl", cwd=tmp_path)
    writing(proc, tmp_path)
    err = stop(proc, signal.SIGHUP)
    assert proc.returncode == EXIT_HANGUP
    assert err == "jobfsm: hung up\n"
    assert list(tmp_path.iterdir()) == []


def test_the_next_write_removes_what_sigkill_left(tmp_path: Path) -> None:
    """SIGKILL cannot be caught, so its temporary file stays; the next simulate of the same
    file removes it, and leaves the log alone."""
    proc = jobfsm("simulate", "--jobs", "200000", "--out", "big.jsonl", cwd=tmp_path)
    writing(proc, tmp_path)
    proc.kill()
    proc.communicate()
    [left] = tmp_path.glob(".big.jsonl.*.tmp")
    assert left.name.startswith(f".big.jsonl.{proc.pid}.")
    done = subprocess.run(
        [sys.executable, "-m", "jobfsm", "simulate", "--jobs", "2", "--out", "big.jsonl"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["big.jsonl"]
    assert (tmp_path / "big.jsonl").read_bytes() == text(Simulation(2))


# -- how big a log will be, and progress while it is written --------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"jobs": 300},
        {"jobs": 300, "poll_interval": 5.0},
        {"jobs": 400, "poll_interval": 600.0, "seed": 3},
        {"jobs": 300, "faults": 0.2, "fmt": "csv"},
        {"jobs": 3000, "seed": 9, "poll_interval": 120.0},
    ],
)
def test_the_estimate_is_within_ten_percent(kwargs: dict[str, object]) -> None:
    """Lines and bytes as estimated before any line is made are within 10 % of the real log."""
    sim = Simulation(**kwargs)  # type: ignore[arg-type]
    lines, size = sim.estimate()
    log = text(sim)
    assert abs(lines / len(log.splitlines()) - 1) < 0.1
    assert abs(size / len(log) - 1) < 0.1


def test_a_million_jobs_are_estimated_at_once_at_some_nine_gigabytes() -> None:
    """The largest fleet is sized without polling a job: about 9 GB at the default interval."""
    lines, size = Simulation(MAX_JOBS).estimate()
    assert 100_000_000 < lines < 150_000_000
    assert 7e9 < size < 11e9
    assert Simulation(0).estimate() == (0, 0)
    assert Simulation(0, fmt="csv").estimate() == (1, len("job_id,status,time\n"))


def test_write_log_reports_every_byte_it_writes(tmp_path: Path) -> None:
    """The progress callback is called as the log grows, and its bytes add up to the file's."""
    reported: list[int] = []
    path = tmp_path / "fleet.jsonl"
    count = write_log(path, Simulation(300, seed=2), reported.append)
    assert len(reported) == count // PROGRESS_LINES + (count % PROGRESS_LINES > 0)
    assert sum(reported) == path.stat().st_size


def test_simulate_at_a_terminal_says_the_size_and_shows_progress(tmp_path: Path) -> None:
    """At a terminal: the estimate first, a progress bar for a log over 8 MiB, the summary."""
    code, raw, _ = on_a_terminal(
        "simulate",
        "--jobs",
        "400",
        "--poll-interval",
        "5",
        "--out",
        "big.jsonl",
        stream="stderr",
        cwd=tmp_path,
    )
    shown = raw.decode()
    assert code == 0
    lines, size = Simulation(400, poll_interval=5.0).estimate()
    first, rest = shown.split("\r\n", 1)
    assert first == f"jobfsm: simulate: about {lines:,} lines, {size / 1e6:.1f} MB"
    assert size > PROGRESS_BYTES
    assert "writing big.jsonl  [" in rest
    assert "100%" in rest
    assert rest.rstrip().splitlines()[-1].startswith("wrote big.jsonl: ")
    assert (tmp_path / "big.jsonl").read_bytes() == text(Simulation(400, poll_interval=5.0))


def test_simulate_piped_prints_only_its_summary(tmp_path: Path) -> None:
    """stderr not a terminal (a script, CI): no estimate and no bar, only the summary line."""
    done = subprocess.run(
        [sys.executable, "-m", "jobfsm", "simulate", "--jobs", "400", "--poll-interval", "5",
         "--out", "big.jsonl"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("wrote big.jsonl: ")


def test_simulate_says_when_the_disk_has_less_room_than_the_log_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The estimate names the free space when it is less than the log's size."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: SimpleNamespace(free=1000))
    assert main(["simulate", "--jobs", "3", "--out", str(tmp_path / "a.jsonl")]) == 0
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith("jobfsm: simulate: about ")
    assert first.endswith("kB; only 1.0 kB free there")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("z.csv", "jsonl"), ("z.jsonl", "csv"), ("z.ndjson", "csv"), ("z.JSON", "csv")],
)
def test_a_format_the_extension_contradicts_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, fmt: str
) -> None:
    """simulate --format jsonl --out z.csv would write a log every reader refuses (its name says
    CSV, its lines are JSON): a usage error naming both, and nothing written."""
    out = tmp_path / name
    assert main(["simulate", "--jobs", "1", "--format", fmt, "--out", str(out)]) == 2
    assert f"--format {fmt} contradicts --out {out}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "first"), [("z.log", "{"), ("z.CSV", "job_id,")])
def test_the_format_follows_the_extension_or_is_jsonl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, first: str
) -> None:
    """Without --format: CSV for a .csv name in any case, else JSON Lines; --format agrees."""
    out = tmp_path / name
    assert main(["simulate", "--jobs", "1", "--out", str(out)]) == 0
    assert out.read_text().startswith(first)
    assert (
        main(["simulate", "--jobs", "1", "--format", "csv", "--out", str(tmp_path / "x.log")]) == 0
    )
