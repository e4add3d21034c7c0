"""Writing the alert engine's rows: audit lines, live events, outbox messages, blind-spot GeoJSON.

Small helpers over the storage models so the engine reads as decisions, not as row plumbing. None
of them commits: the caller's transaction does.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from sqlalchemy.orm import Session

from gapwatch.dispatch import enqueue_all
from gapwatch.site.projection import LocalProjection
from gapwatch.storage import AlertLogRow, AlertRow, EventRow, TaskLogRow, TaskRow

__all__ = [
    "alert_log",
    "alert_summary",
    "blind_features",
    "geometry_from_features",
    "lonlat_geojson",
    "publish",
    "send",
    "task_log",
    "task_message",
]

Geometry = Any
DEGREE_DIGITS = 7


def alert_log(
    session: Session,
    alert: AlertRow,
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append a line to an alert's audit trail."""
    session.add(
        AlertLogRow(alert_id=alert.id, at=at, actor=actor, action=action, detail=dict(detail or {}))
    )


def task_log(
    session: Session,
    task: TaskRow,
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append a line to a task's audit trail."""
    session.add(
        TaskLogRow(task_id=task.id, at=at, actor=actor, action=action, detail=dict(detail or {}))
    )


def publish(session: Session, *, at: dt.datetime, type: str, data: Mapping[str, Any]) -> None:
    """Add a live event for the dashboard (its `seq` is the Server-Sent Events id)."""
    session.add(EventRow(at=at, type=type, data=dict(data)))


def send(
    session: Session,
    *,
    event_type: str,
    payload: Mapping[str, Any],
    at: dt.datetime,
    task_id: str | None = None,
) -> None:
    """Queue the message for every enabled dispatch endpoint in the transactional outbox."""
    enqueue_all(session, event_type=event_type, payload=dict(payload), task_id=task_id, now=at)


def blind_features(
    pieces: Mapping[str, Geometry], projection: LocalProjection, *, min_area_m2: float
) -> list[dict[str, Any]]:
    """Per-zone metric geometries as GeoJSON Features (lon/lat) with `zone` and `area_m2`."""
    features: list[dict[str, Any]] = []
    for zone in sorted(pieces):
        geometry = pieces[zone]
        for part in shapely.get_parts(geometry):
            area = float(part.area)
            if part.geom_type != "Polygon" or area <= 0.0 or area < min_area_m2:
                continue
            features.append(
                {
                    "type": "Feature",
                    "geometry": lonlat_geojson(part, projection),
                    "properties": {"zone": zone, "area_m2": round(area, 2)},
                }
            )
    return features


def lonlat_geojson(geometry: Geometry, projection: LocalProjection) -> dict[str, Any]:
    """A metric geometry as RFC 7946 GeoJSON: lon/lat to 1e-7° (about 1 cm), rings
    counter-clockwise.

    Coordinates are rounded, not snapped with GEOS: snapping a blind spot with a narrow hole can
    fail outright (the hole touches its shell), and a failure here would lose the whole alert.
    """
    lonlat = shapely.transform(projection.unproject(geometry), _round_degrees)
    lonlat = shapely.orient_polygons(lonlat, exterior_cw=False)
    out: dict[str, Any] = json.loads(shapely.to_geojson(lonlat))
    return out


def _round_degrees(coords: Any) -> Any:
    return np.round(coords, DEGREE_DIGITS)


def geometry_from_features(
    features: Iterable[Mapping[str, Any]], projection: LocalProjection
) -> dict[str, Geometry]:
    """Stored blind-spot Features back to per-zone metric geometries (after a restart)."""
    by_zone: dict[str, list[Geometry]] = {}
    for feature in features:
        zone = str(feature.get("properties", {}).get("zone", ""))
        by_zone.setdefault(zone, []).append(projection.project(shape(feature["geometry"])))
    return {z: shapely.union_all(parts) for z, parts in by_zone.items()}


def alert_summary(alert: AlertRow, *, severity: str) -> dict[str, Any]:
    """The alert as dispatch and the dashboard see it (without its geometry)."""
    return {
        "id": alert.id,
        "kind": alert.kind,
        "status": alert.status,
        "severity": severity,
        "cameras": list(alert.cameras),
        "zones": list(alert.zones),
        "blind_spot_m2": round(alert.blind_spot_m2, 2),
        "flapping": alert.flapping,
        "opened_at": alert.opened_at.isoformat(),
    }


def task_message(task: TaskRow, alert: AlertRow, *, severity: str) -> dict[str, Any]:
    """The body dispatch receives for a task (created, updated or cancelled)."""
    return {
        "task": {
            "id": task.id,
            "kind": task.kind,
            "status": task.status,
            "assignee": task.assignee,
            **task.payload,
        },
        "alert": alert_summary(alert, severity=severity),
    }
