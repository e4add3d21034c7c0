"""`gapwatch coverage`: the CONTRACTS.md JSON shape, GeoJSON a GIS tool opens, clear errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gapwatch.cli import app
from gapwatch.coverage.model import CoverageModel
from gapwatch.coverage.report import CoverageReport, build_coverage_report
from gapwatch.site import Site, load_site
from tests.coverage.geojson_checks import check_feature_collection, check_geometry, positions

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "demo-weiyuan.yaml"
EXAMPLE = ROOT / "config" / "examples" / "riverside-plaza.yaml"


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])


def coverage_json(site: Path, *down: str) -> dict[str, Any]:
    args = ["coverage", str(site), "--format", "json"]
    for camera in down:
        args += ["--down", camera]
    result = run(*args)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.fixture(scope="module")
def demo_site() -> Site:
    return load_site(DEMO)


@pytest.fixture(scope="module")
def demo_model(demo_site: Site) -> CoverageModel:
    return CoverageModel.from_site(demo_site)


@pytest.fixture(scope="module")
def demo_json() -> dict[str, Any]:
    return coverage_json(DEMO)


def test_json_has_the_contract_shape(demo_json: dict[str, Any]) -> None:
    assert demo_json["zones"] and demo_json["blind_spots"]
    for zone in demo_json["zones"]:
        assert {"id", "area_m2", "covered_m2", "coverage_ratio"} <= zone.keys()
        assert all(isinstance(zone[k], float) for k in ("area_m2", "covered_m2", "coverage_ratio"))
    for spot in demo_json["blind_spots"]:
        assert {"zone", "area_m2", "geometry"} <= spot.keys()
        assert spot["geometry"]["type"] in ("Polygon", "MultiPolygon")
        check_geometry(spot["geometry"])


def test_json_numbers_agree_with_the_engine(
    demo_json: dict[str, Any], demo_site: Site, demo_model: CoverageModel
) -> None:
    engine = {z.id: z for z in demo_model.compute().zones}
    assert [z["id"] for z in demo_json["zones"]] == [z.id for z in demo_site.spec.zones]
    for zone in demo_json["zones"]:
        truth = engine[zone["id"]]
        assert zone["area_m2"] == pytest.approx(truth.area_m2, abs=0.01)
        assert zone["covered_m2"] == pytest.approx(truth.covered_m2, abs=0.01)
        assert 0.0 <= zone["covered_m2"] <= zone["area_m2"]
        assert zone["coverage_ratio"] == pytest.approx(
            zone["covered_m2"] / zone["area_m2"], abs=1e-5
        )
    blind_by_zone: dict[str, float] = {}
    for spot in demo_json["blind_spots"]:
        assert spot["area_m2"] >= demo_site.spec.coverage.min_blind_area_m2
        blind_by_zone[spot["zone"]] = blind_by_zone.get(spot["zone"], 0.0) + spot["area_m2"]
    for zone in demo_json["zones"]:
        # Listed blind spots never exceed the zone's uncovered ground (slivers are dropped).
        assert blind_by_zone.get(zone["id"], 0.0) <= zone["area_m2"] - zone["covered_m2"] + 0.05


def test_down_never_increases_coverage_and_a_sole_watcher_opens_a_gap(
    demo_json: dict[str, Any], demo_model: CoverageModel
) -> None:
    gaps = demo_model.failure_gaps()
    worst, redundant = gaps[0], gaps[-1]
    assert worst.area_m2 > 0.0
    before = {z["id"]: z["covered_m2"] for z in demo_json["zones"]}
    for camera in (worst.camera_id, redundant.camera_id):
        after = coverage_json(DEMO, camera)
        assert after["down"] == [camera]
        assert after["cameras_working"] == after["cameras_total"] - 1
        for zone in after["zones"]:
            assert zone["covered_m2"] <= before[zone["id"]] + 0.01
        lost = sum(before.values()) - sum(z["covered_m2"] for z in after["zones"])
        expected = worst.area_m2 if camera == worst.camera_id else redundant.area_m2
        assert lost == pytest.approx(expected, abs=0.5)


def test_geojson_is_one_valid_feature_collection(demo_json: dict[str, Any]) -> None:
    result = run("coverage", DEMO, "--format", "geojson", "--down", "cam-002")
    assert result.exit_code == 0, result.output
    features = check_feature_collection(json.loads(result.stdout))
    zones = [f for f in features if f["properties"]["layer"] == "zone"]
    spots = [f for f in features if f["properties"]["layer"] == "blind_spot"]
    assert {f["properties"]["id"] for f in zones} == {z["id"] for z in demo_json["zones"]}
    assert all(0.0 <= f["properties"]["coverage_ratio"] <= 1.0 for f in zones)
    assert len(spots) >= len(demo_json["blind_spots"])
    # Positions land on the site, not at the projection's origin or swapped.
    lons = [p[0] for f in spots for p in positions(f["geometry"])]
    lats = [p[1] for f in spots for p in positions(f["geometry"])]
    assert min(lons) > 103.9 and max(lons) < 104.5
    assert min(lats) > 34.9 and max(lats) < 35.3


def test_table_is_bilingual_and_lists_every_zone() -> None:
    result = run("coverage", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "覆盖率" in result.stdout and "Coverage" in result.stdout
    assert "riverside-plaza" in result.stdout and "100.0 %" in result.stdout


def test_unknown_camera_is_a_clear_error() -> None:
    result = run("coverage", EXAMPLE, "--down", "plaza-sw", "--down", "cam-999")
    assert result.exit_code == 2
    assert "cam-999" in result.output and "unknown camera" in result.output
    assert "Traceback" not in result.output


def test_unknown_format_is_refused() -> None:
    result = run("coverage", EXAMPLE, "--format", "xml")
    assert result.exit_code == 2
    assert "xml" in result.output and "geojson" in result.output


def test_bad_site_prints_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = EXAMPLE.read_text(encoding="utf-8").replace("hfov_deg: 100", "hfov_deg: 400", 1)
    bad.write_text(text, encoding="utf-8")
    (tmp_path / "riverside-plaza-zones.geojson").write_text(
        (EXAMPLE.parent / "riverside-plaza-zones.geojson").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    result = run("coverage", bad)
    assert result.exit_code == 2
    line = text.splitlines().index("    hfov_deg: 400") + 1
    assert re.search(rf"bad\.yaml:{line}: .*hfov", result.output), result.output
    assert "Traceback" not in result.output


def ogrinfo(*args: str) -> str:
    done = subprocess.run(
        ["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "ERROR" not in done.stderr, done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin is not installed")
def test_gdal_opens_the_geojson_and_finds_every_geometry_valid(tmp_path: Path) -> None:
    # QGIS reads GeoJSON through GDAL/OGR; ogrinfo is that same reader.
    result = run("coverage", DEMO, "--format", "geojson", "--down", "cam-035")
    assert result.exit_code == 0, result.output
    path = tmp_path / "coverage.geojson"
    path.write_text(result.stdout, encoding="utf-8")
    document = json.loads(result.stdout)
    summary = ogrinfo("-al", "-so", str(path))
    assert "using driver `GeoJSON' successful" in summary
    assert f"Feature Count: {len(document['features'])}" in summary
    assert 'ID["EPSG",4326]' in summary
    invalid = ogrinfo(
        "-dialect",
        "SQLite",
        "-sql",
        f'SELECT COUNT(*) AS invalid FROM "{document["name"]}" WHERE NOT ST_IsValid(geometry)',
        str(path),
    )
    assert "invalid (Integer) = 0" in invalid


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_report_stays_consistent_for_any_broken_cameras(
    data: st.DataObject, demo_site: Site, demo_model: CoverageModel
) -> None:
    ids = [c.id for c in demo_site.spec.cameras]
    down = data.draw(st.sets(st.sampled_from(ids), max_size=12), label="down")
    more = down | data.draw(st.sets(st.sampled_from(ids), max_size=4), label="more")

    def report(broken: set[str]) -> CoverageReport:
        healthy = [c for c in ids if c not in broken]
        result = demo_model.compute(healthy, overlap=False)
        return build_coverage_report(demo_site, result, down=broken)

    fewer, worse = report(down), report(more)
    assert fewer.down == sorted(down) and fewer.cameras_working == len(ids) - len(down)
    for zone, after in zip(fewer.zones, worse.zones, strict=True):
        assert 0.0 <= zone.covered_m2 <= zone.area_m2
        assert zone.coverage_ratio == pytest.approx(zone.covered_m2 / zone.area_m2, abs=1e-5)
        assert after.covered_m2 <= zone.covered_m2 + 0.01
    listed = sum(s.area_m2 for s in fewer.blind_spots)
    assert listed <= fewer.area_m2 - fewer.covered_m2 + 0.05
