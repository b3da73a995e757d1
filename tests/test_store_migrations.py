"""The store's migrations (Alembic revisions in jobfsm/store/migrations): `jobfsm store upgrade`
and JobStore.upgrade() take a database of each released layout, with rows in its tables, to the
current one; a second upgrade does nothing, a dry run changes nothing, and a database at a
revision this jobfsm does not have is refused. Both backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from test_store_lifecycles import MINUTE, T0, TINY, build_old_database, columns, query
from test_store_schema import execute, run

from jobfsm import (
    DEFAULT_LIFECYCLE,
    IllegalTransition,
    JobStatus,
    JobStore,
    Lifecycle,
    StoreUnavailable,
)
from jobfsm.cli import EXIT_OK, EXIT_USAGE
from jobfsm.store import LEGACY_LIFECYCLE, SCHEMA_VERSION, migrate
from jobfsm.store.enforce import _installed, store_rules
from jobfsm.store.schema import HEAD_REVISION, LAYOUT_REVISIONS, VERSION_TABLE

S = JobStatus

#: The revisions an upgrade applies to a database of each schema version, oldest first.
APPLIED = {
    1: ["0002_history_inferred", "0003_lifecycle_and_detail"],
    2: ["0003_lifecycle_and_detail"],
}


def tables(url: str) -> set[str]:
    engine = sa.create_engine(JobStore(url)._connect_url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def everything(url: str) -> dict[str, Any]:
    """Every jobfsm table of the database with its columns and rows, as stored."""
    found = tables(url)
    return {
        name: (list(columns(url, name)), query(url, f"SELECT * FROM {name}"))
        for name in sorted(found)
        if name in ("jobs", "history", "jobfsm_schema", VERSION_TABLE)
    } | {"tables": sorted(found)}


def rules_installed(url: str, lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> bool:
    store = JobStore(url)
    try:
        with store.engine.connect() as conn:
            return _installed(conn, store_rules(lifecycle, store.backend))
    finally:
        store.close()


def check_migrated(url: str, version: int, lifecycle: Lifecycle = DEFAULT_LIFECYCLE) -> None:
    """Every row of build_old_database(url, version), in the current layout, the rules of the
    upgrading store's lifecycle installed, and the store working on it: moves judged, by the
    store and by the database's rules."""
    assert query(url, "SELECT version FROM jobfsm_schema") == [(SCHEMA_VERSION,)]
    assert query(url, f"SELECT version_num FROM {VERSION_TABLE}") == [(HEAD_REVISION,)]
    assert list(columns(url, "jobs"))[-1] == "lifecycle"
    assert list(columns(url, "history"))[-2:] == ["inferred", "detail"]
    assert query(url, "SELECT job_id, status, version, lifecycle FROM jobs ORDER BY job_id") == [
        ("j-1", 8, 1, LEGACY_LIFECYCLE),
        ("j-2", 10, 2, LEGACY_LIFECYCLE),
    ]
    rows = query(
        url,
        "SELECT job_id, seq, source, target, reason, actor, inferred, detail FROM history "
        "ORDER BY job_id, seq",
    )
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7]) for r in rows] == [
        ("j-1", 1, 7, 8, "scheduled", "poller", False, None),
        ("j-2", 1, 7, 8, None, None, version >= 2, None),
        ("j-2", 2, 8, 10, None, None, False, None),
    ]
    assert rules_installed(url, lifecycle)
    with JobStore(url) as store:
        assert store.get("j-1").labels == {"team": "vision"}
        assert [m.at for m in store.history("j-1")] == [T0 + MINUTE]
        with pytest.raises(IllegalTransition):
            store.transition("j-2", S.RUNNING)
        moved = store.transition("j-1", S.COMPLETED, at=T0 + 3 * MINUTE, detail="done")
        assert (moved.moved, moved.version) == (True, 2)
        assert [m.detail for m in store.history("j-1")] == [None, "done"]
        assert store.upgrade() == ()
    assert rules_installed(url)
    # SQL written past the store cannot make an illegal move either: COMPLETED → INIT.
    with pytest.raises(sa.exc.DBAPIError, match="COMPLETED"):
        execute(url, "UPDATE jobs SET status = 1 WHERE job_id = 'j-2'")


