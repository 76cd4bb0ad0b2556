"""Lambda's REST API (2015-03-31): function versions and aliases.

``/2015-03-31/functions/{FunctionName}/versions`` (PublishVersion,
ListVersionsByFunction) and ``.../aliases[/{Name}]`` (CreateAlias, ListAliases,
GetAlias, UpdateAlias, DeleteAlias).  A qualifier in ``FunctionName`` is ignored
here: these operations act on the function.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..control.aliases import validate_alias_name, validate_function_version
from ..control.arns import function_arn
from ..control.errors import InvalidParameterValue
from ..control.models import LATEST, FunctionConfig
from ..control.versions import is_version_number
from ..platform import Platform
from .rest import function_ref, guard, json_response, max_items, paginate, read_body


def _version_rank(version: str) -> int:
    """Listing order: $LATEST first, then by number."""
    return 0 if version == LATEST else int(version)


class VersionsApi:
    """Version and alias handlers bound to one platform."""

    def __init__(self, platform: Platform) -> None:
        self.p = platform
        self.region = platform.config.region
        self.account = platform.config.account_id

    # -- versions ------------------------------------------------------------

    async def publish_version(self, request: Request) -> Response:
        name = function_ref(request).name
        cfg = self.p.versions.publish(name, await read_body(request))
        return json_response(cfg.to_aws(self.region, self.account), 201)

    def _listed(self, cfg: FunctionConfig) -> dict[str, Any]:
        # Listed versions carry qualified ARNs, $LATEST's included, as on AWS.
        doc = cfg.to_aws(self.region, self.account)
        doc["FunctionArn"] = function_arn(self.region, self.account, cfg.name, cfg.version)
        return doc

    async def list_versions(self, request: Request) -> Response:
        name = function_ref(request).name
        marker = request.query_params.get("Marker")
        rank = -1
        if marker:
            if marker != LATEST and not is_version_number(marker):
                raise InvalidParameterValue(
                    f"Value '{marker}' at 'marker' is not valid: pass the NextMarker of the "
                    "previous page"
                )
            rank = _version_rank(marker)
        versions = self.p.versions.list(name)
        page, last = paginate(
            versions, max_items(request), lambda c: _version_rank(c.version) > rank
        )
        body: dict[str, Any] = {"Versions": [self._listed(c) for c in page]}
        if last is not None:
            body["NextMarker"] = last.version
        return json_response(body)

    # -- aliases ---------------------------------------------------------------

    def _alias_name(self, request: Request) -> str:
        return validate_alias_name(request.path_params["alias"])

    async def create_alias(self, request: Request) -> Response:
        name = function_ref(request).name
        alias = self.p.aliases.create(name, await read_body(request))
        return json_response(alias.to_aws(self.region, self.account), 201)

    async def list_aliases(self, request: Request) -> Response:
        name = function_ref(request).name
        version = request.query_params.get("FunctionVersion")
        if version is not None:
            version = validate_function_version(version)
        marker = request.query_params.get("Marker", "")
        aliases = self.p.aliases.list(name, version)
        page, last = paginate(aliases, max_items(request), lambda a: a.name > marker)
        body: dict[str, Any] = {"Aliases": [a.to_aws(self.region, self.account) for a in page]}
        if last is not None:
            body["NextMarker"] = last.name
        return json_response(body)

    async def get_alias(self, request: Request) -> Response:
        alias = self.p.aliases.get(function_ref(request).name, self._alias_name(request))
        return json_response(alias.to_aws(self.region, self.account))

    async def update_alias(self, request: Request) -> Response:
        name = function_ref(request).name
        alias = self.p.aliases.update(name, self._alias_name(request), await read_body(request))
        return json_response(alias.to_aws(self.region, self.account))

    async def delete_alias(self, request: Request) -> Response:
        self.p.aliases.delete(function_ref(request).name, self._alias_name(request))
        return Response(status_code=204)


def routes(platform: Platform) -> list[Route]:
    """The version and alias routes of ``platform``."""
    api = VersionsApi(platform)
    fn = "/2015-03-31/functions/{name}"
    return [
        Route(fn + "/versions", guard(api.publish_version), methods=["POST"]),
        Route(fn + "/versions", guard(api.list_versions), methods=["GET"]),
        Route(fn + "/aliases", guard(api.create_alias), methods=["POST"]),
        Route(fn + "/aliases", guard(api.list_aliases), methods=["GET"]),
        Route(fn + "/aliases/{alias}", guard(api.get_alias), methods=["GET"]),
        Route(fn + "/aliases/{alias}", guard(api.update_alias), methods=["PUT"]),
        Route(fn + "/aliases/{alias}", guard(api.delete_alias), methods=["DELETE"]),
    ]
