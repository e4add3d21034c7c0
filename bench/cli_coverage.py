"""Whole process: `gapwatch coverage SITE --format json` against a straightforward shapely script
that does the same job, each started as a fresh process (imports and site loading included).

    .venv/bin/python bench/cli_coverage.py                 # 3,000 cameras, ~1,000 buildings
    .venv/bin/python bench/cli_coverage.py --cameras 500 --buildings 150 --zones 6 --runs 1

The straightforward script reads the same site file with PyYAML, projects it with pyproj, and for
each camera builds its sector, casts the shadow of every building the sector touches (shapely 2's
vectorised `intersects`, no spatial index), subtracts them, unions all views, and prints each
zone's covered area and blind spots as lon/lat GeoJSON. Prints wall and CPU time (children's
user+sys) of each, their ratio, and checks the covered areas agree within 1 %.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from coverage import synthetic_site  # noqa: E402  (bench/coverage.py, the synthetic town)

from gapwatch.site import LocalProjection  # noqa: E402

BASELINE = r"""
import json, math, sys
import numpy as np, shapely, yaml
from shapely.geometry import mapping
from pyproj import CRS, Transformer

spec = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
pts = [p for z in spec["zones"] for p in z["polygon"]]
lon0 = (min(p[0] for p in pts) + max(p[0] for p in pts)) / 2
lat0 = (min(p[1] for p in pts) + max(p[1] for p in pts)) / 2
local = CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +ellps=WGS84 +units=m")
fwd = Transformer.from_crs(CRS.from_epsg(4326), local, always_xy=True)
inv = Transformer.from_crs(local, CRS.from_epsg(4326), always_xy=True)

def poly(points):
    xs, ys = fwd.transform([p[0] for p in points], [p[1] for p in points])
    return shapely.make_valid(shapely.Polygon(list(zip(xs, ys))))

buildings = np.array([poly(o["polygon"]) for o in spec["obstacles"]], dtype=object)
views = []
for cam in spec["cameras"]:
    x, y = fwd.transform(*cam["location"])
    h, f, r = cam["heading_deg"], cam["hfov_deg"], cam["range_m"]
    steps = max(2, math.ceil(f / 2.0) + 1)
    arc = [math.radians(h - f / 2 + f * k / (steps - 1)) for k in range(steps)]
    ring = [(x + r * math.sin(a), y + r * math.cos(a)) for a in arc]
    sector = shapely.Polygon(ring if f >= 360 else [(x, y), *ring])
    near = buildings[shapely.intersects(sector, buildings)]
    shadows = []
    for b in near:
        corners = np.asarray(b.exterior.coords)
        rel = corners - [x, y]
        far = rel * (r * 4.0 / np.maximum(np.hypot(*rel.T), 1e-9))[:, None] + [x, y]
        shadows.append(shapely.convex_hull(shapely.MultiPoint(np.vstack([corners, far]))))
    views.append(sector.difference(shapely.union_all(shadows)) if shadows else sector)
seen = shapely.union_all(views)
blocked = shapely.union_all(buildings)
zones, spots = [], []
for z in spec["zones"]:
    ground = poly(z["polygon"]).difference(blocked)
    blind = ground.difference(seen)
    zones.append({"id": z["id"], "area_m2": ground.area, "covered_m2": ground.area - blind.area,
                  "coverage_ratio": 1 - blind.area / ground.area})
    for part in getattr(blind, "geoms", [blind]):
        if part.area >= 2.0:
            ll = shapely.transform(part, lambda c: np.column_stack(inv.transform(c[:, 0], c[:, 1])))
            spots.append({"zone": z["id"], "area_m2": part.area, "geometry": mapping(ll)})
print(json.dumps({"zones": zones, "blind_spots": spots}))
"""


def write_site(path: Path, cameras: int, zones: int, buildings: int) -> None:
    """The bench's synthetic town as a site file (lon/lat around Weiyuan)."""
    site = synthetic_site(cameras, zones, buildings)
    projection = LocalProjection(104.05, 35.13)

    def ring(polygon: object) -> str:
        coords = list(polygon.exterior.coords)[:-1]  # type: ignore[attr-defined]
        lonlat = [projection.to_lonlat(x, y) for x, y in coords]
        return "[" + ", ".join(f"[{lon:.8f}, {lat:.8f}]" for lon, lat in lonlat) + "]"

    lines = ["site:", "  id: bench-town", "  name: bench town", "zones:"]
    for z in site.zones:
        lines += [f"  - id: {z.id}", f"    name: {z.name}", f"    importance: {z.importance}"]
        lines.append(f"    polygon: {ring(z.polygon)}")
    lines.append("obstacles:")
    for k, b in enumerate(site.buildings):
        for j, part in enumerate(getattr(b, "geoms", [b])):
            lines += [f"  - id: b{k}-{j}", f"    polygon: {ring(part)}"]
    lines.append("cameras:")
    for c in site.cameras:
        lon, lat = projection.to_lonlat(c.x, c.y)
        lines += [
            f"  - id: {c.id}",
            f"    name: {c.id}",
            f"    stream: rtsp://10.0.0.1/{c.id}",
            f"    location: [{lon:.8f}, {lat:.8f}]",
            f"    heading_deg: {c.heading_deg:.3f}",
            f"    hfov_deg: {c.hfov_deg:.3f}",
            f"    range_m: {c.range_m:.3f}",
        ]
    lines += [
        "patrol_units:",
        "  - id: unit-1",
        "    name: unit",
        "    kind: foot",
        "    location: [104.05, 35.13]",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# Children run as on a user's machine: bytecode cached after the first run (this shell may have
# PYTHONDONTWRITEBYTECODE set, which would recompile every module at every start).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(command: list[str]) -> tuple[float, float, str]:
    """(wall s, cpu s of the child, stdout) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=CHILD_ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cameras", type=int, default=3000)
    parser.add_argument("--zones", type=int, default=24)
    parser.add_argument("--buildings", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args()
    gapwatch = str(Path(sys.executable).with_name("gapwatch"))
    with tempfile.TemporaryDirectory(prefix="gapwatch-bench-") as folder:
        site = Path(folder) / "site.yaml"
        write_site(site, args.cameras, args.zones, args.buildings)
        script = Path(folder) / "straightforward.py"
        script.write_text(BASELINE, encoding="utf-8")
        print(
            f"site: {args.cameras} cameras, {args.zones} zones, {args.buildings} buildings; "
            f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
        )
        ours = [
            run([gapwatch, "coverage", str(site), "--format", "json"]) for _ in range(args.runs)
        ]
        base = [run([sys.executable, str(script), str(site)]) for _ in range(args.runs)]
    best_ours = min(ours, key=lambda r: r[1])
    best_base = min(base, key=lambda r: r[1])
    print(f"gapwatch coverage --format json: {best_ours[0]:.2f} s wall, {best_ours[1]:.2f} s cpu")
    print(f"straightforward shapely script:  {best_base[0]:.2f} s wall, {best_base[1]:.2f} s cpu")
    print(
        f"ratio gapwatch / straightforward: {best_ours[1] / best_base[1]:.2f} by cpu time, "
        f"{best_ours[0] / best_base[0]:.2f} by wall time (best of {args.runs}; goal <= 0.3)"
    )
    a = {z["id"]: z["covered_m2"] for z in json.loads(best_ours[2])["zones"]}
    b = {z["id"]: z["covered_m2"] for z in json.loads(best_base[2])["zones"]}
    worst = max(abs(a[k] - b[k]) / max(1.0, b[k]) for k in b)
    print(f"covered m² agree within {worst:.2%} per zone (total {sum(a.values()):,.0f} m²)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
