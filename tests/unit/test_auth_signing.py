"""SigV4 canonicalisation and signatures, checked against requests botocore signs."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from snaplambda.api.sigv4 import parse_authorization
from snaplambda.auth import signing

KEY, SECRET = "AKIAEXAMPLEEXAMPLE00", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _verify(request: AWSRequest, service: str = "lambda", body: bytes = b"") -> bool:
    """Check botocore's signature of ``request`` with snaplambda's own code, reading
    only what a server sees: the wire path and query, the headers, the body."""
    parts = urlsplit(request.url)
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers.setdefault(name.lower(), []).append(value)
    headers.setdefault("host", [parts.netloc])
    sig = parse_authorization(headers["authorization"][0])
    declared = headers.get("x-amz-content-sha256", [""])[0]
    import hashlib

    payload = declared or hashlib.sha256(body).hexdigest()
    canonical = signing.canonical_request(
        request.method, parts.path, parts.query, headers, sig.signed_headers, payload
    )
    stamp = headers["x-amz-date"][0]
    cred = sig.credential
    scope = f"{cred.date}/{cred.region}/{cred.service}/aws4_request"
    key = signing.signing_key(SECRET, cred.date, cred.region or "", cred.service)
    return signing.same(
        signing.signature(key, signing.string_to_sign(stamp, scope, canonical)), sig.signature
    )


def _sign(
    method: str, url: str, body: bytes = b"", service: str = "lambda", **headers: str
) -> AWSRequest:
    request = AWSRequest(method, url, data=body, headers=headers)
    SigV4Auth(Credentials(KEY, SECRET), service, "us-east-1").add_auth(request)
    return request


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "http://127.0.0.1:9070/2015-03-31/functions/", b""),
        ("POST", "http://127.0.0.1:9070/2015-03-31/functions/f/invocations", b'{"a": [1, 2]}'),
        (
            "POST",
            "http://localhost/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/invocations?Qualifier=%24LATEST",
            b"x",
        ),
        (
            "GET",
            "http://h:1/2015-03-31/functions?Marker=a%20b%2Bc%2F%3D&MaxItems=5&FunctionVersion=ALL",
            b"",
        ),
        (
            "GET",
            "http://h:1/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af",
            b"",
        ),
        ("GET", "http://h:1/a/./b/../c//d/", b""),
        ("GET", "http://h:1/x?empty=&b=%E2%82%AC&a=~-._", b""),
    ],
)
def test_botocore_signatures_verify(method: str, url: str, body: bytes) -> None:
    assert _verify(_sign(method, url, body), body=body)


def test_a_json_protocol_request_with_its_target_header_verifies() -> None:
    body = b'{"logGroupName": "/aws/lambda/f"}'
    request = _sign(
        "POST",
        "http://127.0.0.1:9070/",
        body,
        "logs",
        **{
            "X-Amz-Target": "Logs_20140328.FilterLogEvents",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    assert _verify(request, "logs", body)


def test_unsigned_payload_verifies_whatever_the_body() -> None:
    request = _sign("POST", "http://h/p", b"one", **{"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    assert _verify(request, body=b"another")


def test_a_changed_body_query_header_or_path_fails() -> None:
    assert not _verify(_sign("POST", "http://h/p", b"one"), body=b"two")
    request = _sign("GET", "http://h/p?a=1")
    request.url = "http://h/p?a=2"
    assert not _verify(request)
    request = _sign("GET", "http://h/p", **{"X-Amz-Target": "A.B"})
    request.headers.replace_header("X-Amz-Target", "A.C")
    assert not _verify(request)
    request = _sign("GET", "http://h/p")
    request.url = "http://h/q"
    assert not _verify(request)


def test_canonical_pieces() -> None:
    assert signing.canonical_path("") == "/"
    assert signing.canonical_path("/a b") == "/a%20b"
    assert (
        signing.canonical_query("X-Amz-Signature=s&b=1&a=2", drop=["X-Amz-Signature"]) == "a=2&b=1"
    )
    assert (
        signing.canonical_headers({"x-a": ["  one   two ", "three"]}, ["x-a"])
        == "x-a:one two,three\n"
    )


def test_the_signing_key_matches_awss_published_example() -> None:
    # AWS's documented derivation example (secret, 20120215, us-east-1, iam).
    key = signing.signing_key(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam"
    )
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
