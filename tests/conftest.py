"""Shared fixtures: a real PostgreSQL server for the session, a store URL per backend, and a store
with its tables."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pgserver import INSTALL_HINT, PostgresServer, PostgresUnavailable, running

if TYPE_CHECKING:
    from jobfsm import JobStore, Lifecycle

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Fail in CI (the component must be there), skip elsewhere with what to install."""
    if IN_CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server started in a temporary directory for the whole session."""
    try:
        import psycopg  # noqa: F401 - only to report a missing driver clearly
    except ImportError:
        unavailable("psycopg is not installed; run: pip install 'jobfsm[sql]'")
    try:
        with running() as server:
            yield server
    except PostgresUnavailable as exc:
        unavailable(f"cannot start PostgreSQL: {exc}; {INSTALL_HINT}")


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)],
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each backend: a SQLite file, and a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.fresh_url()


@pytest.fixture
def store(store_url: str) -> Iterator[JobStore]:
    """A store with its tables, on each backend, closed afterwards."""
    from jobfsm import JobStore

    s = JobStore(store_url)
    s.create_schema()
    yield s
    s.close()


def drop_store_rules(url: str, lifecycle: Lifecycle | None = None) -> None:
    """Remove the rules of ``lifecycle`` (modelarts-v1 by default) from a store's jobs table, as
    in a database whose owner dropped them: a row can then be changed outside jobfsm in ways the
    rules refuse (a store that writes next installs them again)."""
    import sqlalchemy as sa

    from jobfsm import DEFAULT_LIFECYCLE, JobStore
    from jobfsm.store.enforce import store_rules

    store = JobStore(url)
    engine = sa.create_engine(store._connect_url)
    try:
        with engine.begin() as conn:
            for statement in store_rules(lifecycle or DEFAULT_LIFECYCLE, store.backend).drop:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
        store.close()
