"""The no-op function: measures the platform, not the function.

Only ``__future__`` is imported (``typing`` would add milliseconds to its cold start).
"""

from __future__ import annotations


def handler(event: object, context: object) -> None:
    return None
