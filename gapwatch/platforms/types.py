"""What an importer reads from a platform: channels with their status, position and stream."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Channel", "Inventory", "PlatformError", "PlatformUnreachable", "Preset"]


class PlatformError(Exception):
    """The platform answered, but not with what was asked (refused login, bad data)."""


class PlatformUnreachable(PlatformError):
    """The platform could not be reached or did not answer in time (down, wrong address)."""


@dataclass(frozen=True)
class Preset:
    """A PTZ preset as the camera names it."""

    token: str
    name: str


@dataclass(frozen=True)
class Channel:
    """One camera channel on a platform; `location` is WGS84 `(lon, lat)` or None when unknown."""

    platform_id: str
    name: str
    online: bool
    device_id: str | None = None
    manufacturer: str | None = None
    location: tuple[float, float] | None = None
    stream: str | None = None
    presets: tuple[Preset, ...] = ()
    profile: str | None = None


@dataclass
class Inventory:
    """Everything one platform reported in one read."""

    platform: str
    channels: list[Channel] = field(default_factory=list)
