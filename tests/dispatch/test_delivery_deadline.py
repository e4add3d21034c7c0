"""A receiver that trickles its status line or headers, on a real loopback socket: the attempt
ends by its deadline, and delivery to other endpoints goes on meanwhile."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from gapwatch.dispatch import DeliveryWorker, deliver_due, secret_lookup
from gapwatch.dispatch.outbox import EndpointSpec, enqueue, sync_endpoints
from gapwatch.dispatch.transport import dispatch_client
from gapwatch.dispatch.webhooks import generate_secret
from gapwatch.storage import OutboxRow, SessionFactory, transaction
from tests.dispatch.trickler import OK, trickler

SECRET = generate_secret()
# A reply whose head takes about a minute at one byte a second: long past every deadline below,
# while each byte comes well inside the client's per-read time-out.
SLOW_STATUS_LINE = b"HTTP/1.1 200 OK" + b" " * 40 + b"\r\ncontent-length: 0\r\n\r\n"
SLOW_HEADERS = b"HTTP/1.1 200 OK\r\nx-pad: " + b"." * 40 + b"\r\ncontent-length: 0\r\n\r\n"


def secrets(_name: str) -> str | None:
    return SECRET


def _queue(factory: SessionFactory, endpoints: dict[str, str], to: str) -> str:
    with transaction(factory) as session:
        sync_endpoints(
            session, [EndpointSpec(id=e, url=u, secret_env="S") for e, u in endpoints.items()]
        )
        return enqueue(session, endpoint_id=to, event_type="task.created", payload={"to": to}).id


def _state(factory: SessionFactory, msg_id: str) -> str:
    with transaction(factory, write=False) as session:
        return str(session.scalar(select(OutboxRow.state).where(OutboxRow.id == msg_id)))


def _wait_for(condition: Callable[[], bool], timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("reply", [SLOW_STATUS_LINE, SLOW_HEADERS], ids=["status", "headers"])
def test_a_trickled_head_ends_the_attempt_at_its_deadline(
    db_factory: SessionFactory, reply: bytes
) -> None:
    with trickler(reply, pause_s=1.0) as slow, dispatch_client(timeout_s=5.0) as client:
        msg = _queue(db_factory, {"slow": slow.url}, to="slow")
        report = deliver_due(
            db_factory, client, secrets=secrets, attempt_deadline_s=2.0, pass_deadline_s=30
        )
        # Before: every byte came inside the 5 s per-read time-out, so the attempt waited out
        # the whole minute-long head and counted the 200 as delivered.
        (outcome,) = report.outcomes
        assert outcome.outcome == "retry"
        assert outcome.error is not None and "timed out" in outcome.error
        assert _wait_for(slow.hung_up.is_set, 30)
        assert not slow.completed.is_set()
        assert _state(db_factory, msg) == "pending"


@pytest.mark.slow
def test_a_trickling_receiver_never_delays_delivery_to_another(
    db_factory: SessionFactory,
) -> None:
    with trickler(SLOW_STATUS_LINE, pause_s=1.0) as slow, trickler(OK) as fast:
        endpoints = {"slow": slow.url, "fast": fast.url}
        slow_msg = _queue(db_factory, endpoints, to="slow")
        # A long attempt deadline on purpose: the other endpoint must not wait for it.
        worker = DeliveryWorker(
            db_factory, interval_s=0.2, timeout_s=45.0, secrets=secret_lookup({"S": SECRET})
        )
        worker.start()
        try:
            assert slow.got_request.wait(30)
            fast_msg = _queue(db_factory, endpoints, to="fast")
            worker.wake()
            # Before: a pass with one endpoint sent inline on the worker's thread, so the fast
            # endpoint's message waited for the slow head (a minute) to finish.
            assert _wait_for(lambda: _state(db_factory, fast_msg) == "delivered")
            assert not slow.completed.is_set() and not slow.hung_up.is_set()
            assert fast.requests == 1
            assert _state(db_factory, slow_msg) == "pending"  # still in its own lane
        finally:
            worker.stop()
            slow.stop.set()
