"""A function whose init (module level) allocates ``INIT_MB`` from its environment."""

import os

HELD = b"\x01" * (int(os.environ.get("INIT_MB", "0")) << 20)


def handler(event, context):
    return {"pid": os.getpid(), "held": len(HELD)}
