"""`gapwatch import onvif` and GotoPreset against a real ONVIF device (ipycam) on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gapwatch.cli import app
from gapwatch.platforms.onvif_device import OnvifTarget, goto_preset, read_onvif
from gapwatch.platforms.types import PlatformError, PlatformUnreachable
from gapwatch.site import load_site
from tests.platforms.onvif_camera import PRESETS, OnvifCamera, running_camera

PASSWORD = "Onvif:Cam-pw_7731"
ENV = "GW_TEST_ONVIF_PASSWORD"

SITE = """\
site:
  id: onvif-test
  name: ONVIF 导入测试
zones:
  - id: gate
    name: 大门
    importance: 5
    polygon: [[104.0490, 35.1290], [104.0540, 35.1290], [104.0540, 35.1320], [104.0490, 35.1320]]
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def camera(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OnvifCamera]:
    with running_camera(tmp_path_factory.mktemp("ipycam"), password=PASSWORD) as cam:
        yield cam


def _import(camera: OnvifCamera, site: Path, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app,
        ["import", "onvif", f"{camera.host}:{camera.port}", "--user", camera.user,
         "--password-env", ENV, "--site", str(site), "--format", "json", *extra],
        env={ENV: PASSWORD},
    )  # fmt: skip
    return result.exit_code, result.stdout, result.stderr


def test_import_writes_stream_presets_and_access(camera: OnvifCamera, tmp_path: Path) -> None:
    site_file = tmp_path / "site.yaml"
    site_file.write_text(SITE, encoding="utf-8")
    code, out, err = _import(camera, site_file, "--location", "104.0500,35.1300")
    assert code == 0, err
    assert json.loads(out)["added"] == ["UNV-20260001"]
    cam = load_site(site_file).spec.cameras[0]
    assert cam.manufacturer == "Uniview" and cam.platform_id == "UNV-20260001"
    assert cam.stream == f"rtsp://127.0.0.1:{camera.rtsp_port}/video_main"
    assert cam.onvif is not None and cam.onvif.port == camera.port
    assert cam.onvif.password_env == ENV and cam.onvif.profile == "Profile_Main"
    # the RTSP stream logs in with the ONVIF account, its password read from the same variable
    assert (cam.username, cam.password_env) == (cam.onvif.user, ENV)
    assert {(p.name, p.onvif_token) for p in cam.ptz} == {
        (p["name"], p["token"]) for p in PRESETS.values()
    }
    text = site_file.read_text(encoding="utf-8")
    assert PASSWORD not in text and PASSWORD not in out and PASSWORD not in err

    # a technician aims one preset; the next import keeps that and adds what is new
    aimed = text.replace("heading_deg: 0", "heading_deg: 200", 2)
    site_file.write_text(aimed, encoding="utf-8")
    code, out, err = _import(camera, site_file)
    assert code == 0, err
    assert json.loads(out)["added"] == [] and json.loads(out)["changed"] == {}
    after = load_site(site_file).spec.cameras[0]
    assert after.heading_deg == 200 and after.ptz[0].heading_deg == 200


def test_without_location_the_camera_waits_unplaced(camera: OnvifCamera, tmp_path: Path) -> None:
    site_file = tmp_path / "site.yaml"
    site_file.write_text(SITE, encoding="utf-8")
    code, _out, err = _import(camera, site_file)
    assert code == 0, err
    spec = load_site(site_file).spec
    assert spec.cameras == [] and spec.unplaced[0].reason == "no_position"


def test_goto_preset_moves_the_camera(camera: OnvifCamera) -> None:
    target = OnvifTarget(camera.host, camera.port, camera.user, PASSWORD)
    goto_preset(target, profile="Profile_Main", preset_token="p-lot")
    assert camera.ptz_state()["pan"] == pytest.approx(PRESETS["p-lot"]["pan"])
    goto_preset(target, profile=None, preset_token="p-gate")
    assert camera.ptz_state()["pan"] == pytest.approx(PRESETS["p-gate"]["pan"])


def test_wrong_password_and_unreachable(camera: OnvifCamera, tmp_path: Path) -> None:
    with pytest.raises(PlatformError, match="refused the login"):
        read_onvif(OnvifTarget(camera.host, camera.port, camera.user, "wrong"), platform="x")
    with socket_closed() as port, pytest.raises(PlatformUnreachable):
        read_onvif(OnvifTarget("127.0.0.1", port, "admin", PASSWORD, timeout_s=3), platform="x")
    site_file = tmp_path / "site.yaml"
    site_file.write_text(SITE, encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["import", "onvif", f"{camera.host}:{camera.port}", "--user", "admin",
         "--password-env", ENV, "--site", str(site_file)],
        env={ENV: "wrong"},
    )  # fmt: skip
    assert result.exit_code == 2 and site_file.read_text(encoding="utf-8") == SITE


class socket_closed:
    """A loopback port nothing listens on."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def __exit__(self, *_exc: object) -> None:
        pass


def test_imported_stream_uri_plays(camera: OnvifCamera, tmp_path: Path) -> None:
    """The URI GetStreamUri gave is the camera's real RTSP stream: gapwatch probes it healthy."""
    import subprocess
    import sys

    inventory = read_onvif(
        OnvifTarget(camera.host, camera.port, camera.user, PASSWORD), platform="x"
    )
    stream = inventory.channels[0].stream
    assert stream is not None and stream.startswith("rtsp://")
    result = subprocess.run(
        [sys.executable, "-m", "gapwatch.cli", "probe", stream, "--timeout", "30",
         "--format", "json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["status"] == "ok"
