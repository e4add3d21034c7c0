"""Retention: probe results and events past their windows are deleted in batches, and health
history still knows every camera's state (its last change before the window is kept)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from gapwatch.api.health_history import load_health_history
from gapwatch.runtime.pipeline import build_service
from gapwatch.runtime.retention import Retention, prune
from gapwatch.settings import Settings
from gapwatch.storage import (
    CAMERA_STATE_EVENT,
    EventRow,
    ProbeResultRow,
    SessionFactory,
    transaction,
)
from tests.api.site import write_site

NOW = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _state(camera: str, status: str, at: dt.datetime) -> EventRow:
    data = {"camera": camera, "status": status, "flapping": False, "faults": []}
    return EventRow(at=at, type=CAMERA_STATE_EVENT, data=data)


def _fill(factory: SessionFactory) -> None:
    with transaction(factory) as session:
        for k in range(20):  # one probe a day for 20 days, two cameras
            for camera in ("cam-1", "cam-2"):
                session.add(ProbeResultRow(camera_id=camera, at=NOW - k * DAY, status="ok"))
        # cam-1 went offline 300 days ago and has not changed since; cam-2 changed three times,
        # the last one within the window.
        session.add(_state("cam-1", "offline", NOW - 300 * DAY))
        session.add(_state("cam-2", "offline", NOW - 200 * DAY))
        session.add(_state("cam-2", "ok", NOW - 100 * DAY))
        session.add(_state("cam-2", "degraded", NOW - 2 * DAY))
        session.add(EventRow(at=NOW - 50 * DAY, type="alert.opened", data={"alert": 1}))
        session.add(EventRow(at=NOW - DAY, type="alert.opened", data={"alert": 2}))


def test_old_rows_go_in_batches_and_each_cameras_last_known_state_stays(
    db_factory: SessionFactory,
) -> None:
    _fill(db_factory)
    keep = Retention(probes=7 * DAY + dt.timedelta(hours=1), events=10 * DAY)
    pruned = prune(db_factory, keep, NOW, batch=4)  # 24 old probes: six batches
    assert pruned.probes == 2 * 12  # days 8 to 19 of both cameras
    # Deleted: cam-2's change 200 days ago (a later one, 100 days ago, is before the window
    # too and is kept) and the old alert event.
    assert pruned.events == 2
    with transaction(db_factory, write=False) as session:
        oldest = session.scalar(select(func.min(ProbeResultRow.at)))
        assert oldest is not None and NOW - oldest == 7 * DAY
        left = [(e.type, e.data.get("camera"), e.at) for e in session.scalars(select(EventRow))]
        assert sorted(left, key=lambda e: e[2]) == [
            (CAMERA_STATE_EVENT, "cam-1", NOW - 300 * DAY),
            (CAMERA_STATE_EVENT, "cam-2", NOW - 100 * DAY),
            (CAMERA_STATE_EVENT, "cam-2", NOW - 2 * DAY),
            ("alert.opened", None, NOW - DAY),
        ]
        # A shift five days ago: cam-1 still offline, cam-2 ok, as before the deletion.
        then = load_health_history(
            session, cameras={"cam-1", "cam-2"}, since=NOW - 5 * DAY, until=NOW - 5 * DAY
        ).states_at(NOW - 5 * DAY)
    assert {c: s.status for c, s in then.items()} == {"cam-1": "offline", "cam-2": "ok"}
    # Nothing more to do the second time.
    again = prune(db_factory, keep, NOW, batch=4)
    assert (again.probes, again.events) == (0, 0)


def test_the_service_prunes_with_the_settings_windows(tmp_path: Path) -> None:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'gw.db'}",
        site=write_site(tmp_path),
        scheduler=False,
        keep_probes_days=3,
        keep_events_days=30,
    )
    service = build_service(settings)
    try:
        _fill(service.sessions)
        pruned = service.prune_history(NOW + dt.timedelta(minutes=1))
    finally:
        service.stop()
    assert pruned.probes == 2 * 17  # days 3 to 19 are older than 3 days and a minute
    assert pruned.events == 2
