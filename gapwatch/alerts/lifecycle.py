"""What people and dispatch do to alerts and tasks: acknowledge, resolve, task status reports,
re-assigning a refused road patrol, silences, and escalation of alerts nobody took.

These are the engine's methods' bodies (the engine holds the lock and delegates here); like the
engine they take the session and the time, and never commit.

The lifecycle rules (the README's "Alert lifecycle rules" say the same to operators):
- A camera that is down always has an open alert, or a silence or maintenance window covering
  it. So resolving by hand an alert whose cameras the store says are down is refused
  (`CamerasStillDown`, a 409 in the API): "resolve" never means "stop watching"; a silence does,
  for a stated time. The alert resolves itself once its cameras are back and its tasks ended.
- A refusal is decided before anything changes, so the engine's memory needs no reload.
- A refused road patrol is replaced by a new task for the next free unit; the newest road patrol
  is the one shown (`gapwatch.patrol.current_road_patrol`).
- A video patrol that confirms the ground is seen stands down road patrols not yet on scene.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.alerts import patrols, records
from gapwatch.alerts.severity import severity_name
from gapwatch.alerts.state import SYSTEM
from gapwatch.health import camera_is_down
from gapwatch.patrol import (
    ACTIVE_STATUSES,
    ARRIVED_STATUSES,
    TERMINAL_STATUSES,
    check_transition,
)
from gapwatch.storage import AlertRow, CameraStateRow, SilenceRow, TaskRow, new_id

if TYPE_CHECKING:
    from gapwatch.alerts.engine import AlertEngine
    from gapwatch.alerts.grouping import CameraFacts
    from gapwatch.alerts.state import OpenAlertState

__all__ = [
    "CamerasStillDown",
    "Silence",
    "Silences",
    "acknowledge",
    "add_silence",
    "assign_waiting",
    "cameras_down",
    "check_escalations",
    "regrade",
    "resolve",
    "set_status",
    "task_status",
]

MAX_ESCALATION_LEVEL = 3


@dataclass(frozen=True)
class Silence:
    """A silence as the engine checks it."""

    id: str
    cameras: frozenset[str]
    zones: frozenset[str]
    groups: frozenset[str]
    starts_at: dt.datetime
    ends_at: dt.datetime

    @classmethod
    def of(cls, row: SilenceRow) -> Silence:
        """The silence of a stored row."""
        return cls(
            row.id,
            frozenset(row.cameras),
            frozenset(row.zones),
            frozenset(row.groups),
            row.starts_at,
            row.ends_at,
        )

    def covers(self, camera: CameraFacts, at: dt.datetime) -> bool:
        """Whether a failure of `camera` at `at` falls under this silence."""
        if not self.starts_at <= at < self.ends_at:
            return False
        return (
            camera.id in self.cameras
            or (camera.group is not None and camera.group in self.groups)
            or bool(camera.zones & self.zones)
        )


class Silences:
    """The silences the engine checks on every failure: the one owner of that list."""

    def __init__(self) -> None:
        self._silences: list[Silence] = []

    def add(self, silence: Silence, *, now: dt.datetime) -> None:
        """Take in a new silence, dropping the ones over by `now`."""
        self._silences = [*(s for s in self._silences if s.ends_at > now), silence]

    def replace(self, silences: Sequence[Silence]) -> bool:
        """Take the store's silences; True if one was new here or its end moved (ended early by
        an operator); the ones this engine dropped as long over do not count."""
        known = {(s.id, s.ends_at) for s in self._silences}
        changed = bool({(s.id, s.ends_at) for s in silences} - known)
        self._silences = list(silences)
        return changed

    def covering(self, camera: CameraFacts, at: dt.datetime) -> str | None:
        """The id of a silence covering a failure of `camera` at `at`, if any."""
        for silence in self._silences:
            if silence.covers(camera, at):
                return silence.id
        return None

    def __iter__(self) -> Iterator[Silence]:
        return iter(list(self._silences))


class EngineError(ValueError):
    """A request the engine refuses, with a message a person can act on.

    A refusal is decided before anything changes, so the engine's memory needs no reload."""


