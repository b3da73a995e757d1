"""Run the jobfsm command with one of its streams on a pseudo-terminal, as a person sees it."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

__all__ = ["on_a_terminal"]


def on_a_terminal(
    *argv: str, stream: str = "stdout", cwd: Path | None = None, timeout: float = 120
) -> tuple[int, bytes, bytes]:
    """Run ``python -m jobfsm ARGV`` with ``stream`` ("stdout" or "stderr") on a pseudo-terminal
    and the other on a pipe; return the exit code, what reached the terminal, and the other
    stream's bytes."""
    controller, terminal = pty.openpty()
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, stream: terminal}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jobfsm", *argv],
            stdout=streams["stdout"],
            stderr=streams["stderr"],
            cwd=cwd,
        )
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the terminal's last writer has gone
                break
            if not chunk:
                break
            shown += chunk
        out, err = proc.communicate(timeout=timeout)
    finally:
        os.close(controller)
    return proc.returncode, shown, out if stream == "stderr" else err
