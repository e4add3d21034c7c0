"""The shift handover report as figures (JSON); `report.html` prints it in either language."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from gapwatch.api.deps import Reader, ReadSession, ServiceDep
from gapwatch.api.errors import ApiError, error_responses
from gapwatch.api.shift_report import ShiftReport, shift_report

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

DEFAULT_SHIFT = dt.timedelta(hours=12)
MAX_SHIFT = dt.timedelta(days=7)


@router.get(
    "/shift", response_model=ShiftReport, responses=error_responses(400, 401, 403, 422, 503)
)
def shift(
    service: ServiceDep,
    session: ReadSession,
    _who: Reader,
    start: Annotated[
        dt.datetime | None,
        Query(alias="from", description="Shift start with a UTC offset; default 12 h before `to`."),
    ] = None,
    end: Annotated[
        dt.datetime | None,
        Query(alias="to", description="Shift end with a UTC offset; default now."),
    ] = None,
) -> ShiftReport:
    """Handover figures (交接班报告) for the shift from `from` to `to`."""
    now = dt.datetime.now(dt.UTC)
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.tzinfo is None:
            raise ApiError(
                f"{name} needs a UTC offset, e.g. 2026-07-30T20:00:00+08:00 / 时间需带时区"
            )
    stop = end or now
    begin = start or stop - DEFAULT_SHIFT
    if begin >= stop:
        raise ApiError("from must be before to / 开始时间须早于结束时间")
    if stop - begin > MAX_SHIFT:
        raise ApiError("a report spans at most 7 days / 报告时长最多 7 天")
    return shift_report(service=service, session=session, start=begin, end=stop, now=now)
