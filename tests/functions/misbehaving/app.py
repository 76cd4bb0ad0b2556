"""A function that misbehaves in every way the platform must survive.

``event["action"]`` picks the misbehaviour; without one the handler answers with its
pid, so tests can tell one environment from the next.
"""

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time


def _fork(body):
    """Fork a child that runs ``body`` and never returns into the runtime."""
    pid = os.fork()
    if pid == 0:
        try:
            body()
        finally:
            os._exit(0)
    return pid


def _sleep_forever():
    time.sleep(300)


def _escape_and_sleep():
    os.setsid()
    time.sleep(300)


def _flood(seconds, chunk):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sys.stdout.write(chunk)


def handler(event, context):
    action = event.get("action")
    if action == "sleep":
        time.sleep(event["seconds"])
    elif action == "allocate":
        # Touch every page: a bare bytearray() of zeros would not be charged.
        hog = b"\x01" * (event["mb"] << 20)
        return len(hog)
    elif action == "allocate_chunks":
        hog = [b"\x01" * (1 << 20) for _ in range(event["mb"])]
        return len(hog)
    elif action == "exit":
        sys.stdout.flush()
        os._exit(event["code"])
    elif action == "sys_exit":
        sys.exit(event["code"])
    elif action == "segfault":
        ctypes.string_at(0)
    elif action == "signal":
        os.kill(os.getpid(), getattr(signal, event["signal"]))
        time.sleep(5)
    elif action == "children":
        popen = subprocess.Popen(["sleep", "300"])
        return {
            "pid": os.getpid(),
            "popen": popen.pid,
            "forked": _fork(_sleep_forever),
            "setsid": _fork(_escape_and_sleep),
        }
    elif action == "exit_leaving_child":
        # The child inherits the control socket and the output pipes.
        _fork(_sleep_forever)
        os._exit(event["code"])
    elif action == "fork_and_return":
        child = os.fork()
        return {"pid": os.getpid(), "child": child, "event": event}
    elif action == "flood":
        sys.stdout.write("x" * (event["mb"] << 20))
        sys.stdout.write("\n")
    elif action == "flood_lines":
        _flood(event["seconds"], "flooding the log stream\n")
    elif action == "flood_with_yes":
        # A native writer, much faster than any Python loop.
        subprocess.Popen(["yes", "flooding the log stream from a child process"])
        time.sleep(event["seconds"])
    elif action == "flood_from_thread":
        threading.Thread(target=_flood, args=(event["seconds"], "y" * 8192), daemon=True).start()
    elif action == "garbage":
        os.write(3, b"\xff" * 64)  # the runtime's control socket
        time.sleep(1)
    elif action == "big_response":
        return "x" * (event["mb"] << 20)
    elif action == "unserializable":
        return {1, 2, 3}
    return {"pid": os.getpid(), "event": event}
