"""``jobfsm statuses``, ``transitions`` and ``explain``: the declared lifecycle, listed and
asked about."""

from __future__ import annotations

from typing import Any

import click

from jobfsm.cli.shared import EXIT_INVALID, EXIT_OK, FORMAT, STATUS, TEXT_OR_JSON, emit_json, table
from jobfsm.lifecycle import DEFAULT_LIFECYCLE
from jobfsm.status import JobStatus


def _status_rows() -> list[dict[str, Any]]:
    return [
        {
            "code": int(s),
            "name": s.name,
            "code_name": s.code_name,
            "terminal": s.is_terminal,
            "outcome": s.outcome.value if s.outcome else None,
            "phase": s.phase.value,
            "description": s.description,
            "description_zh": s.description_zh,
        }
        for s in JobStatus
    ]


def status_table() -> str:
    return table(
        ["code", "name", "terminal", "outcome", "phase", "description", "说明"],
        (
            (
                r["code"],
                r["name"],
                "yes" if r["terminal"] else "",
                r["outcome"] or "",
                r["phase"],
                r["description"],
                r["description_zh"],
            )
            for r in _status_rows()
        ),
    )


@click.command()
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
def statuses(fmt: str) -> int:
    """List the 23 ModelArts job statuses with their classification.

    Exit 0, or 2 for a usage error.
    """
    if fmt == "json":
        emit_json(_status_rows())
    else:
        click.echo(status_table())
    return EXIT_OK


@click.command()
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
@click.option("--from", "source", type=STATUS, help="Only the moves out of this status.")
def transitions(fmt: str, source: JobStatus | None) -> int:
    """List the declared legal moves with their events and reasons.

    Exit 0, or 2 for a usage error (an unknown --from status).
    """
    edges = [e for e in DEFAULT_LIFECYCLE.edges if source is None or e.source == source]
    if source is not None and not edges and fmt != "json":
        click.echo(f"{source} is terminal: no move leaves it (a re-run is a new job)")
        return EXIT_OK
    if fmt == "json":
        emit_json(
            [
                {
                    "source": int(e.source),
                    "source_name": e.source.name,
                    "target": int(e.target),
                    "target_name": e.target.name,
                    "event": e.event,
                    "reason": e.reason,
                }
                for e in edges
            ]
        )
    else:
        click.echo(
            table(
                ["source", "target", "event", "reason"],
                ((e.source, e.target, e.event, e.reason) for e in edges),
            )
        )
    return EXIT_OK


@click.command()
@click.argument("source", type=STATUS)
@click.argument("target", type=STATUS)
@click.option("--format", "fmt", type=TEXT_OR_JSON, default="text", show_default=True)
def explain(source: JobStatus, target: JobStatus, fmt: str) -> int:
    """Say whether SOURCE → TARGET is a legal move, and why.

    Exit 0 when it is legal, 1 when it is not, 2 for a usage error (an unknown status).
    """
    verdict = DEFAULT_LIFECYCLE.explain(source, target)
    if fmt == "json":
        emit_json(
            {
                "source": int(source),
                "source_name": source.name,
                "target": int(target),
                "target_name": target.name,
                "legal": verdict.legal,
                # Named like the kinds in validate's and check's JSON.
                "kind": verdict.kind.name.lower(),
                "event": verdict.event,
                "reason": verdict.reason,
                "allowed": sorted(int(s) for s in verdict.allowed),
            }
        )
    else:
        click.echo(str(verdict))
    return EXIT_OK if verdict.legal else EXIT_INVALID
