"""Typed reading of JSON request bodies: a small schema per operation, checked before
the operation reads a field.

A value of the wrong JSON type (``"abc"`` for a number, a list for a string) is a
``SerializationException``, as AWS's JSON-protocol services answer it; a value of the
right type outside what the model allows (a negative limit, a timestamp past year
9999, too many items) is the service's own validation error.  Both name the field's
path, the value and what is allowed.  Fields a schema does not name are ignored, as
AWS ignores them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from .errors import ApiError

#: Seconds since the epoch of 9999-12-31T23:59:59Z: a timestamp past it cannot be
#: a date, and its milliseconds still fit a signed 64-bit integer.
MAX_EPOCH_S = 253402300799
_SHOWN = 80


def shown(value: object) -> str:
    """``value`` as quoted back in an error message (JSON, cut short)."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    if isinstance(value, str):
        text = text[1:-1]
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _num(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


class Spec:
    """What one field may hold."""

    expected = "a value"

    def check(self, value: Any, path: str, invalid: str) -> None:
        raise NotImplementedError


def _type_error(value: object, path: str, expected: str) -> ApiError:
    return ApiError(
        "SerializationException",
        400,
        f"Value '{shown(value)}' at '{path}' is a JSON {_kind(value)}: it must be {expected}",
    )


def _range_error(invalid: str, value: object, path: str, constraint: str) -> ApiError:
    return ApiError(
        invalid,
        400,
        f"1 validation error detected: Value '{shown(value)}' at '{path}' failed to satisfy "
        f"constraint: {constraint}",
    )


@dataclass(frozen=True)
class Str(Spec):
    min_len: int = 0
    max_len: int | None = None
    expected = "a string"

    def check(self, value: Any, path: str, invalid: str) -> None:
        if not isinstance(value, str):
            raise _type_error(value, path, self.expected)
        if len(value) < self.min_len:
            raise _range_error(
                invalid,
                value,
                path,
                f"Member must have length greater than or equal to {self.min_len}",
            )
        if self.max_len is not None and len(value) > self.max_len:
            raise _range_error(
                invalid,
                value,
                path,
                f"Member must have length less than or equal to {self.max_len}",
            )


@dataclass(frozen=True)
class Num(Spec):
    """A number from ``low`` to ``high``; ``integer`` refuses fractions."""

    low: float
    high: float
    integer: bool = True

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "an integer" if self.integer else "a number"

    def check(self, value: Any, path: str, invalid: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(value, path, self.expected)
        if isinstance(value, float) and not math.isfinite(value):
            raise _range_error(
                invalid,
                value,
                path,
                f"Member must be {self.expected} from {_num(self.low)} to {_num(self.high)}",
            )
        if value < self.low:
            raise _range_error(
                invalid,
                value,
                path,
                f"Member must have value greater than or equal to {_num(self.low)}",
            )
        if value > self.high:
            raise _range_error(
                invalid,
                value,
                path,
                f"Member must have value less than or equal to {_num(self.high)}",
            )
        # After the range: an integer too large for 64 bits arrives from orjson as a float.
        if self.integer and isinstance(value, float):
            raise _type_error(value, path, self.expected)


def Int(low: int, high: int = (1 << 63) - 1) -> Num:
    """An integer from ``low`` to ``high`` (a long by default)."""
    return Num(low, high)


#: Seconds since the epoch, as boto3 sends ``timestamp`` members in the JSON protocols.
EPOCH_S = Num(0, MAX_EPOCH_S, integer=False)
#: Milliseconds since the epoch, as CloudWatch Logs' ``long`` timestamps.
EPOCH_MS = Num(0, MAX_EPOCH_S * 1000)


@dataclass(frozen=True)
class Bool(Spec):
    expected = "a boolean"

    def check(self, value: Any, path: str, invalid: str) -> None:
        if not isinstance(value, bool):
            raise _type_error(value, path, self.expected)


@dataclass(frozen=True)
class List(Spec):
    item: Spec
    max_items: int | None = None

    @property
    def expected(self) -> str:  # type: ignore[override]
        return f"a list of {self.item.expected.removeprefix('a ').removeprefix('an ')}s"

    def check(self, value: Any, path: str, invalid: str) -> None:
        if not isinstance(value, list):
            raise _type_error(value, path, self.expected)
        if self.max_items is not None and len(value) > self.max_items:
            raise _range_error(
                invalid,
                f"{len(value)} items",
                path,
                f"Member must have length less than or equal to {self.max_items}",
            )
        for i, item in enumerate(value):
            self.item.check(item, f"{path}.{i + 1}", invalid)


@dataclass(frozen=True)
class Obj(Spec):
    """A JSON object with these fields (others are ignored)."""

    fields: Mapping[str, Spec] = field(default_factory=dict)
    expected = "an object"

    def check(self, value: Any, path: str, invalid: str) -> None:
        if not isinstance(value, dict):
            raise _type_error(value, path, self.expected)
        check_fields(value, self.fields, invalid, f"{path}.")


@dataclass(frozen=True)
class MapOf(Spec):
    """A JSON object of string keys to values of one kind."""

    value: Spec
    expected = "an object"

    def check(self, value: Any, path: str, invalid: str) -> None:
        if not isinstance(value, dict):
            raise _type_error(value, path, self.expected)
        for key, item in value.items():
            self.value.check(item, f"{path}.{key}", invalid)


def check_fields(
    body: Mapping[str, Any], schema: Mapping[str, Spec], invalid: str, prefix: str = ""
) -> None:
    """Check each field of ``schema`` present in ``body`` (a JSON ``null`` counts as
    absent); ``invalid`` is the service's error type for values out of range."""
    for name, spec in schema.items():
        value = body.get(name)
        if value is not None:
            spec.check(value, prefix + name, invalid)


def query_int(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """The integer query parameter ``name`` (decimal digits), ``low`` to ``high``."""
    raw = query.get(name)
    if raw is None:
        return default
    text = raw.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 30:
        raise ApiError(
            "InvalidParameterValueException",
            400,
            f"Value '{shown(raw)}' at '{name}' failed to satisfy constraint: Member must be an "
            f"integer from {low} to {high}",
        )
    value = int(text)
    if not low <= value <= high:
        raise ApiError(
            "InvalidParameterValueException",
            400,
            f"Value '{value if len(digits) <= 20 else shown(raw)}' at '{name}' failed to satisfy "
            f"constraint: Member must be an integer from {low} to {high}",
        )
    return value
