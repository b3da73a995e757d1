"""The Alembic environment of the store's migrations, configured by
:func:`jobfsm.store.migrate.config`: on the connection it is given (inside that connection's
transaction, which the caller commits), on its URL, or, offline (``--sql``), as SQL text.

Alembic's version table is ``jobfsm_alembic_version``; ALTERs are written in batch mode, which
SQLite needs for any but ADD COLUMN.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from jobfsm.store.schema import VERSION_TABLE, metadata

config = context.config
on_apply = config.attributes.get("on_version_apply")
options: dict[str, Any] = {
    "target_metadata": metadata,
    "version_table": VERSION_TABLE,
    "render_as_batch": True,
    "on_version_apply": () if on_apply is None else (on_apply,),
}


def run(connection: Connection) -> None:
    context.configure(connection=connection, **options)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **options)
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    run(config.attributes["connection"])
else:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise SystemExit("no database given: use jobfsm.store.migrate.config(url)")
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            run(connection)
            connection.commit()
    finally:
        engine.dispose()
