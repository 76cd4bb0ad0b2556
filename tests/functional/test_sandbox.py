"""Hostile functions inside the environment sandbox (bubblewrap): each attempt on
the platform, its state or another function is denied or contained, and a healthy
function keeps answering.

Runs against a real ``snaplambda serve --sandbox bwrap``; skipped where bubblewrap
cannot run here (the platform then says so in /health, checked below too).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from snaplambda.execution.sandbox import detect
from tests.support import Server, create, invoke, needs_runtime, zip_files, zip_function

_sandbox, _why = detect("auto")
pytestmark = pytest.mark.skipif(_sandbox is None, reason=f"no sandbox here: {_why}")


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(
        tmp_path_factory.mktemp("sandboxed") / "state", env={"SNAPLAMBDA_SANDBOX": "bwrap"}
    ).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def slam(sandboxed: Server) -> Any:
    lam = sandboxed.client("lambda")
    code = zip_function("hostile")
    create(lam, "hostile", code, Timeout=30, MemorySize=1024, EphemeralStorage={"Size": 512})
    create(lam, "victim", code, Timeout=30)
    return lam


def call(lam: Any, name: str, **event: Any) -> Any:
    out = invoke(lam, name, event)
    assert "FunctionError" not in out, out
    return out["Body"]


def healthy(server: Server, lam: Any) -> None:
    """The platform answers and another function still runs."""
    assert httpx.get(f"{server.endpoint}/health").json()["status"] == "ok"
    assert call(lam, "victim", what="ping") == "healthy"


def test_health_names_the_sandbox(sandboxed: Server) -> None:
    assert httpx.get(f"{sandboxed.endpoint}/health").json()["sandbox"].startswith("bubblewrap")


def test_the_function_runs_unprivileged_in_its_own_pid_namespace(slam: Any) -> None:
    me = call(slam, "hostile", what="whoami")
    assert me["pid"] == 2 and me["ppid"] == 1 and me["pids"] == [1, 2]
    assert me["cwd"] == me["task_root"] == "/var/task" and me["tmpdir"] == "/tmp"
    assert me["uid"] != 0 and me["gid"] != 0 and me["groups"] in ([], [me["gid"]])
    assert me["nofile"] == [1024, 1024]
    status = "".join(me["status"])
    assert "CapEff:\t0000000000000000" in status and "NoNewPrivs:\t1" in status
    other = call(slam, "victim", what="whoami")
    assert other["uid"] != me["uid"]  # one uid per function


def test_signals_reach_nothing_outside_the_environment(sandboxed: Server, slam: Any) -> None:
    assert call(slam, "hostile", what="kill-parent")[0] == "EPERM"
    assert call(slam, "hostile", what="kill-everyone") == {}
    healthy(sandboxed, slam)


def test_the_state_and_other_functions_are_not_visible(sandboxed: Server, slam: Any) -> None:
    state = sandboxed.state_dir
    victim_code = next(p for p in (state / "code").iterdir() if p.is_dir())
    paths = [
        str(state / "snaplambda.db"),
        str(victim_code / "app.py"),
        f"/proc/{sandboxed.proc.pid if sandboxed.proc else 1}/environ",
        "/proc/1/environ",
    ]
    seen = call(slam, "hostile", what="read", paths=paths)
    for path in paths[:3]:
        assert seen[path][0] == "ENOENT", (path, seen[path])
    assert seen["/proc/1/environ"][0] in ("EACCES", "EPERM")  # bubblewrap's reaper
    healthy(sandboxed, slam)


def test_writes_outside_tmp_are_refused_and_tmp_is_private(
    sandboxed: Server, slam: Any, tmp_path: Path
) -> None:
    host_file = tmp_path / "written-by-function"
    runtime_file = sandboxed.state_dir / "runtime" / "snaplambda_runtime" / "bootstrap.py"
    done = call(
        slam,
        "hostile",
        what="write",
        paths=[
            "/var/task/app.py",
            "/var/runtime/x",
            str(host_file),
            str(runtime_file),
            "/tmp/mine",
        ],
    )
    assert done["/var/task/app.py"][0] == "EROFS"
    assert done["/var/runtime/x"][0] == "EROFS"
    assert done[str(host_file)][0] in ("ENOENT", "EROFS")
    assert done[str(runtime_file)][0] in ("ENOENT", "EROFS")
    assert done["/tmp/mine"][0] == "ok"
    assert not host_file.exists()
    read = call(slam, "victim", what="read", paths=["/tmp/mine"])
    assert read["/tmp/mine"][0] == "ENOENT"


def test_tmp_is_limited_to_ephemeral_storage(sandboxed: Server, slam: Any) -> None:
    error, written_mb = call(slam, "hostile", what="fill-tmp", limit_mb=700)
    assert error == "ENOSPC" and 500 <= written_mb <= 512
    healthy(sandboxed, slam)


def test_open_files_and_processes_are_limited(sandboxed: Server, slam: Any) -> None:
    error, opened = call(slam, "hostile", what="fds")
    assert error == "EMFILE" and opened < 1024
    error, forked = call(slam, "hostile", what="fork-bomb")
    assert error == "EAGAIN" and forked < 1024
    healthy(sandboxed, slam)


def test_no_ptrace_of_the_platform_and_no_way_back_to_root(sandboxed: Server, slam: Any) -> None:
    assert sandboxed.proc is not None
    rc, error = call(slam, "hostile", what="ptrace", pid=sandboxed.proc.pid)
    assert rc == -1 and error in ("ESRCH", "EPERM")
    assert call(slam, "hostile", what="setuid")[0] == "EPERM"
    healthy(sandboxed, slam)


def test_memory_is_limited_inside_the_sandbox(sandboxed: Server, slam: Any) -> None:
    code = zip_files(
        {
            "app.py": "def handler(event, context):\n    x = bytearray(300 << 20)\n    return len(x)\n"
        }
    )
    create(slam, "hog", code, MemorySize=128)
    out = invoke(slam, "hog")
    assert out["Body"]["errorType"] == "Runtime.OutOfMemory", out["Body"]
    assert "Max Memory Used: 128 MB" in out["Log"]
    healthy(sandboxed, slam)


@needs_runtime("python3.12")
def test_layers_and_snapstart_restores_work_inside(sandboxed: Server, slam: Any) -> None:
    layer = zip_files({"python/shared.py": "VALUE = 'from the layer'\n"})
    arn = slam.publish_layer_version(LayerName="shared", Content={"ZipFile": layer})[
        "LayerVersionArn"
    ]
    source = (
        "import os, shared\n"
        "def handler(event, context):\n"
        "    return {'value': shared.VALUE, 'file': shared.__file__, 'pid': os.getpid(),\n"
        "            'type': os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']}\n"
    )
    create(
        slam,
        "snappy",
        zip_files({"app.py": source}),
        runtime="python3.12",
        Layers=[arn],
        SnapStart={"ApplyOn": "PublishedVersions"},
    )
    version = slam.publish_version(FunctionName="snappy")["Version"]
    slam.get_waiter("published_version_active").wait(FunctionName="snappy", Qualifier=version)
    out = invoke(slam, "snappy", Qualifier=version)
    body = out["Body"]
    assert body["value"] == "from the layer"
    assert body["file"].startswith("/opt/layer-1/python/")
    assert body["type"] == "snap-start"
    assert "Restore Duration:" in out["Log"]


def test_a_function_can_have_no_network(sandboxed: Server, slam: Any) -> None:
    source = (
        "import os, socket\n"
        "def handler(event, context):\n"
        "    try:\n"
        "        socket.create_connection(('127.0.0.1', event['port']), timeout=2).close()\n"
        "        return 'connected'\n"
        "    except OSError as exc:\n"
        "        return type(exc).__name__\n"
    )
    code = zip_files({"app.py": source})
    create(slam, "offline", code, Environment={"Variables": {"SNAPLAMBDA_NETWORK": "none"}})
    create(slam, "online", code)
    assert call(slam, "online", port=sandboxed.port) == "connected"
    assert call(slam, "offline", port=sandboxed.port) in ("ConnectionRefusedError", "OSError")
    with pytest.raises(slam.exceptions.InvalidParameterValueException, match="host, none"):
        create(slam, "bad-net", code, Environment={"Variables": {"SNAPLAMBDA_NETWORK": "vpc"}})
