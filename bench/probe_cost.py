"""What a probe costs, against what watching the same stream continuously costs (an NVR).

    .venv/bin/python bench/probe_cost.py [--mounts 40] [--concurrency 48] [--seconds 60]
                                         [--baseline-s 60] [--size 1920x1080] [--fps 25] [--gop 50]
                                         [--long]

Starts GStreamer's RTSP server (tests/vision/rtsp_server.py) with `--mounts` shared mounts of a
camera-like H.264 stream made from the sample clip, then in one run measures:

1. baseline: one process decoding every frame of a mount for `--baseline-s` seconds, as an NVR
   does; its CPU seconds per 60 s of video;
2. probes: `--concurrency` probes at a time, round-robin over the mounts, for `--seconds`;
   probes per minute, CPU seconds per probe (decoder workers and the judging parent), and the
   ratio "probe CPU / 60 s of continuous decoding CPU" (goal: at most 5 %);
3. with `--long`: RSS of the parent and the workers over 1,000 probes (goal: flat).

CPU is process CPU time (user + system), so other work on a shared machine does not inflate it.
"""

from __future__ import annotations

import argparse
import os
import resource
import select
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

from gapwatch.vision import ProbePool
from gapwatch.vision.worker import start_worker_server

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "sample_streams" / "clips" / "clean_day.mp4"
SERVER = ROOT / "tests" / "vision" / "rtsp_server.py"

NVR_SCRIPT = """
import resource, sys, time
import av
url, seconds = sys.argv[1], float(sys.argv[2])
container = av.open(url, options={"rtsp_transport": "tcp"}, timeout=(10, 10))
stream = container.streams.video[0]
stream.codec_context.thread_count = 1  # the cheapest way to decode: a conservative baseline
before = resource.getrusage(resource.RUSAGE_SELF)
started = time.monotonic()
frames = 0
for packet in container.demux(stream):
    frames += len(stream.codec_context.decode(packet))
    if time.monotonic() - started >= seconds:
        break
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print(cpu, frames, time.monotonic() - started)
"""


