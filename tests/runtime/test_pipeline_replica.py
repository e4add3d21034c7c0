"""Two services on one database: the probing one follows what the other did to its alerts.

Runs on a SQLite file and, when GAPWATCH_TEST_PG_URL is set, on PostgreSQL (the `db_url`
fixture), each service with its own engine and memory as two processes would have.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gapwatch.runtime.pipeline import Service, build_service
from gapwatch.settings import Settings
from gapwatch.storage import AlertLogRow, AlertRow, TaskRow, transaction
from gapwatch.vision.types import ProbeResult
from tests.api.site import write_site

T0 = dt.datetime(2026, 7, 29, 12, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(seconds=30)


@pytest.fixture
def pair(tmp_path: Path, db_url: str) -> Iterator[tuple[Service, Service]]:
    settings = Settings(db_url=db_url, site=write_site(tmp_path), scheduler=False)
    prober = build_service(settings)
    replica = build_service(settings)
    try:
        yield prober, replica
    finally:
        prober.stop()
        replica.stop()


def _probe(
    service: Service, camera: str, status: str, times: int, start: dt.datetime
) -> dt.datetime:
    at = start
    for _ in range(times):
        faults = [] if status == "ok" else ["no_signal"]
        service.handle_probe(camera, at, ProbeResult(status=status, faults=faults))  # type: ignore[arg-type]
        at += STEP
    return at


def _open_alert(service: Service, start: dt.datetime) -> tuple[str, dt.datetime]:
    at = _probe(service, "cam-1", "offline", service.site.spec.health.open_after, start)
    alert_id = service.alerts.open_alert_for("cam-1")
    assert alert_id is not None
    return alert_id, at


def _handled_and_back(
    prober: Service, replica: Service, alert_id: str, at: dt.datetime
) -> dt.datetime:
    """The unit reaches the scene (through the replica), then the camera recovers: the alert
    stays open for the unit, and may now be resolved by hand."""
    with transaction(replica.sessions, write=False) as session:
        road = session.scalars(
            select(TaskRow.id).where(TaskRow.alert_id == alert_id, TaskRow.kind == "road_patrol")
        ).one()
    with transaction(replica.sessions) as session:
        replica.alerts.task_status(session, task_id=road, status="on_scene", by="cad", at=at)
    prober.refresh_alerts()
    return _probe(prober, "cam-1", "ok", prober.site.spec.health.close_after, at)


def test_an_alert_resolved_by_the_replica_is_dropped_from_the_probers_memory(
    pair: tuple[Service, Service],
) -> None:
    prober, replica = pair
    first, at = _open_alert(prober, T0)
    at = _handled_and_back(prober, replica, first, at)
    with transaction(replica.sessions) as session:
        replica.alerts.resolve(session, alert_id=first, by="operator-b", at=at, note="seen to")

    assert prober.refresh_alerts() is True
    assert prober.alerts.open_alert_for("cam-1") is None
    assert prober.refresh_alerts() is False  # nothing more to take in

    # The camera fails again: the resolved alert is left as the replica left it, and the new
    # failure is a new alert with its own tasks.
    second, _ = _open_alert(prober, at)
    assert second != first
    with transaction(prober.sessions, write=False) as session:
        old = session.get(AlertRow, first)
        assert old is not None
        assert (old.status, old.resolved_by, old.resolution) == (
            "resolved",
            "operator-b",
            "seen to",
        )
        actions = list(
            session.scalars(select(AlertLogRow.action).where(AlertLogRow.alert_id == first))
        )
        assert actions.count("resolved") == 1
        kinds = set(session.scalars(select(TaskRow.kind).where(TaskRow.alert_id == second)))
    assert kinds == {"road_patrol"}  # no other camera sees cam-1's ground


def test_stale_memory_never_writes_to_an_alert_resolved_elsewhere(
    pair: tuple[Service, Service],
) -> None:
    prober, replica = pair
    first, at = _open_alert(prober, T0)
    at = _handled_and_back(prober, replica, first, at)
    with transaction(replica.sessions) as session:
        replica.alerts.resolve(session, alert_id=first, by="operator-b", at=at)
    # No refresh: the prober still believes the alert open when the camera fails again.
    assert prober.alerts.open_alert_for("cam-1") == first
    second, _ = _open_alert(prober, at)
    assert second != first
    with transaction(prober.sessions, write=False) as session:
        old = session.get(AlertRow, first)
        assert old is not None and old.resolved_by == "operator-b"
        actions = list(
            session.scalars(select(AlertLogRow.action).where(AlertLogRow.alert_id == first))
        )
    assert "camera_joined" not in actions and actions.count("resolved") == 1


def test_the_replica_learns_of_new_alerts_and_the_prober_of_reassigned_patrols(
    pair: tuple[Service, Service],
) -> None:
    prober, replica = pair
    alert_id, at = _open_alert(prober, T0)
    assert replica.alerts.open_alert_for("cam-1") is None
    assert replica.refresh_alerts() is True
    assert replica.alerts.open_alert_for("cam-1") == alert_id

    with transaction(replica.sessions, write=False) as session:
        road = session.scalars(
            select(TaskRow).where(TaskRow.alert_id == alert_id, TaskRow.kind == "road_patrol")
        ).one()
    with transaction(replica.sessions) as session:
        replica.alerts.task_status(session, task_id=road.id, status="rejected", by="unit", at=at)
    with transaction(replica.sessions, write=False) as session:
        roads = list(
            session.scalars(
                select(TaskRow).where(TaskRow.alert_id == alert_id, TaskRow.kind == "road_patrol")
            )
        )
    # The replica knew the alert's ground, so the refused patrol went to another unit or waits.
    assert len(roads) == 2
    new = next(t for t in roads if t.id != road.id)

    assert new.id not in prober.alerts.open_alerts[alert_id].task_ids
    # The running service's own refresher takes it in, without being asked.
    prober.start()
    deadline = time.monotonic() + 20
    while new.id not in prober.alerts.open_alerts[alert_id].task_ids:
        assert time.monotonic() < deadline, "the prober never saw the re-assigned patrol"
        time.sleep(0.1)
    if new.assignee:
        assert prober.alerts.busy_units.get(new.assignee) == new.id


def test_a_refresh_during_an_operator_action_does_not_undo_it_in_memory(
    pair: tuple[Service, Service],
) -> None:
    """The engine changes its memory before the action commits; a refresh of the same process
    that read the store in between used to drop the new silence again, so a failure right after
    was alerted (and a patrol sent) although the operator had silenced the camera."""
    import threading

    prober, _ = pair
    refreshed = threading.Event()

    def refresh() -> None:
        prober.refresh_alerts()
        refreshed.set()

    with prober.engine_transaction() as session:
        prober.alerts.add_silence(
            session, starts_at=T0, ends_at=T0 + dt.timedelta(hours=1), by="op", cameras=["cam-1"]
        )
        worker = threading.Thread(target=refresh)
        worker.start()
        # The refresh waits for the action's commit instead of reading the store before it.
        assert not refreshed.wait(0.5)
    worker.join(10)
    assert refreshed.is_set()
    assert prober.alerts.silence_for("cam-1", T0 + STEP) is not None
    _probe(prober, "cam-1", "offline", prober.site.spec.health.open_after, T0 + STEP)
    with transaction(prober.sessions, write=False) as session:
        alert = session.scalars(select(AlertRow).where(AlertRow.kind == "camera_down")).one()
    assert alert.silenced


def test_the_replica_follows_an_alert_that_grew_after_it_first_saw_it(
    pair: tuple[Service, Service],
) -> None:
    """A replica that took in an alert, then another camera joined it on the prober: the
    replica's memory of it (cameras, ground, road-patrol order) must follow, not stay as first
    seen. Before, only alerts it had never seen were read."""
    prober, replica = pair
    alert_id, at = _open_alert(prober, T0)
    assert replica.refresh_alerts() is True
    assert replica.alerts.open_alerts[alert_id].cameras == ["cam-1"]
    _probe(prober, "cam-2", "offline", prober.site.spec.health.open_after, at)
    grown = prober.alerts.open_alerts[alert_id]
    assert grown.cameras == ["cam-1", "cam-2"], "cam-2 should join cam-1's alert (same zone)"

    assert replica.refresh_alerts() is True
    mirror = replica.alerts.open_alerts[alert_id]
    assert mirror.cameras == grown.cameras
    assert replica.alerts.open_alert_for("cam-2") == alert_id
    assert mirror.lost_m2.keys() == grown.lost_m2.keys()
    for zone, area in grown.lost_m2.items():
        assert mirror.lost_m2[zone] == pytest.approx(area, rel=0.01)
    assert set(mirror.task_ids) == set(grown.task_ids)
    later = at + 10 * STEP
    seen = replica.alerts.road_patrol_order(later)
    truth = prober.alerts.road_patrol_order(later)
    assert [(a, s.rank, s.top_zone) for a, s in seen] == [(a, s.rank, s.top_zone) for a, s in truth]
    for (_, mine), (_, theirs) in zip(seen, truth, strict=True):
        assert mine.blind_m2 == pytest.approx(theirs.blind_m2, rel=0.01)
    assert replica.refresh_alerts() is False  # nothing more to take in
    assert prober.refresh_alerts() is False  # the prober's own alerts never count as news
