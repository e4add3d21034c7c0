"""The transactional outbox and one delivery pass, against a real local HTTP receiver."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from gapwatch.dispatch.delivery import STANDARD_RETRY_DELAYS_S, RetryPolicy, deliver_due
from gapwatch.dispatch.outbox import (
    EndpointSpec,
    configured_endpoints,
    enqueue,
    enqueue_all,
    reenable_endpoint,
    sync_endpoints,
)
from gapwatch.dispatch.webhooks import generate_secret, verify
from gapwatch.site import DispatchEndpoint
from gapwatch.storage import (
    AlertRow,
    DispatchEndpointRow,
    EventRow,
    OutboxRow,
    SessionFactory,
    TaskRow,
    transaction,
)
from tests.dispatch.receiver import Answer, Receiver, running_receiver

T0 = dt.datetime(2026, 7, 30, 13, 0, tzinfo=dt.UTC)  # 21:00 in Weiyuan
SECRET_ENV = "GW_TEST_DISPATCH_SECRET"
SECRET = generate_secret()


def secrets(name: str) -> str | None:
    return SECRET if name == SECRET_ENV else None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=2.0) as c:
        yield c


def _setup(factory: SessionFactory, url: str, *, n: int = 1) -> list[str]:
    """An alert with a road_patrol task per message, queued to endpoint `cad` (one commit)."""
    with transaction(factory) as session:
        sync_endpoints(session, [EndpointSpec(id="cad", url=url, secret_env=SECRET_ENV)], now=T0)
        ids = []
        for i in range(n):
            alert = AlertRow(
                site_id="weiyuan-demo",
                kind="camera_down",
                dedup_key=f"camera_down:cam-{i:03d}",
                severity=4,
                cameras=[f"cam-{i:03d}"],
                opened_at=T0,
            )
            task = TaskRow(alert=alert, kind="road_patrol", assignee="unit-1", created_at=T0)
            session.add_all([alert, task])
            session.flush()
            row = enqueue(
                session,
                endpoint_id="cad",
                event_type="task.created",
                payload={"task": task.id, "kind": "road_patrol", "unit": "巡逻一组", "n": i},
                task_id=task.id,
                now=T0,
            )
            ids.append(row.id)
    return ids


def _row(factory: SessionFactory, msg_id: str) -> OutboxRow:
    with transaction(factory, write=False) as session:
        row = session.get(OutboxRow, msg_id)
        assert row is not None
        return row


def _pass(
    factory: SessionFactory, client: httpx.Client, at: dt.datetime, **kw: object
) -> list[str]:
    report = deliver_due(factory, client, now=at, secrets=secrets, **kw)  # type: ignore[arg-type]
    return [o.outcome for o in report.outcomes]


def test_delivered_message_carries_stable_id_exact_body_and_valid_signature(
    db_factory: SessionFactory, receiver: Receiver, client: httpx.Client
) -> None:
    (msg_id,) = _setup(db_factory, receiver.url)
    assert _pass(db_factory, client, T0) == ["delivered"]
    (got,) = receiver.received
    row = _row(db_factory, msg_id)
    assert got.msg_id == msg_id
    assert got.body == row.body.encode("utf-8")
    assert got.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    assert got.headers["content-type"].startswith("application/json")
    verify(SECRET, got.headers, got.body, now=T0)
    sent = json.loads(got.body)
    assert sent["type"] == "task.created"
    assert sent["data"]["unit"] == "巡逻一组"
    assert row.state == "delivered"
    assert row.delivered_at == T0
    assert row.attempts == 1
    # Nothing is due any more: a second pass sends nothing.
    assert _pass(db_factory, client, T0 + dt.timedelta(hours=1)) == []
    assert len(receiver.received) == 1


def test_outbox_rows_commit_or_roll_back_with_the_alert(
    db_factory: SessionFactory, receiver: Receiver
) -> None:
    with transaction(db_factory) as session:
        sync_endpoints(session, [EndpointSpec(id="cad", url=receiver.url)])
    with pytest.raises(RuntimeError), transaction(db_factory) as session:
        alert = AlertRow(site_id="s", kind="camera_down", dedup_key="k", severity=3)
        session.add(alert)
        session.flush()
        enqueue_all(session, event_type="task.created", payload={"alert": alert.id})
        raise RuntimeError("the engine failed after queueing")
    with transaction(db_factory, write=False) as session:
        assert session.scalar(select(func.count()).select_from(OutboxRow)) == 0
        assert session.scalar(select(func.count()).select_from(AlertRow)) == 0


def test_enqueue_to_an_unknown_endpoint_is_a_clear_error(db_factory: SessionFactory) -> None:
    missing = "no dispatch endpoint with id 'nowhere'"
    with pytest.raises(LookupError, match=missing), transaction(db_factory) as session:
        enqueue(session, endpoint_id="nowhere", event_type="x", payload={})


@pytest.mark.parametrize(
    "failure",
    [Answer(status=500), Answer(status=503), Answer(drop=True), Answer(hang_s=6.0)],
    ids=["500", "503", "dropped", "timeout"],
)
def test_transient_failures_are_retried_with_the_same_id(
    db_factory: SessionFactory, receiver: Receiver, client: httpx.Client, failure: Answer
) -> None:
    (msg_id,) = _setup(db_factory, receiver.url)
    receiver.answer_with(failure)
    assert _pass(db_factory, client, T0) == ["retry"]
    row = _row(db_factory, msg_id)
    assert row.state == "pending"
    assert row.last_error
    assert row.next_attempt_at == T0 + dt.timedelta(seconds=STANDARD_RETRY_DELAYS_S[0])
    assert _pass(db_factory, client, T0 + dt.timedelta(seconds=4)) == []  # not yet due
    assert _pass(db_factory, client, T0 + dt.timedelta(seconds=5)) == ["delivered"]
    assert receiver.ids() == [msg_id, msg_id]
    first, second = receiver.received
    assert first.body == second.body
    assert _row(db_factory, msg_id).attempts == 2


def test_retry_after_is_honoured_when_longer_than_the_schedule(
    db_factory: SessionFactory, receiver: Receiver, client: httpx.Client
) -> None:
    (msg_id,) = _setup(db_factory, receiver.url)
    receiver.answer_with(Answer(status=429, retry_after="900"))
    assert _pass(db_factory, client, T0) == ["retry"]
    assert _row(db_factory, msg_id).next_attempt_at == T0 + dt.timedelta(seconds=900)


def test_the_standard_schedule_then_dead(
    db_factory: SessionFactory, receiver: Receiver, client: httpx.Client
) -> None:
    (msg_id,) = _setup(db_factory, receiver.url)
    receiver.answer_with(then=Answer(status=500))
    at = T0
    tried_at = []
    for _ in range(20):
        outcomes = _pass(db_factory, client, at)
        if outcomes:
            tried_at.append(at)
        if "dead" in outcomes:
            break
        at = _row(db_factory, msg_id).next_attempt_at
    gaps = tuple((b - a).total_seconds() for a, b in itertools.pairwise(tried_at))
    assert gaps == STANDARD_RETRY_DELAYS_S
    row = _row(db_factory, msg_id)
    assert row.state == "dead"
    assert row.attempts == RetryPolicy().max_attempts == 10
    assert "gave up after 10 attempts" in (row.last_error or "")
    assert set(receiver.ids()) == {msg_id}
    with transaction(db_factory, write=False) as session:
        types = session.scalars(select(EventRow.type)).all()
    assert "dispatch.dead" in types


def test_other_4xx_is_dead_at_once_with_the_reason(
    db_factory: SessionFactory, receiver: Receiver, client: httpx.Client
) -> None:
    (msg_id,) = _setup(db_factory, receiver.url)
    receiver.answer_with(Answer(status=422))
    assert _pass(db_factory, client, T0) == ["dead"]
    row = _row(db_factory, msg_id)
    assert row.state == "dead"
    assert row.last_status == 422
    assert "HTTP 422" in (row.last_error or "")


def test_410_disables_the_endpoint_holds_its_messages_and_says_so(
    db_factory: SessionFactory, receiver: Receiver, client: httpx.Client
) -> None:
    first, second = _setup(db_factory, receiver.url, n=2)
    receiver.answer_with(Answer(status=410))
    report = deliver_due(db_factory, client, now=T0, secrets=secrets)
    assert report.disabled_endpoints == ["cad"]
    assert [o.outcome for o in report.outcomes] == ["disabled"]
    assert receiver.ids() == [first]
    with transaction(db_factory, write=False) as session:
        endpoint = session.get(DispatchEndpointRow, "cad")
        assert endpoint is not None
        assert endpoint.disabled
        assert "410" in (endpoint.disabled_reason or "")
        assert endpoint.disabled_at == T0
        states = dict(session.execute(select(OutboxRow.id, OutboxRow.state)).all())
        assert states == {first: "disabled", second: "disabled"}
        events = session.scalars(select(EventRow).where(EventRow.type.contains("disabled"))).all()
        assert [e.data["endpoint"] for e in events] == ["cad"]
    # Nothing more goes to it, including messages queued after it was disabled.
    with transaction(db_factory) as session:
        late = enqueue(session, endpoint_id="cad", event_type="task.updated", payload={}, now=T0)
        assert late.state == "disabled"
    assert _pass(db_factory, client, T0 + dt.timedelta(days=2)) == []
    assert len(receiver.received) == 1
    # Re-enabled by hand, everything held back goes out under its original id.
    with transaction(db_factory) as session:
        assert reenable_endpoint(session, "cad", now=T0 + dt.timedelta(days=2)) == 3
    assert _pass(db_factory, client, T0 + dt.timedelta(days=2)) == ["delivered"] * 3
    assert sorted(receiver.ids()[1:]) == sorted([first, second, late.id])


def test_a_down_receiver_is_probed_once_not_once_per_message(
    db_factory: SessionFactory, receiver: Receiver, client: httpx.Client
) -> None:
    ids = _setup(db_factory, receiver.url, n=5)
    receiver.answer_with(then=Answer(status=503))
    paused: dict[str, dt.datetime] = {}
    assert _pass(db_factory, client, T0, paused=paused) == ["retry"] + ["released"] * 4
    assert _pass(db_factory, client, T0 + dt.timedelta(seconds=1), paused=paused) == []
    assert receiver.ids() == [ids[0]]  # the oldest goes first
    with transaction(db_factory, write=False) as session:
        attempts = session.scalars(select(OutboxRow.attempts).order_by(OutboxRow.id)).all()
    assert sorted(attempts) == [0, 0, 0, 0, 1]  # the others kept their whole schedule
    receiver.answer_with(then=Answer(status=200))
    outcomes = _pass(db_factory, client, T0 + dt.timedelta(seconds=5), paused=paused)
    assert outcomes == ["delivered"] * 5
    assert sorted(set(receiver.ids())) == sorted(ids)


def test_receiver_down_for_an_hour_gets_the_task_later(
    db_factory: SessionFactory, client: httpx.Client
) -> None:
    receiver = Receiver()
    receiver.start()
    port = receiver.port
    receiver.stop()  # nothing listens: connections are refused
    (msg_id,) = _setup(db_factory, f"http://127.0.0.1:{port}/dispatch")
    paused: dict[str, dt.datetime] = {}
    at = T0
    while at < T0 + dt.timedelta(hours=1):
        for outcome in _pass(db_factory, client, at, paused=paused):
            assert outcome == "retry"
        at += dt.timedelta(seconds=30)
    down = _row(db_factory, msg_id)
    assert down.state == "pending"
    assert down.last_error
    receiver = Receiver(port=port)
    receiver.start()
    try:
        delivered_at = None
        while delivered_at is None and at < T0 + dt.timedelta(hours=6):
            if "delivered" in _pass(db_factory, client, at, paused=paused):
                delivered_at = at
            at += dt.timedelta(seconds=30)
        assert delivered_at is not None
        # It arrives at the next scheduled retry after the receiver came back, under its id.
        assert dt.timedelta(0) <= delivered_at - down.next_attempt_at < dt.timedelta(seconds=30)
        (got,) = receiver.received
        assert got.msg_id == msg_id
        verify(SECRET, got.headers, got.body, now=delivered_at)
        assert _row(db_factory, msg_id).attempts == down.attempts + 1
    finally:
        receiver.stop()


def test_missing_secret_is_not_sent_unsigned(
    db_factory: SessionFactory, receiver: Receiver, client: httpx.Client
) -> None:
    (msg_id,) = _setup(db_factory, receiver.url)
    report = deliver_due(db_factory, client, now=T0, secrets=lambda _name: None)
    assert [o.outcome for o in report.outcomes] == ["retry"]
    assert receiver.received == []
    assert SECRET_ENV in (_row(db_factory, msg_id).last_error or "")


def test_concurrent_passes_never_send_a_message_twice(
    db_factory: SessionFactory, receiver: Receiver
) -> None:
    ids = _setup(db_factory, receiver.url, n=30)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with httpx.Client(timeout=2.0) as c:
                for _ in range(30):
                    deliver_due(db_factory, c, now=T0, secrets=secrets, limit=3)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(receiver.ids()) == sorted(ids)


def test_sync_endpoints_follows_the_configuration(db_factory: SessionFactory) -> None:
    site = [DispatchEndpoint(id="county-cad", url="https://cad.example/hook", secret_env="CAD")]
    specs = configured_endpoints(site, dispatch_url="http://127.0.0.1:9/hook")
    assert [(s.id, s.secret_env) for s in specs] == [
        ("county-cad", "CAD"),
        ("default", "GAPWATCH_DISPATCH_SECRET"),
    ]
    with transaction(db_factory) as session:
        sync_endpoints(session, specs, now=T0)
        enqueue(session, endpoint_id="default", event_type="x", payload={}, now=T0)
    # The environment endpoint goes away: disabled, its queued message held back.
    with transaction(db_factory) as session:
        sync_endpoints(session, configured_endpoints(site), now=T0)
    with transaction(db_factory, write=False) as session:
        default = session.get(DispatchEndpointRow, "default")
        assert default is not None and default.disabled
        assert session.scalars(select(OutboxRow.state)).all() == ["disabled"]
    # It comes back: enabled, and the held message is queued again.
    with transaction(db_factory) as session:
        sync_endpoints(session, specs, now=T0)
    with transaction(db_factory, write=False) as session:
        assert session.scalars(select(OutboxRow.state)).all() == ["pending"]
    # A 410-disabled endpoint whose URL is corrected is enabled again.
    with transaction(db_factory) as session:
        cad = session.get(DispatchEndpointRow, "county-cad")
        assert cad is not None
        cad.disabled, cad.disabled_reason = True, "410 Gone"
    moved = [DispatchEndpoint(id="county-cad", url="https://cad2.example/hook", secret_env="CAD")]
    with transaction(db_factory) as session:
        rows = sync_endpoints(
            session, configured_endpoints(moved, dispatch_url="http://127.0.0.1:9/hook")
        )
        assert [(r.id, r.disabled) for r in rows] == [("county-cad", False), ("default", False)]


def test_a_malformed_endpoint_url_is_retried_with_a_reason_not_a_crash(
    db_factory: SessionFactory, client: httpx.Client
) -> None:
    (msg_id,) = _setup(db_factory, "http://[::1/dispatch")  # httpx raises InvalidURL
    assert _pass(db_factory, client, T0) == ["retry"]
    row = _row(db_factory, msg_id)
    assert row.state == "pending"
    assert "could not send: InvalidURL" in (row.last_error or "")


def test_a_pass_told_to_stop_hands_its_claims_back_untouched(
    db_factory: SessionFactory, receiver: Receiver, client: httpx.Client
) -> None:
    ids = _setup(db_factory, receiver.url, n=3)
    stop = threading.Event()
    stop.set()
    assert _pass(db_factory, client, T0, stop=stop) == ["released"] * 3
    assert receiver.received == []
    for msg_id in ids:
        row = _row(db_factory, msg_id)
        assert (row.state, row.attempts, row.next_attempt_at) == ("pending", 0, T0)
    assert _pass(db_factory, client, T0) == ["delivered"] * 3
