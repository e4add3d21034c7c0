"""Check-offs of scheduled video-patrol rounds: the operator says a round was looked at, and
may take a mistaken tick back.

A check-off is kept as a live event (`patrol_round.checked`), an undo as another
(`patrol_round.unchecked`): the events table is durable and append-only, so both stay in the
record, and every open board sees them at once over the event stream. A round's state is its
last event.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.api.deps import ID_PATTERN, Reader, ReadSession, Responder, ServiceDep
from gapwatch.api.errors import ApiError, ConflictError, NotFoundError, error_responses
from gapwatch.runtime.pipeline import Service
from gapwatch.storage import EventRow, transaction, utcnow

__all__ = ["CHECK_EVENT", "UNDO_EVENT", "RoundCheckOut", "checks_between", "router"]

router = APIRouter(prefix="/api/v1/patrol-rounds", tags=["patrol plans"])

CHECK_EVENT = "patrol_round.checked"
UNDO_EVENT = "patrol_round.unchecked"
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
    undone_at: dt.datetime | None = Field(
        default=None, description="When the check-off was taken back (then it no longer counts)."
    )
    undone_by: str | None = None
    undo_note: str | None = None


def _round_of(data: dict[str, object]) -> tuple[str, dt.datetime] | None:
    try:
        return str(data["zone"]), dt.datetime.fromisoformat(str(data["at"]))
    except (KeyError, ValueError):
        return None


def _records_between(
    session: Session, *, start: dt.datetime, end: dt.datetime
) -> list[RoundCheckOut]:
    """The last check-off of each round scheduled in [start, end), undone or not."""
    rows = session.scalars(
        select(EventRow)
        .where(EventRow.type.in_((CHECK_EVENT, UNDO_EVENT)), EventRow.at >= start - _REACH)
        .order_by(EventRow.seq)
    )
    last: dict[tuple[str, dt.datetime], RoundCheckOut] = {}
    for row in rows:
        data = row.data or {}
        key = _round_of(data)
        if key is None or not start <= key[1] < end:
            continue
        by, note = str(data.get("by", "")), data.get("note")
        if row.type == CHECK_EVENT:
            last[key] = RoundCheckOut(
                zone=key[0], at=key[1], checked_at=row.at, checked_by=by, note=note
            )
        elif key in last:
            last[key] = last[key].model_copy(
                update={"undone_at": row.at, "undone_by": by, "undo_note": note}
            )
    return sorted(last.values(), key=lambda c: (c.at, c.zone))


def checks_between(
    session: Session, *, start: dt.datetime, end: dt.datetime
) -> list[RoundCheckOut]:
    """Check-offs in force of rounds scheduled in [start, end), in round order."""
    return [c for c in _records_between(session, start=start, end=end) if c.undone_at is None]


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
    undone: Annotated[
        bool, Query(description="Also list check-offs taken back (with undone_at set).")
    ] = False,
) -> list[RoundCheckOut]:
    """Rounds checked off among those scheduled from `from` for `hours`."""
    if start.tzinfo is None:
        raise ApiError("from needs a UTC offset, e.g. 2026-07-30T18:00:00+08:00 / 时间需带时区")
    end = start + dt.timedelta(hours=hours)
    if undone:
        return _records_between(session, start=start, end=end)
    return checks_between(session, start=start, end=end)


@router.post(
    "/checks",
    response_model=RoundCheckOut,
    status_code=201,
    responses=error_responses(400, 401, 403, 409, 422, 503),
)
def check_round(service: ServiceDep, who: Responder, body: RoundCheckIn) -> RoundCheckOut:
    """Record that a scheduled round was done; 409 if it was already checked off."""
    from gapwatch.alerts.records import publish

    _known_zone(service, body.zone)
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


@router.post(
    "/checks/undo",
    response_model=RoundCheckOut,
    responses=error_responses(400, 401, 403, 404, 422, 503),
)
def undo_check(service: ServiceDep, who: Responder, body: RoundCheckIn) -> RoundCheckOut:
    """Take back a round's check-off (kept in the record, with who and when); 404 if the round
    is not checked off."""
    from gapwatch.alerts.records import publish

    _known_zone(service, body.zone)
    now = utcnow()
    with transaction(service.sessions) as session:
        done = checks_between(session, start=body.at, end=body.at + dt.timedelta(seconds=1))
        check = next((c for c in done if c.zone == body.zone), None)
        if check is None:
            raise NotFoundError("this round is not checked off / 该巡查未签到")
        data = {"zone": body.zone, "at": body.at.isoformat(), "by": who.name, "note": body.note}
        publish(session, at=now, type=UNDO_EVENT, data=data)
    undone = {"undone_at": now, "undone_by": who.name, "undo_note": body.note}
    return check.model_copy(update=undone)


def _known_zone(service: Service, zone: str) -> None:
    if zone not in {z.id for z in service.site.spec.zones}:
        raise ApiError(f"no zone {zone!r} in the site / 站点中没有区域 {zone!r}")
