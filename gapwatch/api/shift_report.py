"""The figures of a shift handover: alerts opened and closed, how fast they were acknowledged,
dispatched and reached, cameras still down, blind ground now against the start of the shift,
and the video-patrol rounds done. Read from the alert and task trails, so a report of a past
shift gives the same figures as the one printed at its end."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from gapwatch.api.coverage import live_coverage
from gapwatch.api.health_history import load_health_history
from gapwatch.api.patrol_checks import checks_between
from gapwatch.api.patrol_plans import rounds_between
from gapwatch.health import camera_down_clause, camera_is_down
from gapwatch.runtime.crowd import shift_crowd
from gapwatch.runtime.pipeline import Service
from gapwatch.storage import AlertLogRow, AlertRow, CameraStateRow, TaskLogRow, TaskRow

__all__ = ["ShiftReport", "shift_report"]

# Kinds of alert that hold broken cameras (a standing coverage gap holds none).
_CAMERA_KINDS = frozenset(
    {"camera_down", "camera_degraded", "group_down", "zone_outage", "maintenance"}
)


class DurationStats(BaseModel):
    """How long something took over the shift's alerts, seconds."""

    count: int = Field(description="Alerts it happened for.")
    pending: int = Field(description="Alerts opened in the shift it has not happened for yet.")
    median_s: float | None
    max_s: float | None


class ReportAlert(BaseModel):
    id: str
    kind: str
    severity: int
    status: str
    cameras: list[str]
    zones: list[str]
    blind_spot_m2: float
    opened_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    dispatched_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    resolved_at: dt.datetime | None
    resolved_by: str | None
    escalation_level: int


class DownCamera(BaseModel):
    id: str
    name: str
    name_en: str | None = None
    status: str
    flapping: bool = Field(
        default=False,
        description="Its state keeps changing: down by the down rule whatever its status, and "
        "its ground counted blind.",
    )
    faults: list[str]
    since: dt.datetime | None


class ZoneName(BaseModel):
    id: str
    name: str
    name_en: str | None


class BlindArea(BaseModel):
    """Ground of the zones no working camera sees, m² (standing gaps included)."""

    start_m2: float
    end_m2: float
    change_m2: float
    cameras_down_at_start: list[str]
    cameras_down_at_end: list[str]


class RoundsDone(BaseModel):
    scheduled: int
    done: int
    missed: list[dict[str, str]] = Field(description="Rounds past due and not checked: zone, at.")


class ZoneCrowdShift(BaseModel):
    """A zone's crowd over the shift's finished hours."""

    zone: str
    hours: int = Field(description="Finished hours recorded in the shift.")
    mean_people: float
    peak_people: float
    peak_hour: dt.datetime = Field(description="Start (UTC) of the hour with the peak.")
    capacity: int | None


class ShiftReport(BaseModel):
    """A shift handover report (交接班报告)."""

    site_id: str
    site_name: str
    start: dt.datetime
    end: dt.datetime
    generated_at: dt.datetime
    opened: int = Field(description="Alerts opened in the shift.")
    closed: int = Field(description="Alerts resolved in the shift.")
    open_at_start: int
    open_at_end: int
    escalated: int = Field(description="Alerts escalated in the shift.")
    acknowledge: DurationStats = Field(description="Opened → acknowledged.")
    dispatch: DurationStats = Field(description="Opened → road patrol dispatched.")
    on_scene: DurationStats = Field(description="Opened → road patrol on scene.")
    cameras_down: list[DownCamera] = Field(
        description="Cameras down at the end of the shift (now, for a shift not yet over): "
        "not giving a good picture, or flapping; from the stored health history."
    )
    blind: BlindArea
    rounds: RoundsDone
    alerts: list[ReportAlert] = Field(description="Alerts opened, closed or open in the shift.")
    zones: list[ZoneName]
    crowd: list[ZoneCrowdShift] = Field(
        default_factory=list, description="Per zone, the crowd over the shift's finished hours."
    )
    crowd_alerts: int = Field(default=0, description="Crowd (over capacity) alerts opened.")
    crowd_raised: int = Field(
        default=0, description="Times the crowd raised an alert's severity in the shift."
    )


def _stats(values: Sequence[float], pending: int) -> DurationStats:
    return DurationStats(
        count=len(values),
        pending=pending,
        median_s=round(statistics.median(values), 1) if values else None,
        max_s=round(max(values), 1) if values else None,
    )


