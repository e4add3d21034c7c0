"""The crowd in the running service: each camera's pose, the live crowd, and its stored history.

Poses come from the site's cameras (mount height, tilt, lens, resolution) in the coverage model's
metres, so people counted in a picture land on the same ground the views and zones are drawn on.
Normals (per zone, weekday and hour) and the hourly record are kept in the store; the live counts
are held in memory by the service's one `LiveCrowd`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gapwatch.coverage import CoverageModel
from gapwatch.crowd import CameraPose, CrowdNormals, HourRecord, LiveCrowd, Slot
from gapwatch.site import Site
from gapwatch.storage import CrowdHourRow, CrowdNormalRow

__all__ = [
    "DEFAULT_RESOLUTION",
    "DEFAULT_TILT_DEG",
    "HourPoint",
    "ShiftCrowd",
    "ZoneCrowdSummary",
    "live_crowd_for",
    "load_normals",
    "poses_of",
    "save_hours",
    "shift_crowd",
    "zone_history",
    "zone_summaries",
]

DEFAULT_TILT_DEG = 15.0
"""Tilt assumed for a camera whose site entry gives none: a typical pole-mounted view."""
DEFAULT_RESOLUTION = (1920, 1080)
"""Picture size assumed when the site gives none; only the aspect ratio matters for counting."""


def poses_of(model: CoverageModel, *, mount_height_m: float = 3.0) -> dict[str, CameraPose]:
    """A pose per camera that can count people: fixed lens under 180°, in the model's metres."""
    poses: dict[str, CameraPose] = {}
    for cam in model.cameras:
        if not 0.0 < cam.hfov_deg < 180.0:
            continue  # a fisheye or panorama: the flat-ground person scale does not hold
        width, height = cam.resolution or DEFAULT_RESOLUTION
        poses[cam.id] = CameraPose(
            x=cam.x,
            y=cam.y,
            height_m=cam.height_m or mount_height_m,
            heading_deg=cam.heading_deg,
            tilt_deg=DEFAULT_TILT_DEG if cam.tilt_deg is None else cam.tilt_deg,
            hfov_deg=cam.hfov_deg,
            width=int(width),
            height=int(height),
            vfov_deg=cam.vfov_deg,
        )
    return poses


def live_crowd_for(site: Site, model: CoverageModel) -> LiveCrowd:
    """The service's live crowd over the cameras' fixed views and the site's zones."""
    mount = site.spec.terrain.mount_height_m if site.spec.terrain is not None else 3.0
    return LiveCrowd(
        views={c: v.geometry for c, v in model.views.items()},
        zones={z.id: z.polygon for z in model.zones},
        poses=poses_of(model, mount_height_m=mount),
        timezone=site.spec.site.timezone,
    )


def load_normals(session: Session) -> CrowdNormals:
    """Every stored normal slot."""
    normals = CrowdNormals()
    for row in session.scalars(select(CrowdNormalRow)):
        normals.slots[(row.zone_id, row.weekday, row.hour)] = Slot(row.mean, row.var, row.samples)
    return normals


def save_hours(
    session: Session, records: Sequence[HourRecord], normals: CrowdNormals, *, at: dt.datetime
) -> None:
    """Store finished hours and the normal slots they taught (upsert by primary key)."""
    touched: set[tuple[str, int, int]] = set()
    for r in records:
        row = session.get(CrowdHourRow, (r.zone, r.hour))
        if row is None:
            row = CrowdHourRow(zone_id=r.zone, hour=r.hour)
            session.add(row)
        row.mean, row.peak, row.samples = r.mean, r.peak, r.samples
        touched.update(k for k in normals.slots if k[0] == r.zone)
    for key in sorted(touched):
        slot = normals.slots[key]
        normal = session.get(CrowdNormalRow, key)
        if normal is None:
            normal = CrowdNormalRow(zone_id=key[0], weekday=key[1], hour=key[2])
            session.add(normal)
        normal.mean, normal.var, normal.samples = slot.mean, slot.var, slot.samples
        normal.updated_at = at


@dataclass(frozen=True)
class HourPoint:
    """One hour of a zone's chart: its mean and peak people and what is normal for that hour."""

    hour: dt.datetime
    mean: float
    peak: float
    normal: float | None


def zone_history(
    session: Session, zone: str, *, since: dt.datetime, crowd: LiveCrowd
) -> list[HourPoint]:
    """The zone's finished hours since `since`, each against the normal for its weekday-hour."""
    rows = session.scalars(
        select(CrowdHourRow)
        .where(CrowdHourRow.zone_id == zone, CrowdHourRow.hour >= since)
        .order_by(CrowdHourRow.hour)
    )
    normals = {
        (r.weekday, r.hour): r.mean
        for r in session.scalars(select(CrowdNormalRow).where(CrowdNormalRow.zone_id == zone))
    }
    out = []
    for row in rows:
        local = crowd.local(row.hour + dt.timedelta(minutes=30))
        out.append(
            HourPoint(row.hour, row.mean, row.peak, normals.get((local.weekday(), local.hour)))
        )
    return out


@dataclass(frozen=True)
class ZoneCrowdSummary:
    """A zone's crowd for the audit: now, normal now, and its usual busiest hour of the week."""

    zone: str
    people: float | None
    density_per_m2: float | None
    normal_now: float | None
    usual_peak: float | None
    usual_peak_weekday: int | None
    usual_peak_hour: int | None


def zone_summaries(session: Session, crowd: LiveCrowd, at: dt.datetime) -> list[ZoneCrowdSummary]:
    """Every zone's crowd now against its normal, and its usual busiest weekday-hour (stored)."""
    peaks: dict[str, CrowdNormalRow] = {}
    for row in session.scalars(select(CrowdNormalRow)):
        best = peaks.get(row.zone_id)
        if best is None or row.mean > best.mean:
            peaks[row.zone_id] = row
    out = []
    for z in crowd.now(at):
        peak = peaks.get(z.zone)
        out.append(
            ZoneCrowdSummary(
                zone=z.zone,
                people=z.people if z.cameras else None,
                density_per_m2=z.density_per_m2 if z.cameras else None,
                normal_now=z.normal,
                usual_peak=peak.mean if peak else None,
                usual_peak_weekday=peak.weekday if peak else None,
                usual_peak_hour=peak.hour if peak else None,
            )
        )
    return out


@dataclass(frozen=True)
class ShiftCrowd:
    """A zone's crowd over a shift's finished hours: mean and peak people, and when the peak was."""

    zone: str
    hours: int
    mean: float
    peak: float
    peak_hour: dt.datetime


def shift_crowd(session: Session, *, start: dt.datetime, end: dt.datetime) -> list[ShiftCrowd]:
    """Per zone, the finished hours that began in [start, end)."""
    rows = session.scalars(
        select(CrowdHourRow)
        .where(CrowdHourRow.hour >= start, CrowdHourRow.hour < end)
        .order_by(CrowdHourRow.zone_id, CrowdHourRow.hour)
    )
    by_zone: dict[str, list[CrowdHourRow]] = {}
    for row in rows:
        by_zone.setdefault(row.zone_id, []).append(row)
    out = []
    for zone, hours in sorted(by_zone.items()):
        top = max(hours, key=lambda h: (h.peak, h.hour))
        out.append(
            ShiftCrowd(
                zone=zone,
                hours=len(hours),
                mean=sum(h.mean for h in hours) / len(hours),
                peak=top.peak,
                peak_hour=top.hour,
            )
        )
    return out
