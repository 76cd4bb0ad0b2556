"""Stack-level steps around a deploy: who owns the functions a plan names, and
deleting a whole stack.

A deploy never takes over another stack's function: before anything changes, each
function of the plan is looked up in the server's stack records
(``/2026-snaplambda/stacks``), and one held by another stack stops the deploy with
an error naming that stack.  Deleting a stack deletes its functions (with their
versions and aliases) and its layer versions, except those retained
(``RetentionPolicy: Retain``), then its record.
"""

from __future__ import annotations

from typing import Any

from ..client.api import Client, ClientError
from .deploy import ALIAS, FUNCTION, LAYER_VERSION, layer_version_of
from .model import DeployPlan
from .report import Outcome


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
    functions = {r["PhysicalResourceId"] for r in resources if r["ResourceType"] == FUNCTION}
    outcomes: list[Outcome] = []
    left: list[dict[str, Any]] = []
    for entry in reversed(resources):  # functions before the layers they use
        kind, physical = entry["ResourceType"], str(entry["PhysicalResourceId"])
        outcome = Outcome(entry["LogicalResourceId"], kind, physical, "deleted")
        try:
            if kind == FUNCTION:
                if not client.delete_function(physical):
                    outcome.details.append("was already gone")
            elif kind == ALIAS:
                *_, function, alias = physical.split(":")
                if function in functions:
                    outcome.details.append("with its function")
                elif not client.delete_alias(function, alias):
                    outcome.details.append("was already gone")
            elif kind == LAYER_VERSION:
                if entry.get("DeletionPolicy") == "Retain":
                    outcome.status = "retained"
                    outcome.details.append("RetentionPolicy: Retain")
                else:
                    client.delete_layer_version(*layer_version_of(physical))
            else:
                outcome.status = "retained"
                outcome.details.append("not a resource snaplambda deletes")
        except ClientError as exc:
            outcome.status = "failed"
            outcome.details.append(f"{exc.aws_type}: {exc.message}")
            left.append(entry)
        outcomes.append(outcome)
    if left:
        remaining = {"Resources": list(reversed(left)), "Outputs": record.get("Outputs") or []}
        client.put_stack(name, remaining)
        return outcomes, False
    client.delete_stack(name)
    return outcomes, True
