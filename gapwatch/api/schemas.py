"""Response and request bodies shared by the alert and task routes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from gapwatch.storage import AlertRow, TaskRow

__all__ = ["AlertOut", "TaskOut", "alert_out", "task_out"]

TaskKindOut = Literal["video_patrol", "road_patrol"]
TaskStatusOut = Literal[
    "pending",
    "dispatched",
    "accepted",
    "en_route",
    "on_scene",
    "cleared",
    "rejected",
    "cancelled",
    "done",
]
AlertStatusOut = Literal["open", "acknowledged", "resolved"]


class TaskOut(BaseModel):
    """A video_patrol or road_patrol task and where it stands."""

    id: str
    alert_id: str
    kind: TaskKindOut
    status: TaskStatusOut
    assignee: str | None
    payload: dict[str, Any] = Field(description="What the task says: cameras to use, route, goal.")
    created_at: dt.datetime
    updated_at: dt.datetime


class AlertOut(BaseModel):
    """An alert: which cameras failed, which ground went unwatched, its lifecycle and tasks."""

    id: str
    kind: str
    status: AlertStatusOut
    severity: int
    cameras: list[str]
    zones: list[str]
    blind_spot_m2: float
    blind_spots: list[dict[str, Any]] = Field(description="GeoJSON Features in lon/lat.")
    flapping: bool
    silenced: bool
    opened_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    resolved_at: dt.datetime | None
    resolved_by: str | None
    resolution: str | None
    assignee: str | None
    escalation_level: int
    tasks: list[TaskOut]
    road_patrol: TaskOut | None = Field(
        default=None,
        description="The road patrol assigned now (a refused one is replaced; see tasks for all).",
    )


def task_out(row: TaskRow) -> TaskOut:
    """The API view of a task row."""
    return TaskOut(
        id=row.id,
        alert_id=row.alert_id,
        kind=row.kind,
        status=row.status,
        assignee=row.assignee,
        payload=dict(row.payload),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def alert_out(row: AlertRow, *, blind_spots: bool = True) -> AlertOut:
    """The API view of an alert row with its tasks (`blind_spots=False`: with none, for
    `alert_out_json` to put the stored text in)."""
    return AlertOut(
        id=row.id,
        kind=row.kind,
        status=row.status,
        severity=row.severity,
        cameras=list(row.cameras),
        zones=list(row.zones),
        blind_spot_m2=row.blind_spot_m2,
        blind_spots=list(row.blind_spots) if blind_spots else [],
        flapping=row.flapping,
        silenced=row.silenced,
        opened_at=row.opened_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        resolution=row.resolution,
        assignee=row.assignee,
        escalation_level=row.escalation_level,
        tasks=[task_out(t) for t in row.tasks],
        road_patrol=_current_road(row),
    )


def with_raw_json(text: str, key: str, raw: str) -> str:
    """`text`, a model's JSON dumped with `key` empty (`[]`), with the JSON text `raw` as that
    key's value: written once and stored (GeoJSON of blind spots), it is not decoded only to be
    encoded again.

    The first `"key":[]` in `text` is the key itself: a JSON string cannot hold an unescaped
    quote, so no value can look like it; the callers' models have that key once, at their top
    level (a nested model of theirs has no such key).
    """
    empty = f'"{key}":[]'
    at = text.find(empty)
    if at < 0:
        raise ValueError(f"{key!r} is not an empty list in this JSON")
    return f'{text[:at]}"{key}":{raw}{text[at + len(empty) :]}'


def alert_out_json(row: AlertRow, blind_spots_text: str | None) -> str:
    """`alert_out(row)` as JSON, with the blind spots as the store holds them (`blind_spots`
    read as text): a zone outage's GeoJSON is hundreds of kilobytes, and decoding it to write
    it again was most of a list request's time."""
    text = alert_out(row, blind_spots=False).model_dump_json()
    return with_raw_json(text, "blind_spots", blind_spots_text or "[]")


def _current_road(row: AlertRow) -> TaskOut | None:
    from gapwatch.patrol import current_road_patrol

    road = current_road_patrol(row.tasks)
    return task_out(road) if road is not None else None
