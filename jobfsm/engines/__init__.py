"""Engines that judge a status log: the streaming Python checker, or a SQL query run by DuckDB.

:mod:`~jobfsm.engines.query` derives from a lifecycle the tables a query judges with (from the
same :class:`~jobfsm.validate.Rules` table the Python checker reads, so the two cannot disagree
on a move) and documents what the query's verdict means next to the streaming checker's.
:mod:`~jobfsm.engines.duckdb_engine` runs it in an embedded DuckDB over Parquet, CSV and JSON
Lines (the optional extra ``duckdb``), and :mod:`~jobfsm.engines.mining` mines a log for how it
conforms to its lifecycle, with either engine.
"""

from __future__ import annotations

from typing import Final

#: The engines ``jobfsm check --engine`` and ``jobfsm mine --engine`` take.
ENGINES: Final = ("python", "duckdb")

__all__ = ["ENGINES"]
