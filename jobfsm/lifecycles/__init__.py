"""The built-in lifecycles, and finding a lifecycle by name or by the file that declares it.

>>> from jobfsm.lifecycles import get_lifecycle
>>> get_lifecycle("modelarts-v1").name
'modelarts-v1'
>>> get_lifecycle(EXAMPLES["slurm"]).name
'slurm'
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

from jobfsm.errors import UnknownLifecycle

if TYPE_CHECKING:
    from jobfsm.lifecycle import Lifecycle

__all__ = ["BUILTIN", "EXAMPLES", "builtin", "foreign_hint", "foreign_word", "get_lifecycle"]

#: Each built-in lifecycle's name, and the module that declares it (as its ``LIFECYCLE``).
BUILTIN: Final[dict[str, str]] = {
    "modelarts-v1": "jobfsm.lifecycles.modelarts_v1",
    "modelarts-v2": "jobfsm.lifecycles.modelarts_v2",
}

#: Example lifecycle files shipped with the package, by name: starting points for your own.
EXAMPLES: Final[dict[str, Path]] = {
    "slurm": Path(__file__).parent / "examples" / "slurm.toml",
}


def builtin(name: str) -> Lifecycle | None:
    """The built-in lifecycle called ``name`` (case-insensitive), or None."""
    module = BUILTIN.get(name.strip().lower()) if isinstance(name, str) else None
    if module is None:
        return None
    found: Lifecycle = importlib.import_module(module).LIFECYCLE
    return found


def get_lifecycle(name_or_path: str | os.PathLike[str]) -> Lifecycle:
    """A built-in lifecycle by name, else the lifecycle a TOML file declares.

    A name that is not built in is read as a file when a file of that name exists or when it
    ends with ``.toml`` (then a missing file is reported as such).

    Raises:
        UnknownLifecycle: neither a built-in name nor a file.
        LifecycleFileError: the file is missing, unreadable or not a lifecycle declaration.
        InvalidLifecycle: the file's declaration fails a named check (the error names the file).

    >>> get_lifecycle("no-such-lifecycle")
    Traceback (most recent call last):
    ...
    jobfsm.errors.UnknownLifecycle: unknown lifecycle 'no-such-lifecycle': expected a built-in ...
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise UnknownLifecycle(str(name_or_path), list(BUILTIN))
    found = builtin(name_or_path) if isinstance(name_or_path, str) else None
    if found is not None:
        return found
    path = os.fsdecode(name_or_path)
    if os.path.isfile(path) or path.lower().endswith(".toml"):
        from jobfsm.lifecycles.toml import load_lifecycle

        return load_lifecycle(path)
    raise UnknownLifecycle(path, list(BUILTIN))


def foreign_word(name: str, value: object) -> tuple[str, str] | None:
    """The other built-in lifecycle that reads ``value`` when lifecycle ``name`` does not, and
    what the value is there (``"ModelArts v2 phase"``); None when no other one reads it.

    >>> foreign_word("modelarts-v1", "Queuing")
    ('modelarts-v2', 'ModelArts v2 secondary phase')
    """
    if name not in BUILTIN or not isinstance(value, (str, int)) or isinstance(value, bool):
        return None
    from jobfsm.vocabulary import readable

    for other in BUILTIN:
        found = builtin(other) if other != name else None
        if found is None:
            continue
        vocab = found.statuses.vocabulary
        if readable(vocab, value):
            return other, vocab.noun
        if isinstance(value, str) and value.strip() in vocab.details:
            return other, vocab.noun.replace("phase", "secondary phase")
    return None


def foreign_hint(name: str, value: object) -> str | None:
    """What to tell a reader of lifecycle ``name`` who met a word of another built-in one.

    >>> foreign_hint("modelarts-v1", "Pending")
    'is a ModelArts v2 phase; read it with --lifecycle modelarts-v2'
    """
    found = foreign_word(name, value)
    if found is None:
        return None
    return f"is a {found[1]}; read it with --lifecycle {found[0]}"
