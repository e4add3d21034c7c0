"""Crowd alerts: a zone holding more people than the capacity its site file sets.

Passing the capacity opens one alert of kind `crowd` for the zone (dedup key `crowd:ZONE`) with
a video patrol of its busiest views: the zone's healthy cameras that count the most people there,
busiest first. It resolves itself once the count falls below `RESOLVE_SHARE` of the capacity
(hysteresis, so a crowd wavering around the limit does not open and close alerts every probe).
A zone no healthy camera counts says nothing either way: its alert stays as it is.

`CrowdAlerts` is the one owner of which zones are over capacity and which alert each holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.alerts import lifecycle, patrols, records
from gapwatch.alerts.severity import severity_name
from gapwatch.alerts.state import SYSTEM
from gapwatch.patrol import ACTIVE_STATUSES
from gapwatch.storage import AlertRow, TaskRow, new_id

if TYPE_CHECKING:
    from gapwatch.alerts.engine import AlertEngine

__all__ = ["RESOLVE_SHARE", "CrowdAlerts", "busiest_views"]

RESOLVE_SHARE = 0.9
"""A crowd alert resolves when the zone's count falls below this share of its capacity."""


def busiest_views(
    people_by_camera: Mapping[str, float], zone_cameras: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The zone's counting cameras with the people each sees, busiest first."""
    ranked = sorted(zone_cameras, key=lambda c: (-people_by_camera.get(c, 0.0), c))
    return [{"camera": c, "people": round(people_by_camera.get(c, 0.0), 1)} for c in ranked]


class CrowdAlerts:
    """Open crowd alerts per zone, opened past capacity and resolved below it (hysteresis)."""

    def __init__(self, capacity: Mapping[str, int]) -> None:
        self._capacity = dict(capacity)
        self._open: dict[str, str] = {}  # zone → alert id
        # zones whose crowd alert an operator resolved while still over capacity: quiet until
        # the crowd falls below the resolve share, so the same crowd does not alert again
        self._quiet: set[str] = set()

    @property
    def capacity(self) -> dict[str, int]:
        """Each zone's capacity (people), for zones that set one."""
        return dict(self._capacity)

    def load(self, session: Session) -> None:
        """Take the unresolved crowd alerts from the store (at start and after a resync)."""
        self._open = {}
        rows = session.scalars(
            select(AlertRow).where(AlertRow.kind == "crowd", AlertRow.status != "resolved")
        )
        for row in rows:
            if row.zones:
                self._open[row.zones[0]] = row.id

    def open_for(self, zone: str) -> str | None:
        """The zone's open crowd alert, if any."""
        return self._open.get(zone)

    def check(
        self,
        engine: AlertEngine,
        session: Session,
        *,
        at: dt.datetime,
        people: Mapping[str, float],
        cameras: Mapping[str, tuple[str, ...]],
        people_by_camera: Mapping[str, float],
    ) -> None:
        """Open or resolve crowd alerts for the zones counted now (`people`, by zone)."""
        for zone, limit in self._capacity.items():
            if zone not in people:
                continue  # no healthy camera counts it now: no evidence either way
            count = people[zone]
            below = count < RESOLVE_SHARE * limit
            held = self._open.get(zone)
            if held is not None:
                alert = session.get(AlertRow, held)
                if alert is None or alert.status == "resolved":
                    # resolved by an operator: only a new crossing opens a new alert
                    del self._open[zone]
                    if not below:
                        self._quiet.add(zone)
                    continue
                if below:
                    self._resolve(engine, session, alert, at=at, count=count, limit=limit)
                continue
            if zone in self._quiet:
                if below:
                    self._quiet.discard(zone)
                continue
            if count > limit:
                views = busiest_views(people_by_camera, cameras.get(zone, ()))
                self._open_alert(
                    engine, session, zone, at=at, count=count, limit=limit, views=views
                )

    def _open_alert(
        self,
        engine: AlertEngine,
        session: Session,
        zone: str,
        *,
        at: dt.datetime,
        count: float,
        limit: int,
        views: list[dict[str, Any]],
    ) -> None:
        importance = engine.calendar.importance(zone, at)
        rank = min(5, max(3, importance + 1))
        alert = AlertRow(
            id=new_id("al"),
            site_id=engine.site.id,
            kind="crowd",
            dedup_key=f"crowd:{zone}",
            severity=rank,
            cameras=[],
            zones=[zone],
            blind_spot_m2=0.0,
            blind_spots=[],
            opened_at=at,
        )
        session.add(alert)
        self._open[zone] = alert.id
        detail = {"zone": zone, "people": round(count, 1), "capacity": limit}
        records.alert_log(session, alert, at=at, actor=SYSTEM, action="opened", detail=detail)
        summary = records.alert_summary(alert, severity=severity_name(rank))
        records.publish(session, at=at, type="alert.opened", data=summary)
        task = TaskRow(
            id=new_id("tk"),
            alert_id=alert.id,
            kind="video_patrol",
            status="dispatched",
            assignee=None,
            payload={
                "alert_id": alert.id,
                "reason": "crowd",
                "zone": zone,
                "people": round(count, 1),
                "capacity": limit,
                "cameras_down": [],
                "views": [{**v, "preset": None} for v in views],
                "note": "区域人数超过容量，请查看人流最密的画面 / "
                "the zone holds more people than its capacity: look through its busiest views",
            },
            created_at=at,
            updated_at=at,
        )
        session.add(task)
        session.flush()
        records.task_log(session, task, at=at, actor=SYSTEM, action="created", detail={})
        patrols.tell_dispatch(engine, session, task, alert, event_type="task.created", at=at)

    def _resolve(
        self,
        engine: AlertEngine,
        session: Session,
        alert: AlertRow,
        *,
        at: dt.datetime,
        count: float,
        limit: int,
    ) -> None:
        tasks = session.scalars(select(TaskRow).where(TaskRow.alert_id == alert.id))
        for task in tasks:
            if task.status in ACTIVE_STATUSES:
                lifecycle.set_status(
                    engine,
                    session,
                    task,
                    alert,
                    "done",
                    at=at,
                    by=SYSTEM,
                    note=f"crowd below {RESOLVE_SHARE:.0%} of capacity",
                    notify=True,
                )
        how = f"crowd fell to {count:.0f}, capacity {limit} / 人数回落至{count:.0f}（容量{limit}）"
        engine.close_alert(session, alert, at=at, by=SYSTEM, how=how)
        self._open.pop(alert.zones[0], None)
