"""The running service under load: many cameras probed on schedule while the API is busy.

A synthetic site (cameras on a grid over a few zones) is served by the real app under uvicorn on
a loopback port, with the real scheduler, alert engine, outbox worker and SQLite store. Probes
come from a synthetic source by default (a probe that takes 0.3-1.5 s and finds a few cameras
offline), or from the sample clips with `--source clips` (real decoding; far fewer cameras fit on
two cores). While it runs, `--clients` Server-Sent Events clients stay connected and one client
calls the REST API in a loop.

Baseline, measured in the same run: the same API calls against the same service before its
scheduler starts, with no event clients. Printed: API p50/p99 idle and loaded (ratio), probes
done against probes due, probe wait (lag) p99, CPU seconds per second of wall time, peak memory.

Cameras hang in groups on switches (`--switch-size`, the site's `group`); zones form a square
grid of about 125 cameras each. `--switch-failure N` takes whole switches holding N cameras
down halfway through: within one minute each of them reports offline twice (the debounce), as
a failed county switch would, and the bench prints how the failures were grouped into alerts
and how long each deciding verdict took to be committed with its alert and tasks.

    .venv/bin/python bench/serve.py [--cameras 500] [--interval 60] [--duration 90] \
        [--clients 50] [--source synthetic|clips] [--switch-failure 0]
    # province scale: 50,000 cameras, 5,000 results a minute, a county switch failure
    .venv/bin/python bench/serve.py --cameras 50000 --interval 600 --duration 240 \
        --workers 128 --switch-failure 2000
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from gapwatch.api import create_app
from gapwatch.runtime.executor import ProbeRequest
from gapwatch.runtime.pipeline import Service, build_service
from gapwatch.settings import Settings
from gapwatch.storage import AlertRow, TaskRow
from gapwatch.vision.types import ProbeResult

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT / "sample_streams" / "clips"
TOKEN = "gw_bench-admin-token-0123456789abcdef"
LON0, LAT0 = 104.05, 35.13


def camera_id(i: int) -> str:
    return f"cam-{i:05d}"


def write_site(folder: Path, cameras: int, source: str, switch_size: int) -> Path:
    """A square grid of zones with cameras on a grid looking in turn to the four quarters;
    runs of `switch_size` neighbouring cameras share a switch (their `group`)."""
    side = math.ceil(math.sqrt(cameras))
    step = 0.0006  # about 55 m
    clips = sorted(CLIPS.glob("clean_*.mp4"))[:4] + sorted(CLIPS.glob("fault_black*.mp4"))[:1]
    lines = ["site:", "  id: bench", "  name: bench site", "zones:"]
    span = side * step
    per_side = max(2, round(math.sqrt(cameras / 125)))
    for k in range(per_side * per_side):
        x0 = LON0 + (k % per_side) * span / per_side
        y0 = LAT0 + (k // per_side) * span / per_side
        x1, y1 = x0 + span / per_side, y0 + span / per_side
        lines += [
            f"  - id: zone-{k}",
            f"    name: zone {k}",
            f"    importance: {k % 4 + 2}",
            f"    polygon: [[{x0}, {y0}], [{x1}, {y0}], [{x1}, {y1}], [{x0}, {y1}]]",
        ]
    lines.append("cameras:")
    for i in range(cameras):
        lon = LON0 + (i % side + 0.5) * step
        lat = LAT0 + (i // side + 0.5) * step
        stream = (
            str(clips[i % len(clips)])
            if source == "clips"
            else f"rtsp://127.0.0.1:8554/synthetic/{i}"
        )
        lines += [
            f"  - id: {camera_id(i)}",
            f"    name: camera {i}",
            f"    stream: {stream}",
            f"    location: [{lon:.7f}, {lat:.7f}]",
            f"    heading_deg: {(i * 90) % 360}",
            "    hfov_deg: 90",
            "    range_m: 60",
            f"    group: switch-{i // switch_size}",
        ]
    lines += [
        "patrol_units:",
        "  - id: unit-1",
        "    name: unit 1",
        "    kind: vehicle",
        f"    location: [{LON0}, {LAT0}]",
    ]
    path = folder / "bench-site.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


FAILED: set[str] = set()
"""Cameras behind a failed switch: the synthetic source finds them offline."""
OFFLINE = ProbeResult("offline", ["no_signal"], elapsed_s=5.0, reason="bench")


def synthetic_probe(request: ProbeRequest) -> ProbeResult:
    """Takes as long as a file probe; about 3 % of cameras are offline at any time."""
    rng = random.Random(hash((request.camera_id, int(time.time() // 120))))
    time.sleep(random.uniform(0.3, 1.5))
    if request.camera_id in FAILED or rng.random() < 0.03:
        return OFFLINE
    return ProbeResult("ok", [], metrics={"sharpness": 100.0}, elapsed_s=0.8, frames=4)


def switch_failure(
    service: Service, cameras: list[str], spread_s: float = 60.0
) -> dict[str, float]:
    """Take `cameras` down within `spread_s`: each reports offline twice (the second verdict
    decides), half the spread apart. Returns commit latencies of the deciding verdicts and the
    time from the first verdict until everything was committed."""
    FAILED.update(cameras)
    started = time.monotonic()
    latencies: list[float] = []
    lock = threading.Lock()
    pending: list[Future[None]] = []
    half = spread_s / 2
    plan = sorted(
        [(k * half / len(cameras), cam, False) for k, cam in enumerate(cameras)]
        + [(half + k * half / len(cameras), cam, True) for k, cam in enumerate(cameras)]
    )
    for offset, cam, deciding in plan:
        delay = started + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        handed = time.monotonic()
        done = service.submit_probe(cam, dt.datetime.now(dt.UTC), OFFLINE)
        if done is None:
            break
        if deciding:

            def record(_f: Future[None], handed: float = handed) -> None:
                with lock:
                    latencies.append(time.monotonic() - handed)

            done.add_done_callback(record)
        pending.append(done)
    failed = 0
    for done in pending:
        if done.exception() is not None:
            failed += 1
    return {
        "cameras": len(cameras),
        "verdicts": len(pending),
        "failed": failed,
        "p50": pct(latencies, 0.5),
        "p99": pct(latencies, 0.99),
        "max": max(latencies, default=float("nan")),
        "all_committed_s": time.monotonic() - started,
    }


def grouping_report(service: Service, cameras: set[str]) -> dict[str, object]:
    """How the failed cameras were grouped: alerts, their kinds, groups and zones, tasks."""
    groups = {c.id: c.group for c in service.site.spec.cameras}
    with service.sessions() as session:
        alerts = [
            a
            for a in session.scalars(select(AlertRow).where(AlertRow.kind != "coverage_gap"))
            if cameras & set(a.cameras)
        ]
        tasks = session.scalar(
            select(func.count())
            .select_from(TaskRow)
            .where(TaskRow.alert_id.in_([a.id for a in alerts]))
        )
        kinds: dict[str, int] = {}
        for a in alerts:
            kinds[a.kind] = kinds.get(a.kind, 0) + 1
        covered = set().union(*(set(a.cameras) for a in alerts)) if alerts else set()
        switches_per_alert = [len({groups[c] for c in a.cameras}) for a in alerts]
        zones_per_alert = [len(a.zones) for a in alerts]
    return {
        "alerts": len(alerts),
        "kinds": kinds,
        "cameras_in_alerts": len(covered & cameras),
        "switches": len({groups[c] for c in cameras}),
        "switches_per_alert_max": max(switches_per_alert, default=0),
        "zones_per_alert_max": max(zones_per_alert, default=0),
        "tasks": tasks or 0,
    }


@contextmanager
def serving(service: Service, settings: Settings) -> Iterator[str]:
    app = create_app(settings, build=lambda _s: service)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        service.stopping.set()
        server.should_exit = True
        thread.join(20)


@contextmanager
def replica(site: Path, db_url: str, per_camera: bool) -> Iterator[tuple[str, int]]:
    """`gapwatch serve` as a read-only API replica on the same store, in its own process (the
    county-scale deployment: the prober writes, replicas answer); yields (base URL, pid)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "GAPWATCH_SCHEDULER": "false",
        "GAPWATCH_ADMIN_TOKEN": TOKEN,
        "GAPWATCH_CAMERA_METRICS": "true" if per_camera else "false",
    }
    gapwatch = str(Path(sys.executable).with_name("gapwatch"))
    command = [gapwatch, "serve", "--site", str(site), "--db", db_url]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the replica exited with {process.returncode}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# What the console asks for, in turn: a page of the technician's camera table, the cameras that
