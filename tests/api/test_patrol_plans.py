"""Scheduled video-patrol rounds and the CAP export, through the real API."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

from tests.api.conftest import Api
from tests.api.test_alert_flow import _down

CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def _rounds(api: Api, **params: str) -> list[dict[str, Any]]:
    response = api.client.get(
        "/api/v1/patrol-rounds", headers=api.headers("operator"), params=params
    )
    assert response.status_code == 200, response.text
    rounds: list[dict[str, Any]] = response.json()
    return rounds


def test_rounds_follow_importance_and_list_only_working_cameras(api: Api) -> None:
    # Rounds still to come: those use the cameras working now (past ones, the health of then).
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    start = tomorrow.replace(minute=0, second=0, microsecond=0).isoformat()
    rounds = _rounds(api, **{"from": start, "hours": "12"})
    times = [dt.datetime.fromisoformat(str(r["at"])) for r in rounds]
    assert times == sorted(times)
    assert min(times) >= dt.datetime.fromisoformat(start)
    assert max(times) < dt.datetime.fromisoformat(start) + dt.timedelta(hours=12)
    per_zone = {z: sum(1 for r in rounds if r["zone"] == z) for z in ("gate", "trail")}
    assert per_zone["gate"] > per_zone["trail"] > 0  # the critical gate is looked at more often
    seen = {v["camera"] for r in rounds for v in r["cameras"]}
    assert "cam-1" in seen

    _down(api, "cam-1")
    after = _rounds(api, **{"from": start, "hours": "12"})
    cameras_after = {v["camera"] for r in after for v in r["cameras"]}
    assert "cam-1" not in cameras_after  # a broken camera is never part of a round


def test_rounds_refuse_a_time_without_offset(api: Api) -> None:
    response = api.client.get(
        "/api/v1/patrol-rounds",
        headers=api.headers("operator"),
        params={"from": "2026-07-30T08:00:00"},
    )
    assert response.status_code == 422
    assert "UTC offset" in response.json()["detail"][0]["msg"]


def test_alert_exports_as_cap_with_its_blind_spot(api: Api) -> None:
    op = api.headers("operator")
    _down(api, "cam-1")
    alert = api.client.get("/api/v1/alerts?status=open", headers=op).json()["items"][0]
    response = api.client.get(f"/api/v1/alerts/{alert['id']}/cap", headers=op)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/cap+xml")
    root = ET.fromstring(response.content)
    assert alert["id"] in root.findtext(f"{CAP}identifier", "")
    assert root.findtext(f"{CAP}msgType") == "Alert"
    polygons = [p.text or "" for p in root.iter(f"{CAP}polygon")]
    assert polygons
    first = polygons[0].split()
    assert first[0] == first[-1]  # a closed ring of lat,lon pairs
    lat, lon = (float(v) for v in first[0].split(","))
    assert 35.12 < lat < 35.14 and 104.04 < lon < 104.06

    missing = api.client.get("/api/v1/alerts/al_nothing/cap", headers=op)
    assert missing.status_code == 404
    refused = api.client.get(f"/api/v1/alerts/{alert['id']}/cap", headers=api.headers("dispatcher"))
    assert refused.status_code == 403
