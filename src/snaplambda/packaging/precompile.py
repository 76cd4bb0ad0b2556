"""Compiling a stored package's bytecode ahead of its first cold start.

Deployment zips rarely carry ``__pycache__`` (ours never do: zipping skips it), so
the first environment of new code would compile every module it imports, often
doubling that cold start.  Compiling right after a deploy, in the background, with
the interpreter the function will run, moves that cost out of the invoke path.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

InterpreterFor = Callable[[str], str]
"""Runtime name -> interpreter path; raises when the runtime has none here."""


class Precompiler:
    """Compiles each (package, runtime) pair once, on a background thread."""

    def __init__(
        self,
        interpreter_for: InterpreterFor,
        compile: Callable[[Path, str], None] | None = None,
    ) -> None:
        self._interpreter_for = interpreter_for
        self._compile = compile or compile_package
        """(directory, interpreter path) -> None; ``compile_package`` unless given."""
        self._done: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def submit(self, directory: Path, runtime: str) -> None:
        """Start compiling ``directory`` for ``runtime`` unless that was done."""
        key = (str(directory), runtime)
        with self._lock:
            if key in self._done:
                return
            self._done.add(key)
        threading.Thread(
            target=self._run,
            args=(directory, runtime),
            daemon=True,
            name="snaplambda-precompile",
        ).start()

    def _run(self, directory: Path, runtime: str) -> None:
        try:
            interpreter = self._interpreter_for(runtime)
        except Exception:  # no interpreter: the invoke will say so, clearly
            return
        self._compile(directory, interpreter)


def compile_package(directory: Path, interpreter: str) -> None:
    """Write ``__pycache__`` for every module under ``directory``; errors in user code
    are left for the function's init to report as Lambda would."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            [interpreter, "-S", "-m", "compileall", "-q", "-j", "0", str(directory)],
            capture_output=True,
            timeout=300,
        )
