"""The demo dispatch receiver: accepts signed tasks once, refuses unsigned ones."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from gapwatch.dispatch.webhooks import generate_secret, signed_headers
from gapwatch.runtime.demo_dispatch import DemoDispatchReceiver, describe_message


@pytest.fixture
def receiver() -> Iterator[DemoDispatchReceiver]:
    server = DemoDispatchReceiver(generate_secret())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _road_task() -> dict[str, object]:
    return {
        "type": "task.created",
        "data": {
            "task": {
                "id": "tk_1",
                "kind": "road_patrol",
                "status": "dispatched",
                "unit": "unit-1",
                "eta_s": 93.4,
                "zone": "gate",
                "blind_spot_m2": 66.8,
            }
        },
    }


def test_signed_message_is_taken_once(receiver: DemoDispatchReceiver) -> None:
    body = json.dumps(_road_task()).encode()
    headers = signed_headers(receiver.secret, "msg_1", int(time.time()), body)
    first = httpx.post(receiver.url, content=body, headers=headers)
    again = httpx.post(receiver.url, content=body, headers=headers)
    assert first.status_code == 204
    assert again.status_code == 200  # a retry of a delivered id is acknowledged, not re-taken
    assert len(receiver.received) == 1


def test_unsigned_or_forged_message_is_refused(receiver: DemoDispatchReceiver) -> None:
    body = json.dumps(_road_task()).encode()
    forged = signed_headers(generate_secret(), "msg_2", int(time.time()), body)
    assert httpx.post(receiver.url, content=body).status_code == 401
    assert httpx.post(receiver.url, content=body, headers=forged).status_code == 401
    assert receiver.received == []


def test_description_names_unit_area_and_eta() -> None:
    line = describe_message(_road_task())
    assert "unit-1" in line and "66.8" in line and "93" in line
    assert "路面巡逻" in line
