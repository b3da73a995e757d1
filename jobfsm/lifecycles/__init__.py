"""The built-in lifecycles, and finding a lifecycle by name or by the file that declares it.

>>> from jobfsm.lifecycles import get_lifecycle
>>> get_lifecycle("modelarts-v1").name
'modelarts-v1'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

from jobfsm.errors import UnknownLifecycle

if TYPE_CHECKING:
    from jobfsm.lifecycle import Lifecycle

__all__ = ["BUILTIN", "builtin", "get_lifecycle"]

#: Each built-in lifecycle's name, and the module that declares it (as its ``LIFECYCLE``).
BUILTIN: Final[dict[str, str]] = {
    "modelarts-v1": "jobfsm.lifecycles.modelarts_v1",
    "modelarts-v2": "jobfsm.lifecycles.modelarts_v2",
}


def builtin(name: str) -> Lifecycle | None:
    """The built-in lifecycle called ``name`` (case-insensitive), or None."""
    module = BUILTIN.get(name.strip().lower()) if isinstance(name, str) else None
    if module is None:
        return None
    found: Lifecycle = importlib.import_module(module).LIFECYCLE
    return found


def get_lifecycle(name_or_path: str) -> Lifecycle:
    """A built-in lifecycle by name, else the lifecycle a TOML file declares.

    Raises:
        UnknownLifecycle: neither a built-in name nor a file.
        InvalidLifecycle: the file's declaration fails a named check (the error names the file).
    """
    found = builtin(name_or_path)
    if found is not None:
        return found
    raise UnknownLifecycle(str(name_or_path), list(BUILTIN))
