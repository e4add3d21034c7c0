"""Time from the deciding probe to the signed webhook arriving at a local dispatch receiver.

A service (the real `build_service` wiring: batching writer, alert engine, outbox, delivery
worker) runs on a real SQLite file and, when a URL is given (`--pg` or GAPWATCH_TEST_PG_URL), on
PostgreSQL. Cameras fail one by one while the other cameras keep reporting healthy verdicts; for
every alert that raised patrol tasks, the clock runs from handing in the probe that opened it
(`Service.submit_probe`) to its first `task.created` webhook arriving on loopback with a valid
signature. Failures are ten simulated minutes apart so none is grouped with another.
Goal: p99 within 1 s. The baseline, measured in the same run, is the bare round trip: the same
signed POST sent straight to the same receiver.

    .venv/bin/python bench/latency.py [--cameras 200] [--gap 0.1] [--background 20] [--pg URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts import database, synthetic_site  # bench/alerts.py, beside this file

from gapwatch.dispatch import WebhookVerificationError, generate_secret, signed_headers
from gapwatch.dispatch import verify as verify_webhook
from gapwatch.runtime.pipeline import Service, build_service
from gapwatch.settings import Settings
from gapwatch.vision.types import ProbeResult

T0 = dt.datetime(2026, 7, 29, 1, 0, tzinfo=dt.UTC)
FAILURE_SPACING = dt.timedelta(minutes=10)  # beyond the grouping windows (5 min, 90 s)


class Receiver:
    """A loopback dispatch receiver: verifies each webhook, notes when the first task of each
    camera's alert arrived, and counts bad signatures."""

    def __init__(self, secret: str) -> None:
        self.first_task: dict[str, float] = {}
        self.seen: dict[str, int] = {}
        self.bad_signatures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                try:
                    verify_webhook(secret, dict(self.headers.items()), body)
                except WebhookVerificationError:
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self.send_response(401)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                arrived = time.perf_counter()
                message = json.loads(body)
                with receiver.lock:
                    msg_id = self.headers.get("webhook-id", "")
                    receiver.seen[msg_id] = receiver.seen.get(msg_id, 0) + 1
                    if message.get("type") == "task.created":
                        for cam in message["data"]["alert"]["cameras"]:
                            receiver.first_task.setdefault(cam, arrived)
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


def bare_round_trips(receiver: Receiver, secret: str, n: int = 200) -> list[float]:
    """The baseline: a signed POST of a task-sized body straight to the receiver."""
    body = json.dumps(
        {"type": "ping", "timestamp": T0.isoformat(), "data": {"task": {"id": "tk_x"}}}
    ).encode()
    times = []
    with httpx.Client(timeout=10) as client:
        for i in range(n):
            started = time.perf_counter()
            headers = signed_headers(secret, f"msg_bare_{i}", int(time.time()), body)
            client.post(receiver.url, content=body, headers=headers)
            times.append(time.perf_counter() - started)
    return times


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def run(url: str, cameras: int, gap_s: float, background: int) -> dict[str, object]:
    """Fail `cameras` cameras one by one through a running service; latencies in seconds."""
    secret = generate_secret()
    receiver = Receiver(secret)
    site = synthetic_site(cameras)
    settings = Settings(
        db_url=url, scheduler=False, dispatch_url=receiver.url, dispatch_secret=secret
    )
    service: Service = build_service(settings, site=site)
    service.start()
    ids = [c.id for c in site.spec.cameras]
    open_after = site.spec.health.open_after
    decided: dict[str, float] = {}
    healthy = list(ids)
    cursor = 0
    try:
        for step, victim in enumerate(ids):
            now = T0 + step * FAILURE_SPACING
            healthy.remove(victim)
            # Healthy verdicts from other cameras keep the writer busy meanwhile.
            for k in range(min(background, len(healthy))):
                cam = healthy[(cursor + k) % len(healthy)]
                service.submit_probe(cam, now, ProbeResult(status="ok", faults=[], elapsed_s=1.0))
            cursor += background
            for n in range(open_after):
                at = now + dt.timedelta(seconds=1 + n)
                verdict = ProbeResult(status="offline", faults=["no_signal"], elapsed_s=1.0)
                if n == open_after - 1:
                    decided[victim] = time.perf_counter()
                service.submit_probe(victim, at, verdict)
            time.sleep(gap_s)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with receiver.lock:
                if len(receiver.first_task) >= _dispatched(service):
                    break
            time.sleep(0.1)
        expected = _dispatched(service)
    finally:
        service.stop()
        receiver.close()
    latencies = [receiver.first_task[c] - decided[c] for c in decided if c in receiver.first_task]
    repeats = sum(1 for count in receiver.seen.values() if count > 1)
    return {
        "latencies": latencies,
        "alerts": len(decided),
        "dispatched": expected,
        "arrived": len(latencies),
        "repeats": repeats,
        "bad_signatures": receiver.bad_signatures,
        "writer": service.writer.stats,
    }


def _dispatched(service: Service) -> int:
    """Alerts holding patrol tasks (the others are maintenance alerts: nothing to dispatch)."""
    from sqlalchemy import distinct, func, select

    from gapwatch.storage import TaskRow, transaction

    with transaction(service.sessions, write=False) as session:
        return session.scalar(select(func.count(distinct(TaskRow.alert_id)))) or 0


def report(name: str, result: dict[str, object], bare: list[float]) -> None:
    """Print the percentiles and the ratio to the bare round trip."""
    latencies = result["latencies"]
    assert isinstance(latencies, list)
    print(f"\n[{name}]")
    print(
        f"  {result['alerts']} cameras failed, {result['dispatched']} alerts with patrol tasks, "
        f"{result['arrived']} first task webhooks arrived signed; "
        f"{result['repeats']} webhook-ids seen twice, {result['bad_signatures']} bad signatures"
    )
    print(f"  writer: {result['writer']}")
    if not latencies:
        print("  no webhook arrived")
        return
    ms = [1000 * v for v in latencies]
    p50, p95, p99 = (percentile(ms, q) for q in (50, 95, 99))
    print(
        f"  deciding probe → webhook: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(ms):.1f} ms, mean {statistics.fmean(ms):.1f} ms"
    )
    bare_p50 = 1000 * percentile(bare, 50)
    print(f"  bare signed POST round trip: p50 {bare_p50:.2f} ms; ratio p50 {p50 / bare_p50:.0f}x")
    print(f"  goal p99 <= 1 s: {'meets' if p99 <= 1000 else 'misses'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=200, help="cameras, each failing once")
    parser.add_argument("--gap", type=float, default=0.1, help="real seconds between failures")
    parser.add_argument(
        "--background", type=int, default=20, help="healthy verdicts handed in per failure"
    )
    parser.add_argument("--pg", default=os.environ.get("GAPWATCH_TEST_PG_URL"))
    args = parser.parse_args()
    print(
        f"{args.cameras} cameras failing one by one, {args.gap} s apart, "
        f"{args.background} healthy verdicts between failures "
        f"(~{args.background / args.gap:.0f} verdicts/s of background)"
    )
    secret = generate_secret()
    probe = Receiver(secret)
    try:
        bare = bare_round_trips(probe, secret)
    finally:
        probe.close()
    backends = ["sqlite"] + (["postgresql"] if args.pg else [])
    for backend in backends:
        with database(backend, args.pg) as url:
            result = run(url, args.cameras, args.gap, args.background)
        report(backend, result, bare)
    print(f"\nload average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
