"""Shared fixtures: a migrated, empty database on SQLite (temp file) and on PostgreSQL.

`db_url` is parametrised over both back ends. PostgreSQL comes from GAPWATCH_TEST_PG_URL (the
test is skipped only when it is unset); each test run gets its own schema there, migrated once
and emptied before every test, so runs never collide. SQLite copies a file migrated once per
run. Tests that need the database take `db_url`, `db_engine`, `db_factory` or `db_session`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gapwatch.storage import Base, SessionFactory, make_engine, migrate, session_factory

PG_ENV = "GAPWATCH_TEST_PG_URL"

# How the selected tests are dealt to the xdist workers (tests/ordering.py).
pytest_plugins = ["tests.ordering"]

# `--hypothesis-profile=deep` runs the long property tests at their full example counts (see
# the README's testing section); the suite's default runs them bounded.
settings.register_profile("deep", settings.get_profile("default"), deadline=None)
# No deadline for any property test: a deadline is a wall-clock assertion, and on a loaded
# 2-core machine a 16 ms example took 295 ms once (hypothesis's 200 ms default failed the run).
settings.register_profile("suite", settings.get_profile("default"), deadline=None)
settings.load_profile("suite")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks that follow from others (this runs before `-m` selects; tests/ordering.py orders
    what it selected):

    - the PostgreSQL run of a slow or browser test is `long`: it repeats the SQLite run on the
      other store, and the quick PostgreSQL tests, which exercise the store itself, stay in
      `make test`;
    - a `long` test is `slow` too, so `make unit` leaves it out as `make test` does.
    """
    for item in items:
        repeat = item.get_closest_marker("slow") or item.get_closest_marker("browser")
        if repeat and item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.long)
        if item.get_closest_marker("long") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _dispatch_to_loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' dispatch receivers listen on loopback, which is refused unless allowed; the
    suite allows it explicitly (services started by a test inherit it)."""
    monkeypatch.setenv("GAPWATCH_DISPATCH_ALLOW", "127.0.0.1,localhost,::1")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db-template") / "gapwatch.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection closing folds the WAL back into the file
    return path


@pytest.fixture(scope="session")
def _pg_schema_url() -> Iterator[str | None]:
    """A throw-away schema for this run, migrated once; dropped at the end."""
    base = os.environ.get(PG_ENV)
    if not base:
        yield None
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        rendered = url.render_as_string(hide_password=False)
        engine = make_engine(rendered)
        migrate(engine)
        engine.dispose()
        yield rendered
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def _empty_pg(url: str) -> None:
    engine = make_engine(url)
    try:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _sqlite_template: Path,
    _pg_schema_url: str | None,
) -> str:
    """The URL of an empty database at the newest schema: SQLite file or PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "gapwatch.db"
        shutil.copyfile(_sqlite_template, path)
        return f"sqlite:///{path}"
    if _pg_schema_url is None:
        pytest.skip(f"{PG_ENV} is not set")
    _empty_pg(_pg_schema_url)
    return _pg_schema_url


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    """An engine on the migrated, empty test database."""
    engine = make_engine(db_url)
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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all (not the shared migrated one), for migration tests:
    a SQLite file, or a PostgreSQL schema of its own dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    base = os.environ.get("GAPWATCH_TEST_PG_URL")
    if not base:
        pytest.skip("GAPWATCH_TEST_PG_URL is not set")
    schema = f"fresh_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
