"""The Invoke operation, written as a bare ASGI handler because it is the hot path:
no framework request object, no routing table, one pass over the headers."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, unquote

from ..control.arns import check_home, parse_function_ref
from ..control.payload import too_large
from ..control.quotas import SYNC_PAYLOAD_MAX_BYTES
from ..platform import Platform
from .actions import INVOKE
from .errors import ApiError, to_rest_response

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

PREFIX = "/2015-03-31/functions/"
SUFFIX = "/invocations"
_JSON = (b"content-type", b"application/json")


def match(scope: Scope) -> str | None:
    """The raw FunctionName if ``scope`` is an Invoke request."""
    path: str = scope["path"]
    if scope["method"] == "POST" and path.startswith(PREFIX) and path.endswith(SUFFIX):
        name = path[len(PREFIX) : -len(SUFFIX)]
        if name and "/" not in name:
            return unquote(name)
    return None


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":  # never invoke with a truncated payload
            raise ApiError("InvalidRequestContentException", 400, "The client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        more = message.get("more_body", False)
    if size > limit:
        raise too_large(limit)
    return b"".join(chunks)


class InvokeHandler:
    """``POST /2015-03-31/functions/{FunctionName}/invocations``."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    async def __call__(self, name: str, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            status, headers, body = await self._invoke(name, scope, receive)
        except Exception as exc:
            response = to_rest_response(exc)
            await response(scope, receive, send)
            return
        # A known length, as AWS sends it, instead of the server's chunked default.
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _invoke(
        self, name: str, scope: Scope, receive: Receive
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        invocation_type = "RequestResponse"
        log_type = client_context = trace = None
        for key, value in scope["headers"]:
            if key == b"x-amz-invocation-type":
                invocation_type = value.decode()
            elif key == b"x-amz-log-type":
                log_type = value.decode()
            elif key == b"x-amz-client-context":
                client_context = value.decode()
            elif key == b"x-amzn-trace-id":
                trace = value.decode()
        qualifier = None
        if scope["query_string"]:
            values = parse_qs(scope["query_string"].decode()).get("Qualifier")
            qualifier = values[0] if values else None
        config = self.platform.config
        ref = check_home(
            parse_function_ref(name, qualifier), config.region, config.account_id, INVOKE
        )
        payload = await _read_body(receive, SYNC_PAYLOAD_MAX_BYTES)
        if invocation_type == "DryRun":
            cfg = self.platform.resolve(ref)
            self.platform.check_payload(payload)
            return 204, [(b"x-amz-executed-version", cfg.version.encode())], b""
        if invocation_type == "Event":
            request_id = await self.platform.invoke_async(ref, payload)
            return 202, [_JSON, (b"x-amzn-requestid", request_id.encode())], b""
        if invocation_type != "RequestResponse":
            raise ApiError(
                "InvalidParameterValueException",
                400,
                f"Value '{invocation_type}' at 'invocationType' is not supported: "
                "use RequestResponse, Event or DryRun",
            )
        inv = await self.platform.invoke(ref, payload, client_context, trace)
        result = inv.result
        headers = [_JSON, (b"x-amz-executed-version", inv.executed_version.encode())]
        if result.error_type is not None:
            headers.append((b"x-amz-function-error", b"Unhandled"))
        if log_type == "Tail":
            headers.append((b"x-amz-log-result", base64.b64encode(result.log_tail())))
        return 200, headers, result.payload
