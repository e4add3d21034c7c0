"""The stream forms GB/T 28181 platforms hand out, each probed against a real server on loopback.

RTMP, HTTP-FLV and WS-FLV from node-media-server (fed by FFmpeg), HLS written by FFmpeg and served
over HTTP, RTSP over TCP and UDP from gst-rtsp-server, MJPEG over HTTP. For each: a healthy stream
is sampled over seconds (the frames prove it is live), and a dead or stalled server is
`no_signal` within the probe's time-out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gapwatch.vision import ProbePool, ProbeResult, SamplingPlan, StreamSpec

from .conftest import SERVER_SCRIPT, SYSTEM_PYTHON, LocalCameras, RecordingJudge
from .stream_servers import (
    HlsServer,
    MediaServer,
    media_server_missing,
    start_hls_server,
    start_media_server,
)

TIMEOUT_S = 8.0
PLAN = SamplingPlan(frames=3, spacing_s=1.0)

pytestmark = pytest.mark.slow

needs_media_server = pytest.mark.skipif(
    media_server_missing() is not None, reason=media_server_missing() or ""
)


def assert_live(result: ProbeResult, judge: RecordingJudge) -> None:
    """Judged healthy from frames spread over time: a live picture, not one stale burst."""
    assert result.status == "ok", result.reason
    assert result.frames >= 2, result
    frames = judge.calls[-1]
    assert frames[-1].at - frames[0].at >= PLAN.spacing_s
    assert result.elapsed_s <= TIMEOUT_S


def assert_no_signal(result: ProbeResult, started: float) -> None:
    assert result.status == "offline", result
    assert result.faults == ["no_signal"]
    # Within the time-out, as the contract says, plus the scheduling slack of a busy machine.
    assert time.monotonic() - started <= TIMEOUT_S + 1.0


def probe_now(pool: ProbePool, source: str | StreamSpec) -> tuple[ProbeResult, float]:
    started = time.monotonic()
    return pool.probe(source, timeout_s=TIMEOUT_S, plan=PLAN), started


# --- RTMP, HTTP-FLV, WS-FLV (node-media-server) ---

FLV_FORMS: dict[str, Callable[[MediaServer, str], str]] = {
    "rtmp": MediaServer.rtmp,
    "http-flv": MediaServer.http_flv,
    "ws-flv": MediaServer.ws_flv,
}


@pytest.fixture(scope="module")
def media_server(clip_dir: Path) -> Iterator[MediaServer]:
    server = start_media_server()
    try:
        server.publish("cam", clip_dir / "clean_day.mp4")
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_media_server(clip_dir: Path) -> Iterator[MediaServer]:
    server = start_media_server()
    try:
        server.publish("cam", clip_dir / "clean_day.mp4")
        yield server
    finally:
        server.stop()


@needs_media_server
@pytest.mark.parametrize("form", sorted(FLV_FORMS))
def test_healthy_flv_family_stream_is_live(
    form: str, media_server: MediaServer, pool: ProbePool, recording_judge: RecordingJudge
) -> None:
    result, _ = probe_now(pool, FLV_FORMS[form](media_server, "cam"))
    assert_live(result, recording_judge)


@needs_media_server
@pytest.mark.parametrize("form", sorted(FLV_FORMS))
def test_stream_never_published_is_no_signal(
    form: str, media_server: MediaServer, pool: ProbePool
) -> None:
    result, started = probe_now(pool, FLV_FORMS[form](media_server, "nobody"))
    assert_no_signal(result, started)


@needs_media_server
@pytest.mark.parametrize("form", sorted(FLV_FORMS))
def test_stalled_media_server_is_no_signal(
    form: str, own_media_server: MediaServer, pool: ProbePool
) -> None:
    os.kill(own_media_server.process.pid, signal.SIGSTOP)  # hangs: sockets open, nothing sent
    try:
        result, started = probe_now(pool, FLV_FORMS[form](own_media_server, "cam"))
    finally:
        os.kill(own_media_server.process.pid, signal.SIGCONT)
    assert_no_signal(result, started)


@needs_media_server
@pytest.mark.parametrize("form", sorted(FLV_FORMS))
def test_killed_media_server_is_no_signal(
    form: str, own_media_server: MediaServer, pool: ProbePool
) -> None:
    url = FLV_FORMS[form](own_media_server, "cam")
    own_media_server.process.kill()
    own_media_server.process.wait(5)
    result, started = probe_now(pool, url)
    assert_no_signal(result, started)


@needs_media_server
def test_publisher_gone_mid_stream_is_no_signal(
    own_media_server: MediaServer, pool: ProbePool
) -> None:
    # The camera behind the platform drops: the server stays up, the stream is gone.
    own_media_server.stop_publisher("cam")
    for form in sorted(FLV_FORMS):
        result, started = probe_now(pool, FLV_FORMS[form](own_media_server, "cam"))
        assert_no_signal(result, started)


# --- HLS (FFmpeg's muxer, served over HTTP) ---


@pytest.fixture
def hls_server(clip_dir: Path, tmp_path: Path) -> Iterator[HlsServer]:
    server = start_hls_server(clip_dir / "clean_day.mp4", tmp_path / "hls")
    yield server
    server.stop()


def test_healthy_hls_playlist_is_live(
    hls_server: HlsServer, pool: ProbePool, recording_judge: RecordingJudge
) -> None:
    result, _ = probe_now(pool, hls_server.url)
    assert_live(result, recording_judge)


def test_hls_playlist_left_behind_by_a_dead_muxer_is_no_signal(
    hls_server: HlsServer, pool: ProbePool
) -> None:
    hls_server.kill_muxer()
    # Its segments still play: only the playlist not advancing says the camera is gone.
    assert (hls_server.folder / "live.m3u8").read_text().count("#EXTINF") >= 2
    result, started = probe_now(pool, hls_server.url)
    assert_no_signal(result, started)
    assert "stalled" in (result.reason or "")


def test_ended_hls_playlist_is_no_signal(hls_server: HlsServer, pool: ProbePool) -> None:
    hls_server.muxer.terminate()  # a clean stop writes #EXT-X-ENDLIST
    hls_server.muxer.wait(5)
    assert "#EXT-X-ENDLIST" in (hls_server.folder / "live.m3u8").read_text()
    result, started = probe_now(pool, hls_server.url)
    assert_no_signal(result, started)


def test_hls_server_gone_is_no_signal(hls_server: HlsServer, pool: ProbePool) -> None:
    url = hls_server.url
    hls_server.stop()
    result, started = probe_now(pool, url)
    assert_no_signal(result, started)


# --- RTSP over TCP and UDP (gst-rtsp-server) ---


@pytest.fixture
def reporting_rtsp_server(clip_dir: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """An RTSP server that prints the Transport header of every SETUP it receives."""
    process = subprocess.Popen(
        [
            SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", "0", "--unshared", "--report-setups",
            "--mount", f"cam={clip_dir / 'clean_day.h264'}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("READY "), line
    yield process, int(line.split()[1])
    process.terminate()
    process.wait(5)
    process.stdout.close()


@pytest.mark.rtsp
@pytest.mark.parametrize(("transport", "header"), [("tcp", "RTP/AVP/TCP"), ("udp", "RTP/AVP/UDP")])
def test_rtsp_transport_is_the_one_the_camera_asks_for(
    transport: str,
    header: str,
    reporting_rtsp_server: tuple[subprocess.Popen[str], int],
    pool: ProbePool,
    recording_judge: RecordingJudge,
) -> None:
    process, port = reporting_rtsp_server
    spec = StreamSpec.from_text(
        f"rtsp://127.0.0.1:{port}/cam", rtsp_transport="udp" if transport == "udp" else "tcp"
    )
    result, _ = probe_now(pool, spec)
    assert_live(result, recording_judge)
    assert process.stdout is not None
    setup = process.stdout.readline().split()
    assert setup[0] == "SETUP"
    asked = setup[1].split(";")
    assert asked[0] == header
    assert ("interleaved" in setup[1]) == (transport == "tcp")


@pytest.mark.rtsp
def test_rtsp_over_udp_from_a_stalled_server_is_no_signal(
    reporting_rtsp_server: tuple[subprocess.Popen[str], int], pool: ProbePool
) -> None:
    process, port = reporting_rtsp_server
    os.kill(process.pid, signal.SIGSTOP)
    try:
        spec = StreamSpec.from_text(f"rtsp://127.0.0.1:{port}/cam", rtsp_transport="udp")
        result, started = probe_now(pool, spec)
    finally:
        os.kill(process.pid, signal.SIGCONT)
    assert_no_signal(result, started)


# --- MJPEG over HTTP ---


def test_mjpeg_over_http_is_live_and_a_silent_one_is_no_signal(
    cameras: LocalCameras, pool: ProbePool, recording_judge: RecordingJudge
) -> None:
    result, _ = probe_now(pool, cameras.http("/mjpeg"))
    assert_live(result, recording_judge)
    result, started = probe_now(pool, cameras.http("/mjpeg-silent"))
    assert_no_signal(result, started)


# --- the service, end to end ---

SERVICE_SITE = """\
site: {{id: forms, name: 播放地址测试}}
zones:
  - id: gate
    name: 大门
    importance: 5
    polygon: [[104.0500, 35.1300], [104.0530, 35.1300], [104.0530, 35.1310], [104.0500, 35.1310]]
