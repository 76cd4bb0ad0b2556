"""AWS error shapes, and the conversion of every package's errors into them.

Lambda's REST API answers ``x-amzn-ErrorType: <Name>`` with ``{"Type": "User",
"message": ...}``; JSON-protocol services (CloudWatch Logs) answer ``{"__type":
<Name>, "message": ...}``.  boto3 turns both into its named exceptions.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from ..errors import AwsError
from ..execution.errors import Throttled


class ApiError(AwsError):
    """An error raised by the API layer itself (bad request shape)."""

    def __init__(self, aws_type: str, status: int, message: str) -> None:
        super().__init__(message, aws_type, status)


def rest_error(aws_type: str, status: int, message: str, **extra: Any) -> Response:
    fault = "Server" if status >= 500 else "User"
    body = {"Type": fault, "message": message, **extra}
    headers = {"x-amzn-ErrorType": aws_type}
    if "retryAfterSeconds" in extra:
        headers["Retry-After"] = str(extra.pop("retryAfterSeconds"))
        body.pop("retryAfterSeconds", None)
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def to_rest_response(exc: Exception) -> Response:
    """Any known error as Lambda's REST error response."""
    if isinstance(exc, Throttled):
        return rest_error(
            exc.aws_type, exc.status, exc.message, Reason=exc.reason, retryAfterSeconds=1
        )
    if isinstance(exc, AwsError):
        return rest_error(exc.aws_type, exc.status, exc.message)
    return rest_error("ServiceException", 500, f"Internal error: {type(exc).__name__}: {exc}")


def to_json_response(exc: Exception) -> Response:
    """Any known error in the JSON protocol's shape."""
    if isinstance(exc, AwsError):
        aws_type, status, message = exc.aws_type, exc.status, exc.message
    else:
        aws_type, status, message = "ServiceUnavailableException", 500, str(exc)
    body = {"__type": aws_type, "message": message}
    return Response(orjson.dumps(body), status, media_type="application/x-amz-json-1.1")
