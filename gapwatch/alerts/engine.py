"""The alert engine: probe results in; alerts, paired patrol tasks and outbox messages out.

One engine per site, owned by the service (or by `gapwatch replay`). It keeps the health tracker
and the live coverage in memory and writes every decision through the session it is handed, so a
new alert, its video_patrol and road_patrol tasks and their outbox messages land in the caller's
one transaction or not at all. Every method takes the time it acts at (`at` / `now`): the engine
never reads the wall clock, so a replay runs the same code as the service.

If the caller's transaction fails after a method returned, call `reload(session)` to rebuild the
in-memory state from the database before going on.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.alerts import lifecycle, patrols, records, startup
from gapwatch.alerts.crowd_alerts import CrowdAlerts
from gapwatch.alerts.grouping import (
    GROUP_WINDOW,
    ZONE_WINDOW,
    CameraFacts,
    OpenAlertFacts,
    choose_alert,
)
from gapwatch.alerts.lifecycle import EngineError, Silences
from gapwatch.alerts.quarantine import Quarantine, QuarantinedRecord
from gapwatch.alerts.refresh import RefreshReport, refresh_from_store
from gapwatch.alerts.severity import Severity, assess, severity_name
from gapwatch.alerts.state import SYSTEM, OpenAlerts, OpenAlertState
from gapwatch.coverage import (
    CoverageModel,
    GapChange,
    LiveCoverage,
    robust_union,
    robust_union_all,
)
from gapwatch.crowd import CrowdFacts, patrol_order_key, severity_step
from gapwatch.health import HealthChange, HealthTracker, Probe, insert_probes, save_counters
from gapwatch.patrol import (
    ACTIVE_STATUSES,
    ARRIVED_STATUSES,
    TERMINAL_STATUSES,
    ImportanceCalendar,
    RoadNetwork,
    UnitPosition,
    Units,
)
from gapwatch.site import Site
from gapwatch.storage import (
    CAMERA_STATE_EVENT,
    AlertKind,
    AlertRow,
    CameraStateRow,
    SilenceRow,
    TaskRow,
    new_id,
)
from gapwatch.vision.types import OFFLINE_FAULTS

__all__ = ["AlertEngine", "EngineError", "UnknownCameraProbe"]

_IN_CHUNK = 500
"""Ids per IN (...) list: well under every back end's limit on bound parameters."""


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    return (ids[i : i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK))


Geometry = Any


class UnknownCameraProbe(EngineError):
    """A probe result for a camera the site does not have."""


