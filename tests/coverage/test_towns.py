"""Fuzz suite over generated towns, through every output: the engine (compute, failure gaps,
live take_down/bring_up), the GeoJSON writer and reader, `gapwatch coverage` as table, JSON and
GeoJSON, the audit, replayed alerts and the API. Every figure agrees with the point-by-point
raster oracle within 1 % of each zone's area; every GeoJSON passes geojson-validator.

The default budget keeps `make test` quick; the `slow` variants run the same checks on more and
larger towns.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import geojson_validator
import httpx
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gapwatch.alerts.records import blind_features, geometry_from_features
from gapwatch.cli import app
from gapwatch.coverage import CoverageModel, ZoneShape, to_geojson
from gapwatch.coverage.site_geometry import site_geometry
from gapwatch.site import LocalProjection, load_site
from tests.coverage.geojson_checks import check_feature_collection, check_geometry
from tests.coverage.scenes import Scene
from tests.coverage.towns import Town, raster_town, site_yaml, towns

geojson_validator.configure_logging(enabled=False)

CELL_M = 0.125
# Big zones are sampled more coarsely: the oracle's error is random (one random point per cell)
# and its spread grows like cell² × √(perimeter / cell), while the check allows 1 % of the
# area; about 16,000 cells keep it near ten standard deviations inside that.
ORACLE_CELLS = 16_000


def oracle_cell(area_m2: float) -> float:
    """The raster oracle's cell for a zone of this area (CELL_M or coarser)."""
    return max(CELL_M, math.sqrt(area_m2 / ORACLE_CELLS))


# geojson-validator's "problematic" checks that are wrong for blind spots: holes are real (a
# courtyard), 1e-7° (1 cm) is our chosen precision, big zones have many vertices.
ALLOWED_PROBLEMS = {"holes", "excessive_coordinate_precision", "excessive_vertices"}

# Pieces smaller than this can vanish on the 1e-7° (~1 cm) grid of the GeoJSON writer (the sites'
# min_blind_area_m2 default is 2 m²; these tests use 0 to see every piece).
WRITABLE_M2 = 0.01

