"""The authentication gate in front of every API: SigV4 verified against the key
store, then the IAM action of the request checked against the key's policy.

A refused request is answered before anything behind the gate sees it, in the
error shape of its protocol: Lambda's REST (``x-amzn-ErrorType`` and
``{"message"}``), JSON protocols (``{"__type", "message"}``) or Query XML (STS).
Only ``GET /health`` is served unsigned.  The body is read here (its hash is part
of the signature) and handed on unchanged.
"""

from __future__ import annotations

import calendar
import hashlib
import time
import uuid
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

import orjson
from starlette.responses import Response

from ..auth import signing
from ..auth.actions import operation_of
from ..auth.keys import KeyStore, Principal
from .destination import classify
from .invoke import Receive, Scope, Send, match
from .query import XML, error_xml
from .sigv4 import SIGV4, Signature, SigV4FormatError, parse_authorization, parse_presigned
from .sts_api import NAMESPACE as STS_NAMESPACE

Style = Literal["rest", "json", "query"]

#: Requests are signed within this many seconds of the server's clock, as on AWS.
MAX_SKEW_S = 15 * 60
#: The largest body read to check its hash (CreateFunction's base64 zip fits).
MAX_BODY_BYTES = 100 << 20
PRINCIPAL = "snaplambda.principal"
"""The scope key under which the gate leaves the request's :class:`Principal`."""

_INVALID_TOKEN = "The security token included in the request is invalid."
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service "
    "documentation for details."
)
#: (REST/JSON code, Query code, status) per refusal.
_CODES: dict[str, tuple[str, str, int]] = {
    "missing": ("MissingAuthenticationTokenException", "MissingAuthenticationToken", 403),
    "incomplete": ("IncompleteSignatureException", "IncompleteSignature", 400),
    "unknown": ("UnrecognizedClientException", "InvalidClientTokenId", 403),
    "signature": ("InvalidSignatureException", "SignatureDoesNotMatch", 403),
    "denied": ("AccessDeniedException", "AccessDenied", 403),
    "large": ("RequestEntityTooLargeException", "RequestEntityTooLarge", 413),
}


@dataclass
class Refusal(Exception):
    """Why a request is not let through."""

    reason: str
    message: str


def _timestamp(text: str) -> float:
    """Seconds since the epoch of ``YYYYMMDDTHHMMSSZ``."""
    if (
        len(text) != 16
        or text[8] != "T"
        or text[15] != "Z"
        or not (text[:8] + text[9:15]).isdigit()
    ):
        raise Refusal("incomplete", f"X-Amz-Date '{text}' is not of the form YYYYMMDDTHHMMSSZ")
    fields = (
        int(text[0:4]),
        int(text[4:6]),
        int(text[6:8]),
        int(text[9:11]),
        int(text[11:13]),
        int(text[13:15]),
    )
    return float(calendar.timegm((*fields, 0, 0, 0)))


def _iso(seconds: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(seconds))


