"""The service side: platform sync beside gapwatch's verdict, per-camera Prometheus series,
"look now" (GotoPreset on a real ONVIF device) in the alert's log, and no password leaking."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gapwatch.api import create_app
from gapwatch.api.auth import Role, create_token
from gapwatch.platforms.onvif_device import OnvifTarget, goto_preset
from gapwatch.runtime.pipeline import Service
from gapwatch.settings import Settings
from gapwatch.storage import AlertLogRow, TaskRow, transaction
from gapwatch.vision.types import ProbeResult
from tests.api.serving import running
from tests.platforms.onvif_camera import PRESETS, OnvifCamera, running_camera
from tests.platforms.wvp_standin import WvpStandIn, demo_state

WVP_PASSWORD = "Wvp-Api-Pw#4410"
ONVIF_PASSWORD = "Onvif-Api-Pw#5521"
ADMIN = "gw_test-admin-token-platforms-0123456789"
CLIP = Path(__file__).resolve().parents[2] / "sample_streams" / "clips" / "clean_day.mp4"
WVP_CAM = "34020000001320000099"

SITE = """\
site:
  id: platform-api
  name: 平台接口测试
zones:
  - id: square
    name: 广场
    importance: 5
    polygon: [[104.0500, 35.1300], [104.0510, 35.1300], [104.0510, 35.1308], [104.0500, 35.1308]]
  - id: lane
    name: Lane
    importance: 2
    polygon: [[104.0490, 35.1290], [104.0499, 35.1290], [104.0499, 35.1298], [104.0490, 35.1298]]
cameras:
  - id: '{wvp_cam}'
    name: Trail 1
    stream: {clip}
    location: [104.0499, 35.1299]
    heading_deg: 45
    hfov_deg: 90
    range_m: 150
    platform: county
    platform_id: '{wvp_cam}'
  - id: ptz-1
    name: 云台 1
    stream: {clip}
    location: [104.0512, 35.1309]
    heading_deg: 30
    hfov_deg: 20
    range_m: 10
    platform: onvif-ptz
    platform_id: UNV-20260001
    onvif:
      host: 127.0.0.1
      port: {onvif_port}
      user: admin
      password_env: GW_T_ONVIF
      profile: Profile_Main
    ptz:
      - {{id: gate, name: 南门广场, heading_deg: 225, hfov_deg: 90, range_m: 150,
          onvif_token: p-gate}}
      - {{id: lot, name: 停车场, heading_deg: 45, hfov_deg: 60, range_m: 40, onvif_token: p-lot}}
patrol_units:
  - {{id: unit-1, name: 巡逻一组, kind: foot, location: [104.0520, 35.1290]}}
platforms:
  - {{id: county, kind: wvp, url: '{wvp_url}', user: admin, password_env: GW_T_WVP}}
  - {{id: onvif-ptz, kind: onvif, url: 'http://127.0.0.1:{onvif_port}', user: admin,
      password_env: GW_T_ONVIF}}
