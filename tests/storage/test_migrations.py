"""The shipped migrations build exactly the schema the models describe."""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from gapwatch.storage import AlertRow, Base, SessionFactory, make_engine, migrate, transaction
from gapwatch.storage.db import MIGRATIONS_DIR

T0 = dt.datetime(2026, 7, 30, 13, 0, tzinfo=dt.UTC)


def test_migrations_are_shipped_inside_the_package() -> None:
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert any(MIGRATIONS_DIR.glob("versions/*.py"))


def test_autogenerate_finds_no_drift_between_models_and_migrations(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_migrate_twice_is_harmless_and_records_head(db_engine: Engine) -> None:
    migrate(db_engine)
    tables = set(inspect(db_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with db_engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0002"


def _alert(dedup_key: str, status: str = "open") -> AlertRow:
    return AlertRow(
        site_id="weiyuan-demo",
        kind="camera_down",
        dedup_key=dedup_key,
        status=status,
        severity=4,
        opened_at=T0,
    )


def test_only_one_unresolved_alert_per_dedup_key(db_factory: SessionFactory) -> None:
    with transaction(db_factory) as session:
        session.add(_alert("camera_down:cam-001", status="resolved"))
        session.add(_alert("camera_down:cam-001", status="resolved"))
        session.add(_alert("camera_down:cam-001"))
    with pytest.raises(IntegrityError), transaction(db_factory) as session:
        session.add(_alert("camera_down:cam-001", status="acknowledged"))


def test_check_constraints_refuse_unknown_values(db_factory: SessionFactory) -> None:
    with pytest.raises(IntegrityError), transaction(db_factory) as session:
        session.add(_alert("x", status="closed"))
    alert = _alert("y")
    alert.severity = 9
    with pytest.raises(IntegrityError), transaction(db_factory) as session:
        session.add(alert)


def test_rows_added_in_any_order_flush_parents_first(db_factory: SessionFactory) -> None:
    from gapwatch.storage import (
        AlertLogRow,
        DispatchEndpointRow,
        OutboxRow,
        TaskLogRow,
        TaskRow,
    )

    with transaction(db_factory) as session:
        # Children first, ids set by hand, no relationship attributes used.
        session.add_all(
            [
                OutboxRow(id="msg_1", endpoint_id="cad", event_type="x", body="{}", task_id="t1"),
                TaskLogRow(task_id="t1", actor="engine", action="created"),
                AlertLogRow(alert_id="a1", actor="engine", action="opened"),
                TaskRow(id="t1", alert_id="a1", kind="road_patrol"),
                DispatchEndpointRow(id="cad", url="http://127.0.0.1:9/hook"),
                AlertRow(id="a1", site_id="s", kind="camera_down", dedup_key="k", severity=3),
            ]
        )
    with transaction(db_factory, write=False) as session:
        message = session.get(OutboxRow, "msg_1")
        assert message is not None and message.task is not None
        assert message.task.alert.id == "a1"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all (not the shared migrated one)."""
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


def test_services_starting_together_both_migrate_safely(fresh_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def upgrade() -> None:
        engine = make_engine(fresh_url)
        try:
            start.wait()
            migrate(engine)
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=upgrade) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine = make_engine(fresh_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0002"
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()
