"""`gapwatch serve` as a real process on a real port: it probes, serves, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import ADMIN_TOKEN
from tests.api.site import write_site


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _hold_event_stream(url: str, headers: dict[str, str], opened: threading.Event) -> None:
    try:
        with httpx.stream("GET", url, headers=headers, timeout=60) as response:
            opened.set()
            for _ in response.iter_lines():
                pass
    except httpx.HTTPError:
        pass


@pytest.mark.slow
def test_serve_probes_then_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "gapwatch.db"
    env = {
        **os.environ,
        "GAPWATCH_ADMIN_TOKEN": ADMIN_TOKEN,
        "GAPWATCH_PROBE_INTERVAL_S": "3",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gapwatch.cli",
            "serve",
            "--site",
            str(write_site(tmp_path)),
            "--db",
            f"sqlite:///{db}",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the service did not come up"
            time.sleep(0.2)
        # Wait until every camera has had a verdict: the real clip and two unreachable cameras.
        while True:
            cameras = httpx.get(f"{base}/api/v1/cameras", headers=headers, timeout=5).json()
            history = httpx.get(
                f"{base}/api/v1/cameras/cam-2/history", headers=headers, timeout=5
            ).json()
            clip_ok = any(p["status"] == "ok" for p in history["items"])
            if all(c["last_probe_at"] for c in cameras) and clip_ok:
                break
            assert time.monotonic() < deadline, cameras
            time.sleep(0.3)
        opened = threading.Event()
        listener = threading.Thread(
            target=_hold_event_stream, args=(f"{base}/api/v1/events", headers, opened), daemon=True
        )
        listener.start()
        assert opened.wait(10)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.stdout is not None
    with process.stdout:
        output = process.stdout.read().decode()
    assert code == 0, output
    assert "Traceback" not in output, output
    assert "s3cret" not in output and "viewer:pw" not in output
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        statuses = dict(conn.execute("SELECT camera_id, status FROM camera_states").fetchall())
        probes = conn.execute("SELECT count(*) FROM probe_results").fetchone()[0]
        learned = conn.execute("SELECT DISTINCT camera_id FROM baselines").fetchall()
    assert set(statuses) == {"cam-1", "cam-2", "cam-3"}
    assert probes >= 3
    # The healthy clip taught its baseline, saved on the way out; dead cameras taught nothing.
    assert learned == [("cam-2",)]


def test_serve_refuses_a_dispatch_url_without_a_secret_at_start_up(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAPWATCH_DISPATCH")}
    env["GAPWATCH_DISPATCH_URL"] = "https://cad.example.cn/hook"
    db = tmp_path / "x.db"
    result = subprocess.run(
        [sys.executable, "-m", "gapwatch.cli", "serve", "--site", str(write_site(tmp_path)),
         "--db", f"sqlite:///{db}", "--port", "0"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "GAPWATCH_DISPATCH_URL" in result.stderr
    assert "GAPWATCH_DISPATCH_SECRET" in result.stderr
    assert "GAPWATCH_SETTINGS" not in result.stderr and "Traceback" not in result.stderr
    assert not db.exists()  # refused before anything was opened


def test_serve_refuses_a_placeholder_dispatch_secret(tmp_path: Path) -> None:
    env = {**os.environ, "GAPWATCH_DISPATCH_SECRET": "whsec_changeme"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gapwatch.cli",
            "serve",
            "--site",
            str(write_site(tmp_path)),
            "--db",
            f"sqlite:///{tmp_path / 'x.db'}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "GAPWATCH_DISPATCH_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_start_without_bytecode_is_detected(tmp_path: Path) -> None:
    # The check's own module: importing the server would compile the whole web application
    # from source here (20 s of the test, alone, on a slow machine).
    check = "from gapwatch.api.bytecode import bytecode_missing; print(bytecode_missing())"

    def run(*flags: str, **env: str) -> str:
        clean = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        done = subprocess.run(
            [sys.executable, *flags, "-c", check],
            env={**clean, **env}, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return done.stdout.strip()

    # No cache to read and none may be written: every start compiles everything again.
    empty = tmp_path / "no-bytecode"
    assert run("-X", f"pycache_prefix={empty}", PYTHONDONTWRITEBYTECODE="1") == "True"
    # Bytecode may be written: the first start leaves it for the next, which may not write.
    assert run("-X", f"pycache_prefix={empty}") == "False"
    assert run("-X", f"pycache_prefix={empty}", PYTHONDONTWRITEBYTECODE="1") == "False"
