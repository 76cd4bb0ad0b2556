"""Application Auto Scaling of provisioned concurrency through boto3 against a real
server: scalable targets, a scheduled action that fires, target tracking scaling out
under load and back in, refusals in the JSON protocol's shape, and a restart.

The server evaluates every 0.3 s (``SNAPLAMBDA_AUTOSCALING_PERIOD``); every wait polls
with an upper bound, so a broken controller fails instead of hanging.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support import Server, create, invoke, zip_function

WAIT = 60.0
DIM = "lambda:function:ProvisionedConcurrency"
ENV = {"SNAPLAMBDA_AUTOSCALING_PERIOD": "0.3"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("autoscaling") / "state", env=ENV).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lam(srv: Server) -> Any:
    return srv.client()


@pytest.fixture(scope="module")
def aas(srv: Server) -> Any:
    return srv.client("application-autoscaling")


def published(lam: Any, name: str) -> str:
    """A function with version 1 and alias ``live``; its scalable resource ID."""
    create(lam, name, zip_function("provisioned"), Timeout=60)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    return f"function:{name}:live"


def target(resource: str) -> dict[str, str]:
    return {"ServiceNamespace": "lambda", "ResourceId": resource, "ScalableDimension": DIM}


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def requested(lam: Any, name: str) -> int:
    try:
        got = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    except lam.exceptions.ProvisionedConcurrencyConfigNotFoundException:
        return 0
    return int(got["RequestedProvisionedConcurrentExecutions"])


def activities(aas: Any, resource: str) -> list[dict[str, Any]]:
    got = aas.describe_scaling_activities(ServiceNamespace="lambda", ResourceId=resource)
    return got["ScalingActivities"]  # type: ignore[no-any-return]


# -- refusals ----------------------------------------------------------------------


def test_refusals(lam: Any, aas: Any) -> None:
    resource = published(lam, "as-refuse")
    with pytest.raises(aas.exceptions.ValidationException) as exc:
        aas.register_scalable_target(
            **target("function:as-nope:live"), MinCapacity=1, MaxCapacity=2
        )
    assert "does not exist" in str(exc.value)
    with pytest.raises(aas.exceptions.ValidationException):
        aas.register_scalable_target(**target("function:as-refuse"), MinCapacity=1, MaxCapacity=2)
    with pytest.raises(aas.exceptions.ValidationException):
        aas.register_scalable_target(
            **target("function:as-refuse:$LATEST"), MinCapacity=0, MaxCapacity=1
        )
    with pytest.raises(aas.exceptions.ValidationException) as exc:
        aas.register_scalable_target(**target(resource), MinCapacity=3, MaxCapacity=2)
    assert "cannot exceed" in str(exc.value)
    with pytest.raises(aas.exceptions.ValidationException):
        aas.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId="service/c/s",
            ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1,
            MaxCapacity=2,
        )
    with pytest.raises(aas.exceptions.ObjectNotFoundException):
        aas.put_scheduled_action(
            **target(resource), ScheduledActionName="a", Schedule="rate(1 minute)"
        )
    with pytest.raises(aas.exceptions.ObjectNotFoundException):
        aas.deregister_scalable_target(**target(resource))
    aas.register_scalable_target(**target(resource), MinCapacity=0, MaxCapacity=2)
    for schedule in ("cron(0 9 * *)", "rate(0 minutes)", "at(tomorrow)", "every day"):
        with pytest.raises(aas.exceptions.ValidationException):
            aas.put_scheduled_action(
                **target(resource),
                ScheduledActionName="bad",
                Schedule=schedule,
                ScalableTargetAction={"MinCapacity": 1},
            )
    with pytest.raises(aas.exceptions.ValidationException):
        aas.put_scheduled_action(
            **target(resource),
            ScheduledActionName="bad",
            Schedule="cron(0 9 ? * MON-FRI *)",
            Timezone="Mars/Olympus",
        )
    with pytest.raises(aas.exceptions.ValidationException):
        aas.put_scaling_policy(
            **target(resource),
            PolicyName="p",
            PolicyType="StepScaling",
            StepScalingPolicyConfiguration={"AdjustmentType": "ChangeInCapacity"},
        )
    with pytest.raises(aas.exceptions.ValidationException):
        aas.put_scaling_policy(
            **target(resource),
            PolicyName="p",
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 0.7,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
                },
            },
        )
    with pytest.raises(aas.exceptions.ObjectNotFoundException):
        aas.delete_scaling_policy(**target(resource), PolicyName="nope")
    with pytest.raises(aas.exceptions.ObjectNotFoundException):
        aas.delete_scheduled_action(**target(resource), ScheduledActionName="nope")
    # A valid cron in a time zone is accepted and listed.
    aas.put_scheduled_action(
        **target(resource),
        ScheduledActionName="weekdays",
        Schedule="cron(0 9 ? * MON-FRI *)",
        Timezone="Europe/Paris",
        ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 2},
    )
    listed = aas.describe_scheduled_actions(ServiceNamespace="lambda", ResourceId=resource)
    (action,) = listed["ScheduledActions"]
    assert action["Timezone"] == "Europe/Paris"
    assert action["ScalableTargetAction"] == {"MinCapacity": 1, "MaxCapacity": 2}
    aas.deregister_scalable_target(**target(resource))
    assert (
        aas.describe_scalable_targets(ServiceNamespace="lambda", ResourceIds=[resource])[
            "ScalableTargets"
        ]
        == []
    )


# -- scheduled actions ----------------------------------------------------------------


def test_scheduled_action_fires(srv: Server, lam: Any, aas: Any) -> None:
    resource = published(lam, "as-sched")
    arn = aas.register_scalable_target(**target(resource), MinCapacity=0, MaxCapacity=4)[
        "ScalableTargetARN"
    ]
    assert arn.startswith("arn:aws:autoscaling:")
    (described,) = aas.describe_scalable_targets(ServiceNamespace="lambda", ResourceIds=[resource])[
        "ScalableTargets"
    ]
    assert described["ResourceId"] == resource
    assert (described["MinCapacity"], described["MaxCapacity"]) == (0, 4)
    zone = "America/New_York"

    def at(delay: timedelta) -> str:
        return f"at({(datetime.now(ZoneInfo(zone)) + delay).strftime('%Y-%m-%dT%H:%M:%S')})"

    action = {
        **target(resource),
        "ScheduledActionName": "morning",
        "Timezone": zone,
        "ScalableTargetAction": {"MinCapacity": 2, "MaxCapacity": 3},
    }
    # An hour away, however slow this machine is: not applied yet.
    aas.put_scheduled_action(**action, Schedule=at(timedelta(hours=1)))
    assert requested(lam, "as-sched") == 0
    # Moved to a few seconds from now: applied once its time comes.
    aas.put_scheduled_action(**action, Schedule=at(timedelta(seconds=5)))
    wait_for(lambda: requested(lam, "as-sched") == 2, "the scheduled action to apply")
    (got,) = aas.describe_scalable_targets(ServiceNamespace="lambda", ResourceIds=[resource])[
        "ScalableTargets"
    ]
    assert (got["MinCapacity"], got["MaxCapacity"]) == (2, 3)
    (activity,) = activities(aas, resource)
    assert activity["StatusCode"] == "Successful"
    assert "scheduled action name morning was triggered" in activity["Cause"]
    assert "from 0 to 2" in activity["Description"]
    # ... and in the platform's log.
    logs = srv.client("logs")
    events = logs.filter_log_events(logGroupName="/aws/application-autoscaling")["events"]
    assert any("scheduled action name morning" in e["message"] for e in events), events


# -- target tracking -----------------------------------------------------------------------


def test_target_tracking_scales_out_under_load_and_back_in(lam: Any, aas: Any) -> None:
    resource = published(lam, "as-track")
    aas.register_scalable_target(**target(resource), MinCapacity=1, MaxCapacity=3)
    # The controller brings the capacity into the target's bounds.
    wait_for(lambda: requested(lam, "as-track") == 1, "the minimum capacity")
    aas.put_scaling_policy(
        **target(resource),
        PolicyName="utilization",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 0.5,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"
            },
            "ScaleOutCooldown": 0,
            "ScaleInCooldown": 1,
        },
    )
    (policy,) = aas.describe_scaling_policies(ServiceNamespace="lambda", ResourceId=resource)[
        "ScalingPolicies"
    ]
    assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 0.5

    stop = threading.Event()
    seen: list[int] = []

    def load() -> None:
        while not stop.is_set():
            invoke(lam, "as-track", {"release": "/nonexistent", "maxWait": 0.5}, Qualifier="live")

    with ThreadPoolExecutor(6) as pool:
        workers = [pool.submit(load) for _ in range(6)]
        try:

            def at_max() -> bool:
                seen.append(requested(lam, "as-track"))
                return seen[-1] == 3

            wait_for(at_max, "scaling out to the maximum")
        finally:
            stop.set()
        for w in workers:
            w.result()
    wait_for(lambda: requested(lam, "as-track") == 1, "scaling back in to the minimum")
    assert max(seen) <= 3
    causes = [a["Cause"] for a in reversed(activities(aas, resource))]
    assert any("AlarmHigh" in c and "policy utilization" in c for c in causes), causes
    assert "AlarmLow" in causes[-1], causes
    assert all(a["StatusCode"] == "Successful" for a in activities(aas, resource))
    aas.delete_scaling_policy(**target(resource), PolicyName="utilization")
    assert (
        aas.describe_scaling_policies(ServiceNamespace="lambda", ResourceId=resource)[
            "ScalingPolicies"
        ]
        == []
    )


# -- persistence ------------------------------------------------------------------------


def test_configuration_survives_a_restart(tmp_path: Path) -> None:
    server = Server(tmp_path / "state", env=ENV).start()
    try:
        lam, aas = server.client(), server.client("application-autoscaling")
        resource = published(lam, "as-restart")
        aas.register_scalable_target(**target(resource), MinCapacity=0, MaxCapacity=5)
        aas.put_scheduled_action(
            **target(resource),
            ScheduledActionName="nightly",
            Schedule="cron(0 22 * * ? *)",
            ScalableTargetAction={"MinCapacity": 0, "MaxCapacity": 1},
        )
    finally:
        server.stop()
    server = Server(tmp_path / "state", env=ENV).start()
    try:
        aas = server.client("application-autoscaling")
        (got,) = aas.describe_scalable_targets(ServiceNamespace="lambda")["ScalableTargets"]
        assert (got["ResourceId"], got["MaxCapacity"]) == (resource, 5)
        (action,) = aas.describe_scheduled_actions(ServiceNamespace="lambda")["ScheduledActions"]
        assert action["Schedule"] == "cron(0 22 * * ? *)"
    finally:
        server.stop()
