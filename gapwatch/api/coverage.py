"""Live coverage: per zone, and the blind spots no working camera sees right now (GeoJSON)."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.api.deps import Reader, ReadSession, ServiceDep
from gapwatch.api.errors import error_responses
from gapwatch.api.schemas import with_raw_json
from gapwatch.coverage import CoverageResult, to_geojson_texts
from gapwatch.health import camera_down_clause
from gapwatch.runtime.pipeline import Service
from gapwatch.runtime.snapshot import CoverageSnapshot
from gapwatch.storage import CameraStateRow

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["coverage"])


class ZoneOut(BaseModel):
    id: str
    name: str
    importance: int
    area_m2: float
    covered_m2: float
    coverage_ratio: float


class BlindSpotOut(BaseModel):
    zone: str
    importance: int
    area_m2: float
    geometry: dict[str, Any] = Field(description="GeoJSON geometry, longitude/latitude.")


class CoverageOut(BaseModel):
    """Coverage with the cameras that are working now."""

    area_m2: float
    covered_m2: float
    coverage_ratio: float
    cameras: int
    healthy_cameras: list[str]
    zones: list[ZoneOut]
    blind_spots: list[BlindSpotOut]


class Feature(BaseModel):
    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    """RFC 7946 FeatureCollection in longitude/latitude."""

    type: Literal["FeatureCollection"]
    features: list[Feature]


def healthy_cameras(service: Service, session: Session) -> frozenset[str]:
    """Cameras that watch their ground now, as the store says: not yet judged, or not down."""
    # Only the rows of down cameras are read (a few among tens of thousands).
    down = session.scalars(select(CameraStateRow.camera_id).where(camera_down_clause()))
    return service.snapshots.cameras.difference(down)


def live_snapshot(service: Service, session: Session) -> CoverageSnapshot:
    """The service's one live-coverage snapshot, brought up to what the store says now (the
    store is the truth: another process may be the prober)."""
    return service.snapshots.publish(healthy_cameras(service, session))


def live_coverage(service: Service, session: Session) -> CoverageResult:
    """Coverage for the currently healthy cameras (the shared snapshot's)."""
    return live_snapshot(service, session).result


def _spot_texts(service: Service, result: CoverageResult) -> list[str]:
    """Each blind spot's GeoJSON geometry as text, written once per geometry object."""
    projection = service.site.projection
    return service.snapshots.geojson.texts(
        [s.geometry for s in result.blind_spots],
        lambda geometries: to_geojson_texts(geometries, projection),
    )


def _json_response(body: str) -> Response:
    return Response(body.encode("utf-8"), media_type="application/json")


@router.get("/coverage", response_model=CoverageOut, responses=error_responses(401, 403, 503))
def coverage(service: ServiceDep, session: ReadSession, _who: Reader) -> Response:
    """Per zone: area, covered area and ratio; and the blind spots, with the working cameras."""
    body = live_snapshot(service, session).view(
        "coverage", lambda snap: _coverage_out(service, snap.result)
    )
    return _json_response(body)


def _coverage_out(service: Service, result: CoverageResult) -> str:
    """The body of GET /coverage. Written by hand around the geometry texts: read back into
    dicts and validated again, a county's blind spots took seconds."""
    head = CoverageOut(
        area_m2=result.area_m2,
        covered_m2=result.covered_m2,
        coverage_ratio=result.coverage_ratio,
        cameras=len(service.site.spec.cameras),
        healthy_cameras=sorted(result.healthy),
        zones=[
            ZoneOut(
                id=z.id,
                name=z.name,
                importance=z.importance,
                area_m2=z.area_m2,
                covered_m2=z.covered_m2,
                coverage_ratio=z.coverage_ratio,
            )
            for z in result.zones
        ],
        blind_spots=[],
    ).model_dump_json()
    spots = ",".join(
        json.dumps({"zone": s.zone, "importance": s.importance, "area_m2": s.area_m2})[:-1]
        + ',"geometry":'
        + text
        + "}"
        for s, text in zip(result.blind_spots, _spot_texts(service, result), strict=True)
    )
    return with_raw_json(head, "blind_spots", "[" + spots + "]")


@router.get(
    "/blind-spots",
    response_model=FeatureCollection,
    responses=error_responses(401, 403, 503),
)
def blind_spots(service: ServiceDep, session: ReadSession, _who: Reader) -> Response:
    """The ground no working camera sees now, as a GeoJSON FeatureCollection."""
    body = live_snapshot(service, session).view(
        "blind-spots", lambda snap: _blind_spots_out(service, snap.result)
    )
    return _json_response(body)


def _blind_spots_out(service: Service, result: CoverageResult) -> str:
    features = ",".join(
        '{"type":"Feature","geometry":'
        + text
        + ',"properties":'
        + json.dumps({"zone": s.zone, "importance": s.importance, "area_m2": s.area_m2})
        + "}"
        for s, text in zip(result.blind_spots, _spot_texts(service, result), strict=True)
    )
    return '{"type":"FeatureCollection","features":[' + features + "]}"
