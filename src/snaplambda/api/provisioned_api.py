"""Lambda's REST API (2019-09-30): provisioned concurrency configurations.

``PUT|GET|DELETE /2019-09-30/functions/{FunctionName}/provisioned-concurrency?Qualifier=q``
and ``GET ...?List=ALL`` (ListProvisionedConcurrencyConfigs).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..control.errors import InvalidParameterValue
from ..platform import Platform
from .rest import function_ref, guard, json_response, paginate, read_body


def routes(platform: Platform) -> list[Route]:
    service = platform.provisioned

    async def put(request: Request) -> Response:
        ref = function_ref(request)
        doc = service.put(ref.name, ref.qualifier, await read_body(request))
        return json_response(doc, 202)

    async def get(request: Request) -> Response:
        ref = function_ref(request)
        if request.query_params.get("List") == "ALL":
            return _list(request, ref.name)
        return json_response(service.describe(service.get(ref.name, ref.qualifier)))

    def _list(request: Request, name: str) -> Response:
        try:
            limit = int(request.query_params.get("MaxItems", "50"))
        except ValueError as exc:
            raise InvalidParameterValue("MaxItems must be an integer from 1 to 50") from exc
        if not 1 <= limit <= 50:
            raise InvalidParameterValue(f"Value '{limit}' at 'maxItems' must be 1-50")
        marker = request.query_params.get("Marker", "")
        page, last = paginate(service.list(name), limit, lambda c: c.qualifier > marker)
        body: dict[str, Any] = {
            "ProvisionedConcurrencyConfigs": [service.describe(c, with_arn=True) for c in page]
        }
        if last is not None:
            body["NextMarker"] = last.qualifier
        return json_response(body)

    async def delete(request: Request) -> Response:
        ref = function_ref(request)
        service.delete(ref.name, ref.qualifier)
        return Response(status_code=204)

    path = "/2019-09-30/functions/{name}/provisioned-concurrency"
    return [
        Route(path, guard(put), methods=["PUT"]),
        Route(path, guard(get), methods=["GET"]),
        Route(path, guard(delete), methods=["DELETE"]),
    ]
