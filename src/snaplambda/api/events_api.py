"""EventBridge over its JSON protocol (``X-Amz-Target: AWSEvents.*``, as boto3
sends it): the scheduled rules of the default event bus and their targets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..eventbridge import RuleService
from .errors import ApiError


def handle(service: RuleService, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "PutRule": service.put_rule,
        "DescribeRule": service.describe_rule,
        "ListRules": service.list_rules,
        "EnableRule": service.enable_rule,
        "DisableRule": service.disable_rule,
        "DeleteRule": service.delete_rule,
        "PutTargets": service.put_targets,
        "RemoveTargets": service.remove_targets,
        "ListTargetsByRule": service.list_targets_by_rule,
    }
    op = operations.get(operation)
    if op is None:
        raise ApiError(
            "UnknownOperationException",
            400,
            f"EventBridge operation {operation!r} is not implemented by snaplambda (it runs "
            f"scheduled rules: {', '.join(operations)})",
        )
    return op(body)
