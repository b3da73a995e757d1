"""The schema version, tables laid out otherwise, and rows changed outside jobfsm; both backends."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from conftest import drop_store_rules

from jobfsm import CorruptJob, JobRecords, JobStatus, JobStore, StoreUnavailable
from jobfsm.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from jobfsm.store import SCHEMA_VERSION, schema_table

S = JobStatus
SECOND = timedelta(seconds=1)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def execute(url: str, *statements: str) -> None:
    """Change the database the way another program would, bypassing the store."""
    engine = sa.create_engine(JobStore(url)._connect_url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def test_init_records_the_schema_version(store: JobStore, store_url: str) -> None:
    """create_schema writes the version once; a second init keeps one row."""
    store.create_schema()
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(schema_table.c.version)).scalars().all() == [SCHEMA_VERSION]


def test_a_store_from_before_versions_is_version_1(store: JobStore, store_url: str) -> None:
    """A database made before the version was kept has the tables of version 1: it is read as it
    is, and init upgrades it in place and records the current version."""
    store.create("j-1")
    execute(
        store_url,
        "DROP TABLE jobfsm_schema",
        "DROP TABLE jobfsm_alembic_version",
        "ALTER TABLE history DROP COLUMN inferred",
        "ALTER TABLE history DROP COLUMN detail",
    )
    with JobStore(store_url) as old:
        assert old.get("j-1").status is S.INIT
        old.create_schema()
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(schema_table.c.version)).scalars().all() == [SCHEMA_VERSION]


def test_a_newer_schema_is_refused_by_every_command(
    capsys: pytest.CaptureFixture[str], store: JobStore, store_url: str
) -> None:
    """A store whose tables a newer jobfsm made is refused, naming both versions, by init (which
    no longer says "ready") and by every read and write; nothing is written."""
    store.create("j-1", S.WAITING)
    execute(store_url, f"UPDATE jobfsm_schema SET version = {SCHEMA_VERSION + 1}")
    message = (
        f"its tables have schema version {SCHEMA_VERSION + 1}, from a newer jobfsm; this one "
        f"(jobfsm 0.1.0) knows versions up to {SCHEMA_VERSION}; upgrade jobfsm"
    )
    for argv in (
        ["init"],
        ["create", "j-2"],
        ["move", "j-1", "RUNNING"],
        ["show", "j-1"],
        ["list"],
        ["stale", "--status", "WAITING", "--older-than", "0s"],
    ):
        code, out, err = run(capsys, "store", argv[0], store_url, *argv[1:])
        assert (code, out) == (EXIT_USAGE, ""), argv
        assert err.startswith("jobfsm: error: cannot use the job store at "), argv
        assert message in err, argv
        assert err.count("\n") == 1, argv
    execute(store_url, f"UPDATE jobfsm_schema SET version = {SCHEMA_VERSION}")
    with JobStore(store_url) as fresh:
        assert [(r.job_id, r.status, r.version) for r in fresh.list()] == [("j-1", S.WAITING, 0)]


def test_an_extra_required_column_is_refused(
    capsys: pytest.CaptureFixture[str], store: JobStore, store_url: str
) -> None:
    """A jobs table with a column that must be given and that jobfsm does not know is refused by
    name: init does not say "ready", create does not say "not in the store", move does not end in
    an IntegrityError."""
    store.create("j-1", S.WAITING)
    execute(store_url, "ALTER TABLE jobs ADD COLUMN owner VARCHAR(20) NOT NULL DEFAULT 'x'")
    # A default makes the column harmless: the store is used as it is.
    with JobStore(store_url) as tolerant:
        tolerant.create("j-2")
    execute(store_url, "ALTER TABLE jobs ADD COLUMN team VARCHAR(20)", "UPDATE jobs SET team = 't'")
    if store.backend == "postgresql":
        execute(store_url, "ALTER TABLE jobs ALTER COLUMN team SET NOT NULL")
    else:
        # SQLite cannot add a NOT NULL column without a default: make the table again.
        execute(
            store_url,
            "PRAGMA foreign_keys=OFF",
            "ALTER TABLE jobs RENAME TO old_jobs",
            "CREATE TABLE jobs (job_id VARCHAR(255) PRIMARY KEY, status SMALLINT NOT NULL, "
            "version INTEGER NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT "
            "NULL, labels JSON, lifecycle VARCHAR(255) NOT NULL, owner VARCHAR(20) NOT NULL "
            "DEFAULT 'x', team VARCHAR(20) NOT NULL)",
            "INSERT INTO jobs SELECT * FROM old_jobs",
            "DROP TABLE old_jobs",
        )
    problem = (
        f"its jobs table is not one jobfsm schema version {SCHEMA_VERSION} makes: it has column(s) "
        "team that "
        "must be given (NOT NULL without a default), which jobfsm does not know"
    )
    for argv in (["init"], ["create", "j-3"], ["move", "j-1", "RUNNING"], ["list"]):
        code, _, err = run(capsys, "store", argv[0], store_url, *argv[1:])
        assert code == EXIT_USAGE, argv
        assert problem in err, argv
        assert "Traceback" not in err
        assert err.count("\n") == 1


def test_a_missing_column_is_refused(store: JobStore, store_url: str) -> None:
    """A history table without a column the store writes is refused naming the column."""
    execute(store_url, "ALTER TABLE history DROP COLUMN actor")
    with (
        JobStore(store_url) as other,
        pytest.raises(StoreUnavailable, match=r"its history table .* lacks the column\(s\) actor"),
    ):
        other.create_schema()


def test_a_refused_insert_is_not_read_as_a_missing_job(store: JobStore, store_url: str) -> None:
    """When the database refuses a new job for another reason than its id, create says so, rather
    than 'not in the store; create it first'."""
    if store.backend == "postgresql":
        execute(store_url, "ALTER TABLE jobs ADD CONSTRAINT no_x CHECK (job_id <> 'x')")
    else:
        execute(
            store_url,
            "CREATE TRIGGER no_x BEFORE INSERT ON jobs WHEN NEW.job_id = 'x' "
            "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: no_x'); END",
        )
    with pytest.raises(StoreUnavailable, match=r"the database refused the write: .*no_x") as info:
        store.create("x")
    assert "not in the store" not in str(info.value)


# (field, SQL on SQLite, SQL on PostgreSQL, whose typed columns cannot hold some of SQLite's)
CORRUPT = [
    ("status", "SET status = 99", "SET status = 99"),
    ("status", "SET status = 'x'", "SET status = -1"),
    ("labels", "SET labels = '[1,2]'", "SET labels = '[1,2]'"),
    ("labels", "SET labels = '{\"a\": 1}'", "SET labels = '{\"a\": 1}'"),
    ("labels", "SET labels = 'not json'", "SET labels = '\"text\"'"),
    ("updated_at", "SET updated_at = 'yesterday'", "SET updated_at = 'infinity'"),
    ("created_at", "SET created_at = '2026-13-01 00:00:00'", "SET created_at = '-infinity'"),
    # Valid where written, but in year 0 in UTC.
    (
        "created_at",
        "SET created_at = '0001-01-01 00:00:00+23:59'",
        "SET created_at = '0001-01-01 00:00:00 BC'",
    ),
]


@pytest.fixture(params=CORRUPT, ids=lambda c: f"{c[0]}-{c[1]}")
def corrupt(request: pytest.FixtureRequest, store: JobStore, store_url: str) -> tuple[str, str]:
    """Jobs a, bad and z, with one value of bad changed outside jobfsm; the field changed."""
    field, on_sqlite, on_postgres = request.param
    for job_id in ("a", "bad", "z"):
        store.create(job_id, S.KILLING)
    change = on_sqlite if store.backend == "sqlite" else on_postgres
    if field == "status":
        drop_store_rules(store_url)  # which refuse a status that is none
    execute(store_url, f"UPDATE jobs {change} WHERE job_id = 'bad'")
    return field, change


def test_a_corrupt_row_is_reported_by_its_id_and_the_others_are_read(
    store: JobStore, store_url: str, corrupt: tuple[str, str]
) -> None:
    """list and stale give every other job and one CorruptJob naming the row and its value; get
    and load of that job raise it, and so does a move when it needs the value; nothing crashes."""
    field, _ = corrupt
    records = store.list()
    assert [r.job_id for r in records] == ["a", "z"]
    (error,) = records.errors
    assert (error.job_id, error.field) == ("bad", field)
    assert str(error).startswith(f"job 'bad' in the store cannot be read: its {field} is ")
    assert str(error).endswith("; the row was changed outside jobfsm (repair or delete it)")
    stale = store.stale(S.KILLING, timedelta(0), now=datetime.now(timezone.utc) + SECOND)
    assert [r.job_id for r in stale] == ["a", "z"]
    # stale asks for the status and time in SQL: a job in the status whose time cannot be read
    # is reported too (it may be the stuck one), a job whose status is not one never.
    assert [e.job_id for e in stale.errors] == ([] if field == "status" else ["bad"])
    for call in (lambda: store.get("bad"), lambda: store.load("bad")):
        with pytest.raises(CorruptJob, match=f"its {field} is"):
            call()
    if field in ("status", "updated_at"):
        # A store that remembers the job's status from when it created it finds the status
        # changed when it writes; a changed time it writes over.
        movers = [JobStore(store_url, cache_size=0)] + ([store] if field == "status" else [])
        for mover in movers:
            with pytest.raises(CorruptJob, match=f"its {field} is"):
                mover.transition("bad", S.KILLED)
        movers[0].close()
    assert store.transition("a", S.KILLED).moved


def test_a_corrupt_row_in_the_cli(
    capsys: pytest.CaptureFixture[str], store_url: str, corrupt: tuple[str, str]
) -> None:
    """`store list` prints the others and one line on stderr naming the row, and exits 2; `show`
    of that job is one line and exit 2; of another job, 0."""
    field, _ = corrupt
    code, out, err = run(capsys, "store", "list", store_url, "--format", "json")
    assert code == EXIT_USAGE
    assert [r["job_id"] for r in json.loads(out)] == ["a", "z"]
    assert err.startswith(f"jobfsm: error: job 'bad' in the store cannot be read: its {field} is")
    assert err.count("\n") == 1
    code, out, err = run(capsys, "store", "show", store_url, "bad")
    assert (code, out) == (EXIT_USAGE, "")
    assert err.count("\n") == 1
    assert run(capsys, "store", "show", store_url, "a")[0] == EXIT_OK
    code, _, err = run(
        capsys, "store", "stale", store_url, "--status", "KILLING", "--older-than", "0s"
    )
    assert code in (EXIT_USAGE, EXIT_INVALID)
    assert "Traceback" not in err


def test_a_corrupt_history_row(store: JobStore, store_url: str) -> None:
    """A history row with an unknown status is named by its seq; the job's record still reads."""
    store.create("j-1", S.WAITING)
    store.transition("j-1", S.RUNNING)
    execute(store_url, "UPDATE history SET target = 42 WHERE job_id = 'j-1'")
    wanted = (
        r"its history\[1\]\.target is 42, not a status code of lifecycle 'modelarts-v1' \(0–22\)"
    )
    with pytest.raises(CorruptJob, match=wanted):
        store.history("j-1")
    assert store.get("j-1").status is S.RUNNING