def _first_status(lines: Iterable[TaskLogRow], status: str) -> dt.datetime | None:
    times = [
        line.at for line in lines if line.action == "status" and line.detail.get("to") == status
    ]
    return min(times) if times else None


def _dispatched_at(task: TaskRow) -> dt.datetime | None:
    """When the road patrol was first sent to a unit: raised as dispatched, or moved there."""
    if task.assignee is None and task.status == "pending":
        return None
    moved = _first_status(task.log, "dispatched")
    created = [line.at for line in task.log if line.action == "created"]
    if moved is not None:
        return moved
    # Raised straight to a unit: dispatched when it was made.
    return min(created) if created else task.created_at


def _down_at(alerts: Sequence[AlertRow], at: dt.datetime) -> set[str]:
    """Cameras held down at `at` by the alerts then open, from their audit trails."""
    down: set[str] = set()
    for alert in alerts:
        if alert.kind not in _CAMERA_KINDS or alert.opened_at > at:
            continue
        if alert.resolved_at is not None and alert.resolved_at <= at:
            continue
        cameras = set(alert.cameras)
        for line in sorted(alert.log, key=lambda x: (x.at, x.id)):
            camera = line.detail.get("camera")
            if not isinstance(camera, str):
                continue
            if line.action == "camera_joined":
                if line.at > at:
                    cameras.discard(camera)  # joined later
                else:
                    cameras.add(camera)
            elif line.action == "camera_recovered" and line.at <= at:
                cameras.discard(camera)
        down |= cameras
    return down


def _blind_m2(service: Service, down: set[str]) -> float:
    healthy = frozenset(c.id for c in service.site.spec.cameras if c.id not in down)
    result = service.coverage.compute(healthy, overlap=False)
    return max(0.0, result.area_m2 - result.covered_m2)


