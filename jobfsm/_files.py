"""Writing files all at once: a temporary file beside the target, then a rename.

A reader never sees a half-written file, and nothing is left behind when writing fails or is
interrupted. The temporary file is opened with ``open(..., "x")`` rather than ``mkstemp``, whose
files are private (0600): the result honours the umask like any file the user writes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_open", "write_atomic"]


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path``.

    ``mode`` is ``"wb"`` or ``"w"``; ``kwargs`` go to :func:`open` (``encoding``, ``newline``).
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, mode.replace("w", "x"), **kwargs) as out:
            yield out
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` all at once (see :func:`atomic_open`)."""
    with atomic_open(path) as out:
        out.write(data)
