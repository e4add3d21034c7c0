"""From a probe verdict to dispatch through the real service path: writer, engine, outbox, delivery
worker and a real HTTP receiver on loopback."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from gapwatch.dispatch.delivery import DeliveryWorker
from gapwatch.dispatch.outbox import DEFAULT_SECRET_ENV, secret_lookup
from gapwatch.dispatch.webhooks import generate_secret, verify
from gapwatch.runtime.pipeline import Service, build_service
from gapwatch.settings import Settings
from gapwatch.storage import OutboxRow, TaskRow, transaction
from gapwatch.vision.types import ProbeResult
from tests.api.site import write_site
from tests.dispatch.receiver import Receiver, running_receiver

STEP = dt.timedelta(seconds=30)


def _service(
    tmp_path: Path, url: str, secret: str, worker: Callable[[Service], DeliveryWorker]
) -> Service:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'dispatch.db'}",
        site=write_site(tmp_path),
        scheduler=False,
        dispatch_url=url,
        dispatch_secret=secret,
    )
    service = build_service(settings)
    # The service's own delivery worker, swapped for one whose timing the test sets.
    index = next(i for i, w in enumerate(service.workers) if isinstance(w, DeliveryWorker))
    service.workers[index] = worker(service)
    return service


def _fail(service: Service, camera: str, end: dt.datetime) -> str:
    """Offline verdicts for `camera`, the deciding one at `end`; the alert's id."""
    times = service.site.spec.health.open_after
    at = end - (times - 1) * STEP
    for _ in range(times):
        verdict = ProbeResult(status="offline", faults=["no_signal"], elapsed_s=1.0)
        service.handle_probe(camera, at, verdict)
        at += STEP
    alert_id = service.alerts.open_alert_for(camera)
    assert alert_id is not None
    return alert_id


def _wait(condition: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_the_deciding_probe_wakes_delivery_and_the_task_arrives_signed(tmp_path: Path) -> None:
    secret = generate_secret()
    with running_receiver() as receiver:
        # Delivery would wait an hour between passes: only the writer's wake-up sends it now.
        service = _service(
            tmp_path,
            receiver.url,
            secret,
            lambda s: DeliveryWorker(
                s.sessions,
                interval_s=3600,
                secrets=secret_lookup({DEFAULT_SECRET_ENV: secret}),
            ),
        )
        service.start()
        try:
            alert_id = _fail(service, "cam-1", dt.datetime.now(dt.UTC))
            with transaction(service.sessions, write=False) as session:
                tasks = {
                    t.id: t.kind
                    for t in session.scalars(select(TaskRow).where(TaskRow.alert_id == alert_id))
                }
            assert sorted(tasks.values()) == ["road_patrol"]  # no other view sees its ground
            _wait(lambda: len(receiver.ids()) >= len(tasks), "the task webhooks never arrived")
        finally:
            service.stop()
    got = {}
    for request in receiver.received:
        verify(secret, request.headers, request.body)  # raises on a bad signature
        message = json.loads(request.body)
        assert message["type"] == "task.created"
        assert message["data"]["alert"]["id"] == alert_id
        got[message["data"]["task"]["id"]] = message["data"]["task"]["kind"]
    assert got == tasks


class SimClock:
    """The delivery worker's clock, moved on by the test."""

    def __init__(self) -> None:
        self._now = dt.datetime.now(dt.UTC)
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)


def _passes(worker: DeliveryWorker, n: int = 2) -> None:
    """Let the worker run `n` more whole passes at the current simulated time."""
    start = worker.passes
    _wait(lambda: worker.passes >= start + n, "the delivery worker stopped passing")


