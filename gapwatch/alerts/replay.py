"""`gapwatch replay`: recorded events through the engine the service runs, clock from the events.

Each line of the events file is one JSON object with an `at` time carrying its UTC offset:
- a probe result (CONTRACTS.md):
  `{"at", "camera", "status": "ok|degraded|offline", "faults": [...]}`
- an operator or dispatch action, marked by `"action"`:
  - `{"action": "ack" | "resolve", "camera": ID, "by": WHO}` — on the camera's open alert;
  - `{"action": "task_status", "camera": ID, "task": "road_patrol" | "video_patrol",
    "status": "accepted|en_route|on_scene|cleared|rejected|done", "by": WHO}` — on that alert's
    newest task of that kind;
  - `{"action": "silence", "cameras": [...], "zones": [...], "groups": [...], "until": TIME,
    "by": WHO, "comment": TEXT}`;
  - `{"action": "tick"}` — only lets time pass (escalations are checked before every line).

A line that cannot be used (not JSON, unknown camera, older than the line before, a repeat of an
earlier probe, an action with nothing to act on) is reported with its line number and skipped;
every other line still counts.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gapwatch.alerts.engine import AlertEngine, EngineError
from gapwatch.alerts.severity import severity_name
from gapwatch.health import Probe
from gapwatch.patrol import TERMINAL_STATUSES, TaskError
from gapwatch.site import Site
from gapwatch.storage import AlertRow, TaskRow, make_engine, session_factory, transaction
from gapwatch.vision.types import FAULT_CODES

__all__ = ["ReplayEvent", "ReplayProblem", "ReplayReport", "parse_events", "replay", "run_replay"]

STATUSES = ("ok", "degraded", "offline")
ACTIONS = ("ack", "resolve", "task_status", "silence", "tick")
TASK_REPORTS = ("accepted", "en_route", "on_scene", "cleared", "rejected", "done")


@dataclass(frozen=True)
class ReplayProblem:
    """A line that was skipped, and why (in English and Chinese)."""

    line: int
    en: str
    zh: str

    def text(self, source: str) -> str:
        """The `FILE:LINE: message` line shown to the user."""
        return f"{source}:{self.line}: {self.en} / {self.zh}"


@dataclass(frozen=True)
class ReplayEvent:
    """One usable line of the events file."""

    line: int
    at: dt.datetime
    action: str  # "probe" or one of ACTIONS
    data: dict[str, Any]


@dataclass
class ReplayReport:
    """What a replay raised, and the lines it had to skip."""

    alerts: list[dict[str, Any]] = field(default_factory=list)
    problems: list[ReplayProblem] = field(default_factory=list)
    events: int = 0

    def as_json(self) -> dict[str, Any]:
        """The `--format json` output (CONTRACTS.md)."""
        return {"alerts": self.alerts}


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return at if at.tzinfo is not None and at.utcoffset() is not None else None


def _check_line(obj: dict[str, Any], cameras: set[str]) -> tuple[str, str] | None:
    """Problems with one line's fields (not its place in time), as (en, zh)."""
    action = obj.get("action", "probe")
    if action == "probe":
        camera = obj.get("camera")
        if not isinstance(camera, str) or not camera:
            return 'a probe needs a "camera" id', '探测结果缺少 "camera" 编号'
        if camera not in cameras:
            return f"unknown camera {camera!r}", f"未知摄像机 {camera!r}"
        if obj.get("status") not in STATUSES:
            return (
                f"status must be one of {', '.join(STATUSES)}, not {obj.get('status')!r}",
                f"status 必须是 {', '.join(STATUSES)} 之一",
            )
        faults = obj.get("faults", [])
        if not isinstance(faults, list) or any(f not in FAULT_CODES for f in faults):
            return (
                f"faults must be a list of {', '.join(FAULT_CODES)}",
                f"faults 必须是故障代码列表（{', '.join(FAULT_CODES)}）",
            )
        return None
    if action not in ACTIONS:
        return (
            f"unknown action {action!r} (expected {', '.join(ACTIONS)})",
            f"未知操作 {action!r}",
        )
    if action in ("ack", "resolve", "task_status"):
        camera = obj.get("camera")
        if camera not in cameras:
            return f"unknown camera {camera!r}", f"未知摄像机 {camera!r}"
    if action == "task_status":
        if obj.get("task") not in ("road_patrol", "video_patrol"):
            return (
                "task must be road_patrol or video_patrol",
                "task 必须是 road_patrol 或 video_patrol",
            )
        if obj.get("status") not in TASK_REPORTS:
            return (
                f"task status must be one of {', '.join(TASK_REPORTS)}",
                f"任务状态必须是 {', '.join(TASK_REPORTS)} 之一",
            )
    if action == "silence":
        if _parse_time(obj.get("until")) is None:
            return 'a silence needs "until" with a UTC offset', '静默需要带时区的 "until"'
        unknown = [c for c in obj.get("cameras", []) if c not in cameras]
        if unknown:
            return f"unknown camera(s) {', '.join(unknown)}", f"未知摄像机 {', '.join(unknown)}"
    return None


