"""Starting the alert engine: camera rows, state loaded back from the database after a restart,
and one coverage_gap alert per standing blind spot of a critical zone.

Standing gaps raise no patrol tasks: they are there by design until a camera is added, so they
are a planning matter for the audit and for scheduled video-patrol rounds, not an incident; for
the same reason they do not escalate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gapwatch.alerts import records
from gapwatch.alerts.lifecycle import Silence
from gapwatch.alerts.quarantine import Quarantine
from gapwatch.alerts.severity import assess
from gapwatch.alerts.state import NOT_CAMERA_KINDS, SYSTEM, OpenAlertState
from gapwatch.health import camera_is_down
from gapwatch.patrol import ACTIVE_STATUSES
from gapwatch.storage import AlertRow, CameraStateRow, SilenceRow, TaskRow, new_id

if TYPE_CHECKING:
    from gapwatch.alerts.engine import AlertEngine

__all__ = ["ensure_rows", "load", "standing_gaps"]


def ensure_rows(engine: AlertEngine, session: Session, at: dt.datetime) -> None:
    """A camera_states row for every camera of the site."""
    known = set(session.scalars(select(CameraStateRow.camera_id)))
    missing = [c for c in engine.model.camera_ids if c not in known]
    if missing:
        session.execute(
            insert(CameraStateRow),
            [{"camera_id": c, "status": "ok", "since": at, "faults": []} for c in missing],
        )
    session.flush()


def load(engine: AlertEngine, session: Session) -> None:
    """Rebuild the engine's memory (health, live coverage, open alerts, tasks) from the store.

    Everything is read into new objects first and swapped in at the end, so a load that fails
    part-way (the database went away) leaves the engine as it was, never half-loaded; a record
    that cannot be read is quarantined, never fatal.
    """
    tracker = engine.new_tracker()
    down: set[str] = set()
    for row in session.scalars(select(CameraStateRow)):
        if row.camera_id not in engine.cameras:
            continue
        # Every camera, with its stored debounce streak: a resync or restart between two bad
        # probes must decide as if nothing had happened.
        tracker.restore(
            row.camera_id,
            row.status,
            flapping=row.flapping,
            history=[str(h) for h in row.flap_history or []],
            streak=row.bad_streak if row.bad_streak > 0 else row.good_streak,
            faults=[str(f) for f in row.faults or []],
            last_at=row.last_probe_at,
        )
        if camera_is_down(row.status, row.flapping):
            down.add(row.camera_id)
    live = engine.model.live([c for c in engine.model.camera_ids if c not in down])
    quarantine = Quarantine()
    open_alerts: dict[str, OpenAlertState] = {}
    rows = session.scalars(
        select(AlertRow).where(
            AlertRow.status != "resolved", AlertRow.kind.not_in(NOT_CAMERA_KINDS)
        )
    )
    for alert in rows:
        open_alerts[alert.id] = alert_state(engine, alert, down, quarantine)
    busy: dict[str, str] = {}
    silences = [Silence.of(row) for row in session.scalars(select(SilenceRow))]
    tasks = session.scalars(select(TaskRow).order_by(TaskRow.created_at))
    for task in tasks:
        if task.alert_id in open_alerts:
            open_alerts[task.alert_id].task_ids.append(task.id)
        if task.kind == "road_patrol" and task.status in ACTIVE_STATUSES and task.assignee:
            busy[task.assignee] = task.id
    # All read: swap it in.
    engine.tracker = tracker
    engine.live = live
    engine.open_alerts.replace(open_alerts.values())
    engine.units.replace(busy)
    engine.silences.replace(silences)
    engine.quarantine.replace(quarantine)


def standing_gaps(engine: AlertEngine, session: Session, at: dt.datetime) -> None:
    """One coverage_gap alert per blind spot of a critical zone with every camera working."""
    critical = engine.site.spec.coverage.critical_importance
    wanted: dict[str, Any] = {}
    for spot in engine.model.compute(None, overlap=False).blind_spots:
        if spot.importance < critical:
            continue
        p = spot.geometry.representative_point()
        wanted[f"coverage_gap:{spot.zone}:{round(p.x)}:{round(p.y)}"] = spot
    existing = {
        a.dedup_key: a
        for a in session.scalars(
            select(AlertRow).where(AlertRow.kind == "coverage_gap", AlertRow.status != "resolved")
        )
    }
    for key, alert in existing.items():
        if key not in wanted:
            engine.close_alert(session, alert, at=at, by=SYSTEM, how="the standing gap is now seen")
    for key, spot in wanted.items():
        if key in existing:
            continue
        lost = {spot.zone: spot.area_m2}
        judged = assess(lost, {spot.zone: spot.importance}, min_area_m2=engine.min_area_m2)
        alert = AlertRow(
            id=new_id("al"),
            site_id=engine.site.id,
            kind="coverage_gap",
            dedup_key=key,
            severity=judged.rank,
            cameras=[],
            zones=[spot.zone],
            blind_spot_m2=spot.area_m2,
            blind_spots=records.blind_features(
                {spot.zone: spot.geometry}, engine.site.projection, min_area_m2=0.0
            ),
            opened_at=at,
        )
        session.add(alert)
        session.flush()
        records.alert_log(
            session,
            alert,
            at=at,
            actor=SYSTEM,
            action="opened",
            detail={"reason": "standing blind spot in a critical zone"},
        )
        records.publish(
            session,
            at=at,
            type="alert.opened",
            data=records.alert_summary(alert, severity=judged.name),
        )


def alert_state(
    engine: AlertEngine, alert: AlertRow, down: Collection[str], quarantine: Quarantine
) -> OpenAlertState:
    """The engine's memory of a stored unresolved alert (cameras `down` still failing).

    An alert whose stored ground cannot be read is quarantined and kept without its ground:
    it stays open and holds its cameras, so they are still watched and not alerted twice."""
    state = OpenAlertState(
        id=alert.id,
        opened_at=alert.opened_at,
        cameras=list(alert.cameras),
        down={c for c in alert.cameras if c in down},
        silenced=alert.silenced,
    )
    try:
        state.blind = records.geometry_from_features(alert.blind_spots, engine.site.projection)
    except Exception as exc:  # any unreadable record: set aside, never fatal
        quarantine.add(kind="alert", record_id=alert.id, error=exc, at=alert.opened_at)
        state.blind = {}
    state.lost_m2 = {z: float(g.area) for z, g in state.blind.items()}
    return state


def remember_alert(engine: AlertEngine, alert: AlertRow, down: Collection[str]) -> None:
    """Take a stored unresolved alert into the engine's memory (cameras `down` still failing)."""
    engine.open_alerts.add(alert_state(engine, alert, down, engine.quarantine))
