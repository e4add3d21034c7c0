"""A zone's crowd from its cameras' counts, each person counted once.

Every person a camera counts is put on the ground under their feet (the camera's pose). Where
views overlap, two cameras see the same people, so a person standing where k counting views
overlap weighs 1/k: summed over the zone, overlapping ground is counted once, not k times.

`CrowdMap` holds what only changes with coverage (the views, the zones, which views touch
which zone, each zone's watched area) so that summing a round of counts is a pair of vectorised
tree queries over the people, not a walk over cameras and zones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from gapwatch.coverage import overlay
from gapwatch.crowd.counting import CrowdCount
from gapwatch.crowd.pose import CameraPose

__all__ = ["CameraCrowd", "CrowdMap", "ZoneCrowd", "camera_crowd", "zone_crowds"]

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CameraCrowd:
    """One camera's count placed on the ground: people's positions (metres) and weights."""

    camera: str
    people: float
    view_area_m2: float
    xy: F64  # n × 2, metres
    weight: F64  # n, people per blob

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
        return CameraCrowd(camera, 0.0, float(view.area), np.empty((0, 2)), np.empty(0))
    u = np.array([b.u for b in count.blobs])
    v = np.array([b.v for b in count.blobs])
    w = np.array([b.people for b in count.blobs])
    xy = pose.ground_points(u, v)
    # A blob with no place on the ground, or a weight that is not a count, is nobody.
    inside = np.asarray(np.isfinite(xy).all(axis=1) & np.isfinite(w) & (w >= 0))
    inside[inside] = np.asarray(shapely.contains_xy(view, xy[inside, 0], xy[inside, 1]))
    xy, w = xy[inside], w[inside]
    return CameraCrowd(camera, float(w.sum()), float(view.area), xy, w)


class CrowdMap:
    """Views and zones of one coverage snapshot, ready to sum rounds of counts per zone."""

    def __init__(
        self,
        views: Mapping[str, BaseGeometry],
        zones: Mapping[str, BaseGeometry],
        *,
        watched_m2: Mapping[str, float] | None = None,
    ) -> None:
        self._camera_ids = list(views)
        self._index = {c: i for i, c in enumerate(self._camera_ids)}
        self._views = np.array([views[c] for c in self._camera_ids], dtype=object)
        self._zone_ids = list(zones)
        zone_geoms = np.array([zones[z] for z in self._zone_ids], dtype=object)
        self._view_tree = shapely.STRtree(self._views)
        self._zone_tree = shapely.STRtree(zone_geoms)
        zi, vi = self._view_tree.query(zone_geoms, predicate="intersects")
        self._zone_views: list[list[int]] = [[] for _ in self._zone_ids]
        for z, v in zip(zi.tolist(), vi.tolist(), strict=True):
            self._zone_views[z].append(v)
        if watched_m2 is None:
            # the coverage engine knows each zone's covered area; this is the fallback
            watched_m2 = {
                z: float(
                    overlay.intersection(overlay.union_all(self._views[vs]), zone_geoms[k]).area
                )
                if vs
                else 0.0
                for k, (z, vs) in enumerate(zip(self._zone_ids, self._zone_views, strict=True))
            }
        self._watched = dict(watched_m2)

    def zone_crowds(self, crowds: Sequence[CameraCrowd]) -> dict[str, ZoneCrowd]:
        """Each zone's people from this round's counts; a camera without a count sees no one."""
        counting = np.zeros(len(self._camera_ids), dtype=bool)
        for c in crowds:
            counting[self._index[c.camera]] = True
        parts = [c.xy for c in crowds if len(c.xy)]
        xy = np.concatenate(parts) if parts else np.empty((0, 2))
        weight = np.concatenate([c.weight for c in crowds if len(c.xy)]) if parts else np.empty(0)
        people = np.zeros(len(self._zone_ids))
        if len(xy):
            points = shapely.points(xy)
            pi, vi = self._view_tree.query(points, predicate="within")
            keep = counting[vi]
            k = np.bincount(pi[keep], minlength=len(xy)).astype(np.float64)
            share = weight / np.maximum(k, 1.0)
            pz, zi = self._zone_tree.query(points, predicate="within")
            np.add.at(people, zi, share[pz])
        out: dict[str, ZoneCrowd] = {}
        for k_zone, z in enumerate(self._zone_ids):
            seen = tuple(self._camera_ids[v] for v in self._zone_views[k_zone] if counting[v])
            out[z] = ZoneCrowd(z, float(people[k_zone]), self._watched[z], seen)
        return out


def zone_crowds(
    crowds: Sequence[CameraCrowd],
    views: Mapping[str, BaseGeometry],
    zones: Mapping[str, BaseGeometry],
) -> dict[str, ZoneCrowd]:
    """Each zone's people from the counted cameras, overlaps counted once.

    `views` holds the view (metres) of every camera in `crowds`; `zones` the zone polygons.
    Watched area is the part of the zone the counting cameras' views cover.
    """
    counted = {c.camera: views[c.camera] for c in crowds}
    return CrowdMap(counted, zones).zone_crowds(crowds)
