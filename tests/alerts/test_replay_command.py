"""`gapwatch replay` as a user runs it: output shape, messages naming lines, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gapwatch.cli import app
from tests.alerts import scenario as sc

T0 = sc.local("2026-07-29", "20:00")


def gapwatch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from gapwatch.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_json_output_has_the_contract_shape_and_bad_lines_are_named(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    lines = sc.outage("cam-sw", T0, bad=3, good=0)
    lines.insert(2, '{"at": "2026-07-29T20:00:30+08:00", "camera": "cam-9", "status": "offline"}')
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")

    done = gapwatch("replay", str(sc.EXAMPLE_SITE), str(events), "--format", "json")
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"{events}:3: unknown camera 'cam-9' / 未知摄像机 'cam-9'"
    ]
    alerts = json.loads(done.stdout)["alerts"]
    assert len(alerts) == 1
    alert = alerts[0]
    for key in (
        "id",
        "kind",
        "cameras",
        "opened_at",
        "resolved_at",
        "severity",
        "blind_spot_m2",
        "blind_spots",
        "tasks",
    ):
        assert key in alert
    assert alert["severity"] == "critical"
    spot = alert["blind_spots"][0]
    assert set(spot) == {"zone", "area_m2", "geometry"} and spot["geometry"]["type"] == "Polygon"
    lon, lat = spot["geometry"]["coordinates"][0][0]
    assert 104 < lon < 105 and 35 < lat < 36
    assert {t["kind"] for t in alert["tasks"]} == {"video_patrol", "road_patrol"}
    assert all(set(t) == {"id", "kind", "assignee", "status"} for t in alert["tasks"])


def test_clean_replay_exits_zero_with_a_bilingual_summary(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(sc.outage("cam-sw", T0)) + "\n", encoding="utf-8")
    done = in_process("replay", str(sc.EXAMPLE_SITE), str(events))
    assert done.exit_code == 0 and done.stderr == ""
    assert "1 alerts / " in done.stdout and "告警 1 条" in done.stdout
    assert "road_patrol" in done.stdout


def in_process(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_missing_files_and_bad_format_exit_two(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("", encoding="utf-8")
    missing = in_process("replay", str(sc.EXAMPLE_SITE), str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2 and "nope.jsonl:1:" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad_site = in_process("replay", str(tmp_path / "nope.yaml"), str(events))
    assert bad_site.exit_code == 2 and "nope.yaml" in bad_site.stderr
    bad_format = in_process("replay", str(sc.EXAMPLE_SITE), str(events), "--format", "xml")
    assert bad_format.exit_code == 2 and "--format" in bad_format.stderr
