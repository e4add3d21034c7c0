"""A zone's crowd from its cameras' counts, each person counted once.

Every person a camera counts is put on the ground under their feet (the camera's pose). Where
views overlap, two cameras see the same people, so a person standing where k counted views
overlap weighs 1/k: summed over the zone, overlapping ground is counted once, not k times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gapwatch.crowd.counting import CrowdCount
from gapwatch.crowd.pose import CameraPose

__all__ = ["CameraCrowd", "ZoneCrowd", "camera_crowd", "zone_crowds"]


@dataclass(frozen=True)
class CameraCrowd:
    """One camera's count placed on the ground: people's positions (metres) and weights."""

    camera: str
    people: float
    view_area_m2: float
    xy: np.ndarray  # n × 2, metres
    weight: np.ndarray  # n, people per blob

    @property
    def density_per_m2(self) -> float:
        """People per m² of the ground this view covers."""
        return self.people / self.view_area_m2 if self.view_area_m2 > 0 else 0.0


@dataclass(frozen=True)
class ZoneCrowd:
    """People seen in one zone now, over the ground its counted cameras watch."""

    zone: str
    people: float
    watched_m2: float
    cameras: tuple[str, ...]

    @property
    def density_per_m2(self) -> float:
        """People per m² of the zone's watched ground (0 when none of it is watched)."""
        return self.people / self.watched_m2 if self.watched_m2 > 0 else 0.0


def camera_crowd(
    camera: str, count: CrowdCount, pose: CameraPose, view: BaseGeometry
) -> CameraCrowd:
    """Put one camera's counted blobs on the ground; people outside its view are dropped."""
    if not count.blobs:
        empty = np.empty((0, 2))
        return CameraCrowd(camera, 0.0, float(view.area), empty, np.empty(0))
    u = np.array([b.u for b in count.blobs])
    v = np.array([b.v for b in count.blobs])
    w = np.array([b.people for b in count.blobs])
    xy = pose.ground_points(u, v)
    inside = np.asarray(np.isfinite(xy).all(axis=1))
    inside[inside] = np.asarray(shapely.contains_xy(view, xy[inside, 0], xy[inside, 1]))
    xy, w = xy[inside], w[inside]
    return CameraCrowd(camera, float(w.sum()), float(view.area), xy, w)


def zone_crowds(
    crowds: Sequence[CameraCrowd],
    views: Mapping[str, BaseGeometry],
    zones: Mapping[str, BaseGeometry],
) -> dict[str, ZoneCrowd]:
    """Each zone's people from the counted cameras, overlaps counted once.

    `views` holds the view (metres) of every camera in `crowds`; `zones` the zone polygons.
    """
    ids = [c.camera for c in crowds]
    polys = [views[i] for i in ids]
    view_tree = shapely.STRtree(polys) if polys else None
    xy = np.concatenate([c.xy for c in crowds]) if crowds else np.empty((0, 2))
    weight = np.concatenate([c.weight for c in crowds]) if crowds else np.empty(0)
    points = shapely.points(xy) if len(xy) else np.empty(0, dtype=object)
    overlap = np.ones(len(xy))
    if view_tree is not None and len(xy):
        hits = view_tree.query(points, predicate="within")
        k = np.bincount(hits[0], minlength=len(xy)).astype(np.float64)
        overlap = np.maximum(k, 1.0)
    share = weight / overlap
    watched_all = shapely.union_all(polys) if polys else shapely.Polygon()
    out: dict[str, ZoneCrowd] = {}
    for zid, zone in zones.items():
        inside = shapely.contains_xy(zone, xy[:, 0], xy[:, 1]) if len(xy) else np.zeros(0, bool)
        seen_by = tuple(i for i, p in zip(ids, polys, strict=True) if p.intersects(zone))
        watched = float(shapely.intersection(watched_all, zone).area) if seen_by else 0.0
        out[zid] = ZoneCrowd(zid, float(share[inside].sum()), watched, seen_by)
    return out