def cpu_of(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def reaped_children_cpu(pid: int) -> float:
    """CPU seconds of the children that process `pid` has reaped (cutime + cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def fork_server_pid() -> int:
    """The multiprocessing fork server that forks (and reaps) the decoder workers."""
    start_worker_server()
    for _ in range(100):  # right after the fork its command line is still ours
        for child in psutil.Process().children():
            if "forkserver" in " ".join(child.cmdline()):
                return child.pid
        time.sleep(0.05)
    sys.exit("no fork server found")


def make_stream(work: Path, size: str, fps: int, gop: int) -> Path:
    """A camera-like Annex-B H.264 stream (no B-frames, fixed GOP) made from the sample clip."""
    mp4 = work / "camera.mp4"
    width, height = size.split("x")
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "1", "-i", str(CLIP),
            "-vf", f"scale={width}:{height},fps={fps}", "-c:v", "libx264", "-preset", "veryfast",
            "-profile:v", "main", "-bf", "0", "-g", str(gop), "-keyint_min", str(gop),
            "-sc_threshold", "0", "-b:v", "4M", "-pix_fmt", "yuv420p", str(mp4),
        ],
        check=True,
    )  # fmt: skip
    h264 = work / "camera.h264"
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-y", "-i", str(mp4), "-c", "copy",
            "-bsf:v", "h264_mp4toannexb", "-f", "h264", str(h264),
        ],
        check=True,
    )  # fmt: skip
    return h264


def start_server(stream: Path, names: list[str]) -> tuple[subprocess.Popen[str], int]:
    command = ["/usr/bin/python3", str(SERVER), "--port", "0"]
    for name in names:
        command += ["--mount", f"{name}={stream}"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    ready, _, _ = select.select([server.stdout], [], [], 30)
    line = server.stdout.readline() if ready else ""
    if not line.startswith("READY "):
        server.kill()
        sys.exit(f"RTSP server did not start: {line!r}")
    return server, int(line.split()[1])


def nvr_baseline(url: str, seconds: float) -> tuple[float, int, float]:
    """CPU seconds, frames and wall seconds of decoding every frame of `url` for `seconds`."""
    done = subprocess.run(
        [sys.executable, "-c", NVR_SCRIPT, url, str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    )
    cpu, frames, wall = done.stdout.split()
    return float(cpu), int(frames), float(wall)


def run_probes(
    pool: ProbePool, urls: list[str], concurrency: int, seconds: float, limit: int | None
) -> tuple[list[float], dict[str, int]]:
    """Probe round-robin for `seconds` (or until `limit` probes); elapsed times and statuses."""
    lock = threading.Lock()
    elapsed: list[float] = []
    statuses: dict[str, int] = {}
    issued = [0]
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        while True:
            with lock:
                if time.monotonic() >= stop_at or (limit is not None and issued[0] >= limit):
                    return
                url = urls[issued[0] % len(urls)]
                issued[0] += 1
            result = pool.probe(url, timeout_s=10)
            with lock:
                elapsed.append(result.elapsed_s)
                key = result.status
                if result.faults:
                    key += f" {','.join(result.faults)}"
                if result.status == "offline" and result.reason:
                    key += f" ({result.reason.split(':')[0].split('/')[0].strip()})"
                statuses[key] = statuses.get(key, 0) + 1

    with ThreadPoolExecutor(concurrency) as threads:
        for _ in range(concurrency):
            threads.submit(worker)
    return elapsed, statuses


def long_memory(urls: list[str], concurrency: int) -> None:
    """RSS of this process and of the workers over 1,000 probes, after 100 to settle."""
    me = psutil.Process()
    with ProbePool(max_workers=concurrency) as pool:
        pool.warm(concurrency)
        run_probes(pool, urls, concurrency, 3600.0, 100)
        workers_before = sum(psutil.Process(p).memory_info().rss for p in pool.worker_pids())
        points = [f"{me.memory_info().rss / 2**20:.0f}"]
        statuses: dict[str, int] = {}
        for _ in range(4):
            _, more = run_probes(pool, urls, concurrency, 3600.0, 250)
            for key, count in more.items():
                statuses[key] = statuses.get(key, 0) + count
            points.append(f"{me.memory_info().rss / 2**20:.0f}")
        workers_after = sum(psutil.Process(p).memory_info().rss for p in pool.worker_pids())
        print(
            f"memory over 1000 probes ({statuses}): parent RSS every 250 probes "
            f"{' -> '.join(points)} MiB; {len(pool.worker_pids())} workers "
            f"{workers_before / 2**20:.0f} -> {workers_after / 2**20:.0f} MiB "
            f"({pool.workers_started} started in all)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mounts", type=int, default=40)
    parser.add_argument(
        "--servers", type=int, default=4, help="RTSP server processes sharing the mounts"
    )
    parser.add_argument("--concurrency", type=int, default=48)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--baseline-s", type=float, default=60.0)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--gop", type=int, default=50)
    parser.add_argument("--long", action="store_true", help="also 1,000 probes for memory")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        stream = make_stream(Path(work), args.size, args.fps, args.gop)
        # Cameras do not share a CPU; one server process sending every stream would be the
        # bottleneck of the bench, so the mounts are spread over a few.
        servers: list[subprocess.Popen[str]] = []
        urls: list[str] = []
        for first in range(args.servers):
            names = [f"cam{i:03d}" for i in range(first, args.mounts, args.servers)]
            server, port = start_server(stream, names)
            servers.append(server)
            urls += [f"rtsp://127.0.0.1:{port}/{name}" for name in names]
        server_ps = [psutil.Process(server.pid) for server in servers]
        try:
            print(
                f"stream: {args.size} {args.fps} fps, keyframe every {args.gop / args.fps:g} s, "
                f"{args.mounts} shared RTSP mounts in {args.servers} server processes on loopback; "
                f"{os.cpu_count()} CPUs"
            )
            base_cpu, base_frames, base_wall = nvr_baseline(urls[0], args.baseline_s)
            per_minute = base_cpu * 60.0 / base_wall
            print(
                f"baseline (continuous decoding, 1 thread): {base_cpu:.2f} CPU s for "
                f"{base_frames} frames in {base_wall:.1f} s = {per_minute:.2f} CPU s per 60 s "
                f"({1000 * base_cpu / max(1, base_frames):.2f} ms per frame)"
            )

            me = psutil.Process()
            forker = fork_server_pid()
            children_before = reaped_children_cpu(forker)
            pool = ProbePool(max_workers=args.concurrency, probes_per_worker=100_000)
            start_wall = time.monotonic()
            pool.warm(args.concurrency)
            warm_s = time.monotonic() - start_wall
            # What starting one worker costs, so that it can be told apart from probing.
            start_cpu = sum(cpu_of(psutil.Process(pid)) for pid in pool.worker_pids())
            start_cpu /= args.concurrency
            parent_run_before = cpu_of(me)
            server_run_before = sum(cpu_of(ps) for ps in server_ps)
            run_start = time.monotonic()
            elapsed, statuses = run_probes(pool, urls, args.concurrency, args.seconds, None)
            run_wall = time.monotonic() - run_start
            parent_cpu = cpu_of(me) - parent_run_before
            server_cpu = sum(cpu_of(ps) for ps in server_ps) - server_run_before
            started = pool.workers_started
            # Every worker, killed or idle, has ended after close() and been reaped by the fork
            # server, whose children's CPU time then holds all of theirs.
            pool.close()
            time.sleep(0.5)
            workers_cpu = reaped_children_cpu(forker) - children_before
            probing_cpu = workers_cpu - started * start_cpu

            probes = len(elapsed)
            probe_cpu = (probing_cpu + parent_cpu) / probes
            elapsed.sort()
            print(
                f"workers: {args.concurrency} started in {warm_s:.1f} s at "
                f"{start_cpu:.3f} CPU s each, paid once per worker ({started} started in all)"
            )
            print(
                f"probes: {probes} in {run_wall:.1f} s = {probes * 60 / run_wall:.0f} per minute "
                f"at concurrency {args.concurrency}; results {statuses}"
            )
            print(
                f"probe wall time: median {elapsed[probes // 2]:.2f} s, "
                f"p95 {elapsed[int(probes * 0.95)]:.2f} s, max {elapsed[-1]:.2f} s"
            )
            print(
                f"CPU per probe: {probe_cpu:.3f} s (decoder workers {probing_cpu / probes:.3f} s "
                f"+ judging and bookkeeping {parent_cpu / probes:.3f} s); "
                f"RTSP server {server_cpu / probes:.3f} s per probe"
            )
            print(
                f"ratio: probe CPU / 60 s of continuous decoding CPU = "
                f"{100 * probe_cpu / per_minute:.2f} % (goal <= 5 %)"
            )
            cores = os.cpu_count() or 1
            capacity = cores * 60 / (probe_cpu + server_cpu / probes)
            in_use = (probing_cpu + parent_cpu + server_cpu) / run_wall
            print(
                f"CPU in use while probing: {in_use:.2f} cores; if the {cores} cores did only "
                f"this (probes and server): {capacity:.0f} probes per minute"
            )
            print(f"machine load average during the run: {os.getloadavg()[0]:.1f}")

            if args.long:
                long_memory(urls, args.concurrency)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak RSS of the bench process: {peak:.0f} MiB")
        finally:
            for server in servers:
                server.terminate()
                server.wait(10)


if __name__ == "__main__":
    main()
