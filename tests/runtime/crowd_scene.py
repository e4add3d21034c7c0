"""The demo site with a crowd: people placed on the ground a camera sees, as its count."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import shapely

from gapwatch.crowd import CrowdCount, PersonBlob
from gapwatch.runtime.pipeline import Service
from gapwatch.vision.types import ProbeResult

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo-weiyuan.yaml"
T0 = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)  # a Wednesday, 10:00 in Weiyuan
INTERVAL = dt.timedelta(seconds=20)  # the demo site's probe interval
FAULTY = frozenset({"cam-002", "cam-009", "cam-023", "cam-035"})  # the demo's faulty clips
SQUARE = "yuangudui-square"  # cam-023's zone


def people_in(
    svc: Service, camera: str, zone: str, n: int, seed: int = 0, *, alone: bool = False
) -> CrowdCount:
    """A count of `n` people standing on the ground `camera` sees in `zone`, as the counter
    gives it: blobs at the pixels of their feet in the camera's pose. `alone`: only where no
    other camera's view reaches (a person where k views overlap weighs 1/k in the zone)."""
    pose = svc.crowd.pose(camera) if svc.crowd is not None else None
    assert pose is not None
    zone_ground = next(z.polygon for z in svc.coverage.zones if z.id == zone)
    ground = shapely.intersection(svc.coverage.views[camera].geometry, zone_ground)
    if alone:
        others = [v.geometry for c, v in svc.coverage.views.items() if c != camera]
        ground = shapely.difference(ground, shapely.union_all(others))
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = ground.bounds
    blobs: list[PersonBlob] = []
    while len(blobs) < n:
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if not ground.contains(shapely.Point(x, y)):
            continue
        u, v = pose.pixels(np.array([[x, y, 0.0]]))[0]
        if 0 <= u < pose.width and 0 <= v < pose.height:
            blobs.append(PersonBlob(float(u), float(v), 1.0))
    return CrowdCount(people=float(n), blobs=tuple(blobs))


def probe_round(svc: Service, at: dt.datetime, counts: dict[str, CrowdCount]) -> None:
    for camera in svc.site.spec.cameras:
        if camera.id in FAULTY:
            result = ProbeResult("offline", ["no_signal"])
        else:
            result = ProbeResult("ok", [], crowd=counts.get(camera.id, CrowdCount(0.0)))
        svc.handle_probe(camera.id, at, result)
