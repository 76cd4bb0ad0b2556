"""Application Auto Scaling over its JSON protocol (``X-Amz-Target:
AnyScaleFrontendService.*``, as boto3 sends it), for Lambda provisioned concurrency:
scalable targets, scheduled actions, target-tracking policies, scaling activities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..capacity.autoscaling import AutoScalingService
from . import schemas
from .errors import ApiError
from .fields import check_fields


def handle(service: AutoScalingService, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "RegisterScalableTarget": service.register,
        "DeregisterScalableTarget": service.deregister,
        "DescribeScalableTargets": service.describe_targets,
        "PutScheduledAction": service.put_action,
        "DeleteScheduledAction": service.delete_action,
        "DescribeScheduledActions": service.describe_actions,
        "PutScalingPolicy": service.put_policy,
        "DeleteScalingPolicy": service.delete_policy,
        "DescribeScalingPolicies": service.describe_policies,
        "DescribeScalingActivities": service.describe_activities,
    }
    op = operations.get(operation)
    if op is None:
        raise ApiError(
            "UnknownOperationException",
            400,
            f"Application Auto Scaling operation {operation!r} is not implemented by snaplambda",
        )
    check_fields(body, schemas.AUTOSCALING[operation], "ValidationException")
    return op(body)
