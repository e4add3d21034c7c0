"""Fixtures for probing real streams: clips, a real RTSP server, tiny HTTP/TCP servers, leak checks.

The RTSP server is GStreamer's gst-rtsp-server run by the system interpreter (python3-gi), as the
cameras' side of the wire; see rtsp_server.py. RTSP tests are skipped only when those bindings are
missing.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from pathlib import Path

import pytest

from gapwatch.vision import Baseline, Frame, ProbePool
from gapwatch.vision.types import Verdict
from gapwatch.vision.worker import start_worker_server

SYSTEM_PYTHON = "/usr/bin/python3"
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
CLIPS = Path(__file__).resolve().parents[2] / "sample_streams" / "clips"
SPLIT_CLIPS = ("clean_day", "fault_black", "fault_frozen", "fault_blur")


def _gst_rtsp_missing() -> str | None:
    """Why the RTSP server cannot run here, or None when it can."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} not found"
    check = (
        "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0');"
        "from gi.repository import Gst, GstRtspServer"
    )
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", check], capture_output=True, text=True, timeout=30, check=False
    )
    if done.returncode != 0:
        return (
            "GStreamer RTSP server bindings missing (Debian: python3-gi,"
            " gir1.2-gst-rtsp-server-1.0,"
            " gstreamer1.0-rtsp): " + done.stderr.strip().splitlines()[-1]
        )
    return None


_GST_MISSING: list[str | None] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rtsp_items = [item for item in items if item.get_closest_marker("rtsp")]
    if not rtsp_items:
        return
    if not _GST_MISSING:
        _GST_MISSING.append(_gst_rtsp_missing())
    reason = _GST_MISSING[0]
    if reason:
        for item in rtsp_items:
            item.add_marker(pytest.mark.skip(reason=reason))


# --- clips --------------------------------------------------------------------------------------


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True, timeout=120)


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Test clips: the project's sample clips when built, else a synthetic moving picture.

    Every clip is there as .mp4, as MPEG-TS (.ts) and as Annex-B H.264 (.h264) for the RTSP
    server. `long_gop` has one keyframe every 10 s, like cameras set for low bit rates.
    """
    out = tmp_path_factory.mktemp("clips")
    for name in SPLIT_CLIPS:
        if (CLIPS / f"{name}.mp4").exists():
            shutil.copy(CLIPS / f"{name}.mp4", out / f"{name}.mp4")
    if not (out / "clean_day.mp4").exists():
        _ffmpeg(
            "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=10", "-t", "8",
            "-c:v", "libx264", "-g", "20", "-bf", "0", "-pix_fmt", "yuv420p",
            str(out / "clean_day.mp4"),
        )  # fmt: skip
    _ffmpeg(
        "-i", str(out / "clean_day.mp4"), "-c:v", "libx264", "-g", "100", "-bf", "0",
        "-pix_fmt", "yuv420p", str(out / "long_gop.mp4"),
    )  # fmt: skip
    for clip in list(out.glob("*.mp4")):
        _ffmpeg("-i", str(clip), "-c", "copy", "-f", "mpegts", str(clip.with_suffix(".ts")))
        _ffmpeg(
            "-i", str(clip), "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264",
            str(clip.with_suffix(".h264")),
        )  # fmt: skip
    return out


# --- the RTSP server ----------------------------------------------------------------------------


@dataclass
class RtspServer:
    """A running gst-rtsp-server process and the URLs of its mounts."""

    process: subprocess.Popen[str]
    port: int
    credentials: str | None = None

    def url(self, mount: str, credentials: str | None = None) -> str:
        """The RTSP URL of a mount, with the given (or the server's) credentials."""
        userinfo = credentials if credentials is not None else self.credentials
        prefix = f"{userinfo}@" if userinfo else ""
        return f"rtsp://{prefix}127.0.0.1:{self.port}/{mount}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """Terminate the server (resuming it first if it was stopped) and reap it."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_rtsp_server(
    mounts: dict[str, Path], *, auth: str | None = None, shared: bool = False
) -> RtspServer:
    """Start gst-rtsp-server on a free loopback port; returns once it accepts connections.

    Unshared (the default here), each client gets its own pipeline that starts at a keyframe,
    as cameras that answer a new session with an IDR frame do; shared, clients join one
    pipeline mid-stream and wait for its next keyframe.
    """
    command = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", "0"]
    if not shared:
        command.append("--unshared")
    for name, path in mounts.items():
        command += ["--mount", f"{name}={path}"]
    if auth:
        command += ["--auth", auth]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 15)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("READY "):
        process.kill()
        process.wait()
        process.stdout.close()
        raise RuntimeError(f"RTSP server did not start: {line!r}")
    return RtspServer(process=process, port=int(line.split()[1]), credentials=auth)


@pytest.fixture(scope="session")
def rtsp_server(clip_dir: Path) -> Iterator[RtspServer]:
    """One server for the session: a clean mount, faulty mounts, and a long-GOP mount."""
    mounts = {p.stem: p for p in clip_dir.glob("*.h264")}
    server = start_rtsp_server(mounts)
    yield server
    server.stop()


