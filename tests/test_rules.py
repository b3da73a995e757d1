"""The lifecycle enforced inside the database: the SQL of jobfsm.store.rules applied to a team's own
table (not jobfsm's) on real SQLite and a real PostgreSQL, then written to with plain SQL."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import unavailable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pgserver import PostgresServer

from jobfsm import DEFAULT_LIFECYCLE, Lifecycle, Status
from jobfsm.errors import InvalidArgument, InvalidIdentifier, UnknownStatus
from jobfsm.lifecycles import EXAMPLES, get_lifecycle
from jobfsm.store.rules import (
    CHECK_VIOLATION,
    POSTGRES_NAME_BYTES,
    SQLITE_RAISE_EXPRESSION,
    Start,
    TableRules,
    rule_names,
    table_rules,
)

V1 = DEFAULT_LIFECYCLE
V2 = get_lifecycle("modelarts-v2")
SLURM = get_lifecycle(EXAMPLES["slurm"])

#: The SQLite this Python links against, and one new enough for expressions in RAISE.
OLD_SQLITE = "sqlite"
NEW_SQLITE = "sqlite-3.47"
BACKENDS = [
    OLD_SQLITE,
    NEW_SQLITE,
    pytest.param("postgresql", marks=pytest.mark.integration),
]


class Team:
    """A team's own database, reached with its driver alone (autocommit), as a team would."""

    def __init__(self, backend: str, connection: Any) -> None:
        self.backend = backend
        self.connection = connection
        self.dialect = "postgresql" if backend == "postgresql" else "sqlite"

    def rules(self, lifecycle: Lifecycle, **options: Any) -> TableRules:
        """The rules for this database (SQLite: for the version that runs them)."""
        version = None
        if self.backend == NEW_SQLITE:
            import apsw

            version = apsw.sqlite_lib_version()
        elif self.backend == OLD_SQLITE:
            version = sqlite3.sqlite_version
        return table_rules(lifecycle, dialect=self.dialect, sqlite_version=version, **options)

    def script(self, text: str) -> None:
        if self.backend == OLD_SQLITE:
            self.connection.executescript(text)
        else:
            self.connection.execute(text)

    def run(self, sql: str, params: Sequence[object] = ()) -> None:
        self.connection.execute(self._marks(sql), tuple(params))

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.connection.execute(self._marks(sql), tuple(params))]

    def refused(self, sql: str, params: Sequence[object] = ()) -> str:
        """The message of the database's refusal of ``sql`` (which must be refused)."""
        with pytest.raises(Exception) as caught:  # noqa: PT011 - each driver has its own class
            self.run(sql, params)
        error = caught.value
        if self.backend == "postgresql":
            import psycopg

            assert isinstance(error, psycopg.errors.CheckViolation)
            assert error.sqlstate == CHECK_VIOLATION
            assert error.diag.constraint_name is not None
            assert error.diag.constraint_name.startswith("jobfsm_")
            message = error.diag.message_primary
            assert message is not None
            return message
        if self.backend == NEW_SQLITE:
            import apsw

            assert isinstance(error, apsw.ConstraintError)
            return str(error).removeprefix("ConstraintError: ")
        assert isinstance(error, sqlite3.IntegrityError)
        # Python 3.11 and later name the error (a trigger's RAISE); 3.10 only gives its class.
        assert getattr(error, "sqlite_errorname", None) in (None, "SQLITE_CONSTRAINT_TRIGGER")
        return str(error)

    @property
    def names_the_job(self) -> bool:
        return self.backend != OLD_SQLITE

    def objects(self) -> set[str]:
        """The names of every table, trigger and function the database holds."""
        if self.backend == "postgresql":
            found = self.rows(
                "SELECT relname FROM pg_class JOIN pg_namespace n ON n.oid = relnamespace "
                "WHERE nspname = 'public' AND relkind = 'r' "
                "UNION SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                "UNION SELECT proname FROM pg_proc JOIN pg_namespace n ON n.oid = pronamespace "
                "WHERE nspname = 'public'"
            )
        else:
            found = self.rows("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        return {str(name) for (name,) in found}

    def _marks(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.backend == "postgresql" else sql


@contextmanager
def team_database(backend: str, request: pytest.FixtureRequest) -> Iterator[Team]:
    """An empty database of ``backend``: SQLite in memory, or a fresh PostgreSQL schema."""
    connection: Any
    if backend == OLD_SQLITE:
        connection = sqlite3.connect(":memory:", isolation_level=None)
        try:
            yield Team(backend, connection)
        finally:
            connection.close()
    elif backend == NEW_SQLITE:
        try:
            import apsw
        except ImportError:
            unavailable("apsw (a SQLite of 3.47 or later) is not installed: pip install apsw")
        if tuple(int(p) for p in apsw.sqlite_lib_version().split(".")) < SQLITE_RAISE_EXPRESSION:
            unavailable(f"apsw's SQLite {apsw.sqlite_lib_version()} is older than 3.47")
        connection = apsw.Connection(":memory:")
        try:
            yield Team(backend, connection)
        finally:
            connection.close()
    else:
        import psycopg

        server: PostgresServer = request.getfixturevalue("postgres_server")
        server.fresh_url()
        with psycopg.connect(
            host=str(server.root), port=server.port, user="postgres", dbname="postgres",
            autocommit=True,
        ) as connection:  # fmt: skip
            yield Team(backend, connection)


@pytest.fixture(params=BACKENDS)
def team(request: pytest.FixtureRequest) -> Iterator[Team]:
    with team_database(request.param, request) as found:
        yield found


# A team's own tables: ModelArts v1 codes in a SMALLINT, v2 phase names in TEXT under names that
# need quoting.
V1_TABLE = "CREATE TABLE training_jobs (name TEXT PRIMARY KEY, state SMALLINT, owner TEXT)"
V1_OPTIONS: dict[str, Any] = {"table": "training_jobs", "column": "state", "id_column": "name"}
V2_TABLE = 'CREATE TABLE "Team ""Jobs""" ("job id" TEXT PRIMARY KEY, "order" TEXT, owner TEXT)'
V2_OPTIONS: dict[str, Any] = {"table": 'Team "Jobs"', "column": "order", "id_column": "job id"}
CASES = {
    "v1-codes": (V1, V1_TABLE, V1_OPTIONS),
    "v2-names": (V2, V2_TABLE, V2_OPTIONS),
}


def q(name: str) -> str:
    """``name`` quoted as the team writes it."""
    return '"' + name.replace('"', '""') + '"'


def insert_sql(options: dict[str, Any]) -> str:
    return (
        f"INSERT INTO {q(options['table'])} ({q(options['id_column'])}, {q(options['column'])}) "
        "VALUES (?, ?)"
    )


def update_sql(options: dict[str, Any], column: str | None = None) -> str:
    return (
        f"UPDATE {q(options['table'])} SET {q(column or options['column'])} = ? "
        f"WHERE {q(options['id_column'])} = ?"
    )


def stored(team: Team, options: dict[str, Any]) -> dict[str, Any]:
    """Each job's stored status, by id."""
    rows = team.rows(
        f"SELECT {q(options['id_column'])}, {q(options['column'])} FROM {q(options['table'])}"
    )
    return dict(rows)


def value(rules: TableRules, status: Status) -> object:
    return rules.value(status)


def why(lifecycle: Lifecycle, source: Status) -> str:
    allowed = sorted(lifecycle.allowed_next(source))
    if not allowed:
        return f"{source} is terminal and nothing leaves it (a re-run is a new job)"
    return f"from {source} the allowed moves are: {', '.join(str(s) for s in allowed)}"


def refusal(team: Team, job: str, text: str) -> str:
    """What the database says: the job is named where the database can name it."""
    return f"job {job}: {text}" if team.names_the_job else text


# -- every move, on each backend, for codes and for names -----------------------------------------


@pytest.mark.parametrize("case", list(CASES))
def test_every_declared_move_passes_and_every_other_is_refused_naming_both_statuses(
    team: Team, case: str
) -> None:
    """Jobs stored before the rules are moved by plain UPDATEs: each declared move is written,
    each undeclared one refused with a message naming the job (where the database can), both
    statuses and the moves allowed from the source."""
    lifecycle, create, options = CASES[case]
    team.run(create)
    statuses = list(lifecycle.statuses)
    pairs = list(itertools.product(statuses, statuses))
    for i, (source, _) in enumerate(pairs):
        team.run(insert_sql(options), (f"job-{i}", value(team.rules(lifecycle, **options), source)))
    rules = team.rules(lifecycle, **options)
    team.script(rules.script())
    for i, (source, target) in enumerate(pairs):
        job = f"job-{i}"
        if source is target or lifecycle.can_transition(source, target):
            team.run(update_sql(options), (rules.value(target), job))
            continue
        message = team.refused(update_sql(options), (rules.value(target), job))
        assert message == refusal(
            team, job, f"cannot move {source} → {target}; {why(lifecycle, source)}"
        )
    found = stored(team, options)
    for i, (source, target) in enumerate(pairs):
        moved = source is target or lifecycle.can_transition(source, target)
        assert found[f"job-{i}"] == rules.value(target if moved else source)


@pytest.mark.parametrize("case", list(CASES))
def test_a_repeat_and_other_columns_are_no_moves(team: Team, case: str) -> None:
    """Writing the status a job is in, or only other columns, passes even from a terminal
    status."""
    lifecycle, create, options = CASES[case]
    team.run(create)
    rules = team.rules(lifecycle, **options, start="any")
    team.script(rules.script())
    done = next(s for s in lifecycle.statuses if s.is_terminal)
    team.run(insert_sql(options), ("j", rules.value(done)))
    team.run(update_sql(options), (rules.value(done), "j"))
    team.run(update_sql(options, "owner"), ("vision", "j"))
    assert team.rows(f"SELECT owner FROM {q(options['table'])}") == [("vision",)]


@pytest.mark.parametrize("case", list(CASES))
def test_a_job_starts_only_in_its_initial_status_by_default(team: Team, case: str) -> None:
    """An INSERT in any other status, or in a value that is no status, is refused naming the
    status and where a job starts."""
    lifecycle, create, options = CASES[case]
    team.run(create)
    rules = team.rules(lifecycle, **options)
    team.script(rules.script())
    first = lifecycle.initial
    for status in lifecycle.statuses:
        job = f"new-{int(status)}"
        if status is first:
            team.run(insert_sql(options), (job, rules.value(status)))
            continue
        message = team.refused(insert_sql(options), (job, rules.value(status)))
        assert message == refusal(
            team, job, f"cannot start in {status}; a new job starts in: {first}"
        )
    bogus = 99 if rules.values == "codes" else "Bogus"
    message = team.refused(insert_sql(options), ("odd", bogus))
    shown = "a value" if not team.names_the_job else ("99" if bogus == 99 else "'Bogus'")
    assert message == refusal(
        team,
        "odd",
        f"cannot start in {shown} (not a {lifecycle.name} status); a new job starts in: {first}",
    )


def test_the_statuses_a_job_may_start_in_are_configurable(team: Team) -> None:
    """start='any' takes every status (and still no value that is none); a list takes those."""
    team.run(V1_TABLE)
    anywhere = team.rules(V1, **V1_OPTIONS, start="any")
    team.script(anywhere.script())
    for status in V1.statuses:
        team.run(insert_sql(V1_OPTIONS), (f"any-{int(status)}", int(status)))
    assert "not a modelarts-v1 status" in team.refused(insert_sql(V1_OPTIONS), ("x", 23))
    listed = team.rules(V1, **V1_OPTIONS, start=["INIT", 7])
    team.script(listed.script())  # replaces the rules of the same lifecycle on the same table
    assert [str(s) for s in listed.starts] == ["INIT(1)", "WAITING(7)"]
    team.run(insert_sql(V1_OPTIONS), ("w", 7))
    message = team.refused(insert_sql(V1_OPTIONS), ("r", 8))
    assert message == refusal(
        team, "r", "cannot start in RUNNING(8); a new job starts in: INIT(1), WAITING(7)"
    )


@pytest.mark.parametrize("case", list(CASES))
def test_a_value_that_is_no_status_is_refused_both_ways(team: Team, case: str) -> None:
    """No move leads to a value that is not a status, nor leaves one (a row stored before the
    rules)."""
    lifecycle, create, options = CASES[case]
    team.run(create)
    bogus = 99 if lifecycle.statuses.vocabulary.numeric else "Bogus"
    team.run(insert_sql(options), ("stray", bogus))
    rules = team.rules(lifecycle, **options, start="any")
    team.script(rules.script())
    first = lifecycle.initial
    team.run(insert_sql(options), ("j", rules.value(first)))
    to_bogus = team.refused(update_sql(options), (bogus, "j"))
    to_null = team.refused(update_sql(options), (None, "j"))
    from_bogus = team.refused(update_sql(options), (rules.value(first), "stray"))
    not_one = f" (not a {lifecycle.name} status)"
    if team.names_the_job:
        shown = "99" if bogus == 99 else "'Bogus'"
        assert to_bogus == f"job j: cannot move {first} → {shown}{not_one}; {why(lifecycle, first)}"
        assert to_null == f"job j: cannot move {first} → NULL{not_one}; {why(lifecycle, first)}"
        assert from_bogus.startswith(f"job stray: cannot move {shown}{not_one} → {first}; ")
    else:
        assert to_bogus == f"cannot move {first} → a value{not_one}; {why(lifecycle, first)}"
        assert to_null == to_bogus
        assert from_bogus.startswith(
            f"cannot move a job whose status is not a {lifecycle.name} status"
        )


# -- the database's verdict is the lifecycle's ----------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", list(CASES))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_database_judges_any_pair_as_can_transition_does(
    request: pytest.FixtureRequest, backend: str, case: str, data: st.DataObject
) -> None:
    """For random (source, target) pairs the database writes the move exactly when
    Lifecycle.can_transition says it is declared (or it is a repeat)."""
    lifecycle, create, options = CASES[case]
    statuses = list(lifecycle.statuses)
    pairs = data.draw(
        st.lists(st.tuples(st.sampled_from(statuses), st.sampled_from(statuses)), max_size=12)
    )
    with team_database(backend, request) as team:
        team.run(create)
        rules = team.rules(lifecycle, **options, start="any")
        team.script(rules.script())
        for i, (source, target) in enumerate(pairs):
            team.run(insert_sql(options), (f"j{i}", rules.value(source)))
            # The database writes what the lifecycle declares, and refuses the rest.
            if source is target or lifecycle.can_transition(source, target):
                team.run(update_sql(options), (rules.value(target), f"j{i}"))
            else:
                message = team.refused(update_sql(options), (rules.value(target), f"j{i}"))
                assert f"cannot move {source} → {target}; " in message
        assert stored(team, options) == {
            f"j{i}": rules.value(b if a is b or lifecycle.can_transition(a, b) else a)
            for i, (a, b) in enumerate(pairs)
        }


# -- several lifecycles, replacing and dropping ---------------------------------------------------


def test_a_table_of_several_lifecycles_judges_each_row_by_its_own(team: Team) -> None:
    """With a lifecycle column, the rules of v1 and of Slurm share one table (codes of both in one
    column): each row is judged by the lifecycle it names, and none may change lifecycle."""
    team.run("CREATE TABLE fleet (job TEXT PRIMARY KEY, code INTEGER, kind TEXT)")
    shared = {"table": "fleet", "column": "code", "id_column": "job", "values": "codes",
              "lifecycle_column": "kind"}  # fmt: skip
    v1 = team.rules(V1, **shared, start="any")
    slurm = team.rules(SLURM, **shared, start="any")
    assert not set(v1.names.__dict__.values()) & set(slurm.names.__dict__.values())
    team.script(v1.script())
    team.script(slurm.script())
    insert = "INSERT INTO fleet (job, code, kind) VALUES (?, ?, ?)"
    move = "UPDATE fleet SET code = ? WHERE job = ?"
    waiting, running = V1.parse("WAITING"), V1.parse("RUNNING")
    team.run(insert, ("ma", int(waiting), V1.name))
    pending, slurm_running = SLURM.parse("PENDING"), SLURM.parse("RUNNING")
    team.run(insert, ("sl", int(pending), SLURM.name))
    team.run(move, (int(running), "ma"))
    team.run(move, (int(slurm_running), "sl"))
    # A code is judged as a status of the row's own lifecycle.
    assert "cannot move" in team.refused(move, (int(waiting), "ma"))
    assert "cannot move" in team.refused(move, (int(pending), "sl"))
    changed = team.refused("UPDATE fleet SET kind = ? WHERE job = ?", (SLURM.name, "ma"))
    assert "lifecycle" in changed
    assert "cannot start" in team.refused(insert, ("new", 99, SLURM.name))
    # A row of a lifecycle without rules is not judged.
    team.run(insert, ("other", 5, "another"))
    team.run(move, (3, "other"))


def test_rules_applied_again_replace_themselves_and_drop_removes_everything(team: Team) -> None:
    """The create script run twice leaves one set of rules; the drop script leaves only the
    team's table, which then takes any write again."""
    team.run(V1_TABLE)
    before = team.objects()
    rules = team.rules(V1, **V1_OPTIONS)
    team.script(rules.script())
    team.script(rules.script())
    made = team.objects() - before
    n = rules.names
    expected = {n.moves, n.starts, n.move_trigger, n.start_trigger}
    if team.dialect == "postgresql":
        expected.add(n.function)
    assert made == expected
    team.script(rules.script(drop=True))
    assert team.objects() == before
    team.run(insert_sql(V1_OPTIONS), ("free", 10))
    team.run(update_sql(V1_OPTIONS), (8, "free"))
    team.script(rules.script(drop=True))  # dropping what is not there is no error


def test_the_rules_of_one_lifecycle_on_two_tables_coexist(team: Team) -> None:
    team.run(V1_TABLE)
    team.run(V1_TABLE.replace("training_jobs", "other_jobs"))
    first = team.rules(V1, **V1_OPTIONS)
    second = team.rules(V1, **{**V1_OPTIONS, "table": "other_jobs"})
    team.script(first.script())
    team.script(second.script())
    team.run(insert_sql(V1_OPTIONS), ("a", 1))
    team.run("INSERT INTO other_jobs (name, state) VALUES (?, ?)", ("b", 1))
    assert "cannot move" in team.refused("UPDATE other_jobs SET state = 10 WHERE name = ?", ("b",))
    team.script(first.script(drop=True))
    team.run(update_sql(V1_OPTIONS), (10, "a"))  # only the first table's rules are gone
    assert "cannot move" in team.refused("UPDATE other_jobs SET state = 10 WHERE name = ?", ("b",))


@pytest.mark.integration
def test_postgresql_finds_its_tables_whatever_the_session_search_path(
    request: pytest.FixtureRequest,
) -> None:
    """Rules made in a schema of their own judge a write from a session whose search_path does
    not include it."""
    with team_database("postgresql", request) as team:
        team.run("CREATE SCHEMA ops")
        team.run("SET search_path TO ops")
        team.run(V1_TABLE)
        team.script(team.rules(V1, **V1_OPTIONS).script())
        team.run("SET search_path TO public")
        team.run("INSERT INTO ops.training_jobs (name, state) VALUES ('a', 1)")
        message = team.refused("UPDATE ops.training_jobs SET state = 8 WHERE name = 'a'")
        assert message.startswith("job a: cannot move INIT(1) → RUNNING(8); ")
        team.run("UPDATE ops.training_jobs SET state = 4 WHERE name = 'a'")
        team.run("DROP SCHEMA ops CASCADE")


@pytest.mark.integration
def test_postgresql_refusal_carries_the_constraint_table_column_and_a_hint(
    request: pytest.FixtureRequest,
) -> None:
    import psycopg

    with team_database("postgresql", request) as team:
        team.run(V1_TABLE)
        rules = team.rules(V1, **V1_OPTIONS)
        team.script(rules.script())
        with pytest.raises(psycopg.errors.CheckViolation) as caught:
            team.run("INSERT INTO training_jobs (name, state) VALUES ('a', 8)")
        diag = caught.value.diag
        assert diag.sqlstate == "23514"
        assert diag.constraint_name == rules.names.function
        assert (diag.table_name, diag.column_name) == ("training_jobs", "state")
        assert diag.message_hint is not None
        assert "jobfsm sql --drop" in diag.message_hint


def test_a_schema_written_for_a_newer_sqlite_is_unreadable_to_an_older_one(
    tmp_path: Any, request: pytest.FixtureRequest
) -> None:
    """Why sqlite_version must be the oldest SQLite that opens the database: 3.40 cannot even
    read a schema whose triggers use 3.47's RAISE expressions."""
    if sqlite3.sqlite_version_info >= SQLITE_RAISE_EXPRESSION:
        pytest.skip("this Python's SQLite is new enough to read the schema")
    apsw = pytest.importorskip("apsw")
    path = str(tmp_path / "team.db")
    newer = apsw.Connection(path)
    newer.execute(V1_TABLE)
    rules = table_rules(V1, dialect="sqlite", sqlite_version="3.47", **V1_OPTIONS)
    newer.execute(rules.script())
    newer.close()
    older = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="malformed database schema"):
        older.execute("SELECT count(*) FROM training_jobs")
    older.close()
    portable = table_rules(V1, dialect="sqlite", sqlite_version="3.40.1", **V1_OPTIONS)
    again = apsw.Connection(path)
    again.execute(portable.script())  # the literal messages: every SQLite reads them
    again.close()
    older = sqlite3.connect(path)
    assert older.execute("SELECT count(*) FROM training_jobs").fetchall() == [(0,)]
    older.close()


