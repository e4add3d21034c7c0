"""The crowd (人流) now and over time: per zone people, density, normal and trend; per-zone history.

Live counts are held by the process that probes (the service's `LiveCrowd`) and each camera's
latest count is stored beside it; an API replica takes the stored counts in every two seconds
with the alerts, so it answers with the prober's crowd and road-patrol order. History and
normals come from the store.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from gapwatch.api.deps import ID_PATTERN, Reader, ReadSession, ServiceDep
from gapwatch.api.errors import NotFoundError, error_responses
from gapwatch.runtime.crowd import zone_history
from gapwatch.storage import utcnow

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["crowd"])

TrendOut = Literal["surge", "lull", "normal", "unknown"]


class ZoneCrowdOut(BaseModel):
    """One zone's crowd now."""

    zone: str
    name: str
    name_en: str | None
    people: float = Field(description="People the zone's healthy cameras count now.")
    density_per_m2: float = Field(description="People per m² of the zone's watched ground.")
    watched_m2: float
    normal: float | None = Field(
        description="Usual people for this weekday and hour (site-local); null until learned."
    )
    trend: TrendOut = Field(description="Now against normal; unknown while nothing is learned.")
    counted: bool = Field(description="Whether some healthy camera counts the zone now.")
    cameras: list[str] = Field(description="The cameras counting it now.")


class CameraCrowdOut(BaseModel):
    """One camera's count now (healthy cameras with a count only)."""

    camera: str
    people: float
    density_per_m2: float


class PatrolOrderOut(BaseModel):
    """One open alert's place in the road-patrol order (first is served first)."""

    alert_id: str
    severity: int
    expected_people: float | None
    weighted_m2: float


class CrowdOut(BaseModel):
    at: dt.datetime
    zones: list[ZoneCrowdOut]
    cameras: list[CameraCrowdOut]
    road_patrol_order: list[PatrolOrderOut]


class HourOut(BaseModel):
    hour: dt.datetime = Field(description="The hour's start (UTC).")
    mean: float
    peak: float
    normal: float | None


class ZoneHistoryOut(BaseModel):
    zone: str
    now: ZoneCrowdOut
    hours: list[HourOut]


def _zones_now(service: ServiceDep, at: dt.datetime) -> list[ZoneCrowdOut]:
    names = {z.id: (z.name, z.name_en) for z in service.site.spec.zones}
    crowd = service.crowd
    if crowd is None:
        return []
    return [
        ZoneCrowdOut(
            zone=z.zone,
            name=names.get(z.zone, (z.zone, None))[0],
            name_en=names.get(z.zone, (z.zone, None))[1],
            people=round(z.people, 2),
            density_per_m2=round(z.density_per_m2, 5),
            watched_m2=round(z.watched_m2, 1),
            normal=None if z.normal is None else round(z.normal, 2),
            trend=z.trend,
            counted=bool(z.cameras),
            cameras=list(z.cameras),
        )
        for z in crowd.now(at)
    ]


@router.get("/crowd", response_model=CrowdOut, responses=error_responses(401, 403, 503))
def crowd_now(service: ServiceDep, _who: Reader) -> CrowdOut:
    """Per zone: people now, density per m², the normal for this weekday and hour, the trend;
    per counting camera its people; and the order road patrols serve open alerts in."""
    at = utcnow()
    crowd = service.crowd
    people = crowd.camera_people() if crowd is not None else {}
    density = crowd.camera_density() if crowd is not None else {}
    return CrowdOut(
        at=at,
        zones=_zones_now(service, at),
        cameras=[
            CameraCrowdOut(
                camera=c, people=round(p, 2), density_per_m2=round(density.get(c, 0.0), 5)
            )
            for c, p in sorted(people.items())
        ],
        road_patrol_order=[
            PatrolOrderOut(
                alert_id=alert_id,
                severity=judged.rank,
                expected_people=None
                if judged.expected_people is None
                else round(judged.expected_people, 1),
                weighted_m2=round(judged.weighted_m2, 1),
            )
            for alert_id, judged in service.alerts.road_patrol_order(at)
        ],
    )


@router.get(
    "/crowd/zones/{zone_id}/history",
    response_model=ZoneHistoryOut,
    responses=error_responses(401, 403, 404, 422, 503),
)
def crowd_history(
    service: ServiceDep,
    session: ReadSession,
    _who: Reader,
    zone_id: Annotated[str, Path(pattern=ID_PATTERN, description="Zone id.")],
    hours: Annotated[int, Query(ge=1, le=24 * 14, description="Hours back from now.")] = 24,
) -> ZoneHistoryOut:
    """The zone's finished hours (mean and peak people) against the normal for each hour,
    and the zone now: the data of a "now against normal" chart."""
    at = utcnow()
    now = next((z for z in _zones_now(service, at) if z.zone == zone_id), None)
    if now is None or service.crowd is None:
        raise NotFoundError(f"no zone {zone_id!r} / 没有区域 {zone_id!r}")
    points = zone_history(
        session, zone_id, since=at - dt.timedelta(hours=hours), crowd=service.crowd
    )
    return ZoneHistoryOut(
        zone=zone_id,
        now=now,
        hours=[
            HourOut(
                hour=p.hour,
                mean=round(p.mean, 2),
                peak=round(p.peak, 2),
                normal=None if p.normal is None else round(p.normal, 2),
            )
            for p in points
        ],
    )
