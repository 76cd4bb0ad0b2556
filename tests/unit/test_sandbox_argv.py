"""The sandbox's bubblewrap command line, built from host paths (pure)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from snaplambda.control.models import FunctionConfig
from snaplambda.execution.runtimes import Interpreter
from snaplambda.execution.sandbox import build_argv, uid_for
from snaplambda.execution.spawn import EnvironmentSpec

SPEC = EnvironmentSpec(
    env_id="e1",
    config=FunctionConfig(
        name="fn",
        runtime="python3.11",
        handler="app.handler",
        code_key="k",
        code_sha256="",
        code_size=0,
    ),
    interpreter=Interpreter("python3.11", "/opt/py/3.11/bin/python3.11", "3.11.7"),
    code_path=Path("/srv/state/code/k"),
    runtime_dir=Path("/tmp/checkout/state/runtime"),
    scratch_dir=Path("/srv/state/tmp/e1"),
    log_group="g",
    log_stream="s",
    region="us-east-1",
    layer_dirs=(Path("/srv/state/code/l1"), Path("/srv/state/code/l2")),
)
HOST = {
    "system": ["/usr", "/lib"],
    "links": {"/lib": "usr/lib"},
    "etc": ["/etc/resolv.conf"],
    "runtime_links": ["/tmp/checkout/src/snaplambda/runtime"],
}


def argv(spec: EnvironmentSpec = SPEC, root: bool = True) -> list[str]:
    return build_argv("/usr/bin/bwrap", spec, ["python", "-S"], root=root, **HOST)  # type: ignore[arg-type]


def binds(args: list[str]) -> dict[str, str]:
    """Destination -> source of each ``--ro-bind``."""
    return {args[i + 2]: args[i + 1] for i, a in enumerate(args) if a == "--ro-bind"}


def test_code_layers_and_runtime_are_bound_read_only_where_lambda_has_them() -> None:
    found = binds(argv())
    assert found["/var/task"] == "/srv/state/code/k"
    assert found["/opt/layer-1"] == "/srv/state/code/l1"
    assert found["/opt/layer-2"] == "/srv/state/code/l2"
    assert found["/var/runtime"] == "/tmp/checkout/state/runtime"
    assert found["/opt/py/3.11"] == "/opt/py/3.11"  # the interpreter's prefix
    assert found["/etc/resolv.conf"] == "/etc/resolv.conf"
    assert "/srv/state" not in found and "/" not in found
    args = argv()
    assert args[args.index("/lib") - 2 : args.index("/lib") + 1] == ["--symlink", "usr/lib", "/lib"]


def test_tmp_is_a_sized_tmpfs_mounted_before_binds_below_it() -> None:
    args = argv()
    tmpfs = args.index("--tmpfs")
    assert args[tmpfs + 1] == "/tmp" and args[tmpfs - 1] == str(512 * 1024 * 1024)
    link = "/tmp/checkout/src/snaplambda/runtime"
    bind_of_link = next(i for i, a in enumerate(args) if a == "--ro-bind" and args[i + 2] == link)
    assert tmpfs < bind_of_link


def test_namespaces_and_privileges() -> None:
    as_root = argv()
    assert {"--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"} <= set(as_root)
    assert "--unshare-net" not in as_root
    caps = as_root[as_root.index("--cap-drop") :][:6]
    assert caps == ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    assert "--unshare-user" not in as_root
    unprivileged = argv(root=False)
    assert "--unshare-user" in unprivileged and "--cap-drop" not in unprivileged
    offline = argv(replace(SPEC, network="none"))
    assert "--unshare-net" in offline
    assert argv()[-3:] == ["--", "python", "-S"]


def test_each_function_has_its_own_unprivileged_uid() -> None:
    assert uid_for("fn") == uid_for("fn") >= 200_000
    assert uid_for("fn") != uid_for("other")
