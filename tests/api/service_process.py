"""`gapwatch serve` as a real process on a free loopback port, for tests that need real sockets,
real signals and real resource limits."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.api.conftest import ADMIN_TOKEN

__all__ = ["REPO", "ServeProcess", "free_port", "start_serve"]

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServeProcess:
    """A running `gapwatch serve` and where its output goes."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_healthy(self, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            assert self.process.poll() is None, self.log()[-4000:]
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (
                "the service did not come up:\n" + self.log()[-4000:]
            )
            time.sleep(0.2)

    def terminate(self, timeout_s: float = 30) -> float:
        """SIGTERM; the seconds it took to exit (killed and asserted if it hangs)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"no exit within {timeout_s} s of SIGTERM") from None
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def start_serve(
    tmp_path: Path,
    *,
    site: Path,
    db_url: str,
    env: dict[str, str] | None = None,
    fd_limit: int | None = None,
    name: str = "serve",
    port: int | None = None,
) -> ServeProcess:
    """Start `gapwatch serve` (not waiting for it to be healthy)."""
    port = port or free_port()
    log_path = tmp_path / f"{name}.log"

    def limit() -> None:
        if fd_limit is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, fd_limit))

    preexec: Callable[[], None] | None = limit if fd_limit is not None else None
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gapwatch.cli",
                "serve",
                "--site",
                str(site),
                "--db",
                db_url,
                "--port",
                str(port),
            ],
            env={**os.environ, "GAPWATCH_ADMIN_TOKEN": ADMIN_TOKEN, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec,
            cwd=REPO,  # `python -m` imports from the working directory first
        )
    return ServeProcess(process, f"http://127.0.0.1:{port}", log_path)
