"""A camera's picture now beside its baseline, as JPEG, for the operator's alert panel.

The picture is taken on request through decoder workers of their own (stream addresses and their
credentials stay on the server) and kept for a few seconds, so a room of operators looking at the
same alert costs one decode. Requests for one camera share one attempt (single flight); at most
`SNAPSHOT_WORKERS` cameras decode at once and at most `MAX_PENDING` wait, beyond which the answer
is a quick 503. Waiting happens on the event loop, not in the API's thread pool: 60 requests for
offline cameras used to hold every pool thread, and `/healthz` took 37 s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from gapwatch.api.deps import ID_PATTERN, Reader, ServiceDep
from gapwatch.api.errors import ApiError, ErrorBody, NotFoundError, error_responses
from gapwatch.runtime.pipeline import Service, probe_targets
from gapwatch.vision.types import Frame, Verdict

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from gapwatch.vision import Baseline, ProbePool, StreamSpec

__all__ = ["Picture", "SnapshotTaker", "router"]

router = APIRouter(prefix="/cameras", tags=["dashboard"])

SNAPSHOT_TTL_S = 5.0
SNAPSHOT_TIMEOUT_S = 6.0
SNAPSHOT_WORKERS = 2
"""Cameras decoded at once for pictures; probing has its own pool and is never slowed."""
MAX_PENDING = 8
"""Cameras whose picture is being taken or waiting for a decoder; more get a 503 at once."""
JPEG_QUALITY = 80


class NoPictureError(ApiError):
    """The camera gave no picture (unreachable, no signal)."""

    status_code = 502


class SnapshotsBusyError(ApiError):
    """Too many cameras are being asked for pictures at once."""

    status_code = 503


@dataclass(frozen=True)
class Picture:
    """A JPEG from a camera and when it was taken; `stale` when the camera gives none now."""

    jpeg: bytes
    taken_at: dt.datetime
    stale: bool = False


@dataclass(frozen=True)
class _Snapshot:
    tried: float  # time.monotonic() of the attempt
    picture: Picture | None  # the newest picture so far, even from an earlier attempt
    fresh: bool
    reason: str | None


def _jpeg(image: npt.NDArray[np.uint8]) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise NoPictureError("the picture could not be encoded / 图像无法编码")
    return bytes(buf.tobytes())


class SnapshotTaker:
    """Takes one frame from a camera's stream on request; a background worker of the service,
    so its decoder processes stop with the service."""

    def __init__(self, *, workers: int = SNAPSHOT_WORKERS, max_pending: int = MAX_PENDING) -> None:
        self._lock = threading.Lock()
        self._workers = workers
        self._max_pending = max_pending
        self._pool: ProbePool | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._cache: dict[str, _Snapshot] = {}
        self._inflight: dict[str, Future[_Snapshot]] = {}
        self._stopped = False
        self.attempts = 0
        """Decodes started so far (for tests and health checks)."""

    def start(self) -> None:
        """Nothing to start: the decoders start with the first picture asked for."""

    def stop(self) -> None:
        """Stop the decoder processes."""
        with self._lock:
            self._stopped = True
            pool, self._pool = self._pool, None
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        if pool is not None:
            pool.close()

    def _keep(self, frames: Sequence[Frame], baseline: Baseline | None) -> Verdict:
        # Used as the pool's judge, on the thread that asked: keep the frames for that thread;
        # the service's probes do the judging.
        self._local.frames = list(frames)
        return Verdict(status="ok", faults=[])

    async def take(self, camera_id: str, source: str | StreamSpec) -> Picture:
        """The stream's picture now (or of the last few seconds); when the camera gives none,
        the last picture taken from it marked stale; NoPictureError if there never was one."""
        cached = self._cache.get(camera_id)
        if cached is None or time.monotonic() - cached.tried > SNAPSHOT_TTL_S:
            attempt = self._join_or_start(camera_id, source)
            # Shielded: one viewer closing the tab must not cancel the others' shared attempt.
            cached = await asyncio.shield(asyncio.wrap_future(attempt))
        if cached.picture is None:
            raise NoPictureError(
                f"camera {camera_id} gave no picture / 摄像机 {camera_id} 无图像"
                + (f": {cached.reason}" if cached.reason else "")
            )
        if cached.fresh:
            return cached.picture
        return Picture(cached.picture.jpeg, cached.picture.taken_at, stale=True)

    def _join_or_start(self, camera_id: str, source: str | StreamSpec) -> Future[_Snapshot]:
        with self._lock:
            if self._stopped:
                raise NoPictureError("the service is stopping / 服务正在停止")
            running = self._inflight.get(camera_id)
            if running is not None:
                return running
            if len(self._inflight) >= self._max_pending:
                raise SnapshotsBusyError(
                    "pictures of too many cameras are being taken; try again shortly / "
                    "正在获取过多摄像机的图像，请稍后重试"
                )
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self._workers, thread_name_prefix="snapshot"
                )
            cached = self._cache.get(camera_id)
            previous = cached.picture if cached else None
            attempt = self._executor.submit(self._attempt, camera_id, source, previous)
            self._inflight[camera_id] = attempt
            self.attempts += 1
        return attempt

    def _attempt(
        self, camera_id: str, source: str | StreamSpec, previous: Picture | None
    ) -> _Snapshot:
        try:
            snapshot = self._decode(source, previous)
        except Exception as exc:
            snapshot = _Snapshot(time.monotonic(), previous, False, f"{type(exc).__name__}")
        with self._lock:
            self._cache[camera_id] = snapshot
            self._inflight.pop(camera_id, None)
        return snapshot

    def _decode(self, source: str | StreamSpec, previous: Picture | None) -> _Snapshot:
        from gapwatch.vision import ProbePool, SamplingPlan

        with self._lock:
            if self._stopped:
                raise RuntimeError("stopping")
            if self._pool is None:
                self._pool = ProbePool(max_workers=self._workers, judge=self._keep)
            pool = self._pool
        self._local.frames = []
        plan = SamplingPlan(frames=1, open_timeout_s=3.0, stall_s=2.0)
        result = pool.probe(source, timeout_s=SNAPSHOT_TIMEOUT_S, plan=plan)
        frames: list[Frame] = self._local.frames
        self._local.frames = []
        tried = time.monotonic()
        if not frames:
            return _Snapshot(tried, previous, False, result.reason)
        picture = Picture(_jpeg(frames[-1].image), dt.datetime.now(dt.UTC))
        return _Snapshot(tried, picture, True, None)


def _taker(request: Request, service: Service) -> SnapshotTaker:
    state = request.app.state
    with _TAKER_LOCK:
        held: tuple[Service, SnapshotTaker] | None = getattr(state, "snapshot_taker", None)
        if held is None or held[0] is not service:
            taker = SnapshotTaker()
            # The service stops its workers on shutdown; that ends the decoder process too.
            service.workers.append(taker)
            held = (service, taker)
            state.snapshot_taker = held
        return held[1]


_TAKER_LOCK = threading.Lock()


def _source(service: Service, camera_id: str) -> str | StreamSpec:
    for target in probe_targets(service.site, service.settings):
        if target.camera_id == camera_id:
            return target.source
    raise NotFoundError(f"no camera {camera_id!r} / 没有摄像机 {camera_id!r}")


CameraId = Annotated[str, Path(pattern=ID_PATTERN, description="Camera id from the site file.")]

_JPEG: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}
}
_FRAME: dict[int | str, dict[str, Any]] = {
    200: {
        **_JPEG[200],
        "headers": {
            "X-Taken-At": {
                "description": "When the picture was taken (ISO 8601, UTC).",
                "schema": {"type": "string"},
            },
            "X-Stale": {
                "description": "1 when the camera gives no picture now and this is its last one.",
                "schema": {"type": "string", "enum": ["0", "1"]},
            },
        },
    }
}


@router.get(
    "/{camera_id}/frame.jpg",
    response_class=Response,
    responses={
        **_FRAME,
        **error_responses(401, 403, 404, 422, 503),
        502: {"model": ErrorBody, "description": "The camera has never given a picture"},
    },
)
async def camera_frame(
    request: Request, service: ServiceDep, _who: Reader, camera_id: CameraId
) -> Response:
    """A picture from the camera's stream now (a few seconds old at most), as JPEG; when the
    camera gives none, the last one taken from it with `X-Stale: 1`."""
    source = _source(service, camera_id)
    taker = _taker(request, service)
    picture = await taker.take(camera_id, source)
    headers = {
        "Cache-Control": "no-store",
        "X-Taken-At": picture.taken_at.isoformat(),
        "X-Stale": "1" if picture.stale else "0",
    }
    return Response(picture.jpeg, media_type="image/jpeg", headers=headers)


def _baseline_jpeg(service: Service, camera_id: str) -> bytes | None:
    book = service.baselines
    if book is None:
        return None
    baseline = book.for_camera(camera_id)
    learned = [m for m in (baseline.day, baseline.night) if m.reference is not None]
    if not learned:
        return None
    best = max(learned, key=lambda m: m.samples)
    assert best.reference is not None
    return _jpeg(best.reference)


@router.get(
    "/{camera_id}/baseline.jpg",
    response_class=Response,
    responses={**_JPEG, **error_responses(401, 403, 404, 422, 503)},
)
async def camera_baseline(service: ServiceDep, _who: Reader, camera_id: CameraId) -> Response:
    """The camera's baseline picture (what healthy looks like, greyscale), as JPEG; 404 until the
    camera has a reference picture or has learned one from healthy probes."""
    _source(service, camera_id)
    jpeg = await run_in_threadpool(_baseline_jpeg, service, camera_id)
    if jpeg is None:
        raise NotFoundError(
            f"camera {camera_id} has no baseline yet / 摄像机 {camera_id} 尚无基准图像"
        )
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
