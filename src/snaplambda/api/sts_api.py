"""AWS STS (2011-06-15, Query protocol): ``GetCallerIdentity``, which Terraform, CDK,
``sam deploy`` and many scripts call first to learn the account.

Every other action is answered with an ``InvalidAction`` error naming it.  The
identity comes from an :data:`~.identity.IdentityResolver` given the access key the
request was signed with.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from .identity import IdentityResolver
from .query import XML, QueryError, error_xml, result_xml

VERSION = "2011-06-15"
NAMESPACE = f"https://sts.amazonaws.com/doc/{VERSION}/"
IMPLEMENTED = ("GetCallerIdentity",)


def handle(
    params: Mapping[str, str],
    access_key_id: str | None,
    resolve: IdentityResolver,
    request_id: str,
) -> Response:
    """Answer one STS request; errors come back as Query ``<ErrorResponse>``s."""
    try:
        body = _dispatch(params, access_key_id, resolve, request_id)
    except QueryError as exc:
        return error_response(exc, request_id)
    return Response(body, 200, {"x-amzn-RequestId": request_id}, media_type=XML)


def error_response(exc: QueryError, request_id: str) -> Response:
    """``exc`` as STS's ``<ErrorResponse>``."""
    body = error_xml(exc.aws_type, exc.message, request_id, status=exc.status, namespace=NAMESPACE)
    return Response(body, exc.status, {"x-amzn-RequestId": request_id}, media_type=XML)


def _dispatch(
    params: Mapping[str, str],
    access_key_id: str | None,
    resolve: IdentityResolver,
    request_id: str,
) -> bytes:
    action = params.get("Action")
    if not action:
        raise QueryError("MissingAction", 400, "The request must contain the parameter Action")
    version = params.get("Version")
    # A missing Version is accepted (SDKs always send it; hand-written requests may not).
    if version is not None and version != VERSION:
        raise QueryError(
            "InvalidAction",
            400,
            f"Could not find operation {action} for version {version}: STS's API "
            f"version is {VERSION}",
        )
    if action != "GetCallerIdentity":
        raise QueryError(
            "InvalidAction",
            400,
            f"The STS action '{action}' is not supported by snaplambda (it implements "
            f"{', '.join(IMPLEMENTED)} only)",
        )
    identity = resolve(access_key_id)
    fields = {"UserId": identity.user_id, "Account": identity.account, "Arn": identity.arn}
    return result_xml(action, fields, request_id, NAMESPACE)
