"""Zone crowd sums at province scale: one round of counts from every camera, per zone.

    .venv/bin/python bench/crowd_scale.py [--cameras 5000] [--zones 400] [--people 4]

Synthetic, seeded: cameras scattered over a 20 km square with 60-90° views of 40-120 m, zones
tiling it, each camera counting a few people inside its own view. Measures building the
`CrowdMap` (once per coverage snapshot), summing a round through it, and the straightforward
way in the same run — for every person, every view and every zone tested one by one
(vectorised over views and zones) — on a sample of the people, scaled up.
"""

from __future__ import annotations

import argparse
import math
import resource
import time

import numpy as np
import shapely

from gapwatch.crowd import CameraCrowd, CrowdMap


def sector(x: float, y: float, heading: float, fov: float, reach: float) -> shapely.Polygon:
    steps = 12
    angles = np.radians(heading - fov / 2 + fov * np.arange(steps + 1) / steps)
    ring = [(x, y), *zip(x + reach * np.sin(angles), y + reach * np.cos(angles), strict=True)]
    return shapely.Polygon(ring)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cameras", type=int, default=5000)
    ap.add_argument("--zones", type=int, default=400)
    ap.add_argument("--people", type=int, default=4, help="people per camera view")
    ap.add_argument("--sample", type=int, default=400, help="people the baseline checks")
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    side = 20_000.0
    views: dict[str, shapely.Polygon] = {}
    crowds: list[CameraCrowd] = []
    for i in range(args.cameras):
        x, y = rng.uniform(0, side, 2)
        view = sector(x, y, rng.uniform(0, 360), rng.uniform(60, 90), rng.uniform(40, 120))
        views[f"c{i}"] = view
        # people inside the view: sample its bounding box, keep the ones inside
        minx, miny, maxx, maxy = view.bounds
        pts = rng.uniform((minx, miny), (maxx, maxy), (args.people * 4, 2))
        pts = pts[shapely.contains_xy(view, pts[:, 0], pts[:, 1])][: args.people]
        crowds.append(CameraCrowd(f"c{i}", float(len(pts)), view.area, pts, np.ones(len(pts))))
    n = int(math.sqrt(args.zones))
    step = side / n
    zones = {
        f"z{a}-{b}": shapely.box(a * step, b * step, (a + 1) * step, (b + 1) * step)
        for a in range(n)
        for b in range(n)
    }
    people = sum(len(c.xy) for c in crowds)

    start = time.perf_counter()
    crowd_map = CrowdMap(views, zones)
    build_s = time.perf_counter() - start
    rounds = 5
    start = time.perf_counter()
    for _ in range(rounds):
        got = crowd_map.zone_crowds(crowds)
    round_s = (time.perf_counter() - start) / rounds

    # the straightforward way on a sample: every view and every zone for each person
    view_list = list(views.values())
    zone_list = list(zones.values())
    owner = [c.camera for c in crowds for _ in range(len(c.xy))]
    xy = np.concatenate([c.xy for c in crowds if len(c.xy)])
    pick = rng.choice(len(xy), size=min(args.sample, len(xy)), replace=False)
    start = time.perf_counter()
    naive = dict.fromkeys(zones, 0.0)
    zone_names = list(zones)
    for p in pick:
        px, py = xy[p]
        k = int(shapely.contains_xy(view_list, px, py).sum())
        inside = shapely.contains_xy(zone_list, px, py)
        for zi in np.flatnonzero(inside):
            naive[zone_names[zi]] += 1.0 / max(k, 1)
    naive_s = (time.perf_counter() - start) * len(xy) / len(pick)
    del owner
    total = sum(z.people for z in got.values())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.cameras} cameras, {len(zones)} zones, {people} people counted this round")
    print(f"CrowdMap build (once per coverage snapshot): {build_s * 1000:.0f} ms")
    print(f"one round of zone sums: {round_s * 1000:.1f} ms ({total:.0f} people placed)")
    print(
        f"straightforward per-person checks: {naive_s * 1000:.0f} ms for the round"
        f" (from {len(pick)} people); ratio {naive_s / round_s:.0f}x"
    )
    print(f"peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
