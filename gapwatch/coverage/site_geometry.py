"""From a loaded site (WGS84 positions) to the engine's metric inputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
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


def _polygons(rings: Sequence[Sequence[tuple[float, float]]], projection: LocalProjection) -> Any:
    """Valid metric polygons of lon/lat rings, all built and projected in one go."""
    if not rings:
        return np.empty(0, dtype=object)
    coords = np.array([p for ring in rings for p in ring], dtype=float).reshape(-1, 2)
    which = np.repeat(np.arange(len(rings)), [len(ring) for ring in rings])
    polygons = shapely.polygons(shapely.linearrings(coords, indices=which))
    return shapely.make_valid(projection.project(polygons))


def camera_geometry(camera: Camera, projection: LocalProjection) -> CameraGeometry:
    """One site-file camera in metric coordinates."""
    x, y = projection.to_metres(*camera.location)
    return _camera_at(camera, x, y)


def _camera_at(camera: Camera, x: float, y: float) -> CameraGeometry:
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
    outlines = _polygons([z.polygon for z in spec.zones], projection)
    zones = [
        ZoneShape(z.id, z.name, z.importance, outline)
        for z, outline in zip(spec.zones, outlines, strict=True)
    ]
    obstacles = list(_polygons([o.polygon for o in spec.obstacles], projection))
    cameras: list[CameraGeometry] = []
    if spec.cameras:
        spots = shapely.get_coordinates(
            projection.project(shapely.points([c.location for c in spec.cameras]))
        )
        cameras = [
            _camera_at(c, float(x), float(y))
            for c, (x, y) in zip(spec.cameras, spots.tolist(), strict=True)
        ]
    roads = [projection.project(shapely.LineString(list(r.line))) for r in spec.roads]
    return SiteGeometry(
        zones=zones,
        obstacles=obstacles,
        cameras=cameras,
        roads=roads,
        min_blind_area_m2=spec.coverage.min_blind_area_m2,
    )
