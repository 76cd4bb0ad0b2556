"""The bare fork floor of a SnapStart restore, run by the function's own interpreter.

``python -S bench/forkfloor.py PACKAGE ITERATIONS [primed|preload]`` (the event as JSON
on stdin) imports ``app`` from ``PACKAGE`` once, then for each iteration forks a child
that calls ``app.handler(event, context)`` once and writes the JSON result to a pipe;
the parent times fork to result read, then reaps the child.  It prints the times in
milliseconds as a JSON list.  No platform is involved: this is the least a restore
that forks an initialized interpreter can cost, the function's first invoke included.

Before forking, ``primed`` calls the handler once, as
``bench/functions/fastapi_app/primed.py`` does in its before-snapshot hook;
``preload`` does what the platform's SnapStart preload does: one child calls the
handler and reports the modules it imported, and the parent imports them.

Standalone on purpose (no snaplambda or bench imports): it runs under the function's
interpreter, which has neither installed.
"""

import contextlib
import json
import os
import sys
import time


class _Context:
    function_name = "forkfloor"
    function_version = "1"
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:forkfloor"
    log_group_name = "/aws/lambda/forkfloor"
    log_stream_name = "forkfloor"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def _preload(app: object, event: object) -> None:
    """Import what a first call imports, learnt from one forked child."""
    import importlib

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            before = set(sys.modules)
            app.handler(event, _Context())  # type: ignore[attr-defined]
            new = [m for m, v in list(sys.modules.items()) if m not in before and v is not None]
            os.write(write_end, json.dumps(new).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    for name in json.loads(b"".join(chunks)):
        if not name.startswith("__"):
            with contextlib.suppress(Exception):  # the platform skips failures too
                importlib.import_module(name)


def main() -> None:
    package, iterations = sys.argv[1], int(sys.argv[2])
    event = json.loads(sys.stdin.read())
    sys.path.insert(0, package)
    import app  # type: ignore[import-not-found]  # the import being snapshotted

    if sys.argv[3:] == ["primed"]:
        app.handler(event, _Context())
    elif sys.argv[3:] == ["preload"]:
        _preload(app, event)

    times = []
    for _ in range(iterations):
        read_end, write_end = os.pipe()
        start = time.monotonic_ns()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            try:
                result = json.dumps(app.handler(event, _Context())).encode()
                os.write(write_end, result)
            finally:
                os._exit(0)
        os.close(write_end)
        # The result is one small write: the first read returns it whole.
        chunks = [os.read(read_end, 65536)]
        elapsed = (time.monotonic_ns() - start) / 1e6
        while chunk := os.read(read_end, 65536):
            chunks.append(chunk)
        os.close(read_end)
        os.waitpid(pid, 0)
        if b'"statusCode": 200' not in b"".join(chunks):
            raise SystemExit(f"the handler failed in the child: {b''.join(chunks)[:500]!r}")
        times.append(elapsed)
    print(json.dumps(times))


if __name__ == "__main__":
    main()
