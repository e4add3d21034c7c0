"""The delivery worker thread: wakes on demand, survives a failing pass, stops cleanly."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from gapwatch.dispatch.delivery import DeliveryWorker
from gapwatch.dispatch.outbox import EndpointSpec, enqueue, secret_lookup, sync_endpoints
from gapwatch.dispatch.webhooks import generate_secret, verify
from gapwatch.storage import (
    OutboxRow,
    SessionFactory,
    make_engine,
    session_factory,
    transaction,
)
from tests.dispatch.receiver import running_receiver


def _wait_for(condition: object, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_wake_delivers_without_waiting_for_the_interval(db_factory: SessionFactory) -> None:
    secret = generate_secret()
    with running_receiver() as receiver:
        with transaction(db_factory) as session:
            sync_endpoints(session, [EndpointSpec(id="cad", url=receiver.url, secret_env="S")])
        worker = DeliveryWorker(
            db_factory, interval_s=3600.0, secrets=secret_lookup({"S": secret}), timeout_s=2.0
        )
        worker.start()
        try:
            assert _wait_for(lambda: worker.passes >= 1)  # the first pass found nothing
            with transaction(db_factory) as session:
                row = enqueue(session, endpoint_id="cad", event_type="task.created", payload={})
            worker.wake()
            assert _wait_for(lambda: len(receiver.received) == 1)
        finally:
            worker.stop()
        (got,) = receiver.received
        assert got.msg_id == row.id
        verify(secret, got.headers, got.body)
    with transaction(db_factory, write=False) as session:
        stored = session.get(OutboxRow, row.id)
        assert stored is not None and stored.state == "delivered"


def test_a_failing_pass_is_logged_and_the_worker_carries_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'not-migrated.db'}")
    worker = DeliveryWorker(session_factory(engine), interval_s=0.01)
    with caplog.at_level(logging.ERROR, logger="gapwatch.dispatch.delivery"):
        worker.start()
        try:
            assert _wait_for(lambda: worker.failed_passes >= 3)
        finally:
            worker.stop()
    assert "dispatch delivery pass failed" in caplog.text
    engine.dispose()
