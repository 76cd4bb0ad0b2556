"""SigV4 metadata parsing, fed with what botocore's own signers produce."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from snaplambda.api.sigv4 import (
    SIGV4A,
    CredentialScope,
    SigV4FormatError,
    parse_authorization,
    parse_credential,
    parse_presigned,
    request_credential,
)

CREDS = Credentials("AKIDEXAMPLE123", "secret")


def signed_header(service: str, region: str) -> str:
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:9070/",
        data=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    SigV4Auth(CREDS, service, region).add_auth(request)
    return str(request.headers["Authorization"])


def test_the_header_botocore_signs_names_key_region_and_service() -> None:
    signature = parse_authorization(signed_header("sts", "eu-west-1"))
    assert signature.credential.access_key_id == "AKIDEXAMPLE123"
    assert signature.credential.region == "eu-west-1"
    assert signature.credential.service == "sts"
    assert signature.algorithm == "AWS4-HMAC-SHA256"
    assert "host" in signature.signed_headers and "x-amz-date" in signature.signed_headers
    assert len(signature.signature) == 64


def test_a_presigned_url_carries_the_same_credential() -> None:
    request = AWSRequest(method="GET", url="http://127.0.0.1:9070/?Action=GetCallerIdentity")
    SigV4QueryAuth(CREDS, "sts", "us-west-2", expires=60).add_auth(request)
    query = dict(parse_qsl(urlsplit(request.url).query))
    signature = parse_presigned(query)
    assert signature is not None
    assert signature.credential == CredentialScope(
        "AKIDEXAMPLE123", signature.credential.date, "us-west-2", "sts"
    )
    assert signature.signed_headers == ("host",)


def test_sigv4a_scopes_have_no_region() -> None:
    scope = parse_credential("AKID/20240101/s3/aws4_request", SIGV4A)
    assert scope == CredentialScope("AKID", "20240101", None, "s3")
    header = f"{SIGV4A} Credential=AKID/20240101/s3/aws4_request, SignedHeaders=host, Signature=ab"
    assert parse_authorization(header).credential.service == "s3"


@pytest.mark.parametrize(
    ("header", "complaint"),
    [
        ("AWS AKID:c2lnbmF0dXJl", "scheme 'AWS'"),
        ("Bearer token", "scheme 'Bearer'"),
        ("AWS4-HMAC-SHA256 Credential=A/20240101/us-east-1/sts/aws4_request", "Signature"),
        (
            "AWS4-HMAC-SHA256 Credential=A/20240101/sts/aws4_request, SignedHeaders=h, Signature=s",
            "AKID/DATE/REGION/SERVICE/aws4_request",
        ),
        ("AWS4-HMAC-SHA256 Credential=A/1/r/sts/other, SignedHeaders=h, Signature=s", "other"),
        (
            "AWS4-HMAC-SHA256 Credential=A//r/sts/aws4_request, SignedHeaders=h, Signature=s",
            "A//r/sts",
        ),
        ("AWS4-HMAC-SHA256 Credential", "no '='"),
    ],
)
def test_malformed_headers_are_refused_saying_why(header: str, complaint: str) -> None:
    with pytest.raises(SigV4FormatError, match=complaint.replace("(", r"\(")):
        parse_authorization(header)


def test_presigned_queries_with_an_unknown_algorithm_are_refused() -> None:
    query = {"X-Amz-Algorithm": "HMAC-MD5", "X-Amz-Credential": "A/1/r/s/aws4_request"}
    with pytest.raises(SigV4FormatError, match="HMAC-MD5"):
        parse_presigned(query)
    assert parse_presigned({"Action": "GetCallerIdentity"}) is None


def test_request_credential_prefers_the_header_and_ignores_garbage() -> None:
    presigned = {"X-Amz-Credential": "QUERYKEY/20240101/us-east-1/s3/aws4_request"}
    header = signed_header("dynamodb", "us-east-1")
    from_header = request_credential(header, presigned)
    assert from_header is not None and from_header.service == "dynamodb"
    from_query = request_credential(None, presigned)
    assert from_query is not None and from_query.access_key_id == "QUERYKEY"
    assert request_credential("Bearer x", {}) is None
    assert request_credential(None, {}) is None
