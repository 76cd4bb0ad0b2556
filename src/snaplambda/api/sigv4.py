"""Reading AWS Signature Version 4 metadata off a request: who signed it, for which
service and region.  Parsing only - nothing here checks a signature.

A signed request carries either an ``Authorization`` header::

    AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws4_request,
        SignedHeaders=host;x-amz-date, Signature=0123abcd...

or, presigned, the same parts as query parameters (``X-Amz-Algorithm``,
``X-Amz-Credential``, ``X-Amz-SignedHeaders``, ``X-Amz-Signature``).  SigV4a
(``AWS4-ECDSA-P256-SHA256``) scopes have no region: ``AKID/DATE/SERVICE/aws4_request``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SIGV4 = "AWS4-HMAC-SHA256"
SIGV4A = "AWS4-ECDSA-P256-SHA256"
ALGORITHMS = (SIGV4, SIGV4A)
_TERMINATOR = "aws4_request"


class SigV4FormatError(ValueError):
    """A header or parameter that claims to be SigV4 but is not well formed."""


@dataclass(frozen=True)
class CredentialScope:
    """The ``Credential`` of a signature: the access key and what it was scoped to.

    ``region`` is ``None`` for SigV4a, whose scope names no region.
    """

    access_key_id: str
    date: str
    region: str | None
    service: str


@dataclass(frozen=True)
class Signature:
    """One request's signature metadata, from its header or its query string."""

    algorithm: str
    credential: CredentialScope
    signed_headers: tuple[str, ...]
    signature: str


def parse_credential(value: str, algorithm: str = SIGV4) -> CredentialScope:
    """``AKID/DATE/REGION/SERVICE/aws4_request`` (SigV4a: without ``REGION``).

    >>> parse_credential("AKID/20240101/eu-west-1/sts/aws4_request").service
    'sts'
    """
    parts = value.split("/")
    expected = 4 if algorithm == SIGV4A else 5
    if len(parts) != expected or parts[-1] != _TERMINATOR or not all(parts):
        region = "" if algorithm == SIGV4A else "REGION/"
        shape = f"AKID/DATE/{region}SERVICE/aws4_request"
        raise SigV4FormatError(f"Credential '{value}' is not of the form {shape}")
    if algorithm == SIGV4A:
        key, date, service, _ = parts
        return CredentialScope(key, date, None, service)
    key, date, region, service, _ = parts
    return CredentialScope(key, date, region, service)


def parse_authorization(header: str) -> Signature:
    """An ``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
    Signature=...`` header.  Raises :class:`SigV4FormatError` for anything else
    (including other schemes, such as SigV2's ``AWS AKID:sig``)."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm not in ALGORITHMS:
        raise SigV4FormatError(
            f"Authorization scheme '{algorithm}' is not one of {', '.join(ALGORITHMS)}"
        )
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise SigV4FormatError(f"Authorization element '{part.strip()}' has no '='")
        fields[name] = value
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if name not in fields]
    if missing:
        raise SigV4FormatError(f"Authorization header lacks {', '.join(missing)}")
    return Signature(
        algorithm,
        parse_credential(fields["Credential"], algorithm),
        tuple(fields["SignedHeaders"].split(";")),
        fields["Signature"],
    )


def parse_presigned(query: Mapping[str, str]) -> Signature | None:
    """The signature of a presigned URL (already URL-decoded query parameters), or
    ``None`` when the query carries no ``X-Amz-Credential``."""
    credential = query.get("X-Amz-Credential")
    if credential is None:
        return None
    algorithm = query.get("X-Amz-Algorithm", SIGV4)
    if algorithm not in ALGORITHMS:
        raise SigV4FormatError(
            f"X-Amz-Algorithm '{algorithm}' is not one of {', '.join(ALGORITHMS)}"
        )
    signed = query.get("X-Amz-SignedHeaders", "")
    return Signature(
        algorithm,
        parse_credential(credential, algorithm),
        tuple(signed.split(";")) if signed else (),
        query.get("X-Amz-Signature", ""),
    )


def request_credential(
    authorization: str | None, query: Mapping[str, str]
) -> CredentialScope | None:
    """The credential a request was signed with: from its ``Authorization`` header,
    else from a presigned query; ``None`` when it is unsigned or its signature
    metadata is malformed (callers that must reject those use the parsers above)."""
    try:
        if authorization:
            return parse_authorization(authorization).credential
        presigned = parse_presigned(query)
    except SigV4FormatError:
        return None
    return presigned.credential if presigned is not None else None
