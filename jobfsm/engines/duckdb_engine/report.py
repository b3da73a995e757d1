"""What the DuckDB engine reports: the streaming checker's report, saying what was read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobfsm.logs import LogReport


@dataclass(frozen=True)
class EngineReport(LogReport):
    """A :class:`~jobfsm.logs.LogReport` made by a query engine.

    ``format`` is the :class:`LogFormat` read (``AUTO`` for Parquet, which no LogFormat names);
    ``input_format`` names what was read, ``parquet`` included, and is what :meth:`to_dict`
    writes as ``format``: the JSON schema is the streaming checker's.
    """

    input_format: str = ""
    engine: str = "duckdb"

    def to_dict(self, max_errors: int | None = None) -> dict[str, Any]:
        found = super().to_dict(max_errors)
        found["format"] = self.input_format or found["format"]
        return found