class CamerasStillDown(EngineError):
    """Resolving by hand refused: cameras of the alert are still down."""


def acknowledge(
    engine: AlertEngine,
    session: Session,
    *,
    alert_id: str,
    by: str,
    at: dt.datetime,
    note: str | None = None,
) -> AlertRow:
    """An operator takes the alert: open → acknowledged (repeat is harmless)."""
    alert = _alert(session, alert_id)
    if alert.status == "resolved":
        raise EngineError(f"alert {alert_id} is already resolved")
    if alert.status == "open":
        alert.status = "acknowledged"
        alert.acknowledged_at = at
        alert.acknowledged_by = by
        records.alert_log(
            session,
            alert,
            at=at,
            actor=by,
            action="acknowledged",
            detail={"note": note} if note else None,
        )
        records.publish(
            session,
            at=at,
            type="alert.acknowledged",
            data=records.alert_summary(alert, severity=severity_name(alert.severity)),
        )
    return alert


def resolve(
    engine: AlertEngine,
    session: Session,
    *,
    alert_id: str,
    by: str,
    at: dt.datetime,
    note: str | None = None,
) -> AlertRow:
    """Resolve by hand; active tasks are cancelled and dispatch is told."""
    alert = _alert(session, alert_id)
    if alert.status == "resolved":
        return alert
    still_down = cameras_down(session, alert.cameras)
    if still_down:
        names = ", ".join(still_down)
        raise CamerasStillDown(
            f"摄像机 {names} 仍然故障：恢复后告警会自动解决；如需暂停告警，请设置静默或维护窗口 / "
            f"camera(s) {names} still down: the alert resolves itself once they recover; "
            "to stop alerting, add a silence or a maintenance window"
        )
    for task in session.scalars(select(TaskRow).where(TaskRow.alert_id == alert_id)):
        if task.status in ACTIVE_STATUSES:
            set_status(
                engine,
                session,
                task,
                alert,
                "cancelled",
                at=at,
                by=by,
                note="alert resolved by hand",
                notify=True,
            )
    engine.close_alert(session, alert, at=at, by=by, how=note or "resolved by hand")
    return alert


def task_status(
    engine: AlertEngine,
    session: Session,
    *,
    task_id: str,
    status: str,
    by: str,
    at: dt.datetime,
    note: str | None = None,
) -> TaskRow:
    """A status report from a unit or an operator; raises TaskError for one that cannot be."""
    task = session.get(TaskRow, task_id)
    if task is None:
        raise EngineError(f"no task {task_id!r}")
    alert = _alert(session, task.alert_id)
    if not check_transition(task.kind, task.status, status):
        return task
    set_status(engine, session, task, alert, status, at=at, by=by, note=note, notify=False)
    if task.kind == "road_patrol" and status == "rejected":
        _reassign(engine, session, task, alert, at)
    if task.kind == "video_patrol" and status == "cleared":
        # The ground is seen through other cameras: a unit not there yet can stand down.
        for other in session.scalars(
            select(TaskRow).where(TaskRow.alert_id == alert.id, TaskRow.kind == "road_patrol")
        ):
            if other.status in ACTIVE_STATUSES and other.status not in ARRIVED_STATUSES:
                set_status(
                    engine,
                    session,
                    other,
                    alert,
                    "cancelled",
                    at=at,
                    by=by,
                    note="video patrol sees the ground",
                    notify=True,
                )
    engine.maybe_resolve(session, alert, at)
    return task


