"""Schedule expressions (snaplambda.scheduling) against fire times worked out by hand
from a calendar: AWS's documented cron examples, L, W, LW, #, the year field, time
zones, rate()'s singular and plural units, at(), and what AWS rejects."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from snaplambda.scheduling import ExpressionError, parse


def ts(text: str, zone: str = "UTC") -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def after(expression: str, start: str, zone: str | None = None) -> str | None:
    """The first fire strictly after ``start`` (read in UTC), as UTC ISO text."""
    fire = parse(expression, zone).next_after(ts(start), 0)
    if fire is None:
        return None
    return datetime.fromtimestamp(fire, ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M")


# 2026-01-01 is a Thursday, 2026-03-01 a Sunday, 2026-03-06 a Friday.
@pytest.mark.parametrize(
    ("expression", "start", "expected"),
    [
        # AWS's documented examples
        ("cron(0 10 * * ? *)", "2026-03-04T09:59:00", "2026-03-04T10:00"),
        ("cron(0 10 * * ? *)", "2026-03-04T10:00:00", "2026-03-05T10:00"),
        ("cron(15 12 * * ? *)", "2026-03-04T12:15:30", "2026-03-05T12:15"),
        ("cron(0 18 ? * MON-FRI *)", "2026-03-06T18:00:00", "2026-03-09T18:00"),
        ("cron(0 18 ? * MON-FRI *)", "2026-03-04T17:00:00", "2026-03-04T18:00"),
        ("cron(0 8 1 * ? *)", "2026-01-01T08:00:00", "2026-02-01T08:00"),
        ("cron(0/10 * ? * MON-FRI *)", "2026-03-04T10:05:00", "2026-03-04T10:10"),
        ("cron(0/10 * ? * MON-FRI *)", "2026-03-06T23:50:00", "2026-03-09T00:00"),
        ("cron(0/5 8-17 ? * MON-FRI *)", "2026-03-09T07:00:00", "2026-03-09T08:00"),
        ("cron(0/5 8-17 ? * MON-FRI *)", "2026-03-09T12:31:00", "2026-03-09T12:35"),
        ("cron(0/5 8-17 ? * MON-FRI *)", "2026-03-09T17:55:00", "2026-03-10T08:00"),
        ("cron(0 9 ? * 2#1 *)", "2026-03-01T00:00:00", "2026-03-02T09:00"),
        ("cron(0 9 ? * 2#1 *)", "2026-03-02T09:00:00", "2026-04-06T09:00"),
        # 1/10: from minute 1
        ("cron(1/10 * * * ? *)", "2026-03-04T10:02:00", "2026-03-04T10:11"),
        # L in day-of-month: the last day (leap years too)
        ("cron(0 0 L * ? *)", "2026-02-01T00:00:00", "2026-02-28T00:00"),
        ("cron(0 0 L * ? *)", "2028-02-01T00:00:00", "2028-02-29T00:00"),
        # W: the weekday nearest the day, never leaving the month
        ("cron(0 12 15W * ? *)", "2026-03-01T00:00:00", "2026-03-16T12:00"),  # Sun 15 -> Mon
        ("cron(0 12 15W * ? *)", "2026-08-01T00:00:00", "2026-08-14T12:00"),  # Sat 15 -> Fri
        ("cron(0 12 15W * ? *)", "2026-04-01T00:00:00", "2026-04-15T12:00"),  # a Wednesday
        ("cron(0 12 1W * ? *)", "2026-02-28T00:00:00", "2026-03-02T12:00"),  # Sun 1 -> Mon 2
        # LW: the last weekday of the month
        ("cron(0 0 LW * ? *)", "2026-01-01T00:00:00", "2026-01-30T00:00"),  # Sat 31 -> Fri
        ("cron(0 0 LW * ? *)", "2026-05-01T00:00:00", "2026-05-29T00:00"),  # Sun 31 -> Fri
        ("cron(0 0 LW * ? *)", "2026-06-01T00:00:00", "2026-06-30T00:00"),  # a Tuesday
        # L in day-of-week: alone Saturday, after a day the last such day of the month
        ("cron(0 0 ? * L *)", "2026-01-01T00:00:00", "2026-01-03T00:00"),
        ("cron(0 0 ? * 6L *)", "2026-01-01T00:00:00", "2026-01-30T00:00"),
        ("cron(0 0 ? * FRIL *)", "2026-03-01T00:00:00", "2026-03-27T00:00"),
        ("cron(0 0 ? * 1L *)", "2026-03-01T00:00:00", "2026-03-29T00:00"),
        ("cron(0 0 ? * 6#3 *)", "2026-03-01T00:00:00", "2026-03-20T00:00"),
        # day-of-week 1 is Sunday, 7 Saturday; names are case-insensitive
        ("cron(0 6 ? * 1 *)", "2026-01-01T00:00:00", "2026-01-04T06:00"),
        ("cron(0 6 ? * 7 *)", "2026-01-01T00:00:00", "2026-01-03T06:00"),
        ("cron(0 6 ? * mon *)", "2026-01-01T00:00:00", "2026-01-05T06:00"),
        # ranges: an equal one is its one value, a reversed one wraps round
        ("cron(0 0 5-5 * ? *)", "2026-01-05T00:00:00", "2026-02-05T00:00"),
        ("cron(0 0 ? * FRI-SUN *)", "2026-01-04T00:00:00", "2026-01-09T00:00"),
        ("cron(0 22-2/2 * * ? *)", "2026-01-01T02:00:00", "2026-01-01T22:00"),
        ("cron(0 22-2/2 * * ? *)", "2026-01-01T22:00:00", "2026-01-02T00:00"),
        ("cron(0 0 1 JAN,JUL ? *)", "2026-01-01T00:00:00", "2026-07-01T00:00"),
        # the year field
        ("cron(0 0 1 1 ? 2030,2032)", "2026-05-01T00:00:00", "2030-01-01T00:00"),
        ("cron(0 0 1 1 ? 2030,2032)", "2030-01-01T00:00:00", "2032-01-01T00:00"),
        ("cron(0 0 1 1 ? 2030,2032)", "2032-01-01T00:00:00", None),
        ("cron(30 10 ? * 2 2027-2028)", "2026-05-01T00:00:00", "2027-01-04T10:30"),
        ("cron(0 0 31 2 ? *)", "2026-01-01T00:00:00", None),
    ],
)
def test_cron_next_fire(expression: str, start: str, expected: str | None) -> None:
    assert after(expression, start) == expected


def test_cron_is_read_in_its_time_zone_across_daylight_saving() -> None:
    # US clocks go forward on Sunday 2026-03-08: 09:30 is 14:30Z before, 13:30Z after.
    s = "cron(30 9 ? * MON-FRI *)"
    assert after(s, "2026-03-05T14:30:00", "America/New_York") == "2026-03-06T14:30"
    assert after(s, "2026-03-06T14:30:00", "America/New_York") == "2026-03-09T13:30"


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(12 hours)", 43200),
        ("rate(1 day)", 86400),
        ("rate(7 days)", 604800),
    ],
)
def test_rate_fires_every_interval_after_its_anchor(expression: str, seconds: int) -> None:
    s = parse(expression)
    anchor = 1_000_000.0
    assert s.next_after(anchor, anchor) == anchor + seconds
    assert s.next_after(anchor - 5000, anchor) == anchor + seconds
    assert s.next_after(anchor + seconds, anchor) == anchor + 2 * seconds
    assert s.next_after(anchor + seconds + 1, anchor) == anchor + 2 * seconds


def test_rate_minute_can_be_scaled_beyond_aws() -> None:
    s = parse("rate(2 minutes)").scaled(1.0)
    assert s.next_after(100.0, 100.0) == 102.0
    assert parse("cron(0 10 * * ? *)").scaled(1.0).cron == parse("cron(0 10 * * ? *)").cron


def test_at_fires_once_in_its_time_zone() -> None:
    s = parse("at(2026-12-07T10:00:00)", "Europe/Paris")
    nine_utc = ts("2026-12-07T09:00:00")
    assert s.next_after(nine_utc - 1, 0) == nine_utc
    assert s.next_after(nine_utc, 0) is None


def test_last_in_a_window() -> None:
    cron = parse("cron(0/15 * * * ? *)")
    t = ts("2026-05-05T10:45:00")
    assert cron.last_in(t - 3600, t + 10, 0) == t
    assert cron.last_in(t, t + 60 * 14, 0) is None
    rate = parse("rate(5 minutes)")
    assert rate.last_in(0, 1000 + 299, 1000) is None
    assert rate.last_in(1000, 1000 + 901, 1000) == 1000 + 900
    assert rate.last_in(1000 + 900, 1000 + 1000, 1000) is None


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("rate(1 minutes)", "singular"),
        ("rate(5 minute)", "plural"),
        ("rate(1 hours)", "singular"),
        ("rate(2 day)", "plural"),
        ("rate(0 minutes)", "positive"),
        ("rate(-1 minutes)", "whole number"),
        ("rate(1.5 hours)", "whole number"),
        ("rate(1 week)", "minute(s), hour(s) or day(s)"),
        ("rate(5)", "whole number and a unit"),
        ("cron(0 10 * * ?)", "6 fields"),
        ("cron(0 10 * * * *)", "exactly one of Day-of-month and Day-of-week"),
        ("cron(0 10 ? * ? *)", "exactly one of Day-of-month and Day-of-week"),
        ("cron(60 10 * * ? *)", "Minutes value '60'"),
        ("cron(0 24 * * ? *)", "Hours value '24'"),
        ("cron(0 0 32 * ? *)", "Day-of-month value '32'"),
        ("cron(0 0 ? 13 MON *)", "Month value '13'"),
        ("cron(0 0 ? * 8 *)", "Day-of-week value '8'"),
        ("cron(0 0 ? * FUN *)", "Day-of-week value 'FUN'"),
        ("cron(0 0 1 * ? 1969)", "Year value '1969'"),
        ("cron(0 0 1 * ? 2200)", "Year value '2200'"),
        ("cron(? 0 1 * ? *)", "Minutes cannot be ?"),
        ("cron(0/0 * * * ? *)", "at least 1"),
        ("cron(0 9 ? * 3#1,6#3 *)", "stand alone"),
        ("cron(0 9 ? * 2#6 *)", "1-5"),
        ("cron(0 0 L,3 * ? *)", "stand alone"),
        ("cron(0 0 32W * ? *)", "Day-of-month value '32'"),
        ("at(2026-13-01T00:00:00)", "yyyy-mm-ddThh:mm:ss"),
        ("at(tomorrow)", "yyyy-mm-ddThh:mm:ss"),
        ("every day", "at(...), rate(...) or cron(...)"),
    ],
)
def test_what_aws_rejects_is_rejected_with_a_reason(expression: str, reason: str) -> None:
    with pytest.raises(ExpressionError) as exc:
        parse(expression)
    assert reason in str(exc.value)


def test_an_unknown_time_zone_is_rejected() -> None:
    with pytest.raises(ExpressionError, match="Nowhere/Special"):
        parse("rate(1 minute)", "Nowhere/Special")
