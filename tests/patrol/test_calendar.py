"""Zone importance at a moment: periods, weekdays, dates, holidays, midnight, time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from gapwatch.patrol.calendar import ImportanceCalendar, PeriodRule, period_applies
from gapwatch.site.models import Period, Zone, ZoneSchedule

SH = ZoneInfo("Asia/Shanghai")
SQUARE = [(104.0, 35.0), (104.001, 35.0), (104.001, 35.001)]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def calendar(
    periods: list[Period], schedule: list[ZoneSchedule], holidays: tuple[str, ...] = ()
) -> ImportanceCalendar:
    zone = Zone(id="square", name="square", importance=2, polygon=SQUARE, schedule=schedule)
    return ImportanceCalendar(
        zones=[zone], periods=periods, holidays=holidays, timezone="Asia/Shanghai"
    )


def test_evening_period_crossing_midnight() -> None:
    market = Period(id="market", days=["fri", "sat"], start=dt.time(18, 0), end=dt.time(2, 0))
    cal = calendar([market], [ZoneSchedule(period="market", importance=5)])
    assert cal.importance("square", at("2026-07-31T17:59")) == 2  # Friday before
    assert cal.importance("square", at("2026-07-31T18:00")) == 5  # Friday evening
    assert cal.importance("square", at("2026-08-01T01:30")) == 5  # Saturday small hours: Friday's
    assert cal.importance("square", at("2026-08-01T02:00")) == 2
    assert cal.importance("square", at("2026-08-02T01:00")) == 5  # Sunday small hours: Saturday's
    assert (
        cal.importance("square", at("2026-08-03T01:00")) == 2
    )  # Monday small hours: Sunday has no market


def test_dates_and_holidays_combine_with_days() -> None:
    golden = Period(id="golden", dates=["2026-10-01/2026-10-07"])
    holiday = Period(id="holiday", holidays=True, start=dt.time(8), end=dt.time(20))
    weekend_holiday = Period(id="wh", holidays=True, days=["sat", "sun"])
    cal = calendar(
        [golden, holiday, weekend_holiday],
        [
            ZoneSchedule(period="golden", importance=4),
            ZoneSchedule(period="holiday", importance=3),
            ZoneSchedule(period="wh", importance=5),
        ],
        holidays=("2026-05-01/2026-05-05",),
    )
    assert cal.importance("square", at("2026-10-07T23:00")) == 4
    assert cal.importance("square", at("2026-10-08T00:00")) == 2
    assert cal.importance("square", at("2026-05-01T12:00")) == 3  # Friday holiday, daytime
    assert cal.importance("square", at("2026-05-01T21:00")) == 2  # holiday but after 20:00
    assert cal.importance("square", at("2026-05-02T12:00")) == 5  # Saturday holiday: highest wins
    assert cal.importance("square", at("2026-05-09T12:00")) == 2  # an ordinary Saturday


def test_time_zone_of_the_site_decides_the_local_time() -> None:
    morning = Period(id="morning", start=dt.time(8), end=dt.time(9))
    cal = calendar([morning], [ZoneSchedule(period="morning", importance=4)])
    # 00:30 UTC is 08:30 in Shanghai.
    assert cal.importance("square", dt.datetime(2026, 7, 30, 0, 30, tzinfo=dt.UTC)) == 4
    assert cal.importance("square", dt.datetime(2026, 7, 30, 8, 30, tzinfo=dt.UTC)) == 2
    assert cal.active_periods(dt.datetime(2026, 7, 30, 0, 30, tzinfo=dt.UTC)) == ["morning"]


def test_a_schedule_can_lower_importance_and_unknown_zones_count_as_one() -> None:
    quiet = Period(id="quiet", start=dt.time(2), end=dt.time(5))
    cal = calendar([quiet], [ZoneSchedule(period="quiet", importance=1)])
    assert cal.importance("square", at("2026-07-30T03:00")) == 1
    assert cal.importance("nowhere", at("2026-07-30T03:00")) == 1


def test_whole_day_default_includes_the_last_second() -> None:
    rule = PeriodRule.from_period(Period(id="all"))
    assert period_applies(rule, dt.datetime(2026, 7, 30, 23, 59, 59, 900000), ())


@given(
    st.times(),
    st.times(),
    st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31)),
)
def test_a_period_and_its_complement_tile_the_day(
    start: dt.time, end: dt.time, when: dt.datetime
) -> None:
    # [start, end) and [end, start) (both possibly crossing midnight) never overlap and cover all.
    if start == end:
        return
    a = PeriodRule.from_period(Period(id="a", start=start, end=end))
    b = PeriodRule.from_period(Period(id="b", start=end, end=start))
    if dt.time(23, 59, 59) in (start, end):
        return  # 23:59:59 means the end of the day, a different boundary
    assert period_applies(a, when, ()) != period_applies(b, when, ())


@given(
    st.datetimes(
        min_value=dt.datetime(2026, 1, 1),
        max_value=dt.datetime(2027, 12, 31),
        timezones=st.just(dt.UTC),
    )
)
def test_importance_stays_within_one_to_five(when: dt.datetime) -> None:
    market = Period(id="market", start=dt.time(18), end=dt.time(1))
    cal = calendar([market], [ZoneSchedule(period="market", importance=5)])
    assert cal.importance("square", when) in (2, 5)
