"""Engines, the transaction boundary and aware UTC datetimes on both back ends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from gapwatch.storage import (
    CameraStateRow,
    ProbeResultRow,
    SessionFactory,
    make_engine,
    transaction,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_sqlite_engine_is_tuned_for_one_writer(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'g.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    engine.dispose()


def test_datetimes_come_back_aware_utc(db_factory: SessionFactory) -> None:
    evening = dt.datetime(2026, 7, 30, 21, 0, 5, 250_000, tzinfo=SHANGHAI)
    with transaction(db_factory) as session:
        session.add(ProbeResultRow(camera_id="cam-001", at=evening, status="offline"))
    with transaction(db_factory, write=False) as session:
        row = session.scalars(select(ProbeResultRow)).one()
        session.expire_all()
        row = session.scalars(select(ProbeResultRow)).one()
        assert row.at.tzinfo is not None
        assert row.at.utcoffset() == dt.timedelta(0)
        assert row.at == evening
        assert row.at.hour == 13
        # Ordering by time compares instants, not local wall-clock text.
        earlier_local_later_instant = dt.datetime(2026, 7, 30, 14, 0, tzinfo=dt.UTC)
        session.add(
            ProbeResultRow(camera_id="cam-001", at=earlier_local_later_instant, status="ok")
        )
        session.flush()
        ordered = session.scalars(select(ProbeResultRow.status).order_by(ProbeResultRow.at)).all()
        assert ordered == ["offline", "ok"]


def test_naive_datetimes_are_refused(db_factory: SessionFactory) -> None:
    with pytest.raises(StatementError, match="naive datetime"), transaction(db_factory) as session:
        session.add(ProbeResultRow(camera_id="c", at=dt.datetime(2026, 1, 1), status="ok"))


def test_transaction_commits_or_rolls_back_as_one(db_factory: SessionFactory) -> None:
    with pytest.raises(RuntimeError), transaction(db_factory) as session:
        session.add(CameraStateRow(camera_id="cam-001", status="offline"))
        session.flush()
        raise RuntimeError("job failed half way")
    with transaction(db_factory) as session:
        assert session.get(CameraStateRow, "cam-001") is None
        session.add(CameraStateRow(camera_id="cam-001", status="offline"))
    with transaction(db_factory, write=False) as session:
        state = session.get(CameraStateRow, "cam-001")
        assert state is not None
        assert state.status == "offline"
        assert state.faults == []
        assert state.since.tzinfo is not None


def test_sqlite_write_transactions_take_the_lock_up_front(tmp_path: Path) -> None:
    from gapwatch.storage import migrate, session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    migrate(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        session.execute(text("SELECT 1"))
        # Another connection cannot start writing while this write transaction is open.
        raw = engine.raw_connection()
        try:
            raw.execute("PRAGMA busy_timeout=0")
            with pytest.raises(Exception, match="locked"):
                raw.execute("BEGIN IMMEDIATE")
        finally:
            raw.close()
    engine.dispose()
