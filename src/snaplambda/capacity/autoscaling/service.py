"""Application Auto Scaling for Lambda provisioned concurrency, the API side: scalable targets,
scheduled actions and target-tracking policies, checked as AWS checks them, persisted
in the store (setting ``autoscaling:<qualifier>`` of the function), and a controller
that evaluates them every period and applies the result through
:class:`~.provisioning.ProvisionedService` (PutProvisionedConcurrencyConfig's path).

Every scaling action is recorded with its cause (DescribeScalingActivities) and
written to the log group ``/aws/application-autoscaling``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from ...control.aliases import AliasService
from ...control.errors import ResourceNotFound
from ...control.models import LATEST
from ...control.store import Store
from ...control.versions import is_version_number
from ...execution.fleet import ProvisionedFleet
from ..provisioned import ProvisionedService, stored_settings
from .controller import Evaluator
from .errors import invalid as _invalid
from .errors import not_found as _not_found
from .model import DIMENSION, METRIC, NAMESPACE, Action, Policy, Target
from .schedule import Schedule
from .tracking import TargetTracking

_KIND = "autoscaling:"


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
        self._evaluator = Evaluator(
            self._targets,
            provisioned,
            fleet,
            log,
            lambda target: self._save(target, (target.function, target.qualifier)),
            lambda: self.clock(),
        )
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

    def evaluate(self) -> None:
        """One evaluation of every target: due scheduled actions, then policies."""
        self._evaluator.evaluate()

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
