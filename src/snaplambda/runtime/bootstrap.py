"""Bootstrap of one execution environment: load the handler, then serve invocations.

Started by the platform as ``python -S -c "...main()"`` in the function's own
interpreter, with the task root as working directory.  It talks to the platform over
the Unix socket whose descriptor is in ``_SNAPLAMBDA_CONTROL_FD`` (see :mod:`frames`);
the function's stdout and stderr are pipes the platform reads as the log stream.

Platform-private variables (``_SNAPLAMBDA_*``) are removed from ``os.environ`` before
any user code runs.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import socket
import sys
import time

from . import applog, memstat
from . import errortypes as types
from .context import LambdaContext
from .errors import error_document, set_layers
from .frames import encode, read_blocking

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs every cold start
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Handler = Callable[[Any, LambdaContext], Any]


class InitError(Exception):
    """The handler could not be loaded; carries Lambda's error document."""

    def __init__(self, doc: dict[str, Any]) -> None:
        super().__init__(doc["errorMessage"])
        self.doc = doc


def load_handler(spec: str) -> Handler:
    """Import ``module.path.function`` the way Lambda's runtime does, with its errors."""
    module_name, _, func_name = spec.rpartition(".")
    if not module_name or not func_name:
        raise InitError(
            {
                "errorMessage": f"Bad handler '{spec}': expected 'module.function'",
                "errorType": types.MALFORMED_HANDLER_NAME,
                "stackTrace": [],
            }
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        doc = error_document(exc, types.IMPORT_MODULE_ERROR)
        doc["errorMessage"] = f"Unable to import module '{module_name}': {exc}"
        doc["stackTrace"] = []
        raise InitError(doc) from exc
    except SyntaxError as exc:
        doc = error_document(exc, types.USER_CODE_SYNTAX_ERROR)
        doc["errorMessage"] = f"Syntax error in module '{module_name}': {exc}"
        raise InitError(doc) from exc
    except Exception as exc:
        raise InitError(error_document(exc)) from exc
    handler = getattr(module, func_name, None)
    if handler is None:
        raise InitError(
            {
                "errorMessage": f"Handler '{func_name}' missing on module '{module_name}'",
                "errorType": types.HANDLER_NOT_FOUND,
                "stackTrace": [],
            }
        )
    if not callable(handler):
        raise InitError(
            {
                "errorMessage": f"Handler '{func_name}' on module '{module_name}' is not callable",
                "errorType": types.HANDLER_NOT_FOUND,
                "stackTrace": [],
            }
        )
    return handler  # type: ignore[no-any-return]


#: Lambda's limits on open files and on processes and threads; the hard limit too,
#: so the function cannot raise them back.
_RLIMITS = ((resource.RLIMIT_NOFILE, 1024), (resource.RLIMIT_NPROC, 1024))


def _lambda_rlimits() -> None:
    for which, value in _RLIMITS:
        soft, hard = resource.getrlimit(which)
        cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (min(cap, soft) if soft != resource.RLIM_INFINITY else cap, cap))


