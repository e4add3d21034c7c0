"""Coverage engine benchmark: a synthetic site against the straightforward computation.

    .venv/bin/python bench/coverage.py            # 5,000 cameras, 40 zones, 2,000 buildings
    .venv/bin/python bench/coverage.py --small    # 400 cameras, 10 zones, 120 buildings
    .venv/bin/python bench/coverage.py --province --runs 1  # 50,000 cameras, 400 zones, 20,000 bldg
    .venv/bin/python bench/coverage.py --grid-only          # every overlay on the 1 mm grid

Prints the full computation time (views + coverage of every zone; best of --runs, on the default
threads and on one), one failure gap and one live take_down (per-call spread), peak memory, and
ratios against baselines measured in the same run:
- the straightforward way: one sector per camera with the shadows of EVERY building, then union,
  then difference (per-camera cost measured on --baseline-sample cameras, times the camera count);
- a stronger one: shadows only of the buildings each sector touches (brute force, no index),
  then one union of all views, then each zone's covered area (fully measured).
Times are given as wall time and as this process's CPU time: on a shared machine the CPU time is
what the work costs, the wall time also counts waiting for the cores.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from gapwatch.coverage import (
    CameraGeometry,
    CoverageModel,
    CoverageResult,
    PresetGeometry,
    ZoneShape,
    overlay,
)
from gapwatch.coverage.views import ObstacleIndex, ground_limits, sectors, shadows


@dataclass(frozen=True)
class Synthetic:
    zones: list[ZoneShape]
    buildings: list[Any]
    cameras: list[CameraGeometry]


def synthetic_site(cameras: int, zones: int, buildings: int, seed: int = 7) -> Synthetic:
    """Zones on a grid with gaps between them, buildings and cameras scattered inside zones."""
    rng = random.Random(seed)
    cols = math.ceil(math.sqrt(zones * 1.6))
    cell = 520.0
    zone_shapes = []
    for k in range(zones):
        cx, cy = (k % cols) * cell, (k // cols) * cell
        w, h = rng.uniform(330, 470), rng.uniform(330, 470)
        # A skewed quadrilateral: not axis-aligned, like a real scenic-area boundary.
        pts = [
            (cx + rng.uniform(-20, 20), cy + rng.uniform(-20, 20)),
            (cx + w + rng.uniform(-20, 20), cy + rng.uniform(-20, 20)),
            (cx + w + rng.uniform(-20, 20), cy + h + rng.uniform(-20, 20)),
            (cx + rng.uniform(-20, 20), cy + h + rng.uniform(-20, 20)),
        ]
        zone_shapes.append(
            ZoneShape(f"zone-{k}", f"Zone {k}", rng.randint(1, 5), shapely.Polygon(pts))
        )
    boxes = []
    while len(boxes) < buildings:
        zone = zone_shapes[rng.randrange(zones)].polygon
        minx, miny, maxx, maxy = zone.bounds
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        w, h = rng.uniform(8, 30), rng.uniform(6, 20)
        box = shapely.affinity.rotate(
            shapely.box(x - w / 2, y - h / 2, x + w / 2, y + h / 2), rng.uniform(0, 90)
        )
        if rng.random() < 0.15:  # some L-shaped buildings (not convex)
            box = box.difference(shapely.box(x, y, x + w, y + h))
        boxes.append(box)
    blocked = shapely.STRtree(boxes)
    cams = []
    while len(cams) < cameras:
        zone = zone_shapes[rng.randrange(zones)].polygon
        minx, miny, maxx, maxy = zone.bounds
        x, y = rng.uniform(minx - 10, maxx + 10), rng.uniform(miny - 10, maxy + 10)
        if len(blocked.query(shapely.Point(x, y).buffer(0.5), predicate="intersects")):
            continue
        i = len(cams)
        kind = rng.random()
        hfov = 360.0 if kind < 0.05 else rng.uniform(40, 110)
        tall = rng.random() < 0.5
        presets: tuple[PresetGeometry, ...] = ()
        if rng.random() < 0.05:
            presets = tuple(
                PresetGeometry(
                    f"p{j}", rng.uniform(0, 360), rng.uniform(20, 60), rng.uniform(60, 120)
                )
                for j in range(3)
            )
        cams.append(
            CameraGeometry(
                id=f"cam-{i:05d}",
                x=x,
                y=y,
                heading_deg=rng.uniform(0, 360),
                hfov_deg=hfov,
                range_m=rng.uniform(25, 70),
                height_m=rng.uniform(3, 8) if tall else None,
                tilt_deg=rng.uniform(10, 30) if tall else None,
                vfov_deg=rng.uniform(30, 50) if tall else None,
                resolution=(1920, 1080) if rng.random() < 0.5 else None,
                group=f"pole-{i // 12}",
                presets=presets,
            )
        )
    return Synthetic(zone_shapes, boxes, cams)


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float  # this process only: what the work costs when the machine is shared

    def __str__(self) -> str:
        return f"{self.wall_s * 1000:8.1f} ms wall {self.cpu_s * 1000:8.1f} ms cpu"


def timed(fn: Callable[[], Any]) -> tuple[Timing, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu), result


def spread(timings: list[Timing]) -> str:
    wall = [t.wall_s * 1000 for t in timings]
    cpu = [t.cpu_s * 1000 for t in timings]
    return (
        f"cpu mean {statistics.mean(cpu):.3f} ms, median {statistics.median(cpu):.3f} ms, "
        f"max {max(cpu):.3f} ms; wall mean {statistics.mean(wall):.3f} ms, "
        f"median {statistics.median(wall):.3f} ms"
    )


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[Timing, Any]:
    """The fastest of several runs (the one least disturbed by other processes)."""
    results = [timed(fn) for _ in range(runs)]
    return min(results, key=lambda r: r[0].wall_s)


def baseline_views(site: Synthetic, cameras: list[CameraGeometry]) -> list[Any]:
    """The straightforward way: each camera's sector minus the shadows of every building.

    Shadows use the same convex pieces and the same vectorised hull as the engine, so the
    difference measured is the engine's organisation (spatial index, grouped unions), not a
    slower shadow formula.
    """
    pieces = ObstacleIndex.build(site.buildings)
    views = []
    for cam, fov in zip(cameras, sectors(cameras), strict=True):
        count = len(pieces.pieces)
        origin = np.repeat(np.array([[cam.x, cam.y]]), count, axis=0)
        reach = np.full(count, ground_limits(cam)[1])
        blocked = shadows(origin, reach, pieces.vertices)
        views.append(fov.difference(shapely.union_all(blocked)))
    return views


def baseline_coverage(site: Synthetic, views: list[Any]) -> list[float]:
    seen = shapely.union_all(views)
    obstacles = shapely.union_all(site.buildings)
    covered = []
    for zone in site.zones:
        ground = zone.polygon.difference(obstacles)
        covered.append(ground.intersection(seen).area)
    return covered


def filtered_baseline(site: Synthetic) -> list[float]:
    """A stronger baseline: per camera, shadows only of the buildings its sector touches
    (a brute-force intersects test over all of them, no spatial index), then one union of all
    views and each zone's covered area from it."""
    pieces = ObstacleIndex.build(site.buildings)
    # Blockers are looked for over the whole fan from the camera (a building inside the dead
    # zone still hides what is behind it), as the engine does.
    limits = np.array([(0.0, ground_limits(c)[1]) for c in site.cameras])
    fans = sectors(site.cameras, limits=limits)
    views = []
    for cam, fov, fan in zip(site.cameras, sectors(site.cameras), fans, strict=True):
        near = np.flatnonzero(shapely.intersects(fan, pieces.pieces))
        if len(near) == 0:
            views.append(fov)
            continue
        origin = np.repeat(np.array([[cam.x, cam.y]]), len(near), axis=0)
        reach = np.full(len(near), ground_limits(cam)[1])
        blocked = shadows(origin, reach, pieces.vertices[near])
        views.append(fov.difference(shapely.union_all(blocked)))
    return baseline_coverage(site, views)