def _reassign(
    engine: AlertEngine, session: Session, task: TaskRow, alert: AlertRow, at: dt.datetime
) -> None:
    state = engine.open_alerts.get(alert.id)
    if state is None or not state.blind:
        return
    refused = [
        t.assignee
        for t in session.scalars(
            select(TaskRow).where(
                TaskRow.alert_id == alert.id,
                TaskRow.kind == "road_patrol",
                TaskRow.status == "rejected",
            )
        )
        if t.assignee is not None
    ]
    attempt = int(task.payload.get("attempt", 1)) + 1
    new = patrols.road_task(engine, session, alert, state, at, refused=refused, attempt=attempt)
    state.task_ids.append(new.id)
    session.flush()  # the outbox row refers to the new task
    records.task_log(
        session,
        new,
        at=at,
        actor=SYSTEM,
        action="created",
        detail={"assignee": new.assignee, "replaces": task.id},
    )
    records.alert_log(
        session,
        alert,
        at=at,
        actor=SYSTEM,
        action="road_patrol_reassigned",
        detail={"from": task.assignee, "to": new.assignee, "task": new.id},
    )
    patrols.tell_dispatch(engine, session, new, alert, event_type="task.created", at=at)


def assign_waiting(engine: AlertEngine, session: Session, now: dt.datetime) -> None:
    """Road patrols left without a unit (all busy or refused) go to one that is free now,
    in road-patrol order (severity, then people expected on the blind ground, then area)."""
    for alert_id, _judged in engine.road_patrol_order(now):
        state = engine.open_alerts.get(alert_id)
        if state is None:
            continue
        alert = session.get(AlertRow, state.id)
        if alert is None:
            continue
        for task in engine.tasks_of(session, state):
            if task.kind != "road_patrol" or task.status != "pending" or task.assignee:
                continue
            refused = set(task.payload.get("refused_by", []))
            if not engine.units.free(refused=refused):
                continue
            set_status(
                engine,
                session,
                task,
                alert,
                "cancelled",
                at=now,
                by=SYSTEM,
                note="a patrol unit is free: a new task goes to it",
                notify=True,
            )
            _reassign(engine, session, task, alert, now)


def set_status(
    engine: AlertEngine,
    session: Session,
    task: TaskRow,
    alert: AlertRow,
    status: str,
    *,
    at: dt.datetime,
    by: str,
    note: str | None,
    notify: bool,
) -> None:
    """Move a task to `status` with an audit line; tell dispatch when `notify`."""
    previous = task.status
    task.status = status  # type: ignore[assignment]
    task.updated_at = at
    # A unit whose task ended is free again for the next road patrol.
    if status in TERMINAL_STATUSES and task.assignee is not None:
        engine.units.release(task.assignee, task.id)
    detail: dict[str, Any] = {"from": previous, "to": status}
    if note:
        detail["note"] = note
    records.task_log(session, task, at=at, actor=by, action="status", detail=detail)
    if notify:
        event = "task.cancelled" if status == "cancelled" else "task.updated"
        patrols.tell_dispatch(engine, session, task, alert, event_type=event, at=at)
    else:
        records.publish(
            session,
            at=at,
            type="task.updated",
            data={"id": task.id, "kind": task.kind, "status": status, "alert_id": alert.id},
        )


def cameras_down(session: Session, cameras: Sequence[str]) -> list[str]:
    """Which of `cameras` the store says are down now (the store, not this process's memory,
    since the prober may be another process)."""
    if not cameras:
        return []
    rows = session.scalars(select(CameraStateRow).where(CameraStateRow.camera_id.in_(cameras)))
    return sorted(r.camera_id for r in rows if camera_is_down(r.status, r.flapping))


def _alert(session: Session, alert_id: str) -> AlertRow:
    alert = session.get(AlertRow, alert_id)
    if alert is None:
        raise EngineError(f"no alert {alert_id!r}")
    return alert