# -- the generated text -----------------------------------------------------------------------


def test_names_hold_the_table_and_the_lifecycle_and_never_collide() -> None:
    assert rule_names("jobs", "slurm").moves == "jobfsm_jobs_slurm_moves"
    # Names changed to make them (another case, other characters) carry a digest of both.
    a, b = rule_names("jobs", "modelarts-v1"), rule_names("jobs", "modelarts_v1")
    assert a.moves.startswith("jobfsm_jobs_modelarts_v1_")
    assert a != b
    assert rule_names("Jobs", "x") != rule_names("jobs", "x")
    long = rule_names("t" * 63, "l" * 200)
    for name in long.__dict__.values():
        assert len(name.encode()) <= POSTGRES_NAME_BYTES
    assert long != rule_names("t" * 63, "l" * 201)
    assert rule_names("作业", "x").moves.isascii()


@pytest.mark.parametrize(
    ("argument", "name", "problem"),
    [
        ("table", "", "it is empty"),
        ("table", "   ", "it is blank"),
        ("table", "ops.jobs", "holds a '.'"),
        ("column", "st\nate", "control character"),
        ("id_column", "a\x00b", "control character"),
        ("lifecycle_column", "x\ud800", "lone surrogate"),
        ("table", "j" * 64, "64 bytes long"),
        ("column", 7, "not text"),
    ],
)
def test_a_name_sql_cannot_hold_is_refused_with_the_argument_and_why(
    argument: str, name: object, problem: str
) -> None:
    options: dict[str, Any] = {"table": "jobs", "column": "status", argument: name}
    with pytest.raises(InvalidIdentifier) as caught:
        table_rules(V1, dialect="postgresql", **options)
    error = caught.value
    assert (error.argument, error.name, error.dialect) == (argument, name, "postgresql")
    assert problem in error.problem
    assert "is quoted as given" in error.message
    assert isinstance(error, ValueError)