def parse_events(
    lines: Iterator[str] | list[str], cameras: set[str]
) -> tuple[list[ReplayEvent], list[ReplayProblem]]:
    """Parse and check every line; usable events in order, and the problems of the rest."""
    events: list[ReplayEvent] = []
    problems: list[ReplayProblem] = []
    last: dt.datetime | None = None
    probes_seen: set[tuple[str, dt.datetime]] = set()
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text:
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(
                ReplayProblem(
                    number, f"not valid JSON ({exc.msg})", f"不是有效的 JSON（{exc.msg}）"
                )
            )
            continue
        if not isinstance(obj, dict):
            problems.append(ReplayProblem(number, "not a JSON object", "不是 JSON 对象"))
            continue
        at = _parse_time(obj.get("at"))
        if at is None:
            problems.append(
                ReplayProblem(
                    number,
                    '"at" must be an ISO 8601 time with a UTC offset',
                    '"at" 必须是带时区的 ISO 8601 时间',
                )
            )
            continue
        wrong = _check_line(obj, cameras)
        if wrong is not None:
            problems.append(ReplayProblem(number, *wrong))
            continue
        if last is not None and at < last:
            problems.append(
                ReplayProblem(
                    number,
                    f"out of order: {at.isoformat()} is before the line before "
                    f"({last.isoformat()})",
                    f"顺序错误：{at.isoformat()} 早于上一行（{last.isoformat()}）",
                )
            )
            continue
        action = str(obj.get("action", "probe"))
        if action == "probe":
            key = (str(obj["camera"]), at)
            if key in probes_seen:
                problems.append(
                    ReplayProblem(
                        number,
                        f"repeated: {obj['camera']} was already probed at {at.isoformat()}",
                        f"重复：{obj['camera']} 在 {at.isoformat()} 已有探测结果",
                    )
                )
                continue
            probes_seen.add(key)
        last = at
        events.append(ReplayEvent(number, at, action, obj))
    return events, problems


def replay(
    site: Site, lines: Iterator[str] | list[str], *, db_url: str | None = None
) -> ReplayReport:
    """Run events through a fresh engine on a temporary SQLite database (or `db_url`)."""
    if db_url is not None:
        return _replay(site, lines, db_url)
    with tempfile.TemporaryDirectory(prefix="gapwatch-replay-") as folder:
        return _replay(site, lines, f"sqlite:///{Path(folder) / 'replay.db'}")


def _replay(site: Site, lines: Iterator[str] | list[str], db_url: str) -> ReplayReport:
    from gapwatch.dispatch import configured_endpoints, sync_endpoints
    from gapwatch.storage import Base

    cameras = {c.id for c in site.spec.cameras}
    events, problems = parse_events(lines, cameras)
    report = ReplayReport(problems=problems, events=len(events))
    db = make_engine(db_url)
    try:
        Base.metadata.create_all(db)
        sessions = session_factory(db)
        engine = AlertEngine(site)
        start = events[0].at if events else dt.datetime.now(dt.UTC)
        with transaction(sessions) as session:
            sync_endpoints(session, configured_endpoints(site.spec.dispatch.endpoints), now=start)
            engine.start(session, at=start)
        for event in events:
            try:
                with transaction(sessions) as session:
                    engine.check_escalations(session, now=event.at)
                    _apply(engine, session, event)
            except (EngineError, TaskError) as exc:
                report.problems.append(ReplayProblem(event.line, str(exc), _zh(exc)))
                with transaction(sessions) as session:
                    engine.reload(session)
        with transaction(sessions, write=False) as session:
            report.alerts = _alerts(session, ZoneInfo(site.spec.site.timezone))
    finally:
        db.dispose()
    report.problems.sort(key=lambda p: p.line)
    return report


