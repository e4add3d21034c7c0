"""Site-file sections written by the platform importers: where cameras came from, how to reach
their ONVIF service, and channels a platform knows but that cannot be placed on the map yet.

Passwords are never part of the site file: only the name of the environment variable (or the key
in a secrets file) that holds them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["OnvifAccess", "PlatformSource", "UnplacedChannel"]

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PlatformSource(_Strict):
    """A video platform (GB/T 28181 WVP) or an ONVIF camera the inventory is imported from."""

    id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$", description="Short id of the platform."
    )
    kind: Literal["wvp", "onvif"] = Field(description="wvp (WVP-GB28181-pro) or onvif.")
    url: str = Field(
        pattern=r"^https?://",
        description="Base URL: WVP's web address, or the camera's ONVIF http://host:port.",
    )
    user: str = Field(min_length=1, description="Login name on the platform or camera.")
    password_env: str = Field(
        pattern=_ENV_NAME,
        description="Environment variable (or secrets-file key) holding the password; the "
        "password itself never lives in the site file.",
    )
    play: Literal["rtsp", "rtmp", "flv", "hls"] = Field(
        default="rtsp", description="Which of WVP's play URLs becomes the camera's stream."
    )
    datum: Literal["auto", "wgs84", "gcj02"] = Field(
        default="auto",
        description="Datum of the platform's longitude/latitude: auto uses WVP's WGS84 columns "
        "when present, else the device's geoCoordSys.",
    )
    sync_interval_s: float | None = Field(
        default=None,
        gt=0,
        description="Seconds between the service's inventory syncs with this platform "
        "(GAPWATCH_PLATFORM_SYNC_S otherwise; no sync when neither is set).",
    )


class OnvifAccess(_Strict):
    """How to reach a camera's ONVIF service (PTZ moves, preset list)."""

    host: str = Field(min_length=1, description="Host name or address of the camera.")
    port: int = Field(default=80, ge=1, le=65535, description="ONVIF HTTP port.")
    user: str = Field(min_length=1, description="ONVIF user.")
    password_env: str = Field(
        pattern=_ENV_NAME,
        description="Environment variable (or secrets-file key) with the password.",
    )
    profile: str | None = Field(
        default=None, description="Media profile token the stream and PTZ calls use."
    )


class UnplacedChannel(_Strict):
    """A platform channel that cannot be placed on the map yet (no position or no play URL).

    Not a camera until a technician gives it a `location`, heading, field of view and range
    (move it into `cameras:`); the importer keeps the list current and never loses it.
    """

    id: str = Field(min_length=1, description="Camera id it will get (the 国标 id).")
    name: str = Field(min_length=1, description="Name on the platform.")
    platform: str = Field(min_length=1, description="Id of the platform it came from.")
    platform_id: str = Field(min_length=1, description="Channel id on the platform (国标 id).")
    manufacturer: str | None = Field(default=None, description="Maker, as the platform reports.")
    stream: str | None = Field(default=None, description="Play URL, when the platform gave one.")
    reason: Literal["no_position", "no_play_url"] = Field(
        description="Why it is not a camera yet: no_position (set `location`) or no_play_url "
        "(the channel was offline at import)."
    )
