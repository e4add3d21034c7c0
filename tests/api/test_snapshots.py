"""Pictures for the alert panel: one decode per camera however many ask, a bounded pool of their
own, and the rest of the API unaffected while cameras do not answer."""

from __future__ import annotations

import concurrent.futures
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gapwatch.api import create_app
from gapwatch.api.pictures import MAX_PENDING, SnapshotTaker
from gapwatch.settings import Settings
from tests.api.conftest import ADMIN_TOKEN
from tests.api.serving import running

HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@dataclass
class SilentCamera:
    port: int
    held: list[socket.socket]


@pytest.fixture
def silent_camera() -> Iterator[SilentCamera]:
    """A TCP port that accepts RTSP connections and never answers (a hung camera)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(512)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield SilentCamera(int(server.getsockname()[1]), held)
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


def _site(folder: Path, port: int, cameras: int) -> Path:
    lines = [
        "site: {id: snapshots, name: snapshots}",
        "zones:",
        "  - {id: z, name: z, importance: 3, polygon: "
        "[[104.05, 35.13], [104.052, 35.13], [104.052, 35.132], [104.05, 35.132]]}",
        "cameras:",
    ]
    for n in range(cameras):
        lines.append(
            f"  - {{id: cam-{n}, name: cam {n}, stream: 'rtsp://127.0.0.1:{port}/ch{n}', "
            f"location: [104.0501, 35.1301], heading_deg: 45, hfov_deg: 90, range_m: 100}}"
        )
    path = folder / "site.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_sixty_requests_for_hung_cameras_cost_one_decode_each_and_starve_nothing(
    tmp_path: Path, db_url: str, silent_camera: SilentCamera
) -> None:
    settings = Settings(
        db_url=db_url,
        site=_site(tmp_path, silent_camera.port, cameras=3),
        admin_token=ADMIN_TOKEN,
        scheduler=False,
    )
    app = create_app(settings)
    with (
        running(app) as base,
        httpx.Client(base_url=base, timeout=60, limits=httpx.Limits(max_connections=100)) as c,
        concurrent.futures.ThreadPoolExecutor(max_workers=60) as pool,
    ):
        urls = [f"/api/v1/dashboard/cameras/cam-{n % 3}/frame.jpg" for n in range(60)]
        pictures = [pool.submit(c.get, url, headers=HEADERS) for url in urls]
        deadline = time.monotonic() + 30
        while not silent_camera.held:  # the decoders are connected to the hung camera
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # and every request has reached the server
        # While picture requests are still waiting on a hung camera, the API answers. (Before:
        # one thread per request, and /healthz waited 37 s, until every picture had failed.)
        # Each camera's decode gives up 3 s after it connected, so on a loaded machine some
        # cameras' requests may already be answered by now: that is not starving.
        cameras = c.get("/api/v1/cameras", headers=HEADERS)
        health = c.get("/healthz")
        pending = sum(not f.done() for f in pictures)
        assert cameras.status_code == 200 and health.status_code == 200
        assert pending > 0, "the API answered only once every picture request had failed"
        answers = [f.result() for f in pictures]
        assert {a.status_code for a in answers} == {502}
        assert all(a.json()["detail"][0]["msg"] for a in answers)
        taker: SnapshotTaker = app.state.snapshot_taker[1]
        assert taker.attempts == 3  # one decode per camera, shared by its twenty viewers


@pytest.mark.slow
def test_more_cameras_than_the_pending_bound_get_a_quick_503(
    tmp_path: Path, db_url: str, silent_camera: SilentCamera
) -> None:
    count = MAX_PENDING + 4
    settings = Settings(
        db_url=db_url,
        site=_site(tmp_path, silent_camera.port, cameras=count),
        admin_token=ADMIN_TOKEN,
        scheduler=False,
    )
    app = create_app(settings)
    with (
        running(app) as base,
        httpx.Client(base_url=base, timeout=60, limits=httpx.Limits(max_connections=100)) as c,
        concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool,
    ):
        urls = [f"/api/v1/dashboard/cameras/cam-{n}/frame.jpg" for n in range(count)]
        answers = [f.result() for f in [pool.submit(c.get, u, headers=HEADERS) for u in urls]]
        codes = sorted(a.status_code for a in answers)
        assert codes.count(503) >= count - MAX_PENDING
        assert set(codes) <= {502, 503}
        busy = next(a for a in answers if a.status_code == 503)
        assert "too many cameras" in busy.json()["detail"][0]["msg"]
