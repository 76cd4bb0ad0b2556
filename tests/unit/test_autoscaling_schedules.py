"""Application Auto Scaling schedule expressions: at(), rate(), cron() in a time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from snaplambda.capacity.autoscaling import AutoScalingError
from snaplambda.capacity.autoscaling.schedule import Schedule


def ts(text: str, zone: str = "UTC") -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def test_at_fires_once_in_its_time_zone() -> None:
    s = Schedule.parse("at(2026-03-01T09:00:00)", "Europe/Paris")
    t = ts("2026-03-01T08:00:00")  # 09:00 in Paris (UTC+1)
    assert s.fires(t - 10, t - 1, 0) is None
    assert s.fires(t - 10, t + 5, 0) == t
    assert s.fires(t, t + 60, 0) is None


def test_rate_fires_every_interval_after_its_start() -> None:
    s = Schedule.parse("rate(5 minutes)", None)
    start = 1000.0
    assert s.fires(start, start + 299, start) is None
    assert s.fires(start + 299, start + 301, start) == start + 300
    assert s.fires(start + 301, start + 599, start) is None
    assert s.fires(start + 301, start + 900, start) == start + 900


def test_cron_matches_fields_and_names_in_its_time_zone() -> None:
    s = Schedule.parse("cron(30 9 ? * MON-FRI *)", "America/New_York")
    monday = ts("2026-11-30T09:30:00", "America/New_York")
    assert s.fires(monday - 120, monday + 30, 0) == monday
    assert s.fires(monday + 1, monday + 3600, 0) is None
    saturday = ts("2026-11-28T09:30:00", "America/New_York")
    assert s.fires(saturday - 120, saturday + 30, 0) is None
    every = Schedule.parse("cron(*/15 * * * ? 2026)", None)
    quarter = ts("2026-05-05T10:45:00")
    assert every.fires(quarter - 60, quarter + 10, 0) == quarter
    assert every.fires(quarter + 1, quarter + 60 * 14, 0) is None
    assert (
        Schedule.parse("cron(0 0 1 JAN ? 2030)", None).fires(0, ts("2027-01-01T00:00:00"), 0)
        is None
    )


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("cron(0 9 * *)", None),
        ("cron(61 9 * * ? *)", None),
        ("rate(0 minutes)", None),
        ("rate(1 fortnight)", None),
        ("at(2026-13-01T00:00:00)", None),
        ("daily", None),
        ("rate(1 minute)", "Nowhere/Special"),
    ],
)
def test_invalid_expressions_are_validation_errors(text: str, zone: str | None) -> None:
    with pytest.raises(AutoScalingError) as exc:
        Schedule.parse(text, zone)
    assert exc.value.aws_type == "ValidationException"
