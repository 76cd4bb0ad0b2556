"""Memory is a limit: a function that uses more than its MemorySize is stopped with
Lambda's error, and REPORT's ``Max Memory Used`` is what the environment really used,
never above MemorySize for a function that was not stopped and exactly MemorySize
for one that was.

Each behaviour runs on the platform's default limiter (what ``auto`` picks on this
host) and on ``--memory-limiter rlimit``; what is specific to one cgroup version
skips where the host lacks it.  The function is ``tests/functions/memory``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import Server, create, invoke, report_fields, zip_function

CODE = zip_function("memory")
INIT_CODE = zip_function("memory_init")
MIB = 1 << 20
OOM_MESSAGE = "Error: Runtime exited with error: signal: killed"


@pytest.fixture(scope="module")
def rlimit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("rlimit") / "state", "--memory-limiter", "rlimit")
    yield srv.start()
    srv.stop()


@pytest.fixture(params=["auto", "rlimit"])
def platform(request: pytest.FixtureRequest) -> Server:
    """The session's platform (``auto``), then one limiting memory with rlimits."""
    name = "server" if request.param == "auto" else "rlimit_server"
    srv: Server = request.getfixturevalue(name)
    return srv


def make(lam: Any, name: str, memory: int = 128, code: bytes = CODE, **config: Any) -> str:
    create(lam, name, code, MemorySize=memory, Timeout=30, **config)
    return name


def used_mb(response: dict[str, Any]) -> int:
    return int(report_fields(response["Log"])["Max Memory Used"].split()[0])


def request_id(response: dict[str, Any]) -> str:
    found = re.search(r"^START RequestId: (\S+)", response["Log"], re.M)
    assert found, response["Log"]
    return found.group(1)


def assert_out_of_memory(response: dict[str, Any], memory: int = 128) -> None:
    """Lambda's answer and log for a function stopped for memory."""
    assert response.get("FunctionError") == "Unhandled", response["Body"]
    rid = request_id(response)
    assert response["Body"] == {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": f"RequestId: {rid} {OOM_MESSAGE}",
    }
    log = response["Log"].splitlines()
    assert f"RequestId: {rid} {OOM_MESSAGE}" in log
    assert "Runtime.OutOfMemory" in log
    assert not any("Traceback" in line or "MemoryError" in line for line in log), log
    report = report_fields(response["Log"])
    assert report["Max Memory Used"] == f"{memory} MB", "stopped at its limit"
    assert (report["Status"], report["Error Type"]) == ("error", "Runtime.OutOfMemory")


def assert_replaced(lam: Any, name: str, old_pid: int) -> None:
    response = invoke(lam, name)
    assert "FunctionError" not in response, response["Body"]
    assert response["Body"]["pid"] != old_pid, "a new environment"
    assert "Init Duration" in report_fields(response["Log"])
    assert used_mb(response) <= 128


# -- past MemorySize -------------------------------------------------------------------


@pytest.mark.parametrize("action", ["bytes", "chunks", "malloc", "shared"])
def test_allocating_past_memory_size_is_stopped(platform: Server, action: str) -> None:
    """Python objects in one block or many, a C allocation, a shared mapping (which
    RLIMIT_DATA does not bound: the platform stops it from its measure)."""
    lam = platform.client()
    name = make(lam, f"mem-past-{action}")
    pid = invoke(lam, name)["Body"]["pid"]
    assert_out_of_memory(invoke(lam, name, {"action": action, "mb": 200}))
    assert_replaced(lam, name, pid)


def test_children_holding_memory_count_against_the_environment(platform: Server) -> None:
    """Two children holding 100 MB each in a 128 MB function: under a cgroup the
    kernel kills one; under rlimits each child has its own RLIMIT_DATA and only the
    platform's measure of the process tree sees them both.  Either way the REPORT
    shows the environment reached its limit, and never more."""
    lam = platform.client()
    name = make(lam, "mem-children")
    response = invoke(lam, name, {"action": "children", "mb": 100, "n": 2})
    assert used_mb(response) == 128, response["Log"]
    if platform.health()["memoryLimiter"] == "rlimit":
        assert_out_of_memory(response)


