"""Lambda's REST API (2015-03-31): functions and reserved concurrency."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..control.arns import parse_function_ref
from ..control.errors import InvalidParameterValue
from ..platform import Platform
from .errors import ApiError, to_rest_response


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status, media_type="application/json")


async def _body(request: Request) -> dict[str, Any]:
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


def _name(request: Request) -> str:
    ref = parse_function_ref(request.path_params["name"], request.query_params.get("Qualifier"))
    return ref.name


class LambdaApi:
    """Handlers bound to one platform."""

    def __init__(self, platform: Platform) -> None:
        self.p = platform
        self.region = platform.config.region
        self.account = platform.config.account_id

    def _config(self, name: str) -> dict[str, Any]:
        return self.p.functions.get(name).to_aws(self.region, self.account)

    async def create_function(self, request: Request) -> Response:
        cfg = self.p.functions.create(await _body(request))
        return _json(cfg.to_aws(self.region, self.account), 201)

    async def list_functions(self, request: Request) -> Response:
        try:
            max_items = int(request.query_params.get("MaxItems", "50"))
        except ValueError as exc:
            raise InvalidParameterValue("MaxItems must be an integer from 1 to 10000") from exc
        if not 1 <= max_items <= 10000:
            raise InvalidParameterValue(f"Value '{max_items}' at 'maxItems' must be 1-10000")
        marker = request.query_params.get("Marker", "")
        functions = [f for f in self.p.functions.list() if f.name > marker]
        page = functions[:max_items]
        body: dict[str, Any] = {"Functions": [f.to_aws(self.region, self.account) for f in page]}
        if len(functions) > max_items:
            body["NextMarker"] = page[-1].name
        return _json(body)

    async def get_function(self, request: Request) -> Response:
        name = _name(request)
        cfg = self.p.functions.get(name)
        body: dict[str, Any] = {
            "Configuration": cfg.to_aws(self.region, self.account),
            "Code": {
                "RepositoryType": "S3",
                "Location": f"file://{self.p.code.path(cfg.code_key)}",
            },
        }
        reserved = self.p.functions.reserved_concurrency(name)
        if reserved is not None:
            body["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
        return _json(body)

    async def get_configuration(self, request: Request) -> Response:
        return _json(self._config(_name(request)))

    async def update_code(self, request: Request) -> Response:
        cfg = self.p.functions.update_code(_name(request), await _body(request))
        return _json(cfg.to_aws(self.region, self.account))

    async def update_configuration(self, request: Request) -> Response:
        cfg = self.p.functions.update_configuration(_name(request), await _body(request))
        return _json(cfg.to_aws(self.region, self.account))

    async def delete_function(self, request: Request) -> Response:
        self.p.functions.delete(_name(request))
        return Response(status_code=204)

    async def put_concurrency(self, request: Request) -> Response:
        name = _name(request)
        body = await _body(request)
        value = body.get("ReservedConcurrentExecutions")
        limit = self.p.config.max_concurrency
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidParameterValue(
                f"Value '{value}' at 'reservedConcurrentExecutions' must be an integer >= 0"
            )
        self.p.functions.get(name)
        others = sum(
            r
            for f in self.p.functions.list()
            if f.name != name and (r := self.p.functions.reserved_concurrency(f.name)) is not None
        )
        # As on AWS, 100 executions stay unreserved (or a tenth of a small limit).
        keep = min(100, limit // 10)
        if value + others > limit - keep:
            raise InvalidParameterValue(
                f"Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{keep}] "
                f"(requested {value}, reserved elsewhere {others}, limit {limit})"
            )
        self.p.store.put_setting(name, "concurrency", {"ReservedConcurrentExecutions": value})
        self.p.pool.set_reserved(name, value)
        return _json({"ReservedConcurrentExecutions": value})

    async def get_concurrency(self, request: Request) -> Response:
        name = _name(request)
        self.p.functions.get(name)
        reserved = self.p.functions.reserved_concurrency(name)
        return _json({} if reserved is None else {"ReservedConcurrentExecutions": reserved})

    async def delete_concurrency(self, request: Request) -> Response:
        name = _name(request)
        self.p.functions.get(name)
        self.p.store.put_setting(name, "concurrency", None)
        self.p.pool.set_reserved(name, None)
        return Response(status_code=204)

    async def account_settings(self, request: Request) -> Response:
        limit = self.p.config.max_concurrency
        reserved = sum(
            r
            for f in self.p.functions.list()
            if (r := self.p.functions.reserved_concurrency(f.name)) is not None
        )
        return _json(
            {
                "AccountLimit": {
                    "ConcurrentExecutions": limit,
                    "UnreservedConcurrentExecutions": limit - reserved,
                    "CodeSizeZipped": 52428800,
                    "CodeSizeUnzipped": 262144000,
                    "TotalCodeSize": 80530636800,
                },
                "AccountUsage": {"FunctionCount": len(self.p.functions.list()), "TotalCodeSize": 0},
            }
        )


def _guard(handler: Any) -> Any:
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)  # type: ignore[no-any-return]
        except Exception as exc:
            return to_rest_response(exc)

    return wrapped


def routes(platform: Platform) -> list[Route]:
    api = LambdaApi(platform)
    fn = "/2015-03-31/functions"
    return [
        Route(fn, _guard(api.create_function), methods=["POST"]),
        Route(fn, _guard(api.list_functions), methods=["GET"]),
        Route(fn + "/", _guard(api.list_functions), methods=["GET"]),
        Route(fn + "/{name}", _guard(api.get_function), methods=["GET"]),
        Route(fn + "/{name}", _guard(api.delete_function), methods=["DELETE"]),
        Route(fn + "/{name}/configuration", _guard(api.get_configuration), methods=["GET"]),
        Route(fn + "/{name}/configuration", _guard(api.update_configuration), methods=["PUT"]),
        Route(fn + "/{name}/code", _guard(api.update_code), methods=["PUT"]),
        Route(
            "/2017-10-31/functions/{name}/concurrency", _guard(api.put_concurrency), methods=["PUT"]
        ),
        Route(
            "/2017-10-31/functions/{name}/concurrency",
            _guard(api.delete_concurrency),
            methods=["DELETE"],
        ),
        Route(
            "/2019-09-30/functions/{name}/concurrency", _guard(api.get_concurrency), methods=["GET"]
        ),
        Route("/2016-08-19/account-settings", _guard(api.account_settings), methods=["GET"]),
        Route("/2016-08-19/account-settings/", _guard(api.account_settings), methods=["GET"]),
    ]
