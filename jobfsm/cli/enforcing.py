"""``jobfsm sql``: the SQL that enforces a lifecycle inside a database, on a team's own jobs table
(see :mod:`jobfsm.store.rules`; needs no database and no ``sql`` extra)."""

from __future__ import annotations

from typing import Any

import click

from jobfsm.cli.shared import (
    EXIT_OK,
    STATUSES,
    TEXT,
    TextChoice,
    TextParam,
    command_lifecycle,
    lifecycle_option,
)
from jobfsm.errors import InvalidArgument, InvalidIdentifier
from jobfsm.lifecycle import Lifecycle
from jobfsm.store.rules import DIALECTS, VALUES, Start, table_rules

#: The option that gives each name :func:`~jobfsm.store.rules.table_rules` may refuse.
_OPTIONS = {
    "table": "--table",
    "column": "--column",
    "id_column": "--id-column",
    "lifecycle_column": "--lifecycle-column",
}


class StartParam(TextParam):
    """``initial``, ``any``, or statuses separated by commas or spaces (read in the lifecycle)."""

    name = "initial|any|statuses"

    def convert_text(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if isinstance(value, (Start, tuple)):
            return value
        text = str(value).strip().lower()
        if text in (Start.INITIAL.value, Start.ANY.value):
            return Start(text)
        return STATUSES.convert_text(value, param, ctx)


@click.command()
@click.option(
    "--dialect",
    type=TextChoice(list(DIALECTS)),
    required=True,
    help="The database the SQL is for.",
)
@lifecycle_option()
@click.option(
    "--table", "table", type=TEXT, required=True, metavar="TABLE", help="The table of the jobs."
)
@click.option(
    "--column",
    "column",
    type=TEXT,
    required=True,
    metavar="COLUMN",
    help="The column that holds a job's status.",
)
@click.option(
    "--id-column",
    "id_column",
    type=TEXT,
    default="id",
    metavar="COLUMN",
    show_default=True,
    help="The column that identifies a job, which refusals name.",
)
@click.option(
    "--values",
    type=TextChoice(list(VALUES)),
    default=None,
    help="What the status column holds; default: codes where clients report codes "
    "(modelarts-v1), else names (modelarts-v2).",
)
@click.option(
    "--start",
    type=StartParam(),
    default=Start.INITIAL.value,
    metavar="initial|any|S1,S2",
    show_default=True,
    help="Where a new job may start: initial (the lifecycle's initial status), any, or "
    "statuses such as INIT,WAITING.",
)
@click.option(
    "--lifecycle-column",
    "lifecycle_column",
    type=TEXT,
    default=None,
    metavar="COLUMN",
    help="A column naming each row's lifecycle, for a table of jobs of several: only the rows of "
    "this lifecycle are judged.",
)
@click.option(
    "--sqlite-version",
    "sqlite_version",
    type=TEXT,
    default=None,
    metavar="VERSION",
    help="The oldest SQLite that will open the database (default: this one's); from 3.47 on a "
    "refusal names the job.",
)
@click.option("--drop", is_flag=True, help="Print the SQL that removes the rules instead.")
def sql(
    dialect: str,
    lifecycle: Lifecycle | None,
    table: str,
    column: str,
    id_column: str,
    values: str | None,
    start: Any,
    lifecycle_column: str | None,
    sqlite_version: str | None,
    drop: bool,
) -> int:
    """Print SQL that enforces the lifecycle inside a database, on your own jobs table.

    It makes a table of the declared moves, a table of the statuses a job may start in, and
    triggers that refuse an UPDATE of the status column to anything but a declared move (the
    same status again is no move) and an INSERT in a status a job may not start in. PostgreSQL
    refuses with SQLSTATE 23514 and a message naming the job, both statuses and the allowed
    moves; SQLite before 3.47 names the statuses and the allowed moves, not the job. Running the
    SQL again replaces the rules; --drop prints the SQL that removes them.

    \b
    Apply it with:  jobfsm sql --dialect postgresql ... | psql -v ON_ERROR_STOP=1 DB
                    jobfsm sql --dialect sqlite ... | sqlite3 jobs.db

    Exit 0, or 2 for a usage error (a name that cannot be written, an unknown status).
    """
    try:
        rules = table_rules(
            command_lifecycle(),
            dialect=dialect,
            table=table,
            column=column,
            id_column=id_column,
            values=values,
            start=start,
            lifecycle_column=lifecycle_column,
            sqlite_version=sqlite_version,
        )
    except InvalidIdentifier as exc:
        raise click.BadParameter(
            exc.message, param_hint=f"'{_OPTIONS.get(exc.argument, exc.argument)}'"
        ) from None
    except InvalidArgument as exc:
        hint = {"sqlite_version": "'--sqlite-version'", "lifecycle_column": "'--lifecycle-column'"}
        raise click.BadParameter(exc.message, param_hint=hint.get(exc.argument)) from None
    click.echo(rules.script(drop=drop), nl=False)
    return EXIT_OK