"""

pytestmark = pytest.mark.slow


@dataclass
class Rig:
    client: httpx.Client
    service: Service
    tokens: dict[str, str]
    camera: OnvifCamera
    wvp: WvpStandIn

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture(scope="module")
def onvif_camera(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OnvifCamera]:
    with running_camera(tmp_path_factory.mktemp("ipycam"), password=ONVIF_PASSWORD) as camera:
        yield camera


def _start(
    tmp_path: Path, onvif_port: int, wvp: WvpStandIn, **settings: object
) -> Iterator[tuple[httpx.Client, Service, dict[str, str]]]:
    site = tmp_path / "site.yaml"
    site.write_text(
        SITE.format(wvp_cam=WVP_CAM, clip=CLIP, onvif_port=onvif_port, wvp_url=wvp.url),
        encoding="utf-8",
    )
    app = create_app(
        Settings(
            db_url=f"sqlite:///{tmp_path / 'gw.db'}",
            site=site,
            admin_token=ADMIN,
            scheduler=False,
            **settings,  # type: ignore[arg-type]
        )
    )
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        service: Service = app.state.service
        tokens = {"admin": ADMIN}
        with transaction(service.sessions) as session:
            for role in (Role.operator, Role.technician, Role.dispatcher):
                bound = "unit-1" if role is Role.dispatcher else None
                made = create_token(session, name=f"t {role.value}", role=role, unit_id=bound)
                tokens[role.value] = made[0]
        yield client, service, tokens


@pytest.fixture
def rig(
    tmp_path: Path, onvif_camera: OnvifCamera, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Rig]:
    monkeypatch.setenv("GW_T_WVP", WVP_PASSWORD)
    monkeypatch.setenv("GW_T_ONVIF", ONVIF_PASSWORD)
    with WvpStandIn(demo_state(WVP_PASSWORD)) as wvp:
        for client, service, tokens in _start(tmp_path, onvif_camera.port, wvp):
            yield Rig(client, service, tokens, onvif_camera, wvp)


def _black(rig: Rig, camera: str) -> None:
    start = dt.datetime.now(dt.UTC)
    for n in range(3):
        rig.service.handle_probe(
            camera, start + dt.timedelta(seconds=n), ProbeResult("degraded", ["black"])
        )


def _sync_all(service: Service) -> None:
    assert service.platform_sync is not None
    for state in ("county", "onvif-ptz"):
        service.platform_sync.sync(state, at=dt.datetime.now(dt.UTC))


def _metrics(rig: Rig) -> dict[str, list[tuple[dict[str, str], float]]]:
    response = rig.client.get("/metrics", headers=rig.headers("operator"))
    assert response.status_code == 200
    families: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):  # the official parser
        families[family.name] = [(dict(s.labels), s.value) for s in family.samples]
    return families


def test_platform_online_but_picture_black_is_surfaced(rig: Rig) -> None:
    _sync_all(rig.service)
    _black(rig, WVP_CAM)
    cameras = rig.client.get("/api/v1/cameras", headers=rig.headers("operator")).json()
    by_id = {c["id"]: c for c in cameras}
    trail = by_id[WVP_CAM]
    assert trail["status"] == "degraded" and trail["platform_status"] == "online"
    assert trail["platform"] == "county"
    assert trail["platform_disagrees"] is True
    assert by_id["ptz-1"]["platform_status"] == "online"
    assert by_id["ptz-1"]["platform_disagrees"] is False  # not judged yet: nothing to disagree
    platforms = rig.client.get("/api/v1/platforms", headers=rig.headers("operator")).json()
    county = next(p for p in platforms if p["id"] == "county")
    assert county["ok"] is True and county["channels"] == 5
    assert WVP_CAM not in county["not_in_site"] and len(county["not_in_site"]) == 4

    families = _metrics(rig)
    up = {
        labels["camera"]: (labels["zone"], value)
        for labels, value in families["gapwatch_camera_up"]
    }
    assert up == {WVP_CAM: ("square", 0.0)}  # ptz-1 has no verdict yet, so no series
    assert ({"camera": WVP_CAM, "code": "black"}, 1.0) in families["gapwatch_camera_fault"]
    online = families["gapwatch_camera_platform_online"]
    assert ({"camera": WVP_CAM, "platform": "county"}, 1.0) in online


def test_platform_down_turns_status_unknown(rig: Rig) -> None:
    _sync_all(rig.service)
    rig.wvp.state.failing = True
    assert rig.service.platform_sync is not None
    state = rig.service.platform_sync.sync("county", at=dt.datetime.now(dt.UTC))
    assert state.ok is False and "502" in (state.error or "")
    camera = rig.client.get(f"/api/v1/cameras/{WVP_CAM}", headers=rig.headers("operator")).json()
    assert camera["platform_status"] == "unknown" and camera["platform_disagrees"] is False


def test_look_now_moves_the_camera_and_logs_it(rig: Rig) -> None:
    _black(rig, WVP_CAM)
    tasks = rig.client.get(
        "/api/v1/tasks", params={"kind": "video_patrol"}, headers=rig.headers("operator")
    ).json()["items"]
    assert tasks, "the black camera raised an alert with a video patrol"
    task = tasks[0]
    assert any(v["preset"] == "gate" for v in task["payload"]["views"])
    response = rig.client.post(
        f"/api/v1/tasks/{task['id']}/look", headers=rig.headers("dispatcher")
    )
    assert response.status_code == 403
    assert response.json()["detail"][0]["msg"]
    target = OnvifTarget(rig.camera.host, rig.camera.port, "admin", ONVIF_PASSWORD)
    goto_preset(target, profile=None, preset_token="p-lot")  # the camera starts elsewhere
    assert rig.camera.ptz_state()["pan"] == pytest.approx(PRESETS["p-lot"]["pan"])
    response = rig.client.post(f"/api/v1/tasks/{task['id']}/look", headers=rig.headers("operator"))
    assert response.status_code == 200, response.text
    assert response.json()["camera"] == "ptz-1" and response.json()["preset"] == "gate"
    assert rig.camera.ptz_state()["pan"] == pytest.approx(PRESETS["p-gate"]["pan"])
    with transaction(rig.service.sessions, write=False) as session:
        alert_id = session.get(TaskRow, task["id"]).alert_id  # type: ignore[union-attr]
        lines = session.query(AlertLogRow).filter_by(alert_id=alert_id, action="look_now").all()
        assert [(line.actor, line.detail["preset"]) for line in lines] == [("t operator", "gate")]
    alert = rig.client.get(f"/api/v1/alerts/{alert_id}", headers=rig.headers("operator")).json()
    assert "look_now" in [line["action"] for line in alert["log"]]
    # a technician may too; a preset the task does not name is refused
    response = rig.client.post(
        f"/api/v1/tasks/{task['id']}/look",
        json={"preset": "lot"},
        headers=rig.headers("technician"),
    )
    assert response.status_code == 409
    road = rig.client.get(
        "/api/v1/tasks", params={"kind": "road_patrol"}, headers=rig.headers("operator")
    ).json()["items"][0]
    response = rig.client.post(
        f"/api/v1/tasks/{road['id']}/look", headers=rig.headers("technician")
    )
    assert response.status_code == 409
    response = rig.client.post("/api/v1/tasks/tk-nope/look", headers=rig.headers("operator"))
    assert response.status_code == 404


def test_look_now_at_a_dead_camera_is_502_and_logged(
    tmp_path: Path, onvif_camera: OnvifCamera, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GW_T_WVP", WVP_PASSWORD)
    monkeypatch.setenv("GW_T_ONVIF", ONVIF_PASSWORD)
    with socket.socket() as sock:  # a port nothing listens on: the camera is dead
        sock.bind(("127.0.0.1", 0))
        dead_port = int(sock.getsockname()[1])
    with WvpStandIn(demo_state(WVP_PASSWORD)) as wvp:
        for client, service, tokens in _start(tmp_path, dead_port, wvp):
            rig = Rig(client, service, tokens, onvif_camera, wvp)
            _black(rig, WVP_CAM)
            task = client.get(
                "/api/v1/tasks", params={"kind": "video_patrol"}, headers=rig.headers("operator")
            ).json()["items"][0]
            response = client.post(
                f"/api/v1/tasks/{task['id']}/look", headers=rig.headers("operator")
            )
            assert response.status_code == 502
            assert "ptz-1" in response.json()["detail"][0]["msg"]
            with transaction(service.sessions, write=False) as session:
                actions = [row.action for row in session.query(AlertLogRow)]
            assert "look_now_failed" in actions


def test_passwords_never_leave_the_server(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _sync_all(rig.service)
    _black(rig, WVP_CAM)
    task = rig.client.get(
        "/api/v1/tasks", params={"kind": "video_patrol"}, headers=rig.headers("admin")
    ).json()["items"][0]
    rig.client.post(f"/api/v1/tasks/{task['id']}/look", headers=rig.headers("operator"))
    bodies = [
        rig.client.get(path, headers=rig.headers("admin")).text
        for path in (
            "/api/v1/cameras",
            "/api/v1/cameras/ptz-1",
            "/api/v1/platforms",
            "/api/v1/tasks",
            f"/api/v1/alerts/{task['alert_id']}",
            "/metrics",
            "/openapi.json",
        )
    ]
    with transaction(rig.service.sessions, write=False) as session:
        stored = [str(row.detail) for row in session.query(AlertLogRow)]
    for secret in (WVP_PASSWORD, ONVIF_PASSWORD, hashlib.md5(WVP_PASSWORD.encode()).hexdigest()):
        for text in [*bodies, caplog.text, *stored]:
            assert secret not in text


def test_per_camera_series_can_be_turned_off(
    tmp_path: Path, onvif_camera: OnvifCamera, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GW_T_WVP", WVP_PASSWORD)
    with WvpStandIn(demo_state(WVP_PASSWORD)) as wvp:
        for client, service, tokens in _start(
            tmp_path, onvif_camera.port, wvp, camera_metrics=False
        ):
            rig = Rig(client, service, tokens, onvif_camera, wvp)
            _black(rig, WVP_CAM)
            families = _metrics(rig)
    assert "gapwatch_camera_up" not in families and "gapwatch_camera_fault" not in families
    assert families["gapwatch_camera_states"]  # the totals stay


def test_service_start_syncs_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the scheduler on, the first sync runs at start-up, not one interval later."""
    import time

    from gapwatch.runtime.pipeline import build_service

    monkeypatch.setenv("GW_T_WVP", WVP_PASSWORD)
    with WvpStandIn(demo_state(WVP_PASSWORD)) as wvp:
        site = tmp_path / "site.yaml"
        text = SITE.format(wvp_cam=WVP_CAM, clip=CLIP, onvif_port=1, wvp_url=wvp.url)
        text = text.replace("GW_T_WVP}", "GW_T_WVP, sync_interval_s: 3600}")
        site.write_text(text, encoding="utf-8")
        settings = Settings(db_url=f"sqlite:///{tmp_path / 'gw.db'}", site=site)
        service = build_service(settings, probe=lambda request: ProbeResult("ok", []))
        service.start()
        try:
            assert service.platform_sync is not None
            deadline = time.monotonic() + 30
            while service.platform_sync.status_of(WVP_CAM) is None:
                assert time.monotonic() < deadline, "no sync within 30 s of start-up"
                time.sleep(0.1)
            assert service.platform_sync.status_of(WVP_CAM) == "online"
            assert wvp.state.logins == 1
        finally:
            service.stop()
