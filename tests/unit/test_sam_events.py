"""A function's Schedule and ScheduleV2 events planned as rules and schedules: pure,
no server (deploying them is in tests/functional/test_schedules.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from snaplambda.sam.plan import build_plan
from snaplambda.sam.template import TemplateError, parse_template

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: fn/
      {alias}
      Events:
{events}
"""


def plan_of(tmp_path: Path, events: str, alias: str = "") -> Any:
    (tmp_path / "fn").mkdir(exist_ok=True)
    text = TEMPLATE.format(events=events, alias=alias)
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return build_plan(parse_template(text), path, stack_name="st", account_id="999")


def test_schedule_events_become_rules_and_schedules(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path,
        """
        Tick:
          Type: Schedule
          Properties: {Schedule: rate(5 minutes), Input: '{"a": 1}', Description: d}
        Named:
          Type: Schedule
          Properties: {Schedule: "cron(0 2 * * ? *)", Name: !Sub "${AWS::StackName}-n", Enabled: false}
        V2:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: at(2030-01-01T00:00:00)
            ScheduleExpressionTimezone: Asia/Tokyo
            State: DISABLED
            StartDate: "2029-12-31T00:00:00Z"
            FlexibleTimeWindow: {Mode: FLEXIBLE, MaximumWindowInMinutes: 5}
            RetryPolicy: {MaximumRetryAttempts: 2}
        Get:
          Type: Api
          Properties: {Path: /, Method: get}
""",
        alias="AutoPublishAlias: live",
    )
    [fn] = plan.functions
    tick, named, v2 = fn.schedules
    name = plan.functions[0].name  # the stack's physical name of Fn
    assert name.startswith("st-Fn-")
    target = f"arn:aws:lambda:us-east-1:999:function:{name}:live"  # the alias, as SAM does
    assert (tick.kind, tick.name, tick.expression, tick.input, tick.description) == (
        "Schedule",
        "st-FnTick",
        "rate(5 minutes)",
        '{"a": 1}',
        "d",
    )
    assert (tick.target_arn, tick.target_id, tick.enabled) == (target, "FnTickLambdaTarget", True)
    assert (named.name, named.enabled) == ("st-n", False)
    assert (v2.kind, v2.name, v2.timezone, v2.enabled) == (
        "ScheduleV2",
        "st-FnV2",
        "Asia/Tokyo",
        False,
    )
    assert v2.start_date == 1893369600.0
    assert v2.window == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5}
    assert v2.role_arn.startswith("arn:aws:iam::999:role/")
    assert [(s.logical_id, s.type) for s in plan.skipped] == [("Fn.Events.Get", "event Api")]
    assert [(n.logical_id, n.property) for n in plan.notices] == [("Fn.Events.V2", "RetryPolicy")]


def test_without_an_alias_the_function_is_the_target(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, "        T: {Type: Schedule, Properties: {Schedule: rate(1 day)}}")
    name = plan.functions[0].name
    assert (
        plan.functions[0].schedules[0].target_arn == f"arn:aws:lambda:us-east-1:999:function:{name}"
    )


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (
            "        T: {Type: Schedule, Properties: {Input: '{}'}}",
            "Fn.Events.T: Schedule is required",
        ),
        ("        T: {Type: ScheduleV2, Properties: {}}", "ScheduleExpression is required"),
        (
            "        T: {Type: Schedule, Properties: {Schedule: rate(1 day), Enabled: true, State: ENABLED}}",
            "Enabled or State, not both",
        ),
        (
            "        T: {Type: Schedule, Properties: {Schedule: rate(1 day), State: PAUSED}}",
            "ENABLED or DISABLED",
        ),
        (
            "        T: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 day), EndDate: soon}}",
            "Fn.Events.T.EndDate: expected an ISO 8601",
        ),
    ],
)
def test_bad_schedule_events_name_the_event(tmp_path: Path, events: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan_of(tmp_path, events)
