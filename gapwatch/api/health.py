"""Liveness (`/healthz`, no token) and Prometheus metrics (`/metrics`)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gapwatch.api.deps import Reader, ReadSession, ServiceDep
from gapwatch.api.errors import error_responses
from gapwatch.runtime.metrics import exposition
from gapwatch.runtime.pipeline import Service
from gapwatch.storage import AlertRow, CameraStateRow, OutboxRow, utcnow

__all__ = ["router"]

router = APIRouter()


class Health(BaseModel):
    """The service answers."""

    status: Literal["ok"]
    quarantined: int = Field(
        default=0,
        description="Stored records the alert engine could not load (listed for an admin at "
        "/api/v1/admin/quarantine); the service runs without them.",
    )


@router.get("/healthz", response_model=Health, tags=["health"], summary="Liveness")
def healthz(request: Request) -> Health:
    """Answers 200 while the process serves HTTP; needs no token."""
    service = getattr(request.app.state, "service", None)
    held = len(service.alerts.quarantine) if service is not None else 0
    return Health(status="ok", quarantined=held)


@router.get(
    "/metrics",
    response_class=Response,
    tags=["health"],
    summary="Prometheus metrics",
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **error_responses(401, 403, 503),
    },
)
def metrics(service: ServiceDep, session: ReadSession, _who: Reader) -> Response:
    """Probe latency, camera states, open alerts, outbox backlog and per-zone crowd
    (`gapwatch_zone_people`, `…_per_m2`, `…_normal`, `gapwatch_zone_crowd_surge`), in
    Prometheus text format;
    per camera `gapwatch_camera_up`, `gapwatch_camera_fault` and the platform's online status
    unless GAPWATCH_CAMERA_METRICS=false."""
    m = service.metrics
    known = {camera.id for camera in service.site.spec.cameras}
    counts = {"ok": 0, "degraded": 0, "offline": 0}
    judged = select(CameraStateRow.status, func.count()).where(
        CameraStateRow.last_probe_at.is_not(None)
    )
    stored = session.scalar(select(func.count()).select_from(CameraStateRow)) or 0
    if stored > len(known):
        # Rows of cameras no longer in the site file: leave them out by name (one bound
        # parameter per camera, so only then).
        judged = judged.where(CameraStateRow.camera_id.in_(known))
    for status, count in session.execute(judged.group_by(CameraStateRow.status)):
        counts[status] = int(count)
    counts["unknown"] = len(known) - sum(counts.values())
    for state, count in counts.items():
        m.camera_states.labels(state).set(count)
    open_by_severity = dict.fromkeys(range(1, 6), 0)
    for severity, count in session.execute(
        select(AlertRow.severity, func.count())
        .where(AlertRow.status != "resolved")
        .group_by(AlertRow.severity)
    ):
        open_by_severity[int(severity)] = int(count)
    for severity, count in open_by_severity.items():
        m.open_alerts.labels(str(severity)).set(count)
    backlog = session.scalar(select(func.count()).where(OutboxRow.state == "pending"))
    m.outbox_backlog.set(backlog or 0)
    if service.crowd is not None:
        m.show_crowd(service.crowd.now(utcnow()))
    if m.cameras is not None:
        _refresh_camera_series(service, session)
    return Response(exposition(m), media_type=CONTENT_TYPE_LATEST)


def _refresh_camera_series(service: Service, session: Session) -> None:
    from gapwatch.runtime.metrics import primary_zones

    series = service.metrics.cameras
    if series is None:
        return
    states = {
        camera_id: (status, faults or [])
        for camera_id, status, faults in session.execute(
            select(CameraStateRow.camera_id, CameraStateRow.status, CameraStateRow.faults).where(
                CameraStateRow.last_probe_at.is_not(None)
            )
        )
    }
    sync = service.platform_sync
    series.refresh(
        cameras=[camera.id for camera in service.site.spec.cameras],
        states=states,
        zones=lambda: primary_zones(service.coverage),
        platform_status=sync.statuses() if sync is not None else None,
        platforms=sync.camera_platform() if sync is not None else None,
    )
