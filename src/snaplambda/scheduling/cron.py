"""AWS's six-field ``cron()`` body (minutes, hours, day-of-month, month,
day-of-week, year) read as AWS reads it, translated to a five-field croniter
expression, and its next fire times.  Pure: times are passed in.

What AWS and croniter disagree on is settled here rather than left to croniter:
AWS's day-of-week is 1-7 for SUN-SAT (croniter's 0-6), ``?`` is required in exactly
one of the two day fields, ``nL`` is croniter's ``Ln``, ``L`` alone in day-of-week
is Saturday, and an equal range such as ``5-5`` means the single value (croniter
widens it to the whole field), so every range, step and list is expanded to plain
values before croniter sees it.  The year field and ``LW`` (the last weekday of the
month), which croniter lacks, are filters applied to croniter's candidates.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import CroniterError, croniter

from .errors import ExpressionError

_MONTHS = {
    name: i + 1
    for i, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}
_DAYS = {name: i + 1 for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_FIELDS = ("Minutes", "Hours", "Day-of-month", "Month", "Day-of-week", "Year")
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (1, 7), (1970, 2199))
_NAMES: tuple[dict[str, int], ...] = ({}, {}, {}, _MONTHS, _DAYS, {})
_ITEM = re.compile(r"(?P<base>\*|[A-Z0-9]+(?:-[A-Z0-9]+)?)(?:/(?P<step>\d+))?")
#: How far ahead (in hops past filtered candidates) a search goes before giving up.
_MAX_HOPS = 400


@dataclass(frozen=True, slots=True)
class Cron:
    """A valid AWS cron body: croniter's five fields plus the filters AWS adds."""

    expression: str
    """Minutes, hours, day-of-month, month and day-of-week in croniter's syntax."""
    years: frozenset[int] | None = None
    """The years it may fire in (``None``: any)."""
    last_weekday: bool = False
    """Day-of-month ``LW``: only the last weekday (MON-FRI) of each month."""


def _value(text: str, index: int) -> int:
    names = _NAMES[index]
    value = names[text] if text in names else int(text) if text.isdigit() else None
    low, high = _RANGES[index]
    if value is None or not low <= value <= high:
        allowed = f"{low}-{high}" + (" or their names" if names else "")
        raise ExpressionError(f"{_FIELDS[index]} value {text!r} is not one of {allowed}")
    return value


def _values(text: str, index: int) -> list[int]:
    """The values of a field of numbers, names, ranges (which may wrap round, as
    ``FRI-MON``), steps and lists, in order."""
    low, high = _RANGES[index]
    out: set[int] = set()
    for item in text.split(","):
        m = _ITEM.fullmatch(item)
        if m is None:
            raise ExpressionError(f"{_FIELDS[index]} field {text!r} is not valid")
        base, step_text = m.group("base"), m.group("step")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ExpressionError(f"{_FIELDS[index]} step in {item!r} must be at least 1")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-")
            first, last = _value(a, index), _value(b, index)
        else:
            first = _value(base, index)
            last = high if step_text else first
        span = (
            range(first, last + 1)
            if first <= last
            else [
                *range(first, high + 1),
                *range(low, last + 1),
            ]
        )
        out.update(list(span)[::step])
    return sorted(out)


def _list(values: list[int], index: int) -> str:
    """croniter's text for ``values`` of field ``index``: ``*`` when they are all."""
    low, high = _RANGES[index]
    return "*" if len(values) == high - low + 1 else ",".join(str(v) for v in values)


def _day_of_month(text: str) -> tuple[str, bool]:
    """croniter's day-of-month and whether it is ``LW``."""
    if text == "?":
        return "*", False
    if text == "LW":
        return "*", True
    if text == "L":
        return "L", False
    m = re.fullmatch(r"(\d{1,2})W", text)
    if m is not None:
        return f"{_value(m.group(1), 2)}W", False
    if "W" in text or "L" in text:
        raise ExpressionError(
            f"Day-of-month {text!r}: L, LW and nW (1-31) stand alone in the field"
        )
    return _list(_values(text, 2), 2), False


def _day_of_week(text: str) -> str:
    """croniter's day-of-week (0-6 = SUN-SAT) for AWS's (1-7 = SUN-SAT)."""
    if text == "?":
        return "*"
    if text == "L":  # the last day of the week
        return "6"
    m = re.fullmatch(r"([A-Z0-9]+)L", text)
    if m is not None:  # the last such day of the month
        return f"L{_value(m.group(1), 4) - 1}"
    m = re.fullmatch(r"([A-Z0-9]+)#(\d+)", text)
    if m is not None:
        nth = int(m.group(2))
        if not 1 <= nth <= 5:
            raise ExpressionError(f"Day-of-week {text!r}: the n of #n is 1-5")
        return f"{_value(m.group(1), 4) - 1}#{nth}"
    if "#" in text or "L" in text:  # no day's name holds an L or a #
        raise ExpressionError(f"Day-of-week {text!r}: nL and n#k stand alone in the field")
    return _list([v - 1 for v in _values(text, 4)], 4)


def parse_cron(body: str) -> Cron:
    """Read the inside of ``cron(...)``; :class:`ExpressionError` says what is wrong."""
    fields = body.upper().split()
    if len(fields) != 6:
        raise ExpressionError(
            f"cron() takes 6 fields (minutes hours day-of-month month day-of-week year), "
            f"not {len(fields)}"
        )
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ExpressionError(
            "exactly one of Day-of-month and Day-of-week must be ? (the other names the days)"
        )
    for index, text in ((0, minutes), (1, hours), (3, month), (5, year)):
        if "?" in text:
            raise ExpressionError(f"{_FIELDS[index]} cannot be ?")
    day, last_weekday = _day_of_month(dom)
    expression = " ".join(
        (
            _list(_values(minutes, 0), 0),
            _list(_values(hours, 1), 1),
            day,
            _list(_values(month, 3), 3),
            _day_of_week(dow),
        )
    )
    years = None if year == "*" else frozenset(_values(year, 5))
    try:
        croniter(expression)
    except (CroniterError, ValueError) as exc:
        raise ExpressionError(f"not a valid combination: {exc}") from exc
    return Cron(expression, years, last_weekday)


def _last_weekday(year: int, month: int) -> int:
    day = calendar.monthrange(year, month)[1]
    while calendar.weekday(year, month, day) >= 5:
        day -= 1
    return day


def next_fire(cron: Cron, after: float, zone: ZoneInfo) -> float | None:
    """The first time strictly after ``after`` that ``cron`` fires, read in ``zone``;
    ``None`` when it never fires again."""
    start = datetime.fromtimestamp(after, zone)
    for _ in range(_MAX_HOPS):
        try:
            candidate: datetime = croniter(cron.expression, start).get_next(datetime)
        except (CroniterError, ValueError, OverflowError):
            return None  # nothing within croniter's horizon (e.g. 30 February)
        if cron.years is not None and candidate.year not in cron.years:
            later = [y for y in cron.years if y > candidate.year]
            if not later:
                return None
            start = datetime(min(later), 1, 1, tzinfo=zone) - timedelta(seconds=1)
            continue
        if cron.last_weekday:
            day = _last_weekday(candidate.year, candidate.month)
            if candidate.day != day:
                if candidate.day < day:
                    start = candidate.replace(day=day, hour=0, minute=0)
                else:
                    first = (candidate.replace(day=28) + timedelta(days=4)).replace(day=1)
                    start = first.replace(hour=0, minute=0)
                start -= timedelta(seconds=1)
                continue
        if candidate.year > _RANGES[5][1]:
            return None
        return candidate.timestamp()
    return None
