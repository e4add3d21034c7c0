"""Patrol tasks: the list, one task, and status callbacks from the dispatch system and units.

A dispatcher token reaches only its own tasks: those sent to the dispatch endpoint it is bound
to and/or assigned to its patrol unit. Another task answers 404 exactly as a task that does not
exist, so a dispatcher cannot even learn which task ids are real.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from gapwatch.api.auth import Permission, Principal, require_any
from gapwatch.api.deps import (
    ID_PATTERN,
    Dispatcher,
    Page,
    PagingQuery,
    ReadSession,
    ServiceDep,
)
from gapwatch.api.errors import ApiError, NotFoundError, error_responses, refusals_as_conflicts
from gapwatch.api.schemas import TaskOut, TaskStatusOut, task_out
from gapwatch.storage import OutboxRow, TaskRow, utcnow

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])

TaskId = Annotated[str, Path(pattern=ID_PATTERN, description="Task id (the webhook's task id).")]
ReportedStatus = Literal["accepted", "en_route", "on_scene", "cleared", "rejected"]

# Readers see every task; a dispatcher only its own (see `_visible`).
TaskViewer = Annotated[Principal, Depends(require_any(Permission.read, Permission.task_status))]


class UnboundDispatcher(ApiError):
    status_code = 403


def _visible(query: Select[TaskRow], who: Principal) -> Select[TaskRow]:
    """`query` narrowed to the tasks `who` may see: all for readers, a dispatcher's own."""
    if not who.task_scoped:
        return query
    if who.endpoint_id is None and who.unit_id is None:
        raise UnboundDispatcher(
            "this dispatcher token is bound to no dispatch endpoint or patrol unit, so it reaches "
            "no task; an admin creates a bound one (endpoint_id, unit_id) / 此调度令牌未绑定调度"
            "端点或巡逻单元，无法访问任务；请管理员创建绑定的令牌"
        )
    if who.endpoint_id is not None:
        sent_there = exists().where(
            OutboxRow.task_id == TaskRow.id, OutboxRow.endpoint_id == who.endpoint_id
        )
        query = query.where(sent_there)
    if who.unit_id is not None:
        query = query.where(TaskRow.assignee == who.unit_id)
    return query


def _task(session: Session, task_id: str, who: Principal) -> TaskRow:
    row = session.scalar(_visible(select(TaskRow).where(TaskRow.id == task_id), who))
    if row is None:
        raise NotFoundError(f"no task {task_id!r} / 没有任务 {task_id!r}")
    return row


class TaskStatusIn(BaseModel):
    """A status report from the dispatch system: accepted → en_route → on_scene → cleared,
    or rejected."""

    status: ReportedStatus
    note: Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")] | None = None


@router.get("", response_model=Page[TaskOut], responses=error_responses(401, 403, 422, 503))
def list_tasks(
    session: ReadSession,
    who: TaskViewer,
    paging: PagingQuery,
    status: Annotated[TaskStatusOut | None, Query()] = None,
    kind: Annotated[Literal["video_patrol", "road_patrol"] | None, Query()] = None,
    alert_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> Page[TaskOut]:
    """Tasks, newest first (a dispatcher's own only)."""
    query = _visible(select(TaskRow), who)
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


@router.get(
    "/{task_id}", response_model=TaskOut, responses=error_responses(401, 403, 404, 422, 503)
)
def get_task(session: ReadSession, who: TaskViewer, task_id: TaskId) -> TaskOut:
    """One task; 404 for a task that is not the dispatcher's own."""
    return task_out(_task(session, task_id, who))


@router.post(
    "/{task_id}/status",
    response_model=TaskOut,
    responses=error_responses(400, 401, 403, 404, 409, 422, 503),
)
def report_status(
    service: ServiceDep, who: Dispatcher, task_id: TaskId, body: TaskStatusIn
) -> TaskOut:
    """Record a status report; 409 when the task cannot move to it from where it is, 404 when
    it is not the dispatcher's own."""
    with refusals_as_conflicts(service), service.engine_transaction() as session:
        _task(session, task_id, who)
        task = service.alerts.task_status(
            session, task_id=task_id, status=body.status, by=who.name, at=utcnow(), note=body.note
        )
        session.flush()
        return task_out(task)
