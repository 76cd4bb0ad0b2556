"""The environment sandbox: each environment's process runs inside bubblewrap.

``bwrap`` gives the environment its own mount, PID, IPC and UTS namespaces with a
root made of read-only binds: the host's system directories (``/usr`` and the
top-level links or directories into it), the runtime's interpreter prefix, the
function's code at ``/var/task``, each layer at ``/opt/layer-N``, the platform's
runtime directory at ``/var/runtime``, and a private ``/tmp`` (a tmpfs of the
function's EphemeralStorage size).  Nothing else of the host is there: not the state
directory, not the platform's install, not other functions' code or scratch.  In its
PID namespace the environment is process 2 under bubblewrap's reaper, so no pid it
can name is the platform's or another environment's, and it outlives neither its
reaper nor the platform (``--die-with-parent``).

When the platform runs as root, bubblewrap drops every capability but setuid and
setgid and sets ``no_new_privs``; the runtime's bootstrap then becomes the
function's own unprivileged uid and gid (``uid_for``) with no supplementary groups
before it loads any of the function's code, which clears those two as well (an
extra ``setpriv`` exec would cost a millisecond of every cold start).  Otherwise the
environment keeps the platform's uid inside a user namespace.

``build_argv`` is pure: it turns host paths into the argument list, so what each mode
exposes can be read and tested without starting anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import SandboxMode
from .spawn import EnvironmentSpec

TASK_ROOT = Path("/var/task")
RUNTIME_ROOT = Path("/var/runtime")
TMP = Path("/tmp")
LAYER_ROOT = Path("/opt")

#: First uid (and gid) of functions' own users; each function gets one of the next
#: ``_UID_SPAN`` by a hash of its name.
_UID_BASE = 200_000
_UID_SPAN = 100_000

#: Host directories every environment sees read-only (a top-level link such as
#: ``/lib -> usr/lib`` is recreated as the same link).
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: Host files and directories of ``/etc`` a Python program expects, where present.
#: (Each bind costs a cold start about 0.1 ms: only what name resolution and TLS need.)
_ETC = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl", "/etc/pki")


def uid_for(function: str) -> int:
    """The unprivileged uid (and gid) a function's environments run as."""
    return _UID_BASE + zlib.crc32(function.encode()) % _UID_SPAN


@dataclass(frozen=True)
class Sandbox:
    """A working bubblewrap, and how environments are started in it."""

    bwrap: str
    root: bool
    """The platform is root: environments drop to their function's own uid."""

    @property
    def mechanism(self) -> str:
        return "bubblewrap" + (" (per-function uid)" if self.root else " (user namespace)")

    def private_env(self, spec: EnvironmentSpec) -> dict[str, str]:
        """What the bootstrap is told: it runs sandboxed (Lambda's rlimits), and the
        uid and gid to become."""
        env = {"_SNAPLAMBDA_SANDBOXED": "1"}
        if self.root:
            env["_SNAPLAMBDA_UID"] = str(uid_for(spec.config.name))
        return env

    def view(self, spec: EnvironmentSpec) -> EnvironmentSpec:
        """``spec`` as the function sees it: its paths inside the sandbox."""
        return replace(
            spec,
            code_path=TASK_ROOT,
            runtime_dir=RUNTIME_ROOT,
            scratch_dir=TMP,
            layer_dirs=tuple(LAYER_ROOT / f"layer-{i + 1}" for i in range(len(spec.layer_dirs))),
        )

    def argv(self, spec: EnvironmentSpec, command: Sequence[str]) -> list[str]:
        """The command line that runs ``command`` (paths as in ``view(spec)``) in a
        sandbox for ``spec``."""
        return build_argv(
            self.bwrap,
            spec,
            command,
            root=self.root,
            system=[p for p in _SYSTEM if os.path.lexists(p)],
            links={p: os.readlink(p) for p in _SYSTEM if os.path.islink(p)},
            etc=[p for p in _ETC if os.path.exists(p)],
            runtime_links=_runtime_links(spec.runtime_dir),
        )