def test_a_refused_move_is_one_line(
    capsys: pytest.CaptureFixture[str], store: JobStore, store_url: str
) -> None:
    """When the database refuses a move's history row, `store move` says so in one line with exit
    2, not an IntegrityError traceback; the job is left as it was."""
    store.create("j-1", S.WAITING)
    if store.backend == "postgresql":
        execute(store_url, "ALTER TABLE history ADD CONSTRAINT no_start CHECK (event <> 'start')")
    else:
        execute(
            store_url,
            "CREATE TRIGGER no_start BEFORE INSERT ON history WHEN NEW.event = 'start' "
            "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: no_start'); END",
        )
    code, out, err = run(capsys, "store", "move", store_url, "j-1", "RUNNING")
    assert (code, out) == (EXIT_USAGE, "")
    assert "the database refused the write: " in err
    assert "no_start" in err
    assert err.count("\n") == 1
    assert (store.get("j-1").status, store.history("j-1")) == (S.WAITING, ())


def test_corrupt_job_and_records_pickle_with_their_fields(store: JobStore, store_url: str) -> None:
    """A listing and its errors cross process boundaries (worker pools) unchanged."""
    for job_id in ("a", "bad"):
        store.create(job_id)
    drop_store_rules(store_url)  # which refuse a status that is none
    execute(store_url, "UPDATE jobs SET status = 99 WHERE job_id = 'bad'")
    records = store.list()
    copy = pickle.loads(pickle.dumps(records))
    assert (type(copy), copy, len(copy.errors)) == (JobRecords, records, 1)
    error = copy.errors[0]
    assert isinstance(error, CorruptJob)
    assert isinstance(error, ValueError)
    assert (type(error), error.job_id, error.field, error.value, str(error)) == (
        CorruptJob,
        "bad",
        "status",
        99,
        str(records.errors[0]),
    )


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 1, 1, 0, 0, 0, 120000, tzinfo=timezone.utc),
        datetime(2026, 1, 1, tzinfo=timezone.utc),
        datetime(2026, 1, 1, 5, 30, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(1, 1, 1, tzinfo=timezone.utc),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
    ],
)
def test_times_read_as_text_come_back_exactly(store: JobStore, at: datetime) -> None:
    """Times are read as the database writes them as text (PostgreSQL drops trailing zeros of the
    fraction and writes +00) and come back equal, to the microsecond, at the ends of the range."""
    store.create("j-1", created_at=at)
    record = store.get("j-1")
    assert record.created_at == record.updated_at == at
    assert store.list()[0].created_at == at


def test_stale_judges_a_time_of_another_shape_by_its_value(store: JobStore, store_url: str) -> None:
    """A time written in another form that still reads as a time (an ISO 'T', no fraction) is
    stale only when it is older than the cutoff, and is no error."""
    now = datetime.now(timezone.utc)
    for job_id in ("old", "new"):
        store.create(job_id, S.KILLING)
    if store.backend == "sqlite":
        execute(
            store_url,
            "UPDATE jobs SET updated_at = '2000-01-01T00:00:00' WHERE job_id = 'old'",
            f"UPDATE jobs SET updated_at = '{now:%Y-%m-%dT%H:%M:%S}' WHERE job_id = 'new'",
        )
    stale = store.stale(S.KILLING, timedelta(hours=1), now=now)
    assert [r.job_id for r in stale] == (["old"] if store.backend == "sqlite" else [])
    assert stale.errors == ()
