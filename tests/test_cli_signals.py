"""Ctrl-C and SIGTERM: exit 130 or 143, one line on stderr, no partial file; as real processes."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jobfsm.cli import EXIT_INTERRUPTED, EXIT_TERMINATED

STOPS = [
    (signal.SIGINT, EXIT_INTERRUPTED, "jobfsm: interrupted\n"),
    (signal.SIGTERM, EXIT_TERMINATED, "jobfsm: terminated\n"),
]


def jobfsm(*argv: str, cwd: Path, ignore_sigint: bool = False) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "jobfsm", *argv],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        # What a shell does to a job it starts in the background.
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        if ignore_sigint
        else None,
    )


def asleep(proc: subprocess.Popen[bytes]) -> None:
    """Wait until ``proc`` is asleep in the kernel (in a blocking read, once it opened the log)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.1)
        stat = Path(f"/proc/{proc.pid}/stat").read_text()
        if stat[stat.rindex(")") + 2] == "S":
            return


def stop(proc: subprocess.Popen[bytes], signum: int) -> str:
    """Send ``signum`` to ``proc`` and return its stderr once it has ended.

    A signal that lands just before a blocking read, after CPython last looked for signals, is
    only acted on when the read returns; as a person presses Ctrl-C again, the signal is sent
    again every few seconds. The command still reports it once.
    """
    try:
        for _ in range(12):
            proc.send_signal(signum)
            try:
                _, err = proc.communicate(timeout=5)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            raise AssertionError(f"the command did not stop on signal {signum}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return err.decode()


def writing(proc: subprocess.Popen[bytes], folder: Path) -> None:
    """Wait until simulate has opened its temporary file in ``folder``."""
    deadline = time.monotonic() + 60
    while not list(folder.glob(".big.jsonl.*.tmp")) and time.monotonic() < deadline:
        assert proc.poll() is None, "simulate ended before it was stopped"
        time.sleep(0.05)
    assert list(folder.glob(".big.jsonl.*.tmp")), "no temporary file appeared"


def test_ctrl_c_stops_simulate_with_130_and_leaves_no_file(tmp_path: Path) -> None:
    """Ctrl-C while simulate writes: exit 130, `jobfsm: interrupted` alone, no temporary file."""
    proc = jobfsm("simulate", "--jobs", "200000", "--out", "big.jsonl", cwd=tmp_path)
    writing(proc, tmp_path)
    err = stop(proc, signal.SIGINT)
    assert proc.returncode == EXIT_INTERRUPTED
    assert err == "jobfsm: interrupted\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("signum", "code", "message"), STOPS)
@pytest.mark.parametrize(
    "argv",
    [["check", "log.jsonl"], ["render", "--log", "log.jsonl", "--format", "dot", "--out", "x.dot"]],
)
def test_a_signal_stops_a_command_reading_its_log(
    tmp_path: Path, argv: list[str], signum: int, code: int, message: str
) -> None:
    """check and render, stopped while reading a log, exit 128 + the signal with one line."""
    fifo = tmp_path / "log.jsonl"
    os.mkfifo(fifo)
    proc = jobfsm(*argv, cwd=tmp_path)
    writer = -1
    try:
        # Opening the write end succeeds once the command has opened the log: it is running.
        deadline = time.monotonic() + 60
        while writer < 0:
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                    raise
                assert proc.poll() is None, "the command ended before it opened the log"
                assert time.monotonic() < deadline, "the command never opened the log"
                time.sleep(0.05)
        asleep(proc)
        err = stop(proc, signum)
    finally:
        if writer >= 0:
            os.close(writer)
    assert proc.returncode == code
    assert err == message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.jsonl"]


def test_an_ignored_sigint_stays_ignored(tmp_path: Path) -> None:
    """Started with SIGINT ignored (a background job), simulate goes on through a Ctrl-C meant
    for the foreground; SIGTERM still stops it cleanly."""
    argv = ("simulate", "--jobs", "200000", "--out", "big.jsonl")
    proc = jobfsm(*argv, cwd=tmp_path, ignore_sigint=True)
    try:
        writing(proc, tmp_path)
        proc.send_signal(signal.SIGINT)
        time.sleep(1)
        assert proc.poll() is None, "an ignored SIGINT stopped simulate"
    finally:
        err = stop(proc, signal.SIGTERM)
    assert proc.returncode == EXIT_TERMINATED
    assert err == "jobfsm: terminated\n"
    assert list(tmp_path.iterdir()) == []
