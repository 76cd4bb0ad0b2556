"""Schedules of scheduled actions: ``at(...)``, ``rate(...)`` and ``cron(...)`` read
in a time zone, and when one fires within a window.  Pure: the clock is passed in."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import invalid as _invalid

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}
_DAYS = {d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
_RATE_UNITS = {
    "minute": 60,
    "minutes": 60,
    "hour": 3600,
    "hours": 3600,
    "day": 86400,
    "days": 86400,
}


def _cron_field(text: str, low: int, high: int, names: dict[str, int]) -> set[int] | None:
    """The values a cron field allows (``None``: any)."""
    if text in ("*", "?"):
        return None
    out: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base in ("*", ""):
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            first, last = names.get(a.upper()) or int(a), names.get(b.upper()) or int(b)
        else:
            first = names.get(base.upper()) or int(base)
            last = high if step_text else first
        if not (low <= first <= high and low <= last <= high) or step < 1:
            raise ValueError(part)
        out.update(range(first, last + 1, step))
    return out


@dataclass(frozen=True, slots=True)
class Schedule:
    """``at(...)``, ``rate(...)`` or ``cron(...)``, with the time zone it is read in."""

    kind: str
    at: datetime | None = None
    every_s: int = 0
    fields: tuple[set[int] | None, ...] = ()
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @classmethod
    def parse(cls, text: str, zone_name: str | None) -> Schedule:
        try:
            zone = ZoneInfo(zone_name or "UTC")
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise _invalid(f"Time zone {zone_name!r} is not a valid time zone") from exc
        m = re.fullmatch(r"(at|rate|cron)\((.*)\)", text.strip())
        if m is None:
            raise _invalid(f"Schedule {text!r} must be at(...), rate(...) or cron(...)")
        kind, body = m.group(1), m.group(2).strip()
        try:
            if kind == "at":
                at = datetime.strptime(body, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=zone)
                return cls("at", at=at, zone=zone)
            if kind == "rate":
                value, unit = body.split()
                if int(value) < 1 or unit not in _RATE_UNITS:
                    raise ValueError(body)
                return cls("rate", every_s=int(value) * _RATE_UNITS[unit], zone=zone)
            parts = body.split()
            if len(parts) != 6:
                raise ValueError(body)
            none: dict[str, int] = {}
            ranges = ((0, 59, none), (0, 23, none), (1, 31, none), (1, 12, _MONTHS), (1, 7, _DAYS))
            fields = tuple(
                _cron_field(p, lo, hi, names)
                for p, (lo, hi, names) in zip(parts[:5], ranges, strict=True)
            )
            years = _cron_field(parts[5], 1970, 2199, {})
            return cls("cron", fields=(*fields, years), zone=zone)
        except (ValueError, KeyError) as exc:
            raise _invalid(f"Schedule {text!r} is not a valid {kind} expression") from exc

    def fires(self, after: float, upto: float, start: float) -> float | None:
        """The last time in ``(after, upto]`` the schedule fires, else ``None``;
        ``start`` anchors ``rate`` (its first firing is one interval after it)."""
        if self.kind == "at":
            assert self.at is not None
            t = self.at.timestamp()
            return t if after < t <= upto else None
        if self.kind == "rate":
            k = math.floor((upto - start) / self.every_s)
            t = start + k * self.every_s
            return t if k >= 1 and t > after else None
        minute = math.floor(upto / 60) * 60
        while minute > after and upto - minute < 366 * 86400:
            local = datetime.fromtimestamp(minute, self.zone)
            if self._matches(local):
                return float(minute)
            minute -= 60
        return None

    def _matches(self, t: datetime) -> bool:
        mi, h, dom, mon, dow, year = self.fields
        sunday_one = (t.weekday() + 1) % 7 + 1
        checks = ((mi, t.minute), (h, t.hour), (dom, t.day), (mon, t.month), (dow, sunday_one))
        return all(f is None or v in f for f, v in (*checks, (year, t.year)))
