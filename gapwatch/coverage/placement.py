"""Placement suggestions: where a new camera, or a PTZ camera re-aimed, closes the most blind
ground weighted by zone importance.

Greedy maximum coverage: each round takes the option with the largest gain over what is still
blind, which reaches at least 1 - 1/e of the optimum for new cameras. New-camera gains only
shrink as ground gets covered, so they are re-evaluated lazily; re-aiming a PTZ camera also gives
up the ground only it watched, so those options are re-evaluated every round.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import shapely

from gapwatch.coverage import overlay
from gapwatch.coverage.slivers import drop_slivers, drop_slivers_one
from gapwatch.coverage.types import CameraGeometry
from gapwatch.coverage.views import camera_views

if TYPE_CHECKING:
    from gapwatch.coverage.model import CoverageModel

__all__ = ["CandidateSpec", "Placement", "sample_candidates", "suggest_placements"]

Geometry = Any
PlacementKind = Literal["new_camera", "ptz_preset", "ptz_heading"]

# Candidates closer than this to a building would count as mounted on it and see through it.
_WALL_CLEARANCE_M = 0.5


@dataclass(frozen=True)
class CandidateSpec:
    """The camera a technician would install at a candidate point, and the aims to try."""

    hfov_deg: float = 90.0
    range_m: float = 40.0
    height_m: float | None = None
    tilt_deg: float | None = None
    vfov_deg: float | None = None
    resolution: tuple[int, int] | None = None
    headings_deg: tuple[float, ...] = (0.0, 45.0, 90.0, 135.0, 180.0, 225.0, 270.0, 315.0)


@dataclass(frozen=True)
class Placement:
    """One pick: a new camera (x, y, heading) or an existing PTZ camera moved to a preset or
    heading, with the blind ground it closes at the time it was picked."""

    kind: PlacementKind
    gain_m2: float
    gain_weighted_m2: float
    heading_deg: float
    x: float
    y: float
    camera_id: str | None = None
    preset_id: str | None = None
    geometry: Geometry = field(default=None, repr=False, compare=False)


def sample_candidates(
    model: CoverageModel,
    roads: Sequence[Geometry] = (),
    spacing_m: float = 20.0,
) -> list[tuple[float, float]]:
    """Candidate mounting points every `spacing_m` along roads and zone edges, clear of walls."""
    if spacing_m <= 0.0:
        raise ValueError(f"candidate spacing must be positive, got {spacing_m}")
    lines: list[Geometry] = [r for r in roads if r is not None and not r.is_empty]
    for zone in model.zones:
        for part in shapely.get_parts(zone.polygon):
            if part.geom_type == "Polygon":
                lines.append(part.exterior)
    points: list[tuple[float, float]] = []
    for line in lines:
        length = float(line.length)
        count = max(1, math.floor(length / spacing_m))
        distances = (np.arange(count) + 0.5) * (length / count)
        coords = shapely.get_coordinates(shapely.line_interpolate_point(line, distances))
        points.extend((float(x), float(y)) for x, y in coords)
    if not points:
        return []
    arr = shapely.points(np.array(points))
    obstacles = model.obstacles.union
    if obstacles is not None and not obstacles.is_empty:
        clear = shapely.distance(arr, obstacles) >= _WALL_CLEARANCE_M
        points = [p for p, ok in zip(points, clear, strict=True) if ok]
    return sorted(set(points))


class _BlindState:
    """Still-blind ground cut into square tiles per zone, so a candidate view is weighed against
    the few small tiles it touches rather than against a whole zone's blind region."""

    def __init__(
        self, model: CoverageModel, mask: np.ndarray[Any, np.dtype[np.bool_]], tile_m: float
    ) -> None:
        self.model = model
        zone_of: list[int] = []
        cells: list[Geometry] = []
        pieces: list[Geometry] = []
        for z in range(len(model.zones)):
            blind = model.zone_blind(z, mask)
            if blind.is_empty:
                continue
            minx, miny, maxx, maxy = model.zones[z].polygon.bounds
            xs, ys = np.meshgrid(np.arange(minx, maxx, tile_m), np.arange(miny, maxy, tile_m))
            boxes = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + tile_m, ys.ravel() + tile_m)
            zone_of.extend([z] * len(boxes))
            cells.extend(boxes)
            pieces.extend(drop_slivers(overlay.intersection(blind, boxes)))
        self.zone_of = np.array(zone_of, dtype=np.intp)
        self.cells = _array(cells)
        self.blind = _array(pieces)
        self.weights = np.array([z.importance for z in model.zones], dtype=float)
        # The tree indexes the fixed cells; the blind pieces inside them change as picks are made.
        self.tree = shapely.STRtree(self.cells)

    def gains(self, views: np.ndarray[Any, np.dtype[np.object_]]) -> tuple[Any, Any]:
        """(m², weighted m²) of blind ground each view would see."""
        plain = np.zeros(len(views))
        weighted = np.zeros(len(views))
        if len(views) == 0 or len(self.cells) == 0:
            return plain, weighted
        view_idx, tile_idx = self.tree.query(views, predicate="intersects")
        if len(view_idx):
            areas = shapely.area(overlay.intersection(views[view_idx], self.blind[tile_idx]))
            np.add.at(plain, view_idx, areas)
            np.add.at(weighted, view_idx, areas * self.weights[self.zone_of[tile_idx]])
        return plain, weighted

    def cover(self, view: Geometry) -> None:
        """The view's ground is watched from now on."""
        hits = self.tree.query(view, predicate="intersects")
        self.blind[hits] = drop_slivers(overlay.difference(self.blind[hits], view))

    def uncover(self, ground: Geometry) -> None:
        """The zone ground within `ground` is blind from now on."""
        for t in self.tree.query(ground, predicate="intersects"):
            zone = self.model.zones[int(self.zone_of[t])].polygon
            piece = overlay.intersection(overlay.intersection(ground, self.cells[t]), zone)
            self.blind[t] = drop_slivers_one(overlay.union(self.blind[t], piece))

    def weigh(self, ground: Geometry) -> tuple[float, float]:
        """(m², weighted m²) of the zone ground within `ground`, blind or not."""
        plain = weighted = 0.0
        if ground.is_empty:
            return plain, weighted
        for z in self.model.zones_touching(ground):
            area = float(overlay.intersection(ground, self.model.zones[int(z)].polygon).area)
            plain += area
            weighted += area * self.weights[int(z)]
        return plain, weighted


