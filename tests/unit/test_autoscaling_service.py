"""The auto-scaling controller's evaluation with a fake clock and fakes around it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from snaplambda.capacity.autoscaling import AutoScalingService
from snaplambda.capacity.autoscaling.model import DIMENSION
from snaplambda.errors import AwsError
from snaplambda.execution.fleet import SlotStats


class Fakes:
    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.settings: dict[tuple[str, str], dict[str, Any]] = {}
        self.requested: int | None = None
        self.busy = self.allocated = 0.0
        self.logged: list[str] = []
        functions = SimpleNamespace(list=lambda: [SimpleNamespace(name="fn")])
        versions = SimpleNamespace(functions=functions, list=lambda name: [])
        self.aliases = SimpleNamespace(
            versions=versions,
            list=lambda name: [SimpleNamespace(name="live")],
            resolve=lambda name, q: None,
            get=lambda name, q: None,
        )
        self.store = SimpleNamespace(
            get_setting=lambda n, k: self.settings.get((n, k)),
            put_setting=self._put_setting,
        )
        self.provisioned = SimpleNamespace(get=self._get, put=self._put, delete=self._delete)
        self.fleet = SimpleNamespace(stats=self._stats)

    def _put_setting(self, n: str, k: str, doc: dict[str, Any] | None) -> None:
        if doc is None:
            self.settings.pop((n, k), None)
        else:
            self.settings[(n, k)] = doc

    def _get(self, name: str, q: str) -> Any:
        if self.requested is None:
            raise AwsError("none", "ProvisionedConcurrencyConfigNotFoundException", 404)
        return SimpleNamespace(requested=self.requested)

    def _put(self, name: str, q: str, body: dict[str, Any]) -> None:
        self.requested = body["ProvisionedConcurrentExecutions"]

    def _delete(self, name: str, q: str) -> None:
        self.requested = None

    def _stats(self, name: str) -> dict[str, SlotStats]:
        if self.requested is None:
            return {}
        return {"live": SlotStats(0, 0, self.busy, self.allocated, 0.0)}

    def tick(self, service: AutoScalingService, busy_share: float) -> None:
        """10 s pass with ``busy_share`` of the provisioned environments busy."""
        self.now += 10
        self.allocated += 10 * (self.requested or 0)
        self.busy += 10 * (self.requested or 0) * busy_share
        service.evaluate()

    def service(self) -> AutoScalingService:
        return AutoScalingService(
            self.store,  # type: ignore[arg-type]
            self.aliases,  # type: ignore[arg-type]
            self.provisioned,  # type: ignore[arg-type]
            self.fleet,  # type: ignore[arg-type]
            lambda g, s, t, m: self.logged.append(m),
            "us-east-1",
            "123456789012",
            clock=lambda: self.now,
        )


TARGET = {
    "ServiceNamespace": "lambda",
    "ResourceId": "function:fn:live",
    "ScalableDimension": DIMENSION,
}


def utilization_policy(scale_out_s: int, scale_in_s: int) -> dict[str, Any]:
    """A target-tracking policy on provisioned-concurrency utilization, 0.5."""
    return {
        **TARGET,
        "PolicyName": "p",
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 0.5,
            "ScaleOutCooldown": scale_out_s,
            "ScaleInCooldown": scale_in_s,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"
            },
        },
    }


def test_rate_action_fires_each_interval_and_is_restored() -> None:
    f = Fakes()
    svc = f.service()
    svc.register({**TARGET, "MinCapacity": 0, "MaxCapacity": 10})
    svc.put_action(
        {
            **TARGET,
            "ScheduledActionName": "r",
            "Schedule": "rate(2 minutes)",
            "ScalableTargetAction": {"MinCapacity": 3, "MaxCapacity": 5},
        }
    )
    for _ in range(11):  # 110 s: not yet
        svc.evaluate()
        f.now += 10
    assert f.requested is None
    f.now += 10
    svc.evaluate()
    assert f.requested == 3
    (activity,) = svc.describe_activities({"ServiceNamespace": "lambda"})["ScalingActivities"]
    assert "scheduled action name r was triggered (rate(2 minutes)" in activity["Cause"]
    assert f.logged and "from 0 to 3" in f.logged[0]
    # A new service (a restart) reads it all back from the store.
    again = f.service()
    (t,) = again.describe_targets({"ServiceNamespace": "lambda"})["ScalableTargets"]
    assert (t["MinCapacity"], t["MaxCapacity"]) == (3, 5)
    assert (
        again.describe_actions({"ServiceNamespace": "lambda"})["ScheduledActions"][0]["Schedule"]
        == "rate(2 minutes)"
    )


def test_target_tracking_follows_the_utilization_within_bounds() -> None:
    f = Fakes()
    svc = f.service()
    svc.register({**TARGET, "MinCapacity": 2, "MaxCapacity": 6})
    svc.evaluate()
    assert f.requested == 2  # clamped into the bounds
    svc.put_policy(utilization_policy(30, 60))

    def tick(busy_share: float) -> None:
        f.tick(svc, busy_share)

    tick(1.0)  # first sample only primes the measurement
    tick(1.0)
    assert f.requested == 4
    tick(1.0)
    assert f.requested == 4  # cooling down
    for _ in range(3):
        tick(1.0)
    assert f.requested == 6  # the maximum
    for _ in range(10):
        tick(0.0)
    assert f.requested == 2  # back to the minimum
    causes = [
        a["Cause"]
        for a in svc.describe_activities({"ServiceNamespace": "lambda"})["ScalingActivities"]
    ]
    assert "AlarmLow" in causes[0]  # newest first
    assert "outside of the scalable target's bounds [2, 6]" in causes[-1]
    assert sum("AlarmHigh" in c for c in causes) == 2


def test_new_bounds_clamp_the_capacity_at_once_despite_cooldowns() -> None:
    f = Fakes()
    svc = f.service()
    svc.register({**TARGET, "MinCapacity": 1, "MaxCapacity": 10})
    svc.put_policy(utilization_policy(1000, 1000))

    def tick(busy_share: float) -> None:
        f.tick(svc, busy_share)

    tick(1.0)
    assert f.requested == 1
    tick(1.0)
    assert f.requested == 2  # scaled out: both cooldowns run from here
    svc.register({**TARGET, "MinCapacity": 4})
    tick(1.0)
    assert f.requested == 4
    svc.register({**TARGET, "MaxCapacity": 3, "MinCapacity": 1})
    tick(0.5)
    assert f.requested == 3
    causes = [
        a["Cause"]
        for a in svc.describe_activities({"ServiceNamespace": "lambda"})["ScalingActivities"]
    ]
    assert "outside of the scalable target's bounds [1, 3]" in causes[0]
    assert "outside of the scalable target's bounds [4, 10]" in causes[1]
