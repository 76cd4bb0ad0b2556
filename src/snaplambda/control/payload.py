"""Invoke payload checks: Lambda's size limits and its JSON requirement, with the
errors Lambda answers for each (pure)."""

from __future__ import annotations

import orjson

from .errors import ControlError
from .quotas import SYNC_PAYLOAD_MAX_BYTES


class PayloadError(ControlError):
    """The request payload is not acceptable (size or JSON)."""

    def __init__(self, aws_type: str, status: int, message: str) -> None:
        super().__init__(message, aws_type, status)


def too_large(limit: int = SYNC_PAYLOAD_MAX_BYTES, event: bool = False) -> PayloadError:
    """Lambda's 413 for a payload over ``limit`` bytes (``event``: an asynchronous one)."""
    suffix = " with InvocationType Event" if event else ""
    return PayloadError(
        "RequestEntityTooLargeException",
        413,
        f"Request must be smaller than {limit} bytes for the InvokeFunction operation{suffix}",
    )


def check_payload(payload: bytes, limit: int = SYNC_PAYLOAD_MAX_BYTES) -> bytes:
    """Enforce ``limit`` and that the payload is JSON; an empty one means ``{}``."""
    if len(payload) > limit:
        raise too_large(limit)
    if not payload.strip():
        return b"{}"
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(
            "InvalidRequestContentException",
            400,
            f"Could not parse request body into json: {exc}",
        ) from exc
    return payload