class AlertEngine:
    """Stateful alert engine for one site (thread-safe: one decision at a time)."""

    def __init__(
        self,
        site: Site,
        *,
        coverage: CoverageModel | None = None,
        group_window: dt.timedelta = GROUP_WINDOW,
        zone_window: dt.timedelta = ZONE_WINDOW,
    ) -> None:
        spec = site.spec
        self.site = site
        self.model = coverage if coverage is not None else CoverageModel.from_site(site)
        self.calendar = ImportanceCalendar.from_spec(spec)
        self.group_window = group_window
        self.zone_window = zone_window
        self.min_area_m2 = spec.coverage.min_blind_area_m2
        self.escalate_after = {
            int(k): dt.timedelta(minutes=v) for k, v in spec.health.escalate_after_min.items()
        }
        self.roads = RoadNetwork.from_site(spec.roads, site.projection)
        self.units = Units(
            UnitPosition(
                u.id,
                u.kind,
                *site.projection.to_metres(*u.location),
                speed_kmh=u.speed_kmh,
                available=u.available,
            )
            for u in spec.patrol_units
        )
        zone_ids = [z.id for z in self.model.zones]
        self.cameras: dict[str, CameraFacts] = {}
        for i, cam_id in enumerate(self.model.camera_ids):
            cam = self.model.cameras[i]
            zones = frozenset(zone_ids[int(z)] for z in self.model.camera_zones(i))
            self.cameras[cam_id] = CameraFacts(cam_id, cam.group, zones)
        self.maintenance = list(spec.maintenance)
        self._lock = threading.RLock()
        self.tracker = self.new_tracker()
        self.live: LiveCoverage = self.model.live(None)
        # Each piece of state has one owner, changed only through its own methods.
        self.open_alerts = OpenAlerts()
        self.silences = Silences()  # kept in memory: looked at on every failure
        self._dirty: set[str] = set()  # alerts whose features and payloads are to be redone
        # Rows read while a batch is decided, held so that the session's identity map (which
        # keeps only referenced objects) answers the next `session.get` without a query.
        self._held: list[object] = []
        self._in_batch = False
        self._facts_cache: dict[str, tuple[tuple[int, bool], OpenAlertFacts]] = {}
        self.quarantine = Quarantine()  # stored records the last load could not read
        self._crowd: Callable[[dt.datetime], CrowdFacts] | None = None
        self.crowd_alerts = CrowdAlerts(
            {z.id: z.capacity for z in spec.zones if z.capacity is not None}
        )

    def new_tracker(self) -> HealthTracker:
        """A health tracker with the site's debounce settings."""
        health = self.site.spec.health
        return HealthTracker(open_after=health.open_after, close_after=health.close_after)

    # ------------------------------------------------------------------ start and restart

    def start(self, session: Session, *, at: dt.datetime) -> None:
        """Prepare the database (camera rows, endpoints), load state, raise standing gaps."""
        with self._lock:
            startup.ensure_rows(self, session, at)
            startup.load(self, session)
            self.crowd_alerts.load(session)
            startup.standing_gaps(self, session, at)

    def reload(self, session: Session) -> None:
        """Rebuild the in-memory state from the database (after a failed transaction)."""
        with self._lock:
            startup.load(self, session)
            self.crowd_alerts.load(session)

    def refresh(self, session: Session) -> RefreshReport:
        """Take in alert changes another process made (resolved, tasks moved, silences added)."""
        with self._lock:
            return refresh_from_store(self, session)

    # ------------------------------------------------------------------ probes

    def is_stale(self, camera: str, at: dt.datetime) -> bool:
        """Whether a verdict on `camera` at `at` is older than the newest one already taken in
        (a late result: no evidence about the camera now)."""
        with self._lock:
            last = self.tracker.camera(camera).last_at if camera in self.cameras else None
        return last is not None and at < last

    def ingest(
        self,
        session: Session,
        probes: Iterable[Probe],
        *,
        details: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[HealthChange]:
        """Feed probe results (in time order); returns the camera state changes they caused.

        `details`, one per probe and all with the same keys, adds columns to each kept probe
        row (the service's metrics, elapsed_s and reason behind a verdict).
        """
        batch = list(probes)
        if details is not None and len(details) != len(batch):
            raise ValueError("ingest: one details mapping per probe")
        with self._lock:
            last: dict[str, dt.datetime] = {}
            for probe in batch:
                if probe.camera not in self.cameras:
                    raise UnknownCameraProbe(f"unknown camera {probe.camera!r}")
                if probe.at.tzinfo is None:
                    raise EngineError(f"probe of {probe.camera} has a time without UTC offset")
                before = last.get(probe.camera) or self.tracker.camera(probe.camera).last_at
                if before is not None and probe.at < before:
                    raise EngineError(
                        f"probe of {probe.camera} at {probe.at.isoformat()} is older than the "
                        f"one before ({before.isoformat()})"
                    )
                last[probe.camera] = probe.at
            changes: list[HealthChange] = []
            rows: list[dict[str, Any]] = []
            touched: set[str] = set()
            self._in_batch = True
            try:
                with session.no_autoflush:
                    self._observe_all(session, batch, changes, rows, touched)
                    self._refresh_dirty(session)
            finally:
                self._in_batch = False
                self._held.clear()
            if details is not None:
                for row, extra in zip(rows, details, strict=True):
                    row.update(extra)
            # Plain Core statements: per-probe bookkeeping is the hot path, ORM units of work
            # would cost more than the probe itself.
            connection = session.connection()
            insert_probes(connection, rows)
            save_counters(connection, self.tracker, touched)
            return changes

    def _observe_all(
        self,
        session: Session,
        batch: list[Probe],
        changes: list[HealthChange],
        rows: list[dict[str, Any]],
        touched: set[str],
    ) -> None:
        # Decisions read the engine's memory and the identity map, never half-flushed rows,
        # so the whole batch runs without autoflush and is written once at commit. Health is
        # judged first (it reads nothing of the alerts), then the rows the changes will touch
        # are loaded in a few queries rather than one each, then the changes are applied in
        # the order they happened.
        found: list[HealthChange] = []
        for probe in batch:
            change = self.tracker.observe(probe)
            rows.append(
                {
                    "camera_id": probe.camera,
                    "at": probe.at,
                    "status": probe.status,
                    "faults": list(probe.faults),
                }
            )
            touched.add(probe.camera)
            if change is not None:
                found.append(change)
        if found:
            self._load_rows_of(session, found)
        for change in found:
            changes.append(change)
            self._apply(session, change)

    def _load_rows_of(self, session: Session, found: Sequence[HealthChange]) -> None:
        """Bring the camera rows of `found`, their open alerts and those alerts' tasks into the
        session's identity map, so the `session.get` calls that follow need no query."""
        cameras = sorted({c.camera for c in found})
        alert_ids = sorted(
            {a for a in (self.open_alerts.holding(c) for c in cameras) if a is not None}
        )
        task_ids = [t for a in alert_ids for t in self.open_alerts[a].task_ids]
        self._load(session, CameraStateRow, cameras)
        self._load(session, AlertRow, alert_ids)
        self._load(session, TaskRow, task_ids)

    def _load(
        self, session: Session, model: type[CameraStateRow | AlertRow | TaskRow], ids: list[str]
    ) -> None:
        """Load the rows of `ids` in a few queries and hold them for the batch."""
        key = model.__mapper__.primary_key[0]
        for chunk in _chunks(ids):
            self._hold(session.scalars(select(model).where(key.in_(chunk))))

    def _refresh_dirty(self, session: Session) -> None:
        """Redo blind-spot features and task payloads of alerts that grew, once per batch."""
        dirty = [self.open_alerts[a] for a in sorted(self._dirty) if a in self.open_alerts]
        self._dirty.clear()
        self._load(session, TaskRow, [t for state in dirty if state.dirty for t in state.task_ids])
        for state in dirty:
            if not state.dirty:
                continue
            state.dirty = False
            alert = session.get(AlertRow, state.id)
            if alert is None:
                continue
            alert.blind_spots = self.features_of(state)
            for task in self.tasks_of(session, state):
                if task.status not in ACTIVE_STATUSES:
                    continue
                if task.kind == "video_patrol":
                    task.payload = patrols.video_payload(self, alert, state)
                else:
                    task.payload = {**task.payload, "blind_spot_m2": round(alert.blind_spot_m2, 2)}

    def tasks_of(self, session: Session, state: OpenAlertState) -> list[TaskRow]:
        """The alert's tasks, oldest first, from the session (no query, no flush)."""
        rows = [session.get(TaskRow, tid) for tid in state.task_ids]
        found = [t for t in rows if t is not None]
        self._hold(found)
        return found

    def _hold(self, rows: Iterable[object]) -> None:
        """Keep `rows` referenced until the batch being decided is written (no-op outside)."""
        if self._in_batch:
            self._held.extend(rows)

    def _apply(self, session: Session, change: HealthChange) -> None:
        cam = change.camera
        state = session.get(CameraStateRow, cam)
        if state is not None:
            if state.status != change.state:
                state.since = change.at
            state.status = change.state
            state.faults = list(change.faults)
            state.flapping = change.flapping
        records.publish(
            session,
            at=change.at,
            type=CAMERA_STATE_EVENT,
            data={
                "camera": cam,
                "status": change.state,
                "flapping": change.flapping,
                "faults": list(change.faults),
            },
        )
        if change.down and not change.was_down:
            self._camera_down(session, change)
        elif change.was_down and not change.down:
            self._camera_up(session, change)
        else:
            self._camera_changed(session, change)

    # ------------------------------------------------------------------ failures

    def silence_for(self, cam: str, at: dt.datetime) -> str | None:
        """The maintenance window or silence covering a failure of `cam` at `at`, if any."""
        for window in self.maintenance:
            if cam in window.cameras and window.start <= at < window.end:
                return f"maintenance:{window.id}"
        silence = self.silences.covering(self.cameras[cam], at)
        return f"silence:{silence}" if silence is not None else None

    def _camera_down(self, session: Session, change: HealthChange) -> None:
        cam, at = change.camera, change.at
        gap = self.live.take_down([cam])
        silence = self.silence_for(cam, at)
        target: str | None = None
        if silence is None:
            target = choose_alert(
                self.cameras[cam],
                at,
                [self._facts(a) for a in self.open_alerts.values()],
                self.cameras,
                group_window=self.group_window,
                zone_window=self.zone_window,
            )
        if target is not None and self._resolved_elsewhere(session, target):
            target = None
        if target is not None:
            self._join(session, self.open_alerts[target], change, gap)
        else:
            self._open_alert(session, change, gap, silence)

    def _facts(self, state: OpenAlertState) -> OpenAlertFacts:
        """What grouping needs of an open alert, with its cameras' groups; kept until the alert
        gains a camera (cameras are only ever added), so a failure that has to look at hundreds
        of open alerts does not rebuild them all."""
        key = (len(state.cameras), state.silenced)
        cached = self._facts_cache.get(state.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        if len(self._facts_cache) > 2 * len(self.open_alerts) + 64:
            live = self.open_alerts
            self._facts_cache = {k: v for k, v in self._facts_cache.items() if k in live}
        known = (self.cameras.get(c) for c in state.cameras)
        groups = frozenset(f.group for f in known if f is not None and f.group is not None)
        facts = replace(state.facts, groups=groups)
        self._facts_cache[state.id] = (key, facts)
        return facts

    def _open_alert(
        self, session: Session, change: HealthChange, gap: GapChange, silence: str | None
    ) -> None:
        cam, at = change.camera, change.at
        state = OpenAlertState(new_id("al"), at, [cam], {cam}, silenced=silence is not None)
        self._add_ground(state, gap)
        judged = self.judge(state, at)
        alert = AlertRow(
            id=state.id,
            site_id=self.site.id,
            kind=self._kind(state, judged, change),
            dedup_key=f"camera:{cam}",
            severity=judged.rank,
            cameras=[cam],
            zones=sorted(z for z, a in state.lost_m2.items() if a > 0.0),
            blind_spot_m2=judged.blind_m2,
            blind_spots=self.features_of(state),
            flapping=change.flapping,
            silenced=state.silenced,
            opened_at=at,
        )
        session.add(alert)
        self.open_alerts.add(state)
        detail: dict[str, Any] = {
            "camera": cam,
            "status": change.state,
            "faults": list(change.faults),
            "flapping": change.flapping,
            "blind_spot_m2": round(judged.blind_m2, 2),
            "importance": judged.top_importance,
        }
        if silence is not None:
            detail["suppressed_by"] = silence
            records.alert_log(session, alert, at=at, actor=SYSTEM, action="recorded", detail=detail)
            records.publish(
                session,
                at=at,
                type="alert.recorded",
                data=records.alert_summary(alert, severity=judged.name),
            )
            session.flush()  # looked up by id if the camera comes back within this batch
            return
        records.alert_log(session, alert, at=at, actor=SYSTEM, action="opened", detail=detail)
        records.publish(
            session,
            at=at,
            type="alert.opened",
            data=records.alert_summary(alert, severity=judged.name),
        )
        if judged.blind_m2 > 0.0 and judged.top_zone is not None:
            patrols.raise_tasks(self, session, alert, state, at)
        session.flush()  # looked up by id if the camera comes back within this batch

    def _join(
        self, session: Session, state: OpenAlertState, change: HealthChange, gap: GapChange
    ) -> None:
        cam, at = change.camera, change.at
        alert = session.get(AlertRow, state.id)
        assert alert is not None
        if cam not in state.cameras:
            state.cameras.append(cam)
        state.down.add(cam)
        self.open_alerts.hold(cam, state.id)
        self._add_ground(state, gap)
        judged = self.judge(state, at)
        alert.cameras = list(state.cameras)
        alert.zones = sorted(z for z, a in state.lost_m2.items() if a > 0.0)
        alert.blind_spot_m2 = judged.blind_m2
        state.dirty = True
        self._dirty.add(state.id)
        alert.severity = max(alert.severity, judged.rank)
        alert.kind = self._kind(state, judged, change)
        alert.flapping = alert.flapping or change.flapping
        records.alert_log(
            session,
            alert,
            at=at,
            actor=SYSTEM,
            action="camera_joined",
            detail={
                "camera": cam,
                "status": change.state,
                "faults": list(change.faults),
                "added_m2": round(gap.area_m2, 2),
            },
        )
        records.publish(
            session,
            at=at,
            type="alert.updated",
            data=records.alert_summary(alert, severity=severity_name(alert.severity)),
        )
        if not state.task_ids and judged.blind_m2 > 0.0 and judged.top_zone is not None:
            # It was a maintenance matter until this camera failed: now ground is blind.
            alert.blind_spots = self.features_of(state)
            state.dirty = False
            patrols.raise_tasks(self, session, alert, state, at)

    def _add_ground(self, state: OpenAlertState, gap: GapChange) -> None:
        for piece in gap.pieces:
            current = state.blind.get(piece.zone)
            state.blind[piece.zone] = (
                piece.geometry if current is None else robust_union(current, piece.geometry)
            )
        for zone, area in gap.by_zone.items():
            state.lost_m2[zone] = state.lost_m2.get(zone, 0.0) + area

    def judge(self, state: OpenAlertState, at: dt.datetime) -> Severity:
        """The severity of what the alert lost, with zone importance and the live crowd at `at`."""
        importance = {z: self.calendar.importance(z, at) for z in state.lost_m2}
        facts = self.crowd_facts(at)
        crowd = severity_step(state.lost_m2, facts.density, facts.trend)
        return assess(
            state.lost_m2,
            importance,
            min_area_m2=self.min_area_m2,
            crowd_step=crowd.step,
            expected_people=crowd.expected_people,
        )

    # ------------------------------------------------------------------ the crowd

    def follow_crowd(self, facts: Callable[[dt.datetime], CrowdFacts] | None) -> None:
        """Weigh severity and road-patrol order by the live crowd `facts(at)` gives (None: off)."""
        with self._lock:
            self._crowd = facts

    def crowd_facts(self, at: dt.datetime) -> CrowdFacts:
        """The live crowd's density, people and trend per zone (empty when not followed)."""
        return self._crowd(at) if self._crowd is not None else CrowdFacts()

    def road_patrol_order(self, at: dt.datetime) -> list[tuple[str, Severity]]:
        """Open alerts with blind ground in the order road patrols serve them, first first:
        severity rank, then people expected on the blind ground, then importance-weighted m²."""
        with self._lock:
            judged = [
                (state.id, self.judge(state, at))
                for state in self.open_alerts.values()
                if state.blind and not state.silenced
            ]
        return sorted(
            judged,
            key=lambda item: (
                *patrol_order_key(item[1].rank, item[1].expected_people, item[1].weighted_m2),
                item[0],
            ),
        )

    def check_crowd(self, session: Session, at: dt.datetime) -> None:
        """Open or resolve crowd alerts for zones past (or back under) their capacity."""
        facts = self.crowd_facts(at)
        with self._lock:
            self.crowd_alerts.check(
                self,
                session,
                at=at,
                people=facts.people,
                cameras=facts.cameras,
                people_by_camera=facts.camera_people,
            )

    def regrade(self, session: Session, at: dt.datetime) -> list[str]:
        """Raise the severity of open alerts whose blind ground the crowd now fills; returns
        their ids. Severity is only raised here, as when a camera joins an alert."""
        raised: list[str] = []
        with self._lock:
            for state in list(self.open_alerts.values()):
                if state.silenced or not state.blind:
                    continue
                judged = self.judge(state, at)
                alert = session.get(AlertRow, state.id)
                if alert is None or judged.rank <= alert.severity:
                    continue
                before = alert.severity
                alert.severity = judged.rank
                records.alert_log(
                    session,
                    alert,
                    at=at,
                    actor=SYSTEM,
                    action="crowd_raised",
                    detail={
                        "from": severity_name(before),
                        "to": judged.name,
                        "expected_people": round(judged.expected_people or 0.0, 1),
                    },
                )
                records.publish(
                    session,
                    at=at,
                    type="alert.updated",
                    data=records.alert_summary(alert, severity=judged.name),
                )
                raised.append(state.id)
        return raised

    def _kind(self, state: OpenAlertState, judged: Severity, change: HealthChange) -> AlertKind:
        if judged.top_zone is None:
            return "maintenance"
        if len(state.cameras) > 1:
            groups = {self.cameras[c].group for c in state.cameras}
            return "group_down" if len(groups) == 1 and None not in groups else "zone_outage"
        offline = (
            change.state == "offline"
            or (change.flapping and change.worst == "offline")
            or bool(OFFLINE_FAULTS & set(change.faults))
        )
        return "camera_down" if offline else "camera_degraded"

    def features_of(self, state: OpenAlertState) -> list[dict[str, Any]]:
        """The alert's blind ground as GeoJSON Features (lon/lat), slivers dropped."""
        return records.blind_features(
            state.blind, self.site.projection, min_area_m2=self.min_area_m2
        )

    def ground_of(self, state: OpenAlertState) -> Geometry:
        """All of the alert's blind ground as one metric geometry."""
        parts = list(state.blind.values())
        return robust_union_all(parts) if parts else shapely.Polygon()

    # ------------------------------------------------------------------ recovery and changes

    def _camera_up(self, session: Session, change: HealthChange) -> None:
        cam, at = change.camera, change.at
        self.live.bring_up([cam])
        alert_id = self.open_alerts.holding(cam)
        if alert_id is None or self._resolved_elsewhere(session, alert_id):
            return
        state = self.open_alerts[alert_id]
        state.down.discard(cam)
        alert = session.get(AlertRow, alert_id)
        assert alert is not None
        records.alert_log(
            session,
            alert,
            at=at,
            actor=SYSTEM,
            action="camera_recovered",
            detail={"camera": cam, "flapping_ended": change.was_flapping},
        )
        if state.down:
            return
        for task in self.tasks_of(session, state):
            if task.status in ACTIVE_STATUSES and task.status not in ARRIVED_STATUSES:
                lifecycle.set_status(
                    self,
                    session,
                    task,
                    alert,
                    "cancelled",
                    at=at,
                    by=SYSTEM,
                    note="camera recovered",
                    notify=True,
                )
        self.maybe_resolve(session, alert, at)

    def _camera_changed(self, session: Session, change: HealthChange) -> None:
        alert_id = self.open_alerts.holding(change.camera)
        if alert_id is None or self._resolved_elsewhere(session, alert_id):
            return
        alert = session.get(AlertRow, alert_id)
        assert alert is not None
        state = self.open_alerts[alert_id]
        if change.flapping != change.was_flapping:
            alert.flapping = alert.flapping or change.flapping
        if len(state.cameras) == 1 and alert.kind in ("camera_down", "camera_degraded"):
            alert.kind = "camera_down" if change.state == "offline" else "camera_degraded"
        records.alert_log(
            session,
            alert,
            at=change.at,
            actor=SYSTEM,
            action="camera_changed",
            detail={
                "camera": change.camera,
                "status": change.state,
                "flapping": change.flapping,
                "faults": list(change.faults),
            },
        )

    def _resolved_elsewhere(self, session: Session, alert_id: str) -> bool:
        """Whether another process resolved the alert since this one loaded it; if so, forget it
        here (a later refresh would too) rather than write to a closed alert."""
        alert = session.get(AlertRow, alert_id)
        if alert is not None and alert.status != "resolved":
            self._hold([alert])
            return False
        self.open_alerts.forget(alert_id)
        return True

    def maybe_resolve(self, session: Session, alert: AlertRow, at: dt.datetime) -> None:
        """Resolve the alert once its cameras are back and its tasks have ended."""
        state = self.open_alerts.get(alert.id)
        if state is None or state.down:
            return
        if all(t.status in TERMINAL_STATUSES for t in self.tasks_of(session, state)):
            self.close_alert(session, alert, at=at, by=SYSTEM, how="cameras back and tasks done")

    def close_alert(
        self, session: Session, alert: AlertRow, *, at: dt.datetime, by: str, how: str
    ) -> None:
        """Resolve the alert now, by `by`, saying how."""
        alert.status = "resolved"
        alert.resolved_at = at
        alert.resolved_by = by
        alert.resolution = how
        records.alert_log(session, alert, at=at, actor=by, action="resolved", detail={"how": how})
        records.publish(
            session,
            at=at,
            type="alert.resolved",
            data=records.alert_summary(alert, severity=severity_name(alert.severity)),
        )
        self.open_alerts.forget(alert.id)

    # ------------------------------------------------------------------ people and dispatch

    def acknowledge(
        self, session: Session, *, alert_id: str, by: str, at: dt.datetime, note: str | None = None
    ) -> AlertRow:
        """An operator takes the alert: open → acknowledged (a repeat is harmless)."""
        with self._lock:
            return lifecycle.acknowledge(self, session, alert_id=alert_id, by=by, at=at, note=note)

    def resolve(
        self, session: Session, *, alert_id: str, by: str, at: dt.datetime, note: str | None = None
    ) -> AlertRow:
        """Resolve by hand; active tasks are cancelled and dispatch is told."""
        with self._lock:
            return lifecycle.resolve(self, session, alert_id=alert_id, by=by, at=at, note=note)

    def task_status(
        self,
        session: Session,
        *,
        task_id: str,
        status: str,
        by: str,
        at: dt.datetime,
        note: str | None = None,
    ) -> TaskRow:
        """A status report from a unit or an operator; raises TaskError for one that cannot be."""
        with self._lock:
            return lifecycle.task_status(
                self, session, task_id=task_id, status=status, by=by, at=at, note=note
            )

    def add_silence(
        self,
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
        with self._lock:
            return lifecycle.add_silence(
                self,
                session,
                starts_at=starts_at,
                ends_at=ends_at,
                by=by,
                cameras=cameras,
                zones=zones,
                groups=groups,
                comment=comment,
            )

    def check_escalations(self, session: Session, *, now: dt.datetime) -> list[str]:
        """Escalate open alerts left unacknowledged past their severity's time; return their ids."""
        with self._lock:
            lifecycle.regrade(self, session, now)
            lifecycle.assign_waiting(self, session, now)
            return lifecycle.check_escalations(self, session, now=now)

    # ------------------------------------------------------------------ lookups

    def quarantined(self) -> list[QuarantinedRecord]:
        """Stored records the last load could not read (for the admin)."""
        return self.quarantine.records()

    def open_alert_for(self, camera: str) -> str | None:
        """The id of the unresolved alert holding `camera`, if any."""
        with self._lock:
            return self.open_alerts.holding(camera)

    @property
    def busy_units(self) -> Mapping[str, str]:
        """Patrol unit → the road_patrol task it is on (read-only; `units` owns it)."""
        return self.units.busy
