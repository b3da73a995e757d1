"""Output files: atomic for regular files, written into for devices and FIFOs, never replaced
when read-only; what they keep over a rewrite; stale temporary files of writers that are gone."""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import unavailable

from jobfsm import _files
from jobfsm._files import atomic_open, remove_stale_temporaries, write_all_atomic, write_atomic
from jobfsm.cli import EXIT_OK, EXIT_USAGE, main


def jobfsm(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobfsm", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def null_device(tmp_path: Path) -> Path:
    """A character device like /dev/null (1, 3) in a temporary directory, never the real one."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        unavailable("making a device node needs root (CAP_MKNOD)")
    return node


def is_null_device(path: Path) -> bool:
    info = os.lstat(path)
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(1, 3)


def dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# -- devices and FIFOs ----------------------------------------------------------------------------


def test_a_character_device_is_written_into_not_replaced(null_device: Path) -> None:
    """Writing to a /dev/null-like node leaves the node a device, with nothing beside it."""
    write_atomic(null_device, b"x" * 100_000)
    with atomic_open(null_device, "w", encoding="utf-8") as out:
        out.write("text\n")
    assert is_null_device(null_device)
    assert [p.name for p in null_device.parent.iterdir()] == ["null"]


@pytest.mark.parametrize(
    "argv",
    [
        ["render", "--format", "dot", "--out", "null"],
        ["render", "--format", "mermaid", "--out", "null"],
        ["simulate", "--jobs", "3", "--out", "null"],
    ],
)
def test_commands_write_into_a_device_without_replacing_it(
    null_device: Path, argv: list[str]
) -> None:
    """`--out` naming a device node writes into it (exit 0): the node is still the device."""
    done = jobfsm(*argv, cwd=null_device.parent)
    assert done.returncode == EXIT_OK, done.stderr
    assert is_null_device(null_device)
    assert [p.name for p in null_device.parent.iterdir()] == ["null"]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    """A FIFO alone in a directory of its own."""
    (tmp_path / "work").mkdir()
    path = tmp_path / "work" / "pipe"
    os.mkfifo(path)
    return path


def read_fifo(fifo: Path) -> Callable[[], bytes]:
    """Start a reader process on ``fifo`` (`cat FIFO > FILE` in another shell); the function
    returned waits for it and gives what it read."""
    got = fifo.parent.parent / "got"
    with got.open("wb") as sink:
        reader = subprocess.Popen(["cat", str(fifo)], stdout=sink)

    def result() -> bytes:
        assert reader.wait(timeout=60) == 0
        return got.read_bytes()

    return result


def test_a_fifo_stays_a_fifo_and_its_reader_gets_the_bytes(fifo: Path) -> None:
    """The bytes written to a FIFO reach its reader; the FIFO is not replaced by a file."""
    got = read_fifo(fifo)
    write_atomic(fifo, b"line\n" * 50_000)
    assert got() == b"line\n" * 50_000
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in fifo.parent.iterdir()] == ["pipe"]


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["simulate", "--jobs", "5", "--seed", "2", "--out", "pipe"], b'{"job_id": "job-0000'),
        (["render", "--format", "dot", "--out", "pipe"], b"digraph lifecycle {"),
    ],
)
def test_commands_write_into_a_fifo_for_its_reader(
    fifo: Path, argv: list[str], start: bytes
) -> None:
    """simulate and render with a FIFO as --out: the reader gets everything; the FIFO stays."""
    got = read_fifo(fifo)
    done = jobfsm(*argv, cwd=fifo.parent)
    out = got()
    assert done.returncode == EXIT_OK, done.stderr
    assert out.startswith(start)
    assert out.endswith(b"\n")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in fifo.parent.iterdir()] == ["pipe"]


def test_a_socket_is_refused_and_kept(tmp_path: Path) -> None:
    """A socket cannot be written as a file: an OSError says what it is; the socket stays."""
    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(OSError, match="it is a socket") as info:
            write_atomic(path, b"x")
        assert info.value.filename == str(path)
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["sock"]


def test_a_directory_is_refused(tmp_path: Path) -> None:
    """The library refuses a directory before making a temporary file in its parent."""
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError, match="it is a directory"):
        write_atomic(tmp_path / "d", b"x")
    assert [p.name for p in tmp_path.iterdir()] == ["d"]


# -- what a rewrite keeps -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755, 0o664])
def test_a_rewrite_keeps_the_permission_bits(tmp_path: Path, mode: int) -> None:
    """A file that was 0600 is 0600 after a rewrite (not the umask's 0644)."""
    target = tmp_path / "a.svg"
    target.write_text("old")
    target.chmod(mode)
    old = os.umask(0o022)
    try:
        write_atomic(target, b"new")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_a_new_file_honours_the_umask(tmp_path: Path) -> None:
    """A file that did not exist gets the mode the umask allows."""
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "a.svg", b"new")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.svg").stat().st_mode) == 0o640


def test_root_keeps_the_owner_of_a_rewritten_file(tmp_path: Path) -> None:
    """Root rewriting another user's file leaves it that user's (a non-root user cannot)."""
    if os.geteuid() != 0:
        unavailable("giving a file to another user needs root")
    target = tmp_path / "a.svg"
    target.write_text("old")
    os.chown(target, 65534, 65534)
    write_atomic(target, b"new")
    assert (target.stat().st_uid, target.stat().st_gid) == (65534, 65534)


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o000])
def test_a_read_only_file_is_refused_and_kept(tmp_path: Path, mode: int) -> None:
    """A file without write permission is not replaced, even by root: PermissionError, old bytes."""
    target = tmp_path / "a.svg"
    target.write_text("old")
    target.chmod(mode)
    with pytest.raises(PermissionError, match="read-only") as info:
        write_atomic(target, b"new")
    assert info.value.errno == errno.EACCES
    target.chmod(0o644)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.svg"]


