"""For provisioned-concurrency tests: reports how its environment was initialized.

Event fields (all optional): ``release`` path of a file to wait for before
returning (at most ``maxWait`` seconds, default 20); ``started`` path of a file to
create once the handler runs.  With FAIL_INIT set, the import raises.
"""

import os
import time

if os.environ.get("FAIL_INIT"):
    raise RuntimeError("init refused on purpose")

INIT_PID = os.getpid()


def handler(event, context):
    if "started" in event:
        with open(event["started"] + f".{os.getpid()}", "w") as f:
            f.write(str(os.getpid()))
    released = True
    if "release" in event:
        deadline = time.monotonic() + event.get("maxWait", 20)
        while not os.path.exists(event["release"]):
            if time.monotonic() > deadline:
                released = False
                break
            time.sleep(0.01)
    return {
        "pid": os.getpid(),
        "initPid": INIT_PID,
        "initType": os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE"),
        "version": context.function_version,
        "released": released,
    }
