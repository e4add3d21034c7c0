"""Time to load a large site file, with every check, against a bare parse-and-validate.

Writes a synthetic site (cameras, buildings and zones scattered over a county-sized area) to a
temporary folder and loads it with `gapwatch.site.load_site` (line tracking, duplicate keys,
GeoJSON, datum, meaning checks, projection). The baseline, measured in the same run on the same
file, is the least a loader can do: libyaml `safe_load` and `SiteFile.model_validate`.

    .venv/bin/python bench/site_load.py [--cameras 5000] [--buildings 2000] [--zones 40]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gapwatch.site import SiteFile, read_site


def write_site(path: Path, cameras: int, buildings: int, zones: int, seed: int = 7) -> None:
    """A plausible large site: zones on a grid, buildings and cameras scattered among them."""
    rng = random.Random(seed)
    out = ["site:\n  id: bench\n  name: bench site\nzones:\n"]
    for i in range(zones):
        x, y = 104.0 + (i % 8) * 0.03, 35.0 + (i // 8) * 0.03
        ring = f"[[{x}, {y}], [{x + 0.02}, {y}], [{x + 0.02}, {y + 0.02}], [{x}, {y + 0.02}]]"
        out.append(f"  - id: z{i}\n    name: zone {i}\n    importance: 3\n    polygon: {ring}\n")
    out.append("obstacles:\n")
    for i in range(buildings):
        x, y = 104.0 + rng.random() * 0.24, 35.0 + rng.random() * 0.15
        ring = f"[[{x}, {y}], [{x + 2e-4}, {y}], [{x + 2e-4}, {y + 2e-4}], [{x}, {y + 2e-4}]]"
        out.append(f"  - id: b{i}\n    polygon: {ring}\n")
    out.append("cameras:\n")
    for i in range(cameras):
        x, y = 104.0 + rng.random() * 0.24, 35.0 + rng.random() * 0.15
        out.append(
            f"  - id: c{i}\n    name: camera {i}\n    stream: rtsp://127.0.0.1/{i}\n"
            f"    location: [{x}, {y}]\n    heading_deg: {rng.randint(0, 359)}\n"
            "    hfov_deg: 90\n    range_m: 80\n"
        )
    path.write_text("".join(out), encoding="utf-8")


def baseline(path: Path) -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    SiteFile.model_validate(yaml.load(path.read_text(encoding="utf-8"), Loader=loader))


def full(path: Path) -> None:
    reading = read_site(path)
    if reading.spec is None and not reading.errors:
        raise SystemExit("nothing loaded and nothing reported")


def best_of(runs: int, action: Callable[[Path], None], path: Path) -> tuple[float, float]:
    """(wall s, CPU s) of the run with the least CPU time."""
    times = []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        action(path)
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    return min(times, key=lambda t: t[1])


def peak_mib(action: Callable[[Path], None], path: Path) -> float:
    tracemalloc.start()
    action(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=5000)
    parser.add_argument("--buildings", type=int, default=2000)
    parser.add_argument("--zones", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "site.yaml"
        write_site(path, args.cameras, args.buildings, args.zones)
        lines = path.read_text(encoding="utf-8").count("\n")
        base = best_of(args.runs, baseline, path)
        ours = best_of(args.runs, full, path)
        print(
            f"site: {args.cameras} cameras, {args.buildings} buildings, {args.zones} zones, "
            f"{lines} lines"
        )
        print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        print(f"baseline (safe_load + model_validate): {base[0]:.3f} s wall, {base[1]:.3f} s cpu")
        print(f"load_site (lines, checks, projection):  {ours[0]:.3f} s wall, {ours[1]:.3f} s cpu")
        print(
            f"ratio load_site / baseline: {ours[1] / base[1]:.2f}x by cpu time, "
            f"{ours[0] / base[0]:.2f}x by wall time"
        )
        print(
            f"peak traced memory: baseline {peak_mib(baseline, path):.1f} MiB, "
            f"load_site {peak_mib(full, path):.1f} MiB"
        )


if __name__ == "__main__":
    main()
