"""An outage through the pipeline: alert and tasks appear, are acted on, and stream as events."""

from __future__ import annotations

import datetime as dt

import httpx

from gapwatch.vision.types import ProbeResult
from tests.api.conftest import Api


def _down(api: Api, camera_id: str) -> None:
    for _ in range(api.service.site.spec.health.open_after):
        verdict = ProbeResult(status="offline", faults=["no_signal"], elapsed_s=10.0)
        api.service.handle_probe(camera_id, dt.datetime.now(dt.UTC), verdict)


def _up(api: Api, camera_id: str) -> None:
    for _ in range(api.service.site.spec.health.close_after):
        verdict = ProbeResult(status="ok", faults=[], elapsed_s=1.0)
        api.service.handle_probe(camera_id, dt.datetime.now(dt.UTC), verdict)


def _read_events(url: str, headers: dict[str, str], count: int) -> list[tuple[int, str]]:
    got: list[tuple[int, str]] = []
    with httpx.stream("GET", url, headers=headers, timeout=20) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        seq, kind = None, None
        for line in r.iter_lines():
            if line.startswith("id: "):
                seq = int(line[4:])
            elif line.startswith("event: "):
                kind = line[7:]
            elif line == "" and seq is not None and kind is not None:
                got.append((seq, kind))
                seq, kind = None, None
                if len(got) == count:
                    break
    return got


def test_outage_alert_ack_task_callbacks_and_resolve(api: Api) -> None:
    op, disp = api.headers("operator"), api.headers("dispatcher")
    _down(api, "cam-1")
    alerts = api.client.get("/api/v1/alerts?status=open", headers=op).json()
    assert alerts["total"] == 1
    alert = alerts["items"][0]
    assert alert["cameras"] == ["cam-1"]
    assert alert["blind_spot_m2"] > 0
    # The list writes the stored blind-spot text as it is; it is the alert's own GeoJSON.
    one = api.client.get(f"/api/v1/alerts/{alert['id']}", headers=op).json()
    assert alert["blind_spots"] == one["blind_spots"]
    assert alert["blind_spots"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert {k: v for k, v in one.items() if k in alert} == alert
    kinds = {t["kind"]: t for t in alert["tasks"]}
    # No other camera sees cam-1's ground: no video patrol, and the road patrol says so.
    assert set(kinds) == {"road_patrol"}
    road = kinds["road_patrol"]
    assert road["payload"]["video_views"] is False and road["payload"]["note"]["en"]
    assert road["assignee"] == "unit-1"

    acked = api.client.post(f"/api/v1/alerts/{alert['id']}/ack", headers=op, json={})
    assert acked.status_code == 200
    assert acked.json()["status"] == "acknowledged"
    assert acked.json()["acknowledged_by"] == "test operator"
    assert api.client.get("/api/v1/alerts?status=open", headers=op).json()["total"] == 0

    url = f"/api/v1/tasks/{road['id']}/status"
    assert api.client.post(url, headers=disp, json={"status": "accepted"}).status_code == 200
    on_scene = api.client.post(url, headers=disp, json={"status": "on_scene"})
    assert on_scene.status_code == 200
    back = api.client.post(url, headers=disp, json={"status": "en_route"})
    assert back.status_code == 409  # on scene cannot go back to en route
    assert back.json()["detail"][0]["msg"]
    assert (
        api.client.get(f"/api/v1/tasks?alert_id={alert['id']}&status=on_scene", headers=op).json()[
            "total"
        ]
        == 1
    )

    # While its camera is still down an alert cannot be resolved by hand: it would go unwatched.
    refused = api.client.post(f"/api/v1/alerts/{alert['id']}/resolve", headers=op, json={})
    assert refused.status_code == 409
    assert "cam-1" in refused.json()["detail"][0]["msg"]
    _up(api, "cam-1")  # back, but the unit on scene keeps the alert open
    resolved = api.client.post(
        f"/api/v1/alerts/{alert['id']}/resolve", headers=op, json={"note": "修复"}
    )
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    again = api.client.post(
        f"/api/v1/alerts/{alert['id']}/assign", headers=op, json={"assignee": "unit-2"}
    )
    assert again.status_code == 409
    detail = api.client.get(f"/api/v1/alerts/{alert['id']}", headers=op).json()
    assert len(detail["log"]) >= 2


def test_events_replay_from_last_event_id_without_loss(api: Api) -> None:
    op = api.headers("operator")
    base = str(api.client.base_url).rstrip("/")
    _down(api, "cam-1")
    url = f"{base}/api/v1/events"
    everything = _read_events(url, {**op, "Last-Event-ID": "0"}, 3)
    seqs = [seq for seq, _ in everything]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    # A client that saw the first event reconnects: it gets exactly what came after.
    resumed = _read_events(url, {**op, "Last-Event-ID": str(seqs[0])}, 2)
    assert resumed == everything[1:]
    by_query = _read_events(f"{url}?last_event_id={seqs[1]}", op, 1)
    assert by_query == everything[2:]


def test_the_road_patrol_shown_follows_the_unit_assigned_now(api: Api) -> None:
    op, disp = api.headers("operator"), api.headers("dispatcher")
    _down(api, "cam-1")
    alert = api.client.get("/api/v1/alerts?status=open", headers=op).json()["items"][0]
    first = alert["road_patrol"]
    assert first is not None and first["assignee"] == "unit-1"
    refused = api.client.post(
        f"/api/v1/tasks/{first['id']}/status", headers=disp, json={"status": "rejected"}
    )
    assert refused.status_code == 200
    now = api.client.get(f"/api/v1/alerts/{alert['id']}", headers=op).json()
    current = now["road_patrol"]
    # The site's only unit refused: the road patrol now waits for a unit, with no route of
    # the unit that refused it.
    assert current["id"] != first["id"] and current["assignee"] is None
    assert current["status"] == "pending" and "route" not in current["payload"]
    assert current["payload"]["refused_by"] == ["unit-1"]
    # The rejected task stays in the history, listed before its replacement.
    roads = [t for t in now["tasks"] if t["kind"] == "road_patrol"]
    assert [t["status"] for t in roads] == ["rejected", "pending"]
    listed = api.client.get("/api/v1/alerts?status=open", headers=op).json()["items"][0]
    assert listed["road_patrol"]["id"] == current["id"]
