"""Engines, sessions and the transaction boundary; schema upgrades through Alembic.

The migrations live in `gapwatch/storage/migrations` and run with `migrate(engine)`. To add a
revision after changing the models, against a database at the current head:

    from alembic import command
    from gapwatch.storage.db import alembic_config, make_engine
    with make_engine(URL).begin() as conn:
        command.revision(alembic_config(conn), message="...", autogenerate=True, rev_id="0002")
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["SessionFactory", "make_engine", "migrate", "session_factory", "transaction"]

log = logging.getLogger(__name__)

SessionFactory = sessionmaker[Session]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_BEGIN_OPTION = "gapwatch_sqlite_begin"
SQLITE_BUSY_TIMEOUT_MS = 10_000
_MIGRATE_LOCK = 0x6761_7077_6D69_67  # "gapwmig": the advisory lock key for schema upgrades


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`: SQLite tuned for one writer (WAL), or PostgreSQL through psycopg 3."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # The bare scheme would pick psycopg2, which is not installed; psycopg 3 is.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, echo=echo, pool_pre_ping=True)


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    parsed = make_url(url)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            _enter_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A write transaction takes the write lock up front (BEGIN IMMEDIATE): a deferred one that
        # read first could not upgrade after another writer committed, and would fail at once
        # instead of waiting out the busy timeout.
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _enter_wal(cursor: Any) -> None:
    """Switch the file to WAL, waiting out other connections' locks.

    Changing the journal mode needs an exclusive lock and SQLite answers "database is locked" at
    once instead of calling the busy handler, so services opening a fresh file together (one
    already migrating it) retry here for up to the busy timeout. Once in WAL mode the file stays
    there and this is a no-op.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def session_factory(engine: Engine) -> SessionFactory:
    """A session factory bound to `engine`; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: SessionFactory, *, write: bool = True) -> Iterator[Session]:
    """One job or request as one transaction: commit on success, roll back on any exception.

    Service functions take the session and never commit; this boundary does. `write=False` for
    read-only work lets SQLite readers run beside a writer.
    """
    with factory() as session:
        if write and session.get_bind().dialect.name == "sqlite":
            session.connection(execution_options={_BEGIN_OPTION: "IMMEDIATE"})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database schema to `revision` (default: the newest) with Alembic."""
    from alembic import command

    # Two services starting at once must not both upgrade: the second waits for the first
    # (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock held until this transaction ends),
    # then finds the schema current.
    with engine.connect() as connection:
        connection.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATE_LOCK}
                )
            command.upgrade(alembic_config(connection), revision)


def alembic_config(connection: Connection | None = None) -> Any:
    """The Alembic configuration of the migrations shipped inside the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config
