"""Zone importance at a moment: busy periods (night markets, weekends, holidays) in site time.

A period applies on a local date when the date passes its filters:
- `days` (weekdays), when given, AND
- `dates` (dates or inclusive ranges) OR `holidays: true` (the site's holiday list), when either
  is given.
It covers local times from `start` to `end`; an `end` earlier than (or equal to) `start` runs past
midnight into the next day, and that spill-over belongs to the day the period started on (a
Friday-night market that runs to 02:00 still applies at 01:00 on Saturday). `end` 23:59:59 means
the end of the day.

While one or more of a zone's scheduled periods apply, its importance *becomes* the highest of
their importances (so a schedule may raise or lower it); otherwise it is the zone's base
importance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from gapwatch.site.models import Period, SiteFile, Zone, parse_date_range

__all__ = ["ImportanceCalendar", "PeriodRule", "period_applies"]

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_END_OF_DAY = dt.time(23, 59, 59)


@dataclass(frozen=True)
class PeriodRule:
    """A period compiled for fast checks: weekdays, date ranges, holiday flag, time span."""

    id: str
    weekdays: frozenset[int] | None
    dates: tuple[tuple[dt.date, dt.date], ...]
    holidays: bool
    start: dt.time
    end: dt.time

    @classmethod
    def from_period(cls, period: Period) -> PeriodRule:
        """Compile a site-file period."""
        weekdays = (
            frozenset(_WEEKDAYS.index(d) for d in period.days) if period.days is not None else None
        )
        dates = tuple(parse_date_range(d) for d in period.dates or [])
        return cls(period.id, weekdays, dates, period.holidays, period.start, period.end)

    @property
    def crosses_midnight(self) -> bool:
        """Whether the span runs past midnight into the next day."""
        return self.end != _END_OF_DAY and self.end <= self.start

    def day_matches(self, day: dt.date, holidays: Sequence[tuple[dt.date, dt.date]]) -> bool:
        """Whether the period is scheduled to start on local date `day`."""
        if self.weekdays is not None and day.weekday() not in self.weekdays:
            return False
        if not self.dates and not self.holidays:
            return True
        if any(first <= day <= last for first, last in self.dates):
            return True
        return self.holidays and any(first <= day <= last for first, last in holidays)


def period_applies(
    rule: PeriodRule, local: dt.datetime, holidays: Sequence[tuple[dt.date, dt.date]]
) -> bool:
    """Whether `rule` is in force at the naive local datetime `local`."""
    time = local.time()
    day = local.date()
    if not rule.crosses_midnight:
        in_span = rule.start <= time and (rule.end == _END_OF_DAY or time < rule.end)
        return in_span and rule.day_matches(day, holidays)
    if time >= rule.start and rule.day_matches(day, holidays):
        return True
    return time < rule.end and rule.day_matches(day - dt.timedelta(days=1), holidays)


class ImportanceCalendar:
    """Answers "how important is this zone right now?" for one site."""

    def __init__(
        self,
        *,
        zones: Iterable[Zone],
        periods: Iterable[Period],
        holidays: Iterable[str],
        timezone: str,
    ) -> None:
        self._tz = ZoneInfo(timezone)
        self._rules = {p.id: PeriodRule.from_period(p) for p in periods}
        self._holidays = tuple(parse_date_range(h) for h in holidays)
        self._zones: dict[str, Zone] = {z.id: z for z in zones}

    @classmethod
    def from_spec(cls, spec: SiteFile) -> ImportanceCalendar:
        """The calendar of a validated site file."""
        return cls(
            zones=spec.zones,
            periods=spec.periods,
            holidays=spec.holidays,
            timezone=spec.site.timezone,
        )

    @property
    def timezone(self) -> ZoneInfo:
        """The site's time zone."""
        return self._tz

    def local(self, at: dt.datetime) -> dt.datetime:
        """`at` (timezone-aware) as naive site-local time."""
        if at.tzinfo is None:
            raise ValueError("times must carry a UTC offset")
        return at.astimezone(self._tz).replace(tzinfo=None)

    def active_periods(self, at: dt.datetime) -> list[str]:
        """Ids of the periods in force at `at`."""
        local = self.local(at)
        return [
            pid for pid, rule in self._rules.items() if period_applies(rule, local, self._holidays)
        ]

    def importance(self, zone_id: str, at: dt.datetime) -> int:
        """The zone's importance (1..5) at `at`; unknown zones count as 1."""
        zone = self._zones.get(zone_id)
        if zone is None:
            return 1
        if not zone.schedule:
            return zone.importance
        local = self.local(at)
        raised = [
            entry.importance
            for entry in zone.schedule
            if entry.period in self._rules
            and period_applies(self._rules[entry.period], local, self._holidays)
        ]
        return max(raised) if raised else zone.importance

    def importances(self, at: dt.datetime) -> Mapping[str, int]:
        """Every zone's importance at `at`."""
        return {zid: self.importance(zid, at) for zid in self._zones}
