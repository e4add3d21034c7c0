"""Delivery isolation against real HTTP servers on loopback: a receiver that trickles its reply,
one that sends gigabytes, and one that hangs must not hold a lane, the memory, or the others."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import select

from gapwatch.dispatch.delivery import deliver_due
from gapwatch.dispatch.outbox import EndpointSpec, enqueue, sync_endpoints
from gapwatch.dispatch.webhooks import generate_secret
from gapwatch.storage import AlertRow, OutboxRow, SessionFactory, TaskRow, transaction
from tests.dispatch.trickler import read_request

T0 = dt.datetime(2026, 7, 30, 13, 0, tzinfo=dt.UTC)
SECRET = generate_secret()


def secrets(_name: str) -> str | None:
    return SECRET


@dataclass
class RawServer:
    """A loopback server whose every connection is handled by `behave(conn)`."""

    behave: Callable[[socket.socket, RawServer], None]
    port: int = 0
    requests: int = 0
    bytes_sent: int = 0
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@contextmanager
def raw_server(behave: Callable[[socket.socket, RawServer], None]) -> Iterator[RawServer]:
    server = RawServer(behave)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    server.port = int(listener.getsockname()[1])
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            try:
                read_request(conn)
                server.requests += 1
                behave(conn, server)
            except OSError:
                pass
            finally:
                server.finished.set()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def ok(conn: socket.socket, server: RawServer) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")


def trickle(conn: socket.socket, server: RawServer) -> None:
    """200 at once, then one byte of a long body every 5 s."""
    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n")
    for _ in range(1000):
        conn.sendall(b"x")
        server.bytes_sent += 1
        time.sleep(5)


def flood(status: bytes) -> Callable[[socket.socket, RawServer], None]:
    def behave(conn: socket.socket, server: RawServer) -> None:
        size = 2 * 1024**3
        conn.sendall(
            b"HTTP/1.1 " + status + b"\r\ncontent-length: " + str(size).encode() + b"\r\n\r\n"
        )
        block = b"\0" * (1024 * 1024)
        while server.bytes_sent < size:
            conn.sendall(block)
            server.bytes_sent += len(block)

    return behave


def hang(conn: socket.socket, server: RawServer) -> None:
    """Never answers (until the client gives up)."""
    conn.settimeout(60)
    conn.recv(1)


def _queue(factory: SessionFactory, urls: dict[str, str]) -> dict[str, str]:
    """One task message to each endpoint; returns message id by endpoint."""
    specs = [EndpointSpec(id=e, url=u, secret_env="S") for e, u in urls.items()]
    ids: dict[str, str] = {}
    with transaction(factory) as session:
        sync_endpoints(session, specs, now=T0)
        for n, endpoint in enumerate(urls):
            alert = AlertRow(
                site_id="s",
                kind="camera_down",
                dedup_key=f"camera_down:cam-{n}",
                severity=4,
                cameras=[f"cam-{n}"],
                opened_at=T0,
            )
            task = TaskRow(alert=alert, kind="road_patrol", assignee="unit-1", created_at=T0)
            session.add_all([alert, task])
            session.flush()
            row = enqueue(
                session,
                endpoint_id=endpoint,
                event_type="task.created",
                payload={"task": task.id},
                task_id=task.id,
                now=T0,
            )
            ids[endpoint] = row.id
    return ids


def _states(factory: SessionFactory) -> dict[str, str]:
    with transaction(factory, write=False) as session:
        return {r.endpoint_id: r.state for r in session.scalars(select(OutboxRow))}


@pytest.mark.slow
def test_a_trickling_receiver_holds_neither_a_lane_nor_the_others(
    db_factory: SessionFactory,
) -> None:
    with (
        raw_server(trickle) as slow,
        raw_server(ok) as a,
        raw_server(ok) as b,
        raw_server(ok) as c,
        raw_server(ok) as d,
        raw_server(ok) as e,
        httpx.Client(timeout=10) as client,
    ):
        urls = {"slow": slow.url, "a": a.url, "b": b.url, "c": c.url, "d": d.url, "e": e.url}
        _queue(db_factory, urls)
        report = deliver_due(db_factory, client, now=T0, secrets=secrets, pass_deadline_s=30)
        # Before: httpx's timeout is per read, so a byte every 5 s held the pass for minutes.
        assert not slow.finished.is_set()  # the receiver is still trickling
        assert slow.bytes_sent <= 2
        assert report.delivered == 6
        assert set(_states(db_factory).values()) == {"delivered"}


@pytest.mark.slow
@pytest.mark.parametrize("status", [b"200 OK", b"500 Internal Server Error"])
def test_a_two_gigabyte_reply_is_not_read(db_factory: SessionFactory, status: bytes) -> None:
    with raw_server(flood(status)) as big, httpx.Client(timeout=10) as client:
        _queue(db_factory, {"big": big.url})
        report = deliver_due(db_factory, client, now=T0, secrets=secrets)
        big.finished.wait(10)
        # Before: the whole 2 GB body was read into memory (the service reached 3.8 GB).
        assert big.bytes_sent < 64 * 1024 * 1024
        outcome = report.outcomes[0]
        if status.startswith(b"200"):
            assert outcome.outcome == "delivered"
        else:
            assert outcome.outcome == "retry"
            assert outcome.error is not None and len(outcome.error) <= 300


@pytest.mark.slow
def test_a_hanging_receiver_does_not_delay_another(db_factory: SessionFactory) -> None:
    with (
        raw_server(hang) as stuck,
        raw_server(ok) as fine,
        httpx.Client(timeout=20) as client,
    ):
        _queue(db_factory, {"stuck": stuck.url, "fine": fine.url})
        paused: dict[str, dt.datetime] = {}
        report = deliver_due(
            db_factory, client, now=T0, secrets=secrets, paused=paused, pass_deadline_s=2
        )
        assert fine.requests == 1
        assert [o.endpoint_id for o in report.outcomes if o.outcome == "delivered"] == ["fine"]
        assert _states(db_factory)["fine"] == "delivered"
        # The stuck lane goes on in the background; its endpoint sits out the next passes.
        assert "stuck" in paused
        again = deliver_due(db_factory, client, now=T0, secrets=secrets, paused=paused)
        assert again.outcomes == []
        assert stuck.requests == 1
