"""``jobfsm statuses``, ``transitions`` and ``explain``: the declared lifecycle, listed and
asked about."""

from __future__ import annotations

from typing import Any

import click

from jobfsm.cli.shared import (
    EXIT_INVALID,
    EXIT_OK,
    FORMAT,
    STATUS,
    TEXT_OR_JSON,
    command_lifecycle,
    emit_json,
    lifecycle_option,
    table,
)
from jobfsm.lifecycle import Lifecycle
from jobfsm.vocabulary import Status


def _status_rows(lifecycle: Lifecycle) -> list[dict[str, Any]]:
    rows = []
    for s in lifecycle.statuses:
        row: dict[str, Any] = {
            "code": int(s),
            "name": s.name,
            "code_name": s.code_name,
            "terminal": s.is_terminal,
            "outcome": s.outcome.value if s.outcome else None,
            "phase": s.group,
            "description": s.description,
            "description_zh": s.description_zh,
        }
        if s.aliases:
            row["aliases"] = list(s.aliases)
        if s.details:
            row["secondary_phases"] = list(s.details)
        rows.append(row)
    return rows


def status_table(lifecycle: Lifecycle | None = None) -> str:
    lifecycle = lifecycle or command_lifecycle()
    if lifecycle.statuses.vocabulary.details:
        return table(
            ["name", "terminal", "outcome", "group", "secondary phases", "description"],
            (
                (
                    r["name"],
                    "yes" if r["terminal"] else "",
                    r["outcome"] or "",
                    r["phase"],
                    ", ".join(r.get("secondary_phases", ())),
                    r["description"],
                )
                for r in _status_rows(lifecycle)
            ),
        )
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
            for r in _status_rows(lifecycle)
        ),
    )


@click.command()
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
@lifecycle_option()
def statuses(fmt: str, lifecycle: Lifecycle | None) -> int:
    """List the lifecycle's statuses with their classification (by default the 23 ModelArts v1
    job statuses).

    Exit 0, or 2 for a usage error.
    """
    chosen = command_lifecycle()
    if fmt == "json":
        emit_json(_status_rows(chosen))
    else:
        click.echo(status_table(chosen))
    return EXIT_OK


@click.command()
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True)
@click.option("--from", "source", type=STATUS, help="Only the moves out of this status.")
@lifecycle_option()
def transitions(fmt: str, source: Status | None, lifecycle: Lifecycle | None) -> int:
    """List the declared legal moves with their events, reasons and sources.

    Exit 0, or 2 for a usage error (an unknown --from status).
    """
    chosen = command_lifecycle()
    edges = [e for e in chosen.edges if source is None or e.source == source]
    if source is not None and not edges and fmt != "json":
        click.echo(f"{source} is terminal: no move leaves it (a re-run is a new job)")
        return EXIT_OK
    if fmt == "json":
        emit_json(
            [
                {
                    "source": e.source.reported,
                    "source_name": e.source.name,
                    "target": e.target.reported,
                    "target_name": e.target.name,
                    "event": e.event,
                    "reason": e.reason,
                    **({"cite": e.cite} if e.cite else {}),
                }
                for e in edges
            ]
        )
    else:
        cited = any(e.cite for e in edges)
        click.echo(
            table(
                ["source", "target", "event", "reason", *(["source of the move"] if cited else [])],
                (
                    (e.source, e.target, e.event, e.reason, *([e.cite] if cited else []))
                    for e in edges
                ),
            )
        )
    return EXIT_OK


@click.command()
@click.argument("source", type=STATUS)
@click.argument("target", type=STATUS)
@click.option("--format", "fmt", type=TEXT_OR_JSON, default="text", show_default=True)
@lifecycle_option()
def explain(source: Status, target: Status, fmt: str, lifecycle: Lifecycle | None) -> int:
    """Say whether SOURCE → TARGET is a legal move, and why.

    Exit 0 when it is legal, 1 when it is not, 2 for a usage error (an unknown status).
    """
    chosen = command_lifecycle()
    verdict = chosen.explain(source, target)
    edge = chosen.edge(source, target) if verdict.legal and source is not target else None
    cite = edge.cite if edge is not None else ""
    if fmt == "json":
        emit_json(
            {
                "source": source.reported,
                "source_name": source.name,
                "target": target.reported,
                "target_name": target.name,
                "legal": verdict.legal,
                # Named like the kinds in validate's and check's JSON.
                "kind": verdict.kind.name.lower(),
                "event": verdict.event,
                "reason": verdict.reason,
                "allowed": [s.reported for s in sorted(verdict.allowed)],
                **({"cite": cite} if cite else {}),
            }
        )
    else:
        click.echo(str(verdict))
        if cite:
            click.echo(f"source: {cite}")
    return EXIT_OK if verdict.legal else EXIT_INVALID
