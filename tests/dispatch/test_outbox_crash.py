"""A delivery worker killed at any point loses nothing and never re-sends under a new id.

The worker runs in a real subprocess against a real local HTTP receiver and a real database
(SQLite file, PostgreSQL schema), and is SIGKILLed after an answer arrived but before it was
recorded, and while the receiver holds a request (with the rest of its batch claimed but not
sent); the receiver then times out, answers 500/503 and drops connections before it accepts.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from gapwatch.dispatch.delivery import RetryPolicy, deliver_due
from gapwatch.dispatch.outbox import EndpointSpec, enqueue, sync_endpoints
from gapwatch.dispatch.webhooks import generate_secret, verify
from gapwatch.storage import AlertRow, OutboxRow, SessionFactory, TaskRow, transaction
from tests.dispatch.receiver import Answer, running_receiver

ROOT = Path(__file__).resolve().parents[2]
SECRET_ENV = "GW_TEST_CRASH_SECRET"


def _queue_alerts(factory: SessionFactory, url: str, n_alerts: int) -> dict[str, str]:
    """Alerts with a video_patrol and a road_patrol task each, queued as the engine would."""
    bodies: dict[str, str] = {}
    with transaction(factory) as session:
        sync_endpoints(session, [EndpointSpec(id="cad", url=url, secret_env=SECRET_ENV)])
    for i in range(n_alerts):
        with transaction(factory) as session:
            alert = AlertRow(
                site_id="weiyuan-demo",
                kind="camera_down",
                dedup_key=f"camera_down:cam-{i:03d}",
                severity=5,
                cameras=[f"cam-{i:03d}"],
            )
            session.add(alert)
            for kind in ("video_patrol", "road_patrol"):
                task = TaskRow(alert=alert, kind=kind)
                session.add(task)
                session.flush()
                row = enqueue(
                    session,
                    endpoint_id="cad",
                    event_type="task.created",
                    payload={"task": task.id, "kind": kind, "alert": alert.id},
                    task_id=task.id,
                )
                bodies[row.id] = row.body
    return bodies


def _worker(db_url: str, secret: str, **extra: object) -> subprocess.Popen[bytes]:
    config = {
        "db_url": db_url,
        "delays_s": [0.1] * 9,
        "claim_s": 0.8,
        "pause_s": 0.1,
        "timeout_s": 0.5,
        "max_s": 20.0,
        **extra,
    }
    env = {**os.environ, SECRET_ENV: secret}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.dispatch.outbox_worker_proc", json.dumps(config)],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
    )


def _wait(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> int:

    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"worker did not finish: {err.decode(errors='replace')[-2000:]}")
    if proc.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f"worker failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    return proc.returncode


def _deliver_until_done(factory: SessionFactory, secret: str) -> None:
    policy = RetryPolicy(delays_s=(0.1,) * 9, claim_s=0.8, endpoint_pause_s=0.1)
    paused: dict[str, dt.datetime] = {}
    deadline = time.monotonic() + 20.0
    with httpx.Client(timeout=0.5) as client:
        while time.monotonic() < deadline:
            deliver_due(factory, client, policy=policy, secrets=lambda _n: secret, paused=paused)
            with transaction(factory, write=False) as session:
                states = set(session.scalars(select(OutboxRow.state)))
            if states == {"delivered"}:
                return
            time.sleep(0.05)
    pytest.fail(f"messages left undelivered: {states}")


@pytest.mark.slow
def test_killed_worker_loses_nothing_and_keeps_ids(
    db_url: str, db_engine: Engine, db_factory: SessionFactory
) -> None:
    secret = generate_secret()
    with running_receiver() as receiver:
        bodies = _queue_alerts(db_factory, receiver.url, n_alerts=5)

        # Killed after the 2nd answer arrived, before recording it: that one must come again.
        assert _wait(_worker(db_url, secret, die_after_response=2)) == -signal.SIGKILL
        assert len(receiver.received) == 2
        answered_unrecorded = receiver.received[-1].msg_id

        # Killed from outside while the receiver holds a request; the rest of its batch was
        # claimed (attempt counted) but never sent.
        receiver.got_request.clear()
        receiver.answer_with(Answer(hang_s=30.0))
        proc = _worker(db_url, secret)
        assert receiver.got_request.wait(20.0)
        held = receiver.received[-1].msg_id
        proc.send_signal(signal.SIGKILL)
        assert _wait(proc) == -signal.SIGKILL
        receiver.release.set()

        # Restarted (here, in this process to save a start-up) against a flaky receiver: a
        # timeout, a 500, a dropped connection, a 503, then success.
        receiver.answer_with(
            Answer(hang_s=2.0), Answer(status=500), Answer(drop=True), Answer(status=503)
        )
        _deliver_until_done(db_factory, secret)

        received = list(receiver.received)

    with transaction(db_factory, write=False) as session:
        rows = session.scalars(select(OutboxRow)).all()
    assert {r.id for r in rows} == set(bodies)
    assert {r.state for r in rows} == {"delivered"}

    ids_by_body: dict[bytes, set[str]] = defaultdict(set)
    for got in received:
        ids_by_body[got.body].add(got.msg_id)
        # Every request, first try or retry, is correctly signed for exactly this id and body.
        verify(secret, got.headers, got.body, now=dt.datetime.now(dt.UTC))
        assert got.body == bodies[got.msg_id].encode("utf-8")
    # Every task arrived, each always under the one id of its row.
    assert {next(iter(ids)) for ids in ids_by_body.values()} == set(bodies)
    assert all(len(ids) == 1 for ids in ids_by_body.values())
    seen = [g.msg_id for g in received]
    assert seen.count(answered_unrecorded) >= 2
    assert seen.count(held) >= 2
    assert len(seen) > len(bodies)  # the re-sends really happened
