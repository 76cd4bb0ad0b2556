"""Holds an invocation open until the test (or its peers) say so, so concurrency is
observed by what happened, not by how long it took.

Event fields (all optional):
  started  path of a file to create once the handler runs (contains the pid)
  release  path of a file to wait for before returning
  gate     directory for a rendezvous: each handler drops a file there and waits
           until ``parties`` handlers have arrived
  seconds  plain sleep when neither ``release`` nor ``gate`` is given
  maxWait  upper bound on any wait (default 20 s), so a broken platform fails the
           test instead of hanging it

With INIT_GATE (a directory) and INIT_PARTIES set, the import itself is a rendezvous:
each environment's init waits (at most INIT_MAX_WAIT seconds, default 8, under the
platform's init limit) until INIT_PARTIES inits are running at once.
"""

import os
import time

INIT_PID = os.getpid()


def _wait_for(ready, max_wait):
    deadline = time.monotonic() + max_wait
    while not ready():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


_init_gate = os.environ.get("INIT_GATE")
INIT_GATE_MET = None
if _init_gate:
    with open(os.path.join(_init_gate, f"init-{INIT_PID}"), "w"):
        pass
    INIT_GATE_MET = _wait_for(
        lambda: len(os.listdir(_init_gate)) >= int(os.environ["INIT_PARTIES"]),
        float(os.environ.get("INIT_MAX_WAIT", "8")),
    )


def handler(event, context):
    start = time.time()
    pid = os.getpid()
    max_wait = event.get("maxWait", 20)
    released = True
    if "started" in event:
        with open(event["started"] + ".tmp", "w") as f:
            f.write(str(pid))
        os.replace(event["started"] + ".tmp", event["started"])
    if "gate" in event:
        with open(os.path.join(event["gate"], f"arrived-{pid}"), "w"):
            pass
        parties = event["parties"]
        released = _wait_for(lambda: len(os.listdir(event["gate"])) >= parties, max_wait)
    elif "release" in event:
        released = _wait_for(lambda: os.path.exists(event["release"]), max_wait)
    else:
        time.sleep(event.get("seconds", 0))
    return {
        "pid": pid,
        "initPid": INIT_PID,
        "initGateMet": INIT_GATE_MET,
        "start": start,
        "end": time.time(),
        "released": released,
    }
