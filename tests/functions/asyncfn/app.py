"""A function for asynchronous-invocation tests; it reports through files.

Event fields (all optional):
  counter   file holding how many times this event ran (incremented on each run)
  failTimes fail (raise) while the run count is at most this; -1 fails always
  started   file to append one JSON line to when the run starts
  release   file to wait for (at most maxWait seconds, default 20) before running
  marker    file to append one JSON line to when the run succeeds
As a destination (no ``marker`` at the top level), the record received is appended
to the file named by the DEST_FILE environment variable.
"""

import json
import os
import time


def _append(path, doc):
    with open(path, "a") as f:
        f.write(json.dumps(doc) + "\n")


def handler(event, context):
    dest = os.environ.get("DEST_FILE")
    if dest:
        _append(dest, event)
        return {"recorded": True}
    if "started" in event:
        _append(event["started"], {"requestId": context.aws_request_id})
    if "release" in event:
        deadline = time.monotonic() + event.get("maxWait", 20)
        while not os.path.exists(event["release"]) and time.monotonic() < deadline:
            time.sleep(0.02)
    runs = 1
    if "counter" in event:
        path = event["counter"]
        runs = 1
        if os.path.exists(path):
            with open(path) as f:
                runs = int(f.read()) + 1
        with open(path, "w") as f:
            f.write(str(runs))
    fail = event.get("failTimes", 0)
    if fail == -1 or runs <= fail:
        raise RuntimeError(f"failing run {runs}")
    if "marker" in event:
        _append(event["marker"], {"requestId": context.aws_request_id, "runs": runs})
    return {"ok": True, "runs": runs}