@pytest.fixture
def own_rtsp_server(clip_dir: Path) -> Iterator[Callable[..., RtspServer]]:
    """A factory of servers this test may stop or kill; all are reaped afterwards."""
    started: list[RtspServer] = []

    def start(auth: str | None = None) -> RtspServer:
        server = start_rtsp_server({"clean_day": clip_dir / "clean_day.h264"}, auth=auth)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# --- small misbehaving cameras -----------------------------------------------------------------


@dataclass
class LocalCameras:
    """The http_camera.py process: HTTP streams and a TCP port that never speaks."""

    process: subprocess.Popen[str]
    http_port: int
    silent_port: int

    def http(self, path: str, credentials: str | None = None) -> str:
        prefix = f"{credentials}@" if credentials else ""
        return f"http://{prefix}127.0.0.1:{self.http_port}{path}"


@pytest.fixture(scope="session")
def cameras(clip_dir: Path) -> Iterator[LocalCameras]:
    """HTTP MJPEG and MPEG-TS streams (healthy and misbehaving) and a silent TCP port."""
    script = Path(__file__).with_name("http_camera.py")
    process = subprocess.Popen(
        [sys.executable, str(script), str(clip_dir / "clean_day.mp4"), str(clip_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 30)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("READY "):
        process.kill()
        process.wait()
        raise RuntimeError(f"local cameras did not start: {line!r}")
    _, http_port, silent_port = line.split()
    yield LocalCameras(process=process, http_port=int(http_port), silent_port=int(silent_port))
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    process.stdout.close()


@pytest.fixture
def refused_port() -> int:
    """A loopback port with nothing listening."""
    probe_socket = socket.socket()
    probe_socket.bind(("127.0.0.1", 0))
    port: int = probe_socket.getsockname()[1]
    probe_socket.close()
    return port


# --- pools and leak checks ----------------------------------------------------------------------


@dataclass
class RecordingJudge:
    """Stands in for judging where a test is about the stream, not the picture: keeps the frames."""

    calls: list[list[Frame]] = field(default_factory=list)

    def __call__(self, frames: Sequence[Frame], baseline: object) -> Verdict:
        self.calls.append(list(frames))
        return Verdict(status="ok", faults=[])


@pytest.fixture
def recording_judge() -> RecordingJudge:
    return RecordingJudge()


class _JudgeSwitch:
    """The judge of the session's shared pool: a test's recording judge, else the real one."""

    def __init__(self) -> None:
        from gapwatch.vision.judge import judge

        self.real = judge
        self.current: RecordingJudge | None = None

    def __call__(self, frames: Sequence[Frame], baseline: Baseline | None) -> Verdict:
        if self.current is not None:
            return self.current(frames, baseline)
        return self.real(frames, baseline)


@pytest.fixture(scope="session")
def _shared() -> Iterator[tuple[ProbePool, _JudgeSwitch]]:
    switch = _JudgeSwitch()
    with ProbePool(max_workers=4, judge=switch) as shared_pool:
        yield shared_pool, switch


@pytest.fixture
def pool(
    _shared: tuple[ProbePool, _JudgeSwitch], recording_judge: RecordingJudge
) -> Iterator[ProbePool]:
    """The session's warm probe pool, judging with this test's recording judge."""
    shared_pool, switch = _shared
    switch.current = recording_judge
    yield shared_pool
    switch.current = None


@pytest.fixture
def judged_pool(_shared: tuple[ProbePool, _JudgeSwitch]) -> ProbePool:
    """The session's warm probe pool, judging with the real judge."""
    shared_pool, switch = _shared
    switch.current = None
    return shared_pool


def open_fds() -> set[str]:
    """What this process's file descriptors point at."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            found.add(f"{fd}->{os.readlink(f'/proc/self/fd/{fd}')}")
    return found


def child_pids() -> set[int]:
    """Processes descended from this one (decoder workers are children of the fork server)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").strip()
    return "?"


@dataclass
class LeakCheck:
    """File descriptors and child processes before a block, to compare after it."""

    fds: set[str]
    children: set[int]

    @classmethod
    def now(cls) -> LeakCheck:
        """What this process holds at this moment."""
        # multiprocessing starts one resource tracker and one fork server per process on first
        # use and keeps them: start them now so that they do not count as strays of the probes.
        resource_tracker.ensure_running()
        start_worker_server()
        return cls(fds=open_fds(), children=child_pids())

    def assert_clean(self) -> None:
        # Closing a worker is synchronous, so nothing should linger; allow the kernel a moment.
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            if open_fds() <= self.fds and child_pids() <= self.children:
                break
            time.sleep(0.05)
        stray = {pid: _cmdline(pid) for pid in child_pids() - self.children}
        assert stray == {}, "stray child processes"
        assert open_fds() - self.fds == set(), "leaked file descriptors"


@pytest.fixture
def leak_check() -> LeakCheck:
    """What the process held before the test, to compare with after it."""
    return LeakCheck.now()
