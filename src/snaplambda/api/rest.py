"""Helpers shared by the REST route modules: JSON bodies and responses, the error
guard, function identifiers with qualifiers, and ``Marker`` / ``MaxItems`` paging."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..control.arns import FunctionRef, check_home, parse_function_ref
from ..control.errors import InvalidParameterValue, ValidationError
from .actions import action_of
from .errors import ApiError, to_rest_response

T = TypeVar("T")
Handler = Callable[[Request], Awaitable[Response]]

_QUALIFIER = re.compile(r"\$LATEST|[a-zA-Z0-9_-]{1,128}")  # applied with fullmatch


def json_response(data: Any, status: int = 200) -> Response:
    """``data`` as an ``application/json`` response."""
    return Response(orjson.dumps(data), status, media_type="application/json")


async def read_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body; empty means ``{}``."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError("InvalidRequestContentException", 400, f"Body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiError("InvalidRequestContentException", 400, "Body must be a JSON object")
    return data


def function_ref(request: Request) -> FunctionRef:
    """The ``{name}`` path parameter with the ``Qualifier`` query parameter, if any."""
    qualifier = request.query_params.get("Qualifier")
    if qualifier is not None and not _QUALIFIER.fullmatch(qualifier):
        raise ValidationError(
            f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "(|[a-zA-Z0-9$_-]+) ($LATEST, a version number or an alias name)"
        )
    ref = parse_function_ref(request.path_params["name"], qualifier or None)
    route = request.scope.get("route")
    action = action_of(request.method, getattr(route, "path", None))
    config = request.app.state.platform.config
    return check_home(ref, config.region, config.account_id, action)


def max_items(request: Request, default: int = 50) -> int:
    """The ``MaxItems`` query parameter, 1-10000."""
    try:
        value = int(request.query_params.get("MaxItems", str(default)))
    except ValueError as exc:
        raise InvalidParameterValue("MaxItems must be an integer from 1 to 10000") from exc
    if not 1 <= value <= 10000:
        raise InvalidParameterValue(f"Value '{value}' at 'maxItems' must be 1-10000")
    return value


def paginate(
    items: Sequence[T], limit: int, after: Callable[[T], bool] | None = None
) -> tuple[list[T], T | None]:
    """One page of ``items`` (in order): those ``after`` the marker accepts, at most
    ``limit``.  Returns the page and its last item when more follow (the next marker)."""
    rest = [item for item in items if after is None or after(item)]
    page = rest[:limit]
    return page, (page[-1] if len(rest) > limit else None)


def guard(handler: Handler) -> Handler:
    """Turn every error ``handler`` raises into Lambda's REST error response."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except Exception as exc:
            return to_rest_response(exc)

    return wrapped
