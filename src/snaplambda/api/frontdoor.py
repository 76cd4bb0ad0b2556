"""The door in front of the platform's routes: STS, and every AWS service snaplambda
does not serve, answered before the router sees the request.

Which service a request is for is decided by :mod:`.destination` (pure); this
module reads what that needs off the ASGI scope, reads Query bodies, and sends
the answers of :mod:`.sts_api` and :mod:`.unsupported`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.responses import Response

from . import sts_api, unsupported
from .authgate import PRINCIPAL
from .destination import (
    QUERY_VERSIONS,
    SERVED,
    STS,
    Destination,
    Protocol,
    classify,
    protocol_of,
)
from .identity import Identity, IdentityResolver
from .invoke import Receive, Scope, Send
from .query import MAX_BODY_BYTES, XML, QueryError, error_xml, parse_params

#: Bodies of refused requests up to this size are read (and dropped) to keep the
#: connection; larger ones end it.
_DISCARD_LIMIT = 8 << 20


class FrontDoor:
    """Answers the requests that are not the platform's own.

    ``resolve`` maps a request's access key to the identity STS reports; the
    application is built with the default (see :mod:`.identity`) until a key store
    supplies its own.
    """

    def __init__(self, resolve: IdentityResolver) -> None:
        self.resolve = resolve

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer the request if it is not for the platform's routes; ``False``
        leaves it to them (nothing has been read or sent)."""
        headers = {
            key.decode("latin-1").lower(): value.decode("latin-1")
            for key, value in scope["headers"]
        }
        query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
        destination = classify(scope["method"], scope["path"], headers, query)
        if destination.kind == "platform":
            return False
        request_id = str(uuid.uuid4())
        if destination.kind == "unsupported":
            assert destination.service is not None and destination.protocol is not None
            operation = headers.get("x-amz-target", "").partition(".")[2] or query.get("Action")
            text = unsupported.message(destination.service, operation)
            content_type = headers.get("content-type")
            response = unsupported.response(destination.protocol, text, request_id, content_type)
            complete = await _discard_body(headers, receive)
        else:
            principal = scope.get(PRINCIPAL)  # set when authenticated: STS names it
            identity = (
                Identity(principal.user_id, principal.account, principal.arn)
                if principal is not None
                else None
            )
            response, complete = await self._query(
                scope, receive, request_id, destination, identity
            )
        if not complete:
            # The rest of the body would be read as the next request: end the
            # connection instead, as AWS does.
            response.headers["connection"] = "close"
        await response(scope, receive, send)
        return True

    async def _query(
        self,
        scope: Scope,
        receive: Receive,
        request_id: str,
        destination: Destination,
        identity: Identity | None = None,
    ) -> tuple[Response, bool]:
        """A Query-protocol request (or any STS request), and whether its body was
        read to the end."""
        body, complete = await _read_body(receive, MAX_BODY_BYTES)
        try:
            if body is None:
                raise QueryError(
                    "RequestEntityTooLarge",
                    413,
                    f"Query request bodies are limited to {MAX_BODY_BYTES} bytes here",
                )
            params = parse_params(scope["query_string"], body)
        except QueryError as exc:
            return self._query_error(exc, request_id, destination.service), complete
        return self._query_answer(params, request_id, destination, identity), complete

    def _query_error(self, exc: QueryError, request_id: str, service: str | None) -> Response:
        if service == STS:
            return sts_api.error_response(exc, request_id)
        if service is not None:  # refused whatever its parameters
            return unsupported.response(
                _protocol(service), unsupported.message(service), request_id
            )
        body = error_xml(exc.aws_type, exc.message, request_id, status=exc.status)
        return Response(body, exc.status, {"x-amzn-RequestId": request_id}, media_type=XML)

    def _query_answer(
        self,
        params: Mapping[str, str],
        request_id: str,
        destination: Destination,
        identity: Identity | None = None,
    ) -> Response:
        """STS's answer, or the refusal of the service the signature or else the
        ``Version`` names."""
        version = params.get("Version")
        # Unsigned and without a Version, a request can only be meant for the one
        # Query API snaplambda serves.
        service = destination.service or (STS if version is None else QUERY_VERSIONS.get(version))
        if service == STS:
            resolve = self.resolve
            if identity is not None:
                known = identity

                def resolve(access_key_id: str | None) -> Identity:
                    return known

            return sts_api.handle(params, destination.access_key_id, resolve, request_id)
        action = params.get("Action")
        if service is None:
            text = (
                f"No AWS Query API of version '{version}' is served by snaplambda "
                f"(action {action}; {unsupported.SERVED_DESCRIPTION})"
            )
            return unsupported.response("query", text, request_id)
        if service in SERVED:  # e.g. CloudWatch, served in its JSON protocol only
            text = unsupported.message(service, action, protocol="Query")
        else:
            text = unsupported.message(service, action)
        return unsupported.response(_protocol(service), text, request_id)


def _protocol(service: str) -> Protocol:
    return protocol_of(service, has_target=False, query_shaped=True)


async def _read_body(receive: Receive, keep: int) -> tuple[bytes | None, bool]:
    """The request body (``None`` if over ``keep`` bytes), and whether it was read
    to the end: beyond ``keep`` it is read and dropped, up to the discard limit."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        more = message.get("more_body", False)
        if size <= keep:
            chunks.append(chunk)
        elif more and size > _DISCARD_LIMIT:
            return None, False
    return (b"".join(chunks) if size <= keep else None), True


async def _discard_body(headers: Mapping[str, str], receive: Receive) -> bool:
    """Read and drop a refused request's body, so the connection can carry the next
    request; ``False`` when it is left unread: too large, or not sent yet because
    the client waits for ``100 Continue`` (which reading would send)."""
    if "100-continue" in headers.get("expect", "").lower():
        return False
    _, complete = await _read_body(receive, keep=0)
    return complete
