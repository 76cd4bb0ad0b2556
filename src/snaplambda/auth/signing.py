"""AWS Signature Version 4, computed the way AWS defines it (pure).

The canonical request is ``METHOD\\nPATH\\nQUERY\\nHEADERS\\n\\nSIGNED\\nPAYLOAD_HASH``
where the path is the wire path with dot segments and repeated slashes removed and
then percent-encoded once more (every AWS service but S3 double-encodes), the query
is every ``name=value`` re-encoded with RFC 3986's unreserved set and sorted, and
header values are trimmed with inner runs of spaces collapsed.  The string to sign
adds the timestamp and the credential scope; the key is an HMAC chain over the
date, region, service and ``aws4_request``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

_UNRESERVED = "-_.~"
_KEY_CACHE_MAX = 4096
_key_cache: dict[tuple[str, str, str, str], bytes] = {}


def canonical_path(raw_path: str) -> str:
    """The wire path normalised as AWS services other than S3 do, then encoded again.

    >>> canonical_path("/2015-03-31/functions/a%3A1/./invocations")
    '/2015-03-31/functions/a%253A1/invocations'
    """
    if not raw_path:
        return "/"
    kept: list[str] = []
    for segment in raw_path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if kept:
                kept.pop()
        else:
            kept.append(segment)
    path = "/" + "/".join(kept)
    if raw_path.endswith("/") and kept:
        path += "/"
    return quote(path, safe="/~")


def canonical_query(raw_query: str, drop: Iterable[str] = ()) -> str:
    """The query string's pairs decoded, re-encoded with the unreserved set only and
    sorted; names in ``drop`` (the signature of a presigned URL) left out.

    >>> canonical_query("b=2&a=x y&c")
    'a=x%20y&b=2&c='
    """
    dropped = set(drop)
    pairs: list[tuple[str, str]] = []
    for field in raw_query.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        # '+' stays literal: SigV4 clients encode a space as %20.
        name, value = unquote(name), unquote(value)
        if name in dropped:
            continue
        pairs.append((quote(name, safe=_UNRESERVED), quote(value, safe=_UNRESERVED)))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def canonical_headers(headers: Mapping[str, Sequence[str]], signed: Sequence[str]) -> str:
    """``name:value\\n`` for each signed header (lower-case names; several values of
    one name joined by commas)."""
    lines = []
    for name in signed:
        values = headers.get(name, ())
        lines.append(f"{name}:{','.join(' '.join(v.split()) for v in values)}\n")
    return "".join(lines)


def canonical_request(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, Sequence[str]],
    signed: Sequence[str],
    payload_hash: str,
    drop_query: Iterable[str] = (),
) -> str:
    """The canonical request (``headers`` maps lower-case names to their values)."""
    return "\n".join(
        [
            method,
            canonical_path(raw_path),
            canonical_query(raw_query, drop_query),
            canonical_headers(headers, signed),
            ";".join(signed),
            payload_hash,
        ]
    )


def string_to_sign(timestamp: str, scope: str, canonical: str) -> str:
    """``AWS4-HMAC-SHA256\\n<timestamp>\\n<scope>\\n<sha256 of canonical request>``."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{digest}"


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived key of one day, region and service (cached: it changes daily)."""
    cache_key = (secret, date, region, service)
    key = _key_cache.get(cache_key)
    if key is None:
        key = ("AWS4" + secret).encode("utf-8")
        for part in (date, region, service, "aws4_request"):
            key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
        if len(_key_cache) >= _KEY_CACHE_MAX:
            _key_cache.clear()
        _key_cache[cache_key] = key
    return key


def signature(key: bytes, to_sign: str) -> str:
    """The hex HMAC-SHA256 of the string to sign."""
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def same(expected: str, given: str) -> bool:
    """Constant-time comparison of two signatures."""
    return hmac.compare_digest(expected.encode(), given.encode())
