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


def parse_trace_header(value: str) -> dict[str, str]:
    """``Root=...;Parent=...;Sampled=1`` -> {"Root": ..., "Parent": ..., "Sampled": ...}
    (a part with an empty value is left out)."""
    out: dict[str, str] = {}
    for part in value.split(";"):
        key, _, val = part.strip().partition("=")
        if key and val:
            out[key] = val
    return out


def trace_header(incoming: str | None, sampled: bool = False) -> str:
    """The ``_X_AMZN_TRACE_ID`` value for one invocation.

    An incoming ``X-Amzn-Trace-Id`` keeps its Root (and Sampled decision); a new
    Parent segment id is made either way.
    """
    h = parse_trace_header(incoming) if incoming else {}
    flag = h.get("Sampled")
    if flag not in ("0", "1"):
        flag = "1" if sampled else "0"
    return f"Root={h.get('Root') or new_trace_id()};Parent={random_hex(8)};Sampled={flag}"
