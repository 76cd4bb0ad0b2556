"""The one error type of Application Auto Scaling, with its two common codes."""

from __future__ import annotations

from ...errors import AwsError


class AutoScalingError(AwsError):
    """An Application Auto Scaling error: its code (``ValidationException`` ...)
    and message, always a client error (400)."""

    def __init__(self, aws_type: str, message: str) -> None:
        super().__init__(message, aws_type, 400)


def invalid(message: str) -> AutoScalingError:
    """``ValidationException`` with ``message``."""
    return AutoScalingError("ValidationException", message)


def not_found(message: str) -> AutoScalingError:
    """``ObjectNotFoundException`` with ``message``."""
    return AutoScalingError("ObjectNotFoundException", message)
