"""The Handler rule: AWS's pattern and length, and snaplambda's refusals of what could
not be a module inside the package."""

from __future__ import annotations

import pytest

from snaplambda.control.errors import ValidationError
from snaplambda.control.handlers import validate_handler


@pytest.mark.parametrize(
    "handler",
    ["app.handler", "pkg.mod.fn", "dir/app.handler", "src/pkg/mod.fn", "a" * 128, "x"],
)
def test_allowed(handler: str) -> None:
    assert validate_handler(handler) == handler


def test_aws_pattern_message_is_aws_form() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_handler("app handler")
    assert caught.value.message == (
        "1 validation error detected: Value 'app handler' at 'handler' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [^\\s]+"
    )
    with pytest.raises(ValidationError) as caught:
        validate_handler("a" * 129)
    assert caught.value.message.endswith("Member must have length less than or equal to 128")


@pytest.mark.parametrize(
    ("handler", "shown"),
    [
        ("app\x00.handler", "app\\x00.handler"),
        ("app.hand\x7fler", "app.hand\\x7fler"),
        ("..\\app.handler", "..\\app.handler"),
        ("dir\\app.handler", "dir\\app.handler"),
        ("../app.handler", "../app.handler"),
        ("/etc/app.handler", "/etc/app.handler"),
        ("..app.handler", "..app.handler"),
        (".app.handler", ".app.handler"),
        ("dir//app.handler", "dir//app.handler"),
        ("dir/../app.handler", "dir/../app.handler"),
        ("dir/./app.handler", "dir/./app.handler"),
        ("dir/.app.handler", "dir/.app.handler"),
    ],
)
def test_refused(handler: str, shown: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_handler(handler)
    message = caught.value.message
    assert message.startswith(f"1 validation error detected: Value '{shown}' at 'handler'")
    assert "snaplambda's rule" in message
