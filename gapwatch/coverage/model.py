"""The coverage model of one site: camera views built once, then coverage, blind spots and
failure gaps for any set of healthy cameras."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from gapwatch.coverage import overlay
from gapwatch.coverage.grid import Adjacency, group_unions, union_of
from gapwatch.coverage.parallel import default_workers, run_split
from gapwatch.coverage.slivers import drop_slivers, drop_slivers_one
from gapwatch.coverage.types import (
    BlindSpot,
    CameraGeometry,
    CameraView,
    CoverageResult,
    FailureGap,
    GapChange,
    ViewOption,
    ZoneArea,
    ZoneCoverage,
    ZoneShape,
)
from gapwatch.coverage.views import ARC_STEP_DEG, ObstacleIndex, camera_views

if TYPE_CHECKING:
    from gapwatch.coverage.live import LiveCoverage
    from gapwatch.coverage.placement import CandidateSpec, Placement
    from gapwatch.coverage.terrain import Terrain
    from gapwatch.site import Site

__all__ = ["CoverageModel", "UnknownCameraError"]

Geometry = Any
IntArray = np.ndarray[Any, np.dtype[np.intp]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]
ObjectArray = np.ndarray[Any, np.dtype[np.object_]]


class UnknownCameraError(KeyError):
    """A camera id that is not in the site."""

    def __init__(self, camera_ids: Iterable[str]) -> None:
        names = ", ".join(sorted(camera_ids))
        super().__init__(f"unknown camera id(s): {names}")
        self.camera_ids = tuple(sorted(camera_ids))

    def __str__(self) -> str:
        return str(self.args[0])


def _object_array(items: Sequence[Geometry]) -> ObjectArray:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def _pieces(zone: ZoneArea, geometry: Geometry, min_area: float, into: list[BlindSpot]) -> None:
    """Append the connected polygons of `geometry` of at least `min_area` m² as blind spots."""
    if geometry is None or geometry.is_empty:
        return
    parts = shapely.get_parts(geometry)
    areas = shapely.area(parts)
    for part, area in zip(parts, areas, strict=True):
        if area > 0.0 and area >= min_area and part.geom_type == "Polygon":
            into.append(BlindSpot(zone.id, zone.importance, float(area), part))


def _clean(geometry: Geometry) -> Geometry:
    """Keep the areal part of an overlay result, without slivers (see slivers.py)."""
    return drop_slivers_one(geometry)


# Below this many cameras per thread, one thread does the whole batch.
_MIN_CAMERAS_PER_THREAD = 500

# Up to this many covering views are subtracted one by one; more are unioned first. Measured on
# the benchmark site: one-by-one differences of a few views beat a union of them (0.19 vs 0.26 ms).
_SEQUENTIAL_DIFFERENCES = 8


def _without(ground: Geometry, views: ObjectArray) -> Geometry:
    """`ground` minus every view in `views`."""
    if len(views) == 0:
        return ground
    views = views[shapely.intersects(ground, views)]
    if len(views) > _SEQUENTIAL_DIFFERENCES:
        return _clean(overlay.difference(ground, overlay.union_all(views)))
    for view in views:
        ground = drop_slivers_one(overlay.difference(ground, view))
        if ground.is_empty:
            break
    return _clean(ground)


class CoverageModel:
    """All camera views of a site, indexed for fast coverage, failure gaps and live updates."""

    def __init__(
        self,
        *,
        zones: Sequence[ZoneArea],
        cameras: Sequence[CameraGeometry],
        views: ObjectArray,
        obstacles: ObstacleIndex,
        min_blind_area_m2: float,
        arc_step_deg: float = ARC_STEP_DEG,
        workers: int = 1,
    ) -> None:
        self.zones: list[ZoneArea] = list(zones)
        self.cameras: list[CameraGeometry] = list(cameras)
        self.camera_ids: list[str] = [c.id for c in cameras]
        self.obstacles = obstacles
        self.min_blind_area_m2 = min_blind_area_m2
        self.arc_step_deg = arc_step_deg
        self.workers = workers
        self.roads: list[Geometry] = []  # metric road lines, for placement candidates
        self._index = {cid: i for i, cid in enumerate(self.camera_ids)}
        self._view_arr = views
        self._zone_arr = _object_array([z.polygon for z in self.zones])
        self._view_tree = shapely.STRtree(views)
        # Query with the zones as input: each (large, holed) zone is prepared once.
        zone_idx, cam_idx = self._view_tree.query(self._zone_arr, predicate="intersects")
        self._camera_zones = Adjacency(cam_idx, zone_idx, len(views))
        self._zone_cameras = Adjacency(zone_idx, cam_idx, len(self.zones))
        self._zone_views: dict[int, list[tuple[int, Geometry]]] = {}
        self.views: dict[str, CameraView] = {
            cam.id: CameraView(cam.id, geom, cam, terrain=obstacles.terrain)
            for cam, geom in zip(cameras, views, strict=True)
        }

    # ------------------------------------------------------------------ building

    @classmethod
    def build(
        cls,
        zones: Sequence[ZoneShape],
        obstacles: Sequence[Geometry],
        cameras: Sequence[CameraGeometry],
        *,
        min_blind_area_m2: float = 2.0,
        arc_step_deg: float = ARC_STEP_DEG,
        workers: int | None = None,
        terrain: Terrain | None = None,
    ) -> CoverageModel:
        """Build the model from metric zones, obstacle polygons and cameras.

        `workers`: threads for big batches (default: up to two, as many as there are cores).
        `terrain`: the ground's shape (a DEM), so that hills hide ground as buildings do.
        """
        workers = default_workers() if workers is None else max(1, workers)
        seen: set[str] = set()
        for cam in cameras:
            if cam.id in seen:
                raise ValueError(f"camera id {cam.id!r} appears twice")
            seen.add(cam.id)
        zone_ids: set[str] = set()
        for zone in zones:
            if zone.id in zone_ids:
                raise ValueError(f"zone id {zone.id!r} appears twice")
            zone_ids.add(zone.id)
        valid = shapely.make_valid(_object_array(list(obstacles)))
        index = ObstacleIndex.build(list(valid), terrain=terrain)
        areas = []
        obstacle_tree = shapely.STRtree(valid)
        for zone in zones:
            outline = shapely.make_valid(zone.polygon)
            inside = valid[obstacle_tree.query(outline, predicate="intersects")]
            ground = outline
            if len(inside):
                # On the grid: once per zone, and the floating overlay can be silently wrong
                # here. A building with a wall along the zone's edge was not taken out of the
                # zone at all (GEOS 3.14 said the two did not overlap, 98 m² for 78.8).
                blocked = overlay.disjoint_union_all(inside)
                ground = _clean(overlay.difference(outline, blocked, grid=True))
            areas.append(ZoneArea(zone.id, zone.name, zone.importance, ground, float(ground.area)))
        batches = run_split(
            lambda batch: camera_views(batch, index, arc_step_deg),
            list(cameras),
            workers=workers,
            min_batch=_MIN_CAMERAS_PER_THREAD,
        )
        views = batches[0] if len(batches) == 1 else np.concatenate(batches)
        return cls(
            zones=areas,
            cameras=cameras,
            views=views,
            obstacles=index,
            min_blind_area_m2=min_blind_area_m2,
            arc_step_deg=arc_step_deg,
            workers=workers,
        )

    @classmethod
    def from_site(cls, site: Site) -> CoverageModel:
        """Build the model of a loaded site (positions projected to the site's metric plane)."""
        from gapwatch.coverage.site_geometry import site_geometry
        from gapwatch.coverage.terrain import site_terrain

        geo = site_geometry(site)
        model = cls.build(
            geo.zones,
            geo.obstacles,
            geo.cameras,
            min_blind_area_m2=geo.min_blind_area_m2,
            terrain=site_terrain(site),
        )
        model.roads = geo.roads
        return model

    # ------------------------------------------------------------------ lookups

    def camera_index(self, camera_ids: Iterable[str]) -> IntArray:
        """Positions of the given camera ids; unknown ids raise UnknownCameraError."""
        ids = list(camera_ids)
        unknown = [c for c in ids if c not in self._index]
        if unknown:
            raise UnknownCameraError(unknown)
        return np.array(sorted({self._index[c] for c in ids}), dtype=np.intp)

    def position(self, camera_id: str) -> int:
        """Index of a camera in `cameras` (KeyError naming it when unknown)."""
        try:
            return self._index[camera_id]
        except KeyError:
            raise UnknownCameraError([camera_id]) from None

    def healthy_mask(self, healthy: Collection[str] | None) -> BoolArray:
        """Boolean mask over cameras; None means every camera is healthy."""
        if healthy is None:
            return np.ones(len(self.cameras), dtype=bool)
        mask = np.zeros(len(self.cameras), dtype=bool)
        mask[self.camera_index(healthy)] = True
        return mask

    @cached_property
    def preset_views(self) -> dict[tuple[str, str], CameraView]:
        """The view of every PTZ preset, by (camera id, preset id); built on first use."""
        aimed = [(cam, p) for cam in self.cameras for p in cam.presets]
        geoms = camera_views([cam.aimed(p) for cam, p in aimed], self.obstacles, self.arc_step_deg)
        return {
            (cam.id, p.id): CameraView(cam.id, geom, cam.aimed(p), p.id, self.obstacles.terrain)
            for (cam, p), geom in zip(aimed, geoms, strict=True)
        }

    @property
    def view_geometries(self) -> ObjectArray:
        """Every camera's view geometry, in camera order (read-only by convention)."""
        return self._view_arr

    @cached_property
    def preset_index(self) -> tuple[list[CameraView], shapely.STRtree]:
        """PTZ preset views and a spatial index over them."""
        options = list(self.preset_views.values())
        return options, shapely.STRtree(_object_array([v.geometry for v in options]))

    def camera_zones(self, i: int) -> IntArray:
        """Indices of the zones camera `i`'s view reaches."""
        return self._camera_zones.row(i)

    def cameras_seeing(self, geometry: Geometry) -> IntArray:
        """Indices of cameras whose (current) views touch `geometry`."""
        hits: IntArray = self._view_tree.query(geometry, predicate="intersects")
        return hits

    @cached_property
    def _zone_tree(self) -> shapely.STRtree:
        return shapely.STRtree(self._zone_arr)

    def zones_touching(self, geometry: Geometry) -> IntArray:
        """Indices of zones whose ground touches `geometry`."""
        hits: IntArray = self._zone_tree.query(geometry, predicate="intersects")
        return hits

    @cached_property
    def neighbours(self) -> Adjacency:
        """For each camera, the other cameras whose views touch its view."""
        left, right = self._view_tree.query(self._view_arr, predicate="intersects")
        keep = left != right
        return Adjacency(left[keep], right[keep], len(self.cameras))

    def zone_views(self, i: int) -> list[tuple[int, Geometry]]:
        """Camera `i`'s view clipped to each zone it reaches: (zone index, ground)."""
        cached = self._zone_views.get(i)
        if cached is None:
            view = self._view_arr[i]
            zones = self._camera_zones.row(i)
            cached = []
            for z in zones:
                # GEOS's overlay keeps only the zone's edges near the view (it clips to the
                # view's box itself, and correctly: GEOS 3.14's clip_by_rect dropped most of a
                # zone when a box corner lay on a slanted building wall, where cameras hang).
                ground = _clean(overlay.intersection(self._zone_arr[z], view))
                if not ground.is_empty:
                    cached.append((int(z), ground))
            self._zone_views[i] = cached
        return cached

    # ------------------------------------------------------------------ coverage

    def compute(
        self, healthy: Collection[str] | None = None, *, overlap: bool = True
    ) -> CoverageResult:
        """Coverage, blind spots and (optionally) overlap per zone for the healthy cameras."""
        mask = self.healthy_mask(healthy)
        return self.result_of(mask, self.zone_blinds(mask), overlap=overlap)

    def zone_blinds(
        self, mask: BoolArray, since: tuple[BoolArray, ObjectArray] | None = None
    ) -> ObjectArray:
        """Every zone's blind ground for the cameras in `mask`, in zone order.

        `since` is an earlier (mask, zone_blinds) pair: only the zones reached by a camera
        whose health differs between the two masks are computed again (a few cameras changing
        at a county-wide site touch a few of its hundreds of zones).
        """
        if since is None:
            zones = list(range(len(self.zones)))
            blind = np.empty(len(self.zones), dtype=object)
        else:
            before, earlier = since
            changed = np.flatnonzero(before != mask)
            touched = {int(z) for i in changed for z in self._camera_zones.row(int(i))}
            zones = sorted(touched)
            blind = earlier.copy()
        if not zones:
            return blind
        groups: dict[int, IntArray] = {}
        for z in zones:
            cams = self._zone_cameras.row(z)
            groups[z] = cams[mask[cams]]
        total = sum(len(g) for g in groups.values())
        batches = run_split(
            lambda part: self._blind_of(list(part), groups),
            zones,
            workers=self.workers if total >= 2 * _MIN_CAMERAS_PER_THREAD else 1,
            min_batch=1,
            weight=lambda z: len(groups[z]),
        )
        blind[np.array(zones, dtype=np.intp)] = np.concatenate(batches)
        return blind

    def result_of(
        self,
        mask: BoolArray,
        blind: ObjectArray,
        *,
        overlap: bool = False,
        earlier: tuple[ObjectArray, CoverageResult] | None = None,
    ) -> CoverageResult:
        """The coverage result of `mask` from its `zone_blinds`.

        `earlier` is an earlier (zone_blinds, result) pair: a zone whose blind geometry is the
        same object keeps that result's blind-spot objects (so what was rendered from them,
        such as their GeoJSON, can be kept too).
        """
        kept: dict[str, list[BlindSpot]] = {}
        if earlier is not None:
            for spot in earlier[1].blind_spots:
                kept.setdefault(spot.zone, []).append(spot)
        blind_m2 = shapely.area(blind)
        overlaps: dict[str, Geometry] | None = None
        overlap_m2: list[float | None] = [None] * len(self.zones)
        if overlap:
            overlaps = self._overlap(mask)
            overlap_m2 = [float(overlaps[z.id].area) for z in self.zones]
        rows = []
        spots: list[BlindSpot] = []
        for k, zone in enumerate(self.zones):
            # Covered = zone minus blind: one overlay per zone instead of two.
            got = max(0.0, zone.area_m2 - float(blind_m2[k]))
            rows.append(
                ZoneCoverage(zone.id, zone.name, zone.importance, zone.area_m2, got, overlap_m2[k])
            )
            if earlier is not None and earlier[0][k] is blind[k]:
                spots.extend(kept.get(zone.id, ()))
            else:
                _pieces(zone, blind[k], self.min_blind_area_m2, spots)
        return CoverageResult(
            zones=rows,
            blind_spots=spots,
            healthy=frozenset(np.array(self.camera_ids, dtype=object)[mask].tolist()),
            overlap=overlaps,
        )

    def _blind_of(self, zones: list[int], groups: Mapping[int, IntArray]) -> ObjectArray:
        """Blind ground of the given zones, each seen by its group of cameras."""
        seen = drop_slivers(
            group_unions([groups[z] for z in zones], self._view_arr, clustered=True)
        )
        has = np.array([s is not None for s in seen], dtype=bool)
        blind = self._zone_arr[np.array(zones, dtype=np.intp)]
        if has.any():
            blind[has] = overlay.difference(blind[has], seen[has])
        return blind

    def _overlap(self, mask: BoolArray) -> dict[str, Geometry]:
        # Ground seen twice or more = the union of pairwise intersections of touching views. A
        # pair's common ground can only fall in zones both cameras reach.
        nb = self.neighbours
        left = np.repeat(np.arange(len(self.cameras)), np.diff(nb.indptr))
        right = nb.indices
        keep = (left < right) & mask[left] & mask[right]
        left, right = left[keep], right[keep]
        common = overlay.intersection(self._view_arr[left], self._view_arr[right])
        groups = []
        reaches = np.zeros(len(self.cameras), dtype=bool)
        for z in range(len(self.zones)):
            cams = self._zone_cameras.row(z)
            reaches[cams] = True
            groups.append(np.flatnonzero(reaches[left] & reaches[right]))
            reaches[cams] = False
        twice = group_unions(groups, common, clustered=True)
        out: dict[str, Geometry] = {}
        for k, zone in enumerate(self.zones):
            if twice[k] is None:
                out[zone.id] = shapely.Polygon()
            else:
                out[zone.id] = _clean(overlay.intersection(self._zone_arr[k], twice[k]))
        return out

    # ------------------------------------------------------------------ failures

    def gap_of(self, cameras: IntArray, mask: BoolArray) -> GapChange:
        """Zone ground seen by `cameras` and by no other camera in `mask` (cameras excluded)."""
        ids = tuple(self.camera_ids[int(i)] for i in cameras)
        if len(cameras) == 0:
            return GapChange(ids, [], 0.0, 0.0, {})
        others = self.neighbours.rows(cameras)
        if len(cameras) > 1:
            others = np.setdiff1d(others, cameras, assume_unique=True)
        others = others[mask[others]]
        blockers = self._view_arr[others]
        by_zone: dict[int, list[Geometry]] = {}
        for i in cameras:
            for z, ground in self.zone_views(int(i)):
                by_zone.setdefault(z, []).append(ground)
        pieces: list[BlindSpot] = []
        areas: dict[str, float] = {}
        total = weighted = 0.0
        for z, grounds in by_zone.items():
            zone = self.zones[z]
            own = grounds[0] if len(grounds) == 1 else overlay.union_all(grounds)
            own = _without(own, blockers)
            area = float(own.area)
            if area <= 0.0:
                continue
            areas[zone.id] = area
            total += area
            weighted += zone.importance * area
            _pieces(zone, own, self.min_blind_area_m2, pieces)
        return GapChange(ids, pieces, total, weighted, areas)

    def failure_gap(self, camera_id: str, healthy: Collection[str] | None = None) -> FailureGap:
        """The ground only this camera sees among the healthy ones (nothing if it is down)."""
        i = self.camera_index([camera_id])
        mask = self.healthy_mask(healthy)
        if not mask[i[0]]:
            return FailureGap(camera_id, 0.0, 0.0, [])
        change = self.gap_of(i, mask)
        return FailureGap(camera_id, change.area_m2, change.weighted_m2, change.pieces)

    def failure_gaps(self, healthy: Collection[str] | None = None) -> list[FailureGap]:
        """Every healthy camera's failure gap, the most harmful (importance × m²) first."""
        mask = self.healthy_mask(healthy)
        cams = np.flatnonzero(mask)
        # One row per (camera, zone) ground; all rows lose their k-th healthy neighbour's view
        # in the same vectorised step.
        owner: list[int] = []
        zone_of: list[int] = []
        grounds: list[Geometry] = []
        for c in cams:
            for z, ground in self.zone_views(int(c)):
                owner.append(int(c))
                zone_of.append(z)
                grounds.append(ground)
        rest = _object_array(grounds)
        rows = [self.neighbours.row(c) for c in owner]
        rows = [r[mask[r]] for r in rows]
        for k in range(max((len(r) for r in rows), default=0)):
            pick = np.array([len(r) > k for r in rows], dtype=bool)
            other = np.array([r[k] for r in rows if len(r) > k], dtype=np.intp)
            rest[pick] = drop_slivers(overlay.difference(rest[pick], self._view_arr[other]))
        areas = shapely.area(rest) if len(rest) else np.empty(0)
        ids = [int(c) for c in cams]
        plain: dict[int, float] = dict.fromkeys(ids, 0.0)
        weighted: dict[int, float] = dict(plain)
        pieces: dict[int, list[BlindSpot]] = {i: [] for i in ids}
        for cam, z, piece, area in zip(owner, zone_of, rest, areas, strict=True):
            if area <= 0.0:
                continue
            zone = self.zones[z]
            plain[cam] += float(area)
            weighted[cam] += zone.importance * float(area)
            _pieces(zone, piece, self.min_blind_area_m2, pieces[cam])
        gaps = [FailureGap(self.camera_ids[c], plain[c], weighted[c], pieces[c]) for c in ids]
        gaps.sort(key=lambda g: (-g.weighted_m2, -g.area_m2, g.camera_id))
        return gaps

    # ------------------------------------------------------------------ live and patrol

    def live(self, healthy: Collection[str] | None = None) -> LiveCoverage:
        """Incremental coverage state for the alert engine, starting from `healthy`."""
        from gapwatch.coverage.live import LiveCoverage

        _ = self.neighbours  # built now, so the first failure is not the one that pays for it
        return LiveCoverage(self, self.healthy_mask(healthy))

    def zone_blind(self, z: int, mask: BoolArray) -> Geometry:
        """Zone `z`'s ground that no camera in `mask` sees."""
        cams = self._zone_cameras.row(z)
        seen = union_of(self._view_arr[cams[mask[cams]]])
        zone = self._zone_arr[z]
        return zone if seen is None else _clean(overlay.difference(zone, seen))

    def blind_spot_pieces(self, z: int, geometry: Geometry) -> list[BlindSpot]:
        """Zone `z`'s blind geometry as blind spots (slivers dropped)."""
        out: list[BlindSpot] = []
        _pieces(self.zones[z], geometry, self.min_blind_area_m2, out)
        return out

    def suggest(
        self,
        *,
        healthy: Collection[str] | None = None,
        count: int = 5,
        candidates: Sequence[tuple[float, float]] | None = None,
        spec: CandidateSpec | None = None,
        reaim: bool = True,
    ) -> list[Placement]:
        """Greedy placement suggestions (new cameras along roads and zone edges, PTZ re-aims)."""
        from gapwatch.coverage.placement import suggest_placements

        return suggest_placements(
            self,
            healthy=healthy,
            count=count,
            candidates=candidates,
            spec=spec,
            roads=self.roads,
            reaim=reaim,
        )

    def views_into(
        self, geometry: Geometry, healthy: Collection[str] | None = None
    ) -> list[ViewOption]:
        """Working cameras and PTZ presets that see into `geometry`, most ground first."""
        from gapwatch.coverage.patrol import views_into

        return views_into(self, geometry, self.healthy_mask(healthy))
