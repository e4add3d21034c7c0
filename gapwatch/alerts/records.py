"""Writing the alert engine's rows: audit lines, live events, outbox messages, blind-spot GeoJSON.

Small helpers over the storage models so the engine reads as decisions, not as row plumbing. None
of them commits: the caller's transaction does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import shapely
from sqlalchemy.orm import Session

from gapwatch.coverage import (
    CoverageGeometryError,
    GeoJSONGeometryError,
    from_geojson,
    robust_union_all,
    to_geojson,
)
from gapwatch.dispatch import enqueue_all
from gapwatch.site.projection import LocalProjection
from gapwatch.storage import AlertLogRow, AlertRow, EventRow, TaskLogRow, TaskRow

__all__ = [
    "StoredGeometryError",
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
            written = lonlat_geojson(part, projection)
            if not written["coordinates"]:
                continue  # smaller than the 1e-7° grid: nothing a map can draw
            features.append(
                {
                    "type": "Feature",
                    "geometry": written,
                    "properties": {"zone": zone, "area_m2": round(area, 2)},
                }
            )
    return features


def lonlat_geojson(geometry: Geometry, projection: LocalProjection) -> dict[str, Any]:
    """A metric geometry as RFC 7946 GeoJSON: the coverage engine's one writer (lon/lat on a
    1e-7° grid, made valid after rounding, rings counter-clockwise)."""
    return to_geojson(geometry, projection)


class StoredGeometryError(ValueError):
    """A stored blind-spot Feature that cannot be loaded back (the caller sets it aside)."""

    def __init__(self, message: str, *, index: int, zone: str) -> None:
        super().__init__(message)
        self.index = index
        self.zone = zone


def geometry_from_features(
    features: Iterable[Mapping[str, Any]], projection: LocalProjection
) -> dict[str, Geometry]:
    """Stored blind-spot Features back to per-zone metric geometries (after a restart).

    Invalid geometry is repaired; a Feature that cannot be read raises StoredGeometryError
    naming it, so start-up and resync can quarantine the record instead of failing.
    """
    by_zone: dict[str, list[Geometry]] = {}
    for index, item in enumerate(features):
        properties = item.get("properties") if isinstance(item, Mapping) else None
        zone = str(properties.get("zone", "")) if isinstance(properties, Mapping) else ""
        geometry = item.get("geometry") if isinstance(item, Mapping) else None
        if not isinstance(geometry, Mapping):
            raise StoredGeometryError(
                f"stored blind spot {index} (zone {zone!r}) has no geometry",
                index=index,
                zone=zone,
            )
        try:
            metric = from_geojson(geometry, projection)
        except GeoJSONGeometryError as err:
            raise StoredGeometryError(
                f"stored blind spot {index} (zone {zone!r}) cannot be loaded: {err}",
                index=index,
                zone=zone,
            ) from err
        by_zone.setdefault(zone, []).append(metric)
    out: dict[str, Geometry] = {}
    for zone, parts in by_zone.items():
        try:
            out[zone] = parts[0] if len(parts) == 1 else robust_union_all(parts)
        except CoverageGeometryError as err:
            raise StoredGeometryError(
                f"stored blind spots of zone {zone!r} cannot be joined: {err}", index=-1, zone=zone
            ) from err
    return out


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
