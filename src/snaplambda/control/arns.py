"""Parsing of function identifiers (a name, a partial ARN or a full ARN) and of layer
ARNs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import AccessDenied, InvalidParameterValue, ResourceNotFound, ValidationError

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
_LAYER_NAME = r"[a-zA-Z0-9_-]{1,140}"
_LAYER_ARN = re.compile(
    rf"arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{{12}}:layer:(?P<name>{_LAYER_NAME})"
)
_LAYER_VERSION_ARN = re.compile(_LAYER_ARN.pattern + r":(?P<version>[0-9]{1,18})")
_LAYER_PLAIN = re.compile(_LAYER_NAME)


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A function named by an API caller, with the qualifier it carried, if any."""

    name: str
    qualifier: str | None = None
    #: The account and region an ARN named (None for a plain name).
    account: str | None = field(default=None, compare=False, repr=False)
    region: str | None = field(default=None, compare=False, repr=False)
    #: The identifier as given, for messages.
    given: str = field(default="", compare=False, repr=False)


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
    groups = match.groupdict()
    return FunctionRef(
        match.group("name"),
        inline or qualifier or None,
        account=groups.get("account"),
        region=groups.get("region"),
        given=value,
    )


def check_home(ref: FunctionRef, region: str, account: str, action: str) -> FunctionRef:
    """Refuse an ARN of another region or account, as Lambda does: another region's
    function is not reachable from this endpoint (``ResourceNotFoundException``);
    another account's is not this caller's to use (``AccessDeniedException``, 403:
    snaplambda has one account and no resource-based policies)."""
    if ref.region is not None and ref.region != region:
        raise ResourceNotFound(
            f"Functions from '{ref.region}' are not reachable in this region ('{region}')"
        )
    if ref.account is not None and ref.account != account:
        arn = function_arn(ref.region or region, ref.account, ref.name, ref.qualifier)
        raise AccessDenied(
            f"User: arn:aws:iam::{account}:root is not authorized to perform: "
            f"lambda:{action} on resource: {arn} because no resource-based policy allows "
            f"the lambda:{action} action"
        )
    return ref


def function_arn(region: str, account: str, name: str, qualifier: str | None = None) -> str:
    """The ARN of a function, qualified when ``qualifier`` is given."""
    base = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{base}:{qualifier}" if qualifier else base


def layer_arn(region: str, account: str, name: str, version: int | None = None) -> str:
    """The ARN of a layer, or of one of its versions."""
    base = f"arn:aws:lambda:{region}:{account}:layer:{name}"
    return base if version is None else f"{base}:{version}"


def parse_layer_name(value: object) -> str:
    """A layer name, or a layer's ARN (its name is taken), as ``LayerName`` allows.

    >>> parse_layer_name("arn:aws:lambda:us-east-1:123456789012:layer:deps")
    'deps'
    """
    if isinstance(value, str):
        if _LAYER_PLAIN.fullmatch(value):
            return value
        match = _LAYER_ARN.fullmatch(value)
        if match:
            return match.group("name")
    raise ValidationError(
        f"1 validation error detected: Value '{value}' at 'layerName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        "(arn:aws:lambda:<region>:<account>:layer:)?[a-zA-Z0-9-_]{1,140}"
    )


def parse_layer_version_arn(arn: object) -> tuple[str, int]:
    """(layer name, version number) of a layer version ARN.

    >>> parse_layer_version_arn("arn:aws:lambda:us-east-1:123456789012:layer:deps:3")
    ('deps', 3)
    """
    match = _LAYER_VERSION_ARN.fullmatch(arn) if isinstance(arn, str) else None
    if match is None:
        raise ValidationError(
            f"1 validation error detected: Value '{arn}' at 'layerVersionArn' failed to "
            "satisfy constraint: Member must be a layer version ARN like "
            "arn:aws:lambda:us-east-1:123456789012:layer:NAME:1"
        )
    return match.group("name"), int(match.group("version"))
