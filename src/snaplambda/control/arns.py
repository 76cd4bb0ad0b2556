"""Parsing of function identifiers: a name, a partial ARN or a full ARN."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidParameterValue

# Applied with ``fullmatch``: an anchored ``$`` would let a trailing newline through.
_NAME = r"[a-zA-Z0-9_-]{1,64}"
_QUALIFIER = r"\$LATEST|[a-zA-Z0-9_-]{1,128}"
_FULL = re.compile(
    rf"arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{{12}}):function:"
    rf"(?P<name>{_NAME})(?::(?P<qualifier>{_QUALIFIER}))?"
)
_PARTIAL = re.compile(
    rf"(?P<account>\d{{12}}):function:(?P<name>{_NAME})(?::(?P<qualifier>{_QUALIFIER}))?"
)
_PLAIN = re.compile(rf"(?P<name>{_NAME})(?::(?P<qualifier>{_QUALIFIER}))?")


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A function named by an API caller, with the qualifier it carried, if any."""

    name: str
    qualifier: str | None = None


def parse_function_ref(value: str, qualifier: str | None = None) -> FunctionRef:
    """Accept ``name``, ``name:qual``, ``acct:function:name[:qual]`` or a full ARN.

    A qualifier in the identifier and one passed separately must agree.

    >>> parse_function_ref("arn:aws:lambda:us-east-1:123456789012:function:f:live")
    FunctionRef(name='f', qualifier='live')
    """
    for pattern in (_PLAIN, _PARTIAL, _FULL):
        match = pattern.fullmatch(value)
        if match:
            break
    else:
        raise InvalidParameterValue(
            f"1 validation error detected: Value '{value}' at 'functionName' failed to satisfy "
            "constraint: Member must be a function name (1-64 letters, digits, '-' or '_'), "
            "a partial ARN or a full ARN"
        )
    inline = match.group("qualifier")
    if inline and qualifier and inline != qualifier:
        raise InvalidParameterValue(
            f"The derived qualifier from the function name does not match the specified "
            f"qualifier: '{inline}' versus '{qualifier}'"
        )
    return FunctionRef(match.group("name"), inline or qualifier or None)


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    """The ARN of a function, qualified when ``qualifier`` is given."""
    base = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{base}:{qualifier}" if qualifier else base
