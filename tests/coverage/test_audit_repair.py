"""The live audit proposes repairing a broken camera before any new one."""

from __future__ import annotations

import math

import pytest

from gapwatch.coverage import CoverageModel
from gapwatch.coverage.audit import run_audit
from gapwatch.site import Site
from tests.alerts import scenario as sc


@pytest.fixture(scope="module")
def site() -> Site:
    return sc.site()


def test_the_first_suggestion_repairs_the_broken_camera_and_none_stands_where_it_hangs(
    site: Site,
) -> None:
    model = CoverageModel.from_site(site)
    gaps = model.failure_gaps(model.camera_ids)  # the worst single failure first
    broken = gaps[0].camera_id
    audit = run_audit(site, down=[broken], model=model)
    first = audit.suggestions[0]
    assert (first.kind, first.camera) == ("repair_camera", broken)
    # The repair closes exactly what the camera alone saw.
    assert first.gain_m2 == pytest.approx(gaps[0].area_m2, abs=0.1)
    cam = next(c for c in site.spec.cameras if c.id == broken)
    bx, by = site.projection.to_metres(*cam.location)
    for pick in audit.suggestions[1:]:
        assert pick.kind != "repair_camera"
        if pick.kind == "new_camera" and pick.location is not None:
            x, y = site.projection.to_metres(*pick.location)
            assert math.hypot(x - bx, y - by) > 5.0, pick


def test_nothing_down_means_no_repair(site: Site) -> None:
    audit = run_audit(site, model=CoverageModel.from_site(site))
    assert all(s.kind != "repair_camera" for s in audit.suggestions)