@pytest.mark.parametrize(
    "argv",
    [
        ["render", "--format", "dot", "--out", "a.dot"],
        ["simulate", "--jobs", "2", "--out", "a.dot"],
    ],
)
def test_commands_refuse_a_read_only_output_with_exit_2(tmp_path: Path, argv: list[str]) -> None:
    """render and simulate on a read-only file: exit 2, one line naming it, the file unchanged."""
    target = tmp_path / "a.dot"
    target.write_text("old")
    target.chmod(0o444)
    done = jobfsm(*argv, cwd=tmp_path)
    assert done.returncode == EXIT_USAGE
    assert done.stderr.startswith("jobfsm: error: cannot write a.dot: it is read-only")
    assert len(done.stderr.splitlines()) == 1
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.dot"]


def test_a_symbolic_link_stays_a_link_to_the_rewritten_file(tmp_path: Path) -> None:
    """Writing through a link rewrites the file it points at; the link is kept."""
    real = tmp_path / "real.svg"
    real.write_text("old")
    link = tmp_path / "link.svg"
    link.symlink_to(real.name)
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


# -- several files at once ------------------------------------------------------------------------


def test_write_all_atomic_leaves_every_file_as_it_was_when_one_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk filling up at the third file: the two before it are not renamed into place."""
    files = {tmp_path / f"{i}.txt": f"new {i}".encode() for i in range(4)}
    for path in files:
        path.write_text("old")
    close = _files._Output.close
    closed = 0

    def full_at_the_third(self: _files._Output) -> None:
        nonlocal closed
        closed += 1
        if closed == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        close(self)

    monkeypatch.setattr(_files._Output, "close", full_at_the_third)
    with pytest.raises(OSError, match="No space left"):
        write_all_atomic(files)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in files)
    assert all(p.read_text() == "old" for p in files)


# -- temporary files of writers that are gone -----------------------------------------------------


def temporary(folder: Path, name: str, pid: int) -> Path:
    path = folder / f".{name}.{pid}.0123abcd.tmp"
    path.write_text("half")
    return path


def test_a_later_write_removes_the_temporaries_of_dead_writers(tmp_path: Path) -> None:
    """A write of a.svg removes a.svg's temporaries whose process is gone, and nothing else."""
    gone = dead_pid()
    stale = temporary(tmp_path, "a.svg", gone)
    live = temporary(tmp_path, "a.svg", os.getpid())
    other = temporary(tmp_path, "b.svg", gone)
    write_atomic(tmp_path / "a.svg", b"new")
    assert not stale.exists()
    assert live.exists()
    assert other.exists()
    assert (tmp_path / "a.svg").read_bytes() == b"new"


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A temporary file named for a dead process, but locked, as a writer in another PID namespace
    holds it."""
    path = temporary(tmp_path, "a.svg", dead_pid())
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield path
    finally:
        os.close(fd)


def test_a_locked_temporary_is_kept_whatever_its_pid(locked: Path) -> None:
    """Its writer may still be at work: the lock keeps the file; once released, it goes."""
    assert remove_stale_temporaries(locked.parent / "a.svg") == []
    assert locked.exists()


def test_remove_stale_temporaries_reports_what_it_removed(tmp_path: Path) -> None:
    """The files removed are returned; a name that merely looks alike is not touched."""
    stale = temporary(tmp_path, "a.svg", dead_pid())
    alike = tmp_path / ".a.svg.notapid.0123abcd.tmp"
    alike.write_text("mine")
    assert remove_stale_temporaries(tmp_path / "a.svg") == [stale]
    assert alike.exists()


@pytest.mark.parametrize("step", ["open", "flock"])
def test_an_interrupt_just_after_the_temporary_appears_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """A signal handled the moment the temporary file exists (a busy machine had stopped the
    writer there) still removes it, and keeps the old file."""
    target = tmp_path / "a.svg"
    target.write_text("old")
    real: Callable[..., Any] = open if step == "open" else fcntl.flock

    def then_interrupted(*args: Any, **kwargs: Any) -> Any:
        done = real(*args, **kwargs)
        if step == "open":
            done.close()
        raise KeyboardInterrupt

    if step == "open":
        monkeypatch.setattr(_files, "open", then_interrupted, raising=False)
    else:
        monkeypatch.setattr(fcntl, "flock", then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["a.svg"]
    assert target.read_text() == "old"


def test_demo_names_the_read_only_file_it_cannot_write(tmp_path: Path) -> None:
    """demo --out DIR with a read-only file in DIR: exit 2, naming that file, which is kept."""
    (tmp_path / "demo").mkdir()
    kept = tmp_path / "demo" / "fleet.jsonl"
    kept.write_text("mine")
    kept.chmod(0o444)
    done = jobfsm("demo", "--out", "demo", cwd=tmp_path)
    assert done.returncode == EXIT_USAGE
    assert done.stderr == "jobfsm: error: cannot write demo/fleet.jsonl: it is read-only; " + (
        "make it writable (chmod u+w) or remove it to have it rewritten\n"
    )
    assert kept.read_text() == "mine"


def test_an_error_names_the_output_not_its_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the temporary file cannot be made (a directory the user may not write), the error
    names the file asked for."""

    def refused(path: str, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)

    monkeypatch.setattr(_files, "open", refused, raising=False)
    with pytest.raises(PermissionError) as info:
        write_atomic(tmp_path / "a.svg", b"new")
    assert info.value.filename == str(tmp_path / "a.svg")
    assert list(tmp_path.iterdir()) == []


