"""Cameras: where they are, their debounced health and their probe history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import func, select

from gapwatch.api.deps import (
    ID_PATTERN,
    Maintainer,
    Page,
    PagingQuery,
    Reader,
    ReadSession,
    ServiceDep,
)
from gapwatch.api.errors import ConflictError, NotFoundError, error_responses
from gapwatch.health import camera_down_clause, camera_is_down
from gapwatch.platforms import PlatformStatus
from gapwatch.runtime.pipeline import Service
from gapwatch.site import Camera
from gapwatch.storage import CameraStateRow, ProbeResultRow
from gapwatch.vision.redact import redact, shown_url

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"])

CameraHealthStatus = Literal["ok", "degraded", "offline", "unknown"]


class CameraOut(BaseModel):
    """A camera and its current health. `stream` never carries credentials."""

    id: str
    name: str
    status: CameraHealthStatus = Field(description="`unknown` until the first verdict.")
    faults: list[str]
    since: dt.datetime | None = Field(description="When the camera entered this status.")
    last_probe_at: dt.datetime | None
    flapping: bool
    location: tuple[float, float] = Field(description="[longitude, latitude], WGS84.")
    heading_deg: float
    hfov_deg: float
    range_m: float
    group: str | None
    stream: str = Field(description="The stream address with user, password and keys removed.")
    platform: str | None = Field(
        default=None, description="Id of the site's `platforms:` entry the camera came from."
    )
    platform_status: Literal["online", "offline", "unknown"] | None = Field(
        default=None,
        description="What the camera's video platform (WVP, ONVIF) last said; null for cameras "
        "from no platform, unknown before its first sync or while it cannot be reached.",
    )
    platform_disagrees: bool = Field(
        default=False,
        description="The platform calls the camera online while gapwatch judges its picture "
        "degraded or offline (a black or frozen picture on a live stream), or the reverse.",
    )


class ProbeOut(BaseModel):
    """One probe verdict from the camera's history."""

    at: dt.datetime
    status: Literal["ok", "degraded", "offline"]
    faults: list[str]
    metrics: dict[str, float]
    elapsed_s: float
    reason: str | None


def _status_of(state: CameraStateRow | None) -> str:
    return state.status if state is not None and state.last_probe_at is not None else "unknown"


def _matches(state: CameraStateRow | None, wanted: set[str] | None, down: bool | None) -> bool:
    if wanted is not None and _status_of(state) not in wanted:
        return False
    if down is None:
        return True
    if state is None or state.last_probe_at is None:
        return not down  # not judged yet: counted as watching its ground
    return camera_is_down(state.status, state.flapping) == down


def _camera_out(
    camera: Camera, state: CameraStateRow | None, platform: PlatformStatus | None = None
) -> CameraOut:
    status = _status_of(state)
    judged = status != "unknown"
    disagrees = platform in ("online", "offline") and status != "unknown"
    disagrees = disagrees and (platform == "online") != (status == "ok")
    return CameraOut(
        platform=camera.platform,
        platform_status=platform,
        platform_disagrees=disagrees,
        id=camera.id,
        name=camera.name,
        status=status,
        faults=list(state.faults) if state is not None and judged else [],
        since=state.since if state is not None and judged else None,
        last_probe_at=state.last_probe_at if state is not None else None,
        flapping=state.flapping if state is not None else False,
        location=camera.location,
        heading_deg=camera.heading_deg,
        hfov_deg=camera.hfov_deg,
        range_m=camera.range_m,
        group=camera.group,
        stream=shown_url(camera.stream),
    )


def _find(service: Service, camera_id: str) -> Camera:
    camera = service.site_cameras.get(camera_id)
    if camera is not None:
        return camera
    raise NotFoundError(f"no camera {camera_id!r} / 没有摄像机 {camera_id!r}")


CameraId = Annotated[str, Path(pattern=ID_PATTERN, description="Camera id from the site file.")]


_CAMERA_LIST = TypeAdapter(list[CameraOut])
MAX_LIST_LIMIT = 5000


