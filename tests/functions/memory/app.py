"""A function that uses memory in each way the limit must see: Python objects, a C
allocation, a shared mapping, and forked children.

``event["action"]`` picks the way and ``event["mb"]`` how much; every page is
written, since untouched pages cost nothing.  Without an action the handler
answers with its pid, so tests can tell one environment from the next.
"""

import ctypes
import mmap
import os
import sys
import time

MB = 1 << 20
CHILD_GOT_IT, CHILD_REFUSED = 0, 3  # the exit status of a child that allocated


def _bytes(mb):
    return b"\x01" * (mb * MB)


def _malloc(mb):
    """What a C extension does: malloc, and MemoryError when it returns NULL."""
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    pointer = libc.malloc(mb * MB)
    if not pointer:
        raise MemoryError("malloc returned NULL")
    ctypes.memset(pointer, 1, mb * MB)
    return pointer


def _shared(mb):
    mapping = mmap.mmap(-1, mb * MB)  # MAP_SHARED | MAP_ANONYMOUS
    for offset in range(0, mb * MB, mmap.PAGESIZE):
        mapping[offset] = 1
    return mapping


def _child(body, hold_s=0.0):
    """Fork a child that runs ``body`` and keeps what it returns for ``hold_s``.  It
    exits CHILD_GOT_IT, or CHILD_REFUSED on a MemoryError; the kernel may kill it
    instead.  Returns its pid and a pipe that gives one byte once it allocated, and
    end-of-file if it died first."""
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        status = CHILD_GOT_IT
        try:
            kept = body()
            os.write(ready_w, b"1")
            time.sleep(hold_s)
            del kept
        except MemoryError:
            status = CHILD_REFUSED
        finally:
            os._exit(status)
    os.close(ready_w)
    return pid, ready_r


def handler(event, context):
    action, mb = event.get("action"), event.get("mb", 0)
    answer = {"pid": os.getpid()}
    if action == "bytes":
        answer["allocated"] = len(_bytes(mb))
    elif action == "chunks":
        answer["allocated"] = len([_bytes(1) for _ in range(mb)]) * MB
    elif action == "malloc":
        _malloc(mb)  # leaked on purpose: it stays resident until the environment goes
        answer["allocated"] = mb * MB
    elif action == "shared":
        answer["allocated"] = len(_shared(mb))
    elif action == "child":
        # One child allocates and exits; the handler reports how it ended.
        pid, ready = _child(lambda: _bytes(mb))
        os.close(ready)
        _, status = os.waitpid(pid, 0)
        answer["child"] = os.waitstatus_to_exitcode(status)
    elif action == "children":
        # Children that hold their memory while the handler returns.
        children = [_child(lambda: _bytes(mb), hold_s=30) for _ in range(event.get("n", 2))]
        answer["holding"] = sum(len(os.read(ready, 1)) for _, ready in children)
        for _, ready in children:
            os.close(ready)
        answer["children"] = [pid for pid, _ in children]
    elif action == "exit":
        sys.stdout.flush()
        os._exit(event["code"])
    return answer