def test_a_child_allocating_past_memory_size_does_not_get_it(platform: Server) -> None:
    lam = platform.client()
    name = make(lam, "mem-child")
    response = invoke(lam, name, {"action": "child", "mb": 200})
    assert "FunctionError" not in response, response["Body"]
    # Killed by the kernel (-9) under a cgroup, MemoryError (3) under rlimits.
    assert response["Body"]["child"] in (-9, 3), "the child never held 200 MB"
    assert used_mb(response) <= 128


def test_init_allocating_past_memory_size_is_stopped(platform: Server) -> None:
    lam = platform.client()
    name = make(lam, "mem-init", code=INIT_CODE, Environment={"Variables": {"INIT_MB": "200"}})
    response = invoke(lam, name)
    assert response.get("FunctionError") == "Unhandled", response["Body"]
    assert response["Body"]["errorType"] == "Runtime.OutOfMemory"
    assert response["Body"]["errorMessage"].endswith(OOM_MESSAGE)
    report = report_fields(response["Log"])
    assert report["Max Memory Used"] == "128 MB"
    assert report["Error Type"] == "Runtime.OutOfMemory"


def test_a_crash_after_a_child_was_killed_for_memory_is_no_oom(platform: Server) -> None:
    """The kernel's OOM count sticks to the group: a child killed for memory in one
    invocation must not turn a later, unrelated exit into Runtime.OutOfMemory."""
    lam = platform.client()
    name = make(lam, "mem-sticky")
    first = invoke(lam, name, {"action": "child", "mb": 200})
    assert "FunctionError" not in first, first["Body"]
    response = invoke(lam, name, {"action": "exit", "code": 3})
    assert response["Body"]["errorType"] == "Runtime.ExitError"
    assert response["Body"]["errorMessage"].endswith("Runtime exited with error: exit status 3")


# -- under MemorySize ------------------------------------------------------------------


def test_max_memory_used_follows_what_the_function_allocates(platform: Server) -> None:
    """Idle, then 30 MB, then 90 MB in a 256 MB function: the figure is the
    environment's peak, so it rises by about what was allocated and stays below
    MemorySize.  (It once came from ru_maxrss, which a spawned process inherits
    from the platform: every function "used" the server's 60 MB and more.)"""
    lam = platform.client()
    name = make(lam, "mem-grows", memory=256)
    # The figure of a cold start's REPORT may come from the runtime, if its cgroup
    # join (on a worker thread) had not finished yet; later ones come from the group,
    # which leaves out library pages the runtime mapped before it joined.  So the
    # baseline is a second idle invoke, by when the join is done.
    invoke(lam, name)
    idle = invoke(lam, name)
    thirty = invoke(lam, name, {"action": "bytes", "mb": 30})
    ninety = invoke(lam, name, {"action": "bytes", "mb": 90})
    for response in (thirty, ninety):
        assert "FunctionError" not in response, response["Body"]
        assert response["Body"]["pid"] == idle["Body"]["pid"], "one environment"
    assert 1 < used_mb(idle) < used_mb(thirty) < used_mb(ninety) <= 256
    assert used_mb(thirty) - used_mb(idle) >= 25, (used_mb(idle), used_mb(thirty))
    assert used_mb(ninety) - used_mb(thirty) >= 50, (used_mb(thirty), used_mb(ninety))
    # The peak stays the peak, as Lambda's does.
    assert used_mb(invoke(lam, name)) == used_mb(ninety)


def test_a_function_near_its_limit_is_not_stopped(platform: Server) -> None:
    lam = platform.client()
    name = make(lam, "mem-near")
    response = invoke(lam, name, {"action": "chunks", "mb": 80})
    assert "FunctionError" not in response, response["Body"]
    assert 80 <= used_mb(response) <= 128


def test_runtime_figure_is_its_own_not_inherited_from_its_spawner(tmp_path: Path) -> None:
    """Why ru_maxrss could not be the runtime's figure: Linux keeps it across exec.
    A process that spawns a runtime after growing to 200 MB hands it that peak."""
    script = (
        "import os, resource, sys\n"
        "hog = b'x' * (200 << 20)\n"
        "code = 'import resource; from snaplambda.runtime import memstat; "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, memstat.peak_kb())'\n"
        "pid = os.posix_spawn(sys.executable, [sys.executable, '-c', code], os.environ)\n"
        "os.waitpid(pid, 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    inherited_kb, own_kb = map(int, out.stdout.split())
    assert inherited_kb >= 200 * 1024, "ru_maxrss carries the spawner's peak"
    assert own_kb < 100 * 1024, "the runtime's figure is its own"


