"""Shared fixtures: a migrated database on SQLite (temp file) and on PostgreSQL.

`db_url` is parametrised over both back ends; PostgreSQL comes from GAPWATCH_TEST_PG_URL and each
test gets its own fresh schema there, so runs never collide. Tests that need the database take
`db_engine`, `db_factory` or `db_session`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gapwatch.storage import SessionFactory, make_engine, migrate, session_factory

PG_ENV = "GAPWATCH_TEST_PG_URL"


def _pg_schema_url(base_url: str) -> Iterator[str]:
    """Create a throw-away schema, yield a URL whose connections use it, then drop it."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL: a temp SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gapwatch.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")
    yield from _pg_schema_url(base)


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the newest schema."""
    engine = make_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db_factory(db_engine: Engine) -> SessionFactory:
    """A session factory on the migrated test database."""
    return session_factory(db_engine)


@pytest.fixture
def db_session(db_factory: SessionFactory) -> Iterator[Session]:
    """A session on the migrated test database; the test decides when to commit."""
    with db_factory() as session:
        yield session
