"""The bare fork floor of a SnapStart restore, run by the function's own interpreter.

``python -S bench/forkfloor.py PACKAGE ITERATIONS [primed]`` (the event as JSON on
stdin) imports ``app`` from ``PACKAGE`` once (``primed``: and calls the handler once,
as ``bench/functions/fastapi_app/primed.py`` does before its snapshot), then for each iteration forks a child that
calls ``app.handler(event, context)`` once and writes the JSON result to a pipe; the
parent times fork to result read, then reaps the child.  It prints the times in
milliseconds as a JSON list.  No platform is involved: this is the least a restore
that forks an initialized interpreter can cost, the function's first invoke included.

Standalone on purpose (no snaplambda or bench imports): it runs under the function's
interpreter, which has neither installed.
"""

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


def main() -> None:
    package, iterations = sys.argv[1], int(sys.argv[2])
    event = json.loads(sys.stdin.read())
    sys.path.insert(0, package)
    import app  # type: ignore[import-not-found]  # the import being snapshotted

    if sys.argv[3:] == ["primed"]:
        app.handler(event, _Context())

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
