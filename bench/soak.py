"""Soak: kill -9 a real `gapwatch serve` again and again while cameras break and are repaired,
the dispatch receiver goes down and comes back, hostile requests arrive and readers poll; then
check what was lost.

    .venv/bin/python bench/soak.py --kills 30                                  # SQLite
    .venv/bin/python bench/soak.py --kills 30 --db postgresql+psycopg://postgres@127.0.0.1/gw

It prints one JSON object. `lost` must be all zeros: every outbox message (one per task event,
its id the webhook-id) reached the receiver, no task went out under two webhook-ids for the
same event, no start-up failed, no request got a 5xx. The figures (restarts, time to healthy,
tasks, messages, redeliveries of one id) come with it.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from gapwatch.dispatch.webhooks import verify
from gapwatch.storage import OutboxRow, TaskRow, make_engine, session_factory, transaction

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO / "sample_streams" / "clips" / "clean_day.mp4"
ADMIN = "gw_soak-admin-" + secrets.token_hex(16)
SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()


@dataclass
class Receiver:
    """The dispatch system: verifies signatures, records every webhook-id it is sent."""

    port: int
    seen: Counter[str] = field(default_factory=Counter)
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad_signatures: int = 0
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    verify(SECRET, headers, body)
                except Exception:
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self.send_response(401)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                msg_id = headers["webhook-id"]
                with receiver.lock:
                    receiver.seen[msg_id] += 1
                    receiver.bodies[msg_id] = json.loads(body)
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self.server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _site(folder: Path, receiver_port: int, cameras: int) -> tuple[Path, list[Path]]:
    """A camera a zone, four a row: each camera that breaks leaves its own zone's ground
    unwatched (its neighbours see only the zone's edges), so every break is an alert of its own
    with tasks to deliver."""
    links = [folder / f"cam-{n}.mp4" for n in range(cameras)]
    lines = [
        "site: {id: soak, name: soak 压力测试}",
        "zones:",
    ]
    places = []
    for n in range(cameras):
        lon = 104.0502 + 0.0012 * (n % 4)
        lat = 35.1302 + 0.0015 * (n // 4)
        places.append((lon, lat))
        ring = [
            [lon - 0.0003, lat + 0.0001],
            [lon + 0.0003, lat + 0.0001],
            [lon + 0.0003, lat + 0.0007],
            [lon - 0.0003, lat + 0.0007],
        ]
        lines.append(
            f"  - {{id: z{n}, name: 广场 {n} square {n}, importance: {2 + n % 3}, polygon: {ring}}}"
        )
    lines += [
        "patrol_units:",
        "  - {id: unit-1, name: 巡逻一组, kind: foot, location: [104.0515, 35.1295]}",
        "  - {id: unit-2, name: 巡逻二组, kind: vehicle, location: [104.0525, 35.1330]}",
        "health: {probe_interval_s: 2, probe_timeout_s: 3, open_after: 1, close_after: 1}",
        "dispatch:",
        "  endpoints:",
        f"    - {{id: cad, url: 'http://127.0.0.1:{receiver_port}/hook', secret_env: SOAK_SECRET}}",
        "cameras:",
    ]
    for n, (link, (lon, lat)) in enumerate(zip(links, places, strict=True)):
        lines.append(
            f"  - {{id: cam-{n}, name: 摄像机 {n}, stream: '{link}', location: [{lon:.6f}, "
            f"{lat:.6f}], heading_deg: 0, hfov_deg: 70, range_m: 90}}"
        )
    path = folder / "site.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, links


@dataclass
class _Breakdowns:
    """Each camera breaks and is repaired in turn, staying so for two to four rounds: a camera
    that changed every round would soon be judged flapping, a flapping camera counts as down,
    and its zone's alert would then stay open for the whole soak with nothing new to send."""

    links: list[Path]
    rng: random.Random
    left: dict[Path, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for n, link in enumerate(self.links):
            if n % 2 == 0:
                link.symlink_to(CLIP)
            self.left[link] = self.rng.randint(1, 4)

    def advance(self) -> None:
        for link in self.links:
            self.left[link] -= 1
            if self.left[link] > 0:
                continue
            if link.is_symlink():
                link.unlink()  # the stream file vanishes: the camera goes offline
            else:
                link.symlink_to(CLIP)
            self.left[link] = self.rng.randint(2, 4)


HOSTILE: list[tuple[str, str, Any]] = [
    ("POST", "/api/v1/silences", {"cameras": ["cam-0"], "ends_at": "9999-12-31T23:59:59-12:00"}),
    ("POST", "/api/v1/silences", {"cameras": ["cam-0"], "starts_at": "0001-01-01T00:00:00+14:00"}),
    ("GET", "/api/v1/patrol-rounds?from=9999-12-31", None),
    ("POST", "/api/v1/tasks/tk_nope/status", {"status": "warp"}),
    ("GET", "/api/v1/alerts?status=" + "x" * 5000, None),
    ("POST", "/api/v1/alerts/%00/ack", None),
]


def _load(base: str, stop: threading.Event, stats: Counter[str]) -> None:
    headers = {"Authorization": f"Bearer {ADMIN}"}
    rng = random.Random(7)
    with httpx.Client(base_url=base, timeout=10, headers=headers) as client:
        while not stop.is_set():
            try:
                roll = rng.random()
                if roll < 0.2:
                    # The dispatcher and the operator at work: each visit moves one task a step
                    # or resolves one alert (409 while its camera is still down), so alerts
                    # close, new ones open, and every step is a message to deliver.
                    path, response = _act(client, rng)
                elif roll < 0.5:
                    method, path, body = rng.choice(HOSTILE)
                    response = client.request(method, path, json=body)
                else:
                    path = rng.choice(
                        ["/api/v1/cameras", "/api/v1/alerts?status=open", "/api/v1/tasks"]
                    )
                    response = client.get(path)
                stats["requests"] += 1
                if response.status_code >= 500 and response.status_code != 503:
                    stats["5xx"] += 1
                    stats[f"5xx {path[:40]} {response.status_code}"] += 1
            except httpx.HTTPError:
                stats["transport errors (the kill)"] += 1
            stop.wait(0.05)


_NEXT_STATUS = {"dispatched": "accepted", "accepted": "on_scene", "on_scene": "cleared"}


def _act(client: httpx.Client, rng: random.Random) -> tuple[str, httpx.Response]:
    """One step of the people who answer alerts: a task's next status, or a resolve."""
    if rng.random() < 0.7:
        tasks = client.get("/api/v1/tasks", params={"limit": 50}).json().get("items", [])
        moving = [t for t in tasks if t.get("status") in _NEXT_STATUS]
        if moving:
            task = rng.choice(moving)
            path = f"/api/v1/tasks/{task['id']}/status"
            return path, client.post(path, json={"status": _NEXT_STATUS[task["status"]]})
    alerts = client.get("/api/v1/alerts", params={"status": "open"}).json().get("items", [])
    if not alerts:
        return "/api/v1/alerts", client.get("/api/v1/alerts")
    path = f"/api/v1/alerts/{rng.choice(alerts)['id']}/resolve"
    return path, client.post(path, json={"note": "soak"})


def _start(args: argparse.Namespace, site: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GAPWATCH_ADMIN_TOKEN": ADMIN,
        "SOAK_SECRET": SECRET,
        "GAPWATCH_DISPATCH_ALLOW": "127.0.0.1",
        "GAPWATCH_LEASE_RETRY_S": "1",
    }
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "gapwatch.cli", "serve", "--site", str(site), "--db", args.db,
         "--port", str(port)],
        env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
    )  # fmt: skip