def _become(uid: int) -> None:
    """Become the function's own user (uid and gid alike, no supplementary groups)
    before any of its code loads; the sandbox left this process only the capabilities
    to do so, and leaving root clears them."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def _take_private_env() -> dict[str, str]:
    private = {k: v for k, v in os.environ.items() if k.startswith("_SNAPLAMBDA_")}
    for key in private:
        del os.environ[key]
    return private


def _set_sys_path(front: list[str], runtime_dir: str) -> None:
    # Keep the interpreter's own stdlib entries; drop "" (cwd) that -c adds.
    stdlib = [p for p in sys.path if p and p != runtime_dir]
    # Lambda provides ``snapshot_restore_py`` to python3.12+, after the function's
    # own code and layers (a copy in the package wins).
    support = [os.path.join(runtime_dir, "snapstart")] if sys.version_info >= (3, 12) else []
    # The AWS SDK (boto3, botocore...) goes last: after the function's own code and
    # layers, as on Lambda, and after the standard library, so that no stdlib import
    # ever looks in it.  The platform links it only for runtimes it suits.
    sdk = os.path.join(runtime_dir, "sdk", f"python{sys.version_info[0]}.{sys.version_info[1]}")
    tail = [sdk] if runtime_dir and os.path.isdir(sdk) else []
    sys.path[:] = [*front, runtime_dir, *support, *stdlib, *tail]


class Runtime:
    """The invoke loop of one environment."""

    def __init__(
        self,
        sock: socket.socket,
        handler: Handler,
        rlimit_mode: bool,
        known_modules: set[str] | None = None,
        learn_pages: bool = False,
    ) -> None:
        self.sock = sock
        self.handler = handler
        self.rlimit_mode = rlimit_mode
        self.pid = os.getpid()
        self._known = known_modules
        """Restored from a snapshot: the modules it had, plus those already reported
        (see :mod:`.preload`); None otherwise."""
        self._known_count = len(sys.modules)
        self._learn_pages = learn_pages
        """Restored from a snapshot that has not learned which pages a first request
        writes: report them with the first result (see :mod:`.prefault`)."""

    def _new_imports(self) -> list[str]:
        """Modules imported since the snapshot and not reported yet, in import order
        (a length check keeps this off every invoke that imported nothing)."""
        if self._known is None or len(sys.modules) == self._known_count:
            return []
        known = self._known
        fresh = [
            name
            for name, module in list(sys.modules.items())
            if name not in known and module is not None and not name.startswith("__")
        ]
        known.update(fresh)
        self._known_count = len(sys.modules)
        return fresh

    def serve(self) -> None:
        while True:
            header, body = read_blocking(self.sock)
            if header["t"] == "invoke":
                self.invoke(header, body)

    def invoke(self, header: dict[str, Any], body: bytes) -> None:
        request_id: str = header["id"]
        applog.request_id = request_id
        os.environ["_X_AMZN_TRACE_ID"] = header.get("trace") or ""
        context = LambdaContext(
            request_id,
            header["deadline_ms"],
            header["arn"],
            header.get("client_context"),
            header.get("identity"),
        )
        ok, fatal = True, False
        try:
            event = json.loads(body) if body else {}
            result = self.handler(event, context)
            try:
                payload = json.dumps(result).encode()
            except (TypeError, ValueError) as exc:
                raise _MarshalError(f"Unable to marshal response: {exc}") from exc
        except BaseException as exc:  # the handler's failure is reported, never fatal here
            if self.pid != os.getpid():
                os._exit(0)
            ok = False
            error_type = None
            if isinstance(exc, _MarshalError):
                error_type = types.MARSHAL_ERROR
            elif isinstance(exc, MemoryError) and self.rlimit_mode:
                error_type, fatal = types.OUT_OF_MEMORY, True
            elif isinstance(exc, SystemExit):
                # As on Lambda the runtime exits with the handler's status, and the
                # platform reports Runtime.ExitError ("exit status N") as for os._exit.
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(_exit_status(exc))
            doc = error_document(exc, error_type)
            doc["requestId"] = request_id
            if not fatal:  # a runtime stopped for memory logs nothing, as on Lambda
                applog.log_error(doc)
            payload = json.dumps(doc).encode()
        if self.pid != os.getpid():
            # A child forked by the handler returned here: it must never answer.
            os._exit(0)
        sys.stdout.flush()
        sys.stderr.flush()
        maxrss = memstat.peak_kb(children=self.rlimit_mode)
        reply = {"t": "result", "id": request_id, "ok": ok, "maxrss_kb": maxrss, "fatal": fatal}
        imported = self._new_imports()
        if imported:
            reply["imported"] = imported
        if self._learn_pages:
            self._learn_pages = False
            if not imported:  # else preload changes what a first request writes
                from .prefault import written_ranges

                reply["pages"] = written_ranges()
        self.sock.sendall(encode(reply, payload))
        if fatal:
            os._exit(1)


class _MarshalError(Exception):
    pass


def _exit_status(exc: SystemExit) -> int:
    """The status the interpreter would exit with for ``exc`` (printing a message)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    sys.stderr.write(f"{exc.code}\n")
    sys.stderr.flush()
    return 1


def main() -> None:
    t_start = time.monotonic_ns()
    private = _take_private_env()
    sock = socket.socket(fileno=int(private["_SNAPLAMBDA_CONTROL_FD"]))
    sock.setblocking(True)
    rlimit = int(private.get("_SNAPLAMBDA_RLIMIT_BYTES", "0"))
    if rlimit:
        resource.setrlimit(resource.RLIMIT_DATA, (rlimit, rlimit))
    if private.get("_SNAPLAMBDA_SANDBOXED"):
        _lambda_rlimits()
    uid = private.get("_SNAPLAMBDA_UID")
    if uid:
        _become(int(uid))
    front = [p for p in private.get("_SNAPLAMBDA_PATHS", "").split(os.pathsep) if p]
    os.chdir(os.environ.get("LAMBDA_TASK_ROOT") or ".")
    _set_sys_path(front, os.environ.get("LAMBDA_RUNTIME_DIR", ""))
    set_layers(private.get("_SNAPLAMBDA_LAYERS", "").split(os.pathsep))
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    applog.install_logging()
    t_runtime = time.monotonic_ns()
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except InitError as exc:
        if rlimit and isinstance(exc.__cause__, MemoryError):
            exc.doc = error_document(exc.__cause__, types.OUT_OF_MEMORY)
        else:
            applog.log_error(exc.doc)
        head = {"t": "init", "ok": False, "t_start_ns": t_start, "t_runtime_ns": t_runtime}
        head["t_done_ns"] = time.monotonic_ns()
        sock.sendall(encode(head, json.dumps(exc.doc).encode()))
        os._exit(1)
    head = {"t": "init", "ok": True, "t_start_ns": t_start, "t_runtime_ns": t_runtime}
    head["t_done_ns"] = time.monotonic_ns()
    head["maxrss_kb"] = memstat.peak_kb(children=bool(rlimit))
    known: set[str] | None = None
    learn = False
    if private.get("_SNAPLAMBDA_SNAPSHOT"):
        from .holder import hold  # returns only in an environment restored from it

        sock, known, learn = hold(
            sock,
            head,
            int(private["_SNAPLAMBDA_CONTROL_FD"]),
            immortal=private.get("_SNAPLAMBDA_IMMORTAL") == "1",
            learn=private.get("_SNAPLAMBDA_LEARN") == "1",
        )
    else:
        sock.sendall(encode(head))
    Runtime(sock, handler, rlimit_mode=bool(rlimit), known_modules=known, learn_pages=learn).serve()


if __name__ == "__main__":
    main()