def build_argv(
    bwrap: str,
    spec: EnvironmentSpec,
    command: Sequence[str],
    *,
    root: bool,
    system: Sequence[str],
    links: dict[str, str],
    etc: Sequence[str],
    runtime_links: Sequence[str],
) -> list[str]:
    """bwrap's arguments for one environment of ``spec`` (host paths) running
    ``command``; ``system``, ``links`` and ``etc`` describe the host."""
    args = [
        bwrap,
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "localhost",
    ]
    if spec.network == "none":
        args.append("--unshare-net")
    if root:
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user", "--disable-userns"]
    binds: list[tuple[str, str]] = []
    for path in system:
        if path in links:
            args += ["--symlink", links[path], path]
        else:
            binds.append((path, path))
    prefix = _interpreter_prefix(spec.interpreter.path)
    if not any(prefix == s or prefix.startswith(s + "/") for s in system):
        binds.append((prefix, prefix))
    binds += [(path, path) for path in etc]
    binds.append((str(spec.code_path), str(TASK_ROOT)))
    for i, layer in enumerate(spec.layer_dirs):
        binds.append((str(layer), str(LAYER_ROOT / f"layer-{i + 1}")))
    binds.append((str(spec.runtime_dir), str(RUNTIME_ROOT)))
    binds += [(target, target) for target in runtime_links]
    # The private /tmp first: a bind below /tmp (a checkout or state directory there)
    # must land on it, not be hidden by it.
    size = spec.config.ephemeral_storage * 1024 * 1024
    args += ["--perms", "1777", "--size", str(size), "--tmpfs", str(TMP)]
    # bwrap makes the directories leading to a mount point private to root: open them.
    made: set[str] = {"/", str(TMP)}
    for _, dest in binds:
        for parent in reversed(Path(dest).parents):
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
    for source, dest in binds:
        args += ["--ro-bind", source, dest]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--chdir", str(TASK_ROOT), "--"]
    return args + list(command)


def _interpreter_prefix(path: str) -> str:
    """The installation prefix of an interpreter at ``<prefix>/bin/python3.X``."""
    return str(Path(path).resolve().parent.parent)


def _runtime_links(runtime_dir: Path, depth: int = 2) -> list[str]:
    """Targets outside ``runtime_dir`` of the links in it (the runtime package and the
    SnapStart hooks module are links into the platform's install), so they resolve
    inside the sandbox too.  Only those files are bound, nothing beside them."""
    found: list[str] = []
    base = runtime_dir.resolve()
    stack = [(runtime_dir, 0)]
    while stack:
        directory, level = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(base) and target.exists():
                    found.append(str(target))
            elif entry.is_dir() and level < depth:
                stack.append((path, level + 1))
    return sorted(set(found))


def detect(mode: SandboxMode) -> tuple[Sandbox | None, str]:
    """The sandbox for ``mode`` and why: ``auto`` uses bubblewrap where it works and
    says why not otherwise; ``bwrap`` insists (OSError if it cannot)."""
    if mode == "off":
        return None, "off (--sandbox off)"
    bwrap = shutil.which("bwrap")
    root = os.geteuid() == 0
    reason = ""
    if bwrap is None:
        reason = "bubblewrap (bwrap) is not installed"
    else:
        probe = [bwrap, "--ro-bind", "/", "/", "--unshare-pid", "--die-with-parent"]
        if not root:
            probe += ["--unshare-user"]
        try:
            done = subprocess.run(
                [*probe, "--", "/bin/true"], capture_output=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            reason = f"bwrap did not run: {exc}"
        else:
            if done.returncode != 0:
                message = done.stderr.decode(errors="replace").strip()
                reason = f"bwrap cannot create namespaces here: {message}"
    if reason:
        if mode == "bwrap":
            raise OSError(f"--sandbox bwrap: {reason}")
        return None, f"off: {reason}"
    assert bwrap is not None
    sandbox = Sandbox(bwrap, root)
    return sandbox, sandbox.mechanism
