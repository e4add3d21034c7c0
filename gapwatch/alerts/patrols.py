"""Raising the patrol tasks of an alert: the video patrol (cameras and presets that see into the
blind ground) and the road patrol (the nearest free unit by road), and telling dispatch.

Functions over the engine's state; like the engine they take the session and never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from gapwatch.alerts import records
from gapwatch.alerts.severity import severity_name
from gapwatch.alerts.state import SYSTEM, OpenAlertState
from gapwatch.patrol import (
    ViewChoice,
    rank_units,
    road_patrol_payload,
    useful_views,
    video_patrol_payload,
)
from gapwatch.storage import AlertRow, TaskRow, new_id

if TYPE_CHECKING:
    from gapwatch.alerts.engine import AlertEngine

__all__ = ["raise_tasks", "road_task", "tell_dispatch", "video_payload", "video_views"]


def video_views(engine: AlertEngine, state: OpenAlertState) -> list[ViewChoice]:
    """Working cameras and presets that see part of the alert's blind ground, best first."""
    ground = engine.ground_of(state)
    options = engine.model.views_into(ground, engine.live.healthy) if not ground.is_empty else []
    return useful_views([ViewChoice(o.camera_id, o.preset_id, o.seen_m2, o.share) for o in options])


def video_payload(
    engine: AlertEngine,
    alert: AlertRow,
    state: OpenAlertState,
    views: Sequence[ViewChoice] | None = None,
) -> dict[str, Any]:
    """The video_patrol body: working cameras and presets that see into the blind ground."""
    return video_patrol_payload(
        alert_id=alert.id,
        cameras_down=sorted(state.down),
        views=video_views(engine, state) if views is None else views,
        blind_spots=alert.blind_spots,
        blind_spot_m2=alert.blind_spot_m2,
    )


def raise_tasks(
    engine: AlertEngine, session: Session, alert: AlertRow, state: OpenAlertState, at: dt.datetime
) -> None:
    """Create the alert's tasks and queue them for dispatch: a video_patrol when some working
    view sees part of the gap (none otherwise, and the road_patrol says so), and a road_patrol."""
    if not state.blind:
        return  # only slivers went blind: nothing to look at or drive to
    views = video_views(engine, state)
    tasks: list[TaskRow] = []
    if views:
        video = TaskRow(
            id=new_id("tk"),
            alert_id=alert.id,
            kind="video_patrol",
            status="dispatched",
            assignee=None,
            payload=video_payload(engine, alert, state, views),
            created_at=at,
            updated_at=at,
        )
        session.add(video)
        tasks.append(video)
    road = road_task(
        engine, session, alert, state, at, refused=[], attempt=1, video_views=bool(views)
    )
    tasks.append(road)
    state.task_ids += [t.id for t in tasks]
    # Written now: a later verdict of the same batch (the camera back already) looks the alert
    # and its tasks up by id, and `session.get` finds only rows already flushed.
    session.flush()
    for task in tasks:
        records.task_log(
            session,
            task,
            at=at,
            actor=SYSTEM,
            action="created",
            detail={"assignee": task.assignee},
        )
        tell_dispatch(engine, session, task, alert, event_type="task.created", at=at)


def road_task(
    engine: AlertEngine,
    session: Session,
    alert: AlertRow,
    state: OpenAlertState,
    at: dt.datetime,
    *,
    refused: Sequence[str],
    attempt: int,
    video_views: bool | None = None,
) -> TaskRow:
    """A road_patrol task for the nearest free unit that has not refused this alert.

    `video_views` None: whether the alert has a video patrol decides it."""
    if video_views is None:
        video_views = any(t.kind == "video_patrol" for t in engine.tasks_of(session, state))
    # Send the unit to the piece that matters most now: importance × m².
    importance = {z: engine.calendar.importance(z, at) for z in state.blind}
    zone = max(state.blind, key=lambda z: (importance[z] * state.blind[z].area, z))
    target = state.blind[zone]
    plans = rank_units(
        engine.roads,
        engine.units.positions,
        target,
        engine.site.projection,
        exclude={*refused, *engine.units.busy},
    )
    plan = plans[0] if plans else None
    payload = road_patrol_payload(
        alert_id=alert.id,
        plan=plan,
        zone=zone,
        blind_spot_m2=alert.blind_spot_m2,
        target_geometry=records.lonlat_geojson(target, engine.site.projection),
        attempt=attempt,
        refused_by=refused,
        video_views=video_views,
    )
    task = TaskRow(
        id=new_id("tk"),
        alert_id=alert.id,
        kind="road_patrol",
        status="dispatched" if plan is not None else "pending",
        assignee=plan.unit if plan is not None else None,
        payload=payload,
        created_at=at,
        updated_at=at,
    )
    session.add(task)
    if task.assignee is not None:
        engine.units.mark_busy(task.assignee, task.id)
    return task


def tell_dispatch(
    engine: AlertEngine,
    session: Session,
    task: TaskRow,
    alert: AlertRow,
    *,
    event_type: str,
    at: dt.datetime,
) -> None:
    """Queue a task message for every dispatch endpoint and show it on the live board."""
    body = records.task_message(task, alert, severity=severity_name(alert.severity))
    records.send(session, event_type=event_type, payload=body, at=at, task_id=task.id)
    records.publish(session, at=at, type=event_type, data=body["task"] | {"alert_id": alert.id})
