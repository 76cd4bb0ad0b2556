"""Schedule expressions shared by every part that runs something on a schedule
(Application Auto Scaling's scheduled actions, EventBridge rules and Scheduler
schedules): parsing AWS's ``at()``, ``rate()`` and ``cron()`` and computing fire
times with croniter.  Pure, and imports nothing else of the package."""

from .errors import ExpressionError
from .expression import Expression, Kind, parse, zone

__all__ = ["Expression", "ExpressionError", "Kind", "parse", "zone"]