def _zh(exc: Exception) -> str:
    return f"无法执行：{exc}"


def _apply(engine: AlertEngine, session: Any, event: ReplayEvent) -> None:
    data, at = event.data, event.at
    if event.action == "probe":
        probe = Probe(at, data["camera"], data["status"], tuple(data.get("faults", [])))
        engine.ingest(session, [probe])
        return
    if event.action == "tick":
        return
    by = str(data.get("by", "replay"))
    if event.action == "silence":
        until = _parse_time(data["until"])
        assert until is not None
        engine.add_silence(
            session,
            starts_at=at,
            ends_at=until,
            by=by,
            cameras=list(data.get("cameras", [])),
            zones=list(data.get("zones", [])),
            groups=list(data.get("groups", [])),
            comment=data.get("comment"),
        )
        return
    alert_id = engine.open_alert_for(data["camera"])
    if alert_id is None:
        raise EngineError(f"camera {data['camera']} has no open alert")
    if event.action == "ack":
        engine.acknowledge(session, alert_id=alert_id, by=by, at=at)
    elif event.action == "resolve":
        engine.resolve(session, alert_id=alert_id, by=by, at=at)
    else:
        tasks = session.scalars(
            select(TaskRow)
            .where(TaskRow.alert_id == alert_id, TaskRow.kind == data["task"])
            .order_by(TaskRow.created_at)
        ).all()
        # The newest task still under way; the newest of all when every one has ended.
        live = [t for t in tasks if t.status not in TERMINAL_STATUSES]
        task = (live or tasks or [None])[-1]
        if task is None:
            raise EngineError(f"the alert of {data['camera']} has no {data['task']} task")
        engine.task_status(session, task_id=task.id, status=data["status"], by=by, at=at)


def _alerts(session: Any, tz: ZoneInfo) -> list[dict[str, Any]]:
    def _iso(value: dt.datetime | None) -> str | None:
        return value.astimezone(tz).isoformat() if value is not None else None

    out: list[dict[str, Any]] = []
    for alert in session.scalars(select(AlertRow).order_by(AlertRow.opened_at, AlertRow.id)):
        tasks = session.scalars(
            select(TaskRow).where(TaskRow.alert_id == alert.id).order_by(TaskRow.created_at)
        )
        out.append(
            {
                "id": alert.id,
                "kind": alert.kind,
                "cameras": list(alert.cameras),
                "opened_at": _iso(alert.opened_at),
                "resolved_at": _iso(alert.resolved_at),
                "severity": severity_name(alert.severity),
                "blind_spot_m2": round(alert.blind_spot_m2, 2),
                "blind_spots": [
                    {
                        "zone": f["properties"]["zone"],
                        "area_m2": f["properties"]["area_m2"],
                        "geometry": f["geometry"],
                    }
                    for f in alert.blind_spots
                ],
                "tasks": [
                    {"id": t.id, "kind": t.kind, "assignee": t.assignee, "status": t.status}
                    for t in tasks
                ],
                "status": alert.status,
                "zones": list(alert.zones),
                "flapping": alert.flapping,
                "silenced": alert.silenced,
                "acknowledged_at": _iso(alert.acknowledged_at),
                "escalation_level": alert.escalation_level,
            }
        )
    return out


def run_replay(site: Site, path: Path) -> ReplayReport:
    """Replay an events file (read as UTF-8)."""
    with path.open(encoding="utf-8-sig") as handle:
        return replay(site, list(handle))
