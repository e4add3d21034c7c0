"""What the operator dashboard needs beyond the REST resources: who is signed in, the site map
(zones with live coverage, cameras and their view cones, patrol units, roads) and the tile
server to draw it on. Pictures and the technician's audit live in `pictures` and `audit_view`."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from shapely.geometry import Polygon
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gapwatch.api import audit_view, pictures
from gapwatch.api.auth import (
    ROLE_PERMISSIONS,
    Permission,
    Principal,
    Role,
    TokenStore,
    authenticate,
)
from gapwatch.api.coverage import FeatureCollection, live_coverage
from gapwatch.api.deps import Reader, ReadSession, ServiceDep
from gapwatch.api.errors import error_responses
from gapwatch.coverage import feature_collection, to_geojson
from gapwatch.runtime.pipeline import Service
from gapwatch.storage import CameraStateRow, TaskRow

__all__ = ["DashboardSettings", "router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])
router.include_router(pictures.router)
router.include_router(audit_view.router)

# Tasks in these states hold their patrol unit.
_BUSY_TASK_STATES = ("pending", "dispatched", "accepted", "en_route", "on_scene")


class DashboardSettings(BaseSettings):
    """How the dashboard draws its map (environment, `GAPWATCH_` prefix)."""

    model_config = SettingsConfigDict(env_prefix="GAPWATCH_", extra="ignore", frozen=True)

    tile_url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="Map tile URL template, e.g. http://tiles.local/{z}/{x}/{y}.png; "
        "unset: a plain background, for command centres without a tile server.",
    )
    tile_attribution: str = Field(default="", max_length=300, description="Shown under tiles.")


# ------------------------------------------------------------------ who is signed in

_bearer = HTTPBearer(auto_error=False, description="A token from `gapwatch token create`.")


async def signed_in(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Any valid token, whatever its role: the log-in screen must tell a dispatcher token too."""
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            401, "missing bearer token / 缺少访问令牌", headers={"WWW-Authenticate": "Bearer"}
        )
    store: TokenStore | None = getattr(request.app.state, "token_store", None)
    if store is None:
        raise HTTPException(503, "the service is starting or stopping / 服务正在启动或停止")
    principal = await run_in_threadpool(authenticate, store, credentials.credentials)
    if principal is None:
        raise HTTPException(
            401, "invalid bearer token / 访问令牌无效", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


SignedIn = Annotated[Principal, Depends(signed_in)]


class SessionOut(BaseModel):
    """The caller, what the role allows, the site and the map background to use."""

    name: str
    role: Role
    permissions: list[str]
    site_id: str
    site_name: str
    tile_url: str | None = Field(description="Tile URL template; null for a plain background.")
    tile_attribution: str


@router.get("/session", response_model=SessionOut, responses=error_responses(401, 403, 503))
def session_info(service: ServiceDep, who: SignedIn) -> SessionOut:
    """Who the token belongs to and what the dashboard should show them; 403 for a token that
    may not read (a dispatcher: the log-in screen says it only reports task status)."""
    if not who.may(Permission.read):
        raise HTTPException(
            403,
            f"role {who.role.value} may not use the dashboard / 角色 {who.role.value} 不能使用看板",
        )
    try:
        tiles = DashboardSettings()
    except ValidationError as exc:
        # A bad tile URL must not lock operators out; the map falls back to a plain background.
        log.warning("ignoring the dashboard map settings: %s", exc.errors()[0].get("msg"))
        tiles = DashboardSettings.model_construct(tile_url=None, tile_attribution="")
    return SessionOut(
        name=who.name,
        role=who.role,
        permissions=sorted(p.value for p in ROLE_PERMISSIONS[who.role]),
        site_id=service.site.id,
        site_name=service.site.spec.site.name,
        tile_url=tiles.tile_url,
        tile_attribution=tiles.tile_attribution,
    )


# ------------------------------------------------------------------ the site map


class SiteMapOut(BaseModel):
    """Every layer of the operator map as GeoJSON in longitude/latitude; blind spots come live
    from /api/v1/blind-spots."""

    site_id: str
    site_name: str
    bounds: tuple[float, float, float, float] = Field(description="[west, south, east, north]")
    zones: FeatureCollection = Field(description="Zones as drawn, with live coverage.")
    obstacles: FeatureCollection
    cameras: FeatureCollection = Field(description="Camera positions with health.")
    views: FeatureCollection = Field(description="Ground each camera sees (its view cone).")
    patrol_units: FeatureCollection
    roads: FeatureCollection


def _static_layers(service: Service) -> dict[str, Any]:
    """Layers that never change while the service runs: obstacles, roads, views, bounds."""
    site, projection = service.site, service.site.projection
    spec = site.spec
    obstacles = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in o.polygon]]},
            "properties": {"id": o.id, "name": o.name},
        }
        for o in spec.obstacles
    ]
    roads = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [list(p) for p in r.line]},
            "properties": {"id": r.id, "name": r.name, "kind": r.kind},
        }
        for r in spec.roads
    ]
    views = {
        camera_id: to_geojson(view.geometry, projection)
        for camera_id, view in service.coverage.views.items()
        if not view.geometry.is_empty
    }
    points = [p for z in spec.zones for p in z.polygon] + [c.location for c in spec.cameras]
    points += [u.location for u in spec.patrol_units]
    if points:
        bounds = (
            min(p[0] for p in points),
            min(p[1] for p in points),
            max(p[0] for p in points),
            max(p[1] for p in points),
        )
    else:
        bounds = (0.0, 0.0, 0.0, 0.0)
    # Zones as drawn (not minus obstacles): what the operator recognises on the map.
    zone_shapes = {
        z.id: to_geojson(projection.project(Polygon(z.polygon)), projection) for z in spec.zones
    }
    return {
        "obstacles": obstacles,
        "roads": roads,
        "views": views,
        "bounds": bounds,
        "zone_shapes": zone_shapes,
    }


