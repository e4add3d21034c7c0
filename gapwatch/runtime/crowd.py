"""The crowd in the running service: each camera's pose, the live crowd, and its stored history.

Poses come from the site's cameras (mount height, tilt, lens, resolution) in the coverage model's
metres, so people counted in a picture land on the same ground the views and zones are drawn on.
Normals (per zone, weekday and hour) and the hourly record are kept in the store; the live counts
are held in memory by the service's one `LiveCrowd`, and each camera's latest count is stored by
the `CrowdLedger` beside it, so that an API replica and a restarted prober hold the same crowd.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from gapwatch.coverage import CoverageModel
from gapwatch.crowd import CameraPose, CrowdNormals, HourRecord, LiveCrowd, Slot
from gapwatch.site import Site
from gapwatch.storage import CrowdCameraRow, CrowdHourRow, CrowdNormalRow

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_RESOLUTION",
    "DEFAULT_TILT_DEG",
    "CrowdLedger",
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


_CAMERAS = cast(Table, CrowdCameraRow.__table__)


class CrowdLedger:
    """The stored side of one `LiveCrowd`: each camera's latest placed count, one row a camera.

    The probing process `record`s the cameras whose count changed, in the transaction that takes
    in their verdicts; every process `follow`s the rows written since it last looked, so an API
    replica answers with the prober's counts, and a prober that starts again picks up the counts
    it held (a camera's next verdict replaces its count within one probe interval). Each write
    carries the next version; a process never takes in its own writes again.
    """

    def __init__(self, crowd: LiveCrowd) -> None:
        self.crowd = crowd
        self.version = 0
        """The newest version written or taken in by this process."""
        self._normals_at: dt.datetime | None = None
        self._pending: set[str] = set()
        self._writing: int | None = None

    def follow(self, session: Session) -> int:
        """Take in the rows written since the last look, and normals stored since; returns how
        many cameras' counts changed."""
        rows = session.execute(
            select(_CAMERAS.c.camera_id, _CAMERAS.c.version, _CAMERAS.c.points)
            .where(_CAMERAS.c.version > self.version)
            .order_by(_CAMERAS.c.version)
        ).all()
        changed = 0
        for camera, version, points in rows:
            self.version = max(self.version, version)
            if not _well_formed(points):
                # A row this process cannot read (written by hand, or by another version) is
                # no count: it must not stop start-up or the alerts' refresh that follows it.
                log.warning(
                    "crowd count of %s (version %d) is unreadable; taken as nobody", camera, version
                )
                points = None
            changed += self.crowd.take(camera, points)
        learned = session.scalar(select(func.max(CrowdNormalRow.updated_at)))
        if learned is not None and learned != self._normals_at:
            self._normals_at = learned
            self.crowd.restore(load_normals(session))
        return changed

    def record(self, session: Session, cameras: Iterable[str], *, at: dt.datetime) -> None:
        """Store the counts `cameras` hold now, in the caller's transaction; call `committed`
        once it commits (until then the cameras are written again with the next record)."""
        self._pending.update(cameras)
        names = sorted(self._pending)
        if not names:
            return
        newest = session.scalar(select(func.max(_CAMERAS.c.version))) or 0
        if newest > self.version:
            # Another process wrote since the last look (a prober before a hand-over): take its
            # rows in first, so none is passed over; the counts written below are this one's.
            self.follow(session)
        version = max(newest, self.version) + 1
        values = []
        for camera in names:
            # Finite by construction: `LiveCrowd` keeps no point without a finite place and
            # weight (PostgreSQL's json would refuse NaN and fail the verdicts' commit).
            points = self.crowd.placed(camera)
            people = 0.0 if points is None else float(sum(p[2] for p in points))
            values.append(
                {
                    "camera_id": camera,
                    "version": version,
                    "at": at,
                    "people": people,
                    "points": points,
                }
            )
        connection = session.connection()
        connection.execute(_CAMERAS.delete().where(_CAMERAS.c.camera_id.in_(names)))
        connection.execute(_CAMERAS.insert(), values)
        self._writing = version

    def committed(self) -> None:
        """The transaction that recorded counts committed: they need no writing again."""
        if self._writing is not None:
            self.version = max(self.version, self._writing)
            self._writing = None
        self._pending.clear()


def _well_formed(points: object) -> bool:
    """Null, or a list of finite (x, y, people) triples with people not negative."""
    if points is None:
        return True
    if not isinstance(points, list):
        return False
    for p in points:
        if not (isinstance(p, list) and len(p) == 3):
            return False
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in p):
            return False
        if not all(math.isfinite(v) for v in p) or p[2] < 0:
            return False
    return True


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
