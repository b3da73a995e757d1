"""``python -m jobfsm`` and the ``jobfsm`` command: :func:`main` is their entry point.

Loading the command line takes about a tenth of a second (click, transitions, the lifecycle), and
a Ctrl-C, SIGTERM or SIGHUP meanwhile must end the process as it ends a running command: one
line on stderr and exit 130, 143 or 129, not a KeyboardInterrupt traceback from an import. So
this module imports nothing heavy (``import jobfsm`` loads no other module) and takes the
signals first.
"""

from __future__ import annotations

# The signal module builds three enums when first imported, which takes longer than the rest of
# this module and the package together; _signal holds the same functions without them.
import _signal  # type: ignore[import-not-found]
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType


# What jobfsm.cli stops on, with the line it writes (SIGHUP does not exist on Windows).
_STOPS = {_signal.SIGINT: "interrupted", _signal.SIGTERM: "terminated"}
if hasattr(_signal, "SIGHUP"):
    _STOPS[_signal.SIGHUP] = "hung up"


def _stopped_while_loading(signum: int, frame: FrameType | None) -> None:
    # Nothing has been read, written or opened yet, so there is nothing to finish or remove;
    # jobfsm.cli's own handling replaces this one before a command runs.
    what = _STOPS[signum]
    try:
        os.write(2, f"jobfsm: {what}\n".encode())
    finally:
        os._exit(128 + signum)


def main() -> int:
    """Take Ctrl-C, SIGTERM and SIGHUP, load the command line, and run it; return its exit code.

    A signal the process was started with ignored stays ignored (a shell's background job).
    """
    for signum in _STOPS:
        if _signal.getsignal(signum) != _signal.SIG_IGN:
            _signal.signal(signum, _stopped_while_loading)
    from jobfsm.cli import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
