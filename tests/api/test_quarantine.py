"""A stored alert that cannot be loaded: the service keeps serving and shows it to an admin."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gapwatch.storage import AlertRow, transaction
from gapwatch.vision.types import ProbeResult
from tests.api.conftest import Api


def test_an_unloadable_alert_is_counted_in_healthz_and_listed_for_admins(api: Api) -> None:
    service = api.service
    for _ in range(service.site.spec.health.open_after):
        verdict = ProbeResult(status="offline", faults=["no_signal"], elapsed_s=1.0)
        service.handle_probe("cam-1", dt.datetime.now(dt.UTC), verdict)
    with transaction(service.sessions) as session:
        alert = session.scalars(select(AlertRow).where(AlertRow.kind != "coverage_gap")).one()
        alert.blind_spots = [{"type": "Feature", "geometry": {"type": "Polygon"}}]
        alert_id = alert.id
    assert api.client.get("/healthz").json()["quarantined"] == 0
    service.resync()
    assert api.client.get("/healthz").json() == {"status": "ok", "quarantined": 1}
    listed = api.client.get("/api/v1/admin/quarantine", headers=api.headers("admin"))
    assert listed.status_code == 200
    [record] = listed.json()
    assert (record["kind"], record["id"]) == ("alert", alert_id) and record["error"]
    refused = api.client.get("/api/v1/admin/quarantine", headers=api.headers("operator"))
    assert refused.status_code == 403
    # The alert is still on the board and still holds its camera.
    board = api.client.get("/api/v1/alerts?status=open", headers=api.headers("operator")).json()
    assert [a["id"] for a in board["items"]] == [alert_id]
