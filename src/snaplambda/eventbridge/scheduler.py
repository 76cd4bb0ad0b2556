"""EventBridge Scheduler's schedules in the ``default`` group: CreateSchedule,
GetSchedule, UpdateSchedule, DeleteSchedule and ListSchedules, checked as Scheduler
checks them and stored durably.  A schedule (``at()``, ``rate()`` or ``cron()`` in
its time zone, between its start and end dates) fires its Lambda function target
with the target's ``Input``, context attributes filled in."""

from __future__ import annotations

import uuid
from typing import Any

from ..scheduling import Expression, ExpressionError, parse, zone
from .errors import EventBridgeError, invalid, not_found
from .payloads import scheduler_input
from .runner import Delivery, Job, upcoming
from .source import ScheduleSource
from .validation import function_target, integer, json_text, string

KIND = "schedule"
GROUP = "default"
_NAME = r"[0-9a-zA-Z-_.]+"
_ROLE = r"arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+"
#: Target fields kept and echoed; of these only ``Input`` changes what is sent.
_TARGET_FIELDS = ("Arn", "RoleArn", "Input", "RetryPolicy", "DeadLetterConfig")
#: The fields of a schedule as GetSchedule answers them (besides those it computes).
_FIELDS = (
    "Name",
    "GroupName",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "EndDate",
    "Description",
    "State",
    "KmsKeyArn",
    "Target",
    "FlexibleTimeWindow",
    "ActionAfterCompletion",
    "CreationDate",
    "LastModificationDate",
)


