"""snaplambda's own admin API (beyond AWS) for asynchronous invocation: the
dead-letter store.

``GET /_snaplambda/dlq[?FunctionName=f]`` lists dead letters;
``POST /_snaplambda/dlq/redrive`` with ``{"Ids": [...]}`` or ``{"All": true}``
queues them again as fresh events.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..asyncinvoke.queue import DeadLetter
from ..control.errors import InvalidParameterValue
from ..platform import Platform
from .rest import guard, json_response, read_body


def _payload(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"base64": base64.b64encode(raw).decode()}


def _describe(letter: DeadLetter) -> dict[str, Any]:
    return {
        "Id": letter.id,
        "FunctionName": letter.function,
        "Qualifier": letter.qualifier,
        "Payload": _payload(letter.payload),
        "EnqueuedAt": letter.enqueued_at,
        "FailedAt": letter.failed_at,
        "Attempts": letter.attempts,
        "Condition": letter.condition,
        "Error": letter.error,
    }


def routes(platform: Platform) -> list[Route]:
    worker = platform.async_worker

    async def list_dead_letters(request: Request) -> Response:
        function = request.query_params.get("FunctionName") or None
        letters = worker.queue.dead_letters(function)
        return json_response({"DeadLetters": [_describe(d) for d in letters]})

    async def redrive(request: Request) -> Response:
        body = await read_body(request)
        ids = body.get("Ids")
        if body.get("All") is True:
            found = worker.redrive(None)
        elif isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids):
            found = worker.redrive(ids)
        else:
            raise InvalidParameterValue('Pass {"Ids": ["<id>", ...]} or {"All": true}')
        return json_response({"Redriven": found})

    return [
        Route("/_snaplambda/dlq", guard(list_dead_letters), methods=["GET"]),
        Route("/_snaplambda/dlq/redrive", guard(redrive), methods=["POST"]),
    ]
