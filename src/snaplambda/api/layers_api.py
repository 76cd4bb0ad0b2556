"""Lambda's REST API (2018-10-31): layers.

``/2018-10-31/layers`` (ListLayers, and GetLayerVersionByArn with
``?find=LayerVersion&Arn=...``), ``.../layers/{LayerName}/versions``
(PublishLayerVersion, ListLayerVersions) and ``.../versions/{VersionNumber}``
(GetLayerVersion, DeleteLayerVersion).  ``LayerName`` may be the layer's ARN.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..control.arns import layer_arn, parse_layer_name
from ..control.errors import InvalidParameterValue
from ..control.layers import LayerVersion
from ..platform import Platform
from .rest import guard, json_response, max_items, paginate, read_body
from .uploads import stored_off_loop


def _version_number(request: Request) -> int:
    raw = request.path_params["version"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise InvalidParameterValue(
            f"Value '{raw}' at 'versionNumber' is not valid: expected a layer version number"
        )
    return int(raw)


class LayersApi:
    """Layer handlers bound to one platform."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.layers = platform.layers
        self.region = platform.config.region
        self.account = platform.config.account_id

    def _full(self, layer: LayerVersion) -> dict[str, Any]:
        return layer.to_aws(self.region, self.account, self.layers.location(layer))

    async def publish(self, request: Request) -> Response:
        body = await read_body(request)
        parse_layer_name(request.path_params["name"])
        async with stored_off_loop(self.platform, body.get("Content")):
            layer = self.layers.publish(request.path_params["name"], body)
        return json_response(self._full(layer), 201)

    async def get_version(self, request: Request) -> Response:
        layer = self.layers.get(request.path_params["name"], _version_number(request))
        return json_response(self._full(layer))

    async def delete_version(self, request: Request) -> Response:
        self.layers.delete(request.path_params["name"], _version_number(request))
        self.platform.sweep_code()
        return Response(status_code=204)

    async def list_versions(self, request: Request) -> Response:
        query = request.query_params
        versions = self.layers.list_versions(
            request.path_params["name"],
            query.get("CompatibleRuntime"),
            query.get("CompatibleArchitecture"),
        )
        marker = query.get("Marker")
        below = int(marker) if marker and marker.isdigit() else None
        page, last = paginate(
            versions, max_items(request), lambda v: below is None or v.version < below
        )
        body: dict[str, Any] = {
            "LayerVersions": [v.list_item(self.region, self.account) for v in page]
        }
        if last is not None:
            body["NextMarker"] = str(last.version)
        return json_response(body)

    async def layers_root(self, request: Request) -> Response:
        """ListLayers, or GetLayerVersionByArn when ``find=LayerVersion``."""
        query = request.query_params
        if query.get("find") == "LayerVersion":
            return json_response(self._full(self.layers.get_by_arn(query.get("Arn", ""))))
        latest = self.layers.list_layers(
            query.get("CompatibleRuntime"), query.get("CompatibleArchitecture")
        )
        marker = query.get("Marker", "")
        page, last = paginate(latest, max_items(request), lambda v: v.name > marker)
        body: dict[str, Any] = {
            "Layers": [
                {
                    "LayerName": v.name,
                    "LayerArn": layer_arn(self.region, self.account, v.name),
                    "LatestMatchingVersion": v.list_item(self.region, self.account),
                }
                for v in page
            ]
        }
        if last is not None:
            body["NextMarker"] = last.name
        return json_response(body)


def routes(platform: Platform) -> list[Route]:
    """The layer routes of ``platform``."""
    api = LayersApi(platform)
    base = "/2018-10-31/layers"
    versions = base + "/{name}/versions"
    return [
        Route(base, guard(api.layers_root), methods=["GET"]),
        Route(base + "/", guard(api.layers_root), methods=["GET"]),
        Route(versions, guard(api.publish), methods=["POST"]),
        Route(versions, guard(api.list_versions), methods=["GET"]),
        Route(versions + "/{version}", guard(api.get_version), methods=["GET"]),
        Route(versions + "/{version}", guard(api.delete_version), methods=["DELETE"]),
    ]
