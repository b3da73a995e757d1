"""A lifecycle enforced inside the database: SQL, generated from the lifecycle's table, that a team
applies to its own jobs table so that no write can make a move the lifecycle does not declare.

:func:`table_rules` (``jobfsm sql`` on the command line) gives, for one table, one status column
and one lifecycle:

- a *moves* table: one row per declared move, ``(source, target, event, source_label,
  target_label, target_code)``, the labels being what messages show (``RUNNING(8)``);
- a *starts* table: the statuses a job may be created in, ``(status, label, code)``: the
  lifecycle's initial status by default, every status (``start="any"``), or a given list;
- a trigger before every UPDATE of the status column that refuses anything but a declared move
  (writing the status a job is already in is no move, and passes), and one before every INSERT
  that refuses a status a job may not start in. A value that is no status of the lifecycle is
  refused both ways.

The status column holds the statuses' codes (``values="codes"``, the default where clients report
codes, as for ModelArts v1) or their names (``values="names"``, the default otherwise, as for
ModelArts v2's phases). Every object's name holds the table's and the lifecycle's
(:class:`RuleNames`), so the rules of several lifecycles, or of several tables, live side by
side; with ``lifecycle_column`` a table keeps jobs of several lifecycles, each row judged by the
lifecycle it names, and no UPDATE may change that column. :attr:`TableRules.drop` removes
everything again; :attr:`TableRules.create` begins by removing an older version of the same
rules, so applying it again replaces them with the current declaration.

**PostgreSQL**: one PL/pgSQL function judges both kinds of write. A refusal is an error of SQLSTATE
23514 (``check_violation``, as a CHECK constraint's) whose constraint name is the function's and
whose message names the job (the id column), both statuses and the allowed moves::

    job train-1: cannot move RUNNING(8) → WAITING(7); from RUNNING(8) the allowed moves are: ...

The function also holds the declared moves and starts as constants, so that a legal write needs no
query; it reads the moves and starts tables for the messages (and for anything else they declare),
through the ``search_path`` in force when the rules were created (``SET search_path FROM
CURRENT``), whatever the writing session's is. The tables are for reading: to change the rules,
generate and apply them again.

**SQLite**: a trigger refuses with ``RAISE(ABORT, message)``, which the driver reports as an
integrity error (``SQLITE_CONSTRAINT_TRIGGER``). Before SQLite 3.47 the message can only be a
string literal, so it cannot name the job: the trigger picks, by the two statuses, one of a
literal per refused pair, which names both statuses and the allowed moves::

    cannot move RUNNING(8) → WAITING(7); from RUNNING(8) the allowed moves are: ...

From 3.47 on the message is an expression, and names the job as PostgreSQL's does. The choice is
made by ``sqlite_version``, by default the running SQLite library's; give the *oldest* SQLite
that will ever open the database, because an older SQLite cannot read a schema written for a
newer one (it reports the whole database as malformed).

Needs no database and no SQLAlchemy: the SQL is text, built from the lifecycle alone.

>>> from jobfsm import DEFAULT_LIFECYCLE
>>> rules = table_rules(DEFAULT_LIFECYCLE, dialect="postgresql", table="training_jobs",
...                     column="state", id_column="name")
>>> rules.names.moves
'jobfsm_training_jobs_modelarts_v1_e0225732_moves'
>>> len(rules.moves), [str(s) for s in rules.starts]
(80, ['INIT(1)'])
"""

from __future__ import annotations

import enum
import hashlib
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from jobfsm.errors import (
    InvalidArgument,
    InvalidIdentifier,
    escape,
    find_control_character,
)
from jobfsm.lifecycle import Edge, Lifecycle, _as_lifecycle
from jobfsm.vocabulary import Status

__all__ = [
    "CHECK_VIOLATION",
    "DIALECTS",
    "POSTGRES_NAME_BYTES",
    "SQLITE_RAISE_EXPRESSION",
    "VALUES",
    "RuleNames",
    "Start",
    "TableRules",
    "rule_names",
    "table_rules",
]

#: The databases the rules are written for.
DIALECTS: Final = ("postgresql", "sqlite")
#: What the status column holds: the statuses' integer codes, or their names.
VALUES: Final = ("codes", "names")


