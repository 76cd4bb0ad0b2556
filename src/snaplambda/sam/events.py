"""A function's ``Schedule`` and ``ScheduleV2`` events: read from the template into
plans (pure), then deployed through the client as an EventBridge rule with the
function as its target, or an EventBridge Scheduler schedule.  Other event types
are reported as skipped.

As SAM does, the target is the function's ``AutoPublishAlias`` when it has one.
Names not given are made from the stack, the function and the event, so a redeploy
updates the same rule or schedule.  There is no stack state: an event removed from
the template leaves its rule or schedule behind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from ..client.api import Client, ClientError
from .template import TemplateError

#: What SAM would also do with these, that snaplambda does not (no IAM, no SQS).
_NOT_APPLIED = {
    "DeadLetterConfig": "dead-letter queues are not created; failed events go to snaplambda's "
    "dead letters",
    "RetryPolicy": "the platform's asynchronous retries apply",
    "PermissionsBoundary": "IAM is not modelled",
    "OmitName": "the schedule is always named",
    "RoleArn": "IAM is not modelled",
    "KmsKeyArn": "nothing is encrypted",
    "EventBusName": "snaplambda has only the default event bus",
}
_SCHEDULE_PROPS = {"Schedule", "Input", "Enabled", "State", "Name", "Description"}
_SCHEDULE_V2_PROPS = {
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "Input",
    "State",
    "Name",
    "Description",
    "StartDate",
    "EndDate",
    "FlexibleTimeWindow",
    "GroupName",
}


@dataclass(frozen=True)
class ScheduleEvent:
    """A rule (``Schedule``) or a Scheduler schedule (``ScheduleV2``) to deploy."""

    where: str
    """``Function.Events.Id``, for messages."""
    kind: Literal["Schedule", "ScheduleV2"]
    name: str
    expression: str
    target_arn: str
    target_id: str
    enabled: bool = True
    input: str | None = None
    description: str | None = None
    timezone: str | None = None
    group: str | None = None
    start_date: float | None = None
    end_date: float | None = None
    window: dict[str, Any] = field(default_factory=lambda: {"Mode": "OFF"})
    role_arn: str = ""

    def describe(self) -> str:
        what = "rule" if self.kind == "Schedule" else "schedule"
        state = "" if self.enabled else ", disabled"
        return f"{what} {self.name}: {self.expression}{state}"


def _name(*parts: str) -> str:
    """A rule or schedule name from ``parts``: what the name patterns allow, at
    most 64 characters."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", "-".join(p for p in parts if p))[:64]


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TemplateError(f"{where}: expected a string, not {value!r}")
    return str(value)


def _date(value: Any, where: str) -> float:
    try:
        parsed = datetime.fromisoformat(_text(value, where).replace("Z", "+00:00"))
    except ValueError as exc:
        raise TemplateError(f"{where}: expected an ISO 8601 date and time, not {value!r}") from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def _enabled(props: Mapping[str, Any], where: str) -> bool:
    if "Enabled" in props and "State" in props:
        raise TemplateError(f"{where}: give Enabled or State, not both")
    if "Enabled" in props:
        if not isinstance(props["Enabled"], bool):
            raise TemplateError(f"{where}.Enabled: expected true or false")
        return bool(props["Enabled"])
    state = _text(props.get("State", "ENABLED"), f"{where}.State")
    if state not in ("ENABLED", "DISABLED"):
        raise TemplateError(f"{where}.State: expected ENABLED or DISABLED, not {state!r}")
    return state == "ENABLED"


