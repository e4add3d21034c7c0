"""The Celery executor against the real Redis and real `gapwatch worker` processes.

Redis comes from GAPWATCH_TEST_REDIS_URL (skipped only when unset). Every run uses its own queue
names and removes the keys it made, so runs on the same Redis never see each other's probes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import pytest

from gapwatch.runtime.celery_executor import CeleryExecutor
from gapwatch.runtime.executor import ProbeRequest
from gapwatch.vision.baseline import Baseline
from gapwatch.vision.types import ProbeResult

REDIS_ENV = "GAPWATCH_TEST_REDIS_URL"
CLIPS = Path(__file__).resolve().parents[2] / "sample_streams" / "clips"
PASSWORD = "Zq7-s3cret-pw"
MARGIN_S = 2.0

# A Redis broker and Celery worker processes per test: the full tier, not the edit loop.
pytestmark = [pytest.mark.timeout(60), pytest.mark.slow]


@pytest.fixture(scope="module")
def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set")
    return url


@pytest.fixture(scope="module")
def run_id(redis_url: str) -> Iterator[str]:
    """A tag in every queue name of this run; the keys carrying it are removed at the end."""
    import redis

    tag = f"gwtest-{uuid.uuid4().hex[:8]}"
    yield tag
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"*{tag}*"):
        client.delete(key)
    # Messages a killed worker held unacknowledged sit in kombu's shared hash: take ours out.
    for field, raw in client.hgetall("unacked").items():
        if tag.encode() in raw:
            client.hdel("unacked", field)
            client.zrem("unacked_index", field)
    for key in client.scan_iter(match="_kombu.binding.*"):
        for member in client.smembers(key):
            if tag.encode() in member:
                client.srem(key, member)
    client.close()


@dataclass
class Worker:
    """A `gapwatch worker` process started by a test, and its log."""

    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, needle: str, timeout_s: float = 20.0) -> None:
        until = time.monotonic() + timeout_s
        while needle not in self.text():
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited early:\n{self.text()}")
            if time.monotonic() > until:
                raise AssertionError(f"worker never logged {needle!r}:\n{self.text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            # The worker leads its own process group: its decoder processes go with it.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


@pytest.fixture(scope="module")
def start_worker(
    redis_url: str, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Worker]]:
    started: list[Worker] = []
    folder = tmp_path_factory.mktemp("workers")

    def start(queue: str) -> Worker:
        log = folder / f"{queue}.log"
        with log.open("wb") as out:
            command = [sys.executable, "-m", "gapwatch.cli", "worker", "--broker", redis_url]
            process = subprocess.Popen(
                [*command, "--queue", queue, "--concurrency", "2"],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(process, log)
        started.append(worker)
        worker.wait_for(" ready.")
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def executor_for(redis_url: str) -> Iterator[Callable[..., CeleryExecutor]]:
    made: list[CeleryExecutor] = []

    def make(**kwargs: object) -> CeleryExecutor:
        executor = CeleryExecutor(redis_url, margin_s=MARGIN_S, **kwargs)  # type: ignore[arg-type]
        made.append(executor)
        return executor

    yield make
    for executor in made:
        executor.shutdown()


@pytest.fixture
def silent_stream() -> Iterator[str]:
    """An HTTP stream that accepts the connection and then sends nothing: a probe waits."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/live.ts"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def _labels() -> dict[str, dict[str, object]]:
    data = json.loads((CLIPS / "labels.json").read_text())
    clips: dict[str, dict[str, object]] = data["clips"]
    return clips


def _result(future: Future[ProbeResult], request: ProbeRequest) -> ProbeResult:
    # The bound only turns a hang into a failure; the executor's own deadline is shorter.
    return future.result(timeout=request.timeout_s + MARGIN_S + 10)


def test_remote_probes_give_the_clips_labelled_verdicts_and_teach_baselines(
    start_worker: Callable[[str], Worker],
    executor_for: Callable[..., CeleryExecutor],
    run_id: str,
) -> None:
    queue = f"{run_id}-verdicts"
    start_worker(queue)
    learned: dict[str, Baseline] = {}
    executor = executor_for(
        default_queue=queue, on_learned=lambda cam, b: learned.__setitem__(cam, b)
    )
    labels = _labels()
    # faults a single probe can tell (a freeze between keyframes needs the service's history)
    clips = ["clean_day.mp4", "fault_black.mp4", "fault_blur.mp4"]
    requests = [ProbeRequest(name, str(CLIPS / name), 8.0, baseline=Baseline()) for name in clips]
    futures = [executor.submit(r) for r in requests]
    for name, request, future in zip(clips, requests, futures, strict=True):
        result = _result(future, request)
        assert result.status == labels[name]["status"], (name, result)
        expected_faults = labels[name]["faults"]
        assert isinstance(expected_faults, list)
        assert sorted(result.faults) == sorted(expected_faults), (name, result)
        assert result.frames > 0
    # Only the healthy clip teaches its baseline; the remote copy comes back to the service.
    assert set(learned) == {"clean_day.mp4"}
    assert learned["clean_day.mp4"].knows("day")