def _static(request: Request, service: Service) -> dict[str, Any]:
    cached: tuple[Service, dict[str, Any]] | None = getattr(
        request.app.state, "dashboard_static", None
    )
    if cached is None or cached[0] is not service:
        cached = (service, _static_layers(service))
        request.app.state.dashboard_static = cached
    return cached[1]


def _busy_units(session: Session) -> set[str]:
    rows = session.scalars(
        select(TaskRow.assignee).where(
            TaskRow.kind == "road_patrol", TaskRow.status.in_(_BUSY_TASK_STATES)
        )
    )
    return {a for a in rows if a}


@router.get("/map", response_model=SiteMapOut, responses=error_responses(401, 403, 503))
def site_map(
    request: Request, service: ServiceDep, session: ReadSession, _who: Reader
) -> SiteMapOut:
    """The site's layers for the operator map, with each camera's and zone's state now."""
    static = _static(request, service)
    spec = service.site.spec
    states = {row.camera_id: row for row in session.scalars(select(CameraStateRow))}
    coverage = {z.id: z for z in live_coverage(service, session).zones}
    zones = []
    for zone in spec.zones:
        live = coverage.get(zone.id)
        zones.append(
            {
                "type": "Feature",
                "geometry": static["zone_shapes"][zone.id],
                "properties": {
                    "id": zone.id,
                    "name": zone.name,
                    "name_en": zone.name_en,
                    "importance": zone.importance,
                    "area_m2": round(live.area_m2, 1) if live else None,
                    "covered_m2": round(min(live.covered_m2, live.area_m2), 1) if live else None,
                    "coverage_ratio": round(min(1.0, live.coverage_ratio), 4) if live else None,
                },
            }
        )
    cameras, views = [], []
    for camera in spec.cameras:
        state = states.get(camera.id)
        judged = state is not None and state.last_probe_at is not None
        status = state.status if state is not None and judged else "unknown"
        props = {
            "id": camera.id,
            "name": camera.name,
            "name_en": camera.name_en,
            "status": status,
            "faults": list(state.faults) if state is not None and judged else [],
            "flapping": bool(state.flapping) if state is not None else False,
            "heading_deg": camera.heading_deg,
            "hfov_deg": camera.hfov_deg,
            "range_m": camera.range_m,
            "group": camera.group,
        }
        cameras.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": list(camera.location)},
                "properties": props,
            }
        )
        view = static["views"].get(camera.id)
        if view is not None:
            views.append(
                {
                    "type": "Feature",
                    "geometry": view,
                    "properties": {"camera": camera.id, "status": status},
                }
            )
    busy = _busy_units(session)
    units = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(unit.location)},
            "properties": {
                "id": unit.id,
                "name": unit.name,
                "kind": unit.kind,
                "available": unit.available,
                "busy": unit.id in busy,
            },
        }
        for unit in spec.patrol_units
    ]

    def collection(features: list[dict[str, Any]]) -> FeatureCollection:
        return FeatureCollection.model_validate(feature_collection(features))

    return SiteMapOut(
        site_id=service.site.id,
        site_name=spec.site.name,
        bounds=static["bounds"],
        zones=collection(zones),
        obstacles=collection(static["obstacles"]),
        cameras=collection(cameras),
        views=collection(views),
        patrol_units=collection(units),
        roads=collection(static["roads"]),
    )