class Start(str, enum.Enum):
    """Which statuses a job may be created in, short of a list of them."""

    #: The lifecycle's initial status only (``INIT`` for ModelArts v1).
    INITIAL = "initial"
    #: Any status of the lifecycle (a value that is no status is still refused).
    ANY = "any"


#: The SQLSTATE of a PostgreSQL refusal: check_violation, as a CHECK constraint's.
CHECK_VIOLATION: Final = "23514"
#: The first SQLite whose ``RAISE(ABORT, ...)`` takes an expression instead of a literal.
SQLITE_RAISE_EXPRESSION: Final = (3, 47, 0)
#: PostgreSQL's longest name, in bytes of UTF-8: it cuts longer ones short without an error.
POSTGRES_NAME_BYTES: Final = 63

# Every generated name is "jobfsm_<base>_<role>"; the longest role is "starts".
_PREFIX: Final = "jobfsm_"
_BASE_BYTES: Final = POSTGRES_NAME_BYTES - len(_PREFIX) - len("_starts")
_SLUG_OTHER: Final = re.compile(r"[^a-z0-9_]+")
_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class RuleNames:
    """The names of what the rules create (each also unquoted, as the database lists it)."""

    #: The table of declared moves.
    moves: str
    #: The table of the statuses a job may start in.
    starts: str
    #: The trigger before an UPDATE of the status column.
    move_trigger: str
    #: The trigger before an INSERT.
    start_trigger: str
    #: PostgreSQL: the trigger function both triggers call (also the refusal's constraint name).
    function: str


