"""The base of every error snaplambda reports to an API caller.

Each package has its own root (``ControlError``, ``PackagingError``,
``ExecutionError``) deriving from :class:`AwsError`; an error carries the AWS error
name and HTTP status the API boundary answers with, so ``api/errors.py`` shapes any
of them without knowing the package.
"""

from __future__ import annotations


class AwsError(Exception):
    """An error with an AWS error name and HTTP status.

    Subclasses set ``aws_type`` and ``status`` as class attributes; one-off errors
    pass them to the constructor.
    """

    aws_type = "ServiceException"
    status = 500

    def __init__(
        self, message: str, aws_type: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if aws_type is not None:
            self.aws_type = aws_type
        if status is not None:
            self.status = status