def _array(items: list[Geometry]) -> np.ndarray[Any, np.dtype[np.object_]]:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


@dataclass
class _Aim:
    camera_index: int
    kind: PlacementKind
    preset_id: str | None
    heading_deg: float
    view: Geometry


def _ptz_options(
    model: CoverageModel,
    mask: np.ndarray[Any, np.dtype[np.bool_]],
    heading_step_deg: float | None,
) -> list[_Aim]:
    options: list[_Aim] = []
    for i, cam in enumerate(model.cameras):
        if not cam.presets or not mask[i]:
            continue
        for preset in cam.presets:
            view = model.preset_views[(cam.id, preset.id)].geometry
            options.append(_Aim(i, "ptz_preset", preset.id, preset.heading_deg, view))
        if heading_step_deg:
            count = max(1, round(360.0 / heading_step_deg))
            aims = [
                CameraGeometry(
                    cam.id,
                    cam.x,
                    cam.y,
                    k * 360.0 / count,
                    cam.hfov_deg,
                    cam.range_m,
                    cam.height_m,
                    cam.tilt_deg,
                    cam.vfov_deg,
                    cam.resolution,
                    cam.group,
                )
                for k in range(count)
            ]
            for aim, view in zip(aims, camera_views(aims, model.obstacles), strict=True):
                options.append(_Aim(i, "ptz_heading", None, aim.heading_deg, view))
    return options


def _current_view(model: CoverageModel, i: int, aims: dict[int, _Aim]) -> Geometry:
    return aims[i].view if i in aims else model.views[model.camera_ids[i]].geometry


def _only_seen_by(
    model: CoverageModel,
    i: int,
    mask: np.ndarray[Any, np.dtype[np.bool_]],
    aims: dict[int, _Aim],
    added: list[Geometry],
) -> Geometry:
    """Ground camera `i` (as currently aimed) sees and no other camera or pick does."""
    own = _current_view(model, i, aims)
    near = {int(j) for j in model.cameras_seeing(own) if mask[j]} | set(aims)
    near.discard(i)
    others = [v for v in (_current_view(model, j, aims) for j in near) if v.intersects(own)]
    others.extend(v for v in added if v.intersects(own))
    if not others:
        return own
    return drop_slivers_one(overlay.difference(own, overlay.union_all(others)))