def add_silence(
    engine: AlertEngine,
    session: Session,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    by: str,
    cameras: Sequence[str] = (),
    zones: Sequence[str] = (),
    groups: Sequence[str] = (),
    comment: str | None = None,
) -> SilenceRow:
    """Record a silence: failures it matches are recorded, not alerted, until `ends_at`."""
    if ends_at <= starts_at:
        raise EngineError("a silence must end after it starts")
    unknown = [c for c in cameras if c not in engine.cameras]
    if unknown:
        raise EngineError(f"unknown camera(s): {', '.join(unknown)}")
    if not (cameras or zones or groups):
        raise EngineError("a silence needs cameras, zones or groups")
    row = SilenceRow(
        id=new_id("si"),
        cameras=list(cameras),
        zones=list(zones),
        groups=list(groups),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=by,
        comment=comment,
        created_at=starts_at,
    )
    session.add(row)
    session.flush()
    engine.silences.add(Silence.of(row), now=starts_at)
    return row


def check_escalations(engine: AlertEngine, session: Session, *, now: dt.datetime) -> list[str]:
    """Escalate open alerts left unacknowledged past their severity's time; return their ids."""
    escalated: list[str] = []
    rows = session.scalars(
        select(AlertRow).where(
            AlertRow.status == "open",
            AlertRow.silenced.is_(False),
            AlertRow.kind != "coverage_gap",
            AlertRow.escalation_level < MAX_ESCALATION_LEVEL,
        )
    )
    for alert in rows:
        limit = engine.escalate_after.get(alert.severity)
        if limit is None:
            continue
        since = alert.escalated_at or alert.opened_at
        if now - since < limit:
            continue
        alert.escalation_level += 1
        alert.escalated_at = now
        records.alert_log(
            session,
            alert,
            at=now,
            actor=SYSTEM,
            action="escalated",
            detail={
                "level": alert.escalation_level,
                "unacknowledged_min": round((now - alert.opened_at).total_seconds() / 60, 1),
            },
        )
        summary = records.alert_summary(alert, severity=severity_name(alert.severity))
        summary["escalation_level"] = alert.escalation_level
        records.publish(session, at=now, type="alert.escalated", data=summary)
        records.send(session, event_type="alert.escalated", payload={"alert": summary}, at=now)
        escalated.append(alert.id)
    return escalated


def regrade(engine: AlertEngine, session: Session, now: dt.datetime) -> None:
    """Raise the severity of open alerts whose zones became more important (a busy period
    began), so the night market's evening counts for an outage that started by day."""
    for state in list(engine.open_alerts.values()):
        if state.silenced:
            _unsilence_if_over(engine, session, state, now)
        if state.silenced or not state.lost_m2:
            continue
        judged = engine.judge(state, now)
        alert = session.get(AlertRow, state.id)
        if alert is None or judged.top_zone is None or judged.rank <= alert.severity:
            continue
        records.alert_log(
            session,
            alert,
            at=now,
            actor=SYSTEM,
            action="severity_raised",
            detail={
                "from": alert.severity,
                "to": judged.rank,
                "zone": judged.top_zone,
                "importance": judged.top_importance,
            },
        )
        alert.severity = judged.rank
        records.publish(
            session,
            at=now,
            type="alert.updated",
            data=records.alert_summary(alert, severity=judged.name),
        )


def _unsilence_if_over(
    engine: AlertEngine, session: Session, state: OpenAlertState, now: dt.datetime
) -> None:
    """A camera still broken when its silence or maintenance window ends is alerted then."""
    if not state.down or any(engine.silence_for(c, now) for c in state.down):
        return
    alert = session.get(AlertRow, state.id)
    if alert is None:
        return
    state.silenced = False
    alert.silenced = False
    judged = engine.judge(state, now)
    alert.severity = judged.rank
    records.alert_log(
        session,
        alert,
        at=now,
        actor=SYSTEM,
        action="silence_ended",
        detail={"cameras_down": sorted(state.down)},
    )
    records.publish(
        session,
        at=now,
        type="alert.opened",
        data=records.alert_summary(alert, severity=judged.name),
    )
    if judged.blind_m2 > 0.0 and judged.top_zone is not None and not state.task_ids:
        patrols.raise_tasks(engine, session, alert, state, now)
