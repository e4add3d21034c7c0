"""The shipped migrations build exactly the schema the models describe."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, Engine, column, inspect, table, text
from sqlalchemy.exc import IntegrityError

from gapwatch.storage import (
    AlertRow,
    Base,
    SessionFactory,
    UTCDateTime,
    make_engine,
    migrate,
    session_factory,
    transaction,
)
from gapwatch.storage.db import MIGRATIONS_DIR

T0 = dt.datetime(2026, 7, 30, 13, 0, tzinfo=dt.UTC)
HEAD = "0005"


def _head() -> str:
    from alembic.script import ScriptDirectory

    from gapwatch.storage.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


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
        assert MigrationContext.configure(conn).get_current_revision() == _head()


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
        assert MigrationContext.configure(conn).get_current_revision() == _head()
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_upgrade_gives_stored_events_their_camera_and_health_history_reads_them(
    fresh_url: str,
) -> None:
    from gapwatch.api.health_history import load_health_history

    engine = make_engine(fresh_url)
    try:
        migrate(engine, "0001")
        old = [
            (T0, "camera.state", {"camera": "cam-1", "status": "offline", "faults": ["black"]}),
            (T0 + dt.timedelta(minutes=5), "alert.opened", {"id": "al_1", "cameras": ["cam-1"]}),
            (T0 + dt.timedelta(minutes=9), "camera.state", {"camera": "cam-2", "status": "ok"}),
        ]
        # The events table as revision 0001 made it: no camera column yet.
        events_0001 = table(
            "events", column("at", UTCDateTime()), column("type"), column("data", JSON())
        )
        with engine.begin() as conn:
            conn.execute(
                events_0001.insert(), [{"at": at, "type": k, "data": d} for at, k, d in old]
            )
        migrate(engine)
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == HEAD
            rows = conn.execute(text("SELECT type, camera FROM events ORDER BY seq")).all()
        assert [tuple(r) for r in rows] == [
            ("camera.state", "cam-1"),
            ("alert.opened", None),
            ("camera.state", "cam-2"),
        ]
        indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("events")}
        assert indexes["ix_events_type_camera_at"] == ["type", "camera", "at"]
        factory = session_factory(engine)
        with transaction(factory, write=False) as session:
            later = T0 + dt.timedelta(hours=1)
            history = load_health_history(
                session, cameras=["cam-1", "cam-2"], since=later, until=later
            )
        then = history.states_at(later)
        assert {c: (s.status, s.faults, s.since) for c, s in then.items()} == {
            "cam-1": ("offline", ("black",), T0),
            "cam-2": ("ok", (), T0 + dt.timedelta(minutes=9)),
        }
    finally:
        engine.dispose()
