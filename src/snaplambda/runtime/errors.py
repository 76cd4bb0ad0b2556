"""Lambda's error document for an exception: what the caller receives and the log
shows when a handler, an init or a SnapStart hook fails."""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs every cold start
if TYPE_CHECKING:
    from typing import Any


def error_document(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """Lambda's error shape for an exception, without the request id."""
    import traceback  # only failures pay for it

    frames = traceback.extract_tb(exc.__traceback__)
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_list(frames),
    }
