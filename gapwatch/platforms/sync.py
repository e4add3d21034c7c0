"""The service's scheduled sync with its platforms: each camera's platform status, and drift.

The sync never rewrites the site file (a technician's file is changed only by `gapwatch import`,
which shows what it changes); it records what each platform says about each camera, so the API
can show the platform's online/offline beside gapwatch's own verdict, and it reports channels
added, renamed or gone on the platform since the site file was written.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from gapwatch.platforms.credentials import SecretMissing, resolve_password
from gapwatch.platforms.types import Inventory, PlatformError

if TYPE_CHECKING:  # the site model pulls in shapely and pyproj; `gapwatch --help` must not
    from gapwatch.site import Camera, SiteFile
    from gapwatch.site.platform_fields import PlatformSource

__all__ = ["PlatformState", "PlatformStatus", "PlatformSync", "SyncJob", "read_platform"]

log = logging.getLogger(__name__)

PlatformStatus = Literal["online", "offline", "unknown"]
Reader = Callable[["PlatformSource", str], Inventory]


@dataclass(frozen=True)
class SyncJob:
    """One platform's sync, for the runtime scheduler to run every `interval_s`."""

    name: str
    interval_s: float
    run: Callable[[dt.datetime], object]


@dataclass
class PlatformState:
    """What the last sync with one platform found."""

    platform: str
    kind: str
    last_sync_at: dt.datetime | None = None
    ok: bool | None = None
    error: str | None = None
    channels: int = 0
    not_in_site: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)


def read_platform(source: PlatformSource, password: str) -> Inventory:
    """Read a platform's inventory (no play sessions: statuses and names are enough here)."""
    if source.kind == "wvp":
        from gapwatch.platforms.wvp import WvpClient, WvpLogin, read_wvp

        with WvpClient(WvpLogin(source.url, source.user, password)) as client:
            return read_wvp(client, platform=source.id, datum=source.datum, fetch_streams=False)
    from urllib.parse import urlparse

    from gapwatch.platforms.onvif_device import OnvifTarget, read_onvif

    url = urlparse(source.url)
    target = OnvifTarget(url.hostname or "", url.port or 80, source.user, password)
    return read_onvif(target, platform=source.id)


class PlatformSync:
    """Keeps each platform camera's status; owns that state (only its own methods change it)."""

    def __init__(
        self,
        *,
        spec: SiteFile,
        default_interval_s: float | None,
        secrets_file: Path | None = None,
        reader: Reader = read_platform,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._sources = {p.id: p for p in spec.platforms}
        self._cameras: dict[str, dict[str, Camera]] = {}
        for camera in spec.cameras:
            if camera.platform in self._sources and camera.platform_id:
                self._cameras.setdefault(camera.platform, {})[camera.platform_id] = camera
        self._unplaced = {(u.platform, u.platform_id) for u in spec.unplaced}
        self._default = default_interval_s
        self._secrets_file = secrets_file
        self._reader = reader
        self._environ = environ
        self._lock = threading.Lock()
        self._status: dict[str, PlatformStatus] = {}
        self._states = {p.id: PlatformState(p.id, p.kind) for p in spec.platforms}

    def jobs(self) -> list[SyncJob]:
        """One job per platform that has an interval (its own, or the service default)."""
        jobs = []
        for source in self._sources.values():
            interval = source.sync_interval_s or self._default
            if interval is not None:
                jobs.append(
                    SyncJob(f"platform-sync:{source.id}", interval, self._job_for(source.id))
                )
        return jobs

    def sync_all(self, at: dt.datetime) -> None:
        """Sync every platform with a job once now (at start-up, so statuses need not wait an
        interval)."""
        for job in self.jobs():
            job.run(at)

    def _job_for(self, platform_id: str) -> Callable[[dt.datetime], object]:
        def run(at: dt.datetime) -> object:
            return self.sync(platform_id, at=at)

        return run

    def camera_platform(self) -> dict[str, str]:
        """Platform id of every camera imported from one."""
        return {
            camera.id: platform
            for platform, cameras in self._cameras.items()
            for camera in cameras.values()
        }

    def status_of(self, camera_id: str) -> PlatformStatus | None:
        """What the platform last said about the camera; None for cameras from no platform."""
        with self._lock:
            return self._status.get(camera_id)

    def statuses(self) -> dict[str, PlatformStatus]:
        with self._lock:
            return dict(self._status)

    def states(self) -> list[PlatformState]:
        with self._lock:
            return [PlatformState(**vars(s)) for s in self._states.values()]

    def sync(self, platform_id: str, *, at: dt.datetime) -> PlatformState:
        """Read one platform now and record what it says; never raises for a platform fault."""
        source = self._sources[platform_id]
        cameras = self._cameras.get(platform_id, {})
        try:
            password = resolve_password(
                source.password_env, secrets_file=self._secrets_file, environ=self._environ
            )
            inventory = self._reader(source, password)
        except (PlatformError, SecretMissing, OSError) as error:
            log.warning("platform %s: sync failed: %s", platform_id, error)
            return self._record_failure(platform_id, cameras, str(error), at)
        seen = {c.platform_id: c for c in inventory.channels}
        state = PlatformState(
            platform_id,
            source.kind,
            last_sync_at=at,
            ok=True,
            channels=len(inventory.channels),
            not_in_site=sorted(
                pid
                for pid in seen
                if pid not in cameras and (platform_id, pid) not in self._unplaced
            ),
            gone=sorted(c.id for pid, c in cameras.items() if pid not in seen),
            renamed={
                c.id: seen[pid].name
                for pid, c in cameras.items()
                if pid in seen and seen[pid].name != c.name
            },
        )
        with self._lock:
            for pid, camera in cameras.items():
                channel = seen.get(pid)
                now: PlatformStatus = (
                    "unknown" if channel is None else "online" if channel.online else "offline"
                )
                before = self._status.get(camera.id)
                if before is not None and before != now:
                    log.info("camera %s: platform %s says %s", camera.id, platform_id, now)
                self._status[camera.id] = now
            self._states[platform_id] = state
        return state

    def _record_failure(
        self, platform_id: str, cameras: Mapping[str, Camera], error: str, at: dt.datetime
    ) -> PlatformState:
        with self._lock:
            for camera in cameras.values():
                self._status[camera.id] = "unknown"  # the platform said nothing we can trust
            previous = self._states[platform_id]
            state = PlatformState(
                platform_id, previous.kind, last_sync_at=at, ok=False, error=error
            )
            self._states[platform_id] = state
        return state
