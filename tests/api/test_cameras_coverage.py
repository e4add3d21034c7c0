"""Cameras, coverage and blind spots through real HTTP on a real database."""

from __future__ import annotations

import datetime as dt

from gapwatch.storage import BaselineRow, CameraStateRow, ProbeResultRow, transaction
from gapwatch.vision.types import ProbeResult
from tests.api.conftest import Api


def _set_state(api: Api, camera_id: str, status: str, faults: list[str]) -> None:
    """Probe verdicts through the service's own pipeline until the camera's state follows."""
    for _ in range(api.service.site.spec.health.open_after):
        verdict = ProbeResult(status=status, faults=faults, elapsed_s=0.5)  # type: ignore[arg-type]
        api.service.handle_probe(camera_id, dt.datetime.now(dt.UTC), verdict)


def test_cameras_list_health_and_never_leak_stream_credentials(api: Api) -> None:
    _set_state(api, "cam-1", "offline", ["no_signal"])
    response = api.client.get("/api/v1/cameras", headers=api.headers("operator"))
    assert response.status_code == 200
    cameras = {c["id"]: c for c in response.json()}
    assert set(cameras) == {"cam-1", "cam-2", "cam-3"}
    assert cameras["cam-1"]["status"] == "offline"
    assert cameras["cam-1"]["faults"] == ["no_signal"]
    assert cameras["cam-1"]["since"] is not None
    assert cameras["cam-2"]["status"] == "unknown"
    assert cameras["cam-1"]["location"] == [104.0499, 35.1299]
    assert "s3cret" not in response.text and "admin:" not in response.text
    assert "pw@" not in response.text and "token=abc" not in response.text
    assert cameras["cam-1"]["stream"].startswith("rtsp://***@10.1.2.3")
    only = api.client.get("/api/v1/cameras?status=offline", headers=api.headers("operator"))
    assert [c["id"] for c in only.json()] == ["cam-1"]


