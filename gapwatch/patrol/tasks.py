"""Patrol tasks raised with an alert: what they say, and which status reports they accept.

A **video_patrol** task lists the working cameras and PTZ presets that see into the blind ground,
most ground first, for an operator to switch to. A **road_patrol** task sends the nearest free
unit (by travel time over the roads) to the blind ground, with the route and the point to go to.

Status flow (CAD convention):
- road_patrol: dispatched → accepted → en_route → on_scene → cleared; `rejected` from dispatched
  or accepted; `cancelled` before arrival (the camera came back, or the video patrol confirmed the
  ground is seen). A rejection ends that task and a **new** road_patrol task goes to the
  next-nearest free unit that has not refused this alert: each unit's task keeps its own id and
  audit trail, and dispatch receives one clear message per unit asked. When no unit is free the
  task waits as `pending` without an assignee; at the next tick after a unit is freed it is
  cancelled and a new task goes to that unit.
- video_patrol: dispatched → accepted → `cleared` (the operator confirms the blind ground is seen
  through other cameras: the road patrol is no longer needed) or `done` (looked, could not see
  it all: the road patrol carries on); `cancelled` when the camera comes back first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from gapwatch.patrol.routing import RoutePlan

__all__ = [
    "ACTIVE_STATUSES",
    "ARRIVED_STATUSES",
    "MIN_VIEW_M2",
    "NO_VIDEO_VIEW_NOTE",
    "TERMINAL_STATUSES",
    "TaskError",
    "TaskKind",
    "ViewChoice",
    "check_transition",
    "current_road_patrol",
    "road_patrol_payload",
    "useful_views",
    "video_patrol_payload",
]

TaskKind = Literal["video_patrol", "road_patrol"]

TERMINAL_STATUSES: frozenset[str] = frozenset({"cleared", "rejected", "cancelled", "done"})
ACTIVE_STATUSES: frozenset[str] = frozenset(
    {"pending", "dispatched", "accepted", "en_route", "on_scene"}
)
ARRIVED_STATUSES: frozenset[str] = frozenset({"on_scene", "cleared"})

_ROAD_FLOW: Mapping[str, frozenset[str]] = {
    "pending": frozenset({"dispatched", "accepted", "rejected", "cancelled"}),
    "dispatched": frozenset({"accepted", "en_route", "on_scene", "rejected", "cancelled"}),
    "accepted": frozenset({"en_route", "on_scene", "cleared", "rejected", "cancelled"}),
    "en_route": frozenset({"on_scene", "cleared", "cancelled"}),
    "on_scene": frozenset({"cleared"}),
}
_VIDEO_FLOW: Mapping[str, frozenset[str]] = {
    "pending": frozenset({"dispatched", "accepted", "cleared", "done", "cancelled"}),
    "dispatched": frozenset({"accepted", "cleared", "done", "cancelled"}),
    "accepted": frozenset({"cleared", "done", "cancelled"}),
}


class TaskError(ValueError):
    """A status report a task cannot take (unknown status, or not from its current one)."""


def check_transition(kind: str, current: str, new: str) -> bool:
    """Whether `kind` task may go from `current` to `new`; False for a harmless repeat.

    Raises TaskError for a move the flow does not allow.
    """
    if new == current:
        return False
    flow = _ROAD_FLOW if kind == "road_patrol" else _VIDEO_FLOW
    allowed = flow.get(current, frozenset())
    if new not in allowed:
        if current in TERMINAL_STATUSES:
            raise TaskError(f"task is already {current}; {new!r} cannot follow")
        choices = ", ".join(sorted(allowed)) or "none"
        raise TaskError(
            f"a {kind} task that is {current} cannot become {new!r} (allowed: {choices})"
        )
    return True


class _TaskLike(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def created_at(self) -> dt.datetime: ...


T = TypeVar("T", bound=_TaskLike)


def current_road_patrol(tasks: Sequence[T]) -> T | None:
    """The road patrol an alert has now: the newest one (a refusal or a freed unit replaces a
    road patrol with a new task, so older ones are history), or None."""
    roads = [(t.created_at, i, t) for i, t in enumerate(tasks) if t.kind == "road_patrol"]
    return max(roads, key=lambda item: (item[0], item[1]))[2] if roads else None


MIN_VIEW_M2 = 0.5
"""A view that sees less of the gap than the ground one person stands on cannot show an incident
there. Views that only touch the gap's edge see 1e-12 m² slivers (floating-point residue of
the overlay) and would read "sees 0 %": a video patrol never lists them."""

NO_VIDEO_VIEW_NOTE = {
    "zh-CN": "没有可用摄像机能看到该盲区：只有现场巡逻能查看",
    "en": "No working camera sees any of this blind spot: only a patrol on the ground can check it",
}


def useful_views(views: Sequence[ViewChoice]) -> list[ViewChoice]:
    """The views a video patrol lists: those that see part of the gap."""
    return [v for v in views if v.seen_m2 >= MIN_VIEW_M2]


@dataclass(frozen=True)
class ViewChoice:
    """One camera or preset the operator should look through."""

    camera: str
    preset: str | None
    seen_m2: float
    share: float


def video_patrol_payload(
    *,
    alert_id: str,
    cameras_down: Sequence[str],
    views: Sequence[ViewChoice],
    blind_spots: Sequence[Mapping[str, Any]],
    blind_spot_m2: float,
) -> dict[str, Any]:
    """The body of a video_patrol task: cameras and presets to use instead, best first."""
    return {
        "alert_id": alert_id,
        "cameras_down": list(cameras_down),
        "views": [
            {
                "camera": v.camera,
                "preset": v.preset,
                "seen_m2": round(v.seen_m2, 2),
                "share": round(v.share, 4),
            }
            for v in views
        ],
        "seen_share": round(min(1.0, sum(v.share for v in views if v.preset is None)), 4),
        "blind_spot_m2": round(blind_spot_m2, 2),
        "blind_spots": list(blind_spots),
    }


def road_patrol_payload(
    *,
    alert_id: str,
    plan: RoutePlan | None,
    zone: str | None,
    blind_spot_m2: float,
    target_geometry: Mapping[str, Any],
    attempt: int,
    refused_by: Sequence[str],
    video_views: bool = True,
) -> dict[str, Any]:
    """The body of a road_patrol task: who goes, how, and where to.

    `video_views` False: no working camera sees any of the gap, so there is no video patrol
    and the unit on the ground is the only eye there; the body says so."""
    body: dict[str, Any] = {
        "alert_id": alert_id,
        "zone": zone,
        "blind_spot_m2": round(blind_spot_m2, 2),
        "gap": dict(target_geometry),
        "attempt": attempt,
        "refused_by": list(refused_by),
        "video_views": video_views,
    }
    if not video_views:
        body["note"] = NO_VIDEO_VIEW_NOTE
    if plan is None:
        body.update(unit=None, reason="no free patrol unit")
        return body
    body.update(
        unit=plan.unit,
        unit_kind=plan.kind,
        eta_s=round(plan.eta_s, 1),
        distance_m=round(plan.distance_m, 1),
        on_roads=plan.on_roads,
        target={"type": "Point", "coordinates": [round(c, 7) for c in plan.target]},
        route={
            "type": "LineString",
            "coordinates": [[round(x, 7), round(y, 7)] for x, y in plan.route],
        },
    )
    return body
