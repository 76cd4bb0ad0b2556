"""Schedules of scheduled actions: ``at(...)``, ``rate(...)`` and ``cron(...)`` read
in a time zone (the shared :mod:`snaplambda.scheduling`), with Application Auto
Scaling's error messages, and when one fires within a window.  Pure: the clock is
passed in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...scheduling import Expression, ExpressionError, parse, zone
from .errors import invalid as _invalid


@dataclass(frozen=True, slots=True)
class Schedule:
    """A scheduled action's valid schedule."""

    expression: Expression

    @property
    def kind(self) -> str:
        return self.expression.kind

    @classmethod
    def parse(cls, text: str, zone_name: str | None) -> Schedule:
        try:
            zone(zone_name)
        except ExpressionError as exc:
            raise _invalid(f"Time zone {zone_name!r} is not a valid time zone") from exc
        m = re.match(r"\s*(at|rate|cron)\(.*\)\s*$", text, re.DOTALL)
        if m is None:
            raise _invalid(f"Schedule {text!r} must be at(...), rate(...) or cron(...)")
        try:
            return cls(parse(text, zone_name))
        except ExpressionError as exc:
            raise _invalid(
                f"Schedule {text!r} is not a valid {m.group(1)} expression: {exc}"
            ) from exc

    def fires(self, after: float, upto: float, start: float) -> float | None:
        """The last time in ``(after, upto]`` the schedule fires, else ``None``;
        ``start`` anchors ``rate`` (its first firing is one interval after it)."""
        return self.expression.last_in(after, upto, start)
