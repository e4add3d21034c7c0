"""Alembic environment: runs against the connection `gapwatch.storage.db.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from gapwatch.storage.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "gapwatch migrations run through gapwatch.storage.migrate(engine), "
            "which passes the database connection"
        )
    _run(connection)


_main()
