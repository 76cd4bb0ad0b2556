"""Errors of the control plane.

ControlError
 +-- ResourceNotFound        the function (or version, or alias) does not exist
 +-- ResourceConflict        it exists already, or is in a state that forbids the call
 +-- InvalidParameterValue   a field's value is not allowed (names field, value, range)
 +-- PreconditionFailed      a RevisionId did not match
 +-- ValidationError         a value broke a model constraint (range, pattern, enum)
 +-- AccessDenied            an ARN names another account

Each carries the AWS error name and HTTP status the API boundary uses.
"""

from __future__ import annotations

from ..errors import AwsError


class ControlError(AwsError):
    """Root of control-plane errors."""


class ResourceNotFound(ControlError):
    aws_type = "ResourceNotFoundException"
    status = 404


class ResourceConflict(ControlError):
    aws_type = "ResourceConflictException"
    status = 409


class InvalidParameterValue(ControlError):
    aws_type = "InvalidParameterValueException"
    status = 400


class PreconditionFailed(ControlError):
    aws_type = "PreconditionFailedException"
    status = 412


class ValidationError(ControlError):
    """A value broke a constraint of the API model (range, pattern, enum)."""

    aws_type = "ValidationException"
    status = 400


def constraint_violation(field: str, value: object, constraint: str) -> ValidationError:
    """AWS's message for a value that breaks a model constraint of ``field``."""
    return ValidationError(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


class AccessDenied(ControlError):
    """The caller may not act on the resource (it belongs to another account)."""

    aws_type = "AccessDeniedException"
    status = 403