def shift_report(
    *, service: Service, session: Session, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> ShiftReport:
    """The handover figures for the shift [start, end)."""
    spec = service.site.spec
    alerts = list(
        session.scalars(
            select(AlertRow)
            .where(
                AlertRow.opened_at < end,
                or_(AlertRow.resolved_at.is_(None), AlertRow.resolved_at >= start),
            )
            .options(
                selectinload(AlertRow.tasks).selectinload(TaskRow.log),
                selectinload(AlertRow.log),
            )
            .order_by(AlertRow.opened_at, AlertRow.id)
        )
    )
    opened = [a for a in alerts if a.opened_at >= start]
    opened_ids = {a.id for a in opened}
    closed = [a for a in alerts if a.resolved_at is not None and a.resolved_at < end]

    def open_at(t: dt.datetime) -> int:
        return sum(
            1 for a in alerts if a.opened_at <= t and (a.resolved_at is None or a.resolved_at > t)
        )

    escalated = {
        line.alert_id
        for line in session.scalars(
            select(AlertLogRow).where(
                AlertLogRow.action == "escalated", AlertLogRow.at >= start, AlertLogRow.at < end
            )
        )
    }
    rows: list[ReportAlert] = []
    ack: list[float] = []
    dispatch: list[float] = []
    scene: list[float] = []
    ack_pending = dispatch_pending = scene_pending = 0
    for alert in alerts:
        road = [t for t in alert.tasks if t.kind == "road_patrol"]
        sent = [s for s in (_dispatched_at(t) for t in road) if s is not None]
        arrived = [s for s in (_first_status(t.log, "on_scene") for t in road) if s is not None]
        dispatched_at = min(sent) if sent else None
        on_scene_at = min(arrived) if arrived else None
        acked_at = alert.acknowledged_at
        if alert.id in opened_ids:
            # Only what happened within the shift counts for it.
            if acked_at is not None and acked_at < end:
                ack.append((acked_at - alert.opened_at).total_seconds())
            elif alert.resolved_at is None or alert.resolved_at >= end:
                ack_pending += 1
            if dispatched_at is not None and dispatched_at < end:
                dispatch.append(max(0.0, (dispatched_at - alert.opened_at).total_seconds()))
            elif road:
                dispatch_pending += 1
            if on_scene_at is not None and on_scene_at < end:
                scene.append((on_scene_at - alert.opened_at).total_seconds())
            elif sent and (alert.resolved_at is None or alert.resolved_at >= end):
                scene_pending += 1
        rows.append(
            ReportAlert(
                id=alert.id,
                kind=alert.kind,
                severity=alert.severity,
                status=alert.status,
                cameras=list(alert.cameras),
                zones=list(alert.zones),
                blind_spot_m2=round(alert.blind_spot_m2, 1),
                opened_at=alert.opened_at,
                acknowledged_at=alert.acknowledged_at,
                acknowledged_by=alert.acknowledged_by,
                dispatched_at=dispatched_at,
                on_scene_at=on_scene_at,
                resolved_at=alert.resolved_at,
                resolved_by=alert.resolved_by,
                escalation_level=alert.escalation_level,
            )
        )

    names = {c.id: c.name for c in spec.cameras}
    english = {c.id: c.name_en for c in spec.cameras}
    if end >= now:
        down_now = [
            DownCamera(
                id=row.camera_id,
                name=names.get(row.camera_id, row.camera_id),
                name_en=english.get(row.camera_id),
                status=row.status,
                flapping=row.flapping,
                faults=list(row.faults),
                since=row.since,
            )
            for row in session.scalars(
                select(CameraStateRow)
                .where(camera_down_clause(), CameraStateRow.last_probe_at.is_not(None))
                .order_by(CameraStateRow.camera_id)
            )
            if row.camera_id in names
        ]
    else:
        # A past shift hands over the cameras that were down at its end, not today's.
        history = load_health_history(session, cameras=names, since=end, until=end)
        then = history.states_at(end)
        down_now = [
            DownCamera(
                id=c.camera,
                name=names[c.camera],
                name_en=english[c.camera],
                status=c.status,
                flapping=c.flapping,
                faults=list(c.faults),
                since=c.since,
            )
            for c in sorted(then.values(), key=lambda c: c.camera)
            if camera_is_down(c.status, c.flapping)
        ]

    down_start = _down_at(alerts, start)
    if end >= now:
        live = live_coverage(service, session)
        end_m2 = max(0.0, live.area_m2 - live.covered_m2)
        down_end = {c.id for c in spec.cameras} - set(live.healthy)
    else:
        down_end = _down_at(alerts, end)
        end_m2 = _blind_m2(service, down_end)
    start_m2 = _blind_m2(service, down_start)

    # Each round through the cameras that worked at its time, not today's.
    scheduled = rounds_between(service=service, session=session, start=start, end=end, now=now)
    checks = checks_between(session, start=start, end=end)
    checked = {(c.zone, c.at) for c in checks}
    done = sum(1 for r in scheduled if (r.zone, r.at) in checked)
    missed = [
        {"zone": r.zone, "at": r.at.isoformat()}
        for r in scheduled
        if (r.zone, r.at) not in checked and r.at < now
    ]

    capacity = {z.id: z.capacity for z in spec.zones if z.capacity is not None}
    return ShiftReport(
        site_id=service.site.id,
        site_name=spec.site.name,
        start=start,
        end=end,
        generated_at=now,
        opened=len(opened),
        closed=len(closed),
        open_at_start=open_at(start),
        open_at_end=open_at(min(end, now)),
        escalated=len(escalated),
        acknowledge=_stats(ack, ack_pending),
        dispatch=_stats(dispatch, dispatch_pending),
        on_scene=_stats(scene, scene_pending),
        cameras_down=down_now,
        blind=BlindArea(
            start_m2=round(start_m2, 1),
            end_m2=round(end_m2, 1),
            change_m2=round(end_m2 - start_m2, 1),
            cameras_down_at_start=sorted(down_start),
            cameras_down_at_end=sorted(down_end),
        ),
        rounds=RoundsDone(scheduled=len(scheduled), done=done, missed=missed[:200]),
        alerts=rows,
        zones=[ZoneName(id=z.id, name=z.name, name_en=z.name_en) for z in spec.zones],
        crowd=[
            ZoneCrowdShift(
                zone=c.zone,
                hours=c.hours,
                mean_people=round(c.mean, 1),
                peak_people=round(c.peak, 1),
                peak_hour=c.peak_hour,
                capacity=capacity.get(c.zone),
            )
            for c in shift_crowd(session, start=start, end=end)
        ],
        crowd_alerts=sum(1 for a in opened if a.kind == "crowd"),
        crowd_raised=len(
            session.scalars(
                select(AlertLogRow.id).where(
                    AlertLogRow.action == "crowd_raised",
                    AlertLogRow.at >= start,
                    AlertLogRow.at < end,
                )
            ).all()
        ),
    )
