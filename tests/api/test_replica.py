"""Two service processes on one database: a replica acts on alerts the other one raised."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx

from gapwatch.api import create_app
from gapwatch.vision.types import ProbeResult
from tests.api.conftest import ADMIN_TOKEN, make_settings
from tests.api.serving import running

HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def test_a_replica_acknowledges_and_resolves_what_the_prober_raised(
    tmp_path: Path, db_url: str
) -> None:
    prober_app = create_app(make_settings(tmp_path, db_url))
    replica_app = create_app(make_settings(tmp_path, db_url))
    with running(prober_app) as prober_url, running(replica_app) as replica_url:
        prober = prober_app.state.service
        for _ in range(prober.site.spec.health.open_after):
            verdict = ProbeResult(status="offline", faults=["no_signal"], elapsed_s=1.0)
            prober.handle_probe("cam-1", dt.datetime.now(dt.UTC), verdict)
        with httpx.Client(base_url=replica_url, headers=HEADERS, timeout=30) as replica:
            alert = replica.get("/api/v1/alerts?status=open").json()["items"][0]
            acked = replica.post(f"/api/v1/alerts/{alert['id']}/ack")
            assert acked.status_code == 200, acked.text
            road = next(t for t in alert["tasks"] if t["kind"] == "road_patrol")
            accepted = replica.post(
                f"/api/v1/tasks/{road['id']}/status", json={"status": "on_scene"}
            )
            assert accepted.status_code == 200, accepted.text
            refused = replica.post(f"/api/v1/alerts/{alert['id']}/resolve")
            assert refused.status_code == 409, refused.text  # the camera is still down
            for _ in range(prober.site.spec.health.close_after):
                back = ProbeResult(status="ok", faults=[], elapsed_s=1.0)
                prober.handle_probe("cam-1", dt.datetime.now(dt.UTC), back)
            resolved = replica.post(f"/api/v1/alerts/{alert['id']}/resolve")
            assert resolved.status_code == 200, resolved.text
        # The prober sees the replica's decisions: the camera's next failure is a new alert.
        with httpx.Client(base_url=prober_url, headers=HEADERS, timeout=30) as client:
            assert client.get("/api/v1/alerts?status=active").json()["total"] == 0
