"""ONVIF cameras through onvif-zeep-async (the client Home Assistant uses): device information,
media profiles and their stream URIs, PTZ presets, and GotoPreset.

Calls follow the ONVIF Device (GetDeviceInformation), Media (GetProfiles, GetStreamUri with
StreamSetup RTP-Unicast/RTSP) and PTZ (GetPresets, GotoPreset) service specifications.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from gapwatch.platforms.types import Channel, Inventory, PlatformError, PlatformUnreachable, Preset

__all__ = ["OnvifTarget", "goto_preset", "read_onvif"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_PTZ_NS = "http://www.onvif.org/ver20/ptz/wsdl"


@dataclass(frozen=True)
class OnvifTarget:
    """A camera's ONVIF endpoint and login; `password` is held only in memory."""

    host: str
    port: int
    user: str
    password: str
    timeout_s: float = 15.0

    def __repr__(self) -> str:
        return (
            f"OnvifTarget(host={self.host!r}, port={self.port}, user={self.user!r}, password=***)"
        )


def _prefix_fix() -> Any:
    """A zeep plugin for cameras that answer PTZ calls with an undeclared `ptz:`/`tptz:` prefix.

    lxml keeps such tags as the literal name `ptz:GetPresetsResponse`; renaming them into the
    PTZ namespace lets zeep read the answer instead of failing on it.
    """
    from zeep import Plugin

    class _PtzPrefixFix(Plugin):
        def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> Any:
            for element in envelope.iter():
                tag = element.tag
                if isinstance(tag, str) and tag.startswith(("ptz:", "tptz:")):
                    element.tag = f"{{{_PTZ_NS}}}{tag.split(':', 1)[1]}"
            return envelope, http_headers

    return _PtzPrefixFix()


def _translate(error: BaseException, target: OnvifTarget) -> PlatformError:
    where = f"{target.host}:{target.port}"
    text = str(error)
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return PlatformUnreachable(
            f"ONVIF camera {where} did not answer in time ｜ ONVIF 摄像机 {where} 响应超时"
        )
    if isinstance(error, OSError) or "connect" in text.lower() or "Cannot connect" in text:
        return PlatformUnreachable(
            f"cannot reach ONVIF camera {where} ｜ 无法连接 ONVIF 摄像机 {where}"
        )
    if "not authorized" in text.lower() or "unauthor" in text.lower():
        return PlatformError(
            f"ONVIF camera {where} refused the login ｜ ONVIF 摄像机 {where} 拒绝登录"
        )
    return PlatformError(f"ONVIF camera {where}: {text[:200]} ｜ ONVIF 摄像机 {where} 出错")


def _run(target: OnvifTarget, work: Callable[[Any], Awaitable[T]]) -> T:
    """Open the camera, run `work(camera)` under the time-out, close it, translate errors."""
    from onvif import ONVIFCamera  # type: ignore[import-untyped]

    async def main() -> T:
        camera = ONVIFCamera(target.host, target.port, target.user, target.password)
        try:
            await asyncio.wait_for(camera.update_xaddrs(), target.timeout_s)
            return await asyncio.wait_for(work(camera), target.timeout_s)
        finally:
            await camera.close()

    try:
        return asyncio.run(main())
    except PlatformError:
        raise
    except Exception as error:  # zeep, aiohttp and the onvif package each raise their own
        raise _translate(error, target) from None


async def _ptz(camera: Any) -> Any:
    ptz = await camera.create_ptz_service()
    fix = _prefix_fix()
    for client in (ptz.zeep_client, ptz.zeep_client_authless):
        if client is not None:
            client.plugins.append(fix)
    return ptz


def _text(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def read_onvif(
    target: OnvifTarget, *, platform: str, name: str | None = None, profile: str | None = None
) -> Inventory:
    """The camera as one channel: stream URI and PTZ presets of `profile` (default: the first)."""

    async def work(camera: Any) -> Channel:
        device = await camera.create_devicemgmt_service()
        info = await device.GetDeviceInformation()
        media = await camera.create_media_service()
        profiles = list(await media.GetProfiles() or [])
        if not profiles:
            raise PlatformError(
                f"ONVIF camera {target.host} has no media profile ｜ 摄像机没有媒体配置"
            )
        chosen = next((p for p in profiles if p.token == profile), None) if profile else profiles[0]
        if chosen is None:
            tokens = ", ".join(str(p.token) for p in profiles)
            raise PlatformError(
                f"ONVIF camera {target.host} has no profile {profile!r} (it has {tokens}) ｜ "
                f"摄像机没有配置 {profile!r}"
            )
        request = media.create_type("GetStreamUri")
        request.ProfileToken = chosen.token
        request.StreamSetup = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
        uri = (await media.GetStreamUri(request)).Uri
        presets: list[Preset] = []
        if getattr(chosen, "PTZConfiguration", None) is not None:
            ptz = await _ptz(camera)
            for item in await ptz.GetPresets({"ProfileToken": chosen.token}) or []:
                token = _text(getattr(item, "token", None))
                if token:
                    presets.append(Preset(token=token, name=_text(item.Name) or token))
        maker = _text(getattr(info, "Manufacturer", None))
        model = _text(getattr(info, "Model", None))
        serial = _text(getattr(info, "SerialNumber", None))
        label = name or " ".join(x for x in (maker, model) if x) or target.host
        return Channel(
            platform_id=serial or f"{target.host}:{target.port}",
            name=label,
            online=True,
            manufacturer=maker,
            stream=_text(uri),
            presets=tuple(presets),
            profile=str(chosen.token),
        )

    channel = _run(target, work)
    return Inventory(platform=platform, channels=[channel])


def goto_preset(target: OnvifTarget, *, profile: str | None, preset_token: str) -> None:
    """Move the camera to a saved preset (ONVIF PTZ GotoPreset)."""

    async def work(camera: Any) -> None:
        token = profile
        if token is None:
            media = await camera.create_media_service()
            profiles = list(await media.GetProfiles() or [])
            if not profiles:
                raise PlatformError(f"ONVIF camera {target.host} has no media profile")
            token = str(profiles[0].token)
        ptz = await _ptz(camera)
        await ptz.GotoPreset({"ProfileToken": token, "PresetToken": preset_token})

    _run(target, work)
