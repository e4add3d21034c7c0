"""From a loaded site (lon/lat) to the engine, and back out as RFC 7946 GeoJSON."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest
import shapely

from gapwatch.coverage import CoverageModel, feature, feature_collection, site_geometry, to_geojson
from gapwatch.site import LocalProjection, Site
from gapwatch.site.models import (
    Camera,
    CoverageSettings,
    Obstacle,
    PtzPreset,
    Road,
    SiteFile,
    SiteInfo,
    Zone,
)

LON0, LAT0 = 104.0500, 35.1300
# Metres per degree near 35.13° N (WGS84): used only to write the test site's corners.
M_PER_DEG_LAT = 110_950.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0))


def ring_signed_area(ring: list[list[float]]) -> float:
    """Shoelace area: positive when the ring runs counter-clockwise."""
    return 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))


def lonlat(x: float, y: float) -> tuple[float, float]:
    return (LON0 + x / M_PER_DEG_LON, LAT0 + y / M_PER_DEG_LAT)


def square_site() -> Site:
    spec = SiteFile(
        site=SiteInfo(id="t", name="Test 测试"),
        zones=[
            Zone(
                id="gate",
                name="Gate 大门",
                importance=5,
                polygon=[lonlat(0, 0), lonlat(40, 0), lonlat(40, 40), lonlat(0, 40)],
            )
        ],
        obstacles=[
            Obstacle(
                id="kiosk", polygon=[lonlat(18, 18), lonlat(22, 18), lonlat(22, 22), lonlat(18, 22)]
            )
        ],
        cameras=[
            Camera(
                id="cam-1",
                name="South 南",
                stream="rtsp://example.invalid/1",
                location=lonlat(20, 0.5),
                heading_deg=0,
                hfov_deg=90,
                range_m=30,
                group="pole-1",
                ptz=[PtzPreset(id="west", heading_deg=270, hfov_deg=40, range_m=20)],
            )
        ],
        roads=[Road(id="r", line=[lonlat(-10, 20), lonlat(50, 20)])],
        coverage=CoverageSettings(min_blind_area_m2=5.0),
    )
    return Site(spec=spec, path=Path("test.yaml"), projection=LocalProjection(LON0, LAT0))


def test_site_is_projected_to_metres() -> None:
    geo = site_geometry(square_site())
    (camera,) = geo.cameras
    assert camera.x == pytest.approx(20.0, abs=0.05)
    assert camera.y == pytest.approx(0.5, abs=0.05)
    assert camera.group == "pole-1"
    assert camera.presets[0].id == "west"
    assert geo.zones[0].polygon.area == pytest.approx(1600.0, rel=2e-3)
    assert geo.obstacles[0].area == pytest.approx(16.0, rel=2e-3)
    assert geo.roads[0].length == pytest.approx(60.0, rel=2e-3)
    assert geo.min_blind_area_m2 == 5.0


def test_model_from_site_uses_its_settings() -> None:
    model = CoverageModel.from_site(square_site())
    assert model.min_blind_area_m2 == 5.0
    assert model.zones[0].area_m2 == pytest.approx(1584.0, rel=2e-3)
    assert len(model.roads) == 1
    result = model.compute()
    assert 0.0 < result.zones[0].coverage_ratio < 1.0
    assert all(b.area_m2 >= 5.0 for b in result.blind_spots)
    assert ("cam-1", "west") in model.preset_views


def test_geojson_is_lonlat_counter_clockwise_and_rounded() -> None:
    projection = LocalProjection(LON0, LAT0)
    # A clockwise metric square, and a hole written counter-clockwise: both the wrong way round.
    square = shapely.Polygon(
        [(0, 0), (0, 10), (10, 10), (10, 0)], [[(2, 2), (4, 2), (4, 4), (2, 4)]]
    )
    out = to_geojson(square, projection)
    assert out["type"] == "Polygon"
    exterior, hole = out["coordinates"]
    assert ring_signed_area(exterior) > 0.0  # RFC 7946: exterior counter-clockwise
    assert ring_signed_area(hole) < 0.0  # holes clockwise
    for lon, lat in exterior + hole:
        assert round(lon, 7) == lon and round(lat, 7) == lat
    assert [LON0, LAT0] in exterior
    east = max(lon for lon, _ in exterior)
    assert (east - LON0) * M_PER_DEG_LON == pytest.approx(10.0, rel=2e-3)
    json.dumps(out)  # plain lists and floats


def test_feature_collection_of_blind_spots_round_trips() -> None:
    site = square_site()
    model = CoverageModel.from_site(site)
    result = model.compute()
    features = [
        feature(b.geometry, site.projection, {"zone": b.zone, "area_m2": round(b.area_m2, 1)})
        for b in result.blind_spots
    ]
    doc = json.loads(json.dumps(feature_collection(features)))
    assert doc["type"] == "FeatureCollection"
    assert len(doc["features"]) == len(result.blind_spots) > 0
    back = shapely.geometry.shape(doc["features"][0]["geometry"])
    metric = site.projection.project(back)
    # 1e-7° rounding moves points by up to ~1 cm.
    assert metric.area == pytest.approx(result.blind_spots[0].area_m2, rel=1e-3)