@dataclass(frozen=True)
class TableRules:
    """The rules of one lifecycle on one table, and the SQL that creates and drops them.

    Made by :func:`table_rules`, which checks every argument.
    """

    lifecycle: Lifecycle
    dialect: str
    table: str
    column: str
    id_column: str
    values: str
    #: The statuses a job may be created in, in code order.
    starts: tuple[Status, ...]
    lifecycle_column: str | None
    #: The SQLite the rules are written for (unused for PostgreSQL).
    sqlite_version: tuple[int, int, int]
    names: RuleNames

    @property
    def moves(self) -> tuple[Edge, ...]:
        """The declared moves, as the moves table holds them."""
        return self.lifecycle.edges

    @property
    def names_the_job(self) -> bool:
        """Whether a refusal's message names the job (all but SQLite before 3.47)."""
        return self.dialect == "postgresql" or self.sqlite_version >= SQLITE_RAISE_EXPRESSION

    def value(self, status: Status) -> int | str:
        """``status`` as the status column holds it."""
        return int(status) if self.values == "codes" else status.name

    @property
    def fingerprint(self) -> str:
        """A digest of everything the rules create: equal for equal rules, and kept in the
        database with them (in the trigger's or function's text), so that rules installed from
        another declaration, or by another version of jobfsm, can be told apart."""
        return _fingerprint(self._create())

    @property
    def create(self) -> tuple[str, ...]:
        """The statements that create the rules, in order, each to be executed on its own (in
        one transaction); first those of :attr:`drop`, so that they replace rules of the same
        names."""
        statements = self._create()
        mark = _fingerprint(statements)
        return (*self.drop, *(s.replace(_FINGERPRINT, mark) for s in statements))

    @property
    def drop(self) -> tuple[str, ...]:
        """The statements that remove everything :attr:`create` makes (each IF EXISTS)."""
        n = self.names
        if self.dialect == "postgresql":
            # The triggers depend on the function and go with it.
            return (
                f"DROP FUNCTION IF EXISTS {_ident(n.function)}() CASCADE",
                f"DROP TABLE IF EXISTS {_ident(n.moves)}",
                f"DROP TABLE IF EXISTS {_ident(n.starts)}",
            )
        return (
            f"DROP TRIGGER IF EXISTS {_ident(n.move_trigger)}",
            f"DROP TRIGGER IF EXISTS {_ident(n.start_trigger)}",
            f"DROP TABLE IF EXISTS {_ident(n.moves)}",
            f"DROP TABLE IF EXISTS {_ident(n.starts)}",
        )

    def script(self, *, drop: bool = False) -> str:
        """:attr:`create` (or :attr:`drop`) as one script for ``psql`` or ``sqlite3``: a comment
        saying what it does, then the statements in one transaction."""
        statements = self.drop if drop else self.create
        lines = [f"-- {line}" for line in self._header(drop)]
        lines += ["BEGIN;", *(f"{s};" for s in statements), "COMMIT;"]
        return "\n".join(lines) + "\n"

    # -- the pieces ------------------------------------------------------------------------------

    def _header(self, drop: bool) -> list[str]:
        n = self.names
        on = f"table {escape(self.table)}, column {escape(self.column)} ({self.values})"
        where = "PostgreSQL" if self.dialect == "postgresql" else "SQLite"
        if self.dialect == "sqlite":
            where += f" {'.'.join(map(str, self.sqlite_version))} and later"
        lines = [
            f"The {escape(self.lifecycle.name)} lifecycle enforced on {on}, for {where}.",
        ]
        if drop:
            lines.append(
                f"Removes the tables {n.moves} and {n.starts} and the triggers "
                f"{n.move_trigger} and {n.start_trigger}"
                + (f" with their function {n.function}" if self.dialect == "postgresql" else "")
                + "."
            )
            return lines
        starts = ", ".join(str(s) for s in self.starts)
        lines += [
            f"Makes {n.moves} (the {len(self.moves)} declared moves), {n.starts} (where a job may "
            f"start: {starts}),",
            f"and the triggers {n.move_trigger} (before an UPDATE of {escape(self.column)}: "
            f"declared moves only) and {n.start_trigger} (before an INSERT)"
            + (f", both calling {n.function}." if self.dialect == "postgresql" else "."),
        ]
        if self.lifecycle_column is not None:
            lines.append(
                f"Judges only the rows whose {escape(self.lifecycle_column)} is "
                f"{escape(self.lifecycle.name)}, and refuses any change of that column."
            )
        if self.dialect == "sqlite" and not self.names_the_job:
            lines.append(
                "Before SQLite 3.47 a trigger's message is a literal: it names both statuses and "
                "the allowed moves, not the job."
            )
        lines.append("Running it again replaces the rules; `jobfsm sql ... --drop` removes them.")
        return lines

    def _create(self) -> tuple[str, ...]:
        if self.dialect == "postgresql":
            return (*self._tables(), self._function(), *self._postgres_triggers())
        return (*self._tables(), *self._sqlite_triggers())

    def _literal(self, status: Status) -> str:
        return str(int(status)) if self.values == "codes" else _text(status.name)

    def _tables(self) -> tuple[str, ...]:
        n = self.names
        kind = "INTEGER" if self.values == "codes" else "TEXT"
        rowid = " WITHOUT ROWID" if self.dialect == "sqlite" else ""
        moves = ",\n  ".join(
            f"({self._literal(e.source)}, {self._literal(e.target)}, {_text(e.event)}, "
            f"{_text(str(e.source))}, {_text(str(e.target))}, {int(e.target)})"
            for e in self.moves
        )
        starts = ",\n  ".join(
            f"({self._literal(s)}, {_text(str(s))}, {int(s)})" for s in self.starts
        )
        return (
            f"CREATE TABLE {_ident(n.moves)} (\n"
            f"  source {kind} NOT NULL,\n"
            f"  target {kind} NOT NULL,\n"
            "  event TEXT NOT NULL,\n"
            "  source_label TEXT NOT NULL,\n"
            "  target_label TEXT NOT NULL,\n"
            "  target_code INTEGER NOT NULL,\n"
            f"  PRIMARY KEY (source, target)\n){rowid}",
            f"INSERT INTO {_ident(n.moves)} "
            "(source, target, event, source_label, target_label, target_code) VALUES\n"
            f"  {moves}",
            f"CREATE TABLE {_ident(n.starts)} (\n"
            f"  status {kind} NOT NULL PRIMARY KEY,\n"
            "  label TEXT NOT NULL,\n"
            f"  code INTEGER NOT NULL\n){rowid}",
            f"INSERT INTO {_ident(n.starts)} (status, label, code) VALUES\n  {starts}",
        )

    def _known_label(self, value: str) -> str:
        """A query of the label of the status ``value`` (an SQL expression), or NULL."""
        moves = _ident(self.names.moves)
        return (
            f"(SELECT label FROM (SELECT source AS status, source_label AS label FROM {moves} "
            f"UNION ALL SELECT target, target_label FROM {moves}) AS known "
            f"WHERE status = {value} LIMIT 1)"
        )

    def _not_a_status(self) -> str:
        return f" (not a {self.lifecycle.name} status)"

    # -- PostgreSQL ------------------------------------------------------------------------------

    def _pg_shown(self, value: str) -> str:
        """How the value ``value`` shows in a message when it is no status of the lifecycle."""
        shown = (
            f"format('%L', {value})"
            if self.values == "names"
            else f"coalesce({value}::text, 'NULL')"
        )
        return f"{shown} || {_text(self._not_a_status())}"

    def _function(self) -> str:
        n = self.names
        col, job = _ident(self.column), _ident(self.id_column)
        moves, starts = _ident(n.moves), _ident(n.starts)
        shown_job = f"coalesce(NEW.{job}::text, 'NULL')"
        refuse = (
            "RAISE EXCEPTION USING ERRCODE = 'check_violation',\n"
            f"      CONSTRAINT = {_text(n.function)}, TABLE = TG_TABLE_NAME, "
            f"COLUMN = {_text(self.column)},\n"
            f"      HINT = {_text(self._hint())},\n"
            "      MESSAGE = "
        )
        lifecycle_change = ""
        if self.lifecycle_column is not None:
            lcc = _ident(self.lifecycle_column)
            lifecycle_change = (
                f"  IF NEW.{lcc} IS DISTINCT FROM OLD.{lcc} THEN\n"
                f"    {refuse}format('job %s: cannot change its lifecycle from %s to %s: a job "
                "keeps the lifecycle it was created under',\n"
                f"        {shown_job}, coalesce(OLD.{lcc}::text, 'NULL'), "
                f"coalesce(NEW.{lcc}::text, 'NULL'));\n"
                "  END IF;\n"
            )
        old, new = f"OLD.{col}", f"NEW.{col}"
        body = (
            f"-- jobfsm rules {_FINGERPRINT}: the {escape(self.lifecycle.name)} lifecycle\n"
            "DECLARE\n"
            "  v_allowed text;\n"
            "  v_source text;\n"
            "  v_target text;\n"
            "BEGIN\n"
            "  IF TG_OP = 'INSERT' THEN\n"
            f"    IF {new} = ANY ({self._pg_array(self.starts)})\n"
            f"      OR EXISTS (SELECT 1 FROM {starts} WHERE status = {new}) THEN\n"
            "      RETURN NEW;\n"
            "    END IF;\n"
            f"    SELECT string_agg(label, ', ' ORDER BY code) INTO v_allowed FROM {starts};\n"
            f"    v_target := coalesce({self._known_label(new)}, {self._pg_shown(new)});\n"
            f"    {refuse}format('job %s: cannot start in %s; a new job starts in: %s',\n"
            f"        {shown_job}, v_target, v_allowed);\n"
            "  END IF;\n"
            f"{lifecycle_change}"
            "  -- The declared moves, also compiled in: a legal write needs no query.\n"
            f"  IF {new} = ANY ({self._pg_targets(old)}) THEN\n"
            "    RETURN NEW;\n"
            "  END IF;\n"
            f"  IF {new} IS NOT DISTINCT FROM {old} OR EXISTS (\n"
            f"    SELECT 1 FROM {moves} WHERE source = {old} AND target = {new}\n"
            "  ) THEN\n"
            "    RETURN NEW;\n"
            "  END IF;\n"
            f"  v_source := {self._known_label(old)};\n"
            f"  v_target := coalesce({self._known_label(new)}, {self._pg_shown(new)});\n"
            "  SELECT string_agg(target_label, ', ' ORDER BY target_code) INTO v_allowed\n"
            f"    FROM {moves} WHERE source = {old};\n"
            f"  {refuse}format('job %s: cannot move %s → %s; %s',\n"
            f"        {shown_job}, coalesce(v_source, {self._pg_shown(old)}), v_target, CASE\n"
            "          WHEN v_allowed IS NOT NULL THEN\n"
            "            format('from %s the allowed moves are: %s', v_source, v_allowed)\n"
            "          WHEN v_source IS NOT NULL THEN\n"
            "            v_source || ' is terminal and nothing leaves it (a re-run is a new job)'\n"
            "          ELSE "
            f"{_text('no move leaves a value that is not one of its statuses')}\n"
            "        END);\n"
            "END\n"
        )
        tag = "$jobfsm$"
        while tag in body:
            tag = tag[:-1] + "_$"
        return (
            f"CREATE FUNCTION {_ident(n.function)}() RETURNS trigger\n"
            "LANGUAGE plpgsql\n"
            "SET search_path FROM CURRENT\n"
            f"AS {tag}\n{body}{tag}"
        )

    def _pg_array(self, statuses: Iterable[Status]) -> str:
        kind = "integer" if self.values == "codes" else "text"
        return f"ARRAY[{', '.join(self._literal(s) for s in sorted(statuses))}]::{kind}[]"

    def _pg_targets(self, old: str) -> str:
        """An expression of the targets declared from the status ``old``: NULL from a terminal
        status or a value that is none."""
        branches = [
            f"WHEN {self._literal(source)} THEN {self._pg_array(targets)}"
            for source, targets in sorted(self.lifecycle.next_map.items())
            if targets
        ]
        return f"CASE {old}\n    " + "\n    ".join(branches) + "\n  END"

    def _hint(self) -> str:
        return (
            f"refused by the rules of the {self.lifecycle.name} lifecycle on {self.table} "
            "(made by jobfsm sql; jobfsm sql --drop removes them)"
        )

    def _postgres_triggers(self) -> tuple[str, ...]:
        n = self.names
        col, table, fn = _ident(self.column), _ident(self.table), _ident(n.function)
        changed = f"OLD.{col} IS DISTINCT FROM NEW.{col}"
        of = col
        insert_when = ""
        if self.lifecycle_column is not None:
            lcc, lc = _ident(self.lifecycle_column), _text(self.lifecycle.name)
            changed = (
                f"(OLD.{lcc} = {lc} OR NEW.{lcc} = {lc}) AND ({changed} OR "
                f"OLD.{lcc} IS DISTINCT FROM NEW.{lcc})"
            )
            of = f"{col}, {lcc}"
            insert_when = f"\nWHEN (NEW.{lcc} = {lc})"
        return (
            f"CREATE TRIGGER {_ident(n.move_trigger)}\n"
            f"BEFORE UPDATE OF {of} ON {table}\n"
            f"FOR EACH ROW WHEN ({changed})\n"
            f"EXECUTE FUNCTION {fn}()",
            f"CREATE TRIGGER {_ident(n.start_trigger)}\n"
            f"BEFORE INSERT ON {table}\n"
            f"FOR EACH ROW{insert_when}\n"
            f"EXECUTE FUNCTION {fn}()",
        )

    # -- SQLite ----------------------------------------------------------------------------------

    def _sqlite_triggers(self) -> tuple[str, ...]:
        n = self.names
        col, table = _ident(self.column), _ident(self.table)
        old, new = f"OLD.{col}", f"NEW.{col}"
        refused = (
            f"{new} IS NOT {old} AND NOT EXISTS (SELECT 1 FROM {_ident(n.moves)} "
            f"WHERE source = {old} AND target = {new})"
        )
        not_a_start = f"NOT EXISTS (SELECT 1 FROM {_ident(n.starts)} WHERE status = {new})"
        of = col
        move_message = self._sqlite_move_message(old, new)
        start_message = self._sqlite_start_message(new)
        if self.lifecycle_column is not None:
            lcc, lc = _ident(self.lifecycle_column), _text(self.lifecycle.name)
            changed = f"NEW.{lcc} IS NOT OLD.{lcc}"
            refused = f"(OLD.{lcc} = {lc} OR NEW.{lcc} = {lc}) AND ({changed} OR ({refused}))"
            not_a_start = f"NEW.{lcc} = {lc} AND {not_a_start}"
            of = f"{col}, {lcc}"
            if self.names_the_job:
                change = (
                    f"'job ' || coalesce(NEW.{_ident(self.id_column)}, 'NULL') || "
                    f"': cannot change its lifecycle from ' || coalesce(OLD.{lcc}, 'NULL') || "
                    f"' to ' || coalesce(NEW.{lcc}, 'NULL') || "
                    "': a job keeps the lifecycle it was created under'"
                )
            else:
                change = _text(
                    f"cannot change the lifecycle of a {self.lifecycle.name} job: a job keeps "
                    "the lifecycle it was created under"
                )
            move_message = (
                f"CASE WHEN {changed} THEN RAISE(ABORT, {change})\n  ELSE {move_message} END"
            )
        mark = f"-- jobfsm rules {_FINGERPRINT}: the {escape(self.lifecycle.name)} lifecycle\n"
        return (
            f"CREATE TRIGGER {_ident(n.move_trigger)}\n"
            f"BEFORE UPDATE OF {of} ON {table}\n"
            f"FOR EACH ROW WHEN {refused}\n"
            f"BEGIN\n{mark}SELECT {move_message};\nEND",
            f"CREATE TRIGGER {_ident(n.start_trigger)}\n"
            f"BEFORE INSERT ON {table}\n"
            f"FOR EACH ROW WHEN {not_a_start}\n"
            f"BEGIN\n{mark}SELECT {start_message};\nEND",
        )

    def _sqlite_label(self, value: str) -> str:
        return (
            f"coalesce({self._known_label(value)}, quote({value}) || {_text(self._not_a_status())})"
        )

    def _sqlite_move_message(self, old: str, new: str) -> str:
        if self.names_the_job:
            moves = _ident(self.names.moves)
            allowed = (
                f"(SELECT group_concat(target_label, ', ' ORDER BY target_code) FROM {moves} "
                f"WHERE source = {old})"
            )
            job = f"coalesce(NEW.{_ident(self.id_column)}, 'NULL')"
            why = (
                f"CASE WHEN {allowed} IS NOT NULL THEN 'from ' || {self._sqlite_label(old)} || "
                f"' the allowed moves are: ' || {allowed} "
                f"WHEN {self._known_label(old)} IS NOT NULL THEN {self._sqlite_label(old)} || "
                "' is terminal and nothing leaves it (a re-run is a new job)' "
                f"ELSE {_text('no move leaves a value that is not one of its statuses')}"
                " END"
            )
            return (
                f"RAISE(ABORT, 'job ' || {job} || ': cannot move ' || {self._sqlite_label(old)} "
                f"|| ' → ' || {self._sqlite_label(new)} || '; ' || {why})"
            )
        # One literal per refused pair: a CASE on the source, and in it one on the target.
        outer = []
        statuses = list(self.lifecycle.statuses)
        for source in statuses:
            why = self._why(source)
            inner = [
                f"WHEN {self._literal(target)} THEN RAISE(ABORT, "
                f"{_text(f'cannot move {source} → {target}; {why}')})"
                for target in statuses
                if target is not source and not self.lifecycle.can_transition(source, target)
            ]
            other = _text(f"cannot move {source} → a value{self._not_a_status()}; {why}")
            inner.append(f"ELSE RAISE(ABORT, {other})")
            if len(inner) == 1:  # every status is a move from here (UNKNOWN's)
                outer.append(f"WHEN {self._literal(source)} THEN RAISE(ABORT, {other})")
                continue
            outer.append(
                f"WHEN {self._literal(source)} THEN CASE {new}\n    "
                + "\n    ".join(inner)
                + " END"
            )
        unknown = _text(
            f"cannot move a job whose status is not a {self.lifecycle.name} status: no move "
            "leaves it"
        )
        return f"CASE {old}\n  " + "\n  ".join(outer) + f"\n  ELSE RAISE(ABORT, {unknown}) END"

    def _why(self, source: Status) -> str:
        allowed = self.lifecycle.next_map[source]
        if not allowed:
            return f"{source} is terminal and nothing leaves it (a re-run is a new job)"
        return f"from {source} the allowed moves are: {', '.join(str(s) for s in sorted(allowed))}"

    def _sqlite_start_message(self, new: str) -> str:
        starts = ", ".join(str(s) for s in self.starts)
        if self.names_the_job:
            job = f"coalesce(NEW.{_ident(self.id_column)}, 'NULL')"
            return (
                f"RAISE(ABORT, 'job ' || {job} || ': cannot start in ' || "
                f"{self._sqlite_label(new)} || {_text('; a new job starts in: ' + starts)})"
            )
        inner = [
            f"WHEN {self._literal(s)} THEN RAISE(ABORT, "
            f"{_text(f'cannot start in {s}; a new job starts in: {starts}')})"
            for s in self.lifecycle.statuses
            if s not in self.starts
        ]
        other = _text(
            f"cannot start in a value{self._not_a_status()}; a new job starts in: {starts}"
        )
        if not inner:  # a job may start in any status: only a value that is none is refused
            return f"RAISE(ABORT, {other})"
        inner.append(f"ELSE RAISE(ABORT, {other})")
        return f"CASE {new}\n  " + "\n  ".join(inner) + " END"


