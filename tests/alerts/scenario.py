"""Helpers for the replay scenario tests: the example site and event lines written in local time."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gapwatch.alerts.replay import ReplayReport, replay
from gapwatch.site import Site, load_site

EXAMPLE_SITE = Path(__file__).resolve().parents[2] / "config" / "examples" / "replay-site.yaml"
TZ = ZoneInfo("Asia/Shanghai")
POLE = [f"pole-{i:02d}" for i in range(1, 13)]


def site() -> Site:
    """The example site used by the scenarios."""
    return load_site(EXAMPLE_SITE)


def local(day: str, time: str) -> dt.datetime:
    """A site-local time, e.g. local('2026-07-29', '20:00')."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=TZ)


def probe(at: dt.datetime, camera: str, status: str, faults: list[str] | None = None) -> str:
    """One probe line as CONTRACTS.md writes it."""
    if faults is None:
        faults = {"ok": [], "offline": ["no_signal"], "degraded": ["blur"]}[status]
    return json.dumps({"at": at.isoformat(), "camera": camera, "status": status, "faults": faults})


def action(at: dt.datetime, name: str, **fields: Any) -> str:
    """One operator or dispatch action line."""
    return json.dumps({"at": at.isoformat(), "action": name, **fields})


def outage(
    camera: str, start: dt.datetime, *, bad: int = 3, good: int = 3, step_s: int = 60
) -> list[str]:
    """A camera healthy once, offline for `bad` probes, then healthy for `good` probes."""
    step = dt.timedelta(seconds=step_s)
    lines = [probe(start, camera, "ok")]
    t = start
    for _ in range(bad):
        t += step
        lines.append(probe(t, camera, "offline"))
    for _ in range(good):
        t += step
        lines.append(probe(t, camera, "ok"))
    return lines


def run(lines: list[str], the_site: Site | None = None) -> ReplayReport:
    """Replay `lines` against the example site (or `the_site`)."""
    return replay(the_site or site(), lines)


def only(report: ReplayReport, kind: str | None = None) -> dict[str, Any]:
    """The single alert (of `kind`) the replay raised."""
    alerts = [a for a in report.alerts if kind is None or a["kind"] == kind]
    assert len(alerts) == 1, [(a["kind"], a["cameras"]) for a in report.alerts]
    return alerts[0]
