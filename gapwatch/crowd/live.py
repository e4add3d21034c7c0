"""The site's crowd now: each camera's latest healthy count, per-zone sums, and the hour's record.

One `LiveCrowd` per running service owns all of it; its state changes only through its methods
(`observe`, `take`, `close_hour`, `restore`), under one lock, since the verdict writer observes
while the API and the metrics read. A camera whose latest verdict was not healthy (or not
counted) sees no one: its count is dropped, never kept from before it failed.

Normals learn one sample per zone and hour: the hour's mean count, folded in when the hour is
over, so that a surge now is compared with earlier weeks' same hour, not with its own minutes.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
from shapely.geometry.base import BaseGeometry

from gapwatch.crowd.counting import CrowdCount
from gapwatch.crowd.normal import CrowdNormals, Trend
from gapwatch.crowd.pose import CameraPose
from gapwatch.crowd.zones import CameraCrowd, CrowdMap, ZoneCrowd, camera_crowd

__all__ = ["CrowdFacts", "HourRecord", "LiveCrowd", "ZoneNow"]


@dataclass(frozen=True)
class ZoneNow:
    """One zone's crowd now against its normal for this weekday and hour."""

    zone: str
    people: float
    watched_m2: float
    density_per_m2: float
    normal: float | None
    trend: Trend
    cameras: tuple[str, ...]


@dataclass(frozen=True)
class CrowdFacts:
    """What priorities read from the crowd: per zone, live density, people and trend."""

    density: Mapping[str, float] = field(default_factory=dict)
    people: Mapping[str, float] = field(default_factory=dict)
    trend: Mapping[str, Trend] = field(default_factory=dict)
    cameras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """The healthy cameras counting each zone now."""
    camera_people: Mapping[str, float] = field(default_factory=dict)
    """People each counting camera sees now."""


@dataclass(frozen=True)
class HourRecord:
    """One zone's crowd over one finished hour (the hour's start in UTC)."""

    zone: str
    hour: dt.datetime
    mean: float
    peak: float
    samples: int


@dataclass
class _Hour:
    start: dt.datetime | None = None
    total: dict[str, float] = field(default_factory=dict)
    peak: dict[str, float] = field(default_factory=dict)
    samples: int = 0


