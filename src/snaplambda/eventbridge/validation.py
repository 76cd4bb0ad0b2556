"""Checks of request fields as EventBridge and Scheduler make them, with AWS's
``1 validation error detected`` wording naming the field, the value and what is
allowed.  Pure."""

from __future__ import annotations

import re
from typing import Any

import orjson

from .errors import invalid

#: A Lambda function's full ARN, the only kind of target snaplambda runs.
FUNCTION_ARN = re.compile(
    r"arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]{1,64}"
    r"(?::(?:\$LATEST|[a-zA-Z0-9_-]{1,128}))?"
)


def _constraint(value: Any, field: str, constraint: str) -> Exception:
    return invalid(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


def string(
    body: dict[str, Any],
    key: str,
    field: str,
    *,
    required: bool = False,
    low: int = 0,
    high: int | None = None,
    pattern: str | None = None,
    choices: tuple[str, ...] = (),
) -> str | None:
    """``body[key]`` checked as a string (``None`` when absent and not required)."""
    value = body.get(key)
    if value is None:
        if required:
            raise _constraint(None, field, "Member must not be null")
        return None
    if not isinstance(value, str):
        raise _constraint(value, field, "Member must be a string")
    if len(value) < low:
        raise _constraint(value, field, f"Member must have length greater than or equal to {low}")
    if high is not None and len(value) > high:
        raise _constraint(value, field, f"Member must have length less than or equal to {high}")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise _constraint(
            value, field, f"Member must satisfy regular expression pattern: {pattern}"
        )
    if choices and value not in choices:
        raise _constraint(
            value, field, f"Member must satisfy enum value set: [{', '.join(choices)}]"
        )
    return value


def integer(body: dict[str, Any], key: str, field: str, low: int, high: int) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _constraint(value, field, f"Member must be an integer from {low} to {high}")
    return value


def json_text(value: str, field: str) -> str:
    """``value`` when it is JSON (a Lambda payload must be)."""
    try:
        orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise invalid(
            f"{field} {value[:100]!r} is not valid JSON ({exc}); a Lambda function target "
            "takes a JSON payload"
        ) from exc
    return value


def function_target(arn: str, field: str) -> str:
    """``arn`` when it is a Lambda function's (optionally qualified) ARN."""
    if not FUNCTION_ARN.fullmatch(arn):
        raise invalid(
            f"{field} '{arn}' is not a Lambda function ARN "
            "(arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]); snaplambda runs only "
            "Lambda function targets"
        )
    return arn