@pytest.mark.parametrize("version", [1, 2], ids=["version-1", "version-2"])
def test_store_upgrade_migrates_an_older_database_keeping_every_row(
    capsys: pytest.CaptureFixture[str], store_url: str, version: int
) -> None:
    """The dry run lists the revisions and writes nothing; the upgrade prints each one applied
    and leaves every row in the current layout; a second one applies nothing."""
    build_old_database(store_url, version)
    before = everything(store_url)
    code, out, err = run(capsys, "store", "upgrade", store_url, "--dry-run")
    assert (code, err) == (EXIT_OK, "")
    assert [line.split(":")[0] for line in out.splitlines()] == [
        f"would apply {revision}" for revision in APPLIED[version]
    ]
    assert everything(store_url) == before
    code, out, err = run(capsys, "store", "upgrade", store_url)
    assert (code, err) == (EXIT_OK, "")
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        f"applied {revision}" for revision in APPLIED[version]
    ]
    assert lines[-1].startswith("jobfsm store at ")
    assert lines[-1].endswith(f" is at revision {HEAD_REVISION} (schema version {SCHEMA_VERSION})")
    check_migrated(store_url, version)
    after = everything(store_url)
    for argv in (["--dry-run"], []):
        code, out, _ = run(capsys, "store", "upgrade", store_url, *argv)
        assert code == EXIT_OK
        assert out.endswith(": nothing to apply\n")
        assert out.count("\n") == 1
    assert everything(store_url) == after


@pytest.mark.parametrize("version", [1, 2], ids=["version-1", "version-2"])
def test_jobstore_upgrade_migrates_an_older_database(store_url: str, version: int) -> None:
    """upgrade(dry_run=True) gives what upgrade() then applies, by a store of any lifecycle."""
    build_old_database(store_url, version)
    before = everything(store_url)
    with JobStore(store_url, lifecycle=TINY) as store:
        planned = store.upgrade(dry_run=True)
        assert [m.revision for m in planned] == APPLIED[version]
        assert everything(store_url) == before
        assert store.upgrade() == planned
        assert all(m.description.startswith("Schema version ") for m in planned)
        assert str(planned[-1]).startswith("0003_lifecycle_and_detail: Schema version 3: ")
        assert store.upgrade() == store.upgrade(dry_run=True) == ()
        assert store.list() == []
    check_migrated(store_url, version, TINY)


def test_a_version_3_database_from_before_revisions_is_stamped(store_url: str) -> None:
    """Tables of the current layout with no revision recorded: nothing to apply; the upgrade
    records the newest revision, as any write does; the rows are as they were."""
    with JobStore(store_url) as store:
        store.create_schema()
        store.create("j-1", S.WAITING)
    execute(store_url, f"DROP TABLE {VERSION_TABLE}")
    rows = query(store_url, "SELECT * FROM jobs")
    with JobStore(store_url) as store:
        assert store.get("j-1").status is S.WAITING  # read as it is
        assert VERSION_TABLE not in tables(store_url)
        assert store.upgrade(dry_run=True) == ()
        assert VERSION_TABLE not in tables(store_url)
        assert store.upgrade() == ()
    assert query(store_url, f"SELECT version_num FROM {VERSION_TABLE}") == [(HEAD_REVISION,)]
    assert query(store_url, "SELECT * FROM jobs") == rows
    execute(store_url, f"DROP TABLE {VERSION_TABLE}")
    with JobStore(store_url) as store:
        store.transition("j-1", S.RUNNING)
    assert query(store_url, f"SELECT version_num FROM {VERSION_TABLE}") == [(HEAD_REVISION,)]


def test_a_new_database_is_stamped_at_the_newest_revision(store: JobStore, store_url: str) -> None:
    assert query(store_url, f"SELECT version_num FROM {VERSION_TABLE}") == [(HEAD_REVISION,)]
    store.create_schema()
    assert query(store_url, f"SELECT version_num FROM {VERSION_TABLE}") == [(HEAD_REVISION,)]


