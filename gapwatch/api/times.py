"""Moments the API accepts: with a UTC offset, and within years a schedule can mean.

Python's datetime stops at years 1 and 9999; 9999-12-31T23:59:59-12:00 is fine as written but
overflows as soon as it is compared with another time or stored as UTC, which was a 500.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["EARLIEST", "LATEST", "AwareMoment"]

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def _check(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a UTC offset, e.g. 2026-07-30T21:00:00+08:00 / 时间需带时区偏移")
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise ValueError(
            "must lie between the years 2000 and 2200 / 时间须在 2000 年至 2200 年之间"
        )
    return utc


AwareMoment = Annotated[dt.datetime, AfterValidator(_check)]
"""A date and time with a UTC offset between 2000 and 2200, given back in UTC."""
