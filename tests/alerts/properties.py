"""Shared parts of the alert core's property tests: hypothesis profiles, random operator and
probe sequences, an independent oracle of when a camera is surely down, and the lifecycle rules
of the README checked against what the store holds.

Profiles: `gapwatch` (the default, bounded so the suite stays quick) and `gapwatch-long` (many
more examples; `GAPWATCH_HYPOTHESIS=gapwatch-long pytest tests/alerts tests/runtime -k propert`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.coverage import CoverageModel
from gapwatch.health import camera_is_down
from gapwatch.patrol import ACTIVE_STATUSES
from gapwatch.site import Site
from gapwatch.storage import AlertRow, CameraStateRow, SilenceRow, TaskRow
from tests.alerts import scenario as sc

settings.register_profile(
    "gapwatch",
    max_examples=5,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "gapwatch-long",
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile(os.environ.get("GAPWATCH_HYPOTHESIS", "gapwatch"))

CAMERAS = ["cam-sw", "cam-ne", "cam-tight", "pole-01", "pole-02"]
STEP = dt.timedelta(seconds=20)
FAULTS = {"ok": [], "offline": ["no_signal"], "degraded": ["blur"]}
MIN_SEEN_M2 = 0.5
"""A video patrol view must see at least this much of the gap (README, lifecycle rule 5)."""

Event = tuple[str, ...]

_probe = st.tuples(
    st.just("probe"),
    st.sampled_from(CAMERAS),
    st.sampled_from(["ok", "ok", "offline", "offline", "degraded"]),
)
_operator = st.one_of(
    st.tuples(st.sampled_from(["ack", "resolve"]), st.sampled_from(CAMERAS)),
    st.tuples(
        st.just("report"),
        st.sampled_from(CAMERAS),
        st.sampled_from(["road_patrol", "road_patrol", "video_patrol"]),
        st.sampled_from(["accepted", "rejected", "rejected", "on_scene", "cleared", "done"]),
    ),
    st.tuples(st.just("silence"), st.sampled_from(CAMERAS), st.sampled_from(["2", "5"])),
)
_bump = st.tuples(st.sampled_from(["restart", "resync"]))


def events(*, bumps: bool, max_size: int = 30) -> st.SearchStrategy[list[Event]]:
    """Random sequences: mostly probes, some operator and dispatch actions and, with `bumps`,
    restarts and resyncs at any point."""
    parts = [_probe, _probe, _probe, _operator]
    if bumps:
        parts.append(_bump)
    return st.lists(st.one_of(*parts), min_size=1, max_size=max_size)


@dataclass
class Timeline:
    """The events with their times: every probe or action moves the clock on by STEP."""

    t0: dt.datetime
    timed: list[tuple[dt.datetime, Event]] = field(default_factory=list)

    @classmethod
    def of(cls, plan: Sequence[Event], t0: dt.datetime) -> Timeline:
        line = cls(t0)
        at = t0
        for event in plan:
            if event[0] not in ("restart", "resync"):
                at += STEP
            line.timed.append((at, event))
        return line

    @property
    def end(self) -> dt.datetime:
        return self.timed[-1][0] if self.timed else self.t0

    def replay_lines(self) -> list[str]:
        """The same events as `gapwatch replay` lines (restarts and resyncs have none)."""
        lines = []
        for at, event in self.timed:
            kind = event[0]
            if kind == "probe":
                lines.append(sc.probe(at, event[1], event[2]))
            elif kind in ("ack", "resolve"):
                lines.append(sc.action(at, kind, camera=event[1], by="op-li"))
            elif kind == "report":
                lines.append(
                    sc.action(
                        at, "task_status", camera=event[1], task=event[2], status=event[3], by="cad"
                    )
                )
            elif kind == "silence":
                until = at + dt.timedelta(minutes=int(event[2]))
                lines.append(
                    json.dumps(
                        {
                            "at": at.isoformat(),
                            "action": "silence",
                            "cameras": [event[1]],
                            "until": until.isoformat(),
                            "by": "op-li",
                        }
                    )
                )
        return lines

    def surely_down(self, open_after: int) -> list[tuple[dt.datetime, str]]:
        """(time, camera) whenever a camera's last `open_after` probes all had the same bad
        status: whatever its history, the debounce has it down then (an oracle of our own,
        weaker than the tracker but independent of it)."""
        last: dict[str, list[str]] = defaultdict(list)
        out = []
        for at, event in self.timed:
            if event[0] != "probe":
                continue
            seen = last[event[1]]
            seen.append(event[2])
            tail = seen[-open_after:]
            if len(tail) == open_after and tail[0] != "ok" and len(set(tail)) == 1:
                out.append((at, event[1]))
        return out

    def silenced(self, camera: str, at: dt.datetime) -> bool:
        """Whether a silence asked for in the events covers `camera` at `at`."""
        return any(
            event[0] == "silence"
            and event[1] == camera
            and start <= at < start + dt.timedelta(minutes=int(event[2]))
            for start, event in self.timed
        )


def _covered_by_silence(session: Session, camera: str, at: dt.datetime) -> bool:
    for row in session.scalars(select(SilenceRow)):
        if row.starts_at <= at < row.ends_at and camera in (row.cameras or []):
            return True
    return False


def _ground(site: Site, features: Sequence[dict[str, Any]]) -> Any:
    parts = [site.projection.project(shapely.geometry.shape(f["geometry"])) for f in features]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def check_rules(session: Session, site: Site, model: CoverageModel, at: dt.datetime) -> None:
    """The README's lifecycle rules 1, 3 (one open alert per camera), 4 and 5, read from the
    store at `at`."""
    down = [
        row.camera_id
        for row in session.scalars(select(CameraStateRow))
        if camera_is_down(row.status, row.flapping)
    ]
    alerts = list(
        session.scalars(
            select(AlertRow).where(AlertRow.status != "resolved", AlertRow.kind != "coverage_gap")
        )
    )
    holders: dict[str, list[str]] = defaultdict(list)
    for alert in alerts:
        for camera in alert.cameras:
            holders[camera].append(alert.id)
    for camera in down:
        # Rule 1: a down camera has an open alert, or a silence that covers it.
        assert holders[camera] or _covered_by_silence(session, camera, at), (camera, at)
    for camera, ids in holders.items():
        assert len(ids) == 1, (camera, ids)  # one outage, one alert
    units: dict[str, list[str]] = defaultdict(list)
    for alert in session.scalars(select(AlertRow)):
        tasks = sorted(alert.tasks, key=lambda t: (t.created_at, t.id))
        roads = [t for t in tasks if t.kind == "road_patrol"]
        videos = [t for t in tasks if t.kind == "video_patrol"]
        live_roads = [t for t in roads if t.status in ACTIVE_STATUSES]
        # Rule 4: at most one road patrol under way, and it is the newest: the one shown.
        assert len(live_roads) <= 1, [(t.status, t.assignee) for t in roads]
        if live_roads:
            assert live_roads[0] is roads[-1], [(t.status, t.assignee) for t in roads]
        for task in live_roads:
            if task.assignee is not None:
                units[task.assignee].append(task.id)
                assert task.payload["unit"] == task.assignee  # the route is the assignee's
        # Rule 5: a video patrol exactly when the road patrol says some view sees the gap …
        if roads:
            assert bool(videos) == bool(roads[0].payload["video_views"]), alert.id
            if not videos:
                assert roads[0].payload.get("note")
        # … and each view it lists sees part of the gap it was raised for, and works.
        for task in videos:
            _check_video(site, model, task)
    for unit, ids in units.items():
        assert len(ids) == 1, (unit, ids)  # a unit is on one task at a time


def _check_video(site: Site, model: CoverageModel, task: TaskRow) -> None:
    payload = task.payload
    assert payload["views"], task.id  # no video patrol with nothing to look at
    gap = _ground(site, payload["blind_spots"])
    for view in payload["views"]:
        assert view["camera"] not in payload["cameras_down"], view
        if view["preset"] is None:
            geometry = model.view_geometries[model.position(view["camera"])]
        else:
            geometry = model.preset_views[(view["camera"], view["preset"])].geometry
        # The stored gap is rounded to 7 decimals of a degree (about 1 cm): allow a little.
        assert shapely.intersection(geometry, gap).area >= MIN_SEEN_M2 - 0.1, view
