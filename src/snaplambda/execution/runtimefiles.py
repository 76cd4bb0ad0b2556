"""The files every function interpreter finds in the platform's runtime directory: the
stdlib-only bootstrap package and Lambda's SnapStart hooks module, installed once per
start of a state directory and shared read-only by every environment.

They are copies, refreshed at each start (a few dozen small files), not links into
the platform's install: the sandbox mounts the runtime directory read-only at
``/var/runtime``, and a link out of it would need its target mounted too, which costs
every sandboxed cold start more mounts.  Their bytecode is compiled for each runtime
by :func:`runtime_sources`' caller, since no environment can write it there.
"""

from __future__ import annotations

import filecmp
import importlib.util
import shutil
from pathlib import Path

from .. import runtime as runtime_pkg

PACKAGE = "snaplambda_runtime"
HOOKS = "snapstart"


def install_runtime(runtime_dir: Path) -> None:
    """Put the runtime package in ``runtime_dir`` as the top-level
    ``snaplambda_runtime`` package, and the SnapStart hooks module beside it."""
    runtime_dir.mkdir(parents=True, exist_ok=True)
    source = Path(runtime_pkg.__file__).resolve().parent
    _copy_if_changed(sorted(source.glob("*.py")), runtime_dir / PACKAGE)
    spec = importlib.util.find_spec("snapshot_restore_py")
    if spec is not None and spec.origin is not None:
        _copy_if_changed([Path(spec.origin).resolve()], runtime_dir / HOOKS)


def _copy_if_changed(files: list[Path], target: Path) -> None:
    """Make ``target`` hold exactly ``files`` (by name), rewriting it only when one
    differs, so an unchanged runtime keeps its compiled bytecode."""
    if target.is_symlink() or target.is_file():  # a link an earlier version left
        target.unlink()
    if target.is_dir() and _same(files, target):
        return
    fresh = target.with_name(target.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    for path in files:
        shutil.copy2(path, fresh / path.name)
    shutil.rmtree(target, ignore_errors=True)
    fresh.rename(target)


def _same(files: list[Path], target: Path) -> bool:
    present = {p.name for p in target.glob("*.py")}
    if present != {p.name for p in files}:
        return False
    return all(filecmp.cmp(p, target / p.name, shallow=False) for p in files)


def runtime_sources(runtime_dir: Path) -> list[Path]:
    """The installed runtime files to compile for each runtime: the sandbox mounts
    them read-only, so an interpreter could never cache their bytecode itself."""
    return [path for path in (runtime_dir / PACKAGE, runtime_dir / HOOKS) if path.exists()]
