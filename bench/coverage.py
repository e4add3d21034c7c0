"""Coverage engine benchmark: a synthetic site against the straightforward computation.

    .venv/bin/python bench/coverage.py            # 5,000 cameras, 40 zones, 2,000 buildings
    .venv/bin/python bench/coverage.py --small    # 400 cameras, 10 zones, 120 buildings

Prints the full computation time (views + coverage of every zone), one failure gap (average),
one live take_down (average), peak memory, and the ratio against a baseline measured in the
same run: one sector per camera with the shadows of EVERY building, then union, then difference.
"""

from __future__ import annotations

import argparse
import math
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

from gapwatch.coverage import CameraGeometry, CoverageModel, PresetGeometry, ZoneShape
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


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--small", action="store_true", help="a small site that runs in seconds")
    parser.add_argument("--cameras", type=int)
    parser.add_argument("--zones", type=int)
    parser.add_argument("--buildings", type=int)
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=None,
        help="cameras whose baseline views are computed (the rest extrapolated per camera); "
        "default: all with --small, 100 otherwise",
    )
    args = parser.parse_args()
    cams = args.cameras or (400 if args.small else 5000)
    zones = args.zones or (10 if args.small else 40)
    buildings = args.buildings or (120 if args.small else 2000)
    sample = min(cams, args.baseline_sample or (cams if args.small else 100))

    site = synthetic_site(cams, zones, buildings)
    print(f"site: {cams} cameras, {zones} zones, {buildings} buildings (seed 7)")

    # Warm up imports and GEOS once so the first measurement is not charged for them.
    CoverageModel.build(site.zones[:1], site.buildings[:5], site.cameras[:5]).compute()

    build_s, model = timed(
        lambda: CoverageModel.build(site.zones, site.buildings, site.cameras, min_blind_area_m2=2.0)
    )
    plain_s, result = timed(lambda: model.compute(overlap=False))
    overlap_s, _ = timed(lambda: model.compute(overlap=True))
    neighbours_s, _ = timed(lambda: model.neighbours)
    full_s = build_s + plain_s
    print(f"build views (sectors, dead zones, shadows, indexes): {build_s * 1000:8.1f} ms")
    print(f"compute() coverage + blind spots:                     {plain_s * 1000:8.1f} ms")
    print(f"full computation (build + compute):                   {full_s * 1000:8.1f} ms")
    print(f"compute(overlap=True) (adds ground seen twice):        {overlap_s * 1000:8.1f} ms")
    print(f"neighbour index (once, first failure gap):            {neighbours_s * 1000:8.1f} ms")
    print(
        f"coverage: {result.covered_m2:,.0f} of {result.area_m2:,.0f} m² "
        f"({result.coverage_ratio:.1%}), {len(result.blind_spots)} blind spots"
    )

    rng = random.Random(11)
    picks = [c.id for c in rng.sample(site.cameras, min(500, cams))]
    fresh = CoverageModel.build(site.zones, site.buildings, site.cameras)
    _ = fresh.neighbours
    gap_times = []
    for cid in picks:
        t, _ = timed(lambda cid=cid: fresh.failure_gap(cid))
        gap_times.append(t)
    print(
        f"one failure gap: mean {statistics.mean(gap_times) * 1000:.3f} ms, "
        f"median {statistics.median(gap_times) * 1000:.3f} ms "
        f"over {len(picks)} cameras (cold cache)"
    )
    live = fresh.live()
    down_times = []
    up_times = []
    for cid in picks:
        t, _ = timed(lambda cid=cid: live.take_down([cid]))
        down_times.append(t)
        t, _ = timed(lambda cid=cid: live.bring_up([cid]))
        up_times.append(t)
    print(
        f"live take_down one camera: mean {statistics.mean(down_times) * 1000:.3f} ms, "
        f"bring_up: mean {statistics.mean(up_times) * 1000:.3f} ms"
    )
    pole = [c.id for c in site.cameras if c.group == "pole-3"]
    t, change = timed(lambda: live.take_down(pole))
    print(
        f"live take_down a pole of {len(pole)}: {t * 1000:.3f} ms "
        f"({change.area_m2:.0f} m² unwatched)"
    )
    t, ranked = timed(lambda: fresh.failure_gaps())
    print(
        f"failure_gaps() ranking of all cameras: {t * 1000:.1f} ms (worst: {ranked[0].camera_id})"
    )

    tracemalloc.start()
    model2 = CoverageModel.build(site.zones, site.buildings, site.cameras)
    model2.compute()
    _ = model2.neighbours
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"peak memory: Python objects {peak / 2**20:.1f} MiB (tracemalloc, build + compute + "
        f"neighbours); process max RSS so far {max_rss_mib():.0f} MiB "
        f"(site generation included; GEOS memory is only in RSS)"
    )

    chosen = site.cameras[:sample]
    base_views_s, base_views = timed(lambda: baseline_views(site, chosen))
    per_camera = base_views_s / len(chosen)
    mismatch = max(
        (b.symmetric_difference(e).area for b, e in zip(base_views, model._view_arr, strict=False)),
        default=0.0,
    )
    print(f"baseline and engine views of {len(chosen)} cameras differ by at most {mismatch:.2e} m²")
    if sample < cams:
        # Union and difference still run on all views (the engine's, same geometry) so the
        # baseline's second half is measured, not extrapolated.
        all_views = list(model._view_arr)
        base_union_s, _ = timed(lambda: baseline_coverage(site, all_views))
        baseline_s = per_camera * cams + base_union_s
        note = f"(views: {len(chosen)} cameras measured, {per_camera * 1000:.2f} ms each, x{cams})"
    else:
        base_union_s, covered = timed(lambda: baseline_coverage(site, base_views))
        baseline_s = base_views_s + base_union_s
        engine = sum(z.covered_m2 for z in result.zones)
        note = f"(covered m² baseline {sum(covered):,.0f} vs engine {engine:,.0f})"
    print(
        f"baseline: {baseline_s:.2f} s = views {baseline_s - base_union_s:.2f} s "
        f"+ union/difference {base_union_s:.2f} s {note}"
    )
    print(f"speed-up of the full computation against the baseline: {baseline_s / full_s:.1f}x")


if __name__ == "__main__":
    main()