@router.get(
    "",
    response_model=list[CameraOut],
    responses={
        **error_responses(401, 403, 422, 503),
        200: {
            "description": "The cameras, in site-file order.",
            "headers": {
                "X-Total-Count": {
                    "description": "Cameras matching the filters, before `limit` and `offset`.",
                    "schema": {"type": "integer"},
                }
            },
        },
    },
)
def list_cameras(
    service: ServiceDep,
    session: ReadSession,
    _who: Reader,
    status: Annotated[
        list[CameraHealthStatus] | None,
        Query(
            description="Only these statuses (repeat for more than one: "
            "`?status=offline&status=degraded` is what needs a technician)."
        ),
    ] = None,
    down: Annotated[
        bool | None,
        Query(
            description="Only the cameras down by the down rule (offline, degraded or "
            "flapping: their ground counts as blind), or with `false` only the others."
        ),
    ] = None,
    zone: Annotated[
        str | None,
        Query(pattern=ID_PATTERN, description="Only cameras whose view reaches this zone."),
    ] = None,
    limit: Annotated[
        int | None,
        Query(ge=1, le=MAX_LIST_LIMIT, description="At most this many; all when omitted."),
    ] = None,
    offset: Annotated[int, Query(ge=0, description="Skip this many matches first.")] = 0,
) -> Response:
    """Every camera of the site with its current health, in site-file order.

    `status`, `zone`, `limit` and `offset` narrow it (a county-wide site has tens of thousands);
    `X-Total-Count` says how many matched. Only the page is built and serialised.
    """
    cameras: list[Camera] = list(service.site.spec.cameras)
    if zone is not None:
        facts = service.alerts.cameras
        cameras = [c for c in cameras if c.id in facts and zone in facts[c.id].zones]
    query = select(CameraStateRow)
    if status is None and down is None:
        total = len(cameras)
        page = cameras[offset : None if limit is None else offset + limit]
        # Only the page's states are read when there is a page (bounded: each id is one bound
        # parameter, and SQLite takes at most 32,766).
        if len(page) <= MAX_LIST_LIMIT and len(page) < len(service.site.spec.cameras):
            query = query.where(CameraStateRow.camera_id.in_([c.id for c in page]))
        states = {row.camera_id: row for row in session.scalars(query)}
    else:
        wanted: set[str] | None = set(status) if status is not None else None
        # The common filters (what is broken now) read only the matching rows; a camera
        # without a row or a verdict is unknown (never down), so the others need every row.
        if down:
            query = query.where(camera_down_clause())
        elif down is None and wanted is not None and "unknown" not in wanted:
            query = query.where(CameraStateRow.status.in_(sorted(wanted)))
        states = {row.camera_id: row for row in session.scalars(query)}
        cameras = [c for c in cameras if _matches(states.get(c.id), wanted, down)]
        total = len(cameras)
        page = cameras[offset : None if limit is None else offset + limit]
    sync = service.platform_sync
    platform = sync.statuses() if sync is not None else {}
    out = [_camera_out(c, states.get(c.id), platform.get(c.id)) for c in page]
    # Serialised once here: returning the models would have FastAPI validate them all again.
    return Response(
        _CAMERA_LIST.dump_json(out),
        media_type="application/json",
        headers={"X-Total-Count": str(total)},
    )


@router.get(
    "/{camera_id}", response_model=CameraOut, responses=error_responses(401, 403, 404, 422, 503)
)
def get_camera(
    service: ServiceDep, session: ReadSession, _who: Reader, camera_id: CameraId
) -> CameraOut:
    """One camera with its current health."""
    camera = _find(service, camera_id)
    sync = service.platform_sync
    platform = sync.status_of(camera_id) if sync is not None else None
    return _camera_out(camera, session.get(CameraStateRow, camera_id), platform)


@router.get(
    "/{camera_id}/history",
    response_model=Page[ProbeOut],
    responses=error_responses(401, 403, 404, 422, 503),
)
def camera_history(
    service: ServiceDep,
    session: ReadSession,
    _who: Reader,
    camera_id: CameraId,
    paging: PagingQuery,
) -> Page[ProbeOut]:
    """The camera's probe verdicts, newest first."""
    _find(service, camera_id)
    where = ProbeResultRow.camera_id == camera_id
    total = session.scalar(select(func.count()).select_from(ProbeResultRow).where(where)) or 0
    rows = session.scalars(
        select(ProbeResultRow)
        .where(where)
        .order_by(ProbeResultRow.at.desc(), ProbeResultRow.id.desc())
        .limit(paging.limit)
        .offset(paging.offset)
    )
    items = [
        ProbeOut(
            at=row.at,
            status=row.status,
            faults=list(row.faults),
            metrics=dict(row.metrics),
            elapsed_s=row.elapsed_s,
            reason=redact(row.reason) if row.reason else None,
        )
        for row in rows
    ]
    return Page[ProbeOut](items=items, total=total, limit=paging.limit, offset=paging.offset)


class ProbeQueued(BaseModel):
    """A probe asked for by hand; its verdict arrives like any other (history, events)."""

    camera: str
    queued: bool


class BaselineResetIn(BaseModel):
    mode: Literal["day", "night"] | None = Field(
        default=None, description="Only this picture mode; both when omitted."
    )


@router.post(
    "/{camera_id}/probe",
    response_model=ProbeQueued,
    status_code=202,
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
def probe_now(service: ServiceDep, _who: Maintainer, camera_id: CameraId) -> ProbeQueued:
    """Probe the camera now (after a repair, say) instead of waiting for its turn. 409 when
    this process does not schedule probes or the camera's last probe is still running."""
    _find(service, camera_id)
    scheduler = service.scheduler
    if scheduler is None:
        raise ConflictError("this process does not schedule probes / 本进程不负责探测调度")
    if not scheduler.probe_now(camera_id):
        raise ConflictError(
            f"a probe of {camera_id} is still running / 摄像机 {camera_id} 的探测仍在进行"
        )
    return ProbeQueued(camera=camera_id, queued=True)


@router.post(
    "/{camera_id}/baseline/reset",
    status_code=204,
    response_class=Response,
    responses=error_responses(400, 401, 403, 404, 422, 503),
)
def reset_baseline(
    service: ServiceDep,
    _who: Maintainer,
    camera_id: CameraId,
    body: BaselineResetIn | None = None,
) -> Response:
    """Forget the camera's learned picture after a deliberate re-aim or a new lens, so that
    the new view is learned instead of being judged `shifted`."""
    _find(service, camera_id)
    if service.baselines is not None:
        service.baselines.reset(camera_id, body.mode if body is not None else None)
    return Response(status_code=204)
