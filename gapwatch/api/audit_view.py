"""The technician's view: the coverage audit with the cameras that are down now, and exports.

The audit (failure gaps, placement suggestions) takes seconds on a large site, so one result is
kept per set of working cameras and shared by every technician looking at it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gapwatch.api.coverage import FeatureCollection, live_snapshot
from gapwatch.api.deps import Reader, ReadSession, ServiceDep
from gapwatch.api.errors import error_responses
from gapwatch.coverage import feature_collection
from gapwatch.coverage.audit import Audit, audit_csv, audit_layers, run_audit
from gapwatch.coverage.report import (
    AuditSummary,
    ZoneReport,
    build_coverage_report,
    coverage_feature_collection,
)
from gapwatch.runtime.crowd import zone_summaries
from gapwatch.runtime.pipeline import Service
from gapwatch.storage import utcnow

__all__ = ["router"]

router = APIRouter(tags=["dashboard"])


class CameraAuditOut(BaseModel):
    """One camera's line in the audit."""

    id: str
    name: str
    group: str | None
    working: bool
    view_m2: float
    failure_gap_m2: float = Field(description="Ground only this camera sees among working ones.")
    weighted_gap_m2: float
    rank: int | None = Field(description="1 = the camera whose failure would hurt most.")


class ZoneCrowdAuditOut(BaseModel):
    """A zone's crowd for the technician: now, normal now, its usual busiest hour, capacity."""

    zone: str
    people: float | None = Field(description="Counted now; null when no healthy camera counts.")
    density_per_m2: float | None
    normal_now: float | None
    usual_peak: float | None = Field(description="The busiest weekday-hour's normal count.")
    usual_peak_weekday: int | None = Field(description="0 = Monday.")
    usual_peak_hour: int | None = Field(description="Site-local hour 0..23.")
    capacity: int | None


class AuditOut(BaseModel):
    """The audit with today's broken cameras: headline figures, zones, cameras, failure gaps
    and placement suggestions (with the ground each would see)."""

    summary: AuditSummary
    zones: list[ZoneReport]
    cameras: list[CameraAuditOut]
    failure_gaps: FeatureCollection
    suggestions: FeatureCollection
    crowd: list[ZoneCrowdAuditOut] = Field(
        default_factory=list, description="Per zone, the crowd its cameras count and its normal."
    )


