"""Lambda's REST API (2015-03-31): functions and reserved concurrency.

Versions and aliases are served by :mod:`.versions_api`."""

from __future__ import annotations

import sys
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..control.arns import function_arn
from ..control.errors import InvalidParameterValue, ValidationError
from ..control.models import LATEST, FunctionConfig
from ..control.quotas import TOTAL_CODE_MAX_BYTES, UNZIPPED_MAX_BYTES, ZIP_MAX_BYTES
from ..control.validation import validate_name
from ..control.versions import is_version_number
from ..platform import Platform
from .rest import function_ref, guard, json_response, max_items, paginate, read_body
from .uploads import stored_off_loop

#: FunctionConfiguration members GetFunction has and ListFunctions leaves out.
_NOT_LISTED = (
    "State",
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatus",
    "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode",
    "RuntimeVersionConfig",
)


def _name(request: Request) -> str:
    return function_ref(request).name


def _list_key(cfg: FunctionConfig) -> tuple[str, int]:
    """ListFunctions order: by name, then $LATEST, then by version number."""
    return cfg.name, 0 if cfg.version == LATEST else int(cfg.version)


def _after_marker(marker: str | None) -> tuple[str, int]:
    """The list key a ``Marker`` (``name``, or ``name:version`` for
    ``FunctionVersion=ALL``) ends at; a bare name ends after all of its versions."""
    if not marker:
        return "", -1
    name, _, version = marker.partition(":")
    if not version:
        return name, sys.maxsize
    if version != LATEST and not is_version_number(version):
        raise InvalidParameterValue(
            f"Value '{marker}' at 'marker' is not valid: pass the NextMarker of the previous page"
        )
    return name, 0 if version == LATEST else int(version)


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
        tags = self.p.tags.checked(body.get("Tags"))
        async with stored_off_loop(self.p, body.get("Code")):
            cfg = self.p.functions.create(body)
        self.p.tags.on_create(cfg.name, tags)
        if body.get("Publish"):
            cfg = self.p.versions.publish(cfg.name, {})
        return json_response(cfg.to_aws(self.region, self.account), 201)

    def _listed(self, cfg: FunctionConfig, qualified: bool) -> dict[str, Any]:
        """A ListFunctions entry: the subset of the configuration AWS lists (no
        state, update status or runtime version: those only GetFunction gives)."""
        doc = cfg.to_aws(self.region, self.account)
        for member in _NOT_LISTED:
            doc.pop(member, None)
        if qualified:
            doc["FunctionArn"] = function_arn(self.region, self.account, cfg.name, cfg.version)
        return doc

    async def list_functions(self, request: Request) -> Response:
        """$LATEST of every function by name; with ``FunctionVersion=ALL`` each
        function's published versions follow its $LATEST, every ARN qualified."""
        query = request.query_params
        version = query.get("FunctionVersion")
        if version is not None and version != "ALL":
            raise ValidationError(
                f"1 validation error detected: Value '{version}' at 'functionVersion' failed "
                "to satisfy constraint: Member must satisfy enum value set: [ALL]"
            )
        limit = max_items(request)
        if query.get("MasterRegion") is not None:
            if version != "ALL":
                raise InvalidParameterValue(
                    f"Value '{query['MasterRegion']}' at 'masterRegion' needs "
                    "FunctionVersion=ALL (it lists Lambda@Edge replicas)"
                )
            # Only Lambda@Edge replicas carry a master region; none exist here.
            return json_response({"Functions": []})
        everything = version == "ALL"
        configs = self.p.versions.all() if everything else self.p.functions.list()
        after = _after_marker(query.get("Marker"))
        page, last = paginate(configs, limit, lambda c: _list_key(c) > after)
        body: dict[str, Any] = {"Functions": [self._listed(c, everything) for c in page]}
        if last is not None:
            body["NextMarker"] = f"{last.name}:{last.version}" if everything else last.name
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
        tags = self.p.tags.of(name)  # the function's, whichever version was asked for
        if tags:
            body["Tags"] = tags
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
        """Limits, and usage as AWS counts it: every function version's code
        ($LATEST and each published version, even when they share a zip) plus every
        layer version's."""
        limit = self.p.config.max_concurrency
        reserved = sum(self.p.provisioned.reservations().values())
        code = sum(cfg.code_size for cfg in self.p.versions.all())
        return json_response(
            {
                "AccountLimit": {
                    "ConcurrentExecutions": limit,
                    "UnreservedConcurrentExecutions": limit - reserved,
                    "CodeSizeZipped": ZIP_MAX_BYTES,
                    "CodeSizeUnzipped": UNZIPPED_MAX_BYTES,
                    "TotalCodeSize": TOTAL_CODE_MAX_BYTES,
                },
                "AccountUsage": {
                    "FunctionCount": len(self.p.functions.list()),
                    "TotalCodeSize": code + self.p.layers.total_code_size(),
                },
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
