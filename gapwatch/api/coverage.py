"""Live coverage: per zone, and the blind spots no working camera sees right now (GeoJSON)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.api.deps import Reader, ReadSession, ServiceDep
from gapwatch.api.errors import error_responses
from gapwatch.api.schemas import with_raw_json
from gapwatch.coverage import BlindSpot, CoverageResult, to_geojson_texts
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


def _spot_texts(service: Service, spots: Sequence[BlindSpot]) -> list[str]:
    """Each blind spot's GeoJSON geometry as text, written once per geometry object."""
    projection = service.site.projection
    return service.snapshots.geojson.texts(
        [s.geometry for s in spots],
        lambda geometries: to_geojson_texts(geometries, projection),
    )


def _spot_parts(
    service: Service, result: CoverageResult, body: str, write: Callable[[BlindSpot, str], str]
) -> str:
    """The blind spots' parts of `body`, comma-joined: each written by `write(spot, geometry
    GeoJSON)` once per blind-spot object, so a zone no changed camera reaches costs a lookup
    (at county scale the bodies took longer than the snapshot itself)."""

    def render(spots: list[BlindSpot]) -> list[str]:
        return [write(s, g) for s, g in zip(spots, _spot_texts(service, spots), strict=True)]

    return ",".join(service.snapshots.parts(body).texts(result.blind_spots, render))


def _properties(spot: BlindSpot) -> str:
    return json.dumps({"zone": spot.zone, "importance": spot.importance, "area_m2": spot.area_m2})


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
    spots = _spot_parts(
        service, result, "coverage", lambda s, g: f'{_properties(s)[:-1]},"geometry":{g}}}'
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
    features = _spot_parts(
        service,
        result,
        "blind-spots",
        lambda s, g: f'{{"type":"Feature","geometry":{g},"properties":{_properties(s)}}}',
    )
    return '{"type":"FeatureCollection","features":[' + features + "]}"
