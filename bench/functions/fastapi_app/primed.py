"""The FastAPI app, primed for SnapStart (the practice AWS recommends).

A before-snapshot hook sends one request (the JSON event in ``BENCH_PRIME_EVENT``)
through the handler, so FastAPI, Starlette and pydantic finish their lazy set-up
(route compilation, validators, the first response's code paths) once, in the
snapshot, instead of in every restored environment's first invoke.  The handler is
the same object as ``app.handler``.

FastAPI runs the sync endpoint in AnyIO's worker thread, which would idle on; a
snapshot may hold no other thread (it would not survive the fork), so the hook stops
AnyIO's workers again once the request is answered.
"""

import json
import os
import threading

from app import handler
from snapshot_restore_py import register_before_snapshot

__all__ = ["handler"]


@register_before_snapshot
def _prime() -> None:
    event = os.environ.get("BENCH_PRIME_EVENT")
    if not event:
        return
    handler(json.loads(event), None)
    for thread in threading.enumerate():
        if type(thread).__name__ == "WorkerThread" and hasattr(thread, "stop"):
            thread.stop()  # AnyIO's: queues its shutdown command
            thread.join(timeout=5)
