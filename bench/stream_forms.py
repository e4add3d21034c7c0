"""How long a probe takes per stream form, healthy and broken, against real servers on loopback.

    .venv/bin/python bench/stream_forms.py [--runs 3] [--timeout 10]

Starts node-media-server (RTMP, HTTP-FLV, WS-FLV; `make servers` first), FFmpeg's HLS muxer
served over HTTP, and gst-rtsp-server (TCP and UDP), then probes each form with the default
sampling plan: healthy, then with its server stalled (SIGSTOP) or its muxer dead. Prints the
median seconds to a verdict; the ratio column compares each form with RTSP over TCP, measured in
the same run.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gapwatch.vision import ProbePool, StreamSpec, Verdict
from tests.vision.conftest import SERVER_SCRIPT, SYSTEM_PYTHON
from tests.vision.stream_servers import start_hls_server, start_media_server

CLIP = Path(__file__).resolve().parents[1] / "sample_streams" / "clips" / "clean_day.mp4"


def _ok(frames: object, baseline: object) -> Verdict:
    # Only the stream is measured here, not the judge.
    return Verdict(status="ok", faults=[])


def _runs(
    pool: ProbePool, source: str | StreamSpec, runs: int, timeout_s: float
) -> tuple[float, str]:
    times, verdicts = [], set()
    for _ in range(runs):
        result = pool.probe(source, timeout_s=timeout_s)
        times.append(result.elapsed_s)
        verdicts.add(result.status if not result.faults else ",".join(result.faults))
    return statistics.median(times), "/".join(sorted(verdicts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gw-forms-"))
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(CLIP), "-c", "copy",
         "-bsf:v", "h264_mp4toannexb", "-f", "h264", str(work / "clip.h264")],
        check=True,
    )  # fmt: skip
    rtsp = subprocess.Popen(
        [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", "0", "--unshared",
         "--mount", f"cam={work / 'clip.h264'}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert rtsp.stdout is not None
    rtsp_port = int(rtsp.stdout.readline().split()[1])
    media = start_media_server()
    media.publish("cam", CLIP)
    hls = start_hls_server(CLIP, work / "hls")
    rows: list[tuple[str, float, str, float, str]] = []
    try:
        with ProbePool(max_workers=2, judge=_ok) as pool:
            pool.warm(2)
            rtsp_url = f"rtsp://127.0.0.1:{rtsp_port}/cam"
            forms: dict[str, tuple[str | StreamSpec, Callable[[], None], Callable[[], None]]] = {
                "rtsp/tcp": (rtsp_url, _stop(rtsp.pid), _cont(rtsp.pid)),
                "rtsp/udp": (
                    StreamSpec.from_text(rtsp_url, rtsp_transport="udp"),
                    _stop(rtsp.pid),
                    _cont(rtsp.pid),
                ),
                "rtmp": (media.rtmp("cam"), _stop(media.process.pid), _cont(media.process.pid)),
                "http-flv": (
                    media.http_flv("cam"),
                    _stop(media.process.pid),
                    _cont(media.process.pid),
                ),
                "ws-flv": (media.ws_flv("cam"), _stop(media.process.pid), _cont(media.process.pid)),
            }
            for name, (source, stall, resume) in forms.items():
                healthy = _runs(pool, source, args.runs, args.timeout)
                stall()
                try:
                    broken = _runs(pool, source, args.runs, args.timeout)
                finally:
                    resume()
                rows.append((name, *healthy, *broken))
            healthy = _runs(pool, hls.url, args.runs, args.timeout)
            hls.kill_muxer()  # the playlist stays behind, never advancing
            broken = _runs(pool, hls.url, args.runs, args.timeout)
            rows.append(("hls (dead muxer)", *healthy, *broken))
    finally:
        hls.stop()
        media.stop()
        rtsp.terminate()
        rtsp.wait(5)
    base = rows[0][1]
    print(f"median of {args.runs} probes, --timeout {args.timeout:g} s")
    print("| form | healthy s | verdict | vs rtsp/tcp | stalled s | verdict |")
    print("|---|---|---|---|---|---|")
    for name, ok_s, ok_v, bad_s, bad_v in rows:
        print(f"| {name} | {ok_s:.2f} | {ok_v} | {ok_s / base:.2f} | {bad_s:.2f} | {bad_v} |")


def _stop(pid: int) -> Callable[[], None]:
    return lambda: os.kill(pid, signal.SIGSTOP)


def _cont(pid: int) -> Callable[[], None]:
    return lambda: os.kill(pid, signal.SIGCONT)


if __name__ == "__main__":
    main()
