"""Which AWS service a request is meant for, and so which front door answers it.

Every API shares one port, and clients pointed at it with ``--endpoint-url`` may
be configured for services snaplambda does not serve.  The service is read, in
order, from the SigV4 credential scope (every SDK signs, naming the service), the
``X-Amz-Target`` prefix of JSON-protocol requests, and an ``amazonaws.com`` Host.
Query-protocol requests (``Action=...`` at ``/``) that name no service by those
means are told apart by their ``Version`` later, once their body is read.

Pure: the caller passes the request line, lower-cased header names and the decoded
query string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .sigv4 import request_credential

Protocol = Literal["query", "ec2", "json", "rest-json", "rest-xml"]
Kind = Literal["platform", "query", "unsupported"]

STS = "sts"
#: Signing names of the services the platform's own routes answer (STS aside).
SERVED = frozenset(
    {"lambda", "logs", "monitoring", "application-autoscaling", "events", "scheduler"}
)
#: Services whose REST protocol is XML (the others are JSON).
_REST_XML = frozenset({"s3", "route53", "cloudfront"})
FORM = "application/x-www-form-urlencoded"

#: ``X-Amz-Target`` prefixes of common JSON-protocol services, to name the service
#: of an unsigned request (signed ones name it in their credential scope).
TARGET_PREFIXES: Mapping[str, str] = {
    "Logs_20140328": "logs",
    "GraniteServiceVersion20100801": "monitoring",
    "AnyScaleFrontendService": "application-autoscaling",
    "DynamoDB_20120810": "dynamodb",
    "DynamoDBStreams_20120810": "dynamodb",
    "AmazonSQS": "sqs",
    "AmazonSSM": "ssm",
    "secretsmanager": "secretsmanager",
    "TrentService": "kms",
    "Kinesis_20131202": "kinesis",
    "Firehose_20150804": "firehose",
    "AWSEvents": "events",
    "AWSStepFunctions": "states",
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "AmazonEC2ContainerRegistry_V20150921": "ecr",
    "AWSCognitoIdentityProviderService": "cognito-idp",
    "AWSCognitoIdentityService": "cognito-identity",
    "CertificateManager": "acm",
    "AWSGlue": "glue",
    "AmazonAthena": "athena",
    "CodeBuild_20161006": "codebuild",
    "CodePipeline_20150709": "codepipeline",
    "AWSOrganizationsV20161128": "organizations",
}

#: ``Version`` parameters of Query-protocol APIs (and EC2's), for unsigned requests.
QUERY_VERSIONS: Mapping[str, str] = {
    "2011-06-15": STS,
    "2010-05-08": "iam",
    "2010-03-31": "sns",
    "2012-11-05": "sqs",
    "2010-05-15": "cloudformation",
    "2016-11-15": "ec2",
    "2014-10-31": "rds",
    "2011-01-01": "autoscaling",
    "2010-12-01": "ses",
    "2015-12-01": "elasticloadbalancing",
    "2012-06-01": "elasticloadbalancing",
    "2010-08-01": "monitoring",
    "2015-02-02": "elasticache",
    "2012-12-01": "redshift",
}


@dataclass(frozen=True)
class Destination:
    """Where a request goes.

    ``platform``: the platform's own routes.  ``query``: a Query-protocol request
    (or any STS request), whose body is read; without a ``service`` it is known by
    its ``Version``.  ``unsupported``: a service snaplambda does not serve,
    answered with an error in ``protocol`` without reading the body.
    """

    kind: Kind
    service: str | None = None
    protocol: Protocol | None = None
    #: The access key of the request's SigV4 signature, if it has one.
    access_key_id: str | None = None


def service_from_target(target: str) -> str | None:
    """The service an ``X-Amz-Target`` (``Prefix.Operation``) belongs to, if known."""
    return TARGET_PREFIXES.get(target.partition(".")[0])


def service_from_host(host: str) -> str | None:
    """The service an AWS endpoint host names (``sts.amazonaws.com``,
    ``sqs.eu-west-1.amazonaws.com``, ``bucket.s3.us-east-1.amazonaws.com``); ``None``
    for other hosts, such as ``127.0.0.1:9070``.

    >>> service_from_host("my.bucket.s3.eu-west-1.amazonaws.com")
    's3'
    """
    name = host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()
    for suffix in (".amazonaws.com", ".amazonaws.com.cn", ".api.aws"):
        if name.endswith(suffix):
            labels = name[: -len(suffix)].split(".")
            break
    else:
        return None
    if any(label == "s3" or label.startswith(("s3-", "s3express-")) for label in labels):
        return "s3"
    return labels[0] or None


def is_query_shaped(method: str, path: str, content_type: str, query: Mapping[str, str]) -> bool:
    """Whether a request looks like the Query protocol: ``POST /`` with a form body,
    or ``Action`` in the query string of ``/``."""
    if path != "/":
        return False
    if "Action" in query:
        return method in ("GET", "POST")
    return method == "POST" and content_type.partition(";")[0].strip().lower() == FORM


def identify(signed_for: str | None, headers: Mapping[str, str]) -> str | None:
    """The service a request names: the service of its credential scope
    (``signed_for``), else its target's, else its host's."""
    if signed_for is not None:
        return signed_for
    target = headers.get("x-amz-target")
    if target:
        service = service_from_target(target)
        if service is not None:
            return service
    return service_from_host(headers.get("host", ""))


def protocol_of(service: str, *, has_target: bool, query_shaped: bool) -> Protocol:
    """The protocol an SDK for ``service`` parses its errors in, judged from the
    request's own shape (a target means JSON, ``Action`` means Query)."""
    if has_target:
        return "json"
    if query_shaped:
        return "ec2" if service == "ec2" else "query"
    return "rest-xml" if service in _REST_XML else "rest-json"


def classify(
    method: str, path: str, headers: Mapping[str, str], query: Mapping[str, str]
) -> Destination:
    """Where a request goes (see :class:`Destination`)."""
    credential = request_credential(headers.get("authorization"), query)
    key = credential.access_key_id if credential is not None else None
    service = identify(credential.service if credential is not None else None, headers)
    query_shaped = is_query_shaped(method, path, headers.get("content-type", ""), query)
    if query_shaped or service == STS:
        return Destination("query", service, access_key_id=key)
    if service is None or service in SERVED:
        return Destination("platform", service, access_key_id=key)
    has_target = bool(headers.get("x-amz-target"))
    protocol = protocol_of(service, has_target=has_target, query_shaped=False)
    return Destination("unsupported", service, protocol, key)
