"""Writing output files: all at once, and never over something that is not a file.

Every writer (``render``, ``simulate``, ``demo``) goes through :func:`atomic_open`, which looks at
what the name is before writing:

- a regular file, or a name that does not exist yet, is written to a temporary file beside it,
  ``.NAME.<pid>.<hex>.tmp``, which then replaces it by a rename: a reader never sees a
  half-written file, and nothing is left behind when writing fails or is interrupted. A new file
  honours the umask like any file the user writes (hence ``open(..., "x")`` rather than
  ``mkstemp``, whose files are private); a rewritten file keeps its permission bits, and its
  owner and group where the user may give them. A read-only file (one the user may not write,
  or one with no write bit at all, which even root's rewrites respect) is refused and kept.
- a character device (``/dev/null``, a terminal) or a FIFO is written into directly: a rename
  would replace the device node with a regular file, and a FIFO's reader would get nothing. What
  was written before a failure has then already gone to the device or the reader.
- anything else (a directory, a block device, a socket) is refused and left as it was.

A symbolic link is followed: the file it points at is rewritten and the link stays a link.

A writer killed by SIGKILL (or by a crash) cannot remove its temporary file. Each writer holds an
exclusive ``flock`` on its temporary file while it writes, so the next write of the same output
removes the temporaries that writers which are gone left beside it: those whose process id is not
a live process and whose lock nobody holds (see :func:`remove_stale_temporaries`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

if sys.platform != "win32":
    import fcntl

__all__ = ["atomic_open", "remove_stale_temporaries", "write_all_atomic", "write_atomic"]


def _temporary_name(name: str) -> str:
    return f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


def _temporary_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(name)}\.([1-9][0-9]*)\.[0-9a-f]{{8}}\.tmp")


def _lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False when another process holds one."""
    if sys.platform == "win32":
        return True  # no flock there
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files of earlier writes of ``path`` whose writers are gone.

    A temporary file is removed only when the process id in its name is not a live process and no
    process holds its lock: a writer in another PID namespace (a container sharing the directory)
    keeps its lock, and a live process that reuses the id keeps the file until it ends. Files that
    cannot be opened or removed are left; this never fails.

    Returns:
        the files removed.
    """
    target = Path(path)
    pattern = _temporary_pattern(target.name)
    removed: list[Path] = []
    if sys.platform == "win32":
        return removed  # os.kill(pid, 0) would end the process there, not look for it
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        found = pattern.fullmatch(entry.name)
        if found is None or _alive(int(found[1])):
            continue
        with contextlib.suppress(OSError):
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            try:
                opened = os.fstat(fd)
                if not stat.S_ISREG(opened.st_mode) or not _lock(fd):
                    continue
                now = os.stat(entry.path, follow_symlinks=False)
                # Only the file that was locked, not one put under the same name since.
                if (now.st_dev, now.st_ino) == (opened.st_dev, opened.st_ino):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            finally:
                os.close(fd)
    return removed


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file, character device or FIFO"


class _Output:
    """One output being written: a temporary file to rename into place, or a device or FIFO.

    Made without touching the file system; :meth:`open` then does the work, inside the ``try``
    whose ``except`` calls :meth:`abort`. A signal can interrupt between any two steps (a busy
    machine may stop the process just after the temporary file appears), and abort still knows
    the temporary file's name.
    """

    def __init__(self, path: str | os.PathLike[str], mode: str, kwargs: Mapping[str, Any]) -> None:
        if mode not in ("w", "wb"):
            raise ValueError(f"mode {mode!r} is not 'w' or 'wb'")
        self.given = os.fspath(path)
        self.mode = mode
        self.kwargs = kwargs
        self.target = Path(self.given)
        self.temporary: Path | None = None
        self.file: IO[Any] | None = None

    def open(self) -> IO[Any]:
        """Open the output as the module describes and return the file to write to."""
        given, mode = self.given, self.mode
        try:
            found: os.stat_result | None = os.stat(given)
        except FileNotFoundError:
            found = None
        if found is not None and (stat.S_ISCHR(found.st_mode) or stat.S_ISFIFO(found.st_mode)):
            # No O_CREAT: should the node vanish meanwhile, this fails rather than make a file.
            fd = os.open(given, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)
            try:
                self.file = open(fd, mode, **self.kwargs)  # noqa: SIM115 - closed by commit
            except BaseException:
                os.close(fd)
                raise
            return self.file
        if found is not None and not stat.S_ISREG(found.st_mode):
            raise OSError(
                errno.EISDIR if stat.S_ISDIR(found.st_mode) else errno.EINVAL,
                f"it is {_kind(found.st_mode)}; jobfsm writes files, character devices "
                "(such as /dev/null) and FIFOs",
                given,
            )
        if os.path.islink(given):
            # The file the link points at is replaced, and the link kept.
            self.target = Path(os.path.realpath(given))
        if found is not None and (found.st_mode & 0o222 == 0 or not os.access(given, os.W_OK)):
            raise PermissionError(
                errno.EACCES,
                "it is read-only; make it writable (chmod u+w) or remove it to have it rewritten",
                given,
            )
        remove_stale_temporaries(self.target)
        self.temporary = self.target.with_name(_temporary_name(self.target.name))
        try:
            self.file = open(self.temporary, mode.replace("w", "x"), **self.kwargs)  # noqa: SIM115
        except OSError as exc:
            self.temporary = None  # not made, or another writer's: not ours to remove
            # Named for the output, not for the temporary file beside it.
            raise type(exc)(exc.errno, exc.strerror, given) from None
        fd = self.file.fileno()
        _lock(fd)  # a new file: nobody else holds it
        if found is not None:
            if (found.st_uid, found.st_gid) != (os.geteuid(), os.getegid()):
                # Only root may give a file away; anyone else keeps the new file's owner.
                with contextlib.suppress(PermissionError):
                    os.fchown(fd, found.st_uid, found.st_gid)
            # After fchown, which clears the set-id bits.
            os.fchmod(fd, stat.S_IMODE(found.st_mode))
        return self.file

    def close(self) -> None:
        """Close the file: what is still buffered is written, so a full disk shows here."""
        if self.file is not None:
            self.file.close()

    def commit(self) -> None:
        """Close the file and, for a regular file, rename the temporary file into place."""
        self.close()
        if self.temporary is not None:
            os.replace(self.temporary, self.target)
            self.temporary = None

    def abort(self) -> None:
        """Close the file and remove the temporary file, if any (idempotent)."""
        with contextlib.suppress(OSError):
            self.close()
        if self.temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.temporary)
            self.temporary = None


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open ``path`` for writing as the module describes; on a clean exit it is in place.

    ``mode`` is ``"wb"`` or ``"w"``; ``kwargs`` go to :func:`open` (``encoding``, ``newline``).

    Raises:
        PermissionError: ``path`` is a read-only file (it is kept as it was).
        OSError: ``path`` is a directory, a block device or a socket, or writing failed; a
            regular file is then kept as it was and no temporary file is left.
    """
    output = _Output(path, mode, kwargs)
    try:
        yield output.open()
        output.commit()
    except BaseException:
        output.abort()
        raise


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` all at once (see :func:`atomic_open`)."""
    with atomic_open(path) as out:
        out.write(data)


def write_all_atomic(files: Mapping[Path, bytes]) -> None:
    """Write several files so that a failure leaves every one of them as it was.

    Every file is written and closed to its temporary file before the first rename, so running
    out of space, or being interrupted, while writing leaves the old files and no temporary file.
    (A device or FIFO among them gets its bytes as they are written.)
    """
    outputs: list[_Output] = []
    try:
        for path, data in files.items():
            outputs.append(_Output(path, "wb", {}))
            outputs[-1].open().write(data)
            outputs[-1].close()
        for output in outputs:
            output.commit()
    except BaseException:
        for output in outputs:
            output.abort()
        raise
