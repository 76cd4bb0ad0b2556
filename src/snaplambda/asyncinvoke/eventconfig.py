"""Event invoke configurations (``/2019-09-25/functions/{name}/event-invoke-config``):
retry attempts, maximum event age and destinations of one function, version or
alias, kept as settings of the function in the control-plane store."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..control.arns import FunctionRef, function_arn
from ..control.errors import InvalidParameterValue, ResourceNotFound, ValidationError
from ..control.models import LATEST
from ..control.store import Store

KIND_PREFIX = "event-invoke-config:"
DEFAULT_RETRY_ATTEMPTS = 2
DEFAULT_MAX_AGE_S = 21600
_FUNCTION_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]{1,64}"
    r"(?::(?:\$LATEST|[a-zA-Z0-9_-]{1,128}))?"
)


@dataclass(frozen=True, slots=True)
class EventInvokeConfig:
    """The asynchronous-invocation settings of one function qualifier."""

    function: str
    qualifier: str
    max_retry_attempts: int = DEFAULT_RETRY_ATTEMPTS
    max_event_age_s: int = DEFAULT_MAX_AGE_S
    on_success: str | None = None
    on_failure: str | None = None
    last_modified: float = 0.0

    def to_doc(self) -> dict[str, Any]:
        return {
            "MaximumRetryAttempts": self.max_retry_attempts,
            "MaximumEventAgeInSeconds": self.max_event_age_s,
            "OnSuccess": self.on_success,
            "OnFailure": self.on_failure,
            "LastModified": self.last_modified,
        }

    @classmethod
    def from_doc(cls, function: str, qualifier: str, doc: dict[str, Any]) -> EventInvokeConfig:
        return cls(
            function,
            qualifier,
            int(doc["MaximumRetryAttempts"]),
            int(doc["MaximumEventAgeInSeconds"]),
            doc.get("OnSuccess"),
            doc.get("OnFailure"),
            float(doc.get("LastModified", 0.0)),
        )

    def to_aws(self, region: str, account: str) -> dict[str, Any]:
        def dest(arn: str | None) -> dict[str, str]:
            return {"Destination": arn} if arn else {}

        return {
            "LastModified": self.last_modified,
            "FunctionArn": function_arn(region, account, self.function, self.qualifier),
            "MaximumRetryAttempts": self.max_retry_attempts,
            "MaximumEventAgeInSeconds": self.max_event_age_s,
            "DestinationConfig": {
                "OnSuccess": dest(self.on_success),
                "OnFailure": dest(self.on_failure),
            },
        }


def _int_in_range(body: dict[str, Any], field: str, low: int, high: int) -> int | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at '{field[0].lower()}{field[1:]}' "
            f"failed to satisfy constraint: Member must be an integer from {low} to {high}"
        )
    return value


def _destination(config: Any, which: str) -> str | None:
    if config is None:
        return None
    if not isinstance(config, dict):
        raise InvalidParameterValue(f"DestinationConfig.{which} must be an object")
    arn = config.get("Destination")
    if arn is None or arn == "":
        return None
    if not isinstance(arn, str) or not _FUNCTION_ARN.fullmatch(arn):
        raise InvalidParameterValue(
            f"The destination ARN '{arn}' in DestinationConfig.{which} is not supported: "
            "snaplambda supports only Lambda function destinations "
            "(arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]); SQS, SNS, "
            "S3 and EventBridge destinations are not supported"
        )
    return arn


def apply(current: EventInvokeConfig, body: dict[str, Any], now: float) -> EventInvokeConfig:
    """``current`` with the fields of a Put/Update request body applied (pure)."""
    retries = _int_in_range(body, "MaximumRetryAttempts", 0, 2)
    age = _int_in_range(body, "MaximumEventAgeInSeconds", 60, 21600)
    changes: dict[str, Any] = {"last_modified": now}
    if retries is not None:
        changes["max_retry_attempts"] = retries
    if age is not None:
        changes["max_event_age_s"] = age
    destinations = body.get("DestinationConfig")
    if destinations is not None:
        if not isinstance(destinations, dict):
            raise InvalidParameterValue("DestinationConfig must be an object")
        if "OnSuccess" in destinations:
            changes["on_success"] = _destination(destinations["OnSuccess"], "OnSuccess")
        if "OnFailure" in destinations:
            changes["on_failure"] = _destination(destinations["OnFailure"], "OnFailure")
    return replace(current, **changes)


class EventInvokeConfigs:
    """Event invoke configurations, stored as settings of their function.

    ``qualifiers(name)`` lists the qualifiers of a function that may carry one
    ($LATEST, versions, aliases); ``check(name, qualifier)`` raises
    ResourceNotFound when the function or qualifier does not exist."""

    def __init__(
        self,
        store: Store,
        check: Callable[[str, str | None], object],
        qualifiers: Callable[[str], list[str]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._check = check
        self._qualifiers = qualifiers
        self._clock = clock

    def _key(self, ref: FunctionRef) -> tuple[str, str]:
        self._check(ref.name, ref.qualifier)
        return ref.name, ref.qualifier or LATEST

    def find(self, name: str, qualifier: str | None) -> EventInvokeConfig | None:
        qualifier = qualifier or LATEST
        doc = self._store.get_setting(name, KIND_PREFIX + qualifier)
        return EventInvokeConfig.from_doc(name, qualifier, doc) if doc else None

    def effective(self, name: str, qualifier: str | None) -> EventInvokeConfig:
        """The settings an event for ``name:qualifier`` runs with (defaults if none)."""
        found = self.find(name, qualifier)
        return found or EventInvokeConfig(name, qualifier or LATEST)

    def get(self, ref: FunctionRef) -> EventInvokeConfig:
        name, qualifier = self._key(ref)
        found = self.find(name, qualifier)
        if found is None:
            shown = name if qualifier == LATEST else f"{name}:{qualifier}"
            raise ResourceNotFound(f"The function {shown} doesn't have an EventInvokeConfig")
        return found

    def put(self, ref: FunctionRef, body: dict[str, Any]) -> EventInvokeConfig:
        """Replace the configuration (fields not given take their defaults)."""
        name, qualifier = self._key(ref)
        cfg = apply(EventInvokeConfig(name, qualifier), body, self._clock())
        self._store.put_setting(name, KIND_PREFIX + qualifier, cfg.to_doc())
        return cfg

    def update(self, ref: FunctionRef, body: dict[str, Any]) -> EventInvokeConfig:
        """Change only the fields given (creating the configuration if needed)."""
        name, qualifier = self._key(ref)
        current = self.find(name, qualifier) or EventInvokeConfig(name, qualifier)
        cfg = apply(current, body, self._clock())
        self._store.put_setting(name, KIND_PREFIX + qualifier, cfg.to_doc())
        return cfg

    def delete(self, ref: FunctionRef) -> None:
        self.get(ref)
        name, qualifier = self._key(ref)
        self._store.put_setting(name, KIND_PREFIX + qualifier, None)

    def list(self, name: str) -> list[EventInvokeConfig]:
        self._check(name, None)
        found = (self.find(name, q) for q in self._qualifiers(name))
        return [cfg for cfg in found if cfg is not None]