#: Where a fingerprint goes, until the statements it is made of are known.
_FINGERPRINT: Final = "<fingerprint>"


def _fingerprint(statements: Iterable[str]) -> str:
    digest = hashlib.sha256("\n;\n".join(statements).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]


def _ident(name: str) -> str:
    """``name`` quoted as an SQL identifier (both dialects take double quotes)."""
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    """``value`` as an SQL string literal (standard: quotes doubled, backslashes as they are)."""
    return "'" + value.replace("'", "''") + "'"


def _checked_name(argument: str, name: object, dialect: str) -> str:
    """``name`` if generated SQL can name it, quoted; else :class:`InvalidIdentifier`."""
    if not isinstance(name, str):
        raise InvalidIdentifier(argument, name, "it is not text", dialect)
    problem = None
    if not name.strip():
        problem = "it is empty" if not name else "it is blank"
    elif find_control_character(name) is not None or _LONE_SURROGATE.search(name):
        # A newline would end a comment of the script, and PostgreSQL cannot hold NUL.
        problem = "it holds a control character or a lone surrogate"
    elif "." in name:
        problem = (
            "it holds a '.', and a name qualified by a schema is not taken (create the rules with "
            "the schema first on the search_path, or in the database that holds the table)"
        )
    elif dialect == "postgresql" and len(name.encode("utf-8")) > POSTGRES_NAME_BYTES:
        problem = (
            f"it is {len(name.encode('utf-8'))} bytes long, and PostgreSQL cuts names short at "
            f"{POSTGRES_NAME_BYTES}"
        )
    if problem is not None:
        raise InvalidIdentifier(argument, name, problem, dialect)
    return name


