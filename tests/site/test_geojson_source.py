"""Zones and obstacles from GeoJSON files (as QGIS saves them) merged into the site."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gapwatch.site import load_site, read_site
from gapwatch.site.datum import wgs84_to_gcj02
from tests.site.conftest import VALID_SITE
from tests.site.helpers import find, line_of_text, problems_of

WriteSite = Callable[..., Path]

SQUARE = [[104.0560, 35.1300], [104.0570, 35.1300], [104.0570, 35.1310], [104.0560, 35.1310]]


def _feature(properties: dict[str, Any], geometry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring + ring[:1] for ring in rings]}


def _write_collection(folder: Path, name: str, features: list[dict[str, Any]]) -> Path:
    path = folder / name
    # One feature per line, as QGIS writes them, so each feature has its own line.
    body = ",\n".join(json.dumps(f, ensure_ascii=False) for f in features)
    path.write_text(
        '{\n"type": "FeatureCollection",\n"name": "layer",\n'
        '"crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:OGC:1.3:CRS84" } },\n'
        f'"features": [\n{body}\n]\n}}\n',
        encoding="utf-8",
    )
    return path


def _site_with(write_site: WriteSite, zones: list[str], obstacles: list[str]) -> Path:
    return write_site(VALID_SITE + f"geojson:\n  zones: {zones}\n  obstacles: {obstacles}\n")


def test_zones_and_obstacles_are_merged(tmp_path: Path, write_site: WriteSite) -> None:
    shifted = [[lon + 0.002, lat] for lon, lat in SQUARE]
    _write_collection(
        tmp_path,
        "zones.geojson",
        [
            _feature({"fid": 1, "id": "square", "name": "广场", "importance": 4}, _polygon(SQUARE)),
            _feature({"id": 7, "importance": "2"}, _polygon(shifted)),
        ],
    )
    _write_collection(
        tmp_path / "",
        "buildings.geojson",
        [_feature({"height_m": 9.5}, _polygon([[p[0], p[1] + 0.002] for p in SQUARE]))],
    )
    site = load_site(_site_with(write_site, ["zones.geojson"], ["buildings.geojson"]))
    zones = {z.id: z for z in site.spec.zones}
    assert list(zones) == ["gate", "trail", "square", "7"]
    assert zones["square"].name == "广场"
    assert zones["square"].importance == 4
    assert zones["square"].polygon[0] == (104.0560, 35.1300)
    # A whole-number id (a QGIS integer field) becomes text; a missing name is the id.
    assert zones["7"].name == "7"
    assert zones["7"].importance == 2
    obstacle = site.spec.obstacles[-1]
    assert obstacle.id == "buildings-1"
    assert obstacle.height_m == 9.5
    # The projection covers the merged shapes too.
    assert site.projection.lon0 > (104.0490 + 104.0560) / 2


def test_geojson_stays_wgs84_in_a_gcj02_site(tmp_path: Path, write_site: WriteSite) -> None:
    _write_collection(
        tmp_path, "zones.geojson", [_feature({"id": "square", "importance": 4}, _polygon(SQUARE))]
    )
    gcj = wgs84_to_gcj02(104.0502, 35.1301)
    text = VALID_SITE.replace(
        "  name: 测试站点 test site\n", "  name: t\n  coordinates: gcj02\n"
    ).replace("[104.0502, 35.1301]", f"[{gcj[0]!r}, {gcj[1]!r}]")
    site = load_site(write_site(text + "geojson:\n  zones: [zones.geojson]\n"))
    # RFC 7946 GeoJSON is WGS84 whatever the site file's datum: it is not shifted...
    assert site.spec.zones[-1].polygon[0] == (104.0560, 35.1300)
    # ...while the site file's own positions are.
    assert site.spec.cameras[0].location == (
        pytest.approx(104.0502, abs=1e-8),
        pytest.approx(35.1301, abs=1e-8),
    )


def test_multipolygon_becomes_one_zone_per_part(tmp_path: Path, write_site: WriteSite) -> None:
    far = [[lon + 0.003, lat] for lon, lat in SQUARE]
    multi = {
        "type": "MultiPolygon",
        "coordinates": [[SQUARE + SQUARE[:1]], [far + far[:1]]],
    }
    _write_collection(
        tmp_path, "z.geojson", [_feature({"id": "market", "name": "夜市", "importance": 5}, multi)]
    )
    site = load_site(_site_with(write_site, ["z.geojson"], []))
    parts = [z for z in site.spec.zones if z.id.startswith("market")]
    assert [z.id for z in parts] == ["market-1", "market-2"]
    assert {z.name for z in parts} == {"夜市"}
    assert parts[1].polygon[0] == (far[0][0], far[0][1])


def test_errors_point_into_the_geojson_file(tmp_path: Path, write_site: WriteSite) -> None:
    line_string = {"type": "LineString", "coordinates": SQUARE[:2]}
    path = _write_collection(
        tmp_path,
        "z.geojson",
        [
            _feature({"id": "ok", "importance": 3}, _polygon(SQUARE)),
            _feature({"id": "loud", "importance": 9}, _polygon(SQUARE)),
            _feature({"name": "no id", "importance": 2}, _polygon(SQUARE)),
            _feature({"id": "path", "importance": 2}, line_string),
            _feature(
                {"id": "holed", "importance": 2},
                _polygon(SQUARE, [[104.0562, 35.1302], [104.0564, 35.1302], [104.0564, 35.1304]]),
            ),
        ],
    )
    text = path.read_text(encoding="utf-8")
    problems = problems_of(_site_with(write_site, ["z.geojson"], []))
    line, message = find(problems, "features[1].properties.importance")
    assert message.startswith(f"{path}:{line_of_text(text, 'loud')}:")
    assert "must be >= 1 and <= 5 (is 9)" in message
    line, message = find(problems, "features[2]")
    assert line == line_of_text(text, "no id")
    assert "features[2].properties.id: is required" in message
    line, message = find(problems, "features[3].geometry.type")
    assert line == line_of_text(text, "LineString")
    assert "must be Polygon or MultiPolygon" in message
    line, message = find(problems, "holes")
    assert line == line_of_text(text, "holed")
    assert len(problems) == 4


def test_obstacle_hole_is_filled_with_a_warning(tmp_path: Path, write_site: WriteSite) -> None:
    courtyard = [[104.0562, 35.1302], [104.0564, 35.1302], [104.0564, 35.1304]]
    path = _write_collection(
        tmp_path, "b.geojson", [_feature({"id": "temple"}, _polygon(SQUARE, courtyard))]
    )
    site = load_site(_site_with(write_site, [], ["b.geojson"]))
    (warning,) = site.warnings
    assert warning.file == path
    assert "hole ignored" in warning.text.en
    assert site.spec.obstacles[-1].id == "temple"


def test_duplicate_id_across_yaml_and_geojson(tmp_path: Path, write_site: WriteSite) -> None:
    path = _write_collection(
        tmp_path, "z.geojson", [_feature({"id": "gate", "importance": 3}, _polygon(SQUARE))]
    )
    line, message = find(problems_of(_site_with(write_site, ["z.geojson"], [])), "already used")
    assert message.startswith(f"{path}:")
    assert line == line_of_text(path.read_text(encoding="utf-8"), '"gate"')
    assert "features[0].properties.id: id 'gate' is already used by site.yaml zones[0]" in message


def test_altitude_is_dropped(tmp_path: Path, write_site: WriteSite) -> None:
    with_z = [[lon, lat, 2150.0] for lon, lat in SQUARE]
    _write_collection(
        tmp_path, "z.geojson", [_feature({"id": "hill", "importance": 1}, _polygon(with_z))]
    )
    site = load_site(_site_with(write_site, ["z.geojson"], []))
    assert site.spec.zones[-1].polygon[0] == (104.0560, 35.1300)


def test_missing_file_points_at_the_site_line(write_site: WriteSite) -> None:
    path = _site_with(write_site, ["nowhere.geojson"], [])
    line, message = find(problems_of(path), "geojson.zones[0]")
    assert line == line_of_text(path.read_text(encoding="utf-8"), "zones: ['nowhere")
    assert "'nowhere.geojson' not found" in message


def test_invalid_json_gives_its_line(tmp_path: Path, write_site: WriteSite) -> None:
    (tmp_path / "z.geojson").write_text('{\n"type": "FeatureCollection",\n"features": [,]\n}\n')
    problems = problems_of(_site_with(write_site, ["z.geojson"], []))
    assert problems == [f"{tmp_path / 'z.geojson'}:3: not valid JSON: Expecting value"]


def test_projected_layer_is_refused(tmp_path: Path, write_site: WriteSite) -> None:
    path = tmp_path / "z.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
                "features": [],
            }
        )
    )
    (problem,) = read_site(_site_with(write_site, ["z.geojson"], [])).errors
    assert "EPSG::3857" in problem.text.en
    assert "EPSG:4326" in problem.text.en


def test_not_a_feature_collection(tmp_path: Path, write_site: WriteSite) -> None:
    (tmp_path / "z.geojson").write_text(json.dumps(_polygon(SQUARE)))
    (problem,) = read_site(_site_with(write_site, ["z.geojson"], [])).errors
    assert problem.text.en == "must be a GeoJSON FeatureCollection"


def test_geojson_traced_over_web_map_tiles(tmp_path: Path, write_site: WriteSite) -> None:
    gcj_square = [list(wgs84_to_gcj02(lon, lat)) for lon, lat in SQUARE]
    _write_collection(
        tmp_path, "z.geojson", [_feature({"id": "square", "importance": 4}, _polygon(gcj_square))]
    )
    path = write_site(VALID_SITE + "geojson:\n  zones: [z.geojson]\n  coordinates: gcj02\n")
    site = load_site(path)
    assert site.spec.zones[-1].polygon[0] == (
        pytest.approx(SQUARE[0][0], abs=1e-8),
        pytest.approx(SQUARE[0][1], abs=1e-8),
    )
    # The site file's own positions stay WGS84.
    assert site.spec.cameras[0].location == (104.0502, 35.1301)


def test_duplicate_id_within_geojson_names_the_first_file(
    tmp_path: Path, write_site: WriteSite
) -> None:
    first = _write_collection(
        tmp_path, "a.geojson", [_feature({"id": "plaza", "importance": 3}, _polygon(SQUARE))]
    )
    _write_collection(
        tmp_path, "b.geojson", [_feature({"id": "plaza", "importance": 3}, _polygon(SQUARE))]
    )
    problems = problems_of(_site_with(write_site, ["a.geojson", "b.geojson"], []))
    _, message = find(problems, "already used")
    line = line_of_text(first.read_text(encoding="utf-8"), "plaza")
    assert f"id 'plaza' is already used by a.geojson features[0] (line {line})" in message
    assert message.startswith(f"{tmp_path / 'b.geojson'}:")


def test_qgis_nulls_and_json_text_schedule(tmp_path: Path, write_site: WriteSite) -> None:
    schedule = json.dumps([{"period": "night-market", "importance": 5}])
    _write_collection(
        tmp_path,
        "z.geojson",
        [
            _feature(
                {"id": "square", "name": None, "importance": 3.0, "schedule": schedule},
                _polygon(SQUARE),
            )
        ],
    )
    _write_collection(
        tmp_path, "b.geojson", [_feature({"id": None, "height_m": None}, _polygon(SQUARE))]
    )
    site = load_site(_site_with(write_site, ["z.geojson"], ["b.geojson"]))
    zone = site.spec.zones[-1]
    assert (zone.name, zone.importance) == ("square", 3)
    assert zone.schedule[0].period == "night-market"
    assert site.spec.obstacles[-1].id == "b-1"
    assert site.spec.obstacles[-1].height_m is None


def test_camera_inside_a_geojson_building(tmp_path: Path, write_site: WriteSite) -> None:
    around_cam = [
        [104.0501, 35.1300],
        [104.0503, 35.1300],
        [104.0503, 35.1302],
        [104.0501, 35.1302],
    ]
    layer = _write_collection(
        tmp_path, "b.geojson", [_feature({"id": "kiosk"}, _polygon(around_cam))]
    )
    line, message = find(problems_of(_site_with(write_site, [], ["b.geojson"])), "inside obstacle")
    assert line == line_of_text(VALID_SITE, "location: [104.0502, 35.1301]")
    kiosk_line = line_of_text(layer.read_text(encoding="utf-8"), "kiosk")
    assert f"inside obstacle 'kiosk' (b.geojson features[0], line {kiosk_line})" in message


def test_datum_still_applies_when_site_info_is_broken(
    tmp_path: Path, write_site: WriteSite
) -> None:
    # cam-001 written in GCJ-02 stands, once converted, inside a WGS84 kiosk from a layer. With
    # the site's name missing, the checks must still convert it to see that.
    around_cam = [
        [104.0501, 35.1300],
        [104.0503, 35.1300],
        [104.0503, 35.1302],
        [104.0501, 35.1302],
    ]
    _write_collection(tmp_path, "b.geojson", [_feature({"id": "kiosk"}, _polygon(around_cam))])
    gcj = wgs84_to_gcj02(104.0502, 35.1301)
    text = VALID_SITE.replace("  name: 测试站点 test site\n", "  coordinates: gcj02\n").replace(
        "[104.0502, 35.1301]", f"[{gcj[0]!r}, {gcj[1]!r}]"
    )
    problems = problems_of(write_site(text + "geojson:\n  obstacles: [b.geojson]\n"))
    find(problems, "site.name: is required")
    find(problems, "inside obstacle 'kiosk'")
