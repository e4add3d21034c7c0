"""Property test through the real service on SQLite and PostgreSQL.

Random probe verdicts go through `Service.handle_probe` (batching writer, engine, store); operator
and dispatch actions through the engine in their own transactions, as the API makes them;
restarts (stop, a new service on the same store) and resyncs land at random points. After every
step the README's lifecycle rules are checked against the store; at the end the decisions must
equal those of `replay` over the same events without any restart or resync, and every message
reached a real HTTP receiver on loopback, each task under one webhook-id.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gapwatch.alerts import CamerasStillDown, EngineError, replay
from gapwatch.coverage import CoverageModel
from gapwatch.dispatch.webhooks import generate_secret, verify
from gapwatch.health import camera_is_down
from gapwatch.patrol import TERMINAL_STATUSES, TaskError
from gapwatch.runtime.pipeline import Service, build_service
from gapwatch.settings import Settings
from gapwatch.site import Site
from gapwatch.storage import (
    AlertRow,
    Base,
    CameraStateRow,
    OutboxRow,
    TaskRow,
    make_engine,
    session_factory,
)
from gapwatch.vision.types import ProbeResult
from tests.alerts import properties as pr
from tests.alerts import scenario as sc
from tests.dispatch.receiver import Receiver, running_receiver

# Outside the profile's example count: each example starts real services (two on PostgreSQL).
PROPERTY = settings(
    pr.PROFILE,
    max_examples=max(1, pr.PROFILE.max_examples // 2),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@cache
def example_site() -> tuple[Site, CoverageModel]:
    site = sc.site()
    return site, CoverageModel.from_site(site)


def _fresh(db_url: str, folder: Path) -> str:
    """An empty store for one example: a new SQLite file, or the test's PostgreSQL schema
    emptied."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{folder / uuid.uuid4().hex}.db"
    engine = make_engine(db_url)
    try:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
    return db_url


def _start(url: str, receiver: Receiver, secret: str) -> Service:
    site, _ = example_site()
    settings = Settings(
        db_url=url, scheduler=False, dispatch_url=receiver.url, dispatch_secret=secret
    )
    service = build_service(settings, site=site)
    service.start()
    return service


def _down(session: Session, camera: str) -> bool:
    row = session.get(CameraStateRow, camera)
    return row is not None and camera_is_down(row.status, row.flapping)


def _act(service: Service, at: dt.datetime, event: pr.Event) -> None:
    """One operator or dispatch action, as replay applies it; refusals change nothing."""
    engine = service.alerts
    kind, camera = event[0], event[1]
    try:
        with service.engine_transaction() as session:
            if kind == "silence":
                until = at + dt.timedelta(minutes=int(event[2]))
                engine.add_silence(
                    session, starts_at=at, ends_at=until, by="op-li", cameras=[camera]
                )
                return
            alert_id = engine.open_alert_for(camera)
            if alert_id is None:
                return
            if kind == "ack":
                engine.acknowledge(session, alert_id=alert_id, by="op-li", at=at)
            elif kind == "resolve":
                down = _down(session, camera)
                try:
                    engine.resolve(session, alert_id=alert_id, by="op-li", at=at)
                except CamerasStillDown:
                    refused = True
                else:
                    refused = False
                # Rule 2: refused exactly while a camera of the alert is down.
                if down:
                    assert refused, (camera, at)
                    assert engine.open_alert_for(camera) == alert_id
                if refused:
                    raise CamerasStillDown("refused")  # leave the transaction as the API does
            else:
                tasks = session.scalars(
                    select(TaskRow)
                    .where(TaskRow.alert_id == alert_id, TaskRow.kind == event[2])
                    .order_by(TaskRow.created_at)
                ).all()
                live = [t for t in tasks if t.status not in TERMINAL_STATUSES]
                task = (live or list(tasks) or [None])[-1]
                if task is None:
                    return
                engine.task_status(session, task_id=task.id, status=event[3], by="cad", at=at)
    except (EngineError, TaskError):
        pass