def _slug(text: str) -> str:
    return _SLUG_OTHER.sub("_", text.lower()).strip("_") or "x"


def rule_names(table: str, lifecycle: str) -> RuleNames:
    """The names of the rules of ``lifecycle`` on ``table``: ``jobfsm_<table>_<lifecycle>_...``,
    with a digest of both where the names had to be changed to make them (another case, other
    characters) or shortened (to PostgreSQL's 63 bytes), so that no two differ only there.

    >>> rule_names("jobs", "slurm").moves
    'jobfsm_jobs_slurm_moves'
    """
    base = f"{_slug(table)}_{_slug(lifecycle)}"
    if base != f"{table}_{lifecycle}" or len(base) > _BASE_BYTES:
        digest = hashlib.sha256(f"{table}\0{lifecycle}".encode("utf-8", "surrogatepass"))
        short = digest.hexdigest()[:8]
        base = f"{base[: _BASE_BYTES - len(short) - 1].rstrip('_')}_{short}"
    return RuleNames(
        moves=f"{_PREFIX}{base}_moves",
        starts=f"{_PREFIX}{base}_starts",
        move_trigger=f"{_PREFIX}{base}_move",
        start_trigger=f"{_PREFIX}{base}_start",
        function=f"{_PREFIX}{base}_check",
    )