def test_camera_list_pages_and_filters_and_says_how_many_matched(api: Api) -> None:
    _set_state(api, "cam-1", "offline", ["no_signal"])
    _set_state(api, "cam-3", "offline", ["no_signal"])
    headers = api.headers("operator")

    def ids(query: str) -> tuple[list[str], int]:
        response = api.client.get(f"/api/v1/cameras{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()], int(response.headers["X-Total-Count"])

    everything, total = ids("")
    assert (everything, total) == (["cam-1", "cam-2", "cam-3"], 3)
    # Pages in site-file order put together give the whole list once.
    pages = [ids(f"?limit=2&offset={k}")[0] for k in (0, 2, 4)]
    assert pages == [["cam-1", "cam-2"], ["cam-3"], []]
    assert ids("?status=offline&limit=1&offset=1") == (["cam-3"], 2)
    assert ids("?status=unknown") == (["cam-2"], 1)
    # Several statuses at once (what needs a technician), still in site-file order.
    assert ids("?status=degraded&status=offline") == (["cam-1", "cam-3"], 2)
    assert ids("?status=unknown&status=offline&limit=2&offset=1") == (["cam-2", "cam-3"], 3)
    # The zone filter is the engine's own view of which camera sees which zone.
    facts = api.service.alerts.cameras
    for zone in ("gate", "trail", "kiosk"):
        expected = [c for c in everything if zone in facts[c].zones]
        assert ids(f"?zone={zone}") == (expected, len(expected))
    assert ids("?zone=nowhere") == ([], 0)
    for bad in ("?limit=0", "?offset=-1", "?limit=5001", "?status=broken"):
        refused = api.client.get(f"/api/v1/cameras{bad}", headers=headers)
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["msg"]


def test_the_down_filter_is_the_down_rule_flapping_included(api: Api) -> None:
    _set_state(api, "cam-1", "offline", ["no_signal"])
    _set_state(api, "cam-2", "ok", [])
    with transaction(api.service.sessions) as session:  # its state keeps changing
        row = session.get(CameraStateRow, "cam-2")
        assert row is not None and row.status == "ok"
        row.flapping = True
    headers = api.headers("operator")

    def ids(query: str) -> tuple[list[str], int]:
        response = api.client.get(f"/api/v1/cameras{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()], int(response.headers["X-Total-Count"])

    # cam-3 has no verdict yet: it counts as watching its ground, as in the coverage.
    assert ids("?down=true") == (["cam-1", "cam-2"], 2)
    assert ids("?down=false") == (["cam-3"], 1)
    assert ids("?down=true&status=ok") == (["cam-2"], 1)
    assert ids("?down=true&status=unknown") == ([], 0)
    assert ids("?down=true&limit=1&offset=1") == (["cam-2"], 2)
    healthy = api.client.get("/api/v1/coverage", headers=headers).json()["healthy_cameras"]
    assert healthy == ids("?down=false")[0]


def test_camera_404_and_history_paginated_newest_first(api: Api) -> None:
    missing = api.client.get("/api/v1/cameras/cam-9", headers=api.headers("operator"))
    assert missing.status_code == 404
    assert "cam-9" in missing.json()["detail"][0]["msg"]
    start = dt.datetime(2026, 7, 30, 12, 0, tzinfo=dt.UTC)
    with transaction(api.service.sessions) as session:
        for i in range(7):
            session.add(
                ProbeResultRow(
                    camera_id="cam-2",
                    at=start + dt.timedelta(minutes=i),
                    status="ok" if i % 2 else "degraded",
                    faults=[] if i % 2 else ["blur"],
                    metrics={"sharpness": float(i)},
                    elapsed_s=1.5,
                )
            )
    url = "/api/v1/cameras/cam-2/history"
    first = api.client.get(f"{url}?limit=3", headers=api.headers("technician")).json()
    assert first["total"] == 7
    assert [p["metrics"]["sharpness"] for p in first["items"]] == [6.0, 5.0, 4.0]
    last = api.client.get(f"{url}?limit=3&offset=6", headers=api.headers("technician")).json()
    assert [p["metrics"]["sharpness"] for p in last["items"]] == [0.0]
    assert last["items"][0]["faults"] == ["blur"]


def test_coverage_and_blind_spots_follow_camera_health(api: Api) -> None:
    h = api.headers("operator")
    before = api.client.get("/api/v1/coverage", headers=h).json()
    gate = {z["id"]: z for z in before["zones"]}["gate"]
    assert 0.0 < gate["coverage_ratio"] <= 1.0
    assert before["healthy_cameras"] == ["cam-1", "cam-2", "cam-3"]
    spots_before = api.client.get("/api/v1/blind-spots", headers=h).json()
    assert spots_before["type"] == "FeatureCollection"

    _set_state(api, "cam-1", "offline", ["no_signal"])
    _set_state(api, "cam-2", "degraded", ["occluded"])
    after = api.client.get("/api/v1/coverage", headers=h).json()
    gate_after = {z["id"]: z for z in after["zones"]}["gate"]
    assert after["healthy_cameras"] == ["cam-3"]
    assert gate_after["covered_m2"] < gate["covered_m2"]
    assert gate_after["covered_m2"] == 0.0
    spots = api.client.get("/api/v1/blind-spots", headers=h).json()
    gate_spots = [f for f in spots["features"] if f["properties"]["zone"] == "gate"]
    assert gate_spots, "the gate has no working camera, so it must be blind"
    blind = sum(f["properties"]["area_m2"] for f in gate_spots)
    # The whole gate zone outside the kiosk is blind (slivers aside).
    assert abs(blind - gate_after["area_m2"]) < 0.01 * gate_after["area_m2"]
    ring = gate_spots[0]["geometry"]["coordinates"][0]
    assert all(104.04 < lon < 104.06 and 35.12 < lat < 35.14 for lon, lat in ring)


T_GONE = dt.datetime(2026, 7, 30, 12, 0, tzinfo=dt.UTC)


def test_metrics_use_the_app_registry(api: Api) -> None:
    _set_state(api, "cam-3", "degraded", ["blur"])
    text = api.client.get("/metrics", headers=api.headers("technician")).text
    assert 'gapwatch_camera_states{state="degraded"} 1.0' in text
    assert 'gapwatch_camera_states{state="unknown"} 2.0' in text
    assert "gapwatch_outbox_backlog 0.0" in text
    assert "gapwatch_probe_seconds_bucket" in text
    assert 'gapwatch_open_alerts{severity="5"} 0.0' in text
    # A camera taken out of the site file leaves its row behind: it is no camera's state.
    with transaction(api.service.sessions) as session:
        session.add(
            CameraStateRow(
                camera_id="cam-gone", status="offline", since=T_GONE, last_probe_at=T_GONE
            )
        )
    text = api.client.get("/metrics", headers=api.headers("technician")).text
    assert 'gapwatch_camera_states{state="offline"} 0.0' in text
    assert 'gapwatch_camera_states{state="unknown"} 2.0' in text


def test_technicians_probe_now_and_reset_baselines(api: Api) -> None:
    url = "/api/v1/cameras/cam-1"
    assert api.client.post(f"{url}/probe", headers=api.headers("operator")).status_code == 403
    refused = api.client.post(f"{url}/probe", headers=api.headers("technician"))
    assert refused.status_code == 409  # this test service runs without a scheduler
    assert "schedule" in refused.json()["detail"][0]["msg"]
    missing = api.client.post("/api/v1/cameras/cam-9/probe", headers=api.headers("technician"))
    assert missing.status_code == 404

    with transaction(api.service.sessions) as session:
        for mode in ("day", "night"):
            session.add(BaselineRow(camera_id="cam-1", mode=mode, data={"mode": {}}))
    h = api.headers("technician")
    day = api.client.post(f"{url}/baseline/reset", json={"mode": "day"}, headers=h)
    assert day.status_code == 204
    # A reset is stored as a new, empty version, so the prober (maybe another process) sees it.
    with transaction(api.service.sessions, write=False) as session:
        stored = {
            row.mode: row.data["mode"]
            for row in session.query(BaselineRow).filter_by(camera_id="cam-1")
        }
    assert stored["day"]["samples"] == 0 and stored["night"] == {}  # night left as it was
    assert api.client.post(f"{url}/baseline/reset", headers=h).status_code == 204
    with transaction(api.service.sessions, write=False) as session:
        rows = session.query(BaselineRow).filter_by(camera_id="cam-1").all()
        assert sorted(r.mode for r in rows) == ["day", "night"]
        assert all(r.data["mode"]["samples"] == 0 for r in rows)
