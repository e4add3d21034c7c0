"""Dispatch delivery through the outbox vs. plain signed POSTs, on SQLite and PostgreSQL.

    .venv/bin/python bench/delivery.py [--messages 500] [--latency 200]

Prints, per database: messages/s delivered by `deliver_due` passes against a local receiver,
the same count of signed POSTs straight from memory (the baseline, measured in the same run),
their ratio, and the time from commit (+ `DeliveryWorker.wake()`) to arrival: p50/p99. PostgreSQL
runs when GAPWATCH_TEST_PG_URL is set (a throw-away schema is created and dropped).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from gapwatch.dispatch import (
    DeliveryWorker,
    EndpointSpec,
    deliver_due,
    enqueue,
    enqueue_all,
    generate_secret,
    secret_lookup,
    signed_headers,
    sync_endpoints,
)
from gapwatch.storage import SessionFactory, make_engine, migrate, session_factory, transaction

SECRET = generate_secret()
PAYLOAD = {
    "task": {"id": "tk_x", "kind": "road_patrol", "unit": "巡逻一组", "eta_s": 95.0},
    "alert": {"id": "al_x", "cameras": ["cam-001"], "blind_spot_m2": 733.0},
}


class Sink:
    """A local receiver that answers 200 and notes when each webhook-id arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                with sink.lock:
                    sink.arrived.setdefault(self.headers.get("webhook-id", ""), time.perf_counter())
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/dispatch"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def baseline(sink: Sink, n: int) -> float:
    """Signed POSTs of the same body straight from memory: messages per second."""
    from gapwatch.dispatch import message_body

    body = message_body(
        event_type="task.created", payload=PAYLOAD, at=dt.datetime.now(dt.UTC)
    ).encode()
    with httpx.Client(timeout=5.0) as client:
        start = time.perf_counter()
        for i in range(n):
            headers = signed_headers(SECRET, f"base_{i}", int(time.time()), body)
            client.post(sink.url, content=body, headers=headers).raise_for_status()
        return n / (time.perf_counter() - start)


def outbox_rate(factory: SessionFactory, sink: Sink, n: int) -> tuple[float, float]:
    """(enqueue msgs/s in one transaction, delivery msgs/s through deliver_due passes)."""
    start = time.perf_counter()
    with transaction(factory) as session:
        for _ in range(n):
            enqueue(session, endpoint_id="cad", event_type="task.created", payload=PAYLOAD)
    enqueued = n / (time.perf_counter() - start)
    lookup = secret_lookup({"S": SECRET})
    delivered = 0
    with httpx.Client(timeout=5.0) as client:
        start = time.perf_counter()
        while delivered < n:
            report = deliver_due(factory, client, secrets=lookup, limit=200)
            delivered += report.delivered
            if not report.outcomes:
                break
        elapsed = time.perf_counter() - start
    return enqueued, delivered / elapsed


def enqueue_all_rate(factory: SessionFactory, n: int) -> float:
    """`enqueue_all` calls per second with two endpoints, in one transaction (rolled back)."""
    with factory() as session:
        sync_endpoints(
            session,
            [
                EndpointSpec(id="cad", url="http://127.0.0.1:9/a", secret_env="S"),
                EndpointSpec(id="cad-backup", url="http://127.0.0.1:9/b", secret_env="S"),
            ],
        )
        start = time.perf_counter()
        for _ in range(n):
            enqueue_all(session, event_type="task.created", payload=PAYLOAD)
        session.flush()
        rate = n / (time.perf_counter() - start)
        session.rollback()
    return rate


def latency(factory: SessionFactory, sink: Sink, n: int) -> list[float]:
    """Seconds from commit to arrival, with a running worker woken after each commit."""
    worker = DeliveryWorker(factory, interval_s=1.0, secrets=secret_lookup({"S": SECRET}))
    worker.start()
    waits: list[float] = []
    try:
        for _ in range(n):
            with transaction(factory) as session:
                row = enqueue(
                    session, endpoint_id="cad", event_type="task.created", payload=PAYLOAD
                )
            committed = time.perf_counter()
            worker.wake()
            deadline = committed + 10.0
            while time.perf_counter() < deadline:
                with sink.lock:
                    arrived = sink.arrived.get(row.id)
                if arrived is not None:
                    waits.append(arrived - committed)
                    break
                time.sleep(0.0005)
    finally:
        worker.stop()
    return waits


def run(label: str, url: str, sink: Sink, n: int, n_latency: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        sync_endpoints(session, [EndpointSpec(id="cad", url=sink.url, secret_env="S")])
    base = baseline(sink, n)
    fan_out = enqueue_all_rate(factory, n)
    enqueued, delivered = outbox_rate(factory, sink, n)
    waits = latency(factory, sink, n_latency)
    engine.dispose()
    q = statistics.quantiles(waits, n=100) if len(waits) >= 2 else [float("nan")] * 99
    print(f"[{label}] {n} messages")
    print(f"  baseline signed POSTs from memory : {base:8.0f} msg/s")
    print(
        f"  outbox delivery (deliver_due)     : {delivered:8.0f} msg/s"
        f"  ratio {delivered / base:.2f}"
    )
    print(f"  enqueue, one transaction          : {enqueued:8.0f} msg/s")
    print(f"  enqueue_all, 2 endpoints          : {fan_out:8.0f} calls/s")
    print(
        f"  commit -> arrival ({len(waits)}/{n_latency})      : "
        f"p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms, max {max(waits) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--latency", type=int, default=200)
    args = parser.parse_args()
    sink = Sink()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", sink, args.messages, args.latency)
        pg = os.environ.get("GAPWATCH_TEST_PG_URL")
        if pg:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = make_engine(pg).execution_options(isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            try:
                url = make_url(pg).update_query_dict({"options": f"-csearch_path={schema}"})
                run(
                    "postgresql",
                    url.render_as_string(hide_password=False),
                    sink,
                    args.messages,
                    args.latency,
                )
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    finally:
        sink.close()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
