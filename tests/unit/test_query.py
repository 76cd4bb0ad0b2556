"""The Query protocol's wire format, STS's answers and the unsupported-service errors,
each read back with the botocore parser for its protocol."""

from __future__ import annotations

from typing import Any

import botocore.parsers
import botocore.session
import pytest
from starlette.responses import Response

from snaplambda.api import sts_api, unsupported
from snaplambda.api.destination import Protocol
from snaplambda.api.identity import Identity, account_root
from snaplambda.api.query import QueryError, error_xml, parse_params

SESSION = botocore.session.get_session()


def parse(
    protocol: str, response: Response, service: str = "sts", op: str = "GetCallerIdentity"
) -> Any:
    """``response`` as botocore's parser for ``protocol`` reads it."""
    shape = SESSION.get_service_model(service).operation_model(op).output_shape
    raw = {
        "status_code": response.status_code,
        "headers": dict(response.headers),
        "body": bytes(response.body),
    }
    return botocore.parsers.create_parser(protocol).parse(raw, shape)


def sts(params: dict[str, str], key: str | None = "AKID") -> Response:
    return sts_api.handle(params, key, account_root("210987654321"), "req-1")


# -- form parameters ------------------------------------------------------------


def test_body_parameters_join_and_override_the_query_string() -> None:
    params = parse_params(b"Action=A&X=1", b"Action=GetCallerIdentity&Msg=a+b%26c&Empty=&")
    assert params == {"Action": "GetCallerIdentity", "X": "1", "Msg": "a b&c", "Empty": ""}


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"Action", "'Action' is not name=value"),
        (b"=x", "'=x' is not name=value"),
        (b"Action=Get\xffCallerIdentity", "body is not a URL-encoded form"),
        (b"Msg=%ff%fe", "body is not a URL-encoded form"),
    ],
)
def test_malformed_forms_are_malformed_query_strings(body: bytes, complaint: str) -> None:
    with pytest.raises(QueryError, match=complaint) as info:
        parse_params(b"", body)
    assert (info.value.aws_type, info.value.status) == ("MalformedQueryString", 400)


# -- STS --------------------------------------------------------------------------


def test_get_caller_identity_parses_as_botocore_expects() -> None:
    response = sts({"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    parsed = parse("query", response)
    assert parsed["Account"] == "210987654321"
    assert parsed["UserId"] == "210987654321"
    assert parsed["Arn"] == "arn:aws:iam::210987654321:root"
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"


def test_the_resolver_is_given_the_calling_key() -> None:
    seen: list[str | None] = []

    def resolve(key: str | None) -> Identity:
        seen.append(key)
        return Identity("AIDAEXAMPLE", "111122223333", f"arn:aws:iam::111122223333:user/{key}")

    response = sts_api.handle({"Action": "GetCallerIdentity"}, "K9", resolve, "r")
    assert seen == ["K9"]
    assert parse("query", response)["Arn"] == "arn:aws:iam::111122223333:user/K9"


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        ({"Action": "AssumeRole", "Version": "2011-06-15"}, "InvalidAction", "'AssumeRole'"),
        ({"Action": "GetSessionToken"}, "InvalidAction", "'GetSessionToken'"),
        ({"Version": "2011-06-15"}, "MissingAction", "parameter Action"),
        ({"Action": "GetCallerIdentity", "Version": "2012-01-01"}, "InvalidAction", "2012-01-01"),
    ],
)
def test_sts_errors_parse_into_code_and_message(
    params: dict[str, str], code: str, words: str
) -> None:
    response = sts(params)
    assert response.status_code == 400
    error = parse("query", response)["Error"]
    assert (error["Type"], error["Code"]) == ("Sender", code)
    assert words in error["Message"]
    if code == "InvalidAction" and "Version" not in params:
        assert "not supported by snaplambda" in error["Message"]


def test_messages_are_escaped_and_stripped_of_what_xml_cannot_carry() -> None:
    response = sts({"Action": "<Assume&Role>\x00\x1b"})
    error = parse("query", response)["Error"]
    assert "'<Assume&Role>??'" in error["Message"]


def test_server_faults_are_receiver_errors() -> None:
    body = error_xml("InternalFailure", "m", "r", status=500)
    assert b"<Type>Receiver</Type>" in body


# -- other services -----------------------------------------------------------------

CASES: list[tuple[Protocol, str, str]] = [
    ("query", "iam", "ListUsers"),
    ("query", "sns", "ListTopics"),
    ("ec2", "ec2", "DescribeInstances"),
    ("json", "dynamodb", "ListTables"),
    ("json", "sqs", "ListQueues"),
    ("rest-json", "apigateway", "GetRestApis"),
    ("rest-xml", "s3", "ListBuckets"),
    ("rest-xml", "route53", "ListHostedZones"),
]


@pytest.mark.parametrize(("protocol", "service", "op"), CASES)
def test_unsupported_services_parse_in_their_protocol(
    protocol: Protocol, service: str, op: str
) -> None:
    text = unsupported.message(service, op)
    response = unsupported.response(protocol, text, "req-2", "application/x-amz-json-1.0")
    assert response.status_code == 400
    parsed: dict[str, Any] = parse(protocol, response, service, op)
    assert parsed["Error"]["Code"] == unsupported.CODES[protocol]
    assert parsed["Error"]["Message"] == text
    assert f"'{service}'" in text and op in text and "not supported by snaplambda" in text
    assert parsed["ResponseMetadata"]["RequestId"] == "req-2"


def test_json_answers_echo_the_json_version() -> None:
    one_oh = unsupported.response("json", "m", "r", "application/x-amz-json-1.0")
    assert one_oh.headers["content-type"] == "application/x-amz-json-1.0"
    default = unsupported.response("json", "m", "r", None)
    assert default.headers["content-type"] == "application/x-amz-json-1.1"
