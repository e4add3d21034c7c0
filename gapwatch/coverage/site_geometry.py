"""From a loaded site (WGS84 positions) to the engine's metric inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import shapely

from gapwatch.coverage.types import CameraGeometry, PresetGeometry, ZoneShape

if TYPE_CHECKING:
    from gapwatch.site import LocalProjection, Site
    from gapwatch.site.models import Camera

__all__ = ["SiteGeometry", "camera_geometry", "site_geometry"]

Geometry = Any


@dataclass(frozen=True)
class SiteGeometry:
    """A site's zones, obstacles, cameras and roads in local metres."""

    zones: list[ZoneShape]
    obstacles: list[Geometry]
    cameras: list[CameraGeometry]
    roads: list[Geometry]
    min_blind_area_m2: float


def _polygon(points: list[tuple[float, float]], projection: LocalProjection) -> Geometry:
    return shapely.make_valid(projection.project(shapely.Polygon(points)))


def camera_geometry(camera: Camera, projection: LocalProjection) -> CameraGeometry:
    """One site-file camera in metric coordinates."""
    x, y = projection.to_metres(*camera.location)
    return CameraGeometry(
        id=camera.id,
        x=x,
        y=y,
        heading_deg=camera.heading_deg,
        hfov_deg=camera.hfov_deg,
        range_m=camera.range_m,
        height_m=camera.height_m,
        tilt_deg=camera.tilt_deg,
        vfov_deg=camera.vfov_deg,
        resolution=camera.resolution,
        group=camera.group,
        presets=tuple(
            PresetGeometry(p.id, p.heading_deg, p.hfov_deg, p.range_m, p.tilt_deg)
            for p in camera.ptz
        ),
    )


def site_geometry(site: Site) -> SiteGeometry:
    """Project a loaded site's zones, obstacles, cameras and roads to metres."""
    spec, projection = site.spec, site.projection
    zones = [
        ZoneShape(z.id, z.name, z.importance, _polygon(list(z.polygon), projection))
        for z in spec.zones
    ]
    obstacles = [_polygon(list(o.polygon), projection) for o in spec.obstacles]
    cameras = [camera_geometry(c, projection) for c in spec.cameras]
    roads = [projection.project(shapely.LineString(list(r.line))) for r in spec.roads]
    return SiteGeometry(
        zones=zones,
        obstacles=obstacles,
        cameras=cameras,
        roads=roads,
        min_blind_area_m2=spec.coverage.min_blind_area_m2,
    )
