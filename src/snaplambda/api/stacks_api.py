"""snaplambda's stack records (beyond AWS): which SAM deploy owns which resources.

``GET /2026-snaplambda/stacks`` lists them (``?PhysicalResourceId=X``: only the
stack holding X); ``GET``, ``PUT`` (``{"Resources": [...], "Outputs": [...]}``) and
``DELETE`` of ``/2026-snaplambda/stacks/{name}`` read, replace and forget one.
Deleting a record deletes none of its resources: ``snaplambda delete`` does that
first, through Lambda's own API.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..platform import Platform
from .rest import guard, json_response, read_body

BASE = "/2026-snaplambda/stacks"


def routes(platform: Platform) -> list[Route]:
    """The stack routes of ``platform``."""
    stacks = platform.stacks

    async def list_stacks(request: Request) -> Response:
        found = stacks.list(request.query_params.get("PhysicalResourceId"))
        return json_response({"Stacks": [stack.to_aws() for stack in found]})

    async def get_stack(request: Request) -> Response:
        return json_response(stacks.get(request.path_params["name"]).to_aws())

    async def put_stack(request: Request) -> Response:
        stack = stacks.put(request.path_params["name"], await read_body(request))
        return json_response(stack.to_aws())

    async def delete_stack(request: Request) -> Response:
        stacks.delete(request.path_params["name"])
        return Response(status_code=204)

    return [
        Route(BASE, guard(list_stacks), methods=["GET"]),
        Route(BASE + "/{name}", guard(get_stack), methods=["GET"]),
        Route(BASE + "/{name}", guard(put_stack), methods=["PUT"]),
        Route(BASE + "/{name}", guard(delete_stack), methods=["DELETE"]),
    ]
