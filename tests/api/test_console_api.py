"""What the operator console reads beyond alerts: timeline and notes, filters and search,
round check-offs, maintenance windows, ending a silence, and the shift handover figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from gapwatch.storage import CameraStateRow, EventRow, transaction
from gapwatch.vision.types import ProbeResult
from tests.api.conftest import Api
from tests.api.test_alert_flow import _down


def _probe(api: Api, camera: str, at: dt.datetime, status: str) -> None:
    """Enough verdicts from `at` on, one second apart, for the health tracker to decide."""
    spec = api.service.site.spec.health
    count = spec.open_after if status != "ok" else spec.close_after
    faults = ["no_signal"] if status == "offline" else []
    for i in range(count):
        verdict = ProbeResult(status=status, faults=faults, elapsed_s=1.0)  # type: ignore[arg-type]
        api.service.handle_probe(camera, at + dt.timedelta(seconds=i), verdict)


def _alert_of(api: Api, camera: str) -> dict[str, Any]:
    page = api.client.get(
        "/api/v1/alerts", params={"camera": camera}, headers=api.headers("operator")
    ).json()
    assert page["total"] == 1, page
    alert: dict[str, Any] = page["items"][0]
    return alert


def _road(alert: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in alert["tasks"] if t["kind"] == "road_patrol")


def test_timeline_holds_states_task_reports_and_notes_with_who_and_when(api: Api) -> None:
    op, disp = api.headers("operator"), api.headers("dispatcher")
    _down(api, "cam-1")
    alert = _alert_of(api, "cam-1")
    road = _road(alert)
    url = f"/api/v1/tasks/{road['id']}/status"
    assert api.client.post(url, headers=disp, json={"status": "accepted"}).status_code == 200
    rejected = api.client.post(url, headers=disp, json={"status": "rejected", "note": "车辆故障"})
    assert rejected.status_code == 200, rejected.text
    note = api.client.post(
        f"/api/v1/alerts/{alert['id']}/notes", headers=op, json={"note": "已电话通知维保"}
    )
    assert note.status_code == 201
    assert (
        api.client.post(f"/api/v1/alerts/{alert['id']}/ack", headers=op, json={}).status_code == 200
    )

    entries = api.client.get(f"/api/v1/alerts/{alert['id']}/timeline", headers=op).json()["entries"]
    times = [dt.datetime.fromisoformat(e["at"]) for e in entries]
    assert times == sorted(times)
    assert entries[0]["action"] == "opened" and entries[0]["source"] == "alert"
    reject = next(e for e in entries if e["to_status"] == "rejected")
    assert reject["source"] == "task" and reject["task_id"] == road["id"]
    assert reject["note"] == "车辆故障"
    assert reject["from_status"] == "accepted"
    assert reject["actor"] == "test dispatcher"
    noted = next(e for e in entries if e["action"] == "note")
    assert (noted["actor"], noted["note"]) == ("test operator", "已电话通知维保")
    assert [e["action"] for e in entries if e["source"] == "alert"][-1] == "acknowledged"

    # A blank note is refused, a dispatcher may not write one, an unknown alert is a 404.
    blank = api.client.post(f"/api/v1/alerts/{alert['id']}/notes", headers=op, json={"note": "  "})
    assert blank.status_code == 422 and blank.json()["detail"][0]["msg"]
    foreign = api.client.post(
        f"/api/v1/alerts/{alert['id']}/notes", headers=disp, json={"note": "x"}
    )
    assert foreign.status_code == 403
    assert api.client.get("/api/v1/alerts/al_nope/timeline", headers=op).status_code == 404


def test_resolving_a_down_camera_is_refused_and_its_recovery_is_in_the_timeline(api: Api) -> None:
    op = api.headers("operator")
    _down(api, "cam-3")
    alert = _alert_of(api, "cam-3")
    refused = api.client.post(
        f"/api/v1/alerts/{alert['id']}/resolve", headers=op, json={"note": "线路已修复"}
    )
    # resolving while the camera is still down would leave its ground unwatched
    assert refused.status_code == 409, refused.text
    assert "cam-3" in refused.json()["detail"][0]["msg"]
    noted = api.client.post(
        f"/api/v1/alerts/{alert['id']}/notes", headers=op, json={"note": "线路已修复"}
    )
    assert noted.status_code in (200, 201), noted.text
    _probe(api, "cam-3", dt.datetime.now(dt.UTC), "ok")
    entries = api.client.get(f"/api/v1/alerts/{alert['id']}/timeline", headers=op).json()["entries"]
    actions = [e["action"] for e in entries]
    assert "resolved" in actions
    note = next(e for e in entries if e.get("note") == "线路已修复")
    assert note["actor"] == "test operator"
    assert actions.index("resolved") > entries.index(note)


def test_alert_filters_by_time_range_and_search_by_name(api: Api) -> None:
    op = api.headers("operator")
    now = dt.datetime.now(dt.UTC)
    _probe(api, "cam-1", now - dt.timedelta(hours=3), "offline")
    _probe(api, "cam-3", now - dt.timedelta(minutes=5), "offline")

    def ids(**params: str) -> set[str]:
        response = api.client.get("/api/v1/alerts", params=params, headers=op)
        assert response.status_code == 200, response.text
        return {c for a in response.json()["items"] for c in a["cameras"]}

    hour_ago = (now - dt.timedelta(hours=1)).isoformat()
    assert ids(opened_from=hour_ago) == {"cam-3"}
    assert ids(opened_to=hour_ago) == {"cam-1"}
    assert ids(q="南门") == {"cam-1"}  # a camera's Chinese name
    assert ids(q="trail") == {"cam-3"}  # a zone's name, case folded
    assert ids(q="景区大门") == {"cam-1"}
    assert ids(q="nothing-like-it") == set()
    naive = api.client.get(
        "/api/v1/alerts", params={"opened_from": "2026-07-30T08:00:00"}, headers=op
    )
    assert naive.status_code == 400 and "UTC offset" in naive.json()["detail"][0]["msg"]
    assert ids(q="%") == set()  # matched literally, not as a wildcard
    assert ids(q="al_") == {"cam-1", "cam-3"}  # alert ids
    control = api.client.get("/api/v1/alerts", params={"q": "a\x01"}, headers=op)
    assert control.status_code == 422


def test_round_check_off_is_recorded_once_and_listed(api: Api) -> None:
    op = api.headers("operator")
    start = "2026-07-30T08:00:00+08:00"
    rounds = api.client.get(
        "/api/v1/patrol-rounds", params={"from": start, "hours": "2"}, headers=op
    ).json()
    first = rounds[0]
    body = {"zone": first["zone"], "at": first["at"], "note": "画面正常"}
    made = api.client.post("/api/v1/patrol-rounds/checks", json=body, headers=op)
    assert made.status_code == 201, made.text
    again = api.client.post("/api/v1/patrol-rounds/checks", json=body, headers=op)
    assert again.status_code == 409
    checks = api.client.get(
        "/api/v1/patrol-rounds/checks", params={"from": start, "hours": "2"}, headers=op
    ).json()
    assert [(c["zone"], c["checked_by"], c["note"]) for c in checks] == [
        (first["zone"], "test operator", "画面正常")
    ]
    assert dt.datetime.fromisoformat(checks[0]["at"]) == dt.datetime.fromisoformat(first["at"])
    later = api.client.get(
        "/api/v1/patrol-rounds/checks",
        params={"from": "2026-07-30T12:00:00+08:00", "hours": "2"},
        headers=op,
    ).json()
    assert later == []
    unknown = api.client.post(
        "/api/v1/patrol-rounds/checks", json={**body, "zone": "no-such-zone"}, headers=op
    )
    assert unknown.status_code == 400
    tech = api.client.post(
        "/api/v1/patrol-rounds/checks", json=body, headers=api.headers("technician")
    )
    assert tech.status_code == 403


def test_ending_a_silence_alerts_the_camera_it_kept_quiet(api: Api) -> None:
    op = api.headers("operator")
    ends = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).isoformat()
    made = api.client.post(
        "/api/v1/silences",
        json={"cameras": ["cam-1"], "ends_at": ends, "comment": "检修"},
        headers=op,
    )
    assert made.status_code == 201, made.text
    silence = made.json()
    _down(api, "cam-1")
    quiet = _alert_of(api, "cam-1")
    assert quiet["silenced"] is True
    ended = api.client.post(f"/api/v1/silences/{silence['id']}/end", headers=op)
    assert ended.status_code == 200, ended.text
    assert api.client.get("/api/v1/silences", headers=op).json() == []
    loud = _alert_of(api, "cam-1")
    assert loud["silenced"] is False
    twice = api.client.post(f"/api/v1/silences/{silence['id']}/end", headers=op)
    assert twice.status_code == 409
    assert api.client.post("/api/v1/silences/si_nope/end", headers=op).status_code == 404
    # Both are live events, so every console's duty tab lists the change at once.
    with transaction(api.service.sessions) as session:
        events = session.execute(
            select(EventRow.type, EventRow.data)
            .where(EventRow.type.like("silence.%"))
            .order_by(EventRow.seq)
        ).all()
    assert [e.type for e in events] == ["silence.created", "silence.ended"]
    created = events[0].data
    assert created["id"] == silence["id"] and created["cameras"] == ["cam-1"]
    assert created["by"] == "test operator" and created["ends_at"] == silence["ends_at"]


def test_maintenance_windows_list_the_site_plan(api: Api) -> None:
    windows = api.client.get("/api/v1/maintenance-windows", headers=api.headers("operator"))
    assert windows.status_code == 200
    assert windows.json() == []  # the test site plans none; the demo site's is shown in the browser


def _at(api: Api, alert_id: str, *, ack: dt.datetime | None = None) -> None:
    with transaction(api.service.sessions) as session:
        if ack is not None:
            api.service.alerts.acknowledge(session, alert_id=alert_id, by="夜班值守", at=ack)


def _task(api: Api, task_id: str, status: str, at: dt.datetime) -> None:
    with transaction(api.service.sessions) as session:
        api.service.alerts.task_status(session, task_id=task_id, status=status, by="调度", at=at)


def test_shift_report_figures_follow_a_scripted_night(api: Api) -> None:
    op = api.headers("operator")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now - dt.timedelta(hours=6)
    # Before the shift: cam-1 goes down and stays down (open at the start, still open at the end).
    _probe(api, "cam-1", start - dt.timedelta(hours=1), "offline")
    before = _alert_of(api, "cam-1")
    _at(api, before["id"], ack=start - dt.timedelta(minutes=50))
    # In the shift: cam-3 goes down, acknowledged after 2 min, unit on scene after 10 min,
    # back after an hour and resolved.
    opened = start + dt.timedelta(hours=1)
    _probe(api, "cam-3", opened, "offline")
    during = _alert_of(api, "cam-3")
    opened_at = dt.datetime.fromisoformat(during["opened_at"])
    _at(api, during["id"], ack=opened_at + dt.timedelta(seconds=120))
    road = _road(during)
    _task(api, road["id"], "accepted", opened_at + dt.timedelta(seconds=150))
    _task(api, road["id"], "on_scene", opened_at + dt.timedelta(seconds=600))
    _task(api, road["id"], "cleared", opened_at + dt.timedelta(seconds=900))
    _probe(api, "cam-3", opened + dt.timedelta(hours=1), "ok")
    after = api.client.get(f"/api/v1/alerts/{during['id']}", headers=op).json()
    if after["status"] != "resolved":
        with transaction(api.service.sessions) as session:
            api.service.alerts.resolve(
                session,
                alert_id=during["id"],
                by="夜班值守",
                at=opened + dt.timedelta(hours=1, minutes=1),
            )

    # One of the shift's rounds was looked at.
    rounds = api.client.get(
        "/api/v1/patrol-rounds", params={"from": start.isoformat(), "hours": "6"}, headers=op
    ).json()
    check = {"zone": rounds[0]["zone"], "at": rounds[0]["at"]}
    assert (
        api.client.post("/api/v1/patrol-rounds/checks", json=check, headers=op).status_code == 201
    )

    response = api.client.get(
        "/api/v1/reports/shift",
        params={"from": start.isoformat(), "to": (start + dt.timedelta(hours=6)).isoformat()},
        headers=op,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["opened"], report["closed"]) == (1, 1)
    assert (report["open_at_start"], report["open_at_end"]) == (1, 1)
    assert report["acknowledge"]["count"] == 1
    assert report["acknowledge"]["median_s"] == 120.0
    assert report["dispatch"]["count"] == 1
    assert report["dispatch"]["median_s"] is not None and report["dispatch"]["median_s"] < 60
    assert report["on_scene"]["median_s"] == 600.0
    assert [c["id"] for c in report["cameras_down"]] == ["cam-1"]
    assert report["blind"]["cameras_down_at_start"] == ["cam-1"]
    assert report["blind"]["cameras_down_at_end"] == ["cam-1"]
    # Blind ground at either end is what the coverage engine finds with cam-1 out.
    all_cams = {c.id for c in api.service.site.spec.cameras}
    expected = api.service.coverage.compute(frozenset(all_cams - {"cam-1"}), overlap=False)
    blind = expected.area_m2 - expected.covered_m2
    assert abs(report["blind"]["start_m2"] - blind) < 0.5
    assert abs(report["blind"]["change_m2"]) < 0.5
    assert report["rounds"]["done"] == 1
    assert report["rounds"]["scheduled"] == len(rounds)
    assert {a["id"] for a in report["alerts"]} == {before["id"], during["id"]}

    # The same shift seen from its middle: cam-3 was down then, so more ground was blind.
    middle = api.client.get(
        "/api/v1/reports/shift",
        params={"from": start.isoformat(), "to": (opened + dt.timedelta(minutes=30)).isoformat()},
        headers=op,
    ).json()
    assert middle["blind"]["cameras_down_at_end"] == ["cam-1", "cam-3"]
    assert middle["blind"]["change_m2"] > 0
    assert (middle["opened"], middle["closed"]) == (1, 0)
    assert middle["on_scene"]["count"] == 1

    live = api.client.get(
        "/api/v1/reports/shift", params={"from": start.isoformat()}, headers=op
    ).json()
    assert live["blind"]["cameras_down_at_end"] == ["cam-1"]
    assert live["open_at_end"] == 1
    # A camera whose state keeps changing is down by the down rule although its status is ok:
    # its ground is counted blind, so the handover lists it too (it was left out).
    with transaction(api.service.sessions) as session:
        row = session.get(CameraStateRow, "cam-2")
        assert row is not None and row.status == "ok"
        row.flapping, row.last_probe_at = True, now
    flapping = api.client.get(
        "/api/v1/reports/shift", params={"from": start.isoformat()}, headers=op
    ).json()
    assert [(c["id"], c["flapping"]) for c in flapping["cameras_down"]] == [
        ("cam-1", False),
        ("cam-2", True),
    ]
    assert flapping["blind"]["cameras_down_at_end"] == ["cam-1", "cam-2"]

    bad = api.client.get(
        "/api/v1/reports/shift",
        params={"from": now.isoformat(), "to": start.isoformat()},
        headers=op,
    )
    assert bad.status_code == 400 and bad.json()["detail"][0]["msg"]
