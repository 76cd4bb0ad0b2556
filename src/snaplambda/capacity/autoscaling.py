"""Application Auto Scaling for Lambda provisioned concurrency: scalable targets,
scheduled actions and target-tracking policies, checked as AWS checks them, persisted
in the store (setting ``autoscaling:<qualifier>`` of the function), and a controller
that evaluates them every period and applies the result through
:class:`~.provisioning.ProvisionedService` (PutProvisionedConcurrencyConfig's path).

Every scaling action is recorded with its cause (DescribeScalingActivities) and
written to the log group ``/aws/application-autoscaling``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..control.aliases import AliasService
from ..control.errors import ResourceNotFound
from ..control.models import LATEST
from ..control.store import Store
from ..control.versions import is_version_number
from ..errors import AwsError
from ..execution.fleet import ProvisionedFleet
from .provisioned import ProvisionedService, stored_settings
from .tracking import TargetTracking

NAMESPACE = "lambda"
DIMENSION = "lambda:function:ProvisionedConcurrency"
METRIC = "LambdaProvisionedConcurrencyUtilization"
LOG_GROUP = "/aws/application-autoscaling"
_KIND = "autoscaling:"
_ACTIVITIES = 100


class AutoScalingError(AwsError):
    def __init__(self, aws_type: str, message: str) -> None:
        super().__init__(message, aws_type, 400)


def _invalid(message: str) -> AutoScalingError:
    return AutoScalingError("ValidationException", message)


def _not_found(message: str) -> AutoScalingError:
    return AutoScalingError("ObjectNotFoundException", message)


# -- schedules ---------------------------------------------------------------------

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


# -- model -------------------------------------------------------------------------


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


def _capacity(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid(f"{what} must be an integer greater than or equal to 0, got {value!r}")
    return value


def _time(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(f"{what} must be a timestamp")
    return float(value)


def _tracker(config: dict[str, Any]) -> TargetTracking:
    return TargetTracking(
        target=float(config["TargetValue"]),
        scale_out_cooldown_s=float(config.get("ScaleOutCooldown", 0)),
        scale_in_cooldown_s=float(config.get("ScaleInCooldown", 0)),
    )


class AutoScalingService:
    """The scalable targets of every function, and their evaluation."""

    def __init__(
        self,
        store: Store,
        aliases: AliasService,
        provisioned: ProvisionedService,
        fleet: ProvisionedFleet,
        log: Callable[[str, str, int, str], None],
        region: str,
        account: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._aliases = aliases
        self._provisioned = provisioned
        self._fleet = fleet
        self._log = log
        self._region = region
        self._account = account
        self.clock = clock
        self._targets: dict[tuple[str, str], Target] = {}
        self._last_eval: float | None = None
        for function, qualifier, doc in stored_settings(store, aliases, _KIND):
            self._restore(function, qualifier, doc)

    def _restore(self, function: str, qualifier: str, doc: dict[str, Any]) -> None:
        target = Target(
            function,
            qualifier,
            int(doc["MinCapacity"]),
            int(doc["MaxCapacity"]),
            float(doc["CreationTime"]),
            dict(doc.get("SuspendedState") or {}),
        )
        for a in doc.get("Actions", []):
            target.actions[a["Name"]] = Action(
                a["Name"],
                a["Schedule"],
                a["Timezone"],
                Schedule.parse(a["Schedule"], a["Timezone"]),
                a["Min"],
                a["Max"],
                a["Start"],
                a["End"],
                a["CreationTime"],
            )
        for p in doc.get("Policies", []):
            target.policies[p["Name"]] = Policy(
                p["Name"], p["Config"], p["CreationTime"], _tracker(p["Config"])
            )
        self._targets[(function, qualifier)] = target

    def _save(self, target: Target | None, key: tuple[str, str]) -> None:
        self._store.put_setting(key[0], _KIND + key[1], None if target is None else target.doc())

    # -- request checks ------------------------------------------------------------

    def _key(self, body: dict[str, Any], check_exists: bool = False) -> tuple[str, str]:
        if body.get("ServiceNamespace") != NAMESPACE:
            raise _invalid(
                f"Unsupported service namespace {body.get('ServiceNamespace')!r}: "
                "snaplambda scales only 'lambda'"
            )
        if body.get("ScalableDimension", DIMENSION) != DIMENSION:
            raise _invalid(
                f"Unsupported scalable dimension {body.get('ScalableDimension')!r} "
                f"(only {DIMENSION})"
            )
        resource = str(body.get("ResourceId", ""))
        parts = resource.split(":")
        if len(parts) != 3 or parts[0] != "function" or not parts[1] or not parts[2]:
            raise _invalid(
                f"Unsupported resource ID {resource!r}: must be function:NAME:ALIAS_OR_VERSION"
            )
        key = (parts[1], parts[2])
        if check_exists:
            try:
                self._aliases.resolve(*key)
                if not is_version_number(key[1]) and key[1] != LATEST:
                    self._aliases.get(*key)
            except ResourceNotFound as exc:
                raise _invalid(f"Resource {resource} does not exist: {exc.message}") from exc
            if key[1] == LATEST:
                raise _invalid("Provisioned concurrency cannot be scaled on $LATEST")
        return key

    def _target(self, body: dict[str, Any]) -> Target:
        key = self._key(body)
        target = self._targets.get(key)
        if target is None:
            raise _not_found(
                f"No scalable target registered for service namespace: lambda, resource ID: "
                f"{body.get('ResourceId')}, scalable dimension: {DIMENSION}"
            )
        return target

    def _arn(self, kind: str, target: Target, name: str = "") -> str:
        prefix = f"arn:aws:autoscaling:{self._region}:{self._account}"
        if kind == "target":
            return f"{prefix}:scalable-target/{uuid.uuid5(uuid.NAMESPACE_URL, target.resource_id)}"
        rid = uuid.uuid5(uuid.NAMESPACE_URL, target.resource_id)
        return f"{prefix}:{kind}:{rid}:resource/lambda/{target.resource_id}:{kind}Name/{name}"

    # -- scalable targets ------------------------------------------------------------

    def register(self, body: dict[str, Any]) -> dict[str, Any]:
        key = self._key(body, check_exists=True)
        target = self._targets.get(key)
        low = _capacity(body.get("MinCapacity"), "MinCapacity")
        high = _capacity(body.get("MaxCapacity"), "MaxCapacity")
        if target is None and (low is None or high is None):
            raise _invalid("MinCapacity and MaxCapacity are required for a new scalable target")
        new_low = low if low is not None else target.min_capacity  # type: ignore[union-attr]
        new_high = high if high is not None else target.max_capacity  # type: ignore[union-attr]
        if new_low > new_high:
            raise _invalid(f"Minimum capacity {new_low} cannot exceed maximum capacity {new_high}")
        if target is None:
            target = self._targets[key] = Target(*key, new_low, new_high, self.clock())
        target.min_capacity, target.max_capacity = new_low, new_high
        if isinstance(body.get("SuspendedState"), dict):
            target.suspended = {k: bool(v) for k, v in body["SuspendedState"].items()}
        self._save(target, key)
        return {"ScalableTargetARN": self._arn("target", target)}

    def deregister(self, body: dict[str, Any]) -> dict[str, Any]:
        target = self._target(body)
        key = (target.function, target.qualifier)
        del self._targets[key]
        self._save(None, key)
        return {}

    def _matching(self, body: dict[str, Any]) -> list[Target]:
        self._key({**body, "ResourceId": body.get("ResourceId") or "function:x:x"})
        wanted = body.get("ResourceIds") or (
            [body["ResourceId"]] if body.get("ResourceId") else None
        )
        targets = sorted(self._targets.values(), key=lambda t: t.resource_id)
        return [t for t in targets if wanted is None or t.resource_id in wanted]

    def describe_targets(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "ScalableTargets": [
                {
                    "ServiceNamespace": NAMESPACE,
                    "ResourceId": t.resource_id,
                    "ScalableDimension": DIMENSION,
                    "MinCapacity": t.min_capacity,
                    "MaxCapacity": t.max_capacity,
                    "RoleARN": f"arn:aws:iam::{self._account}:role/aws-service-role/"
                    "lambda.application-autoscaling.amazonaws.com/"
                    "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency",
                    "CreationTime": t.created,
                    "SuspendedState": {
                        "DynamicScalingInSuspended": t.suspended.get(
                            "DynamicScalingInSuspended", False
                        ),
                        "DynamicScalingOutSuspended": t.suspended.get(
                            "DynamicScalingOutSuspended", False
                        ),
                        "ScheduledScalingSuspended": t.suspended.get(
                            "ScheduledScalingSuspended", False
                        ),
                    },
                    "ScalableTargetARN": self._arn("target", t),
                }
                for t in self._matching(body)
            ]
        }

    # -- scheduled actions -------------------------------------------------------------

    def put_action(self, body: dict[str, Any]) -> dict[str, Any]:
        target = self._target(body)
        name = body.get("ScheduledActionName")
        if not isinstance(name, str) or not name:
            raise _invalid("ScheduledActionName is required")
        existing = target.actions.get(name)
        text = body.get("Schedule") or (existing.schedule_text if existing else None)
        if not isinstance(text, str):
            raise _invalid("Schedule is required for a new scheduled action")
        zone = body.get("Timezone") or (existing.timezone if existing else None)
        schedule = Schedule.parse(text, zone)
        action = body.get("ScalableTargetAction") or {}
        low = _capacity(action.get("MinCapacity"), "MinCapacity")
        high = _capacity(action.get("MaxCapacity"), "MaxCapacity")
        if low is not None and high is not None and low > high:
            raise _invalid(f"Minimum capacity {low} cannot exceed maximum capacity {high}")
        target.actions[name] = Action(
            name,
            text,
            zone,
            schedule,
            low,
            high,
            _time(body.get("StartTime"), "StartTime"),
            _time(body.get("EndTime"), "EndTime"),
            existing.created if existing else self.clock(),
        )
        self._save(target, (target.function, target.qualifier))
        return {}

    def delete_action(self, body: dict[str, Any]) -> dict[str, Any]:
        target = self._target(body)
        name = body.get("ScheduledActionName")
        if name not in target.actions:
            raise _not_found(f"No scheduled action found for name {name!r}")
        del target.actions[name]
        self._save(target, (target.function, target.qualifier))
        return {}

    def describe_actions(self, body: dict[str, Any]) -> dict[str, Any]:
        names = body.get("ScheduledActionNames")
        out = []
        for t in self._matching(body):
            for a in sorted(t.actions.values(), key=lambda a: a.name):
                if names and a.name not in names:
                    continue
                doc: dict[str, Any] = {
                    "ScheduledActionName": a.name,
                    "ScheduledActionARN": self._arn("scheduledAction", t, a.name),
                    "ServiceNamespace": NAMESPACE,
                    "Schedule": a.schedule_text,
                    "Timezone": a.timezone or "UTC",
                    "ResourceId": t.resource_id,
                    "ScalableDimension": DIMENSION,
                    "ScalableTargetAction": {
                        k: v
                        for k, v in (
                            ("MinCapacity", a.min_capacity),
                            ("MaxCapacity", a.max_capacity),
                        )
                        if v is not None
                    },
                    "CreationTime": a.created,
                }
                if a.start is not None:
                    doc["StartTime"] = a.start
                if a.end is not None:
                    doc["EndTime"] = a.end
                out.append(doc)
        return {"ScheduledActions": out}

    # -- scaling policies ----------------------------------------------------------------

    def put_policy(self, body: dict[str, Any]) -> dict[str, Any]:
        target = self._target(body)
        name = body.get("PolicyName")
        if not isinstance(name, str) or not name:
            raise _invalid("PolicyName is required")
        if body.get("PolicyType", "StepScaling") != "TargetTrackingScaling":
            raise _invalid(
                f"Unsupported policy type {body.get('PolicyType', 'StepScaling')!r}: "
                "snaplambda supports TargetTrackingScaling"
            )
        config = body.get("TargetTrackingScalingPolicyConfiguration")
        if not isinstance(config, dict):
            raise _invalid("TargetTrackingScalingPolicyConfiguration is required")
        value = config.get("TargetValue")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise _invalid(f"TargetValue must be a positive number, got {value!r}")
        metric = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
        if metric != METRIC:
            raise _invalid(
                f"Unsupported metric {metric!r}: use PredefinedMetricSpecification "
                f"PredefinedMetricType {METRIC}"
            )
        for k in ("ScaleInCooldown", "ScaleOutCooldown"):
            if k in config:
                _capacity(config[k], k)
        existing = target.policies.get(name)
        created = existing.created if existing else self.clock()
        target.policies[name] = Policy(name, config, created, _tracker(config))
        self._save(target, (target.function, target.qualifier))
        return {"PolicyARN": self._arn("scalingPolicy", target, name), "Alarms": []}

    def delete_policy(self, body: dict[str, Any]) -> dict[str, Any]:
        target = self._target(body)
        name = body.get("PolicyName")
        if name not in target.policies:
            raise _not_found(f"No scaling policy found for name {name!r}")
        del target.policies[name]
        self._save(target, (target.function, target.qualifier))
        return {}

    def describe_policies(self, body: dict[str, Any]) -> dict[str, Any]:
        names = body.get("PolicyNames")
        return {
            "ScalingPolicies": [
                {
                    "PolicyARN": self._arn("scalingPolicy", t, p.name),
                    "PolicyName": p.name,
                    "ServiceNamespace": NAMESPACE,
                    "ResourceId": t.resource_id,
                    "ScalableDimension": DIMENSION,
                    "PolicyType": "TargetTrackingScaling",
                    "TargetTrackingScalingPolicyConfiguration": p.config,
                    "Alarms": [],
                    "CreationTime": p.created,
                }
                for t in self._matching(body)
                for p in sorted(t.policies.values(), key=lambda p: p.name)
                if not names or p.name in names
            ]
        }

    def describe_activities(self, body: dict[str, Any]) -> dict[str, Any]:
        activities = [a for t in self._matching(body) for a in t.activities]
        activities.sort(key=lambda a: a["StartTime"], reverse=True)
        return {"ScalingActivities": activities}

    # -- evaluation ------------------------------------------------------------------

    def _current(self, target: Target) -> int:
        try:
            return self._provisioned.get(target.function, target.qualifier).requested
        except AwsError:
            return 0

    def _scale(self, target: Target, desired: int, cause: str, description: str) -> None:
        """Set the provisioned concurrency and record the activity with its cause."""
        current = self._current(target)
        if desired == current:
            return
        now = self.clock()
        status, message = "Successful", f"Successfully set provisioned concurrency to {desired}"
        try:
            if desired == 0:
                self._provisioned.delete(target.function, target.qualifier)
            else:
                body = {"ProvisionedConcurrentExecutions": desired}
                self._provisioned.put(target.function, target.qualifier, body)
        except AwsError as exc:
            status, message = "Failed", f"{exc.aws_type}: {exc.message}"
        activity = {
            "ActivityId": str(uuid.uuid4()),
            "ServiceNamespace": NAMESPACE,
            "ResourceId": target.resource_id,
            "ScalableDimension": DIMENSION,
            "Description": f"{description} from {current} to {desired}",
            "Cause": cause,
            "StartTime": now,
            "EndTime": self.clock(),
            "StatusCode": status,
            "StatusMessage": message,
        }
        target.activities.append(activity)
        self._log(
            LOG_GROUP,
            target.resource_id.replace(":", "/"),
            int(now * 1000),
            f"{activity['Description']}: {status}. Cause: {cause}. {message}",
        )

    def evaluate(self) -> None:
        """One evaluation of every target: due scheduled actions, then policies."""
        now = self.clock()
        after = self._last_eval if self._last_eval is not None else now - 1e-6
        self._last_eval = now
        for target in list(self._targets.values()):
            try:
                self._evaluate(target, after, now)
            except Exception as exc:  # one target must not stop the rest
                self._log(LOG_GROUP, "controller", int(now * 1000), f"{target.resource_id}: {exc}")

    def _evaluate(self, target: Target, after: float, now: float) -> None:
        if not target.suspended.get("ScheduledScalingSuspended"):
            for action in list(target.actions.values()):
                if action.start is not None and now < action.start:
                    continue
                if action.end is not None and now > action.end:
                    continue
                fired = action.schedule.fires(after, now, action.start or action.created)
                if fired is None:
                    continue
                if action.min_capacity is not None:
                    target.min_capacity = action.min_capacity
                if action.max_capacity is not None:
                    target.max_capacity = action.max_capacity
                target.max_capacity = max(target.max_capacity, target.min_capacity)
                self._save(target, (target.function, target.qualifier))
                when = datetime.fromtimestamp(fired, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                current = self._current(target)
                desired = min(target.max_capacity, max(target.min_capacity, current))
                self._scale(
                    target,
                    desired,
                    f"scheduled action name {action.name} was triggered ({action.schedule_text}"
                    f" at {when}): min capacity {target.min_capacity}, max capacity "
                    f"{target.max_capacity}",
                    "Setting desired concurrency",
                )
        current = self._current(target)
        if current < target.min_capacity or current > target.max_capacity:
            desired = min(target.max_capacity, max(target.min_capacity, current))
            self._scale(
                target,
                desired,
                f"capacity {current} outside of the scalable target's bounds "
                f"[{target.min_capacity}, {target.max_capacity}]",
                "Setting desired concurrency",
            )
            current = desired
        if not target.policies:
            target.last_busy = None
            return
        utilization = self._utilization(target)
        if utilization is None or current == 0:
            return
        for policy in target.policies.values():
            tracker = policy.tracker
            desired = tracker.desired(
                current, utilization, now, (target.min_capacity, target.max_capacity)
            )
            if desired > current and target.suspended.get("DynamicScalingOutSuspended"):
                continue
            no_scale_in = policy.config.get("DisableScaleIn") or target.suspended.get(
                "DynamicScalingInSuspended"
            )
            if desired < current and no_scale_in:
                continue
            if desired != current:
                self._scale(
                    target,
                    desired,
                    f"monitor alarm TargetTracking-{target.resource_id}-"
                    f"{'AlarmHigh' if desired > current else 'AlarmLow'} in state ALARM "
                    f"triggered policy {policy.name}: {METRIC} {utilization:.2f} against "
                    f"target {tracker.target}",
                    "Setting desired concurrency",
                )
                return

    def _utilization(self, target: Target) -> float | None:
        """Busy share of the allocated provisioned environment time since the last
        evaluation (``None`` on the first)."""
        stats = self._fleet.stats(target.function).get(target.qualifier)
        if stats is None:
            target.last_busy = None
            return None
        sample = (stats.busy_seconds, stats.allocated_seconds)
        previous, target.last_busy = target.last_busy, sample
        if previous is None:
            return None
        allocated = sample[1] - previous[1]
        if allocated <= 0:
            return 0.0
        return max(0.0, min(1.0, (sample[0] - previous[0]) / allocated))

    def on_function_deleted(self, function: str, qualifier: str | None = None) -> None:
        """The function (its ``qualifier`` only if given) is gone: so are its targets."""
        for key in [k for k in self._targets if k[0] == function and qualifier in (None, k[1])]:
            del self._targets[key]
            self._save(None, key)

    def on_alias_change(self, function: str, alias: str, exists: bool) -> None:
        if not exists:
            self.on_function_deleted(function, alias)

    def on_version_deleted(self, function: str, version: str) -> None:
        self.on_function_deleted(function, version)


class AutoScalingController:
    """Evaluates the auto-scaling decisions every ``period_s`` seconds."""

    def __init__(self, service: AutoScalingService, period_s: float) -> None:
        self._service = service
        self._period_s = period_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._period_s)
            self._service.evaluate()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
