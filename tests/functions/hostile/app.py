"""A function that tries what a hostile one would; ``event["what"]`` picks the attempt."""

import ctypes
import errno
import os
import signal
import time


def _try(f):
    try:
        return ["ok", f()]
    except OSError as exc:
        return [errno.errorcode.get(exc.errno, str(exc.errno)), str(exc.filename or "")]


def handler(event, context):
    what = event["what"]
    if what == "whoami":
        return {
            "uid": os.getuid(),
            "gid": os.getgid(),
            "groups": os.getgroups(),
            "pid": os.getpid(),
            "ppid": os.getppid(),
            "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
            "cwd": os.getcwd(),
            "tmpdir": os.environ["TMPDIR"],
            "task_root": os.environ["LAMBDA_TASK_ROOT"],
            "nofile": __import__("resource").getrlimit(__import__("resource").RLIMIT_NOFILE),
            "status": [
                line
                for line in open("/proc/self/status")
                if line.startswith(("CapEff", "NoNewPrivs"))
            ],
        }
    if what == "kill-parent":
        return _try(lambda: os.kill(os.getppid(), signal.SIGKILL))
    if what == "kill-everyone":
        hits = {}
        for pid in range(2, 4000):
            if pid == os.getpid():
                continue
            try:
                os.kill(pid, signal.SIGKILL)
                hits[pid] = "killed"
            except OSError as exc:
                if exc.errno != errno.ESRCH:
                    hits[pid] = errno.errorcode[exc.errno]
        return hits
    if what == "kill-group":
        return _try(lambda: os.killpg(os.getpgid(0), 0))
    if what == "read":
        return {
            path: _try(lambda p=path: open(p, "rb").read(64).decode("latin-1"))
            for path in event["paths"]
        }
    if what == "write":
        return {path: _try(lambda p=path: open(p, "w").write("x")) for path in event["paths"]}
    if what == "fill-tmp":
        block = b"\0" * (4 << 20)
        written = 0
        try:
            with open("/tmp/fill", "wb") as f:
                while written < event["limit_mb"] << 20:
                    f.write(block)
                    f.flush()
                    written += len(block)
            return ["no error", written >> 20]
        except OSError as exc:
            return [errno.errorcode[exc.errno], written >> 20]
        finally:
            os.unlink("/tmp/fill")
    if what == "fds":
        files = []
        try:
            for _ in range(5000):
                files.append(open("/dev/null"))  # noqa: SIM115 - held open on purpose
            return ["no error", len(files)]
        except OSError as exc:
            return [errno.errorcode[exc.errno], len(files)]
        finally:
            for f in files:
                f.close()
    if what == "fork-bomb":
        children, error = [], None
        try:
            for _ in range(3000):
                pid = os.fork()
                if pid == 0:
                    time.sleep(60)
                    os._exit(0)
                children.append(pid)
        except OSError as exc:
            error = errno.errorcode[exc.errno]
        for pid in children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        return [error, len(children)]
    if what == "ptrace":
        libc = ctypes.CDLL(None, use_errno=True)
        rc = libc.ptrace(16, event["pid"], None, None)  # PTRACE_ATTACH
        return [rc, errno.errorcode.get(ctypes.get_errno(), "0")]
    if what == "setuid":
        return _try(lambda: os.setuid(0))
    return "healthy"
