"""Lambda's destination record (pure): what an OnSuccess / OnFailure destination
function receives about an asynchronous invocation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from .policy import Condition


def _json_or_text(raw: bytes) -> Any:
    """A payload as JSON when it is JSON, else as text (the record must be JSON)."""
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")


def destination_record(
    *,
    request_id: str,
    function_arn: str,
    condition: Condition,
    invoke_count: int,
    request_payload: bytes,
    executed_version: str | None,
    response_payload: bytes | None,
    function_error: str | None,
    now: float,
) -> dict[str, Any]:
    """The record; ``function_arn`` is qualified with the version that ran.
    ``response_payload`` is None when the function never ran (event too old).

    >>> r = destination_record(request_id="r", function_arn="arn:f:$LATEST",
    ...     condition="Success", invoke_count=1, request_payload=b'{"a": 1}',
    ...     executed_version="$LATEST", response_payload=b'"ok"', function_error=None,
    ...     now=0.0)
    >>> r["timestamp"], r["requestPayload"], r["responsePayload"]
    ('1970-01-01T00:00:00.000Z', {'a': 1}, 'ok')
    """
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": stamp,
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": _json_or_text(request_payload),
    }
    if response_payload is not None:
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": executed_version}
        if function_error is not None:
            response["functionError"] = "Unhandled"
        record["responseContext"] = response
        record["responsePayload"] = _json_or_text(response_payload)
    return record