class _AuditCache:
    """The last audit, keyed by the cameras that were down; one computation at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down: frozenset[str] | None = None
        self.audit: Audit | None = None


def _cache(request: Request, service: Service) -> _AuditCache:
    held: tuple[Service, _AuditCache] | None = getattr(request.app.state, "audit_cache", None)
    if held is None or held[0] is not service:
        held = (service, _AuditCache())
        request.app.state.audit_cache = held
    return held[1]


def _audit(cache: _AuditCache, service: Service, down: frozenset[str]) -> Audit:
    with cache.lock:
        if cache.audit is None or cache.down != down:
            cache.audit = run_audit(service.site, down=sorted(down), model=service.coverage)
            cache.down = down
        return cache.audit


async def current_audit(request: Request, service: Service, healthy: frozenset[str]) -> Audit:
    """The audit with every camera that is not healthy now treated as down."""
    down = frozenset(c.id for c in service.site.spec.cameras if c.id not in healthy)
    return await run_in_threadpool(_audit, _cache(request, service), service, down)


def _fc(features: list[dict[str, Any]]) -> FeatureCollection:
    return FeatureCollection.model_validate(feature_collection(features))


@router.get("/audit", response_model=AuditOut, responses=error_responses(401, 403, 503))
async def audit(
    request: Request, service: ServiceDep, session: ReadSession, _who: Reader
) -> AuditOut:
    """Coverage per zone, the worst single failures and placement suggestions, with the
    cameras that are not healthy now counted as down."""
    result = await current_audit(request, service, live_snapshot(service, session).healthy)
    report = build_coverage_report(service.site, result.result, down=result.down)
    layers = await run_in_threadpool(audit_layers, result)
    return AuditOut(
        summary=result.summary,
        zones=report.zones,
        cameras=[
            CameraAuditOut(
                id=c.id,
                name=c.name,
                group=c.group,
                working=c.working,
                view_m2=round(c.view_m2, 1),
                failure_gap_m2=round(c.failure_gap_m2, 1),
                weighted_gap_m2=round(c.weighted_gap_m2, 1),
                rank=c.rank,
            )
            for c in result.cameras
        ],
        failure_gaps=_fc(layers["failure_gaps.geojson"]["features"]),
        suggestions=_fc(layers["suggestions.geojson"]["features"]),
        crowd=_crowd(service, session),
    )


def _crowd(service: Service, session: Session) -> list[ZoneCrowdAuditOut]:
    if service.crowd is None:
        return []
    capacity = {z.id: z.capacity for z in service.site.spec.zones}

    def r(value: float | None, digits: int = 1) -> float | None:
        return None if value is None else round(value, digits)

    return [
        ZoneCrowdAuditOut(
            zone=z.zone,
            people=r(z.people),
            density_per_m2=r(z.density_per_m2, 5),
            normal_now=r(z.normal_now),
            usual_peak=r(z.usual_peak),
            usual_peak_weekday=z.usual_peak_weekday,
            usual_peak_hour=z.usual_peak_hour,
            capacity=capacity.get(z.zone),
        )
        for z in zone_summaries(session, service.crowd, utcnow())
    ]


# ------------------------------------------------------------------ exports


def _geojson(payload: dict[str, Any]) -> bytes:
    import json

    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _coverage_geojson(audit: Audit) -> bytes:
    report = build_coverage_report(audit.site, audit.result, down=audit.down)
    return _geojson(coverage_feature_collection(audit.site, report))


def _gaps_geojson(audit: Audit) -> bytes:
    collection = audit_layers(audit)["failure_gaps.geojson"]
    return _geojson({**collection, "name": f"{audit.site.id} failure gaps"})


_MEDIA = {"csv": "text/csv; charset=utf-8", "geojson": "application/geo+json"}


def _export(
    path: str, make: Callable[[Audit], bytes], kind: str, summary: str
) -> Callable[..., Any]:
    media = _MEDIA[kind]
    schema_type = "object" if kind == "geojson" else "string"
    filename = path.rsplit("/", 1)[-1]

    async def export(
        request: Request, service: ServiceDep, session: ReadSession, _who: Reader
    ) -> Response:
        result = await current_audit(request, service, live_snapshot(service, session).healthy)
        body = await run_in_threadpool(make, result)
        return Response(
            body,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{service.site.id}-{filename}"'},
        )

    export.__doc__ = summary
    router.add_api_route(
        path,
        export,
        methods=["GET"],
        response_class=Response,
        name=f"export_{filename.replace('.', '_').replace('-', '_')}",
        responses={
            200: {"content": {media.split(";")[0]: {"schema": {"type": schema_type}}}},
            **error_responses(401, 403, 503),
        },
    )
    return export


_export(
    "/exports/coverage.geojson",
    _coverage_geojson,
    "geojson",
    "Zones with their coverage and the blind spots now, one GeoJSON FeatureCollection.",
)
_export(
    "/exports/failure-gaps.geojson",
    _gaps_geojson,
    "geojson",
    "Ground each working camera alone sees (what its failure would leave blind), GeoJSON.",
)
_export(
    "/exports/zones.csv",
    partial(audit_csv, name="zones.csv"),
    "csv",
    "Coverage per zone now, CSV (UTF-8).",
)
_export(
    "/exports/cameras.csv",
    partial(audit_csv, name="cameras.csv"),
    "csv",
    "Cameras with their failure gaps now, CSV.",
)
