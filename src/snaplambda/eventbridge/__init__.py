"""Scheduled invocations: EventBridge's scheduled rules and EventBridge Scheduler's
schedules, their durable store, and the runner that fires them into the platform's
asynchronous-invocation queue."""

from .errors import EventBridgeError
from .rules import RuleService
from .runner import Job, ScheduleRunner
from .scheduler import SchedulerService
from .store import ScheduleStore, SqliteScheduleStore

__all__ = [
    "EventBridgeError",
    "Job",
    "RuleService",
    "ScheduleRunner",
    "ScheduleStore",
    "SchedulerService",
    "SqliteScheduleStore",
]