def test_a_revision_this_jobfsm_does_not_have_is_refused(
    capsys: pytest.CaptureFixture[str], store: JobStore, store_url: str
) -> None:
    """As a newer jobfsm would leave it: upgrade (and its dry run), init, reads and writes are
    refused naming both revisions and what to do; nothing is written."""
    store.create("j-1", S.WAITING)
    execute(store_url, f"UPDATE {VERSION_TABLE} SET version_num = '0099_future'")
    before = everything(store_url)
    message = (
        "its tables are at migration revision 0099_future, from a newer jobfsm; this one "
        f"(jobfsm 0.1.0) knows revisions up to {HEAD_REVISION} (schema version "
        f"{SCHEMA_VERSION}); upgrade jobfsm (pip install -U 'jobfsm[sql]') to use it"
    )
    for argv in (["upgrade"], ["upgrade", "--dry-run"], ["init"], ["list"], ["move", "j-1", "8"]):
        code, out, err = run(capsys, "store", argv[0], store_url, *argv[1:])
        assert (code, out) == (EXIT_USAGE, ""), argv
        assert message in err, argv
        assert err.count("\n") == 1, argv
    with JobStore(store_url) as other, pytest.raises(StoreUnavailable, match="0099_future"):
        other.upgrade()
    assert everything(store_url) == before


def test_a_revision_at_odds_with_the_tables_is_refused(store: JobStore, store_url: str) -> None:
    """A database recording the newest revision whose tables are of version 1 was changed
    outside jobfsm: it is not migrated on a guess."""
    execute(
        store_url,
        "ALTER TABLE history DROP COLUMN inferred",
        "ALTER TABLE history DROP COLUMN detail",
        "DROP TABLE jobfsm_schema",
    )
    with (
        JobStore(store_url) as other,
        pytest.raises(
            StoreUnavailable,
            match=rf"records revision {HEAD_REVISION}, but its tables lack history.inferred, "
            r"history.detail \(schema version 1\)",
        ),
    ):
        other.upgrade()


def test_the_head_revision_is_the_last_of_the_chain() -> None:
    """HEAD_REVISION (which spares a store at it Alembic's import) is the scripts' head, and each
    schema version's layout a revision of the chain."""
    assert migrate.head() == HEAD_REVISION
    assert set(LAYOUT_REVISIONS.values()) <= migrate.known_revisions()
    assert LAYOUT_REVISIONS[SCHEMA_VERSION] == HEAD_REVISION


@pytest.fixture
def second_url(store_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Another empty database of the same backend."""
    if store_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'other.db'}"
    else:
        yield request.getfixturevalue("postgres_server").fresh_url()


def test_the_chain_alone_makes_the_layout_create_schema_makes(
    store: JobStore, store_url: str, second_url: str
) -> None:
    """Alembic's own `upgrade head` on an empty database (from 0001_v1) makes the tables of
    create_schema, column for column, and the store uses them."""
    command.upgrade(
        migrate.config(JobStore(second_url)._connect_url.render_as_string(False)), "head"
    )

    def layout(url: str) -> dict[str, list[tuple[Any, ...]]]:
        return {
            table: [
                (c["name"], str(c["type"]), c["nullable"], c.get("default") is not None)
                for c in columns(url, table).values()
            ]
            for table in ("jobs", "history", "jobfsm_schema")
        }

    made = layout(store_url)
    if store.backend == "sqlite":
        # SQLite keeps the default that filled the stored rows of jobs.lifecycle (see 0003).
        made["jobs"][-1] = (*made["jobs"][-1][:3], True)
    assert layout(second_url) == made
    assert query(second_url, "SELECT version FROM jobfsm_schema") == [(SCHEMA_VERSION,)]
    assert query(second_url, f"SELECT version_num FROM {VERSION_TABLE}") == [(HEAD_REVISION,)]
    with JobStore(second_url) as chained:
        chained.create("j-1", S.WAITING)
        assert chained.transition("j-1", S.RUNNING).moved
    assert rules_installed(second_url)
