"""What keeps failures from alerting: the site's maintenance windows, and ending a silence early."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from gapwatch.api.deps import ID_PATTERN, Reader, Responder, ServiceDep
from gapwatch.api.errors import ConflictError, NotFoundError, error_responses
from gapwatch.storage import SilenceRow, utcnow

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["alerts"])


class MaintenanceWindowOut(BaseModel):
    """Planned work from the site file: failures of its cameras are recorded, not alerted."""

    id: str
    cameras: list[str]
    start: dt.datetime
    end: dt.datetime
    reason: str | None
    active: bool


class SilenceEndedOut(BaseModel):
    id: str
    ends_at: dt.datetime


@router.get(
    "/maintenance-windows",
    response_model=list[MaintenanceWindowOut],
    responses=error_responses(401, 403, 503),
)
def maintenance_windows(service: ServiceDep, _who: Reader) -> list[MaintenanceWindowOut]:
    """The site's maintenance windows that have not ended, soonest first."""
    now = utcnow()
    windows = [w for w in service.alerts.maintenance if w.end > now]
    return [
        MaintenanceWindowOut(
            id=w.id,
            cameras=list(w.cameras),
            start=w.start,
            end=w.end,
            reason=w.reason,
            active=w.start <= now,
        )
        for w in sorted(windows, key=lambda w: w.start)
    ]


@router.post(
    "/silences/{silence_id}/end",
    response_model=SilenceEndedOut,
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
def end_silence(
    service: ServiceDep,
    who: Responder,
    silence_id: Annotated[str, Path(pattern=ID_PATTERN)],
) -> SilenceEndedOut:
    """End a silence now; a camera it kept quiet that is still broken is alerted at once."""
    from gapwatch.alerts.records import publish

    now = utcnow()
    with service.engine_transaction() as session:
        row = session.get(SilenceRow, silence_id)
        if row is None:
            raise NotFoundError(f"no silence {silence_id!r} / 没有静默 {silence_id!r}")
        if row.ends_at <= now:
            raise ConflictError("this silence has already ended / 该静默已结束")
        row.ends_at = now
        comment = f"{row.comment} · " if row.comment else ""
        row.comment = f"{comment}ended by {who.name}"
        publish(session, at=now, type="silence.ended", data={"id": row.id, "by": who.name})
        session.flush()
        # The engine keeps silences in memory: take in the new end, then let the regular check
        # alert whatever the silence was hiding.
        service.alerts.refresh(session)
        service.alerts.check_escalations(session, now=now)
    return SilenceEndedOut(id=silence_id, ends_at=now)
