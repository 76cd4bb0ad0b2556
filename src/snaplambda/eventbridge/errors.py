"""The one error root of EventBridge rules and EventBridge Scheduler."""

from __future__ import annotations

from ..errors import AwsError


class EventBridgeError(AwsError):
    """An EventBridge or Scheduler error: its AWS name, HTTP status and message."""

    def __init__(self, aws_type: str, message: str, status: int = 400) -> None:
        super().__init__(message, aws_type, status)


def invalid(message: str) -> EventBridgeError:
    """``ValidationException`` (400) with ``message``."""
    return EventBridgeError("ValidationException", message)


def not_found(message: str, status: int = 400) -> EventBridgeError:
    """``ResourceNotFoundException``: 400 in EventBridge's JSON protocol, 404 in
    Scheduler's REST one."""
    return EventBridgeError("ResourceNotFoundException", message, status)