def _date(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(f"{key} must be a timestamp (seconds since the epoch), not {value!r}")
    return float(value)


def _expression(body: dict[str, Any]) -> Expression:
    text = string(body, "ScheduleExpression", "scheduleExpression", required=True, low=1, high=256)
    tz = string(body, "ScheduleExpressionTimezone", "scheduleExpressionTimezone", low=1, high=50)
    assert text is not None
    try:
        zone(tz)
    except ExpressionError as exc:
        raise invalid(f"Invalid ScheduleExpressionTimezone {tz!r}: {exc}") from exc
    try:
        return parse(text, tz)
    except ExpressionError as exc:
        raise invalid(f"Invalid Schedule Expression {text}: {exc}") from exc


def _target(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(
            "1 validation error detected: Value at 'target' failed to satisfy "
            "constraint: Member must not be null"
        )
    unsupported = sorted(set(value) - set(_TARGET_FIELDS))
    if unsupported:
        raise invalid(
            f"Target {', '.join(unsupported)} not supported by snaplambda (a Lambda function "
            "target takes Arn, RoleArn, Input, RetryPolicy and DeadLetterConfig)"
        )
    arn = string(value, "Arn", "target.arn", required=True, low=1, high=1600)
    assert arn is not None
    function_target(arn, "Target Arn")
    string(value, "RoleArn", "target.roleArn", required=True, low=1, high=1600, pattern=_ROLE)
    text = string(value, "Input", "target.input", low=1)
    if text is not None:
        json_text(text, "Target Input")
    return {k: value[k] for k in _TARGET_FIELDS if value.get(k) is not None}


def _window(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(
            "1 validation error detected: Value at 'flexibleTimeWindow' failed to "
            "satisfy constraint: Member must not be null"
        )
    mode = string(
        value, "Mode", "flexibleTimeWindow.mode", required=True, choices=("OFF", "FLEXIBLE")
    )
    minutes = integer(
        value, "MaximumWindowInMinutes", "flexibleTimeWindow.maximumWindowInMinutes", 1, 1440
    )
    if mode == "FLEXIBLE" and minutes is None:
        raise invalid("MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE")
    if mode == "OFF" and minutes is not None:
        raise invalid(
            "MaximumWindowInMinutes must not be given when FlexibleTimeWindow Mode is OFF"
        )
    return {"Mode": mode, **({"MaximumWindowInMinutes": minutes} if minutes else {})}


class SchedulerService(ScheduleSource):
    """The schedules of the ``default`` group, kept in memory and in ``store``."""

    kind = KIND

    def _load(self) -> None:
        self._docs = {doc["Name"]: doc for doc in self._store.load(KIND)}
        for doc in self._docs.values():
            self._runner.plan(self._job(doc))

    def arn(self, name: str) -> str:
        return f"arn:aws:scheduler:{self.region}:{self.account}:schedule/{GROUP}/{name}"

    def _job(self, doc: dict[str, Any]) -> Job:
        expression = parse(doc["ScheduleExpression"], doc.get("ScheduleExpressionTimezone"))
        return Job(
            f"{KIND}/{GROUP}/{doc['Name']}",
            expression.scaled(self._minute_s),
            doc.get("StartDate") or doc["LastModificationDate"],
            doc["_Since"],
            enabled=doc["State"] == "ENABLED",
            start=doc.get("StartDate"),
            end=doc.get("EndDate"),
        )

    @staticmethod
    def _group(value: str | None) -> None:
        if value is not None and value != GROUP:
            raise not_found(
                f"Schedule group {value} does not exist. (snaplambda has only the default group)",
                404,
            )

    @staticmethod
    def _name(name: str) -> str:
        checked = string(
            {"Name": name}, "Name", "name", required=True, low=1, high=64, pattern=_NAME
        )
        assert checked is not None
        return checked

    def _find(self, name: str, group: str | None) -> dict[str, Any]:
        self._group(group)
        doc = self._docs.get(self._name(name))
        if doc is None:
            raise not_found(f"Schedule {name} does not exist.", 404)
        return doc

    def _build(self, name: str, body: dict[str, Any], created: float) -> dict[str, Any]:
        self._group(string(body, "GroupName", "groupName", low=1, high=64, pattern=_NAME))
        _expression(body)
        start, end = _date(body, "StartDate"), _date(body, "EndDate")
        if start is not None and end is not None and end <= start:
            raise invalid("The EndDate must be after the StartDate.")
        now = self._clock()
        doc: dict[str, Any] = {
            "Name": name,
            "GroupName": GROUP,
            "ScheduleExpression": body["ScheduleExpression"],
            "ScheduleExpressionTimezone": string(
                body, "ScheduleExpressionTimezone", "scheduleExpressionTimezone"
            ),
            "StartDate": start,
            "EndDate": end,
            "Description": string(body, "Description", "description", high=512),
            "State": string(body, "State", "state", choices=("ENABLED", "DISABLED")) or "ENABLED",
            "KmsKeyArn": string(body, "KmsKeyArn", "kmsKeyArn", low=1, high=2048),
            "Target": _target(body.get("Target")),
            "FlexibleTimeWindow": _window(body.get("FlexibleTimeWindow")),
            "ActionAfterCompletion": string(
                body, "ActionAfterCompletion", "actionAfterCompletion", choices=("NONE", "DELETE")
            )
            or "NONE",
            "CreationDate": created,
            "LastModificationDate": now,
            "_Since": now,
        }
        return {k: v for k, v in doc.items() if v is not None}

    def _save(self, doc: dict[str, Any]) -> None:
        self._store.put(KIND, doc["Name"], doc)
        self._runner.plan(self._job(doc))

    def create(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        name = self._name(name)
        doc = self._build(name, body, self._clock())
        if name in self._docs:
            raise EventBridgeError("ConflictException", f"Schedule {name} already exists.", 409)
        self._docs[name] = doc
        self._save(doc)
        return {"ScheduleArn": self.arn(name)}

    def update(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        existing = self._find(name, body.get("GroupName"))
        doc = self._build(existing["Name"], body, existing["CreationDate"])
        self._docs[doc["Name"]] = doc
        self._save(doc)
        return {"ScheduleArn": self.arn(doc["Name"])}

    def get(self, name: str, group: str | None) -> dict[str, Any]:
        doc = self._find(name, group)
        return {"Arn": self.arn(doc["Name"]), **{k: doc[k] for k in _FIELDS if k in doc}}

    def delete(self, name: str, group: str | None) -> dict[str, Any]:
        doc = self._find(name, group)
        self._remove(doc["Name"])
        return {}

    def _remove(self, name: str) -> None:
        del self._docs[name]
        self._store.delete(KIND, name)
        self._runner.forget(f"{KIND}/{GROUP}/{name}")

    def list_schedules(self, params: dict[str, str]) -> dict[str, Any]:
        self._group(params.get("ScheduleGroup"))
        prefix = params.get("NamePrefix", "")
        state = params.get("State")
        if state is not None and state not in ("ENABLED", "DISABLED"):
            raise invalid(f"State {state!r} must be ENABLED or DISABLED")
        try:
            limit = int(params.get("MaxResults", "100"))
        except ValueError as exc:
            raise invalid("MaxResults must be a whole number from 1 to 100") from exc
        if not 1 <= limit <= 100:
            raise invalid(f"MaxResults {limit} must be from 1 to 100")
        token = params.get("NextToken")
        names = [
            n
            for n, doc in sorted(self._docs.items())
            if n.startswith(prefix)
            and (state is None or doc["State"] == state)
            and (token is None or n > token)
        ]
        page = names[:limit]
        summaries = [
            {
                "Arn": self.arn(n),
                "Name": n,
                "GroupName": GROUP,
                "State": self._docs[n]["State"],
                "CreationDate": self._docs[n]["CreationDate"],
                "LastModificationDate": self._docs[n]["LastModificationDate"],
                "Target": {"Arn": self._docs[n]["Target"]["Arn"]},
            }
            for n in page
        ]
        return {"Schedules": summaries, **({"NextToken": page[-1]} if len(names) > limit else {})}

    # -- firing (the runner's Source) --------------------------------------------

    def deliveries(self, key: str, when: float) -> list[Delivery]:
        doc = self._docs[key.rsplit("/", 1)[1]]
        target = doc["Target"]
        text = target.get("Input")
        payload = (
            scheduler_input(text, self.arn(doc["Name"]), when, uuid.uuid4().hex[:16])
            if text is not None
            else b"{}"
        )
        return [(target["Arn"], payload)]

    def fired(self, key: str, when: float) -> Job | None:
        doc = self._docs.get(key.rsplit("/", 1)[1])
        if doc is None:
            return None
        job = self._job(doc)
        if doc["ActionAfterCompletion"] == "DELETE" and (upcoming(job, when) is None):
            self._remove(doc["Name"])
            return None
        doc["_Since"] = max(doc["_Since"], when)
        self._store.put(KIND, doc["Name"], doc)
        return self._job(doc)

    def names(self) -> list[str]:
        return sorted(self._docs)
