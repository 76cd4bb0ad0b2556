"""Scheduled invocations through boto3's ``events`` and ``scheduler`` clients against
a real server: a rate(1 minute) rule firing EventBridge's scheduled event or its
target's Input, disabled rules staying quiet, AWS's refusals, rules surviving a
restart, a deleted function's fires reaching the dead letters, and Scheduler's
schedules with context attributes and a one-time at().

``SNAPLAMBDA_SCHEDULE_MINUTE=1`` (beyond AWS) makes a rate() minute last one second;
every wait polls with an upper bound, so a broken timer fails instead of hanging.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.functional.test_cli import cli
from tests.support import Server, create, zip_files

WAIT = 60.0
SAM = Path(__file__).parent.parent / "sam"
ENV = {"SNAPLAMBDA_SCHEDULE_MINUTE": "1"}
ACCOUNT = "123456789012"
RECORDER = zip_files(
    {
        "app.py": (
            "import json, os\n"
            "def handler(event, context):\n"
            "    with open(os.environ['OUT'], 'a') as f:\n"
            "        f.write(json.dumps(event) + '\\n')\n"
            "    return {'ok': True}\n"
        )
    }
)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("schedules") / "state", env=ENV).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lam(srv: Server) -> Any:
    return srv.client()


@pytest.fixture(scope="module")
def events(srv: Server) -> Any:
    return srv.client("events")


@pytest.fixture(scope="module")
def scheduler(srv: Server) -> Any:
    return srv.client("scheduler")


def recorder(lam: Any, name: str, out: Path) -> str:
    """A function that appends each event it gets to ``out``; its ARN."""
    cfg = create(lam, name, RECORDER, Environment={"Variables": {"OUT": str(out)}})
    return str(cfg["FunctionArn"])


def received(out: Path) -> list[Any]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def error(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call()
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_a_rate_rule_fires_eventbridges_scheduled_event(
    lam: Any, events: Any, tmp_path: Path
) -> None:
    out = tmp_path / "events.jsonl"
    arn = recorder(lam, "sched-plain", out)
    rule_arn = events.put_rule(Name="every-minute", ScheduleExpression="rate(1 minute)")["RuleArn"]
    assert rule_arn == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/every-minute"
    put = events.put_targets(Rule="every-minute", Targets=[{"Id": "fn", "Arn": arn}])
    assert put["FailedEntryCount"] == 0
    wait_for(lambda: len(received(out)) >= 2, "two scheduled events")
    first, second = received(out)[:2]
    for event in (first, second):
        assert set(event) == {
            "version",
            "id",
            "detail-type",
            "source",
            "account",
            "time",
            "region",
            "resources",
            "detail",
        }
        assert event["version"] == "0"
        assert event["detail-type"] == "Scheduled Event"
        assert event["source"] == "aws.events"
        assert event["account"] == ACCOUNT
        assert event["region"] == "us-east-1"
        assert event["resources"] == [rule_arn]
        assert event["detail"] == {}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
        uuid.UUID(event["id"])
    assert first["id"] != second["id"]
    assert first["time"] <= second["time"]
    events.remove_targets(Rule="every-minute", Ids=["fn"])
    events.delete_rule(Name="every-minute")


def test_a_targets_input_is_sent_as_it_is(lam: Any, events: Any, tmp_path: Path) -> None:
    out = tmp_path / "input.jsonl"
    arn = recorder(lam, "sched-input", out)
    events.put_rule(Name="with-input", ScheduleExpression="rate(1 minute)")
    events.put_targets(
        Rule="with-input", Targets=[{"Id": "fn", "Arn": arn, "Input": '{"job": "nightly"}'}]
    )
    wait_for(lambda: len(received(out)) >= 1, "the target's input")
    assert received(out)[0] == {"job": "nightly"}
    events.remove_targets(Rule="with-input", Ids=["fn"])
    events.delete_rule(Name="with-input")


def test_a_disabled_rule_does_not_fire_until_enabled(lam: Any, events: Any, tmp_path: Path) -> None:
    quiet_out, busy_out = tmp_path / "quiet.jsonl", tmp_path / "busy.jsonl"
    quiet, busy = recorder(lam, "sched-quiet", quiet_out), recorder(lam, "sched-busy", busy_out)
    events.put_rule(Name="quiet", ScheduleExpression="rate(1 minute)", State="DISABLED")
    events.put_targets(Rule="quiet", Targets=[{"Id": "fn", "Arn": quiet}])
    events.put_rule(Name="busy", ScheduleExpression="rate(1 minute)")
    events.put_targets(Rule="busy", Targets=[{"Id": "fn", "Arn": busy}])
    wait_for(lambda: len(received(busy_out)) >= 3, "three fires of the enabled rule")
    assert received(quiet_out) == []
    assert events.describe_rule(Name="quiet")["State"] == "DISABLED"
    events.enable_rule(Name="quiet")
    wait_for(lambda: len(received(quiet_out)) >= 1, "the enabled rule's fire")
    events.disable_rule(Name="busy")
    assert events.describe_rule(Name="busy")["State"] == "DISABLED"
    for rule in ("quiet", "busy"):
        events.remove_targets(Rule=rule, Ids=["fn"])
        events.delete_rule(Name=rule)


def test_describe_and_list_rules_and_targets(events: Any) -> None:
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:anything"
    events.put_rule(
        Name="list-a", ScheduleExpression="cron(0 10 * * ? *)", Description="ten o'clock"
    )
    events.put_rule(Name="list-b", ScheduleExpression="rate(5 minutes)", State="DISABLED")
    events.put_targets(
        Rule="list-a",
        Targets=[{"Id": "one", "Arn": arn}, {"Id": "two", "Arn": arn + ":live", "Input": "[1]"}],
    )
    rule = events.describe_rule(Name="list-a")
    assert rule["Name"] == "list-a"
    assert rule["Arn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/list-a"
    assert rule["ScheduleExpression"] == "cron(0 10 * * ? *)"
    assert rule["State"] == "ENABLED"
    assert rule["Description"] == "ten o'clock"
    assert rule["EventBusName"] == "default"
    listed = events.list_rules(NamePrefix="list-")["Rules"]
    assert [(r["Name"], r["State"]) for r in listed] == [
        ("list-a", "ENABLED"),
        ("list-b", "DISABLED"),
    ]
    page = events.list_rules(NamePrefix="list-", Limit=1)
    assert [r["Name"] for r in page["Rules"]] == ["list-a"]
    rest = events.list_rules(NamePrefix="list-", Limit=1, NextToken=page["NextToken"])
    assert [r["Name"] for r in rest["Rules"]] == ["list-b"] and "NextToken" not in rest
    targets = events.list_targets_by_rule(Rule="list-a")["Targets"]
    assert targets == [
        {"Id": "one", "Arn": arn},
        {"Id": "two", "Arn": arn + ":live", "Input": "[1]"},
    ]
    # PutRule again changes the rule and keeps its targets
    events.put_rule(Name="list-a", ScheduleExpression="cron(30 9 ? * MON-FRI *)")
    assert events.describe_rule(Name="list-a")["ScheduleExpression"] == "cron(30 9 ? * MON-FRI *)"
    assert len(events.list_targets_by_rule(Rule="list-a")["Targets"]) == 2
    code, message = error(lambda: events.delete_rule(Name="list-a"))
    assert (code, message) == ("ValidationException", "Rule can't be deleted since it has targets.")
    events.remove_targets(Rule="list-a", Ids=["one", "two"])
    events.delete_rule(Name="list-a")
    events.delete_rule(Name="list-b")
    events.delete_rule(Name="list-b")  # deleting what is gone succeeds, as on AWS
    assert events.list_rules(NamePrefix="list-")["Rules"] == []


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("rate(1 minutes)", "singular"),
        ("rate(5 minute)", "plural"),
        ("cron(0 10 * * * *)", "exactly one of Day-of-month and Day-of-week must be ?"),
        ("cron(0 10 * *)", "6 fields"),
        ("at(2030-01-01T00:00:00)", "rate() or cron()"),
        ("every day", "at(...), rate(...) or cron(...)"),
    ],
)
def test_invalid_schedule_expressions_are_refused(
    events: Any, expression: str, reason: str
) -> None:
    code, message = error(lambda: events.put_rule(Name="bad", ScheduleExpression=expression))
    assert code == "ValidationException"
    assert message.startswith("Parameter ScheduleExpression is not valid")
    assert reason in message


def test_what_eventbridge_refuses(events: Any, srv: Server) -> None:
    raw = srv.client("events", validate=False)
    code, message = error(lambda: events.describe_rule(Name="nope"))
    assert (code, message) == (
        "ResourceNotFoundException",
        "Rule nope does not exist on EventBus default.",
    )
    code, _ = error(lambda: events.put_targets(Rule="nope", Targets=[{"Id": "a", "Arn": "x"}]))
    assert code == "ResourceNotFoundException"
    code, message = error(lambda: raw.put_rule(Name="bad name!", ScheduleExpression="rate(1 day)"))
    assert code == "ValidationException" and "'bad name!' at 'name'" in message
    code, message = error(lambda: events.put_rule(Name="no-schedule"))
    assert code == "ValidationException" and "ScheduleExpression must be specified" in message
    code, message = error(
        lambda: events.put_rule(Name="pattern", EventPattern='{"source": ["aws.ec2"]}')
    )
    assert code == "ValidationException" and "EventPattern" in message
    events.put_rule(Name="refusals", ScheduleExpression="rate(1 day)")
    queue = "arn:aws:sqs:us-east-1:123456789012:q"
    code, message = error(
        lambda: events.put_targets(Rule="refusals", Targets=[{"Id": "q", "Arn": queue}])
    )
    assert code == "ValidationException" and queue in message and "Lambda function" in message
    fn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"
    code, message = error(
        lambda: events.put_targets(
            Rule="refusals", Targets=[{"Id": "a", "Arn": fn, "Input": "{not json"}]
        )
    )
    assert code == "ValidationException" and "not valid JSON" in message
    code, message = error(
        lambda: events.put_targets(
            Rule="refusals", Targets=[{"Id": "a", "Arn": fn, "InputPath": "$.detail"}]
        )
    )
    assert code == "ValidationException" and "InputPath" in message
    code, _ = error(
        lambda: events.put_targets(
            Rule="refusals", Targets=[{"Id": f"t{i}", "Arn": fn} for i in range(6)]
        )
    )
    assert code == "LimitExceededException"
    code, _ = error(lambda: events.describe_rule(Name="refusals", EventBusName="other"))
    assert code == "ResourceNotFoundException"
    events.delete_rule(Name="refusals")


def test_a_deleted_functions_fires_reach_the_dead_letters(
    lam: Any, events: Any, srv: Server, tmp_path: Path
) -> None:
    arn = recorder(lam, "sched-gone", tmp_path / "gone.jsonl")
    lam.delete_function(FunctionName="sched-gone")
    events.put_rule(Name="orphan", ScheduleExpression="rate(1 minute)")
    events.put_targets(Rule="orphan", Targets=[{"Id": "fn", "Arn": arn}])
    assert [t["Arn"] for t in events.list_targets_by_rule(Rule="orphan")["Targets"]] == [arn]

    def dead() -> list[dict[str, Any]]:
        params = {"FunctionName": "sched-gone"}
        response = httpx.get(srv.endpoint + "/_snaplambda/dlq", params=params, timeout=5)
        return response.json()["DeadLetters"]  # type: ignore[no-any-return]

    wait_for(lambda: len(dead()) >= 1, "a dead letter for the deleted function")
    letter = dead()[0]
    assert letter["Condition"] == "ResourceNotFound", letter
    events.remove_targets(Rule="orphan", Ids=["fn"])
    events.delete_rule(Name="orphan")


def test_rules_survive_a_restart_and_fire_after_it(tmp_path: Path) -> None:
    state = tmp_path / "state"
    out = tmp_path / "restart.jsonl"
    first = Server(state, env=ENV).start()
    try:
        arn = recorder(first.client(), "sched-restart", out)
        ev = first.client("events")
        ev.put_rule(Name="durable", ScheduleExpression="rate(1 minute)", Description="kept")
        ev.put_targets(Rule="durable", Targets=[{"Id": "fn", "Arn": arn, "Input": '{"n": 1}'}])
        ev.put_rule(Name="durable-off", ScheduleExpression="cron(0 3 ? * 1 *)", State="DISABLED")
    finally:
        first.stop()
    before = len(received(out))
    second = Server(state, env=ENV).start()
    try:
        ev = second.client("events")
        rule = ev.describe_rule(Name="durable")
        assert (rule["ScheduleExpression"], rule["Description"]) == ("rate(1 minute)", "kept")
        assert ev.describe_rule(Name="durable-off")["State"] == "DISABLED"
        assert ev.list_targets_by_rule(Rule="durable")["Targets"] == [
            {"Id": "fn", "Arn": arn, "Input": '{"n": 1}'}
        ]
        wait_for(lambda: len(received(out)) > before, "a fire after the restart")
        assert received(out)[-1] == {"n": 1}
    finally:
        second.stop()


def test_scheduler_schedules_fire_with_context_attributes(
    lam: Any, scheduler: Any, tmp_path: Path
) -> None:
    out = tmp_path / "scheduler.jsonl"
    arn = recorder(lam, "sched-v2", out)
    role = f"arn:aws:iam::{ACCOUNT}:role/scheduler"
    created = scheduler.create_schedule(
        Name="v2-rate",
        ScheduleExpression="rate(1 minute)",
        ScheduleExpressionTimezone="Europe/Paris",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": arn,
            "RoleArn": role,
            "Input": json.dumps(
                {"at": "<aws.scheduler.scheduled-time>", "by": "<aws.scheduler.schedule-arn>"}
            ),
        },
    )
    schedule_arn = f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/default/v2-rate"
    assert created["ScheduleArn"] == schedule_arn
    wait_for(lambda: len(received(out)) >= 1, "the schedule's fire")
    event = received(out)[0]
    assert event["by"] == schedule_arn
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["at"])
    got = scheduler.get_schedule(Name="v2-rate")
    assert got["Arn"] == schedule_arn
    assert (got["GroupName"], got["State"], got["ScheduleExpressionTimezone"]) == (
        "default",
        "ENABLED",
        "Europe/Paris",
    )
    assert got["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert got["Target"]["Arn"] == arn and got["Target"]["RoleArn"] == role
    assert got["CreationDate"] <= got["LastModificationDate"]
    summaries = scheduler.list_schedules(NamePrefix="v2-")["Schedules"]
    assert [(s["Name"], s["State"], s["Target"]["Arn"]) for s in summaries] == [
        ("v2-rate", "ENABLED", arn)
    ]
    scheduler.update_schedule(
        Name="v2-rate",
        ScheduleExpression="cron(0 12 * * ? *)",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
        Target={"Arn": arn, "RoleArn": role},
        State="DISABLED",
    )
    got = scheduler.get_schedule(Name="v2-rate")
    assert (got["ScheduleExpression"], got["State"]) == ("cron(0 12 * * ? *)", "DISABLED")
    assert "ScheduleExpressionTimezone" not in got  # UpdateSchedule replaces every field
    assert scheduler.list_schedules(State="ENABLED", NamePrefix="v2-")["Schedules"] == []
    scheduler.delete_schedule(Name="v2-rate")
    code, message = error(lambda: scheduler.get_schedule(Name="v2-rate"))
    assert (code, message) == ("ResourceNotFoundException", "Schedule v2-rate does not exist.")


def test_a_one_time_schedule_fires_once_and_deletes_itself(
    lam: Any, scheduler: Any, tmp_path: Path
) -> None:
    out = tmp_path / "once.jsonl"
    arn = recorder(lam, "sched-once", out)
    soon = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S")
    scheduler.create_schedule(
        Name="v2-once",
        ScheduleExpression=f"at({soon})",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={"Arn": arn, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/s"},
    )
    wait_for(lambda: len(received(out)) >= 1, "the one-time fire")
    assert received(out) == [{}]
    wait_for(
        lambda: scheduler.list_schedules(NamePrefix="v2-once")["Schedules"] == [],
        "the completed schedule to delete itself",
    )


def test_what_scheduler_refuses(scheduler: Any, srv: Server) -> None:
    raw = srv.client("scheduler", validate=False)
    fn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"
    base: dict[str, Any] = {
        "ScheduleExpression": "rate(1 day)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {"Arn": fn, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/s"},
    }
    scheduler.create_schedule(Name="v2-dup", **base)
    code, message = error(lambda: scheduler.create_schedule(Name="v2-dup", **base))
    assert (code, message) == ("ConflictException", "Schedule v2-dup already exists.")
    code, message = error(
        lambda: scheduler.create_schedule(
            Name="v2-bad", **{**base, "ScheduleExpression": "cron(0 0 * * * *)"}
        )
    )
    assert code == "ValidationException" and "Invalid Schedule Expression" in message
    code, message = error(
        lambda: scheduler.create_schedule(
            Name="v2-bad", **base, ScheduleExpressionTimezone="Mars/Olympus"
        )
    )
    assert code == "ValidationException" and "Mars/Olympus" in message
    code, message = error(
        lambda: raw.create_schedule(
            Name="v2-bad", ScheduleExpression="rate(1 day)", Target=base["Target"]
        )
    )
    assert code == "ValidationException" and "flexibleTimeWindow" in message
    code, message = error(
        lambda: scheduler.create_schedule(
            Name="v2-bad", **{**base, "FlexibleTimeWindow": {"Mode": "FLEXIBLE"}}
        )
    )
    assert code == "ValidationException" and "MaximumWindowInMinutes" in message
    code, _ = error(lambda: scheduler.update_schedule(Name="v2-none", **base))
    assert code == "ResourceNotFoundException"
    code, _ = error(lambda: scheduler.get_schedule(Name="v2-dup", GroupName="other"))
    assert code == "ResourceNotFoundException"
    scheduler.delete_schedule(Name="v2-dup")


def test_a_sam_templates_schedule_events_deploy_and_fire(
    srv: Server, events: Any, scheduler: Any, tmp_path: Path
) -> None:
    out = tmp_path / "sam.jsonl"
    deployed = cli(
        "deploy",
        str(SAM / "schedules" / "template.yaml"),
        "--stack-name",
        "timed",
        "--parameter-overrides",
        f"OutPath={out}",
        "--endpoint",
        srv.endpoint,
    )
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "rule timed-TickerEveryMinute: rate(1 minute)" in deployed.stdout
    assert "rule timed-nightly: cron(0 2 * * ? *), disabled" in deployed.stdout
    assert "schedule timed-TickerReminder: rate(1 minute)" in deployed.stdout
    assert "Ticker.Events.Hook (event Api)" in deployed.stdout  # other events stay skipped
    alias_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:timed-ticker:live"
    assert events.list_targets_by_rule(Rule="timed-TickerEveryMinute")["Targets"] == [
        {"Id": "TickerEveryMinuteLambdaTarget", "Arn": alias_arn, "Input": '{"from": "rule"}'}
    ]
    rule = events.describe_rule(Name="timed-TickerEveryMinute")
    assert (rule["State"], rule["Description"]) == ("ENABLED", "every minute")
    assert events.describe_rule(Name="timed-nightly")["State"] == "DISABLED"
    schedule = scheduler.get_schedule(Name="timed-TickerReminder")
    assert schedule["Target"]["Arn"] == alias_arn
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Paris"

    def sources() -> set[str]:
        return {line["event"].get("from") for line in received(out)}

    wait_for(lambda: sources() >= {"rule", "scheduler"}, "both schedules to fire")
    assert {line["function"] for line in received(out)} == {"timed-ticker"}
    fired = next(line["event"] for line in received(out) if line["event"]["from"] == "scheduler")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", fired["at"])

    # A redeploy updates the same rule and schedule rather than adding others.
    again = cli(
        "deploy",
        str(SAM / "schedules"),
        "--stack-name",
        "timed",
        "--parameter-overrides",
        f"OutPath={out}",
        "--endpoint",
        srv.endpoint,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert [r["Name"] for r in events.list_rules(NamePrefix="timed-")["Rules"]] == [
        "timed-TickerEveryMinute",
        "timed-nightly",
    ]
    assert [s["Name"] for s in scheduler.list_schedules(NamePrefix="timed-")["Schedules"]] == [
        "timed-TickerReminder"
    ]
    listed = cli("schedules", "--endpoint", srv.endpoint)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split("\t")[1]: line.split("\t") for line in listed.stdout.splitlines()}
    kind, _, expression, state, next_fire, targets = rows["timed-TickerEveryMinute"]
    assert (kind, expression, state, targets) == ("rule", "rate(1 minute)", "ENABLED", alias_arn)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", next_fire)
    assert rows["timed-nightly"][3:5] == ["DISABLED", "-"]  # a disabled rule never fires
    assert rows["timed-TickerReminder"][:3] == [
        "schedule",
        "timed-TickerReminder",
        "rate(1 minute) (Europe/Paris)",
    ]
    events.remove_targets(Rule="timed-TickerEveryMinute", Ids=["TickerEveryMinuteLambdaTarget"])
    events.disable_rule(Name="timed-TickerEveryMinute")
    scheduler.delete_schedule(Name="timed-TickerReminder")


def test_a_one_time_schedule_missed_while_stopped_fires_once_after_the_restart(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    out = tmp_path / "missed.jsonl"
    first = Server(state, env=ENV).start()
    try:
        arn = recorder(first.client(), "sched-missed", out)
        due = datetime.now(UTC) + timedelta(seconds=4)
        first.client("scheduler").create_schedule(
            Name="while-down",
            ScheduleExpression=f"at({due.strftime('%Y-%m-%dT%H:%M:%S')})",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": arn, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/s", "Input": "[1]"},
        )
    finally:
        first.stop()
    while datetime.now(UTC) < due + timedelta(seconds=1):
        time.sleep(0.2)
    second = Server(state, env=ENV).start()
    try:
        wait_for(lambda: len(received(out)) == 1, "the missed one-time fire")
        got = second.client("scheduler").get_schedule(Name="while-down")
        assert got["State"] == "ENABLED"  # ActionAfterCompletion NONE keeps it
    finally:
        second.stop()
    assert received(out) == [[1]]
