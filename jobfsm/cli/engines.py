"""``--engine`` and ``--memory-limit``, which ``check`` and ``mine`` share: the streaming Python
checker, or a SQL query in an embedded DuckDB (:mod:`jobfsm.engines.duckdb_engine`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, TypeVar

import click

from jobfsm.cli.shared import TextChoice, TextParam
from jobfsm.engines import ENGINES
from jobfsm.lifecycle import Lifecycle
from jobfsm.logs import LogReport

_F = TypeVar("_F", bound=Callable[..., Any])

#: DuckDB's memory limit when --memory-limit is not given.
DEFAULT_MEMORY_LIMIT: Final = "1GB"
_SIZE = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|B)", re.IGNORECASE)
_PARQUET_MAGIC: Final = b"PAR1"


class MemoryParam(TextParam):
    """A memory size as DuckDB reads one: ``256MB``, ``1.5GB``, ``512MiB``."""

    name = "size"

    def convert_text(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        text = str(value).strip()
        if not _SIZE.fullmatch(text):
            self.fail(f"{value!r} is no memory size; expected one such as 256MB or 2GB", param, ctx)
        return text


MEMORY = MemoryParam()


def _engine_options(engines: tuple[str, ...], spark: bool) -> Callable[[_F], _F]:
    def add(command: _F) -> _F:
        memory = click.option(
            "--memory-limit",
            type=MEMORY,
            default=DEFAULT_MEMORY_LIMIT,
            show_default=True,
            help="With --engine duckdb: DuckDB's memory limit; what exceeds it spills to a "
            "temporary directory, so a log larger than memory is read too.",
        )
        engine = click.option(
            "--engine",
            type=TextChoice(list(engines)),
            default="python",
            show_default=True,
            help="python: the streaming checker, lines in file order; duckdb: a SQL query in "
            "DuckDB (pip install 'jobfsm[duckdb]'), lines in time order, Parquet too, LOG a file, "
            "a glob or a directory"
            + (
                "; spark: jobfsm.spark in local mode (the pyspark extra and Java), rows in time "
                "order, reordered rows counted."
                if spark
                else "."
            ),
        )
        return engine(memory(command))

    return add


#: ``--engine python|duckdb`` and ``--memory-limit SIZE`` (``jobfsm mine``).
engine_options = _engine_options(ENGINES, spark=False)
#: The same with ``spark`` too (``jobfsm check``).
check_engine_options = _engine_options((*ENGINES, "spark"), spark=True)


def is_parquet(path: str) -> bool:
    """True when the file at ``path`` starts with Parquet's signature."""
    try:
        with open(path, "rb") as stream:
            return stream.read(4) == _PARQUET_MAGIC
    except OSError:
        return False


def refuse_for_python(path: str) -> None:
    """A Parquet log for the Python engine: a usage error saying which engine reads it."""
    if path != "-" and is_parquet(path):
        raise click.UsageError(
            f"{path} is a Parquet file: read it with --engine duckdb (pip install 'jobfsm[duckdb]')"
        )


def duckdb_report(
    path: str,
    input_format: str,
    mode: str,
    listed: int,
    lifecycle: Lifecycle | None,
    memory_limit: str,
    translate_to: Lifecycle | None = None,
) -> LogReport:
    """``path`` judged by the DuckDB engine, or a usage error for what only the Python engine
    reads (stdin, ``--as``, ``--input-format modelarts``)."""
    if path == "-":
        raise click.UsageError("--engine duckdb reads files, not stdin: give LOG as a path")
    if translate_to is not None:
        raise click.UsageError("--as needs --engine python")
    if input_format == "modelarts":
        raise click.UsageError(
            "--engine duckdb reads ModelArts records in a JSON Lines log: give --input-format "
            "auto or jsonl"
        )
    from jobfsm.engines.duckdb_engine import check

    return check(
        path, input_format, mode, lifecycle=lifecycle, listed=listed, memory_limit=memory_limit
    )
