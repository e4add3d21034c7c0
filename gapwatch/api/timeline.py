"""An alert's whole story in time order: its own audit lines (opened, cameras joined, escalated,
acknowledged, resolved, notes) and every line of its tasks' trails (created, status reports with
the dispatcher's note, reassignments), each with who and when; and operators' notes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.api.deps import ID_PATTERN, Reader, ReadSession, Responder, ServiceDep
from gapwatch.api.errors import NotFoundError, error_responses
from gapwatch.storage import AlertLogRow, AlertRow, TaskLogRow, TaskRow, transaction, utcnow

__all__ = ["TimelineEntry", "router", "timeline_of"]

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

AlertId = Annotated[str, Path(pattern=ID_PATTERN, description="Alert id.")]
NoteText = Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*\S[^\x00]*$")]


class TimelineEntry(BaseModel):
    """One thing that happened to the alert or one of its tasks."""

    at: dt.datetime
    actor: str = Field(description="Who: a token's name, a unit, or `system`.")
    source: Literal["alert", "task"]
    action: str = Field(description="e.g. opened, acknowledged, note, status, escalated.")
    task_id: str | None = None
    task_kind: str | None = None
    from_status: str | None = Field(default=None, description="Task status before a report.")
    to_status: str | None = Field(default=None, description="Task status after a report.")
    note: str | None = Field(default=None, description="A person's words, as typed.")
    detail: dict[str, Any] = Field(default_factory=dict)


class TimelineOut(BaseModel):
    alert_id: str
    entries: list[TimelineEntry]


class NoteIn(BaseModel):
    """A remark for the record, e.g. what the operator saw or whom they called."""

    note: NoteText


_SYSTEM_HOW = (None, "resolved by hand")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def timeline_of(session: Session, alert_id: str) -> list[TimelineEntry]:
    """Alert and task audit lines of `alert_id`, oldest first (alert lines first on a tie)."""
    entries: list[tuple[dt.datetime, int, int, TimelineEntry]] = []
    for row in session.scalars(select(AlertLogRow).where(AlertLogRow.alert_id == alert_id)):
        detail = dict(row.detail or {})
        note = _text(detail.get("note"))
        how = _text(detail.get("how"))
        # A resolve note is kept as `how`; the engine's own wording of a hand resolve is not one.
        if (
            note is None
            and row.action == "resolved"
            and how not in _SYSTEM_HOW
            and row.actor != "system"
        ):
            note = how
        entry = TimelineEntry(
            at=row.at,
            actor=row.actor,
            source="alert",
            action=row.action,
            note=note,
            detail=detail,
        )
        entries.append((row.at, 0, row.id, entry))
    tasks = session.execute(
        select(TaskLogRow, TaskRow.kind)
        .join(TaskRow, TaskRow.id == TaskLogRow.task_id)
        .where(TaskRow.alert_id == alert_id)
    )
    for line, kind in tasks:
        detail = dict(line.detail or {})
        entry = TimelineEntry(
            at=line.at,
            actor=line.actor,
            source="task",
            action=line.action,
            task_id=line.task_id,
            task_kind=kind,
            from_status=_text(detail.get("from")) if line.action == "status" else None,
            to_status=_text(detail.get("to")) if line.action == "status" else None,
            note=_text(detail.get("note")),
            detail=detail,
        )
        entries.append((line.at, 1, line.id, entry))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    return [e[3] for e in entries]


@router.get(
    "/{alert_id}/timeline",
    response_model=TimelineOut,
    responses=error_responses(401, 403, 404, 422, 503),
)
def alert_timeline(session: ReadSession, _who: Reader, alert_id: AlertId) -> TimelineOut:
    """Everything that happened to the alert and its tasks, who did it and when, oldest first."""
    if session.get(AlertRow, alert_id) is None:
        raise NotFoundError(f"no alert {alert_id!r} / 没有告警 {alert_id!r}")
    return TimelineOut(alert_id=alert_id, entries=timeline_of(session, alert_id))


@router.post(
    "/{alert_id}/notes",
    response_model=TimelineEntry,
    status_code=201,
    responses=error_responses(400, 401, 403, 404, 422, 503),
)
def add_note(service: ServiceDep, who: Responder, alert_id: AlertId, body: NoteIn) -> TimelineEntry:
    """Add an operator's note to the alert's record (resolved alerts too: handover remarks)."""
    from gapwatch.alerts.records import alert_log, publish

    now = utcnow()
    note = body.note.strip()
    with transaction(service.sessions) as session:
        alert = session.get(AlertRow, alert_id)
        if alert is None:
            raise NotFoundError(f"no alert {alert_id!r} / 没有告警 {alert_id!r}")
        alert_log(session, alert, at=now, actor=who.name, action="note", detail={"note": note})
        publish(
            session,
            at=now,
            type="alert.note",
            data={"id": alert.id, "by": who.name, "at": now.isoformat()},
        )
    return TimelineEntry(
        at=now, actor=who.name, source="alert", action="note", note=note, detail={"note": note}
    )
