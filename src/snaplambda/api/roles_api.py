"""The policies of function roles (beyond AWS, which keeps them in IAM):
``PUT``, ``GET`` and ``DELETE /2026-snaplambda/role-policies/{role}``, where
``role`` is a role ARN or name and the ``PUT`` body is an IAM policy document.
SAM deploys put a function's inline ``Policies`` here; see docs/security.md."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..auth.policy import PolicyError
from ..platform import Platform
from .errors import ApiError
from .rest import guard, json_response, read_body

BASE = "/2026-snaplambda/role-policies"


def routes(platform: Platform) -> list[Route]:
    """The role-policy routes of ``platform``."""
    roles = platform.role_policies

    async def put(request: Request) -> Response:
        role = request.path_params["role"]
        document = await read_body(request)
        try:
            roles.put(role, document)
        except PolicyError as exc:
            raise ApiError("MalformedPolicyDocumentException", 400, str(exc)) from exc
        return json_response({"RoleName": role, "PolicyDocument": document})

    async def get(request: Request) -> Response:
        role = request.path_params["role"]
        document = roles.document(role)
        if document is None:
            raise ApiError("NoSuchEntityException", 404, f"The role {role} has no policy here")
        return json_response({"RoleName": role, "PolicyDocument": document})

    async def delete(request: Request) -> Response:
        role = request.path_params["role"]
        if not roles.delete(role):
            raise ApiError("NoSuchEntityException", 404, f"The role {role} has no policy here")
        return Response(status_code=204)

    path = BASE + "/{role:path}"
    return [
        Route(path, guard(put), methods=["PUT"]),
        Route(path, guard(get), methods=["GET"]),
        Route(path, guard(delete), methods=["DELETE"]),
    ]
