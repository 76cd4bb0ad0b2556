"""ARNs of another region or account, refused as Lambda refuses them."""

from __future__ import annotations

import pytest

from snaplambda.control.arns import check_home, parse_function_ref
from snaplambda.control.errors import AccessDenied, ResourceNotFound


def home(value: str, action: str = "GetFunction") -> object:
    return check_home(parse_function_ref(value), "us-east-1", "123456789012", action)


@pytest.mark.parametrize(
    "value",
    [
        "f",
        "f:1",
        "123456789012:function:f",
        "arn:aws:lambda:us-east-1:123456789012:function:f:live",
    ],
)
def test_this_accounts_names_and_arns(value: str) -> None:
    assert home(value) == parse_function_ref(value)


def test_another_region() -> None:
    with pytest.raises(ResourceNotFound) as caught:
        home("arn:aws:lambda:eu-west-1:123456789012:function:f")
    assert caught.value.message == (
        "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"
    )


@pytest.mark.parametrize(
    ("value", "arn"),
    [
        ("999999999999:function:f:2", "arn:aws:lambda:us-east-1:999999999999:function:f:2"),
        (
            "arn:aws:lambda:us-east-1:999999999999:function:f",
            "arn:aws:lambda:us-east-1:999999999999:function:f",
        ),
    ],
)
def test_another_account(value: str, arn: str) -> None:
    with pytest.raises(AccessDenied) as caught:
        home(value, "InvokeFunction")
    assert caught.value.status == 403
    assert caught.value.message == (
        f"User: arn:aws:iam::123456789012:root is not authorized to perform: "
        f"lambda:InvokeFunction on resource: {arn} because no resource-based policy allows "
        "the lambda:InvokeFunction action"
    )