def test_a_long_name_is_only_a_postgresql_problem() -> None:
    rules = table_rules(V1, dialect="sqlite", table="j" * 64, column="status")
    assert len(rules.names.moves.encode()) <= POSTGRES_NAME_BYTES


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"dialect": "mysql"}, "dialect"),
        ({"values": "labels"}, "values"),
        ({"start": "everywhere"}, "start"),
        ({"start": []}, "start"),
        ({"start": 8}, "start"),
        ({"sqlite_version": "three"}, "sqlite_version"),
        ({"sqlite_version": "3.1.2.4"}, "sqlite_version"),
        ({"lifecycle_column": "status"}, "lifecycle_column"),
    ],
)
def test_other_arguments_are_checked(options: dict[str, Any], argument: str) -> None:
    given = {"dialect": "sqlite", "table": "jobs", "column": "status", **options}
    with pytest.raises(InvalidArgument) as caught:
        table_rules(V1, **given)
    assert caught.value.argument == argument


def test_a_start_status_is_read_in_the_lifecycle() -> None:
    with pytest.raises(UnknownStatus):
        table_rules(V2, dialect="sqlite", table="jobs", column="phase", start=["IMAGE_CREATING"])
    rules = table_rules(V2, dialect="sqlite", table="jobs", column="phase", start=["running"])
    assert rules.starts == (V2.parse("Running"),)
    assert table_rules(V1, dialect="sqlite", table="t", column="c", start=Start.ANY).starts == (
        tuple(sorted(V1.statuses))
    )


