"""Errors of the execution layer.

ExecutionError
 +-- RuntimeUnavailable   no local interpreter for the function's runtime
 +-- Throttled            no concurrency left (TooManyRequestsException, 429)
 +-- PlatformStopping     the platform is shutting down
 +-- SnapshotFailed       a SnapStart version whose snapshot failed (409)
"""

from __future__ import annotations

from ..errors import AwsError


class ExecutionError(AwsError):
    """Root of execution errors."""


class RuntimeUnavailable(ExecutionError):
    aws_type = "InvalidRuntimeException"
    status = 502


class Throttled(ExecutionError):
    aws_type = "TooManyRequestsException"
    status = 429

    def __init__(self, reason: str) -> None:
        super().__init__("Rate Exceeded.")
        self.reason = reason


class PlatformStopping(ExecutionError):
    aws_type = "ServiceException"
    status = 503


class SnapshotFailed(ExecutionError):
    """A SnapStart version's snapshot could not be created: it cannot be invoked."""

    aws_type = "ResourceConflictException"
    status = 409


class IllegalTransition(RuntimeError):
    """An environment was asked to move between states its lifecycle does not allow:
    a bug in the platform, never something a function can cause."""
