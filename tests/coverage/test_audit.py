"""The demo site and the coverage audit: files written, figures consistent, a map that shows."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from gapwatch.cli import app
from gapwatch.coverage import mapplot
from gapwatch.coverage.audit import AUDIT_FILES, Audit, run_audit, write_audit
from gapwatch.coverage.model import CoverageModel
from gapwatch.site import Site, load_site
from tests.coverage.geojson_checks import check_feature_collection

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "demo-weiyuan.yaml"
EXAMPLE = ROOT / "config" / "examples" / "riverside-plaza.yaml"
CLIPS = {
    "clean_day.mp4",
    "clean_day_clock.mp4",
    "clean_night_ir.mp4",
    "clean_crowd.mp4",
    "fault_black.mp4",
    "fault_frozen.mp4",
    "fault_blur.mp4",
    "fault_occluded.mp4",
    "fault_no_signal.mp4",
    "fault_color_cast.mp4",
}


@pytest.fixture(scope="module")
def demo() -> Site:
    return load_site(DEMO)


@pytest.fixture(scope="module")
def model(demo: Site) -> CoverageModel:
    return CoverageModel.from_site(demo)


def faulty_cameras(site: Site) -> list[str]:
    return [c.id for c in site.spec.cameras if Path(c.stream).name.startswith("fault_")]


@pytest.fixture(scope="module")
def demo_audit(demo: Site, model: CoverageModel, tmp_path_factory: pytest.TempPathFactory) -> Any:
    down = faulty_cameras(demo)
    audit = run_audit(demo, down=down, model=model)
    out = tmp_path_factory.mktemp("audit")
    written = write_audit(audit, out)
    return audit, out, written


def red_pixels(png: Path) -> tuple[np.ndarray[Any, Any], int]:
    """The decoded image and its count of blind-spot red pixels above the legend band."""
    image = cv2.imread(str(png), cv2.IMREAD_COLOR)
    assert image is not None, "PNG does not decode"
    b, g, r = (image[..., k].astype(int) for k in range(3))
    red = (r > 170) & (g < 60) & (b < 60)
    # The legend swatch at the bottom is red on every map; look above it.
    top = red[: int(image.shape[0] * 0.9)]
    return image, int(top.sum())


# ---------------------------------------------------------------------------- the demo site


def test_demo_site_loads_and_says_it_is_illustrative(demo: Site) -> None:
    spec = demo.spec
    assert 35 <= len(spec.cameras) <= 45
    assert spec.site.note is not None and "illustrative" in spec.site.note.lower()
    assert "illustrative" in DEMO.read_text(encoding="utf-8").splitlines()[3].lower()
    assert {u.kind for u in spec.patrol_units} == {"foot", "vehicle"}
    assert spec.roads and spec.holidays and spec.maintenance
    assert any(p.id == "night-market" and p.start > p.end for p in spec.periods)
    assert any(z.schedule for z in spec.zones)
    assert any(c.ptz for c in spec.cameras)
    groups = [c.group for c in spec.cameras if c.group]
    assert any(groups.count(g) >= 3 for g in groups), "a pole with several cameras"


def test_demo_streams_are_the_sample_clips(demo: Site) -> None:
    streams = ROOT / "sample_streams"
    demo_clips = json.loads((streams / "demo" / "labels.json").read_text(encoding="utf-8"))
    for camera in demo.spec.cameras:
        path = Path(camera.stream)
        clip = demo.resolve(camera.stream).resolve()
        assert clip.is_file(), f"{camera.id}: {clip} is missing"
        if clip.parent == streams / "demo":  # the demo's long clips, labelled beside them
            assert path.name in demo_clips["clips"], camera.stream
        else:
            assert path.name in CLIPS, camera.stream
            assert clip.parent == streams / "clips"
    assert 3 <= len(faulty_cameras(demo)) <= 6


def test_every_demo_camera_sees_part_of_a_zone(model: CoverageModel) -> None:
    for camera_id, view in model.views.items():
        seen = sum(view.geometry.intersection(z.polygon).area for z in model.zones)
        assert seen > 10.0, f"{camera_id} sees no zone"


def test_demo_has_blind_spots_overlaps_and_faults_that_open_gaps(
    demo: Site, model: CoverageModel
) -> None:
    result = model.compute()
    assert result.blind_spots
    assert result.overlap is not None
    assert sum(g.area for g in result.overlap.values()) > 1000.0
    assert any(0.0 < z.coverage_ratio < 1.0 for z in result.zones)
    gaps = {g.camera_id: g for g in model.failure_gaps()}
    # Each faulty sample stream leaves ground unwatched, so the running demo raises real alerts.
    for camera_id in faulty_cameras(demo):
        assert gaps[camera_id].area_m2 > 20.0, camera_id


# ---------------------------------------------------------------------------- the audit


def test_audit_writes_every_file(demo_audit: Any) -> None:
    _, out, written = demo_audit
    assert sorted(p.name for p in written) == sorted(AUDIT_FILES)
    for name in AUDIT_FILES:
        assert (out / name).stat().st_size > 0, name


def test_audit_geojson_layers_are_valid(demo_audit: Any) -> None:
    audit, out, _ = demo_audit
    layers = {
        name: check_feature_collection(json.loads((out / name).read_text(encoding="utf-8")))
        for name in AUDIT_FILES
        if name.endswith(".geojson")
    }
    assert len(layers["zones.geojson"]) == len(audit.site.spec.zones)
    assert len(layers["cameras.geojson"]) == len(audit.site.spec.cameras)
    assert len(layers["blind_spots.geojson"]) == len(audit.result.blind_spots)
    assert layers["failure_gaps.geojson"]
    down = {f["properties"]["camera"] for f in layers["camera_views.geojson"]} & audit.down
    assert down == set(audit.down)
    for item in layers["zones.geojson"]:
        props = item["properties"]
        assert props["covered_m2"] <= props["area_m2"]


def test_audit_figures_are_consistent(demo_audit: Any, model: CoverageModel) -> None:
    audit: Audit = demo_audit[0]
    summary = json.loads((demo_audit[1] / "summary.json").read_text(encoding="utf-8"))
    total = len(audit.site.spec.cameras)
    assert summary["cameras_working"] == total - len(audit.down)
    assert summary["working_share"] == pytest.approx((total - len(audit.down)) / total, abs=1e-4)
    assert summary["working_share_met"] is (summary["working_share"] >= 0.98)
    healthy = [c.id for c in audit.site.spec.cameras if c.id not in audit.down]
    engine = model.compute(healthy)
    critical = [z for z in engine.zones if z.importance >= summary["critical_importance"]]
    assert [z["id"] for z in summary["critical_zones"]] == [z.id for z in critical]
    ratio = sum(z.covered_m2 for z in critical) / sum(z.area_m2 for z in critical)
    assert summary["critical_coverage_ratio"] == pytest.approx(ratio, abs=1e-4)
    worst = model.failure_gaps(healthy)[:3]
    assert [w["camera"] for w in summary["worst_failures"][:3]] == [g.camera_id for g in worst]
    weights = [w["weighted_m2"] for w in summary["worst_failures"]]
    assert weights == sorted(weights, reverse=True)


def test_audit_csv_rows(demo_audit: Any, model: CoverageModel) -> None:
    audit, out, _ = demo_audit
    with (out / "cameras.csv").open(encoding="utf-8-sig", newline="") as handle:
        cameras = {row["camera"]: row for row in csv.DictReader(handle)}
    with (out / "zones.csv").open(encoding="utf-8-sig", newline="") as handle:
        zones = list(csv.DictReader(handle))
    assert len(cameras) == len(audit.site.spec.cameras)
    assert len(zones) == len(audit.site.spec.zones)
    for camera_id in audit.down:
        assert cameras[camera_id]["status"] == "down" and cameras[camera_id]["rank"] == ""
    healthy = [c for c in cameras if c not in audit.down]
    top = next(c for c in cameras.values() if c["rank"] == "1")
    gap = model.failure_gap(top["camera"], healthy)
    assert float(top["failure_gap_m2"]) == pytest.approx(gap.area_m2, abs=0.1)
    for row in zones:
        assert float(row["covered_m2"]) <= float(row["area_m2"])


def test_audit_map_is_a_real_image_with_blind_spots_in_red(demo_audit: Any) -> None:
    audit, out, _ = demo_audit
    assert audit.result.blind_spots
    image, red = red_pixels(out / "map.png")
    height, width = image.shape[:2]
    assert width >= 1200 and height >= 900
    assert red > 500


def test_fully_covered_site_has_no_red_on_its_map(tmp_path: Path) -> None:
    site = load_site(EXAMPLE)
    audit = run_audit(site)
    assert audit.result.blind_spots == []
    assert audit.summary.critical_coverage_met and audit.summary.working_share_met
    write_audit(audit, tmp_path)
    _, red = red_pixels(tmp_path / "map.png")
    assert red == 0
    # One camera down opens blind ground, and the map shows it.
    broken = run_audit(site, down=["plaza-ne"])
    assert broken.result.blind_spots and not broken.summary.critical_coverage_met
    write_audit(broken, tmp_path / "broken")
    _, red = red_pixels(tmp_path / "broken" / "map.png")
    assert red > 100


def test_map_refuses_without_a_chinese_font(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mapplot, "cjk_font_family", lambda: None)
    audit = run_audit(load_site(EXAMPLE), down=["plaza-sw"])
    with pytest.raises(mapplot.MissingFontError, match="fonts-noto-cjk"):
        write_audit(audit, tmp_path)


def test_audit_command_prints_targets_and_refuses_unknown_cameras(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["audit", str(EXAMPLE), "--out", str(tmp_path), "--down", "plaza-ne"]
    )
    assert result.exit_code == 0, result.output
    assert "完好率" in result.stdout and "working cameras" in result.stdout
    assert "1/2" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(AUDIT_FILES)
    bad = runner.invoke(app, ["audit", str(EXAMPLE), "--out", str(tmp_path), "--down", "nope"])
    assert bad.exit_code == 2 and "nope" in bad.output


def test_audit_suggests_placements_that_close_blind_ground(demo_audit: Any) -> None:
    audit, out, _ = demo_audit
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    picks = summary["suggestions"]
    assert picks, "a site with blind spots gets suggestions"
    blind_weighted = sum(s.area_m2 * s.importance for s in audit.result.blind_spots)
    assert sum(p["gain_weighted_m2"] for p in picks) <= blind_weighted + 1.0
    for pick in picks:
        assert pick["gain_m2"] > 0.0 and pick["kind"] in (
            "repair_camera",
            "new_camera",
            "ptz_preset",
            "ptz_heading",
        )
        lon, lat = pick["location"]
        assert 103.9 < lon < 104.5 and 34.9 < lat < 35.3
    layer = check_feature_collection(
        json.loads((out / "suggestions.geojson").read_text(encoding="utf-8"))
    )
    assert [f["properties"]["rank"] for f in layer] == list(range(1, len(picks) + 1))


def test_map_closes_up_on_small_important_zones() -> None:
    import shapely

    plaza = mapplot.MapZone("gate", "入口广场 gate plaza", shapely.box(0, 0, 60, 40), 0.9, 5)
    trail = mapplot.MapZone("trail", "步道 trail", shapely.box(20, 40, 28, 640), 0.5, 3)
    tall = mapplot._fit((0.0, 0.0, 60.0, 640.0), 1.25)
    close_up = mapplot._detail_limits([plaza, trail], tall, 1.25)
    assert close_up is not None
    minx, maxx, miny, maxy = close_up
    assert minx < 0 and maxx > 60 and miny < 0 and maxy > 40
    assert (maxx - minx) < (tall[1] - tall[0]) / 3
    compact = mapplot._fit((0.0, 0.0, 60.0, 40.0), 1.25)
    assert mapplot._detail_limits([plaza], compact, 1.25) is None


def test_demo_roads_bring_every_unit_to_every_zone(demo: Site) -> None:
    from shapely.geometry import Polygon

    from gapwatch.patrol import RoadNetwork, UnitPosition

    projection = demo.projection
    network = RoadNetwork.from_site(demo.spec.roads, projection)
    for unit in demo.spec.patrol_units:
        x, y = projection.to_metres(*unit.location)
        position = UnitPosition(unit.id, unit.kind, x, y)
        for zone in demo.spec.zones:
            target = network.target_for(unit.kind, projection.project(Polygon(zone.polygon)))
            eta_s, _, _, on_roads = network.plan(position, target)
            assert on_roads, f"{unit.id} has no road to {zone.id}"
            assert eta_s < 6 * 3600
