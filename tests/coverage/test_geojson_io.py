"""The one GeoJSON writer and its defensive reader: valid RFC 7946 out, repaired geometry in,
and a clear error for a stored blind spot that cannot be loaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from gapwatch.alerts.records import StoredGeometryError, blind_features, geometry_from_features
from gapwatch.coverage import (
    GeoJSONGeometryError,
    from_geojson,
    lonlat_geometry,
    to_geojson,
    to_geojson_many,
)
from gapwatch.site import LocalProjection
from tests.coverage.test_towns import assert_valid_geojson

DATA = Path(__file__).with_name("data")

# A blind spot from a rotated grid town (cameras at building corners): valid in metres, with a
# spike that crosses itself once unprojected to lon/lat. Snapping it with GEOS raised
# "TopologyException: unable to assign free hole to a shell" (issue 9).
SPIKED_BLIND_SPOT = (
    "POLYGON ((-21.435935275432826 337.1281290048077, -21.435935000000004 337.128129, "
    "-20.737945065949976 337.1403124596181, -20.040805525117495 337.1768479948035, "
    "-19.34536573464694 337.2376910926345, -18.65247298079869 337.3227676251686, "
    "-17.962971446661403 337.43197393975584, -17.277701183644812 337.5651769853239, "
    "-16.59749708800665 337.7222144744801, -15.923187883660013 337.9028950812336, "
    "-15.255595112501055 338.10699867409693, -14.595532133486621 338.33427658428184, "
    "-13.943803131681761 338.5844519086643, -13.301202138484005 338.857219847148, "
    "-12.668512064218453 339.15224807401665, -12.046503744282193 339.4691771428215, "
    "-11.435935413107261 339.8076206953221, -16.435935394489775 348.467875173176, "
    "-6.42623851325976 331.13057160652187, -7.18566472303201 330.80821430570404, "
    "-8.4510448715631 330.2181578519667, -9.695061511435638 329.58429971435703, "
    "-10.916198999999994 328.9074121513775, -12.112969569328191 328.18831984625706, "
    "-13.283915138829867 327.42789890220166, -14.42760909169892 326.6270757749979, "
    "-15.086492498439087 326.1305715153033, -21.435935275432826 337.1281290048077))"
)
WEIYUAN = LocalProjection(104.05, 35.13)


def test_writer_makes_a_spike_that_turns_invalid_in_lonlat_valid() -> None:
    metric = shapely.from_wkt(SPIKED_BLIND_SPOT)
    assert metric.is_valid
    assert not WEIYUAN.unproject(metric).is_valid  # what the old writer fed to set_precision
    written = to_geojson(metric, WEIYUAN)
    assert_valid_geojson(written)
    back = WEIYUAN.project(shape(written))
    assert back.area == pytest.approx(metric.area, abs=metric.length * 0.012)
    assert back.symmetric_difference(metric).area <= metric.length * 0.012


def test_written_positions_sit_on_the_1e7_degree_grid() -> None:
    written = to_geojson(shapely.from_wkt(SPIKED_BLIND_SPOT), WEIYUAN)
    for ring in written["coordinates"]:
        for lon, lat in ring:
            assert round(lon, 7) == lon and round(lat, 7) == lat
    assert lonlat_geometry(shapely.Point(1.0, 2.0), WEIYUAN).is_valid


def stored() -> tuple[LocalProjection, list[dict[str, Any]]]:
    document = json.loads((DATA / "stored_blind_spots.json").read_text(encoding="utf-8"))
    centre = document["projection"]
    return LocalProjection(centre["lon0"], centre["lat0"]), document["features"]


def test_stored_blind_spots_of_issue_13_load_back() -> None:
    # Two blind spots of one zone, stored by the old writer (rounded to 1e-7°, not made valid)
    # from a rotated grid town: projected back they no longer unioned, and every start-up died
    # in union_all with "TopologyException: side location conflict".
    projection, features = stored()
    assert not all(shape(f["geometry"]).is_valid for f in features)
    loaded = geometry_from_features(features, projection)
    assert set(loaded) == {features[0]["properties"]["zone"]}
    (geometry,) = loaded.values()
    assert geometry.is_valid and geometry.geom_type in ("Polygon", "MultiPolygon")
    parts = [shapely.make_valid(projection.project(shape(f["geometry"]))) for f in features]
    assert geometry.area == pytest.approx(shapely.union_all(parts, grid_size=1e-3).area, rel=1e-4)
    # Written again with the one writer, it loads back to the same ground.
    again = geometry_from_features(
        blind_features({"z": geometry}, projection, min_area_m2=0.0), projection
    )
    assert again["z"].area == pytest.approx(geometry.area, abs=geometry.length * 0.012)


@pytest.mark.parametrize(
    ("geometry", "words"),
    [
        ({"type": "Polygon"}, "not a GeoJSON geometry"),
        ({"type": "Polygon", "coordinates": [[[1, 2], [3]]]}, "not a GeoJSON geometry"),
        ({"type": "Hexagon", "coordinates": []}, "not a GeoJSON geometry"),
        (
            {"type": "Polygon", "coordinates": [[[104, 35], [104.1, 35], [104, float("nan")]]]},
            "finite",
        ),
        (
            {"type": "Polygon", "coordinates": [[[104, 35], [204, 35], [104, 36], [104, 35]]]},
            "±180",
        ),
    ],
)
def test_reader_refuses_what_it_cannot_load(geometry: dict[str, Any], words: str) -> None:
    with pytest.raises(GeoJSONGeometryError, match=words):
        from_geojson(geometry, WEIYUAN)
    feature = {"type": "Feature", "geometry": geometry, "properties": {"zone": "gate"}}
    with pytest.raises(StoredGeometryError) as caught:
        geometry_from_features([feature], WEIYUAN)
    assert caught.value.zone == "gate" and caught.value.index == 0
    assert "gate" in str(caught.value)


def test_reader_refuses_a_feature_without_geometry() -> None:
    with pytest.raises(StoredGeometryError, match="no geometry"):
        geometry_from_features([{"type": "Feature", "properties": {"zone": "a"}}], WEIYUAN)


def test_reader_repairs_a_bow_tie() -> None:
    bow = {
        "type": "Polygon",
        "coordinates": [[[104, 35], [104.001, 35.001], [104.001, 35], [104, 35.001], [104, 35]]],
    }
    metric = from_geojson(bow, WEIYUAN)
    assert metric.is_valid and metric.area > 0


def test_ground_smaller_than_the_grid_is_written_empty_and_left_out_of_features() -> None:
    speck = shapely.box(0.0, 0.0, 0.001, 0.001)
    assert to_geojson(speck, WEIYUAN) == {"type": "Polygon", "coordinates": []}
    assert blind_features({"z": speck}, WEIYUAN, min_area_m2=0.0) == []


def test_many_at_once_writes_what_one_at_a_time_writes() -> None:
    # The spike needs the repair rounds, the speck rounds to nothing, the rest are plain.
    spike = shapely.from_wkt(SPIKED_BLIND_SPOT)
    speck = shapely.box(0.0, 0.0, 1e-6, 1e-6)
    plain = [shapely.Point(10, 20).buffer(5.0 + k) for k in range(5)]
    with_hole = shapely.box(0, 0, 50, 50).difference(shapely.box(10, 10, 20, 20))
    road = shapely.LineString([(0, 0), (30, 40)])
    shapes = [*plain, spike, speck, with_hole, road, shapely.MultiPolygon([plain[0], with_hole])]
    assert to_geojson_many(shapes, WEIYUAN) == [to_geojson(s, WEIYUAN) for s in shapes]
    assert to_geojson_many([], WEIYUAN) == []