def sampled_filtered_baseline(
    site: Synthetic, zone_sample: list[int], blocked_ground: Any
) -> tuple[list[float], int]:
    """The stronger baseline on some zones only: the cameras whose fan reaches one of them,
    each with the shadows of the buildings its fan touches (brute force over all buildings),
    then one union and those zones' covered areas (`blocked_ground`: the union of all
    buildings, made once for the whole site). Returns (covered m² per zone, cameras)."""
    pieces = ObstacleIndex.build(site.buildings)
    zones = [site.zones[k] for k in zone_sample]
    outlines = np.array([z.polygon for z in zones], dtype=object)
    limits = np.array([(0.0, ground_limits(c)[1]) for c in site.cameras])
    fans = sectors(site.cameras, limits=limits)
    # Which cameras matter is found the straightforward way too: every fan against every zone.
    reach = np.flatnonzero(shapely.intersects(fans[:, None], outlines[None, :]).any(axis=1))
    cameras = [site.cameras[int(k)] for k in reach]
    views = []
    for cam, fov, fan in zip(cameras, sectors(cameras), fans[reach], strict=True):
        near = np.flatnonzero(shapely.intersects(fan, pieces.pieces))
        if len(near) == 0:
            views.append(fov)
            continue
        origin = np.repeat(np.array([[cam.x, cam.y]]), len(near), axis=0)
        far = np.full(len(near), ground_limits(cam)[1])
        blocked = shadows(origin, far, pieces.vertices[near])
        views.append(fov.difference(shapely.union_all(blocked)))
    seen = shapely.union_all(views)
    covered = [z.polygon.difference(blocked_ground).intersection(seen).area for z in zones]
    return covered, len(cameras)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--small", action="store_true", help="a small site that runs in seconds")
    parser.add_argument(
        "--province",
        action="store_true",
        help="province scale: 50,000 cameras, 400 zones, 20,000 buildings (stronger baseline and "
        "overlap left out: they take minutes)",
    )
    parser.add_argument(
        "--grid-only",
        action="store_true",
        help="run every overlay on the 1 mm grid (snap rounding) instead of floating first",
    )
    parser.add_argument("--cameras", type=int)
    parser.add_argument("--zones", type=int)
    parser.add_argument("--buildings", type=int)
    parser.add_argument("--runs", type=int, default=3, help="runs of the full computation")
    parser.add_argument(
        "--baseline-zones",
        type=int,
        default=20,
        help="with --province: zones the stronger baseline runs on (its time scaled to all)",
    )
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=None,
        help="cameras whose baseline views are computed (the rest extrapolated per camera); "
        "default 60 with --small, 100 otherwise; give the camera count to run it all",
    )
    args = parser.parse_args()
    if args.grid_only:
        overlay.FLOATING_FIRST = False
    cams = args.cameras or (400 if args.small else 50_000 if args.province else 5000)
    zones = args.zones or (10 if args.small else 400 if args.province else 40)
    buildings = args.buildings or (120 if args.small else 20_000 if args.province else 2000)
    default_sample = 60 if args.small else 10 if args.province else 100
    sample = min(cams, args.baseline_sample or default_sample)

    site = synthetic_site(cams, zones, buildings)
    mode = "every overlay on the 1 mm grid" if args.grid_only else "floating first, grid on failure"
    print(f"site: {cams} cameras, {zones} zones, {buildings} buildings (seed 7); {mode}")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    # Warm up imports and GEOS once so the first measurement is not charged for them.
    CoverageModel.build(site.zones[:1], site.buildings[:5], site.cameras[:5]).compute()

    def full() -> tuple[CoverageModel, CoverageResult]:
        model = CoverageModel.build(site.zones, site.buildings, site.cameras)
        return model, model.compute(overlap=False)

    def full_one_thread() -> None:
        CoverageModel.build(site.zones, site.buildings, site.cameras, workers=1).compute(
            overlap=False
        )

    full_t, (model, result) = best_of(args.runs, full)
    single_t, _ = best_of(args.runs, full_one_thread)
    build_t, _ = best_of(
        args.runs, lambda: CoverageModel.build(site.zones, site.buildings, site.cameras)
    )
    compute_t, _ = best_of(args.runs, lambda: model.compute(overlap=False))
    neighbours_t, _ = timed(lambda: model.neighbours)
    overlap_t = None if args.province else timed(lambda: model.compute(overlap=True))[0]
    print(
        f"full computation (build views + compute), best of {args.runs}, "
        f"{model.workers} threads: {full_t}"
    )
    print(f"  the same on one thread:                              {single_t}")
    print(f"  build views (sectors, dead zones, shadows, indexes): {build_t}")
    print(f"  compute() coverage + blind spots per zone:           {compute_t}")
    print(f"neighbour index (once, before the first failure gap): {neighbours_t}")
    if overlap_t is not None:
        print(f"compute(overlap=True) (adds ground seen twice):       {overlap_t}")
    print(
        f"coverage: {result.covered_m2:,.0f} of {result.area_m2:,.0f} m² "
        f"({result.coverage_ratio:.1%}), {len(result.blind_spots)} blind spots"
    )

    rng = random.Random(11)
    picks = [c.id for c in rng.sample(site.cameras, min(500, cams))]
    gaps = [timed(lambda cid=cid: model.failure_gap(cid))[0] for cid in picks]
    print(f"one failure gap (first call per camera, {len(picks)} cameras): {spread(gaps)}")
    # A fresh model for live changes, so no per-camera cache is warm from the failure gaps.
    fresh = CoverageModel.build(site.zones, site.buildings, site.cameras)
    live = fresh.live()
    down = [timed(lambda cid=cid: live.take_down([cid]))[0] for cid in picks]
    up = [timed(lambda cid=cid: live.bring_up([cid]))[0] for cid in picks]
    print(f"live take_down one camera: {spread(down)}")
    print(f"live bring_up one camera:  {spread(up)}")
    pole = [c.id for c in site.cameras if c.group == "pole-3"]
    pole_t, change = timed(lambda: live.take_down(pole))
    print(f"live take_down a pole of {len(pole)}: {pole_t} ({change.area_m2:.0f} m² unwatched)")
    blind_t, _ = timed(live.blind_spots)
    print(f"live blind_spots() after the pole went down: {blind_t}")
    ranked_t, ranked = timed(model.failure_gaps)
    print(f"failure_gaps() of all cameras, ranked: {ranked_t} (worst {ranked[0].camera_id})")

    tracemalloc.start()
    again = CoverageModel.build(site.zones, site.buildings, site.cameras)
    again.compute()
    _ = again.neighbours
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"peak memory: Python objects {peak / 2**20:.1f} MiB (tracemalloc, build + compute + "
        f"neighbours); process max RSS {max_rss_mib():.0f} MiB so far "
        "(site generation included; GEOS allocations show only in RSS)"
    )

    chosen = site.cameras[:sample]
    base_t, base_views = timed(lambda: baseline_views(site, chosen))
    mismatch = max(
        (b.symmetric_difference(e).area for b, e in zip(base_views, model._view_arr, strict=False)),
        default=0.0,
    )
    print(f"baseline and engine views of {len(chosen)} cameras differ by at most {mismatch:.2e} m²")
    if sample < cams:
        # Union and difference run on all views (the engine's: the same geometry, checked above)
        # so the baseline's second half is measured, not extrapolated.
        union_t, _ = timed(lambda: baseline_coverage(site, list(model._view_arr)))
        scale = cams / len(chosen)
        note = (
            f"views of {len(chosen)} cameras measured, "
            f"{base_t.cpu_s / len(chosen) * 1000:.1f} ms cpu each, x {cams}"
        )
    else:
        union_t, covered = timed(lambda: baseline_coverage(site, base_views))
        scale = 1.0
        note = f"covered m²: baseline {sum(covered):,.0f}, engine {result.covered_m2:,.0f}"
    base_wall = base_t.wall_s * scale + union_t.wall_s
    base_cpu = base_t.cpu_s * scale + union_t.cpu_s
    print(
        f"baseline: {base_wall:.2f} s wall, {base_cpu:.2f} s cpu = views "
        f"{base_t.cpu_s * scale:.2f} s + union/difference {union_t.cpu_s:.2f} s cpu ({note})"
    )
    print(
        "speed-up of the full computation against the baseline: "
        f"{base_cpu / full_t.cpu_s:.1f}x by cpu time, {base_wall / full_t.wall_s:.1f}x by wall time"
    )
    if args.province:
        # The whole stronger baseline takes too long here: run it on a random sample of zones
        # and scale its time by zones / sampled zones (cameras are spread evenly over zones).
        zone_rng = random.Random(13)
        picked = sorted(zone_rng.sample(range(zones), min(zones, args.baseline_zones)))
        union_t, blocked = timed(lambda: shapely.union_all(site.buildings))
        sampled_t, (covered, reached) = timed(
            lambda: sampled_filtered_baseline(site, picked, blocked)
        )
        factor = zones / len(picked)
        scaled_wall = sampled_t.wall_s * factor + union_t.wall_s
        scaled_cpu = sampled_t.cpu_s * factor + union_t.cpu_s
        engine = {z.id: z.covered_m2 for z in result.zones}
        worst = max(
            abs(c - engine[site.zones[k].id]) / max(1.0, site.zones[k].polygon.area)
            for k, c in zip(picked, covered, strict=True)
        )
        print(
            f"stronger baseline on {len(picked)} random zones of {zones} ({reached} cameras reach "
            f"them): {sampled_t}; scaled x {factor:.0f}, plus the union of all buildings once "
            f"({union_t.cpu_s:.2f} s cpu): {scaled_wall:.1f} s wall, {scaled_cpu:.1f} s cpu "
            "(an estimate from a sample, not a full run)"
        )
        print(f"  covered m² of those zones agree with the engine within {worst:.2%} of zone area")
        print(
            "speed-up against the stronger baseline (scaled): "
            f"{scaled_cpu / full_t.cpu_s:.1f}x by cpu time, "
            f"{scaled_wall / full_t.wall_s:.1f}x by wall time"
        )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return
    filtered_t, covered = timed(lambda: filtered_baseline(site))
    print(
        f"stronger baseline (only buildings each sector touches, brute force; one union): "
        f"{filtered_t} (covered m² {sum(covered):,.0f})"
    )
    print(
        "speed-up against the stronger baseline: "
        f"{filtered_t.cpu_s / full_t.cpu_s:.1f}x by cpu time, "
        f"{filtered_t.wall_s / full_t.wall_s:.1f}x by wall time"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