# -- what the host offers ----------------------------------------------------------------


def test_health_names_the_mechanism(server: Server, rlimit_server: Server) -> None:
    health = server.health()
    assert health["memoryLimits"]["mechanism"] == health["memoryLimiter"]
    rlimit = rlimit_server.health()["memoryLimits"]
    assert rlimit["mechanism"] == "rlimit" and "RLIMIT_DATA" in rlimit["limit"]


def _memory_group(pid: int, version: str) -> Path:
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if version == "v1" and "memory" in controllers.split(","):
            return Path("/sys/fs/cgroup/memory") / path.lstrip("/")
        if version == "v2" and line.startswith("0::"):
            return Path("/sys/fs/cgroup") / path.lstrip("/")
    raise AssertionError(f"no {version} memory group for {pid}")


def _require(server: Server, mechanism: str) -> None:
    limiter = server.health()["memoryLimiter"]
    if limiter != mechanism:
        pytest.skip(
            f"needs {mechanism}, the platform uses {limiter!r} on this host "
            + (
                "(cgroup v1 needs a mounted memory controller and root)"
                if mechanism == "cgroup-v1"
                else "(cgroup v2 needs a unified hierarchy with the memory controller "
                "delegated to the platform)"
            )
        )


def test_cgroup_v1_group_of_an_environment(server: Server, lam: Any) -> None:
    _require(server, "cgroup-v1")
    name = make(lam, "mem-v1", memory=256)
    response = invoke(lam, name, {"action": "bytes", "mb": 30})
    group = _memory_group(response["Body"]["pid"], "v1")
    assert group.parent.name.startswith("snaplambda-")
    limit = int((group / "memory.limit_in_bytes").read_text())
    # What the process held before it joined is taken off the group's limit.
    assert 200 * MIB < limit < 256 * MIB
    if (group / "memory.memsw.limit_in_bytes").exists():
        assert int((group / "memory.memsw.limit_in_bytes").read_text()) == limit
    assert (group / "memory.swappiness").read_text().strip() == "0"
    peak = int((group / "memory.max_usage_in_bytes").read_text())
    assert 30 * MIB <= peak < limit
    assert used_mb(response) * MIB >= peak, "the figure covers the group's peak"


def test_cgroup_v2_group_of_an_environment(server: Server, lam: Any) -> None:
    _require(server, "cgroup-v2")
    name = make(lam, "mem-v2", memory=256)
    response = invoke(lam, name, {"action": "bytes", "mb": 30})
    group = _memory_group(response["Body"]["pid"], "v2")
    assert group.parent.name.startswith("snaplambda-")
    limit = int((group / "memory.max").read_text())
    assert 200 * MIB < limit < 256 * MIB
    if (group / "memory.swap.max").exists():
        assert (group / "memory.swap.max").read_text().strip() == "0"
    if (group / "memory.peak").exists():
        peak = int((group / "memory.peak").read_text())
        assert 30 * MIB <= peak < limit
        assert used_mb(response) * MIB >= peak


def test_no_limit_stops_nothing_and_still_measures(tmp_path: Path) -> None:
    unlimited = Server(tmp_path / "state", "--memory-limiter", "off").start()
    try:
        lam = unlimited.client()
        name = make(lam, "mem-off")
        response = invoke(lam, name, {"action": "shared", "mb": 200})
        assert "FunctionError" not in response, response["Body"]
        assert used_mb(response) > 200, "what it used, past MemorySize: nothing stopped it"
    finally:
        unlimited.stop()


def test_forced_cgroup_mode_uses_what_auto_found(tmp_path: Path, server: Server) -> None:
    """``--memory-limiter cgroup`` refuses to start where no cgroup is usable and
    otherwise uses the same mechanism as ``auto``."""
    auto = server.health()["memoryLimiter"]
    forced = Server(tmp_path / "state", "--memory-limiter", "cgroup")
    if auto == "rlimit":
        with pytest.raises(RuntimeError, match="cgroups are not usable"):
            forced.start()
        return
    try:
        assert forced.start().health()["memoryLimiter"] == auto
    finally:
        if forced.proc is not None:
            forced.stop()
