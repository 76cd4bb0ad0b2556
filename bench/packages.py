"""Building the benchmark functions' deployment packages.

A function with a ``requirements.txt`` gets its dependencies installed by the
function's own interpreter (``pip install --target``), so compiled wheels such as
pydantic-core match the runtime.  The result is cached under ``bench/.cache``, keyed
by the requirements and the interpreter, and reused on later runs.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from snaplambda.execution.runtimes import Interpreter, RuntimeResolver

BENCH_DIR = Path(__file__).resolve().parent
FUNCTIONS_DIR = BENCH_DIR / "functions"
CACHE_DIR = BENCH_DIR / ".cache"


class BuildError(Exception):
    """pip could not install a function's requirements."""


@dataclass(frozen=True)
class Package:
    """A function's code directory, ready to zip and to import from."""

    function: str
    path: Path
    built: bool
    """Whether dependencies were installed in this run (not taken from the cache)."""


def resolve_interpreter(runtime: str = "python3.11") -> Interpreter:
    """The real interpreter the platform runs ``runtime`` with (shims resolved),
    found the way the platform finds it."""
    return RuntimeResolver({}).resolve(runtime)


def _cache_key(requirements: bytes, interpreter: Interpreter) -> str:
    digest = hashlib.sha256(requirements)
    digest.update(f"\0{interpreter.path}\0{interpreter.version}".encode())
    return digest.hexdigest()[:12]


def _pip_install(interpreter: Interpreter, requirements: Path, target: Path) -> None:
    argv = [
        interpreter.path, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-warn-conflicts", "--no-warn-script-location",
        "--target", str(target), "-r", str(requirements),
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise BuildError(f"pip failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def build(function: str, interpreter: Interpreter) -> Package:
    """The code directory of ``bench/functions/<function>``, with its dependencies."""
    source = FUNCTIONS_DIR / function
    requirements = source / "requirements.txt"
    if not requirements.exists():
        return Package(function, source, built=False)
    key = _cache_key(requirements.read_bytes(), interpreter)
    target = CACHE_DIR / f"{function}-{interpreter.runtime}-{key}"
    built = False
    if not target.is_dir():
        staging = CACHE_DIR / f".staging-{target.name}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            _pip_install(interpreter, requirements, staging)
            staging.rename(target)  # only complete installs ever get the final name
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        built = True
    for module in source.glob("*.py"):
        # copy2 keeps the mtime, so bytecode cached next to it stays valid across runs.
        shutil.copy2(module, target / module.name)
    return Package(function, target, built)
