"""X-Ray trace ids: made per invocation, or continued from the caller's header."""

from __future__ import annotations

import random
import time

# Trace and segment ids must be unique, not secret: a PRNG seeded from the OS keeps
# os.urandom (a system call that also releases the GIL) off every invoke.
_ids = random.Random()


def random_hex(n_bytes: int) -> str:
    """``2 * n_bytes`` random hex digits."""
    return f"{_ids.getrandbits(8 * n_bytes):0{2 * n_bytes}x}"


def new_trace_id() -> str:
    """``1-<8 hex epoch seconds>-<24 hex random>``."""
    return f"1-{int(time.time()):08x}-{random_hex(12)}"


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
    return f"Root={root or new_trace_id()};Parent={random_hex(8)};Sampled={flag}"