def disk_full_at(monkeypatch: pytest.MonkeyPatch, nth: int) -> None:
    """The disk fills up while the ``nth`` output file is closed (its last bytes written)."""
    close = _files._Output.close
    closed = 0

    def filling(self: _files._Output) -> None:
        nonlocal closed
        closed += 1
        if closed == nth:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        close(self)

    monkeypatch.setattr(_files._Output, "close", filling)


@pytest.mark.parametrize("nth", [1, 3])
def test_demo_on_a_full_disk_leaves_no_directory_it_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], nth: int
) -> None:
    """demo --out DIR, DIR new, the disk full at its first or third file: exit 2, no DIR."""
    disk_full_at(monkeypatch, nth)
    assert main(["demo", "--out", str(tmp_path / "demo")]) == EXIT_USAGE
    assert capsys.readouterr().err.endswith(": No space left on device\n")
    assert list(tmp_path.iterdir()) == []


def test_demo_keeps_a_directory_that_was_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Into an existing DIR, a failing demo leaves DIR and what was in it."""
    (tmp_path / "mine.txt").write_text("mine")
    close = _files._Output.close

    def full(self: _files._Output) -> None:
        close(self)  # as a real close does when its last flush fails
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_files._Output, "close", full)
    assert main(["demo", "--out", str(tmp_path)]) == EXIT_USAGE
    assert (tmp_path / "mine.txt").read_text() == "mine"
