"""Errors of packaging.

PackagingError
 +-- InvalidArchive     not a zip, or hostile/unsafe content (InvalidParameterValueException)
 +-- ArchiveTooLarge    over the zipped or unzipped size limit
"""

from __future__ import annotations


class PackagingError(Exception):
    """Root of packaging errors."""

    aws_type = "InvalidParameterValueException"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArchive(PackagingError):
    pass


class ArchiveTooLarge(PackagingError):
    def __init__(self, message: str, aws_type: str = "InvalidParameterValueException") -> None:
        super().__init__(message)
        self.aws_type = aws_type
        self.status = 413 if aws_type == "RequestEntityTooLargeException" else 400
