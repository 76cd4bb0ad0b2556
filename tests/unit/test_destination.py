"""Which front door a request goes to, judged from its signature, target and host."""

from __future__ import annotations

import pytest

from snaplambda.api.destination import (
    Destination,
    classify,
    is_query_shaped,
    service_from_host,
    service_from_target,
)

FORM = "application/x-www-form-urlencoded; charset=utf-8"


def auth(service: str, key: str = "AKID") -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential={key}/20240101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc"
    )


@pytest.mark.parametrize(
    ("host", "service"),
    [
        ("sts.amazonaws.com", "sts"),
        ("sqs.eu-west-1.amazonaws.com", "sqs"),
        ("dynamodb.us-east-1.amazonaws.com:443", "dynamodb"),
        ("s3.amazonaws.com", "s3"),
        ("my.bucket.s3.eu-west-1.amazonaws.com", "s3"),
        ("bucket.s3-us-west-2.amazonaws.com", "s3"),
        ("iam.amazonaws.com.cn", "iam"),
        ("127.0.0.1:9070", None),
        ("localhost", None),
        ("[::1]:9070", None),
        ("", None),
    ],
)
def test_hosts(host: str, service: str | None) -> None:
    assert service_from_host(host) == service


def test_targets() -> None:
    assert service_from_target("DynamoDB_20120810.ListTables") == "dynamodb"
    assert service_from_target("AmazonSQS.ListQueues") == "sqs"
    assert service_from_target("Logs_20140328.PutLogEvents") == "logs"
    assert service_from_target("SomethingElse.Op") is None


def test_query_shape() -> None:
    assert is_query_shaped("POST", "/", FORM, {})
    assert is_query_shaped("GET", "/", "", {"Action": "GetCallerIdentity"})
    assert not is_query_shaped("GET", "/", "", {})
    assert not is_query_shaped("POST", "/", "application/x-amz-json-1.1", {})
    assert not is_query_shaped("POST", "/2015-03-31/functions", FORM, {})
    assert not is_query_shaped("DELETE", "/", "", {"Action": "X"})


@pytest.mark.parametrize(
    ("method", "path", "headers", "query", "expected"),
    [
        # the platform's own APIs, signed or not
        (
            "GET",
            "/2015-03-31/functions/",
            {"authorization": auth("lambda")},
            {},
            Destination("platform", "lambda", access_key_id="AKID"),
        ),
        ("GET", "/2015-03-31/functions/", {}, {}, Destination("platform")),
        (
            "POST",
            "/",
            {"x-amz-target": "Logs_20140328.DescribeLogGroups", "authorization": auth("logs")},
            {},
            Destination("platform", "logs", access_key_id="AKID"),
        ),
        (
            "POST",
            "/",
            {"x-amz-target": "GraniteServiceVersion20100801.ListMetrics"},
            {},
            Destination("platform", "monitoring"),
        ),
        ("POST", "/", {"x-amz-target": "Unknown_2020.Op"}, {}, Destination("platform")),
        # STS, however it comes
        (
            "POST",
            "/",
            {"authorization": auth("sts", "K1"), "content-type": FORM},
            {},
            Destination("query", "sts", access_key_id="K1"),
        ),
        ("GET", "/", {}, {"Action": "GetCallerIdentity"}, Destination("query")),
        ("POST", "/", {"content-type": FORM}, {}, Destination("query")),
        (
            "GET",
            "/",
            {"authorization": auth("sts")},
            {},
            Destination("query", "sts", access_key_id="AKID"),
        ),
        (
            "GET",
            "/",
            {"host": "sts.amazonaws.com"},
            {"Action": "GetCallerIdentity"},
            Destination("query", "sts"),
        ),
        # other services, in their protocols
        (
            "GET",
            "/",
            {"authorization": auth("s3")},
            {},
            Destination("unsupported", "s3", "rest-xml", "AKID"),
        ),
        (
            "PUT",
            "/bucket/key",
            {"authorization": auth("s3")},
            {},
            Destination("unsupported", "s3", "rest-xml", "AKID"),
        ),
        (
            "POST",
            "/",
            {"authorization": auth("dynamodb"), "x-amz-target": "DynamoDB_20120810.ListTables"},
            {},
            Destination("unsupported", "dynamodb", "json", "AKID"),
        ),
        (
            "POST",
            "/",
            {"x-amz-target": "AmazonSSM.GetParameter"},
            {},
            Destination("unsupported", "ssm", "json"),
        ),
        (
            "GET",
            "/restapis",
            {"authorization": auth("apigateway")},
            {},
            Destination("unsupported", "apigateway", "rest-json", "AKID"),
        ),
        (
            "GET",
            "/queue",
            {"host": "sqs.us-east-1.amazonaws.com"},
            {},
            Destination("unsupported", "sqs", "rest-json"),
        ),
        # a signature names the service even against the platform's own paths
        (
            "GET",
            "/2015-03-31/functions/",
            {"authorization": auth("s3")},
            {},
            Destination("unsupported", "s3", "rest-xml", "AKID"),
        ),
        # Query requests of other services are read (to name their action)
        (
            "POST",
            "/",
            {"authorization": auth("iam"), "content-type": FORM},
            {},
            Destination("query", "iam", access_key_id="AKID"),
        ),
        (
            "POST",
            "/",
            {"authorization": auth("monitoring"), "content-type": FORM},
            {},
            Destination("query", "monitoring", access_key_id="AKID"),
        ),
        # a presigned URL names its service too
        (
            "GET",
            "/",
            {},
            {
                "X-Amz-Credential": "Q/20240101/us-east-1/sts/aws4_request",
                "Action": "GetCallerIdentity",
            },
            Destination("query", "sts", access_key_id="Q"),
        ),
        # a malformed signature names nothing: judged by the rest
        (
            "GET",
            "/2015-03-31/functions/",
            {"authorization": "AWS4-HMAC-SHA256 junk"},
            {},
            Destination("platform"),
        ),
    ],
)
def test_classify(
    method: str,
    path: str,
    headers: dict[str, str],
    query: dict[str, str],
    expected: Destination,
) -> None:
    assert classify(method, path, headers, query) == expected
