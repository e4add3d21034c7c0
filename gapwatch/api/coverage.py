"""Live coverage: per zone, and the blind spots no working camera sees right now (GeoJSON)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.api.deps import Reader, ReadSession, ServiceDep
from gapwatch.api.errors import error_responses
from gapwatch.coverage import CoverageResult, feature, feature_collection, to_geojson
from gapwatch.health import camera_is_down
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
    down = {
        camera_id
        for camera_id, status, flapping in session.execute(
            select(CameraStateRow.camera_id, CameraStateRow.status, CameraStateRow.flapping)
        )
        if camera_is_down(status, flapping)
    }
    return frozenset(c.id for c in service.site.spec.cameras if c.id not in down)


def live_snapshot(service: Service, session: Session) -> CoverageSnapshot:
    """The service's one live-coverage snapshot, brought up to what the store says now (the
    store is the truth: another process may be the prober)."""
    return service.snapshots.publish(healthy_cameras(service, session))


def live_coverage(service: Service, session: Session) -> CoverageResult:
    """Coverage for the currently healthy cameras (the shared snapshot's)."""
    return live_snapshot(service, session).result


@router.get("/coverage", response_model=CoverageOut, responses=error_responses(401, 403, 503))
def coverage(service: ServiceDep, session: ReadSession, _who: Reader) -> CoverageOut:
    """Per zone: area, covered area and ratio; and the blind spots, with the working cameras."""
    return live_snapshot(service, session).view(
        "coverage", lambda snap: _coverage_out(service, snap.result)
    )


def _coverage_out(service: Service, result: CoverageResult) -> CoverageOut:
    projection = service.site.projection
    out = CoverageOut(
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
        blind_spots=[
            BlindSpotOut(
                zone=s.zone,
                importance=s.importance,
                area_m2=s.area_m2,
                geometry=to_geojson(s.geometry, projection),
            )
            for s in result.blind_spots
        ],
    )
    return out


@router.get(
    "/blind-spots",
    response_model=FeatureCollection,
    responses=error_responses(401, 403, 503),
)
def blind_spots(service: ServiceDep, session: ReadSession, _who: Reader) -> dict[str, Any]:
    """The ground no working camera sees now, as a GeoJSON FeatureCollection."""
    return live_snapshot(service, session).view(
        "blind-spots", lambda snap: _blind_spots_out(service, snap.result)
    )


def _blind_spots_out(service: Service, result: CoverageResult) -> dict[str, Any]:
    projection = service.site.projection
    features = [
        feature(
            s.geometry,
            projection,
            {"zone": s.zone, "importance": s.importance, "area_m2": s.area_m2},
        )
        for s in result.blind_spots
    ]
    return feature_collection(features)
