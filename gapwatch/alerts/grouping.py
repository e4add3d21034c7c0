"""Which open alert a newly failed camera belongs to, so one cause raises one alert.

Rules, first match wins:
1. The camera is already in an open alert (it was flapping, say): that alert.
2. Same `group` (pole, switch, power feed): an open alert holding a camera of that group that
   opened no more than `group_window` before the failure — cameras that share a feed and fail
   together are one incident.
3. Same zone at once: an open outage alert that opened no more than `zone_window` before and
   whose first camera shares a zone with the camera (the zones its view touches). The first
   camera's zones, not those of every camera that joined: otherwise an alert grows from zone to
   zone through each joiner, and a county-wide switch failure became one alert with one road
   patrol for a dozen zones.
Standing coverage gaps and suppressed (silenced, maintenance) alerts never absorb a failure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["GROUP_WINDOW", "ZONE_WINDOW", "CameraFacts", "OpenAlertFacts", "choose_alert"]

GROUP_WINDOW = dt.timedelta(minutes=5)
ZONE_WINDOW = dt.timedelta(seconds=90)


@dataclass(frozen=True)
class CameraFacts:
    """What grouping needs to know about a camera."""

    id: str
    group: str | None
    zones: frozenset[str]


@dataclass(frozen=True)
class OpenAlertFacts:
    """What grouping needs to know about an open alert."""

    id: str
    opened_at: dt.datetime
    cameras: frozenset[str]
    groupable: bool
    first: str | None = None
    """The camera whose failure opened the alert (its zones are the alert's for rule 3)."""
    groups: frozenset[str] | None = None
    """The groups of its cameras, when the caller keeps them (else read from `cameras`)."""


def choose_alert(
    camera: CameraFacts,
    at: dt.datetime,
    open_alerts: Iterable[OpenAlertFacts],
    cameras: Mapping[str, CameraFacts],
    *,
    group_window: dt.timedelta = GROUP_WINDOW,
    zone_window: dt.timedelta = ZONE_WINDOW,
) -> str | None:
    """The id of the open alert `camera` (failing at `at`) should join, or None for a new one."""
    candidates = list(open_alerts)
    for alert in candidates:
        if camera.id in alert.cameras:
            return alert.id
    recent = [a for a in candidates if a.groupable]
    if camera.group is not None:
        for alert in sorted(recent, key=lambda a: a.opened_at):
            if at - alert.opened_at > group_window:
                continue
            if alert.groups is not None:
                if camera.group in alert.groups:
                    return alert.id
            elif any(cameras[c].group == camera.group for c in alert.cameras if c in cameras):
                return alert.id
    if camera.zones:
        for alert in sorted(recent, key=lambda a: a.opened_at):
            if at - alert.opened_at > zone_window:
                continue
            first = cameras.get(alert.first) if alert.first is not None else None
            if first is not None:
                alert_zones: frozenset[str] = first.zones
            else:
                alert_zones = frozenset().union(
                    *(cameras[c].zones for c in alert.cameras if c in cameras)
                )
            if alert_zones & camera.zones:
                return alert.id
    return None
