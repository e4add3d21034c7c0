"""The running service under load: many cameras probed on schedule while the API is busy.

A synthetic site (cameras on a grid over a few zones) is served by the real app under uvicorn on
a loopback port, with the real scheduler, alert engine, outbox worker and SQLite store. Probes
come from a synthetic source by default (a probe that takes 0.3-1.5 s and finds a few cameras
offline), or from the sample clips with `--source clips` (real decoding; far fewer cameras fit on
two cores). While it runs, `--clients` Server-Sent Events clients stay connected and one client
calls the REST API in a loop.

Baseline, measured in the same run: the same API calls against the same app with probing off
and no event clients. Printed: API p50/p99 idle and loaded (ratio), probes done against probes
due, probe wait (lag) p99, CPU seconds per second of wall time, peak memory.

    .venv/bin/python bench/serve.py [--cameras 500] [--interval 60] [--duration 90] \
        [--clients 50] [--source synthetic|clips]
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gapwatch.api import create_app
from gapwatch.runtime.executor import ProbeRequest
from gapwatch.runtime.pipeline import Service, build_service
from gapwatch.settings import Settings
from gapwatch.vision.types import ProbeResult

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT / "sample_streams" / "clips"
TOKEN = "gw_bench-admin-token-0123456789abcdef"
LON0, LAT0 = 104.05, 35.13


def write_site(folder: Path, cameras: int, source: str) -> Path:
    """A square of zones with cameras on a grid looking in turn to the four quarters."""
    side = math.ceil(math.sqrt(cameras))
    step = 0.0006  # about 55 m
    clips = sorted(CLIPS.glob("clean_*.mp4"))[:4] + sorted(CLIPS.glob("fault_black*.mp4"))[:1]
    lines = ["site:", "  id: bench", "  name: bench site", "zones:"]
    span = side * step
    for k in range(4):
        x0 = LON0 + (k % 2) * span / 2
        y0 = LAT0 + (k // 2) * span / 2
        x1, y1 = x0 + span / 2, y0 + span / 2
        lines += [
            f"  - id: zone-{k}",
            f"    name: zone {k}",
            f"    importance: {k + 2}",
            f"    polygon: [[{x0}, {y0}], [{x1}, {y0}], [{x1}, {y1}], [{x0}, {y1}]]",
        ]
    lines.append("cameras:")
    for i in range(cameras):
        lon = LON0 + (i % side + 0.5) * step
        lat = LAT0 + (i // side + 0.5) * step
        stream = str(clips[i % len(clips)]) if source == "clips" else f"synthetic://cam-{i}"
        lines += [
            f"  - id: cam-{i:04d}",
            f"    name: camera {i}",
            f"    stream: {stream}",
            f"    location: [{lon:.7f}, {lat:.7f}]",
            f"    heading_deg: {(i * 90) % 360}",
            "    hfov_deg: 90",
            "    range_m: 60",
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


def synthetic_probe(request: ProbeRequest) -> ProbeResult:
    """Takes as long as a file probe; about 3 % of cameras are offline at any time."""
    rng = random.Random(hash((request.camera_id, int(time.time() // 120))))
    time.sleep(random.uniform(0.3, 1.5))
    if rng.random() < 0.03:
        return ProbeResult("offline", ["no_signal"], elapsed_s=request.timeout_s, reason="bench")
    return ProbeResult("ok", [], metrics={"sharpness": 100.0}, elapsed_s=0.8, frames=4)


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


def api_latencies(base: str, seconds: float, stop: threading.Event | None = None) -> list[float]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    paths = ["/api/v1/cameras", "/api/v1/alerts?status=active", "/api/v1/coverage", "/metrics"]
    out: list[float] = []
    end = time.monotonic() + seconds
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        k = 0
        while time.monotonic() < end and not (stop and stop.is_set()):
            started = time.perf_counter()
            response = client.get(paths[k % len(paths)])
            out.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{paths[k % len(paths)]}: {response.status_code}")
            k += 1
    return out


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
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        site = write_site(folder, args.cameras, args.source)
        probe = synthetic_probe if args.source == "synthetic" else None
        common = {
            "site": site,
            "admin_token": TOKEN,
            "probe_interval_s": args.interval,
            "probe_workers": args.workers,
        }

        # Baseline: the same app and calls, nothing probing, nobody listening.
        idle_settings = Settings(
            db_url=f"sqlite:///{folder / 'idle.db'}", scheduler=False, **common
        )
        idle_service = build_service(idle_settings, probe=probe)
        with serving(idle_service, idle_settings) as base:
            api_latencies(base, 3)  # warm the coverage cache and connections
            idle = api_latencies(base, 15)

        settings = Settings(db_url=f"sqlite:///{folder / 'bench.db'}", **common)
        service = build_service(settings, probe=probe)
        stop = threading.Event()
        received: list[int] = []
        cpu0, wall0 = cpu_seconds(), time.monotonic()
        with serving(service, settings) as base:
            listeners = [
                threading.Thread(target=event_client, args=(base, stop, received), daemon=True)
                for _ in range(args.clients)
            ]
            for listener in listeners:
                listener.start()
            loaded = api_latencies(base, args.duration, stop)
            probes = service.metrics.probes.collect()[0].samples
            done = sum(s.value for s in probes if s.name.endswith("_total"))
            wait_p99 = histogram_quantile(service, 0.99)
            skipped = service.scheduler.skipped if service.scheduler else 0
            stop.set()
        wall = time.monotonic() - wall0
        cpu = cpu_seconds() - cpu0
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    due = args.cameras * args.duration / args.interval
    print(
        f"cameras {args.cameras}, interval {args.interval:.0f} s, run {args.duration:.0f} s, "
        f"source {args.source}, {args.clients} event clients"
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
    print(
        f"probes     : {done:.0f} done of {due:.0f} due ({done / due:.0%}), "
        f"{skipped} skipped while still running, wait p99 <= {wait_p99} s"
    )
    print(f"events     : {len(received)} delivered to {args.clients} clients")
    print(f"CPU        : {cpu / wall:.2f} cores on average ({cpu:.1f} s over {wall:.1f} s)")
    print(f"memory     : peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
