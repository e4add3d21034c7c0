"""Plans an operator works from: scheduled video-patrol rounds and CAP exports of alerts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from gapwatch.api.coverage import live_snapshot
from gapwatch.api.deps import ID_PATTERN, Reader, ReadSession, ServiceDep
from gapwatch.api.errors import ApiError, NotFoundError, error_responses
from gapwatch.api.health_history import load_health_history
from gapwatch.api.times import AwareMoment
from gapwatch.crowd import round_interval_factor
from gapwatch.dispatch import alert_to_cap
from gapwatch.patrol import CROWD_HORIZON, PatrolRound, ViewChoice, patrol_rounds, zone_views
from gapwatch.runtime.pipeline import Service
from gapwatch.storage import AlertRow

__all__ = ["rounds_between", "router"]

router = APIRouter(prefix="/api/v1", tags=["patrol plans"])

# A day of rounds is what a shift plans with; longer spans are refused rather than truncated.
MAX_SPAN = dt.timedelta(days=2)


class RoundViewOut(BaseModel):
    camera: str
    preset: str | None
    seen_m2: float
    share: float


class PatrolRoundOut(BaseModel):
    """At `at`, look through `cameras` (best view of the zone first)."""

    zone: str
    zone_name: str
    at: dt.datetime
    importance: int
    peak: bool
    cameras: list[RoundViewOut]
    crowd_factor: float = Field(
        description="What the live crowd multiplied the zone's round interval by (1: no effect)."
    )


def rounds_between(
    *,
    service: Service,
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    crowd_factor: dict[str, float] | None = None,
) -> list[PatrolRound]:
    """The rounds of [start, end), each through the cameras that worked at its time: the stored
    health history for the past, the live state from `now` on. The live crowd's `crowd_factor`
    shortens only the rounds of the hour after `now`: past rounds were planned without it."""
    spec = service.site.spec
    cameras = [c.id for c in spec.cameras]
    spans: list[tuple[dt.datetime, dt.datetime, frozenset[str]]] = []
    if start < now:
        history = load_health_history(session, cameras=cameras, since=start, until=min(end, now))
        spans = history.segments(start, min(end, now))
    if end > now:
        spans.append((max(start, now), end, live_snapshot(service, session).healthy))
    views: dict[frozenset[str], dict[str, list[ViewChoice]]] = {}
    rounds: list[PatrolRound] = []
    for begin, stop, healthy in spans:
        if healthy not in views:
            views[healthy] = zone_views(service.coverage, healthy)
        live = begin >= now
        rounds += patrol_rounds(
            calendar=service.alerts.calendar,
            base_importance={z.id: z.importance for z in spec.zones},
            views=views[healthy],
            start=begin,
            end=stop,
            crowd_factor=crowd_factor if live else None,
            crowd_until=now + CROWD_HORIZON if live else None,
        )
    return rounds


@router.get(
    "/patrol-rounds",
    response_model=list[PatrolRoundOut],
    responses=error_responses(400, 401, 403, 422, 503),
)
def list_patrol_rounds(
    service: ServiceDep,
    session: ReadSession,
    _who: Reader,
    start: Annotated[
        AwareMoment | None,
        Query(alias="from", description="Default: now (with UTC offset)."),
    ] = None,
    hours: Annotated[float, Query(gt=0, le=48, description="Span of the plan, hours.")] = 12,
) -> list[PatrolRoundOut]:
    """Video-patrol rounds (视频巡查预案) due in the span, more often in busy periods, each
    listing the cameras and PTZ presets that see the zone and worked at the round's time (a
    past round as the health history has it)."""
    now = dt.datetime.now(dt.UTC)
    begin = start or now
    if begin.tzinfo is None:
        raise ApiError("from needs a UTC offset, e.g. 2026-07-30T18:00:00+08:00 / 时间需带时区")
    end = begin + min(dt.timedelta(hours=hours), MAX_SPAN)
    names = {z.id: z.name for z in service.site.spec.zones}
    rounds = rounds_between(
        service=service,
        session=session,
        start=begin,
        end=end,
        now=now,
        crowd_factor=crowd_factors(service, now),
    )
    return [
        PatrolRoundOut(
            zone=r.zone,
            zone_name=names.get(r.zone, r.zone),
            at=r.at,
            importance=r.importance,
            peak=r.peak,
            crowd_factor=round(r.crowd_factor, 3),
            cameras=[
                RoundViewOut(
                    camera=v.camera, preset=v.preset, seen_m2=round(v.seen_m2, 1), share=v.share
                )
                for v in r.cameras
            ],
        )
        for r in rounds
    ]


def crowd_factors(service: Service, at: dt.datetime) -> dict[str, float]:
    """Each counted zone's round-interval factor from the live crowd (README formula)."""
    if service.crowd is None:
        return {}
    return {
        z.zone: round_interval_factor(z.people, z.trend) for z in service.crowd.now(at) if z.cameras
    }


@router.get(
    "/alerts/{alert_id}/cap",
    response_class=Response,
    responses={
        200: {"content": {"application/cap+xml": {"schema": {"type": "string"}}}},
        **error_responses(401, 403, 404, 422, 503),
    },
)
def alert_cap(
    service: ServiceDep,
    session: ReadSession,
    _who: Reader,
    alert_id: Annotated[str, Path(pattern=ID_PATTERN, description="Alert id.")],
) -> Response:
    """The alert as an OASIS CAP 1.2 message, its blind spots as `<area>` polygons."""
    alert = session.get(AlertRow, alert_id)
    if alert is None:
        raise NotFoundError(f"no alert {alert_id!r} / 没有告警 {alert_id!r}")
    site = service.site
    xml = alert_to_cap(
        alert,
        sender=f"gapwatch@{site.id}",
        zone_names={z.id: z.name for z in site.spec.zones},
        site_name=site.spec.site.name,
    )
    return Response(
        xml,
        media_type="application/cap+xml",
        headers={"Content-Disposition": f'attachment; filename="{alert_id}.cap.xml"'},
    )