def _decisions(url: str) -> list[Any]:
    """Alerts and their tasks, without ids, in a stable order."""
    db = make_engine(url)
    try:
        with session_factory(db)() as session:
            out = []
            alerts = session.scalars(
                select(AlertRow)
                .where(AlertRow.kind != "coverage_gap")
                .order_by(AlertRow.opened_at, AlertRow.id)
            )
            for a in alerts:
                tasks = sorted((t.kind, t.status, t.assignee or "") for t in a.tasks)
                when = (a.opened_at, a.resolved_at, a.acknowledged_at)
                out.append(
                    (a.kind, sorted(a.cameras), *when, a.status, a.severity, a.silenced, tasks)
                )
            return out
    finally:
        db.dispose()


def _wait_delivered(url: str, receiver: Receiver, timeout_s: float = 60.0) -> list[OutboxRow]:
    db = make_engine(url)
    try:
        with session_factory(db)() as session:
            rows = list(session.scalars(select(OutboxRow)))
    finally:
        db.dispose()
    wanted = {r.id for r in rows}
    deadline = time.monotonic() + timeout_s
    while not wanted <= set(receiver.ids()):
        assert time.monotonic() < deadline, wanted - set(receiver.ids())
        time.sleep(0.05)
    return rows


def _check(db_url: str, folder: Path, plan: list[pr.Event]) -> None:
    site, model = example_site()
    t0 = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)).replace(microsecond=0)
    line = pr.Timeline.of(plan, t0)
    url = _fresh(db_url, folder)
    secret = generate_secret()
    with running_receiver() as receiver:
        service = _start(url, receiver, secret)
        try:
            for at, event in line.timed:
                kind = event[0]
                if kind == "restart":
                    service.stop()
                    service = _start(url, receiver, secret)
                    continue
                if kind == "resync":
                    service.resync()
                    continue
                service.tick(at)
                if kind == "probe":
                    status = event[2]
                    verdict = ProbeResult(status, pr.FAULTS[status], elapsed_s=0.5)  # type: ignore[arg-type]
                    service.handle_probe(event[1], at, verdict)
                else:
                    _act(service, at, event)
                with service.sessions() as session:
                    pr.check_rules(session, site, model, at)
            rows = _wait_delivered(url, receiver)
        finally:
            service.stop()
    # Every task went out under one webhook-id, signed; no message under two ids.
    by_task: dict[tuple[str, str], set[str]] = defaultdict(set)
    for request in receiver.received:
        verify(secret, request.headers, request.body)
        body = json.loads(request.body)
        by_task[(body["data"]["task"]["id"], body["type"])].add(request.msg_id)
    created = [r for r in rows if r.event_type == "task.created"]
    assert all(len(ids) == 1 for ids in by_task.values()), by_task
    assert len({r.task_id for r in created}) == len(created)
    # A restart or resync at any point changed no decision: the same as one replay.
    oracle = f"sqlite:///{folder / uuid.uuid4().hex}.db"
    report = replay(site, line.replay_lines(), db_url=oracle)
    assert all("unknown" not in p.en for p in report.problems), report.problems
    assert _decisions(url) == _decisions(oracle)


@PROPERTY
@example(
    plan=[
        ("probe", "cam-sw", "offline"),
        ("resync",),
        ("probe", "cam-sw", "offline"),
        ("resolve", "cam-sw"),
        ("restart",),
        ("report", "cam-sw", "road_patrol", "rejected"),
        ("probe", "cam-sw", "ok"),
        ("probe", "cam-sw", "ok"),
    ]
)
@given(plan=pr.events(bumps=True, max_size=20))
def test_the_service_keeps_the_rules_through_restarts_and_resyncs(
    db_url: str, tmp_path: Path, plan: list[pr.Event]
) -> None:
    _check(db_url, tmp_path, plan)


@pytest.mark.long
@pytest.mark.slow
@settings(PROPERTY, max_examples=pr.PROFILE.max_examples * 4)
@given(plan=pr.events(bumps=True, max_size=40))
def test_the_service_keeps_the_rules_at_length(
    db_url: str, tmp_path: Path, plan: list[pr.Event]
) -> None:
    _check(db_url, tmp_path, plan)
