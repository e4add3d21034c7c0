"""The tables gapwatch keeps: camera health, alerts and their tasks, the dispatch outbox, events.

Every datetime column is an aware UTC datetime (`UTCDateTime`). JSON columns are replaced, not
mutated in place (`row.cameras = [*row.cameras, "cam-2"]`), so SQLAlchemy sees the change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gapwatch.storage.types import UTCDateTime, utcnow

__all__ = [
    "ALERT_KINDS",
    "ALERT_STATUSES",
    "CAMERA_STATUSES",
    "OUTBOX_STATES",
    "TASK_KINDS",
    "TASK_STATUSES",
    "AlertKind",
    "AlertLogRow",
    "AlertRow",
    "AlertStatus",
    "ApiTokenRow",
    "Base",
    "BaselineRow",
    "CameraStateRow",
    "CameraStatus",
    "CrowdCameraRow",
    "CrowdHourRow",
    "CrowdNormalRow",
    "DispatchEndpointRow",
    "EventRow",
    "OutboxRow",
    "OutboxState",
    "ProbeResultRow",
    "SilenceRow",
    "TaskKind",
    "TaskLogRow",
    "TaskRow",
    "TaskStatus",
    "new_id",
]

CameraStatus = Literal["ok", "degraded", "offline"]
AlertKind = Literal[
    "camera_down",
    "camera_degraded",
    "group_down",
    "zone_outage",
    "coverage_gap",
    "maintenance",
    "crowd",
]
AlertStatus = Literal["open", "acknowledged", "resolved"]
TaskKind = Literal["video_patrol", "road_patrol"]
TaskStatus = Literal[
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
OutboxState = Literal["pending", "delivered", "dead", "disabled"]
BaselineMode = Literal["day", "night"]

CAMERA_STATUSES: tuple[CameraStatus, ...] = ("ok", "degraded", "offline")
ALERT_KINDS: tuple[AlertKind, ...] = (
    "camera_down",
    "camera_degraded",
    "group_down",
    "zone_outage",
    "coverage_gap",
    "maintenance",
    "crowd",
)
ALERT_STATUSES: tuple[AlertStatus, ...] = ("open", "acknowledged", "resolved")
TASK_KINDS: tuple[TaskKind, ...] = ("video_patrol", "road_patrol")
TASK_STATUSES: tuple[TaskStatus, ...] = (
    "pending",
    "dispatched",
    "accepted",
    "en_route",
    "on_scene",
    "cleared",
    "rejected",
    "cancelled",
    "done",
)
OUTBOX_STATES: tuple[OutboxState, ...] = ("pending", "delivered", "dead", "disabled")

# Stable constraint names so Alembic can find and alter them on both SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id(prefix: str) -> str:
    """A fresh random identifier such as `al_3f2c…` (prefix says what kind of thing it is)."""
    return f"{prefix}_{uuid.uuid4().hex}"


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """Declarative base holding the shared metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CameraStateRow(Base):
    """The debounced health of one camera, as the health tracker last decided it."""

    __tablename__ = "camera_states"
    __table_args__ = (
        CheckConstraint(_one_of("status", CAMERA_STATUSES), name="status"),
        Index(None, "status"),
    )

    camera_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[CameraStatus] = mapped_column(String(16), default="ok")
    faults: Mapped[list[str]] = mapped_column(JSON, default=list)
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_probe_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    # Debounce counters: probes in a row that disagree with / agree with `status`.
    bad_streak: Mapped[int] = mapped_column(Integer, default=0)
    good_streak: Mapped[int] = mapped_column(Integer, default=0)
    # Recent state changes (the tracker's own record) and the weighted change rate from them.
    flap_history: Mapped[list[Any]] = mapped_column(JSON, default=list)
    flap_rate: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ProbeResultRow(Base):
    """One probe verdict kept for the camera's health history."""

    __tablename__ = "probe_results"
    __table_args__ = (
        CheckConstraint(_one_of("status", CAMERA_STATUSES), name="status"),
        Index(None, "camera_id", "at"),
        Index(None, "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[CameraStatus] = mapped_column(String(16))
    faults: Mapped[list[str]] = mapped_column(JSON, default=list)
    metrics: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    elapsed_s: Mapped[float] = mapped_column(Float, default=0.0)
    reason: Mapped[str | None] = mapped_column(Text)


class AlertRow(Base):
    """An alert: which cameras failed, which ground went unwatched, and its lifecycle."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(_one_of("status", ALERT_STATUSES), name="status"),
        CheckConstraint("severity BETWEEN 1 AND 5", name="severity"),
        Index(None, "status"),
        Index(None, "opened_at"),
        Index(None, "kind"),
        # At most one unresolved alert per dedup key; a repeat failure updates that alert.
        Index(
            "uq_alerts_open_dedup_key",
            "dedup_key",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=lambda: new_id("al"))
    site_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[AlertKind] = mapped_column(String(32))
    dedup_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[AlertStatus] = mapped_column(String(16), default="open")
    severity: Mapped[int] = mapped_column(Integer, default=3)
    cameras: Mapped[list[str]] = mapped_column(JSON, default=list)
    zones: Mapped[list[str]] = mapped_column(JSON, default=list)
    blind_spot_m2: Mapped[float] = mapped_column(Float, default=0.0)
    # GeoJSON Features in lon/lat; properties carry at least "zone" and "area_m2".
    blind_spots: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    silenced: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolution: Mapped[str | None] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(String(128))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    tasks: Mapped[list[TaskRow]] = relationship(
        back_populates="alert", order_by="TaskRow.created_at"
    )
    log: Mapped[list[AlertLogRow]] = relationship(back_populates="alert", order_by="AlertLogRow.id")


class _AuditLine:
    """The columns every audit-trail line has: when, who, what, and details."""

    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AlertLogRow(_AuditLine, Base):
    """One line of an alert's audit trail: who did what, when."""

    __tablename__ = "alert_log"
    __table_args__ = (Index(None, "alert_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"))

    alert: Mapped[AlertRow] = relationship(back_populates="log")


class TaskRow(Base):
    """A video_patrol or road_patrol task raised with an alert."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(_one_of("kind", TASK_KINDS), name="kind"),
        CheckConstraint(_one_of("status", TASK_STATUSES), name="status"),
        Index(None, "alert_id"),
        Index(None, "status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=lambda: new_id("tk"))
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"))
    kind: Mapped[TaskKind] = mapped_column(String(16))
    status: Mapped[TaskStatus] = mapped_column(String(16), default="pending")
    assignee: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    alert: Mapped[AlertRow] = relationship(back_populates="tasks")
    log: Mapped[list[TaskLogRow]] = relationship(back_populates="task", order_by="TaskLogRow.id")


class TaskLogRow(_AuditLine, Base):
    """One line of a task's audit trail (status reports from units, reassignments)."""

    __tablename__ = "task_log"
    __table_args__ = (Index(None, "task_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"))

    task: Mapped[TaskRow] = relationship(back_populates="log")


class DispatchEndpointRow(Base):
    """A dispatch webhook receiver; its secret lives in the environment variable `secret_env`."""

    __tablename__ = "dispatch_endpoints"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret_env: Mapped[str | None] = mapped_column(String(128))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class OutboxRow(Base):
    """One webhook message to one endpoint: `id` is its stable `webhook-id`, `body` exact text."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_one_of("state", OUTBOX_STATES), name="state"),
        Index(None, "state", "next_attempt_at"),
        Index(None, "endpoint_id"),
        Index(None, "task_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=lambda: new_id("msg"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("dispatch_endpoints.id"))
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    task_id: Mapped[str | None] = mapped_column(ForeignKey("tasks.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[OutboxState] = mapped_column(String(16), default="pending")

    # Many-to-one links also tell the unit of work to insert the task and the endpoint before a
    # message that names them, whatever order they were added to the session in.
    endpoint: Mapped[DispatchEndpointRow] = relationship()
    task: Mapped[TaskRow | None] = relationship()


def _camera_of(context: DefaultExecutionContext) -> str | None:
    """The camera an event's data names (`data["camera"]`), kept beside it for the index."""
    # The row's own parameters (events are inserted one row per parameter set, never as one
    # multi-VALUES statement, so these are the row's).
    data = (context.current_parameters or {}).get("data")
    camera = data.get("camera") if isinstance(data, dict) else None
    return camera if isinstance(camera, str) else None


CAMERA_STATE_EVENT = "camera.state"
"""The event type of a camera's debounced state change (health history folds them up)."""


class EventRow(Base):
    """A live event for the dashboard; `seq` is the Server-Sent Events id."""

    __tablename__ = "events"
    __table_args__ = (
        Index(None, "at"),
        # Health history: a camera's last `camera.state` change before a moment is one seek.
        Index(None, "type", "camera", "at"),
        {"sqlite_autoincrement": True},
    )

    # AUTOINCREMENT on SQLite so a sequence number is never reused after a delete.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Filled from `data` on insert by every writer alike (events are never updated), so it
    # cannot disagree with the camera the event's data names.
    camera: Mapped[str | None] = mapped_column(String(128), default=_camera_of)


class SilenceRow(Base):
    """A silence or maintenance window: matching failures are recorded but not alerted."""

    __tablename__ = "silences"
    __table_args__ = (Index(None, "ends_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=lambda: new_id("si"))
    cameras: Mapped[list[str]] = mapped_column(JSON, default=list)
    zones: Mapped[list[str]] = mapped_column(JSON, default=list)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(128))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiTokenRow(Base):
    """A bearer token for the HTTP API; only its hash is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index(None, "token_hash", unique=True),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=lambda: new_id("tok"))
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # A dispatcher token's binding: it reaches only tasks sent to this endpoint and/or assigned
    # to this patrol unit (both, when both are set).
    endpoint_id: Mapped[str | None] = mapped_column(String(128))
    unit_id: Mapped[str | None] = mapped_column(String(128))


class BaselineRow(Base):
    """A camera's reference view for day or night: an encoded image and/or its metrics."""

    __tablename__ = "baselines"
    __table_args__ = (CheckConstraint("mode IN ('day', 'night')", name="mode"),)

    camera_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    mode: Mapped[BaselineMode] = mapped_column(String(8), primary_key=True)
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CrowdNormalRow(Base):
    """What is normal for a zone's crowd in one site-local weekday-hour: mean and variance."""

    __tablename__ = "crowd_normals"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),
        CheckConstraint("hour >= 0 AND hour <= 23", name="hour"),
    )

    zone_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    mean: Mapped[float] = mapped_column(Float)
    var: Mapped[float] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CrowdHourRow(Base):
    """One zone's crowd over one finished hour: mean and peak people (the hour's start, UTC)."""

    __tablename__ = "crowd_hours"

    zone_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    hour: Mapped[dt.datetime] = mapped_column(UTCDateTime(), primary_key=True)
    mean: Mapped[float] = mapped_column(Float)
    peak: Mapped[float] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer)


class CrowdCameraRow(Base):
    """One camera's latest count, placed on the ground: what the probing process holds in memory,
    kept so that API replicas and a restarted prober see the same crowd (`points` is null while
    the camera counts no one: not healthy, or not counted).

    `version` grows by one with each write; a reader takes in the rows above the last it saw."""

    __tablename__ = "crowd_cameras"
    __table_args__ = (Index(None, "version"),)

    camera_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    people: Mapped[float] = mapped_column(Float, default=0.0)
    # [[x, y, people], …] in the coverage model's metres
    points: Mapped[list[list[float]] | None] = mapped_column(JSON)
