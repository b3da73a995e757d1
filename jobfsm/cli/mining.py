"""``jobfsm mine``: a status log mined against its lifecycle (:mod:`jobfsm.engines.mining`)."""

from __future__ import annotations

import click

from jobfsm import diagram as diagrams
from jobfsm.cli.engines import engine_options, refuse_for_python
from jobfsm.cli.rendering import check_diagram_output, diagram_format, emit_diagram
from jobfsm.cli.shared import (
    EXIT_INVALID,
    EXIT_OK,
    LOG_FORMAT,
    TEXT_OR_JSON,
    OutPathParam,
    emit_json,
    lifecycle_option,
)
from jobfsm.engines.mining import DEFAULT_MIN_COUNT, mine, observe_duckdb, observe_python
from jobfsm.lifecycle import Lifecycle


@click.command("mine")
@click.argument("log")
@engine_options
@lifecycle_option(detected=True)
@click.option(
    "--input-format",
    type=LOG_FORMAT,
    default="auto",
    show_default=True,
    help="How LOG is written; auto looks at the file name, then the first lines.",
)
@click.option("--format", "fmt", type=TEXT_OR_JSON, default="text", show_default=True)
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=DEFAULT_MIN_COUNT,
    show_default=True,
    help="Suggest adding an undeclared move to the lifecycle once it is seen this many times.",
)
@click.option(
    "--diagram",
    type=OutPathParam("mined.svg"),
    default=None,
    metavar="FILE.svg",
    help="Also draw the lifecycle with the counts on its edges, never-observed moves dashed and "
    "undeclared ones red (the format by the extension: svg, png, pdf, dot, mermaid).",
)
def mine_command(
    log: str,
    engine: str,
    memory_limit: str,
    lifecycle: Lifecycle | None,
    input_format: str,
    fmt: str,
    min_count: int,
    diagram: str | None,
) -> int:
    """Mine a status LOG for how it conforms to its lifecycle: each declared move with how often
    it was observed, the moves never observed, undeclared moves with counts and example jobs,
    the statuses pollers skip (and, where several chains fit a jump, the likeliest), the time in
    each status, unknown statuses, and a suggested patch of [[events]] to review.

    Exit 0 when nothing undeclared was observed, 1 when something was, 2 for a usage error or a
    log that cannot be read.
    """
    drawing_format = None
    if diagram is not None:
        drawing_format = diagram_format(None, diagram)
        check_diagram_output(drawing_format, diagram)
    if engine == "duckdb":
        if log == "-":
            raise click.UsageError("--engine duckdb reads files, not stdin: give LOG as a path")
        observed = observe_duckdb(log, input_format, lifecycle, memory_limit)
    else:
        refuse_for_python(log)
        observed = observe_python(log, input_format, lifecycle)
    found = mine(observed, min_count)
    if fmt == "json":
        emit_json(found.to_dict())
    else:
        click.echo(found.text())
    if diagram is not None and drawing_format is not None:
        drawing = diagrams.extract(
            found.lifecycle, traffic=found.traffic(), all_edges=True, dash_unobserved=True
        )
        emit_diagram(drawing, drawing_format, diagram)
    return EXIT_INVALID if found.undeclared or found.unknown_statuses else EXIT_OK
