"""Function identifiers: names, qualifiers, partial and full ARNs."""

from __future__ import annotations

import pytest

from snaplambda.control.arns import FunctionRef, function_arn, parse_function_ref
from snaplambda.control.errors import InvalidParameterValue

ACCOUNT = "123456789012"
FULL = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("my-function", FunctionRef("my-function")),
        ("my_function:live", FunctionRef("my_function", "live")),
        ("f:$LATEST", FunctionRef("f", "$LATEST")),
        ("f:7", FunctionRef("f", "7")),
        (f"{ACCOUNT}:function:f", FunctionRef("f")),
        (f"{ACCOUNT}:function:f:prod", FunctionRef("f", "prod")),
        (f"{FULL}:f", FunctionRef("f")),
        (f"{FULL}:f:$LATEST", FunctionRef("f", "$LATEST")),
        (f"{FULL}:f:42", FunctionRef("f", "42")),
        (f"arn:aws-cn:lambda:cn-north-1:{ACCOUNT}:function:f", FunctionRef("f")),
        (f"arn:aws-us-gov:lambda:us-gov-west-1:{ACCOUNT}:function:f:a", FunctionRef("f", "a")),
        ("A" * 64, FunctionRef("A" * 64)),
    ],
)
def test_accepted_forms(value: str, expected: FunctionRef) -> None:
    assert parse_function_ref(value) == expected


def test_separate_qualifier() -> None:
    assert parse_function_ref("f", "live") == FunctionRef("f", "live")
    assert parse_function_ref(f"{FULL}:f", "3") == FunctionRef("f", "3")
    assert parse_function_ref("f", "") == FunctionRef("f", None)
    assert parse_function_ref("f", None) == FunctionRef("f", None)


def test_matching_qualifiers_agree() -> None:
    assert parse_function_ref("f:live", "live") == FunctionRef("f", "live")
    assert parse_function_ref(f"{FULL}:f:live", "live") == FunctionRef("f", "live")


@pytest.mark.parametrize("value", ["f:live", f"{ACCOUNT}:function:f:live", f"{FULL}:f:live"])
def test_mismatched_qualifier_is_refused(value: str) -> None:
    with pytest.raises(InvalidParameterValue) as info:
        parse_function_ref(value, "prod")
    assert info.value.aws_type == "InvalidParameterValueException"
    assert "'live' versus 'prod'" in info.value.message


@pytest.mark.parametrize(
    "value",
    [
        "",
        "a" * 65,
        "has space",
        "f:",
        "f:a:b",
        "f:bad qualifier",
        "fn/path",
        "1234:function:f",  # account must be 12 digits
        f"{ACCOUNT}:function:",
        f"{ACCOUNT}:layer:f",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f:live:extra",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:f",
        f"arn:aws:s3:us-east-1:{ACCOUNT}:function:f",
        "arn:aws:lambda:us-east-1:123:function:f",
        "arn:aws:lambda::123456789012:function:f",
        "arn:aws:s3:::bucket",
        "f\n",
        "\u00e9t\u00e9",
    ],
)
def test_garbage_is_refused_naming_the_value(value: str) -> None:
    with pytest.raises(InvalidParameterValue) as info:
        parse_function_ref(value)
    assert f"Value '{value}' at 'functionName'" in info.value.message
    assert "partial ARN" in info.value.message


def test_function_arn_round_trips() -> None:
    arn = function_arn("us-east-1", ACCOUNT, "f")
    assert arn == f"{FULL}:f"
    assert function_arn("us-east-1", ACCOUNT, "f", "live") == f"{FULL}:f:live"
    assert parse_function_ref(arn) == FunctionRef("f")
    assert parse_function_ref(function_arn("eu-west-1", ACCOUNT, "f", "3")) == FunctionRef("f", "3")
