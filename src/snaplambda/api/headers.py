"""The front door's check of request headers and query string, before any API reads them.

AWS SDKs send ``X-Amz-*`` / ``X-Amzn-*`` headers as UTF-8 text (the signature, the
invocation type, the client context ...).  Bytes that are not UTF-8 are refused here
with a 400 in the shape of the API the request was for, so no handler ever decodes
them (a decode error inside a handler would be a 500), and the same for a query
string that is not UTF-8 once percent-decoded.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson

#: Header -> the member name Lambda's model gives it (what AWS's messages name).
_MEMBERS = {
    b"x-amz-invocation-type": "invocationType",
    b"x-amz-log-type": "logType",
    b"x-amz-client-context": "clientContext",
}
_SHOWN = 64  # characters of a refused value quoted back


def _shown(raw: bytes) -> str:
    text = raw[:_SHOWN].decode("utf-8", "backslashreplace")
    return text + ("..." if len(raw) > _SHOWN else "")


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _title(name: bytes) -> str:
    return "-".join(part.capitalize() for part in name.decode("latin-1").split("-"))


def problem(scope: MutableMapping[str, Any]) -> str | None:
    """Why the request's AWS headers or query string cannot be read, or None."""
    for name, value in scope["headers"]:
        if (name.startswith((b"x-amz-", b"x-amzn-")) or name == b"authorization") and not _utf8(
            value
        ):
            header = _title(name)
            member = _MEMBERS.get(name, header)
            return (
                f"1 validation error detected: Value '{_shown(value)}' at '{member}' (header "
                f"{header}) failed to satisfy constraint: Member must be valid UTF-8 text"
            )
    query: bytes = scope.get("query_string", b"")
    if query and not _utf8(unquote_to_bytes(query)):
        return (
            f"1 validation error detected: Value '{_shown(query)}' of the query string failed "
            "to satisfy constraint: Member must be valid UTF-8 text once percent-decoded"
        )
    return None


def is_json_protocol(scope: MutableMapping[str, Any]) -> bool:
    """JSON-protocol services (Logs, CloudWatch, Application Auto Scaling) share ``POST /``."""
    return bool(scope["method"] == "POST" and scope["path"] == "/")


def error_response(
    scope: MutableMapping[str, Any], status: int, aws_type: str, message: str
) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and body of an AWS error in the shape of the API ``scope`` is for:
    ``{"__type", "message"}`` for the JSON protocols, Lambda's ``{"Type", "message"}``
    otherwise; ``x-amzn-ErrorType`` names the error for both."""
    if scope.get("type") == "http" and is_json_protocol(scope):
        body = orjson.dumps({"__type": aws_type, "message": message})
        media = b"application/x-amz-json-1.1"
    else:
        fault = "Server" if status >= 500 else "User"
        body = orjson.dumps({"Type": fault, "message": message})
        media = b"application/json"
    headers = [
        (b"content-type", media),
        (b"x-amzn-errortype", aws_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    return headers, body
