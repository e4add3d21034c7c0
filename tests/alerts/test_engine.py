"""The alert engine against a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gapwatch.alerts import AlertEngine, EngineError, UnknownCameraProbe
from gapwatch.coverage import CoverageModel
from gapwatch.dispatch.outbox import EndpointSpec, sync_endpoints
from gapwatch.health import Probe
from gapwatch.patrol import TaskError
from gapwatch.site import Site
from gapwatch.site.models import MaintenanceWindow
from gapwatch.storage import (
    AlertLogRow,
    AlertRow,
    OutboxRow,
    SessionFactory,
    TaskLogRow,
    TaskRow,
    transaction,
)
from tests.alerts import scenario as sc

T0 = sc.local("2026-07-29", "09:00")


@pytest.fixture(scope="module")
def site() -> Site:
    return sc.site()


@pytest.fixture(scope="module")
def model(site: Site) -> CoverageModel:
    return CoverageModel.from_site(site)


def started(site: Site, model: CoverageModel, db: SessionFactory) -> AlertEngine:
    engine = AlertEngine(site, coverage=model)
    with transaction(db) as session:
        sync_endpoints(session, [EndpointSpec("cad", "http://127.0.0.1:9/hook")], now=T0)
        engine.start(session, at=T0)
    return engine


def down(
    engine: AlertEngine,
    db: SessionFactory,
    camera: str,
    at: dt.datetime,
    n: int = 2,
    status: str = "offline",
) -> None:
    faults = ("no_signal",) if status == "offline" else ("blur",)
    for i in range(n):
        with transaction(db) as session:
            engine.ingest(
                session, [Probe(at + dt.timedelta(seconds=30 * i), camera, status, faults)]
            )  # type: ignore[arg-type]


def up(engine: AlertEngine, db: SessionFactory, camera: str, at: dt.datetime, n: int = 2) -> None:
    for i in range(n):
        with transaction(db) as session:
            engine.ingest(session, [Probe(at + dt.timedelta(seconds=30 * i), camera, "ok")])


def count(session: Session, row: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(row)) or 0)


def test_alert_its_two_tasks_and_their_outbox_messages_commit_together(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    engine = started(site, model, db_factory)
    down(engine, db_factory, "cam-sw", T0)
    with db_factory() as session:
        alert = session.scalars(select(AlertRow)).one()
        tasks = {t.kind: t for t in session.scalars(select(TaskRow))}
        messages = list(session.scalars(select(OutboxRow).order_by(OutboxRow.created_at)))
        assert alert.kind == "camera_down" and alert.cameras == ["cam-sw"]
        assert set(tasks) == {"video_patrol", "road_patrol"}
        assert {m.task_id for m in messages} == {t.id for t in tasks.values()}
        assert {m.event_type for m in messages} == {"task.created"}
        road = json.loads(next(m.body for m in messages if m.task_id == tasks["road_patrol"].id))
        task = road["data"]["task"]
        assert task["unit"] == "foot-1" and task["on_roads"] is True
        assert task["route"]["type"] == "LineString" and len(task["route"]["coordinates"]) >= 3
        assert task["eta_s"] > 0 and task["target"]["type"] == "Point"
        video = tasks["video_patrol"].payload
        # Other cameras that see into the lost ground, best first; never the failed one.
        seen = [v["seen_m2"] for v in video["views"]]
        assert seen == sorted(seen, reverse=True) and seen
        assert "cam-sw" not in {v["camera"] for v in video["views"]}
        assert any(v["preset"] == "south" for v in video["views"])  # cam-ne's PTZ preset
        assert count(session, AlertLogRow) >= 1 and count(session, TaskLogRow) == 2


def test_a_failed_transaction_leaves_nothing_and_reload_recovers(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    engine = started(site, model, db_factory)
    with transaction(db_factory) as session:
        engine.ingest(session, [Probe(T0, "cam-sw", "offline", ("no_signal",))])
    with pytest.raises(RuntimeError), transaction(db_factory) as session:
        changes = engine.ingest(
            session, [Probe(T0 + dt.timedelta(seconds=30), "cam-sw", "offline", ("no_signal",))]
        )
        assert changes  # the alert was decided, then the job failed before commit
        raise RuntimeError("disk full")
    with db_factory() as session:
        assert count(session, AlertRow) == 0
        assert count(session, TaskRow) == 0
        assert count(session, OutboxRow) == 0
        engine.reload(session)
    down(engine, db_factory, "cam-sw", T0 + dt.timedelta(minutes=1))
    with db_factory() as session:
        assert count(session, AlertRow) == 1
        assert count(session, TaskRow) == 2


def test_a_restarted_engine_carries_on_with_the_open_alert(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    first = started(site, model, db_factory)
    down(first, db_factory, "cam-sw", T0)
    second = started(site, model, db_factory)
    up(second, db_factory, "cam-sw", T0 + dt.timedelta(minutes=5))
    with db_factory() as session:
        alert = session.scalars(select(AlertRow)).one()
        assert alert.status == "resolved"
        assert {t.status for t in session.scalars(select(TaskRow))} == {"cancelled"}
        cancelled = session.scalars(
            select(OutboxRow).where(OutboxRow.event_type == "task.cancelled")
        ).all()
        assert len(cancelled) == 2


def test_maintenance_window_records_without_alerting(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    window = MaintenanceWindow(
        id="lens",
        cameras=["cam-sw"],
        start=T0 - dt.timedelta(hours=1),
        end=T0 + dt.timedelta(hours=1),
    )
    planned = dataclasses.replace(site, spec=site.spec.model_copy(update={"maintenance": [window]}))
    engine = started(planned, model, db_factory)
    down(engine, db_factory, "cam-sw", T0, n=4)
    with db_factory() as session:
        alert = session.scalars(select(AlertRow)).one()
        assert alert.silenced and count(session, TaskRow) == 0 and count(session, OutboxRow) == 0
        log = session.scalars(select(AlertLogRow).where(AlertLogRow.alert_id == alert.id)).all()
        assert log[0].action == "recorded" and log[0].detail["suppressed_by"] == "maintenance:lens"
        assert engine.check_escalations(session, now=T0 + dt.timedelta(minutes=50)) == []


def test_standing_gaps_in_critical_zones_raise_one_alert_each(
    site: Site, db_factory: SessionFactory
) -> None:
    strict = dataclasses.replace(
        site,
        spec=site.spec.model_copy(
            update={"coverage": site.spec.coverage.model_copy(update={"critical_importance": 4})}
        ),
    )
    model = CoverageModel.from_site(strict)
    expected = [b for b in model.compute().blind_spots if b.zone == "car-park"]
    engine = started(strict, model, db_factory)
    started(strict, model, db_factory)  # a restart does not repeat them
    down(engine, db_factory, "cam-sw", T0)
    up(engine, db_factory, "cam-sw", T0 + dt.timedelta(minutes=2))
    with db_factory() as session:
        gaps = session.scalars(select(AlertRow).where(AlertRow.kind == "coverage_gap")).all()
        assert len(gaps) == len(expected) > 0
        assert sorted(a.blind_spot_m2 for a in gaps) == pytest.approx(
            sorted(b.area_m2 for b in expected)
        )
        assert all(a.status == "open" and a.zones == ["car-park"] for a in gaps)
        assert count(session, TaskRow) == 2  # only cam-sw's outage raised tasks


def test_two_cameras_in_one_zone_failing_together_are_one_alert(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    engine = started(site, model, db_factory)
    down(engine, db_factory, "cam-sw", T0)
    down(engine, db_factory, "cam-ne", T0 + dt.timedelta(seconds=40))
    with db_factory() as session:
        alert = session.scalars(select(AlertRow)).one()
        assert alert.kind == "zone_outage" and sorted(alert.cameras) == ["cam-ne", "cam-sw"]
        both = model.live(None).gap_if_down(["cam-sw", "cam-ne"])
        assert alert.blind_spot_m2 == pytest.approx(both.area_m2, rel=1e-3)
        assert count(session, TaskRow) == 2


def test_degraded_picture_and_unknown_camera(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    engine = started(site, model, db_factory)
    down(engine, db_factory, "cam-ne", T0, status="degraded")
    with pytest.raises(UnknownCameraProbe), transaction(db_factory) as session:
        engine.ingest(session, [Probe(T0 + dt.timedelta(minutes=5), "cam-zz", "offline")])
    with db_factory() as session:
        alert = session.scalars(select(AlertRow)).one()
        assert alert.kind == "camera_degraded"


def test_resolving_by_hand_cancels_tasks_and_tells_dispatch(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    engine = started(site, model, db_factory)
    down(engine, db_factory, "cam-sw", T0)
    alert_id = engine.open_alert_for("cam-sw")
    assert alert_id is not None
    with transaction(db_factory) as session:
        engine.acknowledge(
            session, alert_id=alert_id, by="op-wang", at=T0 + dt.timedelta(minutes=2)
        )
    with db_factory() as session:
        road = session.scalars(select(TaskRow).where(TaskRow.kind == "road_patrol")).one().id
    with transaction(db_factory) as session:
        engine.task_status(
            session, task_id=road, status="on_scene", by="cad", at=T0 + dt.timedelta(minutes=2)
        )
    # Back, but the unit on scene keeps the alert open until someone resolves it.
    up(engine, db_factory, "cam-sw", T0 + dt.timedelta(minutes=2))
    with transaction(db_factory) as session:
        engine.resolve(
            session,
            alert_id=alert_id,
            by="op-wang",
            at=T0 + dt.timedelta(minutes=3),
            note="false alarm: lens cleaned",
        )
    with db_factory() as session:
        alert = session.get(AlertRow, alert_id)
        assert alert is not None and alert.status == "resolved"
        assert (alert.acknowledged_by, alert.resolved_by) == ("op-wang", "op-wang")
        assert alert.resolution == "false alarm: lens cleaned"
        assert {t.status for t in session.scalars(select(TaskRow))} == {"cancelled"}
        kinds = [m.event_type for m in session.scalars(select(OutboxRow))]
        assert kinds.count("task.cancelled") == 2
        actions = [
            r.action
            for r in session.scalars(
                select(AlertLogRow).where(AlertLogRow.alert_id == alert_id).order_by(AlertLogRow.id)
            )
        ]
        assert actions == ["opened", "acknowledged", "camera_recovered", "resolved"]
    with pytest.raises(EngineError), transaction(db_factory) as session:
        engine.acknowledge(session, alert_id=alert_id, by="op-li", at=T0 + dt.timedelta(minutes=4))


def test_escalation_repeats_per_interval_up_to_three_levels(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    engine = started(site, model, db_factory)
    down(engine, db_factory, "cam-sw", T0)  # medium on a weekday morning: 30 minutes
    opened = T0 + dt.timedelta(seconds=30)
    levels = []
    for minutes in (29, 31, 45, 62, 95, 200):
        with transaction(db_factory) as session:
            engine.check_escalations(session, now=opened + dt.timedelta(minutes=minutes))
            alert = session.scalars(select(AlertRow)).one()
            levels.append(alert.escalation_level)
    assert levels == [0, 1, 1, 2, 3, 3]
    with db_factory() as session:
        sent = session.scalars(select(OutboxRow).where(OutboxRow.event_type == "alert.escalated"))
        assert len(sent.all()) == 3


def test_task_reports_follow_the_flow_and_refusals_run_out_of_units(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    engine = started(site, model, db_factory)
    down(engine, db_factory, "cam-sw", T0)
    at = T0 + dt.timedelta(minutes=2)

    def road() -> TaskRow:
        with db_factory() as session:
            tasks = session.scalars(select(TaskRow).where(TaskRow.kind == "road_patrol")).all()
            return max(tasks, key=lambda t: (t.created_at, t.status != "rejected"))

    with pytest.raises(TaskError), transaction(db_factory) as session:
        engine.task_status(
            session, task_id=road().id, status="cleared", by="x", at=at
        )  # not accepted
    refused = []
    for k in range(len(site.spec.patrol_units)):
        task = road()
        at += dt.timedelta(minutes=k)
        refused.append(task.assignee)
        with transaction(db_factory) as session:
            engine.task_status(
                session, task_id=task.id, status="rejected", by=str(task.assignee), at=at
            )
    last = road()
    assert sorted(refused) == sorted(u.id for u in site.spec.patrol_units)
    assert last.assignee is None and last.status == "pending"
    assert last.payload["reason"] == "no free patrol unit"


def test_a_camera_still_broken_when_its_silence_ends_is_alerted_then(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    engine = started(site, model, db_factory)
    with transaction(db_factory) as session:
        engine.add_silence(
            session,
            starts_at=T0,
            ends_at=T0 + dt.timedelta(minutes=30),
            by="tech-li",
            cameras=["cam-sw"],
            comment="lens swap",
        )
    down(engine, db_factory, "cam-sw", T0 + dt.timedelta(minutes=1))
    for minutes in (20, 31):
        with transaction(db_factory) as session:
            engine.check_escalations(session, now=T0 + dt.timedelta(minutes=minutes))
            alert = session.scalars(select(AlertRow)).one()
            if minutes == 20:
                assert alert.silenced and count(session, TaskRow) == 0
    with db_factory() as session:
        alert = session.scalars(select(AlertRow)).one()
        assert not alert.silenced and alert.status == "open"
        assert count(session, TaskRow) == 2
        assert {m.event_type for m in session.scalars(select(OutboxRow))} == {"task.created"}


def test_a_flapping_camera_is_still_flapping_after_a_restart(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    first = started(site, model, db_factory)
    t = T0
    for i in range(12):
        t += dt.timedelta(seconds=30)
        with transaction(db_factory) as session:
            status = "offline" if i % 2 else "ok"
            first.ingest(session, [Probe(t, "cam-sw", status, ("no_signal",) if i % 2 else ())])  # type: ignore[arg-type]
    second = started(site, model, db_factory)
    for i in range(3):  # a few more flips after the restart
        t += dt.timedelta(seconds=30)
        with transaction(db_factory) as session:
            status = "ok" if i % 2 else "offline"
            second.ingest(session, [Probe(t, "cam-sw", status, ())])  # type: ignore[arg-type]
    with db_factory() as session:
        alert = session.scalars(select(AlertRow)).one()
        assert alert.flapping and alert.status == "open"


def test_a_road_patrol_left_without_a_unit_goes_to_one_freed_later(
    site: Site, model: CoverageModel, db_factory: SessionFactory
) -> None:
    engine = started(site, model, db_factory)
    # Three outages far apart take all three units; the fourth waits.
    cameras = ["cam-sw", "cam-ne", "pole-01", "pole-07"]
    for k, cam in enumerate(cameras):
        down(engine, db_factory, cam, T0 + dt.timedelta(minutes=10 * k))
    with db_factory() as session:
        roads = session.scalars(select(TaskRow).where(TaskRow.kind == "road_patrol")).all()
        waiting = [t for t in roads if t.assignee is None]
        assert len(roads) == 4 and len(waiting) == 1 and waiting[0].status == "pending"
        first = next(t for t in roads if t.assignee == "foot-1")
    at = T0 + dt.timedelta(hours=1)
    with transaction(db_factory) as session:
        for status in ("accepted", "on_scene", "cleared"):
            engine.task_status(session, task_id=first.id, status=status, by="foot-1", at=at)
        engine.check_escalations(session, now=at + dt.timedelta(seconds=10))
    with db_factory() as session:
        roads = session.scalars(select(TaskRow).where(TaskRow.kind == "road_patrol")).all()
        statuses = sorted((t.assignee or "-", t.status) for t in roads)
        assert ("-", "cancelled") in statuses
        assert ("foot-1", "dispatched") in statuses
