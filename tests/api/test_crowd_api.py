"""GET /api/v1/crowd, the per-zone history route and the crowd gauges in /metrics, on the demo
site through the real app (lifespan, auth, error shape)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gapwatch.api import create_app
from gapwatch.runtime.pipeline import Service
from gapwatch.settings import Settings
from gapwatch.storage import utcnow
from gapwatch.vision.types import ProbeResult
from tests.api.conftest import ADMIN_TOKEN
from tests.api.serving import running
from tests.runtime.crowd_scene import DEMO, SQUARE, people_in, probe_round

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def demo(db_url: str) -> Iterator[tuple[httpx.Client, Service]]:
    settings = Settings(db_url=db_url, site=DEMO, admin_token=ADMIN_TOKEN, scheduler=False)
    app = create_app(settings)
    with running(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield client, app.state.service


def test_the_crowd_now_per_zone_with_the_road_patrol_order(
    demo: tuple[httpx.Client, Service],
) -> None:
    client, service = demo
    now = utcnow()
    crowd = {"cam-024": people_in(service, "cam-024", SQUARE, 60, seed=5, alone=True)}
    probe_round(service, now - dt.timedelta(seconds=20), {})
    probe_round(service, now, crowd)

    reply = client.get("/api/v1/crowd", headers=AUTH)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    zones = {z["zone"]: z for z in body["zones"]}
    assert len(zones) == len(service.site.spec.zones)
    square = zones[SQUARE]
    assert square["people"] == pytest.approx(60)
    assert square["density_per_m2"] == pytest.approx(60 / square["watched_m2"], rel=1e-3)
    assert square["counted"] and "cam-024" in square["cameras"]
    assert square["trend"] == "unknown" and square["normal"] is None  # nothing learned yet
    assert square["name"] and square["name_en"]
    assert {"camera": "cam-024", "people": 60.0}.items() <= next(
        c for c in body["cameras"] if c["camera"] == "cam-024"
    ).items()
    # Every open alert with blind ground is in the order, most severe first.
    order = body["road_patrol_order"]
    assert len(order) == 3
    assert [o["severity"] for o in order] == sorted((o["severity"] for o in order), reverse=True)


def test_crowd_routes_need_a_token_and_answer_in_the_error_shape(
    demo: tuple[httpx.Client, Service],
) -> None:
    client, _service = demo
    for path in ("/api/v1/crowd", f"/api/v1/crowd/zones/{SQUARE}/history"):
        refused = client.get(path)
        assert refused.status_code == 401
        assert refused.json()["detail"][0]["msg"]
    missing = client.get("/api/v1/crowd/zones/no-such-zone/history", headers=AUTH)
    assert missing.status_code == 404
    assert "no-such-zone" in missing.json()["detail"][0]["msg"]
    bad = client.get(f"/api/v1/crowd/zones/{SQUARE}/history?hours=0", headers=AUTH)
    assert bad.status_code == 422 and bad.json()["detail"][0]["msg"]


def test_history_is_the_finished_hours_against_normal(
    demo: tuple[httpx.Client, Service],
) -> None:
    client, service = demo
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    hour = now - dt.timedelta(hours=2)
    probe_round(service, hour, {"cam-024": people_in(service, "cam-024", SQUARE, 25, alone=True)})
    service.sample_crowd(hour + dt.timedelta(minutes=5))
    service.sample_crowd(hour + dt.timedelta(minutes=65))  # closes the first hour
    reply = client.get(f"/api/v1/crowd/zones/{SQUARE}/history?hours=6", headers=AUTH)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["zone"] == SQUARE and body["now"]["people"] == pytest.approx(25)
    assert [(h["mean"], h["peak"], h["normal"]) for h in body["hours"]] == [(25.0, 25.0, 25.0)]
    assert dt.datetime.fromisoformat(body["hours"][0]["hour"]) == hour


def test_metrics_carry_the_zones_crowd(demo: tuple[httpx.Client, Service]) -> None:
    client, service = demo
    probe_round(
        service, utcnow(), {"cam-024": people_in(service, "cam-024", SQUARE, 12, alone=True)}
    )
    text = client.get("/metrics", headers=AUTH).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    people = {s.labels["zone"]: s.value for s in families["gapwatch_zone_people"].samples}
    assert people[SQUARE] == pytest.approx(12)
    density = families["gapwatch_zone_people_per_m2"].samples
    assert any(s.labels["zone"] == SQUARE and s.value > 0 for s in density)
    # A camera that fails takes its people with it: no stale gauge.
    for camera in ("cam-022", "cam-024"):
        service.handle_probe(camera, utcnow(), ProbeResult("degraded", ["blur"]))
    text = client.get("/metrics", headers=AUTH).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    zones = {s.labels["zone"] for s in families["gapwatch_zone_people"].samples}
    assert SQUARE not in zones
    probe_round(
        service, utcnow(), {"cam-024": people_in(service, "cam-024", SQUARE, 3, alone=True)}
    )
    if shutil.which("promtool") is not None:
        checked = subprocess.run(
            ["promtool", "check", "metrics"],
            input=client.get("/metrics", headers=AUTH).text,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert checked.returncode == 0, checked.stderr + checked.stdout


@pytest.mark.slow
def test_the_shift_report_and_the_audit_carry_crowd_figures(
    demo: tuple[httpx.Client, Service],
) -> None:
    client, service = demo
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    hour = now - dt.timedelta(hours=2)
    probe_round(service, hour, {})
    busy = {"cam-024": people_in(service, "cam-024", SQUARE, 2400, seed=6, alone=True)}
    probe_round(service, hour + dt.timedelta(seconds=20), busy)  # past the square's 2,000
    service.sample_crowd(hour + dt.timedelta(minutes=5))
    service.sample_crowd(hour + dt.timedelta(minutes=65))
    start, end = (hour - dt.timedelta(hours=1)).isoformat(), utcnow().isoformat()
    reply = client.get("/api/v1/reports/shift", params={"from": start, "to": end}, headers=AUTH)
    assert reply.status_code == 200, reply.text
    report = reply.json()
    square = next(c for c in report["crowd"] if c["zone"] == SQUARE)
    assert (square["hours"], square["peak_people"], square["capacity"]) == (1, 2400.0, 2000)
    assert dt.datetime.fromisoformat(square["peak_hour"]) == hour
    assert report["crowd_alerts"] == 1
    assert report["crowd_raised"] >= 1  # the crowd filled cam-023's blind spot too

    audit = client.get("/api/v1/dashboard/audit", headers=AUTH)
    assert audit.status_code == 200, audit.text
    zones = {z["zone"]: z for z in audit.json()["crowd"]}
    assert zones[SQUARE]["people"] == pytest.approx(2400)
    assert zones[SQUARE]["capacity"] == 2000
    assert zones[SQUARE]["usual_peak"] == pytest.approx(2400)
    local = service.crowd.local(hour + dt.timedelta(minutes=30)) if service.crowd else None
    assert local is not None
    assert (zones[SQUARE]["usual_peak_weekday"], zones[SQUARE]["usual_peak_hour"]) == (
        local.weekday(),
        local.hour,
    )