FAST = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# The suite runs the big towns bounded; `--hypothesis-profile=deep` runs all 300 (README, testing).
DEEP = settings.get_current_profile_name() == "deep"
SLOW = settings(
    max_examples=300 if DEEP else 60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_valid_geojson(document: dict[str, Any]) -> None:
    """RFC 7946 by our own checks and by the third-party geojson-validator."""
    if document.get("type") == "FeatureCollection":
        check_feature_collection(document)
    else:
        check_geometry(document)
    report = geojson_validator.validate_geometries(document)
    assert not report["invalid"], report
    problems = set(report["problematic"]) - ALLOWED_PROBLEMS
    assert not problems, report
    geometries = (
        [f["geometry"] for f in document["features"]]
        if document.get("type") == "FeatureCollection"
        else [document]
    )
    for geometry in geometries:
        assert shapely.geometry.shape(geometry).is_valid, geometry


def assert_agrees(scene: Scene, zones: list[Any], healthy: set[str] | None = None) -> None:
    """Engine zone figures (area_m2, covered_m2) against the raster oracle, 1 % of each zone."""
    for shape, figures in zip(scene.zones, zones, strict=True):
        area = figures["area_m2"] if isinstance(figures, dict) else figures.area_m2
        covered = figures["covered_m2"] if isinstance(figures, dict) else figures.covered_m2
        ground, seen = raster_town(scene, shape, oracle_cell(shape.polygon.area), healthy)
        assert abs(ground - area) <= 0.01 * area + 0.05, (shape.id, ground, area)
        assert abs(seen - covered) <= 0.01 * area + 0.05, (shape.id, seen, covered)


def check_engine(town: Town, data: st.DataObject) -> None:
    scene = town.scene
    model = CoverageModel.build(scene.zones, scene.obstacles, scene.cameras, min_blind_area_m2=0.0)
    result = model.compute()
    assert_agrees(scene, result.zones)
    ids = [c.id for c in scene.cameras]
    down = set(data.draw(st.sets(st.sampled_from(ids), max_size=len(ids)), label="down"))
    healthy = set(ids) - down
    partial = model.compute(healthy)
    assert_agrees(scene, partial.zones, healthy)
    # Live changes: the ground each take_down reports is exactly what coverage loses.
    live = model.live()
    before = {z.id: z.covered_m2 for z in result.zones}
    lost: dict[str, float] = {}
    for cam in sorted(down):
        change = live.take_down([cam])
        for zone, area in change.by_zone.items():
            lost[zone] = lost.get(zone, 0.0) + area
    for z in partial.zones:
        assert before[z.id] - lost.get(z.id, 0.0) == pytest.approx(
            z.covered_m2, abs=1e-3 + 1e-6 * z.area_m2
        )
    live_blind = sum(s.area_m2 for s in live.blind_spots())
    assert live_blind == pytest.approx(sum(s.area_m2 for s in partial.blind_spots), abs=1e-3)
    for cam in sorted(down):
        live.bring_up([cam])
    back = sum(s.area_m2 for s in live.blind_spots())
    assert back == pytest.approx(sum(s.area_m2 for s in result.blind_spots), abs=1e-3)
    gaps = model.failure_gaps()
    for gap in gaps:
        one = model.failure_gap(gap.camera_id)
        assert one.area_m2 == pytest.approx(gap.area_m2, abs=1e-3)
    # Written out and read back as the alert engine stores blind spots.
    projection = LocalProjection(*town.lonlat_centre)
    pieces: dict[str, Any] = {}
    for spot in partial.blind_spots:
        pieces[spot.zone] = shapely.union_all(
            [pieces.get(spot.zone, shapely.Polygon()), spot.geometry]
        )
        if spot.area_m2 >= WRITABLE_M2:
            assert_valid_geojson(to_geojson(spot.geometry, projection))
    features = blind_features(pieces, projection, min_area_m2=0.0)
    assert_valid_geojson({"type": "FeatureCollection", "features": features})
    again = geometry_from_features(features, projection)
    for zone, geometry in again.items():
        if pieces[zone].area < WRITABLE_M2:
            continue
        assert geometry.is_valid
        # Rounding to 1e-7° moves each vertex by up to ~1 cm: area within perimeter × 1 cm.
        slack = pieces[zone].length * 0.012
        assert geometry.area == pytest.approx(pieces[zone].area, abs=slack)


@pytest.mark.slow
@FAST
@given(towns(), st.data())
def test_engine_on_generated_towns(town: Town, data: st.DataObject) -> None:
    check_engine(town, data)


@pytest.mark.long
@pytest.mark.slow
@pytest.mark.timeout(3600)
@SLOW
@given(towns(max_blocks=5, max_cameras=14), st.data())
def test_engine_on_generated_towns_many(town: Town, data: st.DataObject) -> None:
    check_engine(town, data)


# ---------------------------------------------------------------- the command line and replay


def run_cli(*args: str | Path) -> Any:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def check_outputs(town: Town, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = site_yaml(town, Path(folder))
        site = load_site(path)
        geo = site_geometry(site)
        # The oracle reads the site as the engine does: the loaded file, projected.
        scene = Scene(
            [ZoneShape(z.id, z.name, z.importance, z.polygon) for z in geo.zones],
            geo.obstacles,
            geo.cameras,
        )
        ids = [c.id for c in geo.cameras]
        down = sorted(data.draw(st.sets(st.sampled_from(ids), max_size=2), label="down"))
        flags = [a for cam in down for a in ("--down", cam)]
        table = run_cli("coverage", path, *flags)
        assert table.exit_code == 0, table.output
        assert all(z.id in table.stdout for z in geo.zones)
        out = run_cli("coverage", path, "--format", "json", *flags)
        assert out.exit_code == 0, out.output
        document = json.loads(out.stdout)
        assert_agrees(scene, document["zones"], set(ids) - set(down))
        for spot in document["blind_spots"]:
            assert_valid_geojson(spot["geometry"])
        geojson = run_cli("coverage", path, "--format", "geojson", *flags)
        assert geojson.exit_code == 0, geojson.output
        assert_valid_geojson(json.loads(geojson.stdout))
        audit = run_cli("audit", path, "--out", Path(folder) / "audit", *flags)
        assert audit.exit_code == 0, audit.output
        for layer in (Path(folder) / "audit").glob("*.geojson"):
            assert_valid_geojson(json.loads(layer.read_text(encoding="utf-8")))
        check_replay(path, down or ids[:1], Path(folder))


def check_replay(path: Path, down: list[str], folder: Path) -> None:
    start = dt.datetime(2026, 7, 30, 21, 0, tzinfo=dt.UTC)
    lines = []
    for k in range(4):
        at = (start + dt.timedelta(minutes=k)).isoformat()
        for cam in down:
            lines.append({"at": at, "camera": cam, "status": "offline", "faults": ["no_signal"]})
    events = folder / "events.jsonl"
    events.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    result = run_cli("replay", path, events, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    for alert in report["alerts"]:
        for spot in alert["blind_spots"]:
            assert_valid_geojson(spot["geometry"])


@pytest.mark.slow  # the audit renders its maps and tables for every town: ~10 s a town
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(towns(max_cameras=4), st.data())
def test_command_line_audit_and_replay_on_generated_towns(town: Town, data: st.DataObject) -> None:
    check_outputs(town, data)


@pytest.mark.long
@pytest.mark.slow
@pytest.mark.timeout(3600)
@settings(max_examples=60 if DEEP else 12, deadline=None, suppress_health_check=list(HealthCheck))
@given(towns(max_blocks=4, max_cameras=10), st.data())
def test_command_line_audit_and_replay_on_many_towns(town: Town, data: st.DataObject) -> None:
    check_outputs(town, data)


# ---------------------------------------------------------------- the API


def check_api(town: Town, folder: Path, db_url: str) -> None:
    from gapwatch.api import create_app
    from gapwatch.settings import Settings
    from tests.api.conftest import ADMIN_TOKEN
    from tests.api.serving import running

    path = site_yaml(town, folder)
    application = create_app(
        Settings(db_url=db_url, site=path, admin_token=ADMIN_TOKEN, scheduler=False)
    )
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with running(application) as base, httpx.Client(base_url=base, timeout=30) as client:
        coverage = client.get("/api/v1/coverage", headers=headers)
        assert coverage.status_code == 200, coverage.text
        spots = client.get("/api/v1/blind-spots", headers=headers)
        assert spots.status_code == 200, spots.text
        assert_valid_geojson(spots.json())
    site = load_site(path)
    geo = site_geometry(site)
    scene = Scene(
        [ZoneShape(z.id, z.name, z.importance, z.polygon) for z in geo.zones],
        geo.obstacles,
        geo.cameras,
    )
    zones = coverage.json()["zones"]
    assert_agrees(scene, zones)


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(towns(max_cameras=4))
def test_api_coverage_and_blind_spots_on_generated_towns(town: Town) -> None:
    with tempfile.TemporaryDirectory() as folder:
        check_api(town, Path(folder), f"sqlite:///{Path(folder) / 'gw.db'}")


@pytest.mark.parametrize("angle", [0.0, 30.0, 45.0])
@pytest.mark.parametrize("offset", [(0.0, 0.0), (1e-9, -1e-9), (3.5e5, 2.5e5)])
def test_the_raster_oracle_measures_rotated_ground_exactly(
    angle: float, offset: tuple[float, float]
) -> None:
    """The oracle itself, against exact geometry: rows of cell centres on a 45° edge counted
    all in made a 184.5 m² zone 187.3 m² (1.5 %, over the 1 % the town tests allow)."""
    import shapely.affinity

    def place(g: shapely.Geometry) -> shapely.Geometry:
        turned = shapely.affinity.rotate(g, angle, origin=(0.0, 0.0))
        return shapely.affinity.translate(turned, *offset)

    # Blocks of generated towns: a 6 m building in 3 m streets, the zone's west half; and two
    # 8 m buildings in a 12.5 × 25 m half (at 45° its ground came out 186.97 m² for 184.5 when
    # cell centres were a regular lattice: rows of them ran a hair inside each wall).
    for half, blocks in (
        (shapely.box(-3.0, -3.0, 3.0, 9.0), [shapely.box(0.0, 0.0, 6.0, 6.0)]),
        (shapely.box(-3.0, -3.0, 9.5, 22.0), [shapely.box(0, 0, 8, 8), shapely.box(0, 11, 8, 19)]),
    ):
        zone = ZoneShape("west", "west", 1, place(half))
        buildings = [place(b) for b in blocks]
        scene = Scene([zone], buildings, [])
        ground, _seen = raster_town(scene, zone, CELL_M)
        exact = shapely.difference(zone.polygon, shapely.union_all(buildings)).area
        assert ground == pytest.approx(exact, rel=0.003), (ground, exact)
