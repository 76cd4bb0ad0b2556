"""Errors of packaging.

PackagingError
 +-- InvalidArchive     not a zip, or hostile/unsafe content (InvalidParameterValueException)
 +-- ArchiveTooLarge    over the zipped or unzipped size limit
"""

from __future__ import annotations

from ..errors import AwsError


class PackagingError(AwsError):
    """Root of packaging errors."""

    aws_type = "InvalidParameterValueException"
    status = 400


class InvalidArchive(PackagingError):
    pass


class ArchiveTooLarge(PackagingError):
    def __init__(self, message: str, aws_type: str = "InvalidParameterValueException") -> None:
        status = 413 if aws_type == "RequestEntityTooLargeException" else 400
        super().__init__(message, aws_type, status)
