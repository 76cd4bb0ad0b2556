"""Stored X-Ray traces over HTTP (what ``snaplambda traces`` reads):
``GET /_snaplambda/traces`` lists recent traces, ``GET /_snaplambda/traces/{id}``
gives one trace's segments and its flattened timeline."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..observability.traces import flatten
from ..platform import Platform
from .errors import ApiError, to_json_response
from .fields import query_int


def routes(platform: Platform) -> list[Route]:
    store = platform.traces

    async def listing(request: Request) -> Response:
        try:
            limit = query_int(request.query_params, "limit", 20, 1, 1000)
        except ApiError as exc:
            return to_json_response(exc)
        function = request.query_params.get("function") or None
        await asyncio.to_thread(store.sync)
        found = await asyncio.to_thread(store.traces, function, limit)
        return JSONResponse(
            {
                "Traces": [
                    {
                        "Id": t.trace_id,
                        "Name": t.name,
                        "Start": t.start,
                        "Duration": t.duration,
                        "Segments": t.segments,
                        "HasFault": t.error,
                    }
                    for t in found
                ]
            }
        )

    async def one(request: Request) -> Response:
        trace_id = request.path_params["trace_id"]
        await asyncio.to_thread(store.sync)
        segments = await asyncio.to_thread(store.segments, trace_id)
        if not segments:
            return to_json_response(
                ApiError("ResourceNotFoundException", 404, f"Trace not found: {trace_id}")
            )
        return JSONResponse(
            {
                "Id": trace_id,
                "Segments": segments,
                "Timeline": [s.to_doc() for s in flatten(segments)],
            }
        )

    return [
        Route("/_snaplambda/traces", listing, methods=["GET"]),
        Route("/_snaplambda/traces/{trace_id}", one, methods=["GET"]),
    ]
