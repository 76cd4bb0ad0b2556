"""A function whose init (module import) is slow.

With SLOW_INIT_STARTED / SLOW_INIT_RELEASE set, the import announces itself and then
waits for the release file (at most SLOW_INIT_MAX_WAIT seconds); otherwise it sleeps
3 seconds."""

import os
import time

INIT_STARTED_AT = time.time()

_started = os.environ.get("SLOW_INIT_STARTED")
_release = os.environ.get("SLOW_INIT_RELEASE")
if _started and _release:
    with open(_started + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace(_started + ".tmp", _started)
    _deadline = time.monotonic() + float(os.environ.get("SLOW_INIT_MAX_WAIT", "8"))
    while not os.path.exists(_release) and time.monotonic() < _deadline:
        time.sleep(0.01)
    RELEASED = os.path.exists(_release)
else:
    time.sleep(3)
    RELEASED = True

INIT_DONE_AT = time.time()


def handler(event, context):
    return {
        "pid": os.getpid(),
        "initStartedAt": INIT_STARTED_AT,
        "initDoneAt": INIT_DONE_AT,
        "released": RELEASED,
    }
