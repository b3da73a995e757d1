"""Ctrl-C and SIGTERM: exit 130 or 143, one line on stderr, no partial file; as real processes."""

from __future__ import annotations

import ast
import errno
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jobfsm import cli as jobfsm_cli
from jobfsm.cli import EXIT_HANGUP, EXIT_INTERRUPTED, EXIT_TERMINATED

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


# -- a signal while the command line is still loading -------------------------------------------

#: Run in a child: loading jobfsm.cli says so on stdout and then takes 60 s, so that a signal sent
#: on that line surely lands while the command line loads (at the first import of click, say).
SLOW_LOAD = """
import sys, time

class SlowCli:
    def find_spec(self, name, path=None, target=None):
        if name == "jobfsm.cli":
            print("loading", flush=True)
            time.sleep(60)
        return None

sys.meta_path.insert(0, SlowCli())
sys.argv = ["jobfsm", "statuses"]
from jobfsm.__main__ import main
sys.exit(main())
"""


@pytest.mark.parametrize(
    ("signum", "code", "message"), [*STOPS, (signal.SIGHUP, EXIT_HANGUP, "jobfsm: hung up\n")]
)
def test_a_signal_while_the_command_line_loads_is_one_line(
    signum: int, code: int, message: str
) -> None:
    """Ctrl-C or SIGTERM before main() runs, while its modules load: the same one line and exit
    code as a running command gives, not a KeyboardInterrupt traceback from an import."""
    with subprocess.Popen(
        [sys.executable, "-c", SLOW_LOAD], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"loading\n"
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    assert (proc.returncode, err.decode()) == (code, message)


def test_an_ignored_sigint_stays_ignored_while_loading() -> None:
    """Started with SIGINT ignored, a Ctrl-C while loading changes nothing; SIGTERM stops it."""
    with subprocess.Popen(
        [sys.executable, "-c", SLOW_LOAD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"loading\n"
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert proc.poll() is None, "an ignored SIGINT stopped the command"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert (proc.returncode, err.decode()) == (EXIT_TERMINATED, "jobfsm: terminated\n")


# The jobfsm package's directory (jobfsm.cli is a package inside it).
PACKAGE = str(Path(jobfsm_cli.__file__).parent.parent)


@pytest.mark.parametrize(
    "command",
    [[sys.executable, "-m", "jobfsm"], [str(Path(sys.executable).parent / "jobfsm")]],
    ids=["python -m jobfsm", "jobfsm"],
)
def test_ctrl_c_at_any_moment_of_the_start_never_shows_a_jobfsm_traceback(
    command: list[str],
) -> None:
    """Ctrl-C at random moments of the start (about 0.15 s), many times: each run ends with 130 and
    `jobfsm: interrupted`, or had finished (0), or was killed before Python took the signal.

    A traceback can only come from before jobfsm.__main__ runs: the interpreter's own start
    (site, runpy; some ten milliseconds) or the package's module code, which must run first
    (some twenty microseconds, and imports nothing). Before the signal was taken first, most of
    these runs showed one from the imports of jobfsm.cli."""
    # Signals land over the whole run, however fast the machine: most while it loads.
    started = time.monotonic()
    subprocess.run([*command, "statuses"], stdout=subprocess.DEVNULL, check=True)
    run_time = time.monotonic() - started
    rng = random.Random(20261203)
    outcomes: list[int] = []
    for _ in range(40):
        with subprocess.Popen(
            [*command, "statuses"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        ) as proc:
            time.sleep(rng.uniform(0, run_time))
            proc.send_signal(signal.SIGINT)
            _, raw = proc.communicate(timeout=30)
        err = raw.decode()
        frames = [line for line in err.splitlines() if line.lstrip().startswith("File ")]
        package_init = f'File "{PACKAGE}/__init__.py", line '
        assert not [
            f for f in frames if PACKAGE in f and not (package_init in f and "<module>" in f)
        ], err
        if "Traceback" not in err:
            assert (proc.returncode, err) in {
                (EXIT_INTERRUPTED, "jobfsm: interrupted\n"),
                (0, ""),
                (-signal.SIGINT, ""),
            }
        outcomes.append(proc.returncode)
    assert outcomes.count(EXIT_INTERRUPTED) >= 10


def test_importing_jobfsm_loads_no_other_module_and_every_name_resolves() -> None:
    """`import jobfsm` is the first thing the command line does, before it takes Ctrl-C, so it
    loads no module of its own but the package; each public name loads on first use."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys, jobfsm; print(sorted(m for m in sys.modules "
         "if m.startswith(('jobfsm', 'click', 'transitions', 'typing'))))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout == "['jobfsm']\n"
    import jobfsm

    for name in jobfsm.__all__:
        assert getattr(jobfsm, name) is not None
    assert set(jobfsm.__all__) == {*jobfsm._WHERE, "__version__"}
    assert set(dir(jobfsm)) >= set(jobfsm.__all__)


def test_the_lazy_names_are_the_type_checked_imports() -> None:
    """The names the type checker sees imported (the TYPE_CHECKING block) are the names each
    module is loaded for, module by module."""
    import jobfsm

    tree = ast.parse(Path(jobfsm.__file__).read_text(encoding="utf-8"))
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    )
    imported: dict[str, tuple[str, ...]] = {}
    for node in block.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("jobfsm"):
            imported[node.module] = tuple(sorted(alias.name for alias in node.names))
    assert imported == {module: tuple(sorted(names)) for module, names in jobfsm._MODULES.items()}
