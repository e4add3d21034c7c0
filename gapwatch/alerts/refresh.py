"""Taking in what another process did to alerts: an API replica on the same database may resolve
an alert, move or re-assign its tasks, or add a silence, and this engine's memory must follow.

Only the alert side is re-read (open alerts, their tasks, busy units, silences); the health
tracker and live coverage are this process's own and stay as they are, so debounce streaks are
not lost. An alert this engine did not know (raised by another process) is built from its row as
a restart would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.alerts.lifecycle import Silence
from gapwatch.alerts.startup import remember_alert
from gapwatch.alerts.state import NOT_CAMERA_KINDS, OpenAlertState
from gapwatch.health import camera_is_down
from gapwatch.patrol import ACTIVE_STATUSES
from gapwatch.storage import AlertRow, CameraStateRow, SilenceRow, TaskRow

if TYPE_CHECKING:
    from gapwatch.alerts.engine import AlertEngine

__all__ = ["RefreshReport", "refresh_from_store"]


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh found changed by others."""

    closed: list[str] = field(default_factory=list)
    """Alerts this engine held open that the store says are resolved (or gone)."""
    added: list[str] = field(default_factory=list)
    """Unresolved alerts in the store this engine did not hold."""
    tasks_changed: bool = False
    units_changed: bool = False
    silences_changed: bool = False
    alerts_changed: list[str] = field(default_factory=list)
    """Held alerts whose cameras or silence another process changed (taken in again)."""

    @property
    def changed(self) -> bool:
        """Whether the engine's memory differed from the store."""
        return bool(
            self.closed
            or self.added
            or self.tasks_changed
            or self.units_changed
            or self.silences_changed
            or self.alerts_changed
        )


def refresh_from_store(engine: AlertEngine, session: Session) -> RefreshReport:
    """Bring the engine's alert memory in line with the store; the caller holds its lock."""
    rows = {
        a.id: a
        for a in session.scalars(
            select(AlertRow).where(
                AlertRow.status != "resolved", AlertRow.kind.not_in(NOT_CAMERA_KINDS)
            )
        )
    }
    closed = sorted(set(engine.open_alerts) - set(rows))
    for alert_id in closed:
        engine.open_alerts.forget(alert_id)
    added = sorted(set(rows) - set(engine.open_alerts))
    # An alert held already may have grown elsewhere (a camera joined it: its ground and
    # severity with it) or been silenced or unsilenced: it is taken in again from its row. The
    # prober's own alerts always match here, since a refresh waits for its actions' commits.
    grown = sorted(
        a for a in set(rows) & set(engine.open_alerts) if _differs(engine.open_alerts[a], rows[a])
    )
    if added or grown:
        down = {
            c.camera_id
            for c in session.scalars(select(CameraStateRow))
            if camera_is_down(c.status, c.flapping)
        }
        for alert_id in grown:
            engine.open_alerts.forget(alert_id)
        for alert_id in added + grown:
            remember_alert(engine, rows[alert_id], down)

    task_ids: dict[str, list[str]] = {a: [] for a in engine.open_alerts}
    busy: dict[str, str] = {}
    tasks = session.execute(
        select(TaskRow.id, TaskRow.alert_id, TaskRow.kind, TaskRow.status, TaskRow.assignee)
        .where(TaskRow.status.in_(ACTIVE_STATUSES) | TaskRow.alert_id.in_(list(task_ids)))
        .order_by(TaskRow.created_at, TaskRow.id)
    )
    for tid, alert_id, kind, status, assignee in tasks:
        if alert_id in task_ids:
            task_ids[alert_id].append(tid)
        if kind == "road_patrol" and status in ACTIVE_STATUSES and assignee:
            busy[assignee] = tid
    tasks_changed = False
    for alert_id, ids in task_ids.items():
        state = engine.open_alerts[alert_id]
        # Tasks raised together share a time, so only a different set counts as a change.
        if set(state.task_ids) != set(ids):
            state.task_ids = ids
            tasks_changed = True
    units_changed = engine.units.replace(busy)

    silences = [Silence.of(row) for row in session.scalars(select(SilenceRow))]
    # The engine forgets silences long over; only one it has never seen, or one whose end
    # moved (ended early by an operator), counts as a change.
    silences_changed = engine.silences.replace(silences)
    return RefreshReport(
        closed, added, tasks_changed, units_changed, silences_changed, alerts_changed=grown
    )


def _differs(state: OpenAlertState, row: AlertRow) -> bool:
    """Whether the store's row of a held alert says something the memory of it does not."""
    return state.cameras != list(row.cameras) or state.silenced != row.silenced
