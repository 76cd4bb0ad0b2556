"""A stack's record as the deploy sees it: its entries, who owns the functions a
plan names, removing one recorded resource, and deleting a whole stack.

A deploy never takes over another stack's function: before anything changes, each
function of the plan is looked up in the server's stack records
(``/2026-snaplambda/stacks``), and one held by another stack stops the deploy with
an error naming that stack.  Removing a resource is the same step whether a
redeploy drops it or the whole stack goes: functions go with their versions and
aliases, layer versions unless retained (``RetentionPolicy: Retain``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from ..client.api import Client, ClientError
from .model import DeployPlan
from .report import Outcome

FUNCTION = "AWS::Lambda::Function"
ALIAS = "AWS::Lambda::Alias"
LAYER_VERSION = "AWS::Lambda::LayerVersion"


def entry(logical_id: str, kind: str, physical_id: str, retain: bool = False) -> dict[str, Any]:
    """One resource of a stack record."""
    doc: dict[str, Any] = {
        "LogicalResourceId": logical_id,
        "ResourceType": kind,
        "PhysicalResourceId": physical_id,
    }
    if retain:
        doc["DeletionPolicy"] = "Retain"
    return doc


def alias_logical_id(function_id: str, alias: str) -> str:
    """The logical id SAM gives the alias ``AutoPublishAlias`` makes."""
    return f"{function_id}Alias{re.sub(r'[^A-Za-z0-9]', '', alias)}"


def layer_version_of(arn: str) -> tuple[str, int]:
    """(layer name, version) of a layer version ARN."""
    *_, name, version = arn.split(":")
    return name, int(version)


def ownership_conflicts(plan: DeployPlan, client: Client) -> list[str]:
    """One message per function of ``plan`` that another stack holds."""
    problems = []
    for fn in plan.functions:
        for owner in client.stacks_holding(fn.name):
            other = owner["StackName"]
            if other != plan.stack_name:
                problems.append(
                    f"Resource {fn.logical_id}: function {fn.name} belongs to stack {other}, "
                    f"and stack {plan.stack_name} does not take it over; give the function "
                    f"another FunctionName, or remove it from stack {other} first "
                    f"(`snaplambda delete --stack-name {other}` deletes that whole stack)"
                )
    return problems


def remove(client: Client, resource: Mapping[str, Any], going: Collection[str]) -> Outcome:
    """Delete one recorded resource; ``going`` names the functions deleted in the
    same step (their aliases go with them).  A failure is the outcome's, not raised."""
    kind, physical = resource["ResourceType"], str(resource["PhysicalResourceId"])
    outcome = Outcome(resource["LogicalResourceId"], kind, physical, "deleted")
    try:
        if kind == FUNCTION:
            if not client.delete_function(physical, missing_ok=True):
                outcome.details.append("was already gone")
        elif kind == ALIAS:
            *_, function, alias = physical.split(":")
            if function in going:
                outcome.details.append("with its function")
            elif not client.delete_alias(function, alias, missing_ok=True):
                outcome.details.append("was already gone")
        elif kind == LAYER_VERSION and resource.get("DeletionPolicy") != "Retain":
            client.delete_layer_version(*layer_version_of(physical))
        else:
            outcome.status = "retained"
            outcome.details.append(
                "RetentionPolicy: Retain" if kind == LAYER_VERSION else "not deleted by snaplambda"
            )
    except ClientError as exc:
        outcome.status = "failed"
        outcome.details.append(f"not deleted: {exc.aws_type}: {exc.message}")
    return outcome


class StackNotFound(Exception):
    """There is no stack of that name."""


def delete_stack(name: str, client: Client) -> tuple[list[Outcome], bool]:
    """Delete stack ``name``'s resources, then its record.  Returns each resource's
    outcome and whether the stack is gone; a resource that could not be deleted
    stays in the record, so deleting again retries it."""
    record = client.get_stack(name)
    if record is None:
        raise StackNotFound(f"Stack {name} does not exist")
    resources: list[dict[str, Any]] = list(record.get("Resources") or [])
    functions = {str(r["PhysicalResourceId"]) for r in resources if r["ResourceType"] == FUNCTION}
    outcomes = [remove(client, r, functions) for r in reversed(resources)]  # layers last
    left = [r for r, o in zip(reversed(resources), outcomes, strict=True) if not o.ok]
    if left:
        remaining = {"Resources": left[::-1], "Outputs": record.get("Outputs") or []}
        client.put_stack(name, remaining)
        return outcomes, False
    client.delete_stack(name)
    return outcomes, True
