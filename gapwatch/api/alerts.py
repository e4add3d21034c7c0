"""Alerts: the live board (filter, page), acknowledge, resolve, assign; and silences."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import ColumnElement, String, Text, cast, func, or_, select
from sqlalchemy.orm import Session, defer, selectinload

from gapwatch.api.auth import Principal
from gapwatch.api.deps import (
    ID_PATTERN,
    Page,
    PagingQuery,
    Reader,
    ReadSession,
    Responder,
    ServiceDep,
)
from gapwatch.api.errors import (
    ApiError,
    ConflictError,
    NotFoundError,
    error_responses,
    refusals_as_conflicts,
)
from gapwatch.api.schemas import AlertOut, alert_out, alert_out_json
from gapwatch.api.times import AwareMoment
from gapwatch.runtime.pipeline import Service
from gapwatch.storage import AlertLogRow, AlertRow, SilenceRow, transaction, utcnow

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["alerts"])

AlertId = Annotated[str, Path(pattern=ID_PATTERN, description="Alert id.")]
Name = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")]
Note = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")]
StatusFilter = Literal["open", "acknowledged", "resolved", "active"]


class NoteIn(BaseModel):
    """An optional remark kept in the alert's audit trail."""

    note: Note | None = None


class AssignIn(BaseModel):
    """Who takes care of the alert (an operator's name or a patrol unit id)."""

    assignee: Name
    note: Note | None = None


class SilenceIn(BaseModel):
    """Failures of these cameras, zones or groups are recorded, not alerted, until `ends_at`."""

    cameras: list[Name] = Field(default_factory=list, max_length=500)
    zones: list[Name] = Field(default_factory=list, max_length=500)
    groups: list[Name] = Field(default_factory=list, max_length=500)
    starts_at: AwareMoment | None = Field(default=None, description="Default: now.")
    ends_at: AwareMoment
    comment: Note | None = None

    @model_validator(mode="after")
    def _check(self) -> SilenceIn:
        if not (self.cameras or self.zones or self.groups):
            raise ValueError("a silence needs at least one camera, zone or group")
        if self.ends_at.tzinfo is None or (
            self.starts_at is not None and self.starts_at.tzinfo is None
        ):
            raise ValueError("times need a UTC offset, e.g. 2026-07-30T21:00:00+08:00")
        if self.ends_at <= (self.starts_at or dt.datetime.now(dt.UTC)):
            raise ValueError("ends_at must be after starts_at (and in the future)")
        return self


class SilenceOut(BaseModel):
    id: str
    cameras: list[str]
    zones: list[str]
    groups: list[str]
    starts_at: dt.datetime
    ends_at: dt.datetime
    created_by: str
    comment: str | None


class AlertLogOut(BaseModel):
    at: dt.datetime
    actor: str
    action: str


class AlertDetailOut(AlertOut):
    log: list[AlertLogOut]


def _load(session: Session, alert_id: str) -> AlertRow:
    alert = session.get(AlertRow, alert_id, options=[selectinload(AlertRow.tasks)])
    if alert is None:
        raise NotFoundError(f"no alert {alert_id!r} / 没有告警 {alert_id!r}")
    return alert


def _matching(service: Service, text: str) -> ColumnElement[bool]:
    """Alerts whose id has `text`, or that hold a camera or zone whose id or name has it."""
    needle = text.casefold()
    spec = service.site.spec
    cameras = [c.id for c in spec.cameras if needle in f"{c.id} {c.name}".casefold()]
    zones = [z.id for z in spec.zones if needle in f"{z.id} {z.name} {z.name_en or ''}".casefold()]
    # The text is matched literally: LIKE's own wildcards in it are escaped.
    literal = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    terms: list[ColumnElement[bool]] = [func.lower(AlertRow.id).like(f"%{literal}%", escape="\\")]
    terms += [cast(AlertRow.cameras, String).like(f'%"{c}"%') for c in cameras]
    terms += [cast(AlertRow.zones, String).like(f'%"{z}"%') for z in zones]
    return or_(*terms)


@router.get("/alerts", response_model=Page[AlertOut], responses=error_responses(401, 403, 422, 503))
def list_alerts(
    service: ServiceDep,
    session: ReadSession,
    _who: Reader,
    paging: PagingQuery,
    status: Annotated[
        StatusFilter | None, Query(description="`active` means open or acknowledged.")
    ] = None,
    kind: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    severity_min: Annotated[int | None, Query(ge=1, le=5)] = None,
    camera: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    zone: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    opened_from: Annotated[
        dt.datetime | None, Query(description="Opened at or after (with a UTC offset).")
    ] = None,
    opened_to: Annotated[
        dt.datetime | None, Query(description="Opened before (with a UTC offset).")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            pattern=r"^[^\x00-\x1f]+$",
            description="Text in the alert id or in a camera's or zone's id or name.",
        ),
    ] = None,
) -> Response:
    """Alerts, most severe and newest first."""
    query = select(AlertRow)
    for name, value in (("opened_from", opened_from), ("opened_to", opened_to)):
        if value is not None and value.tzinfo is None:
            raise ApiError(
                f"{name} needs a UTC offset, e.g. 2026-07-30T21:00:00+08:00 / 时间需带时区"
            )
    if opened_from is not None:
        query = query.where(AlertRow.opened_at >= opened_from)
    if opened_to is not None:
        query = query.where(AlertRow.opened_at < opened_to)
    if q is not None:
        query = query.where(_matching(service, q.strip()))
    if status == "active":
        query = query.where(AlertRow.status != "resolved")
    elif status is not None:
        query = query.where(AlertRow.status == status)
    if kind is not None:
        query = query.where(AlertRow.kind == kind)
    if severity_min is not None:
        query = query.where(AlertRow.severity >= severity_min)
    # JSON lists of ids: match the quoted id in their text form (works on SQLite and PostgreSQL).
    if camera is not None:
        query = query.where(cast(AlertRow.cameras, String).like(f'%"{camera}"%'))
    if zone is not None:
        query = query.where(cast(AlertRow.zones, String).like(f'%"{zone}"%'))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.add_columns(cast(AlertRow.blind_spots, Text))
        .options(selectinload(AlertRow.tasks), defer(AlertRow.blind_spots))
        .order_by(AlertRow.severity.desc(), AlertRow.opened_at.desc(), AlertRow.id)
        .limit(paging.limit)
        .offset(paging.offset)
    )
    # Written here around the stored blind-spot text (see alert_out_json); the page has the
    # shape of Page[AlertOut].
    items = ",".join(alert_out_json(row, spots) for row, spots in rows)
    return Response(
        f'{{"items":[{items}],"total":{total},"limit":{paging.limit},"offset":{paging.offset}}}',
        media_type="application/json",
    )


