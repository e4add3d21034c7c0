"""Events keep the camera their data names in an indexed column, filled on insert by the model
itself, so every writer (ORM or Core) agrees with the data. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from gapwatch.storage import EventRow, SessionFactory, transaction

T0 = dt.datetime(2026, 7, 30, 13, 0, tzinfo=dt.UTC)


def test_an_event_keeps_the_camera_its_data_names(db_factory: SessionFactory) -> None:
    with transaction(db_factory) as session:
        session.add_all(
            [
                EventRow(at=T0, type="camera.state", data={"camera": "cam-7", "status": "ok"}),
                EventRow(at=T0, type="alert.opened", data={"cameras": ["cam-7"]}),
                EventRow(at=T0, type="odd", data={"camera": 7}),  # not a camera id: left out
                EventRow(at=T0, type="empty"),
            ]
        )
        session.execute(
            insert(EventRow),
            [
                {"at": T0, "type": "camera.state", "data": {"camera": "cam-8"}},
                {"at": T0, "type": "camera.state", "data": {"camera": "cam-9"}},
            ],
        )
    with transaction(db_factory, write=False) as session:
        rows = session.execute(select(EventRow.type, EventRow.camera).order_by(EventRow.seq))
        assert [tuple(r) for r in rows] == [
            ("camera.state", "cam-7"),
            ("alert.opened", None),
            ("odd", None),
            ("empty", None),
            ("camera.state", "cam-8"),
            ("camera.state", "cam-9"),
        ]