def _version(value: object) -> tuple[int, int, int]:
    if value is None:
        major, minor, patch = sqlite3.sqlite_version_info[:3]
        return (major, minor, patch)
    parts: list[object]
    if isinstance(value, str):
        parts = list(value.strip().split("."))
    elif isinstance(value, tuple):
        parts = list(value)
    else:
        parts = [value]
    numbers: list[int] = []
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool) and part >= 0:
            numbers.append(part)
        elif isinstance(part, str) and part.isascii() and part.isdigit() and len(part) <= 6:
            numbers.append(int(part))
        else:
            numbers = []
            break
    if not 1 <= len(numbers) <= 3:
        raise InvalidArgument(
            "sqlite_version",
            value,
            "a SQLite version such as '3.40.1' or (3, 47, 0) (None: the running library's)",
        )
    numbers += [0] * (3 - len(numbers))
    return (numbers[0], numbers[1], numbers[2])


def _starts(lifecycle: Lifecycle, start: object) -> tuple[Status, ...]:
    if isinstance(start, str) and start.strip().lower() in (Start.INITIAL.value, Start.ANY.value):
        start = Start(start.strip().lower())
    if start is Start.INITIAL:
        return (lifecycle.initial,)
    if start is Start.ANY:
        return tuple(sorted(lifecycle.statuses))
    if isinstance(start, (str, bytes)) or not isinstance(start, Iterable):
        raise InvalidArgument(
            "start", start, "'initial', 'any', or a list of the statuses a job may start in"
        )
    chosen = tuple(sorted({lifecycle.parse(s) for s in start}))
    if not chosen:
        raise InvalidArgument("start", start, "at least one status a job may start in")
    return chosen


