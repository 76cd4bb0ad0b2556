"""Lambda's REST API (2015-03-31): functions and reserved concurrency.

Versions and aliases are served by :mod:`.versions_api`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..control.arns import function_arn
from ..control.errors import InvalidParameterValue
from ..control.models import FunctionConfig
from ..control.validation import validate_name
from ..platform import Platform
from .rest import function_ref, guard, json_response, max_items, paginate, read_body
from .uploads import stored_off_loop


def _name(request: Request) -> str:
    return function_ref(request).name


class LambdaApi:
    """Handlers bound to one platform."""

    def __init__(self, platform: Platform) -> None:
        self.p = platform
        self.region = platform.config.region
        self.account = platform.config.account_id

    def _describe(self, cfg: FunctionConfig, qualifier: str | None) -> dict[str, Any]:
        """``FunctionConfiguration``; asked for with a qualifier (version or alias),
        its ARN carries that qualifier."""
        doc = cfg.to_aws(self.region, self.account)
        if qualifier:
            doc["FunctionArn"] = function_arn(self.region, self.account, cfg.name, qualifier)
        return doc

    def _lookup(self, request: Request) -> tuple[FunctionConfig, str | None]:
        ref = function_ref(request)
        return self.p.aliases.resolve(ref.name, ref.qualifier), ref.qualifier

    async def create_function(self, request: Request) -> Response:
        body = await read_body(request)
        validate_name(body.get("FunctionName"))
        async with stored_off_loop(self.p, body.get("Code")):
            cfg = self.p.functions.create(body)
        if body.get("Publish"):
            cfg = self.p.versions.publish(cfg.name, {})
        return json_response(cfg.to_aws(self.region, self.account), 201)

    async def list_functions(self, request: Request) -> Response:
        marker = request.query_params.get("Marker", "")
        functions = self.p.functions.list()
        page, last = paginate(functions, max_items(request), lambda f: f.name > marker)
        body: dict[str, Any] = {"Functions": [f.to_aws(self.region, self.account) for f in page]}
        if last is not None:
            body["NextMarker"] = last.name
        return json_response(body)

    async def get_function(self, request: Request) -> Response:
        cfg, qualifier = self._lookup(request)
        name = cfg.name
        body: dict[str, Any] = {
            "Configuration": self._describe(cfg, qualifier),
            "Code": {
                "RepositoryType": "S3",
                "Location": f"file://{self.p.code.path(cfg.code_key)}",
            },
        }
        reserved = self.p.functions.reserved_concurrency(name)
        if reserved is not None:
            body["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
        return json_response(body)

    async def get_configuration(self, request: Request) -> Response:
        return json_response(self._describe(*self._lookup(request)))

    async def update_code(self, request: Request) -> Response:
        body = await read_body(request)
        self.p.functions.get(_name(request))
        async with stored_off_loop(self.p, body.get("ZipFile")):
            cfg = self.p.functions.update_code(_name(request), body)
        if body.get("Publish"):
            cfg = self.p.versions.publish(cfg.name, {})
        return json_response(cfg.to_aws(self.region, self.account))

    async def update_configuration(self, request: Request) -> Response:
        cfg = self.p.functions.update_configuration(_name(request), await read_body(request))
        return json_response(cfg.to_aws(self.region, self.account))

    async def delete_function(self, request: Request) -> Response:
        """The whole function, or with a qualifier only that version."""
        ref = function_ref(request)
        if ref.qualifier is None:
            self.p.functions.delete(ref.name)
        else:
            self.p.versions.delete(ref.name, ref.qualifier)
        return Response(status_code=204)

    async def put_concurrency(self, request: Request) -> Response:
        name = _name(request)
        body = await read_body(request)
        value = body.get("ReservedConcurrentExecutions")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidParameterValue(
                f"Value '{value}' at 'reservedConcurrentExecutions' must be an integer >= 0"
            )
        self.p.functions.get(name)
        self.p.provisioned.check_reservation(name, value)
        self.p.store.put_setting(name, "concurrency", {"ReservedConcurrentExecutions": value})
        self.p.pool.set_reserved(name, value)
        return json_response({"ReservedConcurrentExecutions": value})

    async def get_concurrency(self, request: Request) -> Response:
        name = _name(request)
        self.p.functions.get(name)
        reserved = self.p.functions.reserved_concurrency(name)
        return json_response({} if reserved is None else {"ReservedConcurrentExecutions": reserved})

    async def delete_concurrency(self, request: Request) -> Response:
        name = _name(request)
        self.p.functions.get(name)
        self.p.store.put_setting(name, "concurrency", None)
        self.p.pool.set_reserved(name, None)
        return Response(status_code=204)

    async def account_settings(self, request: Request) -> Response:
        limit = self.p.config.max_concurrency
        reserved = sum(self.p.provisioned.reservations().values())
        return json_response(
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


def routes(platform: Platform) -> list[Route]:
    api = LambdaApi(platform)
    fn = "/2015-03-31/functions"
    return [
        Route(fn, guard(api.create_function), methods=["POST"]),
        Route(fn, guard(api.list_functions), methods=["GET"]),
        Route(fn + "/", guard(api.list_functions), methods=["GET"]),
        Route(fn + "/{name}", guard(api.get_function), methods=["GET"]),
        Route(fn + "/{name}", guard(api.delete_function), methods=["DELETE"]),
        Route(fn + "/{name}/configuration", guard(api.get_configuration), methods=["GET"]),
        Route(fn + "/{name}/configuration", guard(api.update_configuration), methods=["PUT"]),
        Route(fn + "/{name}/code", guard(api.update_code), methods=["PUT"]),
        Route(
            "/2017-10-31/functions/{name}/concurrency", guard(api.put_concurrency), methods=["PUT"]
        ),
        Route(
            "/2017-10-31/functions/{name}/concurrency",
            guard(api.delete_concurrency),
            methods=["DELETE"],
        ),
        Route(
            "/2019-09-30/functions/{name}/concurrency", guard(api.get_concurrency), methods=["GET"]
        ),
        Route("/2016-08-19/account-settings", guard(api.account_settings), methods=["GET"]),
        Route("/2016-08-19/account-settings/", guard(api.account_settings), methods=["GET"]),
    ]