@router.get(
    "/alerts/{alert_id}",
    response_model=AlertDetailOut,
    responses=error_responses(401, 403, 404, 422, 503),
)
def get_alert(session: ReadSession, _who: Reader, alert_id: AlertId) -> AlertDetailOut:
    """One alert with its tasks and audit trail."""
    alert = _load(session, alert_id)
    log = session.scalars(
        select(AlertLogRow).where(AlertLogRow.alert_id == alert_id).order_by(AlertLogRow.id)
    )
    return AlertDetailOut(
        **alert_out(alert).model_dump(),
        log=[AlertLogOut(at=row.at, actor=row.actor, action=row.action) for row in log],
    )


_WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 503)


def _act(
    service: Service,
    who: Principal,
    alert_id: str,
    action: Literal["acknowledge", "resolve"],
    note: str | None,
) -> AlertOut:
    engine = service.alerts
    with refusals_as_conflicts(service), service.engine_transaction() as session:
        _load(session, alert_id)
        method = engine.acknowledge if action == "acknowledge" else engine.resolve
        method(session, alert_id=alert_id, by=who.name, at=utcnow(), note=note)
        session.flush()
        session.expire_all()
        return alert_out(_load(session, alert_id))


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut, responses=_WRITE_ERRORS)
def acknowledge(
    service: ServiceDep, who: Responder, alert_id: AlertId, body: NoteIn | None = None
) -> AlertOut:
    """Acknowledge an open alert: someone is on it. 409 if it is already resolved."""
    return _act(service, who, alert_id, "acknowledge", body.note if body else None)


@router.post("/alerts/{alert_id}/resolve", response_model=AlertOut, responses=_WRITE_ERRORS)
def resolve(
    service: ServiceDep, who: Responder, alert_id: AlertId, body: NoteIn | None = None
) -> AlertOut:
    """Resolve an alert by hand; its unfinished tasks are cancelled. 409 if already resolved."""
    return _act(service, who, alert_id, "resolve", body.note if body else None)


@router.post(
    "/alerts/{alert_id}/assign",
    response_model=AlertOut,
    responses=error_responses(400, 401, 403, 404, 409, 422, 503),
)
def assign(service: ServiceDep, who: Responder, alert_id: AlertId, body: AssignIn) -> AlertOut:
    """Hand an unresolved alert to a person or unit."""
    from gapwatch.alerts.records import alert_log, publish

    now = utcnow()
    with transaction(service.sessions) as session:
        alert = _load(session, alert_id)
        if alert.status == "resolved":
            raise ConflictError(f"alert {alert_id} is resolved / 告警已解决")
        alert.assignee = body.assignee
        alert_log(
            session,
            alert,
            at=now,
            actor=who.name,
            action="assigned",
            detail={"assignee": body.assignee, "note": body.note},
        )
        publish(
            session,
            at=now,
            type="alert.assigned",
            data={"id": alert.id, "assignee": body.assignee, "by": who.name},
        )
        session.flush()
        return alert_out(alert)


@router.post(
    "/silences",
    response_model=SilenceOut,
    status_code=201,
    responses=error_responses(400, 401, 403, 409, 422, 503),
)
def create_silence(service: ServiceDep, who: Responder, body: SilenceIn) -> SilenceOut:
    """Silence cameras, zones or groups for a while: failures are recorded, not alerted."""
    from gapwatch.alerts.records import publish

    with refusals_as_conflicts(service), service.engine_transaction() as session:
        row = service.alerts.add_silence(
            session,
            starts_at=body.starts_at or utcnow(),
            ends_at=body.ends_at,
            by=who.name,
            cameras=body.cameras,
            zones=body.zones,
            groups=body.groups,
            comment=body.comment,
        )
        session.flush()
        out = _silence_out(row)
        # Every console showing the duty tab lists it at once, as it does when a silence ends.
        publish(
            session,
            at=row.created_at,
            type="silence.created",
            data=out.model_dump(
                mode="json", include={"id", "cameras", "zones", "groups", "ends_at"}
            )
            | {"by": who.name},
        )
        return out


@router.get("/silences", response_model=list[SilenceOut], responses=error_responses(401, 403, 503))
def list_silences(session: ReadSession, _who: Reader) -> list[SilenceOut]:
    """Silences that have not ended yet."""
    rows = session.scalars(
        select(SilenceRow).where(SilenceRow.ends_at > utcnow()).order_by(SilenceRow.ends_at)
    )
    return [_silence_out(row) for row in rows]


def _silence_out(row: SilenceRow) -> SilenceOut:
    return SilenceOut(
        id=row.id,
        cameras=list(row.cameras),
        zones=list(row.zones),
        groups=list(row.groups),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        created_by=row.created_by,
        comment=row.comment,
    )