class AuthGate:
    """ASGI middleware: lets through only requests signed by a known key whose
    policy allows what they ask."""

    def __init__(
        self, app: Any, keys: KeyStore, region: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.app = app
        self.keys = keys
        self.region = region
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["path"] == "/health" and scope["method"] == "GET"):
            await self.app(scope, receive, send)
            return
        headers: dict[str, list[str]] = {}
        for raw_name, raw_value in scope["headers"]:
            headers.setdefault(raw_name.decode("latin-1").lower(), []).append(
                raw_value.decode("latin-1")
            )
        raw_query = scope["query_string"].decode("latin-1")
        query = dict(parse_qsl(raw_query, keep_blank_values=True)) if raw_query else {}
        style = _style(scope, headers, query)
        body = b""
        try:
            sig, key_secret, principal = self._authenticate(headers, query)
            body, complete = await _read_body(receive)
            if not complete:
                raise Refusal("large", f"Request bodies are limited to {MAX_BODY_BYTES} bytes")
            self._verify(scope, headers, raw_query, query, body, sig, key_secret)
            self._authorize(scope, headers, query, principal, body)
        except Refusal as refusal:
            response = _refusal_response(refusal, style)
            if refusal.reason == "large":
                response.headers["connection"] = "close"
            await response(scope, receive, send)
            return
        scope[PRINCIPAL] = principal
        await self.app(scope, _replay(body, receive), send)

    def _authenticate(
        self, headers: dict[str, list[str]], query: dict[str, str]
    ) -> tuple[Signature, str, Principal]:
        authorization = headers.get("authorization", [""])[0]
        try:
            sig = parse_authorization(authorization) if authorization else parse_presigned(query)
        except SigV4FormatError as exc:
            raise Refusal("incomplete", str(exc)) from exc
        if sig is None:
            raise Refusal("missing", "Missing Authentication Token")
        if sig.algorithm != SIGV4:
            raise Refusal("incomplete", f"Only {SIGV4} signatures are accepted here")
        token = headers.get("x-amz-security-token", [query.get("X-Amz-Security-Token", "")])[0]
        key = self.keys.lookup(sig.credential.access_key_id, token or None)
        if key is None:
            raise Refusal("unknown", _INVALID_TOKEN)
        return sig, key.secret, key.principal

    def _verify(
        self,
        scope: Scope,
        headers: dict[str, list[str]],
        raw_query: str,
        query: dict[str, str],
        body: bytes,
        sig: Signature,
        secret: str,
    ) -> None:
        presigned = "authorization" not in headers
        stamp = query.get("X-Amz-Date") if presigned else headers.get("x-amz-date", [None])[0]
        if not stamp:
            raise Refusal("incomplete", "The request is signed but carries no X-Amz-Date")
        signed_at = _timestamp(stamp)
        now = self.clock()
        expires = MAX_SKEW_S
        if presigned:
            try:
                expires = int(query.get("X-Amz-Expires", "604800"))
            except ValueError as exc:
                raise Refusal("incomplete", "X-Amz-Expires must be a number of seconds") from exc
        if now - signed_at > expires or signed_at - now > MAX_SKEW_S:
            limit = _iso(now - expires) if now - signed_at > expires else _iso(now + MAX_SKEW_S)
            relation = "earlier" if now - signed_at > expires else "later"
            raise Refusal(
                "signature",
                f"Signature expired: {stamp} is now {relation} than {limit} "
                f"({_iso(now)} {'-' if relation == 'earlier' else '+'} "
                f"{expires // 60 if relation == 'earlier' else 15} min.)",
            )
        if sig.credential.date != stamp[:8]:
            raise Refusal(
                "signature", f"Credential date {sig.credential.date} is not the date of {stamp}"
            )
        declared = headers.get("x-amz-content-sha256", [query.get("X-Amz-Content-Sha256", "")])[0]
        if declared.startswith("STREAMING-"):
            raise Refusal(
                "incomplete",
                f"x-amz-content-sha256 '{declared}' (chunked signing) is not supported",
            )
        actual = hashlib.sha256(body).hexdigest() if body else signing.EMPTY_SHA256
        if declared and declared != signing.UNSIGNED_PAYLOAD and declared != actual:
            raise Refusal(
                "signature",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
        candidates = [declared] if declared else [actual]
        if presigned and not declared:
            candidates.append(signing.UNSIGNED_PAYLOAD)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1").partition("?")[0]
        credential = sig.credential
        key = signing.signing_key(
            secret, credential.date, credential.region or "", credential.service
        )
        scope_text = f"{credential.date}/{credential.region}/{credential.service}/aws4_request"
        methods = [scope["method"]]
        if presigned and scope["method"] == "GET" and scope["path"] == "/":
            # botocore presigns Query actions (STS GetCallerIdentity) as their POST,
            # and the URL is then fetched with GET; Query treats both alike.
            methods.append("POST")
        for method, payload_hash in [(m, h) for m in methods for h in candidates]:
            canonical = signing.canonical_request(
                method,
                path,
                raw_query,
                headers,
                sig.signed_headers,
                payload_hash,
                drop_query=("X-Amz-Signature",) if presigned else (),
            )
            expected = signing.signature(key, signing.string_to_sign(stamp, scope_text, canonical))
            if signing.same(expected, sig.signature):
                return
        raise Refusal("signature", _MISMATCH)

    def _authorize(
        self,
        scope: Scope,
        headers: dict[str, list[str]],
        query: dict[str, str],
        principal: Principal,
        body: bytes,
    ) -> None:
        if principal.is_root:
            return
        # Skipped only for what the front door answers whatever the key (STS, whose
        # GetCallerIdentity needs no permission, and services snaplambda does not
        # serve) - decided as the application decides it: invoke first.
        if match(scope) is None:
            flat = {name: values[0] for name, values in headers.items()}
            if classify(scope["method"], scope["path"], flat, query).kind != "platform":
                return
        # X-Amz-Target names the operation only where the JSON protocols are served.
        json_protocol = scope["path"] == "/" and scope["method"] == "POST"
        target = headers.get("x-amz-target", [None])[0] if json_protocol else None
        fields = _json_fields(body) if target and target.startswith("Logs_") else None
        # Every Qualifier given must be allowed: handlers differ in which of several
        # they read.
        raw_query = scope["query_string"].decode("latin-1")
        qualifiers = [v for k, v in parse_qsl(raw_query) if k == "Qualifier"] or [None]
        for qualifier in qualifiers:
            operation = operation_of(
                scope["method"],
                scope["path"],
                qualifier,
                target,
                self.region,
                principal.account,
                fields,
            )
            decision = principal.policy.decide(operation.action, operation.resource)
            if decision == "allow":
                continue
            why = (
                "with an explicit deny in an identity-based policy"
                if decision == "explicit-deny"
                else f"because no identity-based policy allows the {operation.action} action"
            )
            raise Refusal(
                "denied",
                f"User: {principal.arn} is not authorized to perform: {operation.action} "
                f"on resource: {operation.resource} {why}",
            )


def _json_fields(body: bytes) -> dict[str, Any]:
    """A JSON-protocol body's members (none if it is not a JSON object: the handler
    refuses it then)."""
    try:
        value = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _style(scope: Scope, headers: dict[str, list[str]], query: dict[str, str]) -> Style:
    if "x-amz-target" in headers and scope["path"] == "/":
        return "json"
    if scope["path"] == "/" and (
        "Action" in query
        or headers.get("content-type", [""])[0].startswith("application/x-www-form-urlencoded")
    ):
        return "query"
    return "rest"


def _refusal_response(refusal: Refusal, style: Style) -> Response:
    code, query_code, status = _CODES[refusal.reason]
    request_id = str(uuid.uuid4())
    if style == "query":
        body = error_xml(
            query_code, refusal.message, request_id, status=status, namespace=STS_NAMESPACE
        )
        return Response(body, status, {"x-amzn-RequestId": request_id}, media_type=XML)
    if style == "json":
        payload = orjson.dumps({"__type": code, "message": refusal.message})
        return Response(
            payload,
            status,
            {"x-amzn-RequestId": request_id},
            media_type="application/x-amz-json-1.1",
        )
    headers = {"x-amzn-ErrorType": code, "x-amzn-RequestId": request_id}
    return Response(
        orjson.dumps({"message": refusal.message}), status, headers, media_type="application/json"
    )


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return b"", False
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the already read body once, then the real one's
    messages (a disconnect)."""
    given = False

    async def replay() -> MutableMapping[str, Any]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