def _healthy(base: str, process: subprocess.Popen[bytes], timeout_s: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if process.poll() is not None:
            return None
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return None


def _own_schema(url: str) -> tuple[str, str]:
    """A fresh schema of its own in the PostgreSQL database (nothing else there is touched)."""
    schema = f"soak_{secrets.token_hex(4)}"
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), schema


def _drop_schema(url: str, schema: str) -> None:
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--db", default="", help="SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-up-s", type=float, default=2.0)
    parser.add_argument("--max-up-s", type=float, default=8.0)
    parser.add_argument("--drain-s", type=float, default=180.0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="gapwatch-soak-"))
    if not args.db:
        args.db = f"sqlite:///{folder / 'soak.db'}"
    schema: str | None = None
    given_url = args.db
    if args.db.startswith("postgresql"):
        args.db, schema = _own_schema(args.db)
    receiver = Receiver(0)
    receiver.start()
    site, links = _site(folder, receiver.port, args.cameras)
    breakdowns = _Breakdowns(links, rng)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "serve.log"
    stats: Counter[str] = Counter()
    up_times: list[float] = []
    startup_failures = 0
    outages = 0
    started = time.monotonic()
    stop = threading.Event()
    process: subprocess.Popen[bytes] | None = None

    for _round in range(args.kills + 1):
        process = _start(args, site, port, log)
        took = _healthy(base, process, 120)
        if took is None:
            startup_failures += 1
            process.kill()
            process.wait()
            continue
        up_times.append(took)
        stop = threading.Event()
        loader = threading.Thread(target=_load, args=(base, stop, stats), daemon=True)
        loader.start()
        if _round == args.kills:
            break  # the last start: let it drain
        if rng.random() < 0.25 and receiver.server is not None:
            receiver.stop()  # the dispatch system is down for a while
            outages += 1
        elif receiver.server is None:
            receiver.start()
        breakdowns.advance()
        time.sleep(rng.uniform(args.min_up_s, args.max_up_s))
        process.send_signal(signal.SIGKILL)
        process.wait()
        stop.set()
        loader.join(15)

    if receiver.server is None:
        receiver.start()
    # Drain: the last process delivers what is still due (retries after an outage included).
    engine = make_engine(args.db)
    sessions = session_factory(engine)
    deadline = time.monotonic() + args.drain_s
    while True:
        # The moment the drain looks is the line between due and scheduled: a retry that falls
        # due after it was not yet the service's to deliver.
        looked = dt.datetime.now(dt.UTC)
        with transaction(sessions, write=False) as session:
            pending = session.scalars(  # due now; later retries are on their schedule
                select(OutboxRow.id).where(
                    OutboxRow.state == "pending", OutboxRow.next_attempt_at <= looked
                )
            ).all()
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(1)
    stop.set()
    clean_stop = False
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
            clean_stop = process.returncode == 0
        except subprocess.TimeoutExpired:
            process.kill()
    receiver.stop()

    with transaction(sessions, write=False) as session:
        messages = session.execute(
            select(OutboxRow.id, OutboxRow.task_id, OutboxRow.event_type, OutboxRow.state)
        ).all()
        # A message whose receiver was down is retried on the Standard Webhooks schedule (the
        # third try 5 minutes after the second): still queued with its next try set is kept,
        # not lost; the drain only waits for what is due.
        scheduled = set(
            session.scalars(
                select(OutboxRow.id).where(
                    OutboxRow.state == "pending",
                    OutboxRow.next_attempt_at > looked,
                )
            ).all()
        )
        tasks = session.scalar(select(TaskRow.id).limit(1)) is not None
        task_count = len(session.scalars(select(TaskRow.id)).all())
    engine.dispose()
    if schema is not None:
        _drop_schema(given_url, schema)
    ids_per_task_event: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    for msg_id, task_id, event_type, _state in messages:
        ids_per_task_event[(task_id, event_type)].add(msg_id)
    never_received = [m for m, *_ in messages if receiver.seen[m] == 0 and m not in scheduled]
    not_delivered = [
        m for m, _t, _e, state in messages if state != "delivered" and m not in scheduled
    ]
    received_unknown = set(receiver.seen) - {m for m, *_ in messages}
    result = {
        "db": args.db.split("://", 1)[0],
        "lost": {
            "messages_never_received": len(never_received),
            "messages_not_marked_delivered": len(not_delivered),
            "tasks_under_two_webhook_ids": sum(
                1 for ids in ids_per_task_event.values() if len(ids) > 1
            ),
            "received_ids_not_in_outbox": len(received_unknown),
            "startup_failures": startup_failures,
            "http_5xx": stats["5xx"],
            "bad_signatures": receiver.bad_signatures,
            "unclean_final_stop": 0 if clean_stop else 1,
        },
        "figures": {
            "kills": args.kills,
            "starts": len(up_times),
            "receiver_outages": outages,
            "seconds": round(time.monotonic() - started, 1),
            "time_to_healthy_s": {
                "median": round(statistics.median(up_times), 2) if up_times else None,
                "max": round(max(up_times), 2) if up_times else None,
            },
            "tasks": task_count if tasks else 0,
            "messages": len(messages),
            "messages_awaiting_a_scheduled_retry": len(scheduled),
            "redelivered_ids": sum(1 for n in receiver.seen.values() if n > 1),
            "requests": stats["requests"],
            "hostile_or_load_transport_errors": stats["transport errors (the kill)"],
        },
        "log": str(log),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    sys.exit(0 if not any(result["lost"].values()) else 1)


if __name__ == "__main__":
    main()