def test_values_default_to_what_clients_report() -> None:
    assert table_rules(V1, dialect="sqlite", table="t", column="c").values == "codes"
    assert table_rules(V2, dialect="sqlite", table="t", column="c").values == "names"
    by_name = table_rules(V1, dialect="postgresql", table="t", column="c", values="names")
    assert "('RUNNING', 'COMPLETED', 'complete', 'RUNNING(8)', 'COMPLETED(10)', 10)" in (
        by_name.script()
    )


def test_the_sqlite_version_decides_whether_messages_name_the_job() -> None:
    old = table_rules(V1, dialect="sqlite", table="t", column="c", sqlite_version="3.46.1")
    new = table_rules(V1, dialect="sqlite", table="t", column="c", sqlite_version=(3, 47))
    assert not old.names_the_job
    assert new.names_the_job
    assert "not the job" in old.script()
    assert "'job ' ||" in new.script()
    assert old.fingerprint != new.fingerprint
    default = table_rules(V1, dialect="sqlite", table="t", column="c")
    assert default.sqlite_version == sqlite3.sqlite_version_info[:3]


def test_the_fingerprint_is_kept_in_the_sql_and_follows_the_declaration() -> None:
    rules = table_rules(V1, dialect="postgresql", table="t", column="c")
    assert f"jobfsm rules {rules.fingerprint}" in rules.script()
    again = table_rules(V1, dialect="postgresql", table="t", column="c")
    assert rules.fingerprint == again.fingerprint
    fewer = V1.without_edges(("RUNNING", "LOST"))
    assert table_rules(fewer, dialect="postgresql", table="t", column="c").fingerprint != (
        rules.fingerprint
    )