cameras:
{cameras}
"""
SERVICE_CAMERA = """\
  - id: {id}
    name: {id}
    stream: {stream}
    location: [104.05{n:02d}, 35.1301]
    heading_deg: 30
    hfov_deg: 90
    range_m: 60
"""


@needs_media_server
def test_service_judges_platform_play_urls_without_a_false_outage(
    media_server: MediaServer, hls_server: HlsServer, tmp_path: Path
) -> None:
    import httpx

    from gapwatch.api import create_app
    from gapwatch.settings import Settings
    from tests.api.serving import running

    streams = {
        "rtmp": media_server.rtmp("cam"),
        "http-flv": media_server.http_flv("cam"),
        "ws-flv": media_server.ws_flv("cam"),
        "hls": hls_server.url,
    }
    cameras = "".join(
        SERVICE_CAMERA.format(id=name, stream=url, n=n)
        for n, (name, url) in enumerate(streams.items())
    )
    site = tmp_path / "site.yaml"
    site.write_text(SERVICE_SITE.format(cameras=cameras), encoding="utf-8")
    token = "gw_test-admin-token-0123456789abcdef"
    service = create_app(
        Settings(
            db_url=f"sqlite:///{tmp_path / 'gw.db'}",
            site=site,
            admin_token=token,
            probe_interval_s=10.0,  # the probe time-out is the lesser of 10 s and this
        )
    )
    headers = {"Authorization": f"Bearer {token}"}
    with running(service) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        deadline = time.monotonic() + 60
        while True:
            listed = client.get("/api/v1/cameras", headers=headers).json()
            if all(c["last_probe_at"] for c in listed) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        alerts = client.get("/api/v1/alerts?status=open", headers=headers).json()
    by_id = {c["id"]: c for c in listed}
    for name in streams:
        assert by_id[name]["last_probe_at"] is not None, name
        assert by_id[name]["status"] != "offline", by_id[name]
        assert "no_signal" not in by_id[name]["faults"]
    assert all("no_signal" not in json_text for json_text in map(str, alerts))


def test_hls_master_playlist_is_followed_to_its_media_playlist(
    hls_server: HlsServer, pool: ProbePool, recording_judge: RecordingJudge
) -> None:
    (hls_server.folder / "master.m3u8").write_text(
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x480\nlive.m3u8\n",
        encoding="utf-8",
    )
    master = hls_server.url.replace("live.m3u8", "master.m3u8")
    result, _ = probe_now(pool, master)
    assert_live(result, recording_judge)
    hls_server.kill_muxer()
    result, started = probe_now(pool, master)
    assert_no_signal(result, started)
