"""`gapwatch import wvp` against a stand-in WVP platform on loopback (real HTTP)."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gapwatch.cli import app
from gapwatch.site import load_site
from gapwatch.site.datum import wgs84_to_gcj02
from tests.platforms.wvp_standin import WvpStandIn, demo_state

PASSWORD = "Wvp#Platform-2026!"
ENV = "GW_TEST_WVP_PASSWORD"

SITE = """\
site:
  id: wvp-test
  name: 平台导入测试
zones:
  - id: gate
    name: 大门
    importance: 5
    polygon: [[104.0490, 35.1290], [104.0540, 35.1290], [104.0540, 35.1320], [104.0490, 35.1320]]
    # 节假日重点区域 — a technician's note that must survive every import
cameras:
  - id: hand-1
    name: 手工录入
    stream: rtsp://10.1.2.3/ch1
    location: [104.0495, 35.1295]
    heading_deg: 45
    hfov_deg: 90
    range_m: 60
"""


@pytest.fixture
def site_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(SITE, encoding="utf-8")
    return path


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(app, list(args), env={ENV: PASSWORD, **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def _import(url: str, site: Path, *extra: str) -> tuple[int, str, str]:
    return _run(
        "import", "wvp", url, "--user", "admin", "--password-env", ENV,
        "--site", str(site), "--platform-id", "county", *extra,
    )  # fmt: skip


def test_import_adds_channels_converts_datum_and_marks_unplaced(site_file: Path) -> None:
    with WvpStandIn(demo_state(PASSWORD)) as wvp:
        code, out, err = _import(wvp.url, site_file, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert sorted(report["added"]) == ["34020000001310000001", "34020000001310000002",
                                       "34020000001320000099"]  # fmt: skip
    # no position (0/0) and offline-without-URL channels wait under `unplaced`
    assert sorted(report["unplaced"]) == ["34020000001310000003", "34020000001310000004"]
    site = load_site(site_file)
    cameras = {c.id: c for c in site.spec.cameras}
    assert "hand-1" in cameras
    south = cameras["34020000001310000001"]
    assert south.platform == "county" and south.manufacturer == "Hikvision"
    assert south.stream == "rtsp://10.20.0.9:554/rtp/34020000001180000001_34020000001310000001"
    # the NVR stores GCJ-02: the file holds WGS84 that maps back onto the platform's numbers
    lon, lat = south.location
    assert wgs84_to_gcj02(lon, lat) == pytest.approx((104.0561, 35.1287), abs=1e-6)
    assert abs(lon - 104.0561) > 0.002  # ~250 m here: the offset was really removed
    trail = cameras["34020000001320000099"]
    assert trail.location == pytest.approx((104.0530, 35.1310))  # WGS84 columns used as they are
    unplaced = {u.platform_id: u for u in site.spec.unplaced}
    assert unplaced["34020000001310000003"].reason == "no_position"
    assert unplaced["34020000001310000004"].reason == "no_play_url"
    # play sessions were started and stopped again, only for the four online channels
    assert sorted(wvp.state.started) == sorted(wvp.state.stopped)
    assert len(wvp.state.started) == 4 and not wvp.state.playing
    assert unplaced["34020000001310000003"].stream  # its URL is kept for when it is placed
    # every list spanned several pages
    assert wvp.state.max_page < 4


def test_reimport_keeps_hand_edits_and_reports_changes(site_file: Path) -> None:
    state = demo_state(PASSWORD)
    with WvpStandIn(state) as wvp:
        assert _import(wvp.url, site_file)[0] == 0
        text = site_file.read_text(encoding="utf-8")
        # a technician aims the new camera, adds a mount height and a comment
        text = (
            text.replace("- id: '34020000001310000001'", "- id: '34020000001310000001'  # 立杆 7")
            if "- id: '34020000001310000001'" in text
            else text
        )
        doc = text.split("34020000001310000001", 1)
        assert len(doc) == 2
        site = load_site(site_file)
        assert site.spec.cameras[1].heading_deg == 0
        edited = text.replace("heading_deg: 0", "heading_deg: 135", 1)
        edited = edited.replace("range_m: 30", "range_m: 80\n    height_m: 6.5", 1)
        site_file.write_text(edited, encoding="utf-8")
        # on the platform: a rename, a vanished channel, one moved 40 m
        nvr = state.devices[0]["deviceId"]
        state.channels[nvr][1]["name"] = "南门广场 2（东）"
        del state.channels[nvr][0]
        state.channels[state.devices[1]["deviceId"]][0]["longitudeWgs84"] = 104.0535
        code, out, err = _import(wvp.url, site_file, "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["added"] == []
    assert report["gone"] == ["34020000001310000001"]
    assert report["changed"] == {"34020000001310000002": ["name"]}
    assert any("34020000001320000099" in note for note in report["notes"])
    after = site_file.read_text(encoding="utf-8")
    assert "节假日重点区域" in after
    site = load_site(site_file)
    cameras = {c.id: c for c in site.spec.cameras}
    aimed = cameras["34020000001310000001"]  # gone from the platform, kept until --prune
    assert (aimed.heading_deg, aimed.range_m, aimed.height_m) == (135, 80, 6.5)
    assert cameras["34020000001310000002"].name == "南门广场 2（东）"
    assert cameras["34020000001320000099"].location == pytest.approx((104.0530, 35.1310))
    with WvpStandIn(state) as wvp:
        code, out, _ = _import(wvp.url, site_file, "--prune", "--format", "json")
    assert code == 0 and json.loads(out)["gone"] == ["34020000001310000001"]
    assert "34020000001310000001" not in {c.id for c in load_site(site_file).spec.cameras}


def test_expired_token_logs_in_again_once(site_file: Path) -> None:
    state = demo_state(PASSWORD)
    state.expire_after_calls = 3  # the token dies while the device pages are being read
    with WvpStandIn(state) as wvp:
        code, _, err = _import(wvp.url, site_file)
    assert code == 0, err
    assert state.logins == 2
    tokens_sent = {h.get("access-token") for p, h in state.requests if p != "/api/user/login"}
    assert len(tokens_sent - {None}) == 2


def test_platform_down_is_a_clear_error_and_writes_nothing(site_file: Path) -> None:
    before = site_file.read_bytes()
    with WvpStandIn(demo_state(PASSWORD)) as wvp:
        url = wvp.url
    code, _out, err = _import(url, site_file)  # the server is gone: connection refused
    assert code == 3
    assert "cannot reach WVP" in err and "nothing written" in err
    assert site_file.read_bytes() == before
    state = demo_state(PASSWORD)
    with WvpStandIn(state) as wvp:
        state.failing = True  # up, but its gateway answers 502
        code, _, err = _import(wvp.url, site_file)
    assert code == 3 and "HTTP 502" in err
    assert site_file.read_bytes() == before


def test_wrong_password_is_refused_and_writes_nothing(site_file: Path) -> None:
    before = site_file.read_bytes()
    with WvpStandIn(demo_state("another password")) as wvp:
        code, _, err = _import(wvp.url, site_file)
    assert code == 2 and "用户名或密码错误" in err
    assert site_file.read_bytes() == before


def test_missing_password_variable(site_file: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["import", "wvp", "http://127.0.0.1:9", "--user", "a", "--password-env", "GW_NOPE",
         "--site", str(site_file)],
    )  # fmt: skip
    assert result.exit_code == 2 and "GW_NOPE" in result.stderr


def test_password_never_leaves(site_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    state = demo_state(PASSWORD)
    state.expire_after_calls = 2
    with WvpStandIn(state) as wvp:
        code, out, err = _import(wvp.url, site_file)
        code2, out2, err2 = _run(
            "import", "wvp", wvp.url, "--user", "admin", "--password-env", ENV
        )  # no --site: the merged file goes to stdout
    assert code == 0 and code2 == 0
    digest = hashlib.md5(PASSWORD.encode()).hexdigest()
    captured = [out, err, out2, err2, caplog.text, site_file.read_text(encoding="utf-8")]
    for text in captured:
        assert PASSWORD not in text and digest not in text
    assert f"password_env: {ENV}" in site_file.read_text(encoding="utf-8")


def test_secrets_file(site_file: Path, tmp_path: Path) -> None:
    secrets = tmp_path / "gapwatch.env"
    secrets.write_text(f"# platform logins\nCOUNTY_WVP='{PASSWORD}'\n", encoding="utf-8")
    with WvpStandIn(demo_state(PASSWORD)) as wvp:
        code, _, err = _run(
            "import", "wvp", wvp.url, "--user", "admin", "--password-env", "COUNTY_WVP",
            "--secrets-file", str(secrets), "--site", str(site_file),
        )  # fmt: skip
    assert code == 0, err
