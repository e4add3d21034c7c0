"""The dashboard's own endpoints (session, map, pictures, audit, exports) through real HTTP, and
its translations: both languages complete, nothing on the page left untranslated."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import get_args

import httpx
import numpy as np
import pytest

from gapwatch.api import create_app
from gapwatch.api.auth import Role
from gapwatch.api.schemas import TaskStatusOut
from gapwatch.settings import Settings
from gapwatch.storage import AlertKind, CameraStatus
from gapwatch.vision.types import FAULT_CODES, Frame, ProbeResult
from tests.api.conftest import ADMIN_TOKEN, Api
from tests.api.serving import running
from tests.api.site import CLIP, write_site

STATIC = Path(__file__).resolve().parents[2] / "gapwatch" / "api" / "static"


def _down(api: Api, camera_id: str, status: str, faults: list[str]) -> None:
    for _ in range(api.service.site.spec.health.open_after):
        verdict = ProbeResult(status=status, faults=faults, elapsed_s=0.5)  # type: ignore[arg-type]
        api.service.handle_probe(camera_id, dt.datetime.now(dt.UTC), verdict)


# ------------------------------------------------------------------ session


def test_session_names_the_role_for_a_reading_token_and_refuses_others(api: Api) -> None:
    url = "/api/v1/dashboard/session"
    operator = api.client.get(url, headers=api.headers("operator")).json()
    assert operator["role"] == "operator"
    assert set(operator["permissions"]) == {"read", "respond"}
    assert operator["site_id"] == "api-test"
    assert operator["tile_url"] is None  # no tile server unless configured
    # A dispatcher token is valid but may not read: refused, and the log-in screen says so.
    dispatcher = api.client.get(url, headers=api.headers("dispatcher"))
    assert dispatcher.status_code == 403
    assert dispatcher.json()["detail"][0]["msg"]
    assert api.client.get(url).status_code == 401
    bad = api.client.get(url, headers={"Authorization": "Bearer gw_nope"})
    assert bad.status_code == 401
    assert bad.json()["detail"][0]["msg"]


def test_session_passes_on_the_tile_server_and_ignores_a_bad_one(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "/api/v1/dashboard/session"
    monkeypatch.setenv("GAPWATCH_TILE_URL", "http://tiles.local/{z}/{x}/{y}.png")
    monkeypatch.setenv("GAPWATCH_TILE_ATTRIBUTION", "县局测绘")
    body = api.client.get(url, headers=api.headers("operator")).json()
    assert body["tile_url"] == "http://tiles.local/{z}/{x}/{y}.png"
    assert body["tile_attribution"] == "县局测绘"
    monkeypatch.setenv("GAPWATCH_TILE_URL", "javascript:alert(1)")
    refused = api.client.get(url, headers=api.headers("operator"))
    assert refused.status_code == 200
    assert refused.json()["tile_url"] is None


# ------------------------------------------------------------------ map


def test_map_layers_follow_camera_health_and_keep_credentials_in(api: Api) -> None:
    url = "/api/v1/dashboard/map"
    before = api.client.get(url, headers=api.headers("operator"))
    assert before.status_code == 200
    assert (
        "s3cret" not in before.text and "pw@" not in before.text and "token=abc" not in before.text
    )
    layers = before.json()
    cameras = {f["properties"]["id"]: f for f in layers["cameras"]["features"]}
    assert set(cameras) == {"cam-1", "cam-2", "cam-3"}
    assert {c["properties"]["status"] for c in cameras.values()} == {"unknown"}
    assert {f["properties"]["camera"] for f in layers["views"]["features"]} == set(cameras)
    assert [f["properties"]["id"] for f in layers["obstacles"]["features"]] == ["kiosk"]
    west, south, east, north = layers["bounds"]
    for camera in cameras.values():
        lon, lat = camera["geometry"]["coordinates"]
        assert west <= lon <= east and south <= lat <= north
    zones = {f["properties"]["id"]: f["properties"] for f in layers["zones"]["features"]}
    gate_before = zones["gate"]["coverage_ratio"]
    assert 0 < gate_before <= 1
    [unit] = layers["patrol_units"]["features"]
    assert unit["properties"] == {
        "id": "unit-1",
        "name": "巡逻一组",
        "kind": "foot",
        "available": True,
        "busy": False,
    }

    _down(api, "cam-1", "offline", ["no_signal"])
    after = api.client.get(url, headers=api.headers("operator")).json()
    cameras = {f["properties"]["id"]: f["properties"] for f in after["cameras"]["features"]}
    assert cameras["cam-1"]["status"] == "offline"
    assert cameras["cam-1"]["faults"] == ["no_signal"]
    views = {f["properties"]["camera"]: f["properties"] for f in after["views"]["features"]}
    assert views["cam-1"]["status"] == "offline"
    zones = {f["properties"]["id"]: f["properties"] for f in after["zones"]["features"]}
    assert zones["gate"]["coverage_ratio"] < gate_before
    # The alert sent the only unit on a road patrol: the map shows it busy.
    [unit] = after["patrol_units"]["features"]
    assert unit["properties"]["busy"] is True
    assert api.client.get(url, headers=api.headers("dispatcher")).status_code == 403


# ------------------------------------------------------------------ pictures


def _clip_frames(count: int) -> list[Frame]:
    import cv2

    capture = cv2.VideoCapture(str(CLIP))
    frames = []
    try:
        while len(frames) < count:
            ok, image = capture.read()
            assert ok
            frames.append(Frame(at=len(frames) / 10, image=image))
    finally:
        capture.release()
    return frames


def test_camera_picture_now_and_baseline_as_jpeg(api: Api) -> None:
    import cv2

    headers = api.headers("operator")
    frame = api.client.get("/api/v1/dashboard/cameras/cam-2/frame.jpg", headers=headers)
    assert frame.status_code == 200, frame.text
    assert frame.headers["content-type"] == "image/jpeg"
    picture = cv2.imdecode(np.frombuffer(frame.content, np.uint8), cv2.IMREAD_COLOR)
    assert picture is not None and picture.shape[0] > 16 and picture.shape[1] > 16
    assert float(picture.std()) > 5  # a real scene, not a blank

    url = "/api/v1/dashboard/cameras/cam-2/baseline.jpg"
    assert api.client.get(url, headers=headers).status_code == 404
    book = api.service.baselines
    assert book is not None
    assert book.for_camera("cam-2").learn(_clip_frames(3)) == 3
    baseline = api.client.get(url, headers=headers)
    assert baseline.status_code == 200
    grey = cv2.imdecode(np.frombuffer(baseline.content, np.uint8), cv2.IMREAD_UNCHANGED)
    assert grey is not None and grey.ndim == 2

    for path in ("frame.jpg", "baseline.jpg"):
        missing = api.client.get(f"/api/v1/dashboard/cameras/cam-9/{path}", headers=headers)
        assert missing.status_code == 404
        assert "cam-9" in missing.json()["detail"][0]["msg"]
    denied = api.client.get("/api/v1/dashboard/cameras/cam-2/frame.jpg")
    assert denied.status_code == 401


def test_a_camera_that_stops_giving_pictures_shows_its_last_one_marked_stale(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gapwatch.api import pictures

    monkeypatch.setattr(pictures, "SNAPSHOT_TTL_S", 0.0)  # every request tries the camera
    link = tmp_path / "cam-2.mp4"
    settings = Settings(
        db_url=db_url,
        site=write_site(tmp_path, clip=link),
        admin_token=ADMIN_TOKEN,
        scheduler=False,
    )
    url = "/api/v1/dashboard/cameras/cam-2/frame.jpg"
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    app = create_app(settings)
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        never = client.get(url, headers=headers)
        assert never.status_code == 502
        assert "cam-2" in never.json()["detail"][0]["msg"]
        link.symlink_to(CLIP)
        fresh = client.get(url, headers=headers)
        assert fresh.status_code == 200
        assert fresh.headers["x-stale"] == "0"
        taken = dt.datetime.fromisoformat(fresh.headers["x-taken-at"])
        assert abs((dt.datetime.now(dt.UTC) - taken).total_seconds()) < 60
        link.unlink()
        stale = client.get(url, headers=headers)
        assert stale.status_code == 200
        assert stale.headers["x-stale"] == "1"
        assert stale.headers["x-taken-at"] == fresh.headers["x-taken-at"]
        assert stale.content == fresh.content


# ------------------------------------------------------------------ audit and exports


def test_audit_counts_broken_cameras_down_and_exports_agree(api: Api) -> None:
    headers = api.headers("technician")
    healthy = api.client.get("/api/v1/dashboard/audit", headers=headers).json()
    assert healthy["summary"]["cameras_working"] == 3
    assert {c["id"] for c in healthy["cameras"]} == {"cam-1", "cam-2", "cam-3"}
    _down(api, "cam-1", "offline", ["no_signal"])
    audit = api.client.get("/api/v1/dashboard/audit", headers=headers).json()
    assert audit["summary"]["down"] == ["cam-1"]
    assert audit["summary"]["cameras_working"] == 2
    working = {c["id"]: c["working"] for c in audit["cameras"]}
    assert working == {"cam-1": False, "cam-2": True, "cam-3": True}
    live = api.client.get("/api/v1/coverage", headers=headers).json()
    live_ratio = {z["id"]: z["coverage_ratio"] for z in live["zones"]}
    for zone in audit["zones"]:
        assert zone["coverage_ratio"] == pytest.approx(live_ratio[zone["id"]], abs=1e-4)
    ranked = [c for c in audit["cameras"] if c["rank"] is not None]
    assert all(c["working"] for c in ranked)
    for gap in audit["failure_gaps"]["features"]:
        assert gap["properties"]["camera"] in {"cam-2", "cam-3"}

    zones_csv = api.client.get("/api/v1/dashboard/exports/zones.csv", headers=headers)
    assert zones_csv.status_code == 200
    assert zones_csv.headers["content-type"].startswith("text/csv")
    assert "api-test-zones.csv" in zones_csv.headers["content-disposition"]
    assert zones_csv.content.startswith(b"\xef\xbb\xbf")  # spreadsheets on Chinese desktops
    rows = list(csv.DictReader(io.StringIO(zones_csv.content.decode("utf-8-sig"))))
    assert {r["zone"]: float(r["coverage_ratio"]) for r in rows} == pytest.approx(
        {z["id"]: z["coverage_ratio"] for z in audit["zones"]}, abs=1e-4
    )
    assert rows[0]["name"] == "景区大门"
    cams = api.client.get("/api/v1/dashboard/exports/cameras.csv", headers=headers)
    lines = io.StringIO(cams.content.decode("utf-8-sig"))
    statuses = {r["camera"]: r["status"] for r in csv.DictReader(lines)}
    assert statuses == {"cam-1": "down", "cam-2": "working", "cam-3": "working"}
    geo = api.client.get("/api/v1/dashboard/exports/coverage.geojson", headers=headers)
    assert geo.headers["content-type"].startswith("application/geo+json")
    layers = {f["properties"]["layer"] for f in geo.json()["features"]}
    assert "zone" in layers
    gaps = api.client.get("/api/v1/dashboard/exports/failure-gaps.geojson", headers=headers)
    assert gaps.json()["type"] == "FeatureCollection"
    denied = api.client.get("/api/v1/dashboard/audit", headers=api.headers("dispatcher"))
    assert denied.status_code == 403


# ------------------------------------------------------------------ translations


def _dictionaries() -> dict[str, dict[str, str]]:
    return {
        lang: json.loads((STATIC / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
        for lang in ("zh-CN", "en")
    }


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    zh, en = _dictionaries().values()
    assert sorted(zh) == sorted(en)
    for key in zh:
        assert zh[key].strip() and en[key].strip(), key
        assert set(re.findall(r"\{\w+\}", zh[key])) == set(re.findall(r"\{\w+\}", en[key])), key
    cjk = re.compile(r"[\u4e00-\u9fff]")
    # Chinese is the first language: its dictionary reads Chinese (the switch button says English).
    latin = re.compile(r"[A-Za-z]")
    words = {k: re.sub(r"\{\w+\}", "", v) for k, v in zh.items() if k != "lang.switch"}
    untranslated = [k for k, v in words.items() if latin.search(v) and not cjk.search(v)]
    assert untranslated == []


def test_every_code_the_server_sends_has_words_in_both_languages() -> None:
    codes = {
        "fault": FAULT_CODES,
        "taskStatus": get_args(TaskStatusOut),
        "kind": get_args(AlertKind),
        "status": (*get_args(CameraStatus), "unknown"),
        "role": tuple(r.value for r in Role),
        "alertStatus": ("open", "acknowledged", "resolved"),
        "task": ("video_patrol", "road_patrol"),
        "severity": ("1", "2", "3", "4", "5"),
    }
    for lang, strings in _dictionaries().items():
        missing = [f"{p}.{c}" for p, values in codes.items() for c in values]
        missing = [key for key in missing if key not in strings]
        assert missing == [], lang


class _TextFinder(HTMLParser):
    """Collects visible text and text attributes that no data-i18n marker covers."""

    VOID = frozenset({"meta", "link", "input", "br", "img", "hr", "source"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.loose: list[str] = []
        self.keys: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("placeholder", "title", "alt", "aria-label"):
            if found.get(name) and f"data-i18n-{name}" not in found:
                self.loose.append(f"<{tag} {name}={found[name]!r}>")
        for name, value in found.items():
            if name.startswith("data-i18n") and value:
                self.keys.append(value)
        if tag not in self.VOID:
            self.stack.append((tag, "data-i18n" in found))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1][0] in ("script", "style"):
            return
        # Letters need words; digits, '#' and '%' read the same in both languages.
        if re.search(r"[^\W\d_]", data) and not any(marked for _, marked in self.stack):
            self.loose.append(data.strip())


def test_no_text_in_the_page_escapes_translation() -> None:
    finder = _TextFinder()
    finder.feed((STATIC / "index.html").read_text(encoding="utf-8"))
    assert finder.loose == []
    zh, en = _dictionaries().values()
    assert finder.keys and all(k in zh and k in en for k in finder.keys)


def test_every_key_the_scripts_use_exists() -> None:
    zh = _dictionaries()["zh-CN"]
    used = set()
    for script in STATIC.glob("*.js"):
        text = script.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\(\s*\"([\w.]+)\"", text))
        used |= set(re.findall(r"\"data-i18n\":\s*\"([\w.]+)\"", text))
    assert len(used) > 20
    assert sorted(k for k in used if k not in zh) == []