def test_two_queues_route_to_two_workers(
    start_worker: Callable[[str], Worker],
    executor_for: Callable[..., CeleryExecutor],
    run_id: str,
) -> None:
    north, south = f"{run_id}-north", f"{run_id}-south"
    north_worker, south_worker = start_worker(north), start_worker(south)
    executor = executor_for(
        queues={"cam-north-1": north, "cam-north-2": north, "cam-south-1": south},
        default_queue=south,
    )
    assert executor.queue_for("cam-north-1") == north
    assert executor.queue_for("cam-elsewhere") == south
    cameras = ["cam-north-1", "cam-north-2", "cam-south-1", "cam-elsewhere"]
    requests = [ProbeRequest(c, str(CLIPS / "clean_day.mp4"), 8.0) for c in cameras]
    results = [_result(executor.submit(r), r) for r in requests]
    assert [r.status for r in results] == ["ok"] * 4
    north_log, south_log = north_worker.text(), south_worker.text()
    for camera in cameras:
        went_north = f"camera={camera} " in north_log
        went_south = f"camera={camera} " in south_log
        assert (went_north, went_south) == (
            camera.startswith("cam-north"),
            not camera.startswith("cam-north"),
        ), camera


def test_a_worker_killed_mid_probe_gives_no_signal_with_a_reason(
    start_worker: Callable[[str], Worker],
    executor_for: Callable[..., CeleryExecutor],
    run_id: str,
    silent_stream: str,
) -> None:
    queue = f"{run_id}-doomed"
    worker = start_worker(queue)
    executor = executor_for(default_queue=queue)
    request = ProbeRequest("cam-doomed", silent_stream, 3.0)
    future = executor.submit(request)
    worker.wait_for("probing camera=cam-doomed")
    os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait(5)
    result = _result(future, request)
    assert result.status == "offline"
    assert result.faults == ["no_signal"]
    assert result.reason is not None and queue in result.reason
    # A later probe on the same executor is not held up by the lost one.
    assert executor.submit(ProbeRequest("cam-other", str(CLIPS / "clean_day.mp4"), 1.0))


def test_credentials_stay_out_of_messages_logs_and_results(
    redis_url: str,
    start_worker: Callable[[str], Worker],
    executor_for: Callable[..., CeleryExecutor],
    run_id: str,
    silent_stream: str,
) -> None:
    import redis

    secret_source = silent_stream.replace("http://", f"http://admin:{PASSWORD}@") + (
        f"?password={PASSWORD}"
    )
    # A queue nobody serves: the message stays on the broker to be read, and the probe still
    # resolves at its deadline.
    idle_queue = f"{run_id}-unserved"
    executor = executor_for(default_queue=idle_queue)
    request = ProbeRequest("cam-secret", secret_source, 1.0)
    future = executor.submit(request)
    client = redis.Redis.from_url(redis_url)
    try:
        until = time.monotonic() + 10
        while not client.llen(idle_queue) and time.monotonic() < until:
            time.sleep(0.05)
        raw = client.lindex(idle_queue, 0)
    finally:
        client.close()
    assert raw is not None
    envelope = json.loads(raw)
    headers = envelope["headers"]
    assert PASSWORD not in json.dumps(headers)  # what monitors and worker logs show
    assert "cam-secret" in headers["argsrepr"]
    unserved = _result(future, request)
    assert unserved.faults == ["no_signal"] and PASSWORD not in (unserved.reason or "")

    served_queue = f"{run_id}-secret"
    worker = start_worker(served_queue)
    executor = executor_for(default_queue=served_queue)
    request = ProbeRequest("cam-secret", secret_source, 2.0)
    result = _result(executor.submit(request), request)
    assert result.faults == ["no_signal"]
    assert PASSWORD not in repr(result)
    worker.wait_for("cam-secret")
    worker.stop()
    log = worker.text()
    assert "cam-secret" in log and "***" in log
    assert PASSWORD not in log


def test_celery_executor_needs_a_broker_url() -> None:
    from pydantic import ValidationError

    from gapwatch.settings import Settings

    with pytest.raises(ValidationError, match="GAPWATCH_BROKER_URL"):
        Settings(executor="celery", broker_url=None)


def test_worker_command_without_a_broker_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from gapwatch.cli import app

    monkeypatch.delenv("GAPWATCH_BROKER_URL", raising=False)
    outcome = CliRunner().invoke(app, ["worker"])
    assert outcome.exit_code == 2
    assert "GAPWATCH_BROKER_URL" in outcome.output
    outcome = CliRunner().invoke(app, ["worker", "--broker", "amqp://user:pw@host//"])
    assert outcome.exit_code == 2
    assert "redis://" in outcome.output and "pw@" not in outcome.output


def test_the_service_sends_each_camera_to_its_sites_probe_queue(
    redis_url: str, run_id: str, tmp_path: Path
) -> None:
    from gapwatch.runtime.celery_executor import celery_executor_for
    from gapwatch.runtime.pipeline import build_service
    from gapwatch.settings import Settings
    from gapwatch.site import SiteError, load_site

    example = Path(__file__).resolve().parents[2] / "config" / "examples" / "replay-site.yaml"
    text = example.read_text()
    camera_line = "    stream: rtsp://10.0.0.1/cam-sw\n"
    assert camera_line in text
    site_file = tmp_path / "site.yaml"
    site_file.write_text(text.replace(camera_line, camera_line + f"    probe_queue: {run_id}-a\n"))
    site = load_site(site_file)
    settings = Settings(
        executor="celery", broker_url=redis_url, db_url=f"sqlite:///{tmp_path / 'g.db'}"
    )
    executor = celery_executor_for(site, settings)
    try:
        assert executor.queue_for("cam-sw") == f"{run_id}-a"
        assert executor.queue_for("cam-ne") == "gapwatch.probe"
        assert executor.capacity == settings.probe_workers
    finally:
        executor.shutdown()

    service = build_service(settings, site=site)
    try:
        chosen = service._executor()
        assert isinstance(chosen, CeleryExecutor)
        chosen.shutdown()
    finally:
        service.stop()

    site_file.write_text(text.replace(camera_line, camera_line + "    probe_queue: 'no queue!'\n"))
    with pytest.raises(SiteError, match="probe_queue"):
        load_site(site_file)
