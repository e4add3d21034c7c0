"""A real ONVIF device on loopback: ipycam (PyPI), a Python virtual IP camera that answers ONVIF
device, media and PTZ calls and serves RTSP, started as its own process on a sample clip.

`make install` puts ipycam into `.venv/onvif-device` (without its GUI OpenCV dependency); it runs
on the venv's interpreter and headless OpenCV.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEVICE_LIB = ROOT / ".venv" / "onvif-device"
CLIP = ROOT / "sample_streams" / "clips" / "clean_day.mp4"

# pan/tilt/zoom the camera holds for each preset (ipycam keeps them in ptz_presets.json)
PRESETS = {
    "home": {"token": "home", "name": "Home", "pan": 0.0, "tilt": 0.0, "zoom": 0.0},
    "p-gate": {"token": "p-gate", "name": "南门广场", "pan": 0.5, "tilt": -0.1, "zoom": 0.2},
    "p-lot": {"token": "p-lot", "name": "停车场", "pan": -0.4, "tilt": 0.0, "zoom": 0.0},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class OnvifCamera:
    host: str
    port: int
    rtsp_port: int
    user: str
    password: str
    process: subprocess.Popen[bytes]
    log: Path

    def ptz_state(self) -> dict[str, Any]:
        """The camera's current pan/tilt/zoom, from its own web API (HTTP Basic)."""
        request = urllib.request.Request(f"http://{self.host}:{self.port}/api/ptz")
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=5) as response:
            body: dict[str, Any] = json.loads(response.read())
        return body


@contextmanager
def running_camera(folder: Path, *, password: str, user: str = "admin") -> Iterator[OnvifCamera]:
    """Start ipycam in `folder` and wait until its ONVIF service answers; stop it afterwards."""
    if not (DEVICE_LIB / "ipycam").is_dir():
        raise RuntimeError(f"ipycam is not installed in {DEVICE_LIB}: run `make install`")
    port, rtsp_port = _free_port(), _free_port()
    config = {
        "name": "Gate PTZ",
        "manufacturer": "Uniview",
        "model": "IPC-PTZ-T1",
        "serial_number": "UNV-20260001",
        "local_ip": "127.0.0.1",
        "onvif_port": port,
        "rtsp_port": rtsp_port,
        "rtmp_port": _free_port(),
        "web_port": _free_port(),
        "username": user,
        "password": password,
        "main_width": 320,
        "main_height": 240,
        "main_fps": 5,
        "sub_width": 160,
        "sub_height": 120,
        "sub_fps": 5,
        "hw_accel": "cpu",
    }
    (folder / "camera_config.json").write_text(json.dumps(config), encoding="utf-8")
    (folder / "ptz_presets.json").write_text(json.dumps(PRESETS), encoding="utf-8")
    log = folder / "ipycam.log"
    env = {**os.environ, "PYTHONPATH": str(DEVICE_LIB)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ipycam", "--config", "camera_config.json",
             "--source", str(CLIP), "--no-timestamp"],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    camera = OnvifCamera("127.0.0.1", port, rtsp_port, user, password, process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"ipycam exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("ipycam did not open its ONVIF port") from None
                time.sleep(0.2)
        yield camera
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
