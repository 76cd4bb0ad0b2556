"""Scalable targets with their scheduled actions, policies and activities, and the
document each is stored as."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .schedule import Schedule
from .tracking import TargetTracking

NAMESPACE = "lambda"
DIMENSION = "lambda:function:ProvisionedConcurrency"
METRIC = "LambdaProvisionedConcurrencyUtilization"
LOG_GROUP = "/aws/application-autoscaling"
_ACTIVITIES = 100


@dataclass
class Action:
    name: str
    schedule_text: str
    timezone: str | None
    schedule: Schedule
    min_capacity: int | None
    max_capacity: int | None
    start: float | None
    end: float | None
    created: float


@dataclass
class Policy:
    name: str
    config: dict[str, Any]
    created: float
    tracker: TargetTracking


@dataclass
class Target:
    function: str
    qualifier: str
    min_capacity: int
    max_capacity: int
    created: float
    suspended: dict[str, bool] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)
    activities: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=_ACTIVITIES))
    last_busy: tuple[float, float] | None = None

    @property
    def resource_id(self) -> str:
        return f"function:{self.function}:{self.qualifier}"

    def doc(self) -> dict[str, Any]:
        return {
            "MinCapacity": self.min_capacity,
            "MaxCapacity": self.max_capacity,
            "CreationTime": self.created,
            "SuspendedState": self.suspended,
            "Actions": [_action_doc(a) for a in self.actions.values()],
            "Policies": [
                {"Name": p.name, "Config": p.config, "CreationTime": p.created}
                for p in self.policies.values()
            ],
        }


def _action_doc(a: Action) -> dict[str, Any]:
    return {
        "Name": a.name,
        "Schedule": a.schedule_text,
        "Timezone": a.timezone,
        "Min": a.min_capacity,
        "Max": a.max_capacity,
        "Start": a.start,
        "End": a.end,
        "CreationTime": a.created,
    }
