"""Patrol tasks: the list, and status callbacks from the dispatch system and units."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from gapwatch.api.deps import (
    ID_PATTERN,
    Dispatcher,
    Page,
    PagingQuery,
    Reader,
    ReadSession,
    ServiceDep,
)
from gapwatch.api.errors import NotFoundError, error_responses, refusals_as_conflicts
from gapwatch.api.schemas import TaskOut, TaskStatusOut, task_out
from gapwatch.storage import TaskRow, transaction, utcnow

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])

TaskId = Annotated[str, Path(pattern=ID_PATTERN, description="Task id (the webhook's task id).")]
ReportedStatus = Literal["accepted", "en_route", "on_scene", "cleared", "rejected"]


class TaskStatusIn(BaseModel):
    """A status report from the dispatch system: accepted → en_route → on_scene → cleared,
    or rejected."""

    status: ReportedStatus
    note: Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")] | None = None


@router.get("", response_model=Page[TaskOut], responses=error_responses(401, 403, 422, 503))
def list_tasks(
    session: ReadSession,
    _who: Reader,
    paging: PagingQuery,
    status: Annotated[TaskStatusOut | None, Query()] = None,
    kind: Annotated[Literal["video_patrol", "road_patrol"] | None, Query()] = None,
    alert_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> Page[TaskOut]:
    """Tasks, newest first."""
    query = select(TaskRow)
    if status is not None:
        query = query.where(TaskRow.status == status)
    if kind is not None:
        query = query.where(TaskRow.kind == kind)
    if alert_id is not None:
        query = query.where(TaskRow.alert_id == alert_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(TaskRow.created_at.desc(), TaskRow.id)
        .limit(paging.limit)
        .offset(paging.offset)
    )
    items = [task_out(row) for row in rows]
    return Page[TaskOut](items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post(
    "/{task_id}/status",
    response_model=TaskOut,
    responses=error_responses(400, 401, 403, 404, 409, 422, 503),
)
def report_status(
    service: ServiceDep, who: Dispatcher, task_id: TaskId, body: TaskStatusIn
) -> TaskOut:
    """Record a status report; 409 when the task cannot move to it from where it is."""
    with refusals_as_conflicts(service), transaction(service.sessions) as session:
        if session.get(TaskRow, task_id) is None:
            raise NotFoundError(f"no task {task_id!r} / 没有任务 {task_id!r}")
        task = service.alerts.task_status(
            session, task_id=task_id, status=body.status, by=who.name, at=utcnow(), note=body.note
        )
        session.flush()
        return task_out(task)