def test_a_receiver_down_for_an_hour_gets_each_task_later_exactly_once(tmp_path: Path) -> None:
    secret = generate_secret()
    receiver = Receiver()
    receiver.start()
    receiver.stop()  # its port now refuses connections
    clock = SimClock()
    workers: list[DeliveryWorker] = []

    def make(service: Service) -> DeliveryWorker:
        worker = DeliveryWorker(
            service.sessions,
            interval_s=0.01,
            timeout_s=2.0,
            clock=clock,
            secrets=secret_lookup({DEFAULT_SECRET_ENV: secret}),
        )
        workers.append(worker)
        return worker

    service = _service(tmp_path, receiver.url, secret, make)
    worker = workers[0]
    service.start()

    def outbox() -> list[OutboxRow]:
        with transaction(service.sessions, write=False) as session:
            return list(session.scalars(select(OutboxRow)))

    try:
        alert_id = _fail(service, "cam-1", clock())
        _wait(lambda: any(r.attempts for r in outbox()), "delivery was never tried")
        for _ in range(60):  # an hour, a minute at a time
            clock.advance(60)
            _passes(worker)
        down = outbox()
        assert len(down) == 1 and all(r.state == "pending" for r in down)
        assert any(r.attempts >= 2 for r in down)
        assert all(r.last_error for r in down if r.attempts)

        receiver.start()  # back on the same address
        for _ in range(24):  # four more hours, ten minutes at a time
            clock.advance(600)
            _passes(worker)
            if all(r.state == "delivered" for r in outbox()):
                break
        delivered = outbox()
        delivered_by = clock()
        assert all(r.state == "delivered" for r in delivered), [
            (r.state, r.attempts, r.last_error) for r in delivered
        ]
        for _ in range(5):  # a day later, nothing is sent again
            clock.advance(6 * 3600)
            _passes(worker)
        received = list(receiver.received)
    finally:
        service.stop()
        receiver.stop()

    assert sorted(r.msg_id for r in received) == sorted(r.id for r in delivered)
    with transaction(service.sessions, write=False) as session:
        tasks = {t.id for t in session.scalars(select(TaskRow).where(TaskRow.alert_id == alert_id))}
    kinds = set()
    for request in received:
        # Signed when sent: within the last ten simulated minutes before all were delivered.
        verify(secret, request.headers, request.body, now=delivered_by, tolerance_s=660)
        message = json.loads(request.body)
        assert message["type"] == "task.created"
        assert message["data"]["task"]["id"] in tasks
        kinds.add(message["data"]["task"]["kind"])
    assert kinds == {"road_patrol"}


def test_an_operators_commit_that_queues_messages_wakes_delivery(tmp_path: Path) -> None:
    secret = generate_secret()
    with running_receiver() as receiver:
        # An hour between passes: only a wake-up after the commit sends the messages now.
        service = _service(
            tmp_path,
            receiver.url,
            secret,
            lambda s: DeliveryWorker(
                s.sessions, interval_s=3600, secrets=secret_lookup({DEFAULT_SECRET_ENV: secret})
            ),
        )
        service.start()
        try:
            at = dt.datetime.now(dt.UTC)
            alert_id = _fail(service, "cam-1", at)
            _wait(lambda: len(receiver.ids()) >= 1, "the task webhook never arrived")
            with transaction(service.sessions, write=False) as session:
                road = session.scalars(
                    select(TaskRow.id).where(
                        TaskRow.alert_id == alert_id, TaskRow.kind == "road_patrol"
                    )
                ).one()
            # What the task-status route does: the unit refuses, the task goes to another.
            with transaction(service.sessions) as session:
                service.alerts.task_status(
                    session, task_id=road, status="rejected", by="cad", at=dt.datetime.now(dt.UTC)
                )
            _wait(lambda: len(receiver.ids()) >= 2, "the reassigned task was not sent at once")
            # A rolled-back transaction that had queued a message wakes nothing and leaks no
            # count into the next commit of the same session factory.
            try:
                with transaction(service.sessions) as session:
                    service.alerts.task_status(
                        session, task_id=road, status="rejected", by="cad", at=at + STEP
                    )
                    raise RuntimeError("request failed")
            except RuntimeError:
                pass
        finally:
            service.stop()
    kinds = [json.loads(r.body)["data"]["task"]["kind"] for r in receiver.received]
    assert sorted(kinds) == ["road_patrol", "road_patrol"]
