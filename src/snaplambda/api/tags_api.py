"""Lambda's tagging API (2017-03-31): TagResource, UntagResource and ListTags on
``/2017-03-31/tags/{ARN}``, over :class:`~..control.tags.TagService`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..platform import Platform
from .rest import guard, json_response, read_body


class TagsApi:
    """Tag handlers bound to one platform."""

    def __init__(self, platform: Platform) -> None:
        self.p = platform

    @staticmethod
    def _arn(request: Request) -> str:
        return str(request.path_params["resource"])

    async def tag(self, request: Request) -> Response:
        self.p.tags.tag(self._arn(request), await read_body(request))
        return Response(status_code=204)

    async def untag(self, request: Request) -> Response:
        self.p.tags.untag(self._arn(request), request.query_params.getlist("tagKeys"))
        return Response(status_code=204)

    async def list(self, request: Request) -> Response:
        return json_response({"Tags": self.p.tags.list(self._arn(request))})


def routes(platform: Platform) -> list[Route]:
    """The tag routes of ``platform``.  ``:path`` lets a malformed ARN with a ``/``
    reach the handler, which names what is wrong with it."""
    api = TagsApi(platform)
    path = "/2017-03-31/tags/{resource:path}"
    return [
        Route(path, guard(api.tag), methods=["POST"]),
        Route(path, guard(api.untag), methods=["DELETE"]),
        Route(path, guard(api.list), methods=["GET"]),
    ]
