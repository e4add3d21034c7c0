"""Blind-spot GeoJSON: lon/lat, RFC 7946 ring order, survives awkward polygons, round trip."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import Polygon, shape

from gapwatch.alerts.records import blind_features, geometry_from_features, lonlat_geojson
from gapwatch.site.projection import LocalProjection

PROJ = LocalProjection(104.2, 35.1)


def test_rings_are_counter_clockwise_and_holes_clockwise() -> None:
    square = Polygon([(0, 0), (0, 50), (50, 50), (50, 0)], [[(10, 10), (20, 10), (20, 20)]])
    out = lonlat_geojson(square, PROJ)
    outer, hole = (shapely.LinearRing(r) for r in out["coordinates"])
    assert outer.is_ccw and not hole.is_ccw
    lon, lat = out["coordinates"][0][0]
    assert 104.19 < lon < 104.21 and 35.09 < lat < 35.11


def test_a_hole_a_hair_from_its_shell_keeps_both_rings() -> None:
    shell = [(0, 0), (100, 0), (100, 100), (0, 100)]
    hole = [(1e-3, 50), (60, 40), (60, 60)]
    out = lonlat_geojson(Polygon(shell, [hole]), PROJ)
    assert out["type"] == "Polygon" and len(out["coordinates"]) == 2


def test_features_round_trip_to_metric_areas() -> None:
    pieces = {"square": shapely.box(0, 0, 30, 20), "gate": shapely.box(100, 100, 110, 105)}
    features = blind_features(pieces, PROJ, min_area_m2=60.0)
    assert [f["properties"]["zone"] for f in features] == ["square"]  # the gate piece is a sliver
    assert features[0]["properties"]["area_m2"] == pytest.approx(600.0)
    back = geometry_from_features(features, PROJ)
    assert back["square"].area == pytest.approx(600.0, rel=1e-4)
    assert shape(features[0]["geometry"]).is_valid