def suggest_placements(
    model: CoverageModel,
    *,
    healthy: Collection[str] | None = None,
    count: int = 5,
    candidates: Sequence[tuple[float, float]] | None = None,
    spec: CandidateSpec | None = None,
    roads: Sequence[Geometry] = (),
    spacing_m: float = 20.0,
    reaim: bool = True,
    heading_step_deg: float | None = 30.0,
    tile_m: float = 50.0,
) -> list[Placement]:
    """Greedy picks of new cameras and PTZ re-aims, each with its gain in weighted m²."""
    spec = spec or CandidateSpec()
    mask = model.healthy_mask(healthy)
    state = _BlindState(model, mask, tile_m)
    points = (
        list(candidates) if candidates is not None else sample_candidates(model, roads, spacing_m)
    )
    news = [
        CameraGeometry(
            f"candidate-{k}",
            x,
            y,
            heading,
            spec.hfov_deg,
            spec.range_m,
            spec.height_m,
            spec.tilt_deg,
            spec.vfov_deg,
            spec.resolution,
        )
        for k, (x, y) in enumerate(points)
        for heading in spec.headings_deg
    ]
    new_views = camera_views(news, model.obstacles)
    ptz = _ptz_options(model, mask, heading_step_deg) if reaim else []
    aims: dict[int, _Aim] = {}
    added: list[Geometry] = []
    taken: set[int] = set()
    picks: list[Placement] = []
    heap = _fresh_heap(state, new_views, taken)
    candidate_tree = shapely.STRtree(new_views)
    while len(picks) < count:
        best_new = _pop_lazy(state, new_views, heap, taken)
        best_ptz: tuple[float, float, _Aim, Geometry] | None = None
        losses: dict[int, Geometry] = {}
        for option in ptz:
            if option.camera_index in aims:
                continue  # each PTZ camera is re-aimed once: one suggestion per camera
            if option.camera_index not in losses:
                losses[option.camera_index] = _only_seen_by(
                    model, option.camera_index, mask, aims, added
                )
            lost = losses[option.camera_index]
            plain, weighted = state.gains(_one(option.view))
            # Ground only this camera watched goes blind unless the new aim still sees it.
            lost_plain, lost_weighted = state.weigh(overlay.difference(lost, option.view))
            gain_w = float(weighted[0]) - lost_weighted
            if best_ptz is None or gain_w > best_ptz[0]:
                best_ptz = (gain_w, float(plain[0]) - lost_plain, option, lost)
        new_gain = best_new[0] if best_new is not None else 0.0
        if best_ptz is not None and best_ptz[0] > max(new_gain, 1e-9):
            gain_w, gain_m2, option, lost = best_ptz
            state.uncover(lost)
            state.cover(option.view)
            aims[option.camera_index] = option
            cam = model.cameras[option.camera_index]
            picks.append(
                Placement(
                    option.kind,
                    gain_m2,
                    gain_w,
                    option.heading_deg,
                    cam.x,
                    cam.y,
                    cam.id,
                    option.preset_id,
                    option.view,
                )
            )
            if best_new is not None:
                heapq.heappush(heap, (-best_new[0], best_new[2]))
            # Ground the camera gave up is blind again: candidates seeing it may gain more than
            # their bounds say, so they get fresh entries (the stale ones are refreshed on pop).
            touched = np.array(
                [k for k in candidate_tree.query(lost, predicate="intersects") if k not in taken],
                dtype=np.intp,
            )
            if len(touched):
                _, again = state.gains(new_views[touched])
                for k, w in zip(touched, again, strict=True):
                    if w > 0.0:
                        heapq.heappush(heap, (-float(w), int(k)))
            continue
        if best_new is None or new_gain <= 1e-9:
            break
        gain_w, gain_m2, k = best_new
        taken.add(k)
        state.cover(new_views[k])
        added.append(new_views[k])
        cam = news[k]
        picks.append(
            Placement(
                "new_camera", gain_m2, gain_w, cam.heading_deg, cam.x, cam.y, geometry=new_views[k]
            )
        )
    return picks


def _one(geometry: Geometry) -> np.ndarray[Any, np.dtype[np.object_]]:
    arr = np.empty(1, dtype=object)
    arr[0] = geometry
    return arr


def _fresh_heap(
    state: _BlindState, views: np.ndarray[Any, np.dtype[np.object_]], taken: set[int]
) -> list[tuple[float, int]]:
    _, weighted = state.gains(views)
    heap = [(-float(w), k) for k, w in enumerate(weighted) if w > 0.0 and k not in taken]
    heapq.heapify(heap)
    return heap


def _pop_lazy(
    state: _BlindState,
    views: np.ndarray[Any, np.dtype[np.object_]],
    heap: list[tuple[float, int]],
    taken: set[int],
) -> tuple[float, float, int] | None:
    """The candidate with the largest current gain; stale bounds are refreshed on the way."""
    while heap:
        _, k = heapq.heappop(heap)
        if k in taken:
            continue
        plain, weighted = state.gains(_one(views[k]))
        gain = float(weighted[0])
        if not heap or gain >= -heap[0][0] - 1e-9:
            return gain, float(plain[0]), k
        if gain > 0.0:
            heapq.heappush(heap, (-gain, k))
    return None
