"""Terrain benchmark: the coverage engine with and without a DEM, and the terrain line of sight
against a straightforward per-cell computation, all in one run.

    .venv/bin/python bench/terrain.py                 # 50,000 cameras, 400 zones, 20,000 buildings
    .venv/bin/python bench/terrain.py --small         # 2,000 cameras, 40 zones, 800 buildings

The site is bench/coverage.py's synthetic one laid over rolling hills (a 10 m DEM, the
resolution of the national 1:50,000 DEM and of ALOS/Copernicus-class data). Printed:
- the full computation (views + coverage of every zone) with terrain off and on, best of --runs;
  the difference per camera is what terrain costs;
- the terrain step alone (sweep, polygonise, cut) per camera;
- the straightforward baseline on --baseline-sample cameras: every DEM cell centre inside the
  sector is tested by marching its own sight line, and the seen cells are unioned as squares;
  its cost per camera against the terrain step's, as a ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from gapwatch.coverage import CameraGeometry, CoverageModel
from gapwatch.coverage.terrain import Terrain, cut_terrain_shadows
from gapwatch.coverage.views import ground_limits_of, sectors
from gapwatch.site.dem import Elevation

_HERE = Path(__file__).resolve().parent


def _coverage_bench() -> Any:
    """bench/coverage.py as a module (its synthetic site and timers)."""
    spec = importlib.util.spec_from_file_location("bench_coverage", _HERE / "coverage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_coverage"] = module
    spec.loader.exec_module(module)
    return module


def rolling_hills(bounds: tuple[float, float, float, float], cell: float, seed: int) -> Elevation:
    """Hills 20-60 m high and 80-400 m across, with a few ridges, over `bounds` (metres)."""
    rng = np.random.default_rng(seed)
    west, south, east, north = bounds
    cols, rows = math.ceil((east - west) / cell), math.ceil((north - south) / cell)
    x = west + cell * (np.arange(cols) + 0.5)
    y = north - cell * (np.arange(rows) + 0.5)
    heights = np.full((rows, cols), 1800.0, dtype=np.float32)
    area = (east - west) * (north - south)
    for _ in range(int(area / 250_000.0)):
        cx, cy = rng.uniform(west, east), rng.uniform(south, north)
        sx, sy = rng.uniform(40.0, 200.0), rng.uniform(40.0, 200.0)
        height = rng.uniform(20.0, 60.0)
        # Each hill only touches the rows and columns within 4 sigma of it.
        j0, j1 = np.searchsorted(x, [cx - 4 * sx, cx + 4 * sx])
        i0, i1 = np.searchsorted(-y, [-(cy + 4 * sy), -(cy - 4 * sy)])
        gx, gy = np.meshgrid(x[j0:j1], y[i0:i1])
        bump = height * np.exp(-((gx - cx) ** 2) / (2 * sx**2) - ((gy - cy) ** 2) / (2 * sy**2))
        heights[i0:i1, j0:j1] += bump.astype(np.float32)
    return Elevation(heights=heights, west=west, north=north, cell_m=cell)


def baseline_seen(camera: CameraGeometry, far: float, terrain: Terrain) -> Any:
    """The straightforward way: each DEM cell centre in the sector marched on its own, the seen
    cells unioned as squares."""
    elevation = terrain.elevation
    cell = elevation.cell_m
    west, _, _, north = elevation.bounds
    j = np.arange(
        math.floor((camera.x - far - west) / cell), math.ceil((camera.x + far - west) / cell)
    )
    i = np.arange(
        math.floor((north - camera.y - far) / cell), math.ceil((north - camera.y + far) / cell)
    )
    gx, gy = np.meshgrid(west + cell * (j + 0.5), north - cell * (i + 0.5))
    px, py = gx.ravel(), gy.ravel()
    dx, dy = px - camera.x, py - camera.y
    dist = np.hypot(dx, dy)
    off = (np.degrees(np.arctan2(dx, dy)) - camera.heading_deg + 180.0) % 360.0 - 180.0
    inside = (dist <= far) & (dist > 0)
    if camera.hfov_deg < 360.0:
        inside &= np.abs(off) <= camera.hfov_deg / 2.0
    lens = float(terrain.lens([camera])[0])
    seen = np.zeros(len(px), dtype=bool)
    for k in np.flatnonzero(inside):
        steps = max(1, math.ceil(dist[k] / (cell / 2.0)))
        t = np.arange(1, steps) / steps
        z = terrain.ground(camera.x + dx[k] * t, camera.y + dy[k] * t)
        target = float(terrain.ground(np.array([px[k]]), np.array([py[k]]))[0])
        sight = lens + (target - lens) * t
        seen[k] = not (z > sight + 0.01).any()
    squares = [
        shapely.box(px[k] - cell / 2, py[k] - cell / 2, px[k] + cell / 2, py[k] + cell / 2)
        for k in np.flatnonzero(seen)
    ]
    union = shapely.union_all(squares) if squares else shapely.Polygon()
    return union, np.column_stack([px[inside], py[inside]]), seen[inside]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", action="store_true", help="a small site that runs in seconds")
    parser.add_argument("--cameras", type=int)
    parser.add_argument("--runs", type=int, default=2, help="runs of each full computation")
    parser.add_argument("--cell", type=float, default=10.0, help="DEM cell size, metres")
    parser.add_argument("--baseline-sample", type=int, default=40)
    args = parser.parse_args()
    bench = _coverage_bench()
    cameras, zones, buildings = (2_000, 40, 800) if args.small else (50_000, 400, 20_000)
    cameras = args.cameras or cameras
    site = bench.synthetic_site(cameras, zones, buildings)
    everything = shapely.union_all([z.polygon for z in site.zones])
    west, south, east, north = everything.bounds
    margin = 200.0
    elevation = rolling_hills(
        (west - margin, south - margin, east + margin, north + margin), args.cell, 11
    )
    terrain = Terrain(elevation, mount_height_m=3.0)
    print(
        f"site: {len(site.cameras)} cameras, {len(site.zones)} zones, {len(site.buildings)} "
        f"buildings; DEM {elevation.shape[1]}x{elevation.shape[0]} cells of {args.cell:g} m, "
        f"relief {float(elevation.heights.min()):.0f}-{float(elevation.heights.max()):.0f} m"
    )

    def full(with_terrain: bool) -> Any:
        model = CoverageModel.build(
            site.zones, site.buildings, site.cameras, terrain=terrain if with_terrain else None
        )
        return model, model.compute()

    off, (_, result_off) = bench.best_of(args.runs, lambda: full(False))
    on, (_, result_on) = bench.best_of(args.runs, lambda: full(True))
    print(f"full computation, terrain off: {off}")
    print(f"full computation, terrain on:  {on}")
    extra = on.wall_s - off.wall_s
    print(
        f"terrain cost in the full computation: {extra * 1e6 / cameras:.1f} us wall per camera "
        f"({(on.cpu_s - off.cpu_s) * 1e6 / cameras:.1f} us cpu)"
    )
    print(
        f"coverage: {result_off.coverage_ratio:.4f} without terrain, "
        f"{result_on.coverage_ratio:.4f} with"
    )

    # The terrain step alone, on one thread, for every camera.
    limits = ground_limits_of(site.cameras)
    fov = sectors(site.cameras, limits=limits)
    step, cut = bench.best_of(
        args.runs, lambda: cut_terrain_shadows(fov, site.cameras, limits[:, 1], terrain)
    )
    shadowed = int(sum(1 for a, b in zip(fov, cut, strict=True) if a is not b))
    per_camera = step.wall_s / cameras
    print(
        f"terrain step alone (one thread): {step}; {per_camera * 1e6:.1f} us wall, "
        f"{step.cpu_s / cameras * 1e6:.1f} us cpu per camera; "
        f"{shadowed} of {cameras} views lost ground to hills"
    )

    rng = random.Random(3)
    sample = rng.sample(range(cameras), min(args.baseline_sample, cameras))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    base = [baseline_seen(site.cameras[k], float(limits[k, 1]), terrain) for k in sample]
    base_per_camera = (time.perf_counter() - wall0) / len(sample)
    base_cpu_per_camera = (time.process_time() - cpu0) / len(sample)
    ours = cut_terrain_shadows(
        fov[sample], [site.cameras[k] for k in sample], limits[sample, 1], terrain
    )
    same, total = 0, 0
    for view, (_, centres, seen) in zip(ours, base, strict=True):
        # Cell centres on a view's edge are not counted: the sector's polygon and the per-cell
        # test can differ there by rounding alone.
        inside = shapely.contains_xy(view, centres[:, 0], centres[:, 1])
        near_edge = shapely.dwithin(view.boundary, shapely.points(centres), 0.05)
        same += int(((inside == seen) & ~near_edge).sum())
        total += int((~near_edge).sum())
    print(
        f"baseline (per-cell sight lines, union of cells): {base_per_camera * 1e3:.2f} ms wall, "
        f"{base_cpu_per_camera * 1e3:.2f} ms cpu per camera on {len(sample)} cameras; "
        f"ratio baseline/terrain step = {base_per_camera / per_camera:.0f}x by wall, "
        f"{base_cpu_per_camera / (step.cpu_s / cameras):.0f}x by cpu; the two agree on "
        f"{same / max(total, 1):.2%} of {total} cell centres"
    )


if __name__ == "__main__":
    main()