def table_rules(
    lifecycle: Lifecycle,
    *,
    dialect: str,
    table: str,
    column: str,
    id_column: str = "id",
    values: str | None = None,
    start: str | Start | Iterable[Status | int | str] = Start.INITIAL,
    lifecycle_column: str | None = None,
    sqlite_version: str | tuple[int, ...] | None = None,
) -> TableRules:
    """The rules that enforce ``lifecycle`` on ``table`` (see the module's docs).

    Args:
        dialect: ``"postgresql"`` or ``"sqlite"``.
        table, column: the table that keeps the jobs and the column that holds each one's status.
        id_column: the column that identifies a job, which messages name.
        values: ``"codes"`` or ``"names"``: what the status column holds; by default codes where
            the lifecycle's clients report codes (ModelArts v1), names otherwise.
        start: the statuses a job may be created in: ``"initial"`` (the lifecycle's initial
            status, the default), ``"any"``, or a list of statuses.
        lifecycle_column: a column naming each row's lifecycle, for a table that keeps jobs of
            several: only the rows of this lifecycle are judged (and none may change lifecycle).
        sqlite_version: the oldest SQLite that will open the database (``"3.40.1"``); by default
            the running library's. From 3.47 on a refusal's message names the job.

    Raises:
        InvalidIdentifier: a table or column name that cannot be written (empty, blank, with a
            control character or a '.', or longer than PostgreSQL keeps).
        InvalidArgument: an unknown dialect or values, a start that is none of the above, a
            lifecycle_column equal to the status or id column, or a sqlite_version that is not a
            version; a lifecycle whose name holds NUL or a lone surrogate.
        UnknownStatus: a status of ``start`` that is not one of the lifecycle's.
    """
    checked = _as_lifecycle(lifecycle)
    if dialect not in DIALECTS:
        raise InvalidArgument("dialect", dialect, f"one of {', '.join(DIALECTS)}")
    table = _checked_name("table", table, dialect)
    column = _checked_name("column", column, dialect)
    id_column = _checked_name("id_column", id_column, dialect)
    if lifecycle_column is not None:
        lifecycle_column = _checked_name("lifecycle_column", lifecycle_column, dialect)
        if lifecycle_column in (column, id_column):
            raise InvalidArgument(
                "lifecycle_column",
                lifecycle_column,
                "a column of its own, not the status or the id column",
            )
    if values is None:
        values = "codes" if checked.statuses.vocabulary.numeric else "names"
    if values not in VALUES:
        raise InvalidArgument("values", values, f"one of {', '.join(VALUES)}")
    name = checked.name
    if not isinstance(name, str) or "\x00" in name or _LONE_SURROGATE.search(name):
        raise InvalidArgument(
            "lifecycle", checked, "a Lifecycle whose name holds no NUL and no lone surrogate"
        )
    return TableRules(
        lifecycle=checked,
        dialect=dialect,
        table=table,
        column=column,
        id_column=id_column,
        values=values,
        starts=_starts(checked, start),
        lifecycle_column=lifecycle_column,
        sqlite_version=_version(sqlite_version),
        names=rule_names(table, name),
    )
