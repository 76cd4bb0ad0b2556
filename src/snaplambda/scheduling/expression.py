"""Schedule expressions as EventBridge, EventBridge Scheduler and Application Auto
Scaling write them: ``at(yyyy-mm-ddThh:mm:ss)`` once, ``rate(value unit)`` every
interval, ``cron(...)`` (see :mod:`.cron`), each read in a time zone (UTC unless
given).  Pure: every time is passed in, as seconds since the epoch."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cron import Cron, next_fire, parse_cron
from .errors import ExpressionError

Kind = Literal["at", "rate", "cron"]

_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_SHAPE = re.compile(r"(at|rate|cron)\((.*)\)", re.DOTALL)
#: Fires looked at by :meth:`Expression.last_in` before it settles for the latest seen.
_MAX_STEPS = 10_000


def zone(name: str | None) -> ZoneInfo:
    """The IANA time zone ``name`` (UTC when empty)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ExpressionError(f"time zone {name!r} is not an IANA time zone name") from exc


@dataclass(frozen=True, slots=True)
class Expression:
    """A valid schedule expression and the time zone it is read in."""

    text: str
    kind: Kind
    zone: ZoneInfo
    at: float | None = None
    """``at()``: the one time it fires."""
    every_s: float = 0.0
    """``rate()``: the interval."""
    cron: Cron | None = None

    def scaled(self, minute_s: float) -> Expression:
        """Beyond AWS: a ``rate()`` whose minute lasts ``minute_s`` seconds (for
        tests and demos); other kinds are returned unchanged."""
        if self.kind != "rate" or minute_s == 60:
            return self
        return replace(self, every_s=self.every_s * minute_s / 60)

    def next_after(self, after: float, anchor: float) -> float | None:
        """The first fire strictly after ``after``, ``None`` if there is none.
        ``anchor`` is when a ``rate()`` started: it fires one interval after it,
        then every interval."""
        if self.kind == "at":
            assert self.at is not None
            return self.at if self.at > after else None
        if self.kind == "rate":
            steps = max(1, int((after - anchor) // self.every_s) + 1)
            fire = anchor + steps * self.every_s
            return fire if fire > after else fire + self.every_s
        assert self.cron is not None
        return next_fire(self.cron, after, self.zone)

    def last_in(self, after: float, upto: float, anchor: float) -> float | None:
        """The latest fire in ``(after, upto]``, ``None`` if there is none."""
        if self.kind == "rate" and upto >= anchor + self.every_s:
            last = anchor + ((upto - anchor) // self.every_s) * self.every_s
            return last if last > after else None
        latest = None
        fire: float | None = self.next_after(after, anchor)
        for _ in range(_MAX_STEPS):
            if fire is None or fire > upto:
                break
            latest = fire
            fire = self.next_after(fire, anchor)
        return latest


def _rate(body: str) -> float:
    parts = body.split()
    if len(parts) != 2 or not parts[0].isdigit():
        raise ExpressionError("rate() takes a whole number and a unit, as rate(5 minutes)")
    value, unit = int(parts[0]), parts[1]
    if value < 1:
        raise ExpressionError("the value of rate() must be a positive whole number")
    singular = unit[:-1] if unit.endswith("s") else unit
    if singular not in _UNITS:
        raise ExpressionError(f"the unit of rate() is minute(s), hour(s) or day(s), not {unit!r}")
    if (value == 1) != (unit == singular):
        raise ExpressionError(
            f"a value of 1 takes a singular unit ({singular}), any other value a plural "
            f"one ({singular}s)"
        )
    return float(value * _UNITS[singular])


def parse(text: str, zone_name: str | None = None) -> Expression:
    """Read ``text`` in the time zone ``zone_name``; :class:`ExpressionError` says
    what is wrong with either."""
    tz = zone(zone_name)
    m = _SHAPE.fullmatch(text.strip())
    if m is None:
        raise ExpressionError("an expression is at(...), rate(...) or cron(...)")
    kind, body = m.group(1), m.group(2).strip()
    if kind == "at":
        try:
            local = datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
        except ValueError as exc:
            raise ExpressionError(
                f"at() takes a date and time as yyyy-mm-ddThh:mm:ss, not {body!r}"
            ) from exc
        return Expression(text, "at", tz, at=local.replace(tzinfo=tz).timestamp())
    if kind == "rate":
        return Expression(text, "rate", tz, every_s=_rate(body))
    return Expression(text, "cron", tz, cron=parse_cron(body))