def plan_events(
    function_id: str,
    events: Any,
    target_arn: str,
    stack_name: str,
    account_id: str,
    resolve: Callable[[str, Any], Any],
    skip: Callable[[str, str, str], None],
    notice: Callable[[str, str, str], None],
) -> tuple[ScheduleEvent, ...]:
    """The schedules among a function's ``Events`` (``resolve(prop, value)``
    resolves intrinsics); every other event is passed to ``skip``, every property
    read but not applied to ``notice``."""
    if not isinstance(events, dict):
        return ()
    planned: list[ScheduleEvent] = []
    for event_id, event in events.items():
        where = f"{function_id}.Events.{event_id}"
        kind = event.get("Type", "?") if isinstance(event, dict) else "?"
        if kind not in ("Schedule", "ScheduleV2"):
            skip(
                where,
                f"event {kind}",
                "event sources are not deployed; invoke the function directly",
            )
            continue
        props = resolve(f"Events.{event_id}.Properties", event.get("Properties") or {})
        if not isinstance(props, dict):
            raise TemplateError(f"{where}.Properties: expected a mapping")
        known = _SCHEDULE_PROPS if kind == "Schedule" else _SCHEDULE_V2_PROPS
        for prop in sorted(set(props) - known):
            notice(where, prop, _NOT_APPLIED.get(prop, "not supported by snaplambda; ignored"))
        key = "Schedule" if kind == "Schedule" else "ScheduleExpression"
        if key not in props:
            raise TemplateError(f"{where}: {key} is required")
        common: dict[str, Any] = {
            "where": where,
            "name": _text(props["Name"], f"{where}.Name")
            if "Name" in props
            else _name(stack_name, f"{function_id}{event_id}"),
            "expression": _text(props[key], f"{where}.{key}"),
            "target_arn": target_arn,
            "target_id": _name(f"{function_id}{event_id}LambdaTarget"),
            "enabled": _enabled(props, where),
            "input": _text(props["Input"], f"{where}.Input") if "Input" in props else None,
            "description": (
                _text(props["Description"], f"{where}.Description")
                if "Description" in props
                else None
            ),
        }
        if kind == "Schedule":
            planned.append(ScheduleEvent(kind="Schedule", **common))
            continue
        window = props.get("FlexibleTimeWindow", {"Mode": "OFF"})
        if not isinstance(window, dict):
            raise TemplateError(f"{where}.FlexibleTimeWindow: expected a mapping with Mode")
        zone = props.get("ScheduleExpressionTimezone")
        planned.append(
            ScheduleEvent(
                kind="ScheduleV2",
                **common,
                timezone=_text(zone, f"{where}.ScheduleExpressionTimezone") if zone else None,
                group=_text(props["GroupName"], f"{where}.GroupName")
                if "GroupName" in props
                else None,
                start_date=_date(props["StartDate"], f"{where}.StartDate")
                if "StartDate" in props
                else None,
                end_date=_date(props["EndDate"], f"{where}.EndDate")
                if "EndDate" in props
                else None,
                window=dict(window),
                role_arn=f"arn:aws:iam::{account_id}:role/{_name(function_id, event_id, 'Role')}",
            )
        )
    return tuple(planned)


def _schedule_body(event: ScheduleEvent) -> dict[str, Any]:
    target: dict[str, Any] = {"Arn": event.target_arn, "RoleArn": event.role_arn}
    if event.input is not None:
        target["Input"] = event.input
    body: dict[str, Any] = {
        "ScheduleExpression": event.expression,
        "FlexibleTimeWindow": event.window,
        "State": "ENABLED" if event.enabled else "DISABLED",
        "Target": target,
    }
    optional = {
        "ScheduleExpressionTimezone": event.timezone,
        "Description": event.description,
        "GroupName": event.group,
        "StartDate": event.start_date,
        "EndDate": event.end_date,
    }
    return {**body, **{k: v for k, v in optional.items() if v is not None}}


def deploy_events(client: Client, events: tuple[ScheduleEvent, ...]) -> list[str]:
    """Create or update each rule (and its function target) or schedule; one line
    per event.  A refusal is raised as the server's :class:`ClientError`."""
    lines: list[str] = []
    for event in events:
        try:
            if event.kind == "Schedule":
                rule: dict[str, Any] = {
                    "Name": event.name,
                    "ScheduleExpression": event.expression,
                    "State": "ENABLED" if event.enabled else "DISABLED",
                }
                if event.description is not None:
                    rule["Description"] = event.description
                client.events("PutRule", rule)
                target: dict[str, Any] = {"Id": event.target_id, "Arn": event.target_arn}
                if event.input is not None:
                    target["Input"] = event.input
                client.events("PutTargets", {"Rule": event.name, "Targets": [target]})
            else:
                client.put_schedule(event.name, _schedule_body(event))
        except ClientError as exc:
            raise ClientError(exc.status, exc.aws_type, f"{event.where}: {exc.message}") from exc
        lines.append(event.describe())
    return lines