def test_text_in_the_sql_is_quoted_and_comments_cannot_be_ended() -> None:
    """Quotes in names, and a lifecycle's name with a quote and a newline, stay names and
    literals: the rules apply, judge the rows of that lifecycle, and drop nothing else."""
    evil = V1.with_events(name="it's\n DROP TABLE victims; --")
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("CREATE TABLE victims (x INTEGER)")
    connection.execute('CREATE TABLE "we""ird" (id TEXT, "it\'s" INTEGER, kind TEXT)')
    rules = table_rules(evil, dialect="sqlite", table='we"ird', column="it's",
                        lifecycle_column="kind", start="any")  # fmt: skip
    for line in rules.script().splitlines():
        assert not line.startswith("-- ") or "\n" not in line
    connection.executescript(rules.script())
    insert = """INSERT INTO "we""ird" (id, "it's", kind) VALUES (?, ?, ?)"""
    connection.execute(insert, ("a", 8, evil.name))
    with pytest.raises(sqlite3.IntegrityError, match="cannot move RUNNING"):
        connection.execute("""UPDATE "we""ird" SET "it's" = 1""")
    connection.executescript(rules.script(drop=True))
    tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
    assert tables == {"victims", 'we"ird'}
    connection.close()


def test_rules_need_no_sqlalchemy() -> None:
    """jobfsm.store.rules works without the sql extra; the store still says what to install."""
    from test_store_optional import without_sqlalchemy

    done = without_sqlalchemy(
        """
        from jobfsm import DEFAULT_LIFECYCLE
        from jobfsm.store.rules import table_rules
        from jobfsm.store import rules
        print(len(table_rules(DEFAULT_LIFECYCLE, dialect="sqlite", table="t", column="c").create))
        assert "sqlalchemy" not in sys.modules
        try:
            from jobfsm.store import JobStore
        except ImportError as exc:
            print(type(exc).__name__)
        """
    )
    assert done.returncode == 0, done.stderr
    # 4 drops, 2 tables and their rows, 2 triggers.
    assert done.stdout.splitlines() == ["10", "MissingExtra"]
