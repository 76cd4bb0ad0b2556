"""Typed reading of JSON bodies: wrong types are SerializationException, values out of
range the service's own error, both naming the path, the value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from snaplambda.api.errors import ApiError
from snaplambda.api.fields import EPOCH_MS, Bool, Int, List, Obj, Str, check_fields, query_int

SCHEMA = {
    "limit": Int(1, 10000),
    "name": Str(1, 5),
    "flag": Bool(),
    "names": List(Str(), max_items=2),
    "dims": List(Obj({"Name": Str(1, 255)})),
    "start": EPOCH_MS,
}


def error(body: dict[str, Any]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        check_fields(body, SCHEMA, "InvalidParameterException")
    return caught.value


@pytest.mark.parametrize(
    ("body", "path", "expected"),
    [
        ({"limit": "abc"}, "limit", "an integer"),
        ({"limit": True}, "limit", "an integer"),
        ({"limit": 2.5}, "limit", "an integer"),
        ({"name": ["x"]}, "name", "a string"),
        ({"flag": "yes"}, "flag", "a boolean"),
        ({"names": "x"}, "names", "a list of strings"),
        ({"names": [1]}, "names.1", "a string"),
        ({"dims": [{"Name": {"deep": [1]}}]}, "dims.1.Name", "a string"),
        ({"dims": ["x"]}, "dims.1", "an object"),
    ],
)
def test_wrong_types(body: dict[str, Any], path: str, expected: str) -> None:
    err = error(body)
    assert (err.aws_type, err.status) == ("SerializationException", 400)
    assert f"at '{path}'" in err.message and err.message.endswith(f"it must be {expected}")


@pytest.mark.parametrize(
    ("body", "path", "constraint"),
    [
        ({"limit": 0}, "limit", "greater than or equal to 1"),
        ({"limit": 10001}, "limit", "less than or equal to 10000"),
        ({"limit": 1e20}, "limit", "less than or equal to 10000"),
        ({"start": -1}, "start", "greater than or equal to 0"),
        ({"start": 2**70}, "start", "less than or equal to 253402300799000"),
        ({"start": float("nan")}, "start", "an integer from 0 to 253402300799000"),
        ({"name": ""}, "name", "length greater than or equal to 1"),
        ({"name": "toolong"}, "name", "length less than or equal to 5"),
        ({"names": ["a", "b", "c"]}, "names", "length less than or equal to 2"),
    ],
)
def test_out_of_range(body: dict[str, Any], path: str, constraint: str) -> None:
    err = error(body)
    assert err.aws_type == "InvalidParameterException"
    assert err.message.startswith("1 validation error detected: Value '")
    assert f"at '{path}' failed to satisfy constraint: Member must" in err.message
    assert constraint in err.message


def test_absent_and_null_fields_and_unknown_ones_pass() -> None:
    check_fields({"limit": None, "other": [1, {"x": 2}]}, SCHEMA, "X")
    check_fields({"limit": 5, "name": "ab", "dims": [{"Name": "n", "Value": 3}]}, SCHEMA, "X")


@pytest.mark.parametrize("raw", ["1e20", "abc", "-", "9" * 40, "NaN", "Infinity", "1.5"])
def test_query_int_refuses_what_is_not_a_bounded_integer(raw: str) -> None:
    with pytest.raises(ApiError) as caught:
        query_int({"n": raw}, "n", 1, 1, 100)
    assert caught.value.status == 400 and "at 'n'" in caught.value.message
    assert "integer from 1 to 100" in caught.value.message


def test_query_int_reads_and_bounds() -> None:
    assert query_int({}, "n", 7, 1, 100) == 7
    assert query_int({"n": "100"}, "n", 7, 1, 100) == 100
    with pytest.raises(ApiError):
        query_int({"n": "101"}, "n", 7, 1, 100)