# need a technician, the board's alerts, coverage and blind spots, and the scrape.
PATHS = [
    "/api/v1/cameras?limit=200&offset={offset}",
    "/api/v1/cameras?status=offline&status=degraded&limit=200",
    "/api/v1/alerts?status=active&limit=500",
    "/api/v1/coverage",
    "/api/v1/blind-spots",
    "/metrics",
]


def api_latencies(
    base: str, seconds: float, stop: threading.Event | None = None, cameras: int = 500
) -> list[tuple[str, float]]:
    """(path, seconds) of each call, one client calling the console's paths in turn."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    out: list[tuple[str, float]] = []
    end = time.monotonic() + seconds
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        k = 0
        while time.monotonic() < end and not (stop and stop.is_set()):
            template = PATHS[k % len(PATHS)]
            offset = (k // len(PATHS) * 200) % max(1, cameras)
            started = time.perf_counter()
            response = client.get(template.format(offset=offset))
            out.append((template, time.perf_counter() - started))
            if response.status_code != 200:
                raise RuntimeError(f"{template}: {response.status_code}")
            k += 1
    return out


def by_path(calls: list[tuple[str, float]]) -> str:
    """p99 of each path, in ms."""
    parts = []
    for template in PATHS:
        times = [s for p, s in calls if p == template]
        if times:
            short = template.removeprefix("/api/v1").replace("{offset}", "k")
            parts.append(f"{short} {pct(times, 0.99) * 1000:.0f}")
    return "; ".join(parts)


def event_client(base: str, stop: threading.Event, received: list[int]) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Last-Event-ID": "0"}
    try:
        with httpx.stream("GET", f"{base}/api/v1/events", headers=headers, timeout=None) as r:
            for line in r.iter_lines():
                if line.startswith("id: "):
                    received.append(1)
                if stop.is_set():
                    return
    except httpx.HTTPError:
        return


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def histogram_quantile(service: Service, q: float) -> float:
    """Upper bound of the bucket holding quantile `q` of the probe wait histogram."""
    samples = service.metrics.probe_wait_seconds.collect()[0].samples
    buckets = [(float(s.labels["le"]), s.value) for s in samples if s.name.endswith("_bucket")]
    total = buckets[-1][1] if buckets else 0
    for bound, count in buckets:
        if total and count >= q * total:
            return bound
    return float("nan")


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cameras", type=int, default=500)
    parser.add_argument("--interval", type=float, default=60.0)
    parser.add_argument("--duration", type=float, default=90.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--source", choices=["synthetic", "clips"], default="synthetic")
    parser.add_argument("--switch-size", type=int, default=25, help="cameras per switch")
    parser.add_argument(
        "--switch-failure", type=int, default=0, help="cameras behind the switches that fail"
    )
    parser.add_argument(
        "--api-replica",
        action="store_true",
        help="answer the API and the event clients from a separate read-only replica process",
    )
    parser.add_argument(
        "--camera-metrics",
        choices=["on", "off", "auto"],
        default="auto",
        help="per-camera Prometheus series (auto: off above 5,000 cameras, as the README advises)",
    )
    args = parser.parse_args()
    per_camera = args.camera_metrics == "on" or (
        args.camera_metrics == "auto" and args.cameras <= 5000
    )

    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        site = write_site(folder, args.cameras, args.source, args.switch_size)
        probe = synthetic_probe if args.source == "synthetic" else None
        # The scheduler is started by hand after the idle baseline, on the same service.
        settings = Settings(
            db_url=f"sqlite:///{folder / 'bench.db'}",
            scheduler=False,
            site=site,
            admin_token=TOKEN,
            probe_interval_s=args.interval,
            probe_workers=args.workers,
            camera_metrics=per_camera,
        )
        cpu_start, built = cpu_seconds(), time.monotonic()
        service = build_service(settings, probe=probe)
        build_s, build_cpu = time.monotonic() - built, cpu_seconds() - cpu_start
        build_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        stop = threading.Event()
        received: list[int] = []
        failure: dict[str, float] = {}
        grouping: dict[str, object] = {}
        with serving(service, settings) as own_base, ExitStack() as stack:
            base, replica_pid = own_base, 0
            if args.api_replica:
                base, replica_pid = stack.enter_context(replica(site, settings.db_url, per_camera))
            # Baseline: the same calls, nothing probing, nobody listening.
            api_latencies(base, 3, cameras=args.cameras)  # warm caches and connections
            idle_calls = api_latencies(base, 15, cameras=args.cameras)

            cpu0, wall0 = cpu_seconds(), time.monotonic()
            replica_cpu0 = process_cpu_s(replica_pid) if replica_pid else 0.0
            service._start_scheduler()
            listeners = [
                threading.Thread(target=event_client, args=(base, stop, received), daemon=True)
                for _ in range(args.clients)
            ]
            for listener in listeners:
                listener.start()
            failing: list[str] = []
            if args.switch_failure:
                first = (args.cameras // 2) // args.switch_size * args.switch_size
                count = min(args.switch_failure, args.cameras - first)
                failing = [camera_id(i) for i in range(first, first + count)]

                def fail_later() -> None:
                    if not stop.wait(args.duration * 0.3):
                        failure.update(switch_failure(service, failing))

                failer = threading.Thread(target=fail_later, daemon=True)
                failer.start()
            loaded_calls = api_latencies(base, args.duration, stop, cameras=args.cameras)
            if failing:
                failer.join()
                grouping.update(grouping_report(service, set(failing)))
            probes = service.metrics.probes.collect()[0].samples
            done = sum(s.value for s in probes if s.name.endswith("_total"))
            done -= failure.get("verdicts", 0)
            wait_p99 = histogram_quantile(service, 0.99)
            skipped = service.scheduler.skipped if service.scheduler else 0
            stats = service.writer.stats
            late = service.late_verdicts
            wall = time.monotonic() - wall0
            cpu = cpu_seconds() - cpu0
            replica_cpu = process_cpu_s(replica_pid) - replica_cpu0 if replica_pid else 0.0
            replica_mb = process_peak_mb(replica_pid) if replica_pid else 0.0
            stop.set()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    idle = [s for _p, s in idle_calls]
    loaded = [s for _p, s in loaded_calls]
    due = args.cameras * args.duration / args.interval
    print(
        f"cameras {args.cameras} ({args.cameras // args.switch_size} switches), interval "
        f"{args.interval:.0f} s ({args.cameras / args.interval * 60:.0f} results/min), run "
        f"{args.duration:.0f} s, source {args.source}, {args.clients} event clients, "
        f"per-camera metrics {'on' if per_camera else 'off'}"
    )
    print(
        f"start-up   : service built in {build_s:.1f} s ({build_cpu:.1f} CPU s), {build_rss:.0f} MB"
    )
    print(
        f"API idle   : p50 {statistics.median(idle) * 1000:7.1f} ms  "
        f"p99 {pct(idle, 0.99) * 1000:7.1f} ms  ({len(idle)} calls)"
    )
    print(
        f"API loaded : p50 {statistics.median(loaded) * 1000:7.1f} ms  "
        f"p99 {pct(loaded, 0.99) * 1000:7.1f} ms  ({len(loaded)} calls)"
    )
    print(f"API p99 ratio loaded/idle: {pct(loaded, 0.99) / pct(idle, 0.99):.2f}")
    print(f"API p99 by path, idle (ms)  : {by_path(idle_calls)}")
    print(f"API p99 by path, loaded (ms): {by_path(loaded_calls)}")
    print(
        f"probes     : {done:.0f} done of {due:.0f} due ({done / due:.0%}), "
        f"{skipped} skipped while still running, wait p99 <= {wait_p99} s"
    )
    print(
        f"writer     : {stats.batches} transactions, largest {stats.largest_batch}, "
        f"{stats.failed_batches} failed batches, {late} late verdicts left out"
    )
    print(f"events     : {len(received)} delivered to {args.clients} clients")
    print(f"CPU        : {cpu / wall:.2f} cores on average ({cpu:.1f} s over {wall:.1f} s)")
    print(f"memory     : peak RSS {peak_mb:.0f} MB")
    if args.api_replica:
        print(
            f"API replica: {replica_cpu / wall:.2f} cores on average, peak RSS {replica_mb:.0f} MB "
            "(the figures above are the prober's)"
        )
    if failure:
        print(
            f"switch failure: {failure['cameras']:.0f} cameras down within 60 s "
            f"({failure['verdicts']:.0f} verdicts, {failure['failed']:.0f} failed); deciding "
            f"verdict to commit p50 {failure['p50']:.2f} s, p99 {failure['p99']:.2f} s, max "
            f"{failure['max']:.2f} s; everything committed {failure['all_committed_s']:.1f} s "
            "after the first verdict"
        )
        print(
            f"  grouped  : {grouping['alerts']} alerts {grouping['kinds']} for "
            f"{grouping['cameras_in_alerts']} of {failure['cameras']:.0f} cameras on "
            f"{grouping['switches']} switches; at most {grouping['switches_per_alert_max']} "
            f"switches and {grouping['zones_per_alert_max']} zones in one alert; "
            f"{grouping['tasks']} tasks"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
