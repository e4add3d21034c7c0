"""Big batches split over threads give exactly the single-thread answers."""

from __future__ import annotations

import random

import pytest
import shapely

from gapwatch.coverage import CameraGeometry, CoverageModel, ZoneShape
from gapwatch.coverage.parallel import run_split


def busy_site(seed: int = 3) -> tuple[list[ZoneShape], list[shapely.Polygon], list[CameraGeometry]]:
    rng = random.Random(seed)
    zones = [
        ZoneShape(
            f"z{k}", f"Zone {k}", rng.randint(1, 5), shapely.box(k * 120, 0, k * 120 + 100, 300)
        )
        for k in range(6)
    ]
    buildings = [
        shapely.box(x, y, x + rng.uniform(3, 12), y + rng.uniform(3, 12))
        for x, y in ((rng.uniform(0, 700), rng.uniform(0, 300)) for _ in range(150))
    ]
    blocked = shapely.union_all(buildings)
    cameras: list[CameraGeometry] = []
    while len(cameras) < 1100:
        x, y = rng.uniform(-10, 710), rng.uniform(-10, 310)
        if blocked.distance(shapely.Point(x, y)) < 0.5:
            continue
        cameras.append(
            CameraGeometry(
                f"c{len(cameras)}",
                x,
                y,
                rng.uniform(0, 360),
                rng.uniform(30, 120),
                rng.uniform(10, 40),
            )
        )
    return zones, buildings, cameras


def test_threads_give_the_same_views_and_coverage() -> None:
    zones, buildings, cameras = busy_site()
    one = CoverageModel.build(zones, buildings, cameras, workers=1)
    two = CoverageModel.build(zones, buildings, cameras, workers=2)
    assert two.workers == 2
    for cid in ("c0", "c550", "c1099"):
        assert one.views[cid].geometry.equals(two.views[cid].geometry)
    a, b = one.compute(overlap=False), two.compute(overlap=False)
    for za, zb in zip(a.zones, b.zones, strict=True):
        assert za.covered_m2 == pytest.approx(zb.covered_m2, rel=1e-12)
    assert len(a.blind_spots) == len(b.blind_spots)


def test_run_split_balances_batches_and_keeps_order() -> None:
    items = list(range(10))
    out = run_split(lambda batch: list(batch), items, workers=2, min_batch=2, weight=lambda i: i)
    assert len(out) == 2
    assert [i for batch in out for i in batch] == items
    assert abs(sum(out[0]) - sum(out[1])) <= 9
    assert run_split(lambda batch: list(batch), items, workers=2, min_batch=6) == [items]
    assert run_split(lambda batch: list(batch), [], workers=2, min_batch=1) == [[]]
