"""EventBridge scheduled rules on the default event bus: PutRule, PutTargets,
RemoveTargets, DeleteRule, DescribeRule, ListRules, ListTargetsByRule, EnableRule
and DisableRule, checked as EventBridge checks them and stored durably.  A rule
with a ``rate()`` or ``cron()`` schedule fires its Lambda function targets with
EventBridge's ``Scheduled Event`` or the target's ``Input``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from ..scheduling import Expression, ExpressionError, parse
from .errors import EventBridgeError, invalid, not_found
from .payloads import scheduled_event
from .runner import Delivery, Job
from .source import ScheduleSource
from .validation import function_target, integer, json_text, string

KIND = "rule"
_NAME = r"[\.\-_A-Za-z0-9]+"
_BUS = r"(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[/\.\-_A-Za-z0-9]+"
_STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
#: EventBridge's quota of targets per rule.
MAX_TARGETS = 5
#: Target fields kept and echoed; of these only ``Input`` changes what is sent.
_TARGET_FIELDS = ("Id", "Arn", "RoleArn", "Input", "RetryPolicy", "DeadLetterConfig")


@dataclass
class Rule:
    name: str
    schedule: str
    expression: Expression
    state: str
    description: str | None
    role_arn: str | None
    created: float
    anchor: float
    since: float
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def doc(self) -> dict[str, Any]:
        return {
            "Name": self.name,
            "ScheduleExpression": self.schedule,
            "State": self.state,
            "Description": self.description,
            "RoleArn": self.role_arn,
            "Created": self.created,
            "Anchor": self.anchor,
            "Since": self.since,
            "Targets": list(self.targets.values()),
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Rule:
        return cls(
            doc["Name"],
            doc["ScheduleExpression"],
            parse(doc["ScheduleExpression"]),
            doc["State"],
            doc.get("Description"),
            doc.get("RoleArn"),
            doc["Created"],
            doc["Anchor"],
            doc["Since"],
            {t["Id"]: t for t in doc.get("Targets", [])},
        )


def _expression(text: str) -> Expression:
    try:
        expression = parse(text)
    except ExpressionError as exc:
        raise invalid(f"Parameter ScheduleExpression is not valid: {exc}") from exc
    if expression.kind == "at":
        raise invalid(
            "Parameter ScheduleExpression is not valid: rules take rate() or cron(); "
            "one-time at() schedules are EventBridge Scheduler's (CreateSchedule)"
        )
    return expression


class RuleService(ScheduleSource):
    """The rules of the default event bus, kept in memory and in ``store``."""

    kind = KIND

    def _load(self) -> None:
        self._rules = {doc["Name"]: Rule.from_doc(doc) for doc in self._store.load(KIND)}
        for rule in self._rules.values():
            self._runner.plan(self._job(rule))

    def arn(self, name: str) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:rule/{name}"

    def _job(self, rule: Rule) -> Job:
        return Job(
            f"{KIND}/{rule.name}",
            rule.expression.scaled(self._minute_s),
            rule.anchor,
            rule.since,
            enabled=rule.state != "DISABLED" and bool(rule.targets),
        )

    def _save(self, rule: Rule) -> None:
        self._store.put(KIND, rule.name, rule.doc())
        self._runner.plan(self._job(rule))

    def _get(self, body: dict[str, Any], key: str = "Name") -> Rule:
        name = string(body, key, key[0].lower() + key[1:], required=True, low=1, high=64)
        assert name is not None
        self._bus(body)
        rule = self._rules.get(name)
        if rule is None:
            raise not_found(f"Rule {name} does not exist on EventBus default.")
        return rule

    @staticmethod
    def _bus(body: dict[str, Any]) -> None:
        bus = string(body, "EventBusName", "eventBusName", low=1, high=1600, pattern=_BUS)
        if bus is not None and bus.rsplit("/", 1)[-1] != "default":
            raise not_found(
                f"Event bus {bus} does not exist. (snaplambda has only the default event bus)"
            )

    # -- rules -------------------------------------------------------------------

    def put_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        name = string(body, "Name", "name", required=True, low=1, high=64, pattern=_NAME)
        assert name is not None
        self._bus(body)
        if body.get("EventPattern") is not None:
            raise invalid(
                "Parameter EventPattern is not supported: snaplambda runs scheduled rules "
                "(ScheduleExpression) only, as it has no event bus to match events from"
            )
        text = string(body, "ScheduleExpression", "scheduleExpression", high=256)
        if not text:
            raise invalid("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        expression = _expression(text)
        state = string(body, "State", "state", choices=_STATES) or "ENABLED"
        description = string(body, "Description", "description", high=512)
        role_arn = string(body, "RoleArn", "roleArn", low=1, high=1600)
        now = self._clock()
        rule = self._rules.get(name)
        if rule is None:
            rule = Rule(name, text, expression, state, description, role_arn, now, now, now)
            self._rules[name] = rule
        else:
            if text != rule.schedule:
                rule.schedule, rule.expression, rule.anchor = text, expression, now
            rule.state, rule.description, rule.role_arn = state, description, role_arn
            rule.since = now
        self._save(rule)
        return {"RuleArn": self.arn(name)}

    def describe_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        rule = self._get(body)
        return {**self._describe(rule), "CreatedBy": self.account}

    def _describe(self, rule: Rule) -> dict[str, Any]:
        doc = {
            "Name": rule.name,
            "Arn": self.arn(rule.name),
            "ScheduleExpression": rule.schedule,
            "State": rule.state,
            "EventBusName": "default",
        }
        if rule.description is not None:
            doc["Description"] = rule.description
        if rule.role_arn is not None:
            doc["RoleArn"] = rule.role_arn
        return doc

    def list_rules(self, body: dict[str, Any]) -> dict[str, Any]:
        self._bus(body)
        prefix = string(body, "NamePrefix", "namePrefix", low=1, high=64) or ""
        names = sorted(n for n in self._rules if n.startswith(prefix))
        page, token = _page(names, body)
        return {"Rules": [self._describe(self._rules[n]) for n in page], **token}

    def enable_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(body, "ENABLED")

    def disable_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(body, "DISABLED")

    def _set_state(self, body: dict[str, Any], state: str) -> dict[str, Any]:
        rule = self._get(body)
        if rule.state != state:
            rule.state, rule.since = state, self._clock()
            self._save(rule)
        return {}

    def delete_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            rule = self._get(body)
        except EventBridgeError as exc:
            if exc.aws_type == "ResourceNotFoundException":
                return {}  # deleting a rule that is not there succeeds, as on AWS
            raise
        if rule.targets:
            raise invalid("Rule can't be deleted since it has targets.")
        del self._rules[rule.name]
        self._store.delete(KIND, rule.name)
        self._runner.forget(f"{KIND}/{rule.name}")
        return {}

    # -- targets -----------------------------------------------------------------

    def put_targets(self, body: dict[str, Any]) -> dict[str, Any]:
        rule = self._get(body, "Rule")
        targets = body.get("Targets")
        if not isinstance(targets, list) or not 1 <= len(targets) <= 100:
            raise invalid(
                "1 validation error detected: Value at 'targets' failed to satisfy constraint: "
                "Member must be a list of 1 to 100 targets"
            )
        checked = [_target(t, i) for i, t in enumerate(targets, 1)]
        merged = {**rule.targets, **{t["Id"]: t for t in checked}}
        if len(merged) > MAX_TARGETS:
            raise EventBridgeError(
                "LimitExceededException",
                f"The requested resource exceeds the maximum number allowed: a rule has at "
                f"most {MAX_TARGETS} targets ({len(merged)} asked for)",
            )
        rule.targets, rule.since = merged, self._clock()
        self._save(rule)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def remove_targets(self, body: dict[str, Any]) -> dict[str, Any]:
        rule = self._get(body, "Rule")
        ids = body.get("Ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise invalid(
                "1 validation error detected: Value at 'ids' failed to satisfy constraint: "
                "Member must be a list of 1 to 100 target ids"
            )
        for target_id in ids:
            rule.targets.pop(str(target_id), None)
        rule.since = self._clock()
        self._save(rule)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def list_targets_by_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        rule = self._get(body, "Rule")
        page, token = _page(sorted(rule.targets), body)
        return {"Targets": [rule.targets[i] for i in page], **token}

    # -- firing (the runner's Source) --------------------------------------------

    def deliveries(self, key: str, when: float) -> list[Delivery]:
        rule = self._rules[key.split("/", 1)[1]]
        event = scheduled_event(
            str(uuid.uuid4()), self.arn(rule.name), when, self.account, self.region
        )
        return [
            (t["Arn"], t["Input"].encode() if t.get("Input") is not None else event)
            for t in rule.targets.values()
        ]

    def fired(self, key: str, when: float) -> Job | None:
        rule = self._rules.get(key.split("/", 1)[1])
        if rule is None:
            return None
        rule.since = max(rule.since, when)
        self._store.put(KIND, rule.name, rule.doc())
        return self._job(rule)

    def names(self) -> list[str]:
        return sorted(self._rules)

    def rule(self, name: str) -> Rule:
        return self._rules[name]


def _target(value: Any, position: int) -> dict[str, Any]:
    where = f"targets.{position}.member"
    if not isinstance(value, dict):
        raise invalid(f"1 validation error detected: Value at '{where}' must be a target object")
    unsupported = sorted(set(value) - set(_TARGET_FIELDS))
    if unsupported:
        raise invalid(
            f"Target {value.get('Id')!r}: {', '.join(unsupported)} not supported by snaplambda "
            "(a Lambda function target takes Id, Arn, Input, RoleArn, RetryPolicy and "
            "DeadLetterConfig)"
        )
    string(value, "Id", f"{where}.id", required=True, low=1, high=64, pattern=_NAME)
    arn = string(value, "Arn", f"{where}.arn", required=True, low=1, high=1600)
    assert arn is not None
    function_target(arn, "Target Arn")
    text = string(value, "Input", f"{where}.input", high=8192)
    if text is not None:
        json_text(text, "Input")
    string(value, "RoleArn", f"{where}.roleArn", low=1, high=1600)
    return {k: value[k] for k in _TARGET_FIELDS if value.get(k) is not None}


def _page(names: list[str], body: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """One page of ``names`` after ``NextToken`` (the last name of the page before)."""
    limit = integer(body, "Limit", "limit", 1, 100) or 100
    token = string(body, "NextToken", "nextToken", low=1, high=2048)
    rest = [n for n in names if token is None or n > token]
    page = rest[:limit]
    return page, ({"NextToken": page[-1]} if len(rest) > limit else {})
