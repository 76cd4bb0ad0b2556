"""The one error of schedule expressions: what is wrong with one, in words."""

from __future__ import annotations


class ExpressionError(ValueError):
    """A schedule expression AWS would reject; ``str()`` says why.  Each service
    wraps it in its own AWS error and message."""
