"""GCJ-02 / BD-09 → WGS84: published reference values, exact round trips, and the loader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Geod

from gapwatch.site import load_site
from gapwatch.site.datum import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_gcj02,
)
from tests.site.conftest import VALID_SITE

WriteSite = Callable[..., Path]
_GEOD = Geod(ellps="WGS84")
# Reference values published with widely used implementations of the same formulas; they agree
# with each other to ~1e-7 degrees (1 cm), so that is the tolerance.
_TOL = 2e-7


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(_GEOD.inv(a[0], a[1], b[0], b[1])[2])


@pytest.mark.parametrize(
    ("wgs84", "gcj02"),
    [
        ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),  # Beijing
        ((116.0, 40.0), (116.006141221789, 40.001213650174)),
        ((121.0917077, 30.6107779), (121.09626935575027, 30.608604331756705)),  # Jiaxing
    ],
)
def test_wgs84_to_gcj02_reference_points(
    wgs84: tuple[float, float], gcj02: tuple[float, float]
) -> None:
    lon, lat = wgs84_to_gcj02(*wgs84)
    assert lon == pytest.approx(gcj02[0], abs=_TOL)
    assert lat == pytest.approx(gcj02[1], abs=_TOL)
    back = gcj02_to_wgs84(*gcj02)
    assert back[0] == pytest.approx(wgs84[0], abs=_TOL)
    assert back[1] == pytest.approx(wgs84[1], abs=_TOL)


@pytest.mark.parametrize(
    ("gcj02", "bd09"),
    [
        ((116.404, 39.915), (116.41036949371029, 39.92133699351022)),
        ((121.09626935575027, 30.608604331756705), (121.10271732371203, 30.61484572185035)),
        ((123.0, 45.0), (123.00636499, 45.00636899)),
    ],
)
def test_gcj02_to_bd09_reference_points(
    gcj02: tuple[float, float], bd09: tuple[float, float]
) -> None:
    lon, lat = gcj02_to_bd09(*gcj02)
    assert lon == pytest.approx(bd09[0], abs=_TOL)
    assert lat == pytest.approx(bd09[1], abs=_TOL)


def test_bd09_to_wgs84_reference_point() -> None:
    # Baidu's position of the Jiaxing point above, back to the WGS84 it came from.
    lon, lat = bd09_to_wgs84(121.10271732371203, 30.61484572185035)
    assert _metres((lon, lat), (121.0917077, 30.6107779)) < 0.02


def test_offsets_are_the_expected_size_in_weiyuan() -> None:
    # Around the county town the GCJ-02 shift is a few hundred metres, BD-09 adds ~1 km.
    here = (104.2155, 35.1365)
    shift = _metres(here, wgs84_to_gcj02(*here))
    assert 200.0 < shift < 800.0
    assert _metres(here, gcj02_to_bd09(*wgs84_to_gcj02(*here))) > 800.0


def test_outside_china_is_unchanged() -> None:
    assert wgs84_to_gcj02(2.3522, 48.8566) == (2.3522, 48.8566)
    assert gcj02_to_wgs84(-74.006, 40.7128) == (-74.006, 40.7128)


china = st.tuples(st.floats(75.0, 134.0), st.floats(18.0, 53.0))


@given(china)
def test_gcj02_round_trip_is_sub_millimetre(point: tuple[float, float]) -> None:
    back = gcj02_to_wgs84(*wgs84_to_gcj02(*point))
    assert _metres(point, back) < 0.001


@given(china)
def test_bd09_round_trip_is_sub_millimetre(point: tuple[float, float]) -> None:
    back = bd09_to_gcj02(*gcj02_to_bd09(*point))
    assert _metres(point, back) < 0.001


def test_loader_converts_gcj02_positions(write_site: WriteSite) -> None:
    gcj = [wgs84_to_gcj02(104.0502, 35.1301), wgs84_to_gcj02(104.0540, 35.1298)]
    text = VALID_SITE.replace("  name: 测试站点 test site\n", "  name: t\n  coordinates: gcj02\n")
    text = text.replace("[104.0502, 35.1301]", f"[{gcj[0][0]!r}, {gcj[0][1]!r}]")
    text = text.replace("[104.0540, 35.1298]", f"[{gcj[1][0]!r}, {gcj[1][1]!r}]")
    site = load_site(write_site(text))
    assert _metres(site.spec.cameras[0].location, (104.0502, 35.1301)) < 0.001
    assert _metres(site.spec.cameras[1].location, (104.0540, 35.1298)) < 0.001
    # Every kind of position moved, not only cameras.
    wgs = load_site(write_site(VALID_SITE, "wgs.yaml"))
    for converted, written in (
        (site.spec.zones[0].polygon[0], wgs.spec.zones[0].polygon[0]),
        (site.spec.obstacles[0].polygon[0], wgs.spec.obstacles[0].polygon[0]),
        (site.spec.patrol_units[0].location, wgs.spec.patrol_units[0].location),
        (site.spec.roads[0].line[0], wgs.spec.roads[0].line[0]),
    ):
        assert 200.0 < _metres(converted, written) < 800.0
    assert site.spec.site.coordinates == "gcj02"


def test_loader_converts_bd09_positions(write_site: WriteSite) -> None:
    bd = gcj02_to_bd09(*wgs84_to_gcj02(104.0502, 35.1301))
    text = VALID_SITE.replace("  name: 测试站点 test site\n", "  name: t\n  coordinates: bd09\n")
    text = text.replace("[104.0502, 35.1301]", f"[{bd[0]!r}, {bd[1]!r}]")
    site = load_site(write_site(text))
    assert _metres(site.spec.cameras[0].location, (104.0502, 35.1301)) < 0.001