def _hour_of(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


class LiveCrowd:
    """Latest healthy counts per camera and their sums per zone, views overlapping counted once."""

    def __init__(
        self,
        views: Mapping[str, BaseGeometry],
        zones: Mapping[str, BaseGeometry],
        poses: Mapping[str, CameraPose],
        *,
        timezone: str = "UTC",
        normals: CrowdNormals | None = None,
    ) -> None:
        counted = {c: v for c, v in views.items() if c in poses}
        self._views = dict(counted)
        self._poses = dict(poses)
        self._map = CrowdMap(counted, zones)
        self._tz = ZoneInfo(timezone)
        self._lock = threading.Lock()
        self._cameras: dict[str, CameraCrowd] = {}
        self._zones: dict[str, ZoneCrowd] | None = None
        self._normals = normals or CrowdNormals()
        self._hour = _Hour()
        self._zone_ids = list(zones)

    @property
    def zone_ids(self) -> list[str]:
        """The site's zones, in site order."""
        return list(self._zone_ids)

    def pose(self, camera: str) -> CameraPose | None:
        """The camera's pose, when it can count people (it has a fixed view and a usable lens)."""
        return self._poses.get(camera)

    def local(self, at: dt.datetime) -> dt.datetime:
        """`at` in the site's local time (naive), which normals are kept in."""
        return at.astimezone(self._tz).replace(tzinfo=None)

    def observe(self, camera: str, count: CrowdCount | None) -> bool:
        """Take one camera's latest verdict: its count when healthy and counted, else nobody.

        Returns whether the camera's contribution changed."""
        if camera not in self._views:
            return False
        crowd = None
        if count is not None and count.counted:
            crowd = camera_crowd(camera, count, self._poses[camera], self._views[camera])
        return self._set(camera, crowd)

    def take(self, camera: str, points: Sequence[Sequence[float]] | None) -> bool:
        """Take one camera's count as the probing process placed and stored it: `points` are
        (x, y, people) on the ground, None while the camera counts no one.

        Returns whether the camera's contribution changed."""
        if camera not in self._views:
            return False
        crowd = None
        if points is not None:
            placed = np.asarray(points, dtype=np.float64).reshape(-1, 3)
            placed = placed[np.isfinite(placed).all(axis=1) & (placed[:, 2] >= 0)]
            crowd = CameraCrowd(
                camera,
                float(placed[:, 2].sum()),
                float(self._views[camera].area),
                placed[:, :2].copy(),
                placed[:, 2].copy(),
            )
        return self._set(camera, crowd)

    def placed(self, camera: str) -> list[list[float]] | None:
        """The camera's people on the ground now as (x, y, people) rows, None while it counts
        no one: what `take` takes in."""
        with self._lock:
            crowd = self._cameras.get(camera)
        if crowd is None:
            return None
        return [
            [float(x), float(y), float(w)] for (x, y), w in zip(crowd.xy, crowd.weight, strict=True)
        ]

    def _set(self, camera: str, crowd: CameraCrowd | None) -> bool:
        with self._lock:
            before = self._cameras.get(camera)
            if crowd is None:
                if before is None:
                    return False
                del self._cameras[camera]
            else:
                if before is not None and before.people == crowd.people and not crowd.people:
                    return False
                self._cameras[camera] = crowd
            self._zones = None
            return True

    def zone_crowds(self) -> dict[str, ZoneCrowd]:
        """Each zone's people now (cached until the next change)."""
        with self._lock:
            if self._zones is None:
                self._zones = self._map.zone_crowds(list(self._cameras.values()))
            return dict(self._zones)

    def camera_people(self) -> dict[str, float]:
        """People each counting camera sees now (cameras without a healthy count left out)."""
        with self._lock:
            return {c: k.people for c, k in self._cameras.items()}

    def camera_density(self) -> dict[str, float]:
        """People per m² of the ground each counting camera's view covers."""
        with self._lock:
            return {c: k.density_per_m2 for c, k in self._cameras.items()}

    def now(self, at: dt.datetime) -> list[ZoneNow]:
        """Every zone now against its normal for `at`'s weekday and hour (site-local)."""
        local = self.local(at)
        zones = self.zone_crowds()
        out = []
        with self._lock:
            for z in self._zone_ids:
                crowd = zones[z]
                counted = bool(crowd.cameras)
                out.append(
                    ZoneNow(
                        zone=z,
                        people=crowd.people,
                        watched_m2=crowd.watched_m2,
                        density_per_m2=crowd.density_per_m2,
                        normal=self._normals.normal(z, local),
                        trend=self._normals.trend(z, local, crowd.people) if counted else "unknown",
                        cameras=crowd.cameras,
                    )
                )
        return out

    def facts(self, at: dt.datetime) -> CrowdFacts:
        """Density, people and trend of the zones some healthy camera counts now."""
        counted = [z for z in self.now(at) if z.cameras]
        return CrowdFacts(
            density={z.zone: z.density_per_m2 for z in counted},
            people={z.zone: z.people for z in counted},
            trend={z.zone: z.trend for z in counted},
            cameras={z.zone: z.cameras for z in counted},
            camera_people=self.camera_people(),
        )

    def sample(self, at: dt.datetime) -> list[HourRecord]:
        """Add the zones' counts now to the hour's record; when the hour changed, close the
        previous one (its mean teaches the normals) and return its records to be stored."""
        hour = _hour_of(at)
        zones = self.zone_crowds()
        with self._lock:
            closed = self._close_if_over(hour)
            if self._hour.start is None:
                self._hour = _Hour(start=hour)
            h = self._hour
            for z, crowd in zones.items():
                if crowd.cameras:
                    h.total[z] = h.total.get(z, 0.0) + crowd.people
                    h.peak[z] = max(h.peak.get(z, 0.0), crowd.people)
            h.samples += 1
            return closed

    def close_hour(self) -> list[HourRecord]:
        """Close the hour in progress now (at stop): its records so far, to be stored. A part of
        an hour does not teach the normals; after a restart the hour's end does, once."""
        with self._lock:
            return self._close_if_over(None, teach=False)

    def _close_if_over(self, hour: dt.datetime | None, *, teach: bool = True) -> list[HourRecord]:
        h = self._hour
        if h.start is None or h.start == hour or not h.samples:
            return []
        records = [
            HourRecord(z, h.start, total / h.samples, h.peak.get(z, 0.0), h.samples)
            for z, total in sorted(h.total.items())
        ]
        # the slot of the hour's middle, in site-local time
        middle = self.local(h.start + dt.timedelta(minutes=30))
        for r in records if teach else ():
            self._normals.learn(r.zone, middle, r.mean)
        self._hour = _Hour()
        return records

    def normals(self) -> CrowdNormals:
        """A copy of the per-zone normals (for storing)."""
        with self._lock:
            return CrowdNormals.from_dict(self._normals.to_dict())

    def restore(self, normals: CrowdNormals) -> None:
        """Take in normals read from the store (at start)."""
        with self._lock:
            self._normals = CrowdNormals.from_dict(normals.to_dict())
