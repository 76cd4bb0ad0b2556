"""The AWS Query protocol's wire format: form parameters in, XML out.

Requests carry ``Action``, ``Version`` and the operation's parameters as a
``application/x-www-form-urlencoded`` body (or, for GET, the query string).
Results are ``<{Action}Response><{Action}Result>...</{Action}Result>
<ResponseMetadata><RequestId>`` and errors ``<ErrorResponse><Error><Type>
<Code><Message></Error><RequestId>``; EC2's errors are ``<Response><Errors><Error>
<Code><Message></Error></Errors><RequestID>``.  Pure: bytes in, bytes out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote_plus
from xml.sax.saxutils import escape, quoteattr

from .errors import ApiError

#: Query requests to snaplambda name an action and a version: a megabyte is ample.
MAX_BODY_BYTES = 1 << 20
XML = "text/xml"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class QueryError(ApiError):
    """A Query-protocol error, answered as ``<ErrorResponse>``."""


def parse_params(query_string: bytes, body: bytes) -> dict[str, str]:
    """The request's parameters: the query string's, then the form body's (which win).

    >>> parse_params(b"", b"Action=GetCallerIdentity&Version=2011-06-15")["Action"]
    'GetCallerIdentity'
    """
    params: dict[str, str] = {}
    for source, raw in (("query string", query_string), ("body", body)):
        if not raw.strip():
            continue
        try:
            params.update(_pairs(raw.decode("ascii")))
        except ValueError as exc:  # UnicodeDecodeError included
            raise QueryError(
                "MalformedQueryString",
                400,
                f"The request's {source} is not a URL-encoded form of name=value pairs "
                f"joined by '&': {exc}",
            ) from exc
    return params


def _pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for field in text.split("&"):
        if not field:
            continue  # a stray '&' is harmless
        name, sep, value = field.partition("=")
        if not sep or not name:
            raise ValueError(f"'{field[:100]}' is not name=value")
        pairs.append((unquote_plus(name, errors="strict"), unquote_plus(value, errors="strict")))
    return pairs


def element(name: str, value: str) -> str:
    """``<name>value</name>``, with ``value`` escaped and stripped of the characters
    XML cannot carry (values may echo what a client sent)."""
    return f"<{name}>{escape(_NOT_XML.sub('?', value))}</{name}>"


def result_xml(
    action: str, fields: Mapping[str, str], request_id: str, namespace: str | None = None
) -> bytes:
    """A successful response whose result holds the string ``fields`` in order."""
    xmlns = f" xmlns={quoteattr(namespace)}" if namespace else ""
    members = "".join(element(name, value) for name, value in fields.items())
    return (
        f"<{action}Response{xmlns}>"
        f"<{action}Result>{members}</{action}Result>"
        f"<ResponseMetadata>{element('RequestId', request_id)}</ResponseMetadata>"
        f"</{action}Response>\n"
    ).encode()


def error_xml(
    code: str, message: str, request_id: str, *, status: int = 400, namespace: str | None = None
) -> bytes:
    """A Query ``<ErrorResponse>``; ``Type`` is ``Sender`` for 4xx, else ``Receiver``."""
    xmlns = f" xmlns={quoteattr(namespace)}" if namespace else ""
    fault = "Sender" if status < 500 else "Receiver"
    return (
        f"<ErrorResponse{xmlns}><Error>"
        f"{element('Type', fault)}{element('Code', code)}{element('Message', message)}"
        f"</Error>{element('RequestId', request_id)}</ErrorResponse>\n"
    ).encode()


def ec2_error_xml(code: str, message: str, request_id: str) -> bytes:
    """An EC2-protocol error (``RequestID``, not ``RequestId``)."""
    return (
        f"<Response><Errors><Error>{element('Code', code)}{element('Message', message)}"
        f"</Error></Errors>{element('RequestID', request_id)}</Response>\n"
    ).encode()
