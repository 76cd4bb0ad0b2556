"""Lambda's REST API (2019-09-25): event invoke configurations.

``/2019-09-25/functions/{FunctionName}/event-invoke-config`` (Put, Get, Update,
Delete) and ``.../event-invoke-config/list`` (ListFunctionEventInvokeConfigs).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..platform import Platform
from .rest import function_ref, guard, json_response, max_items, paginate, read_body


class EventConfigApi:
    """Handlers bound to one platform."""

    def __init__(self, platform: Platform) -> None:
        self.configs = platform.event_configs
        self.region = platform.config.region
        self.account = platform.config.account_id

    async def put(self, request: Request) -> Response:
        cfg = self.configs.put(function_ref(request), await read_body(request))
        return json_response(cfg.to_aws(self.region, self.account))

    async def update(self, request: Request) -> Response:
        cfg = self.configs.update(function_ref(request), await read_body(request))
        return json_response(cfg.to_aws(self.region, self.account))

    async def get(self, request: Request) -> Response:
        cfg = self.configs.get(function_ref(request))
        return json_response(cfg.to_aws(self.region, self.account))

    async def delete(self, request: Request) -> Response:
        self.configs.delete(function_ref(request))
        return Response(status_code=204)

    async def list(self, request: Request) -> Response:
        configs = [
            c.to_aws(self.region, self.account)
            for c in self.configs.list(function_ref(request).name)
        ]
        marker = request.query_params.get("Marker", "")
        page, last = paginate(
            configs, max_items(request), lambda c: not marker or c["FunctionArn"] > marker
        )
        body: dict[str, Any] = {"FunctionEventInvokeConfigs": page}
        if last is not None:
            body["NextMarker"] = last["FunctionArn"]
        return json_response(body)


def routes(platform: Platform) -> list[Route]:
    api = EventConfigApi(platform)
    path = "/2019-09-25/functions/{name}/event-invoke-config"
    return [
        Route(path, guard(api.put), methods=["PUT"]),
        Route(path, guard(api.update), methods=["POST"]),
        Route(path, guard(api.get), methods=["GET"]),
        Route(path, guard(api.delete), methods=["DELETE"]),
        Route(path + "/list", guard(api.list), methods=["GET"]),
    ]
