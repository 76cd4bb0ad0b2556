"""Answers to requests meant for AWS services snaplambda does not serve.

An SDK pointed at snaplambda for S3, DynamoDB, SQS, ... must get an error it can
parse - in its own service's protocol - saying plainly that snaplambda lacks that
service, not a Lambda-shaped body it chokes on.  Every answer is a 400 (the
request is one this endpoint cannot serve; nothing failed on the server), with a
code each protocol's clients know for "no such operation here":

=========  ==========================  ======================================
protocol   code                        shape
=========  ==========================  ======================================
query      ``InvalidAction``           ``<ErrorResponse><Error><Type>Sender``
ec2        ``InvalidAction``           ``<Response><Errors><Error>``
json       ``UnknownOperationException``  ``{"__type", "message"}``
rest-json  ``UnknownOperationException``  ``x-amzn-ErrorType`` + ``{"message"}``
rest-xml   ``NotImplemented``          ``<Error><Code>`` (S3's shape)
=========  ==========================  ======================================
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from .destination import Protocol
from .query import XML, ec2_error_xml, element, error_xml

STATUS = 400
CODES: dict[Protocol, str] = {
    "query": "InvalidAction",
    "ec2": "InvalidAction",
    "json": "UnknownOperationException",
    "rest-json": "UnknownOperationException",
    "rest-xml": "NotImplemented",
}
SERVED_DESCRIPTION = (
    "it serves Lambda, CloudWatch Logs, CloudWatch metrics, Application Auto Scaling, "
    "EventBridge scheduled rules, EventBridge Scheduler and STS GetCallerIdentity"
)


def message(service: str, operation: str | None = None, protocol: str | None = None) -> str:
    """The sentence naming ``service`` as unsupported.

    >>> message("s3").startswith("The AWS service 's3' is not supported by snaplambda")
    True
    """
    what = f"The AWS service '{service}'"
    if operation:
        what += f" (operation {operation})"
    if protocol:
        what += f" over the {protocol} protocol"
    return f"{what} is not supported by snaplambda ({SERVED_DESCRIPTION})"


def rest_xml_error(code: str, text: str, request_id: str) -> bytes:
    """A REST-XML error as S3 sends it (other REST-XML parsers accept it too)."""
    return (
        f"<Error>{element('Code', code)}{element('Message', text)}"
        f"{element('RequestId', request_id)}</Error>\n"
    ).encode()


def response(
    protocol: Protocol, text: str, request_id: str, json_content_type: str | None = None
) -> Response:
    """The error ``text`` in ``protocol``'s shape.  JSON answers echo the request's
    ``application/x-amz-json-1.x`` content type."""
    code = CODES[protocol]
    headers = {"x-amzn-RequestId": request_id}
    if protocol == "query":
        return Response(error_xml(code, text, request_id), STATUS, headers, media_type=XML)
    if protocol == "ec2":
        return Response(ec2_error_xml(code, text, request_id), STATUS, headers, media_type=XML)
    if protocol == "rest-xml":
        headers["x-amz-request-id"] = request_id
        body = rest_xml_error(code, text, request_id)
        return Response(body, STATUS, headers, media_type="application/xml")
    if protocol == "json":
        media = json_content_type or ""
        if not media.startswith("application/x-amz-json-1."):
            media = "application/x-amz-json-1.1"
        body = orjson.dumps({"__type": code, "message": text})
        return Response(body, STATUS, headers, media_type=media.partition(";")[0])
    headers["x-amzn-ErrorType"] = code
    body = orjson.dumps({"message": text})
    return Response(body, STATUS, headers, media_type="application/json")
