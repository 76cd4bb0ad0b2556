"""X-Ray trace ids: made per invocation, or continued from the caller's header."""

from __future__ import annotations

import os
import time


def new_trace_id() -> str:
    """``1-<8 hex epoch seconds>-<24 hex random>``."""
    return f"1-{int(time.time()):08x}-{os.urandom(12).hex()}"


def trace_header(incoming: str | None, sampled: bool = False) -> str:
    """The ``_X_AMZN_TRACE_ID`` value for one invocation.

    An incoming ``X-Amzn-Trace-Id`` keeps its Root (and Sampled decision); a new
    Parent segment id is made either way.
    """
    root = None
    flag = "1" if sampled else "0"
    if incoming:
        for part in incoming.split(";"):
            key, _, value = part.strip().partition("=")
            if key == "Root" and value:
                root = value
            elif key == "Sampled" and value in ("0", "1"):
                flag = value
    return f"Root={root or new_trace_id()};Parent={os.urandom(8).hex()};Sampled={flag}"
