"""Check-offs of scheduled video-patrol rounds: the operator says a round was looked at.

A check-off is kept as a live event (`patrol_round.checked`): the events table is durable and
append-only, and every open board sees the tick at once over the event stream.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.api.deps import ID_PATTERN, Reader, ReadSession, Responder, ServiceDep
from gapwatch.api.errors import ApiError, ConflictError, error_responses
from gapwatch.storage import EventRow, transaction, utcnow

__all__ = ["CHECK_EVENT", "RoundCheckOut", "checks_between", "router"]

router = APIRouter(prefix="/api/v1/patrol-rounds", tags=["patrol plans"])

CHECK_EVENT = "patrol_round.checked"
# Rounds are planned at most two days ahead; a check-off is looked up within that reach.
_REACH = dt.timedelta(days=2)


class RoundCheckIn(BaseModel):
    """Which round was done: its zone and its scheduled time (as GET /patrol-rounds gives it)."""

    zone: Annotated[str, Field(pattern=ID_PATTERN)]
    at: dt.datetime = Field(description="The round's scheduled time, with a UTC offset.")
    note: Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")] | None = None

    @field_validator("at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("at needs a UTC offset, e.g. 2026-07-30T21:00:00+08:00 / 时间需带时区")
        return value.astimezone(dt.UTC)


class RoundCheckOut(BaseModel):
    zone: str
    at: dt.datetime = Field(description="The round's scheduled time.")
    checked_at: dt.datetime
    checked_by: str
    note: str | None


def _check_of(row: EventRow) -> RoundCheckOut | None:
    data = row.data or {}
    try:
        return RoundCheckOut(
            zone=str(data["zone"]),
            at=dt.datetime.fromisoformat(str(data["at"])),
            checked_at=row.at,
            checked_by=str(data.get("by", "")),
            note=data.get("note"),
        )
    except (KeyError, ValueError):
        return None


def checks_between(
    session: Session, *, start: dt.datetime, end: dt.datetime
) -> list[RoundCheckOut]:
    """Check-offs of rounds scheduled in [start, end), in round order."""
    rows = session.scalars(
        select(EventRow)
        .where(EventRow.type == CHECK_EVENT, EventRow.at >= start - _REACH)
        .order_by(EventRow.seq)
    )
    found = [c for c in map(_check_of, rows) if c is not None and start <= c.at < end]
    return sorted(found, key=lambda c: (c.at, c.zone))


@router.get(
    "/checks",
    response_model=list[RoundCheckOut],
    responses=error_responses(400, 401, 403, 422, 503),
)
def list_checks(
    session: ReadSession,
    _who: Reader,
    start: Annotated[dt.datetime, Query(alias="from", description="With a UTC offset.")],
    hours: Annotated[float, Query(gt=0, le=48)] = 24,
) -> list[RoundCheckOut]:
    """Rounds checked off among those scheduled from `from` for `hours`."""
    if start.tzinfo is None:
        raise ApiError("from needs a UTC offset, e.g. 2026-07-30T18:00:00+08:00 / 时间需带时区")
    return checks_between(session, start=start, end=start + dt.timedelta(hours=hours))


@router.post(
    "/checks",
    response_model=RoundCheckOut,
    status_code=201,
    responses=error_responses(400, 401, 403, 409, 422, 503),
)
def check_round(service: ServiceDep, who: Responder, body: RoundCheckIn) -> RoundCheckOut:
    """Record that a scheduled round was done; 409 if it was already checked off."""
    from gapwatch.alerts.records import publish

    zones = {z.id for z in service.site.spec.zones}
    if body.zone not in zones:
        raise ApiError(f"no zone {body.zone!r} in the site / 站点中没有区域 {body.zone!r}")
    now = utcnow()
    with transaction(service.sessions) as session:
        done = checks_between(session, start=body.at, end=body.at + dt.timedelta(seconds=1))
        if any(c.zone == body.zone for c in done):
            raise ConflictError("this round is already checked off / 该巡查已签到")
        data = {"zone": body.zone, "at": body.at.isoformat(), "by": who.name, "note": body.note}
        publish(session, at=now, type=CHECK_EVENT, data=data)
    return RoundCheckOut(
        zone=body.zone, at=body.at, checked_at=now, checked_by=who.name, note=body.note
    )
