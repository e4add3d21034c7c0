"""Video platforms: the last sync with each, and "look now" (move a PTZ camera to the preset a
video-patrol task names, by ONVIF GotoPreset), recorded in the alert's log."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field

from gapwatch.api.auth import Permission, Principal
from gapwatch.api.deps import ID_PATTERN, Reader, ReadSession, ServiceDep
from gapwatch.api.errors import (
    ApiError,
    ConflictError,
    ErrorBody,
    NotFoundError,
    UnavailableError,
    error_responses,
)
from gapwatch.platforms import PlatformError, PlatformUnreachable, SecretMissing, resolve_password
from gapwatch.runtime.pipeline import Service
from gapwatch.site import Camera, PtzPreset
from gapwatch.storage import AlertLogRow, TaskRow, transaction, utcnow

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(tags=["platforms"])

LOOK_ACTION = "look_now"


class CameraUnreachable(ApiError):
    status_code = 502


class PlatformOut(BaseModel):
    """The last sync with one platform: when, whether it answered, and what drifted."""

    id: str
    kind: str
    last_sync_at: dt.datetime | None
    ok: bool | None = Field(description="null before the first sync.")
    error: str | None
    channels: int
    not_in_site: list[str] = Field(description="Channel ids the platform has and the site lacks.")
    gone: list[str] = Field(description="Site cameras the platform no longer has.")
    renamed: dict[str, str] = Field(description="Camera id → the platform's new name.")


class LookIn(BaseModel):
    """Which view of the task to move to; the task's first movable view when omitted."""

    camera: Annotated[str, Field(pattern=ID_PATTERN)] | None = None
    preset: Annotated[str, Field(pattern=ID_PATTERN)] | None = None


class LookOut(BaseModel):
    """The camera was sent to the preset (ONVIF GotoPreset answered)."""

    task: str
    alert: str
    camera: str
    preset: str
    preset_name: str | None
    at: dt.datetime


@router.get(
    "/api/v1/platforms",
    response_model=list[PlatformOut],
    responses=error_responses(401, 403, 503),
)
def list_platforms(service: ServiceDep, _who: Reader) -> list[PlatformOut]:
    """The site's platforms and what their last sync found."""
    sync = service.platform_sync
    if sync is None:
        return []
    return [
        PlatformOut(id=s.platform, **{k: v for k, v in vars(s).items() if k != "platform"})
        for s in sync.states()
    ]


def _movable(service: Service, camera_id: str, preset_id: str) -> tuple[Camera, PtzPreset] | None:
    camera = service.site_cameras.get(camera_id)
    if camera is None or camera.onvif is None:
        return None
    preset = next((p for p in camera.ptz if p.id == preset_id), None)
    if preset is None or preset.onvif_token is None:
        return None
    return camera, preset


def _choose(service: Service, payload: dict[str, Any], body: LookIn) -> tuple[Camera, PtzPreset]:
    views = [v for v in payload.get("views", []) if isinstance(v, dict) and v.get("preset")]
    if body.camera is not None or body.preset is not None:
        views = [
            v
            for v in views
            if (body.camera is None or v.get("camera") == body.camera)
            and (body.preset is None or v.get("preset") == body.preset)
        ]
        if not views:
            raise ConflictError("the task names no such camera preset / 该任务未包含此摄像机预置位")
    for view in views:
        found = _movable(service, str(view["camera"]), str(view["preset"]))
        if found is not None:
            return found
    raise ConflictError(
        "no preset of this task can be moved to: the camera needs `onvif` access and the preset "
        "an `onvif_token` (gapwatch import onvif) / 该任务没有可调用的预置位（需 ONVIF 接入）"
    )


def _operator_or_technician(who: Principal) -> None:
    if not (who.may(Permission.respond) or who.may(Permission.maintain)):
        raise HTTPException(
            403,
            f"role {who.role.value} may not move cameras / 角色 {who.role.value} 无权调用预置位",
        )


@router.post(
    "/api/v1/tasks/{task_id}/look",
    response_model=LookOut,
    responses={
        **error_responses(400, 401, 403, 404, 409, 422, 503),
        502: {"model": ErrorBody, "description": "The camera did not answer or refused"},
    },
)
def look_now(
    service: ServiceDep,
    session: ReadSession,
    who: Reader,
    task_id: Annotated[str, Path(pattern=ID_PATTERN, description="A video_patrol task's id.")],
    body: LookIn | None = None,
) -> LookOut:
    """Move a PTZ camera to the preset the video-patrol task names (ONVIF GotoPreset), for
    operators and technicians; the move, or the failed try, goes into the alert's log."""
    _operator_or_technician(who)
    task = session.get(TaskRow, task_id)
    if task is None:
        raise NotFoundError(f"no task {task_id!r} / 没有任务 {task_id!r}")
    if task.kind != "video_patrol":
        raise ConflictError("only a video_patrol task names presets / 仅视频巡查任务包含预置位")
    alert_id = task.alert_id
    camera, preset = _choose(service, dict(task.payload or {}), body or LookIn())
    access = camera.onvif
    assert access is not None and preset.onvif_token is not None  # _movable checked both
    detail = {"task": task_id, "camera": camera.id, "preset": preset.id}
    try:
        password = resolve_password(access.password_env, secrets_file=service.settings.secrets_file)
    except SecretMissing:
        log.error("camera %s: no ONVIF password in %s", camera.id, access.password_env)
        raise UnavailableError(
            f"the server has no password for camera {camera.id} ({access.password_env}) / "
            f"服务器缺少摄像机 {camera.id} 的密码"
        ) from None
    from gapwatch.platforms.onvif_device import OnvifTarget, goto_preset

    target = OnvifTarget(access.host, access.port, access.user, password, timeout_s=10.0)
    at = utcnow()
    try:
        goto_preset(target, profile=access.profile, preset_token=preset.onvif_token)
    except PlatformError as error:
        _record(service, alert_id, who.name, "look_now_failed", {**detail, "error": str(error)}, at)
        kind = "did not answer" if isinstance(error, PlatformUnreachable) else "refused"
        raise CameraUnreachable(f"camera {camera.id} {kind}: {error}") from None
    _record(service, alert_id, who.name, LOOK_ACTION, detail, at)
    log.info(
        "camera %s moved to preset %s for task %s by %s", camera.id, preset.id, task_id, who.name
    )
    return LookOut(
        task=task_id, alert=alert_id, camera=camera.id, preset=preset.id,
        preset_name=preset.name, at=at,
    )  # fmt: skip


def _record(
    service: Service,
    alert_id: str,
    actor: str,
    action: str,
    detail: dict[str, Any],
    at: dt.datetime,
) -> None:
    with transaction(service.sessions) as session:
        session.add(
            AlertLogRow(alert_id=alert_id, actor=actor, action=action, detail=detail, at=at)
        )
