"""Probes per minute through the Celery executor (one worker) against the local executor.

    GAPWATCH_BROKER_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/executor.py \
        [--concurrency 4] [--probes 120] [--timeout 8]

Same clips (clean_day, fault_black, fault_frozen round-robin), same run, same concurrency:

1. local: `LocalExecutor` with a `ProbePool` of `--concurrency` decoder workers, as the service
   runs by default;
2. celery: one `gapwatch worker --concurrency N` subprocess on its own queue, probes sent by
   `CeleryExecutor` through Redis and collected back.

Both keep `--concurrency` probes in flight until `--probes` have finished. Prints probes per
minute, p50/p95 of submit-to-verdict latency, the ratio celery/local, the verdicts (which must
match), the payload size of one message, and peak RSS of this process and of the worker.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import Future
from functools import partial
from pathlib import Path

import psutil

from gapwatch.runtime.celery_executor import CeleryExecutor
from gapwatch.runtime.executor import LocalExecutor, ProbeRequest, SamplingExecutor
from gapwatch.vision import ProbePool
from gapwatch.vision.baseline import Baseline
from gapwatch.vision.types import ProbeResult

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "sample_streams" / "clips" / "reference_day.png"
CLIPS = [
    ROOT / "sample_streams" / "clips" / n
    for n in ("clean_day.mp4", "fault_black.mp4", "fault_frozen.mp4")
]


def drive(
    executor: SamplingExecutor,
    probes: int,
    in_flight: int,
    timeout_s: float,
    baseline: Baseline | None = None,
) -> tuple[float, list[float], Counter[str]]:
    """Keep `in_flight` probes running until `probes` finished; wall time, latencies, verdicts."""
    done = threading.Semaphore(0)
    latencies: list[float] = []
    verdicts: Counter[str] = Counter()
    lock = threading.Lock()

    def finished(name: str, sent: float, future: Future[ProbeResult]) -> None:
        result = future.result()
        with lock:
            latencies.append(time.monotonic() - sent)
            verdicts[f"{name}:{result.status}:{','.join(result.faults)}"] += 1
        done.release()

    started = time.monotonic()
    for i in range(probes):
        if i >= in_flight:
            done.acquire()
        clip = CLIPS[i % len(CLIPS)]
        sent = time.monotonic()
        future = executor.submit(ProbeRequest(f"cam-{i}", str(clip), timeout_s, baseline))
        future.add_done_callback(partial(finished, clip.stem, sent))
    for _ in range(min(in_flight, probes)):
        done.acquire()
    return time.monotonic() - started, latencies, verdicts


def report(name: str, wall: float, latencies: list[float], probes: int) -> float:
    rate = probes / wall * 60
    cuts = statistics.quantiles(latencies, n=20)
    print(
        f"{name:7s} {probes} probes in {wall:6.2f}s: {rate:7.1f} probes/min; "
        f"latency p50 {statistics.median(latencies) * 1000:6.0f} ms, p95 {cuts[18] * 1000:6.0f} ms"
    )
    return rate


def tree_rss_mb(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
        return float(sum(p.memory_info().rss for p in procs)) / 2**20
    except psutil.NoSuchProcess:
        return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--probes", type=int, default=120)
    parser.add_argument("--timeout", type=float, default=8.0)
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="send each probe the day reference baseline, as the service does for a camera "
        "with a reference picture (the message then carries its pictures)",
    )
    args = parser.parse_args()
    broker = os.environ.get("GAPWATCH_BROKER_URL") or os.environ.get("GAPWATCH_TEST_REDIS_URL")
    if not broker:
        sys.exit("set GAPWATCH_BROKER_URL to a Redis URL, e.g. redis://127.0.0.1:6379/0")
    n = args.concurrency
    baseline = Baseline.from_image(REFERENCE) if args.baseline else None
    if baseline is not None:
        print(f"baseline sent with every probe: {len(baseline.to_bytes()) / 1024:.0f} KiB")

    pool = ProbePool(max_workers=n)
    pool.warm(n)
    local = LocalExecutor(
        lambda r: pool.probe(r.source, timeout_s=r.timeout_s, baseline=r.baseline), workers=n
    )
    drive(local, n * 2, n, args.timeout)  # warm-up: first decodes load libraries
    local_wall, local_lat, local_verdicts = drive(local, args.probes, n, args.timeout, baseline)
    local.shutdown()
    pool.close()

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    log = Path(tempfile.mkdtemp()) / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gapwatch.cli",
                "worker",
                "--broker",
                broker,
                "--queue",
                queue,
                "--concurrency",
                str(n),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        until = time.monotonic() + 30
        while " ready." not in log.read_text(errors="replace"):
            if time.monotonic() > until or worker.poll() is not None:
                sys.exit(f"worker did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        remote = CeleryExecutor(broker, default_queue=queue, capacity=n)
        drive(remote, n * 2, n, args.timeout)
        remote_wall, remote_lat, remote_verdicts = drive(
            remote, args.probes, n, args.timeout, baseline
        )
        worker_rss = tree_rss_mb(worker.pid)
        remote.shutdown()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
        import redis

        client = redis.Redis.from_url(broker)
        for key in client.scan_iter(match=f"*{queue}*"):
            client.delete(key)
        client.close()

    print(f"concurrency {n}, {args.probes} probes each, clips {', '.join(c.name for c in CLIPS)}")
    local_rate = report("local", local_wall, local_lat, args.probes)
    remote_rate = report("celery", remote_wall, remote_lat, args.probes)
    print(f"ratio celery/local: {remote_rate / local_rate:.2f}")
    same = local_verdicts == remote_verdicts
    print(f"verdicts match: {same}  {dict(sorted(remote_verdicts.items()))}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: this process {peak:.0f} MB; worker + its decoders {worker_rss:.0f} MB")


if __name__ == "__main__":
    main()
