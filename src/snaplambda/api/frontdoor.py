"""The door in front of the platform's routes: STS, and every AWS service snaplambda
does not serve, answered before the router sees the request.

Which service a request is for is decided by :mod:`.destination` (pure); this
module reads what that needs off the ASGI scope, reads Query bodies, and sends
the answers of :mod:`.sts_api` and :mod:`.unsupported`.
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

from starlette.responses import Response

from . import sts_api, unsupported
from .destination import (
    QUERY_VERSIONS,
    SERVED,
    STS,
    Destination,
    Protocol,
    classify,
    protocol_of,
)
from .identity import IdentityResolver
from .invoke import Receive, Scope, Send
from .query import MAX_BODY_BYTES, XML, QueryError, error_xml, parse_params


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
        else:
            response = await self._query(scope, receive, request_id, destination)
        await response(scope, receive, send)
        return True

    async def _query(
        self,
        scope: Scope,
        receive: Receive,
        request_id: str,
        destination: Destination,
    ) -> Response:
        """A Query-protocol request (or any STS request): STS's own, or another
        service's - named by the signature or else by its ``Version`` - refused."""
        known = destination.service
        try:
            params = parse_params(scope["query_string"], await _read_body(receive))
        except QueryError as exc:
            if known == STS:
                return sts_api.error_response(exc, request_id)
            if known is not None:  # the service is refused, whatever its parameters
                return unsupported.response(
                    _protocol(known), unsupported.message(known), request_id
                )
            body = error_xml(exc.aws_type, exc.message, request_id, status=exc.status)
            return Response(body, exc.status, {"x-amzn-RequestId": request_id}, media_type=XML)
        version = params.get("Version")
        # Unsigned and without a Version, a request can only be meant for the one
        # Query API snaplambda serves.
        service = known or (STS if version is None else QUERY_VERSIONS.get(version))
        if service == STS:
            return sts_api.handle(params, destination.access_key_id, self.resolve, request_id)
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


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise QueryError(
                "RequestEntityTooLarge",
                413,
                f"Query request bodies are limited to {MAX_BODY_BYTES} bytes here",
            )
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)
