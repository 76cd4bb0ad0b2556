"""cgroups left by a platform that died without cleaning up are removed by the next."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.support import Server, create, invoke, zip_function


def _memory_groups(pid: int) -> list[Path]:
    return list(Path("/sys/fs/cgroup/memory").glob(f"**/snaplambda-{pid}"))


def test_groups_of_a_killed_server_are_removed_by_the_next(tmp_path: Path) -> None:
    first = Server(tmp_path / "a").start()
    try:
        if first.health()["memoryLimiter"] != "cgroup-v1":
            pytest.skip("this check reads cgroup v1 directories")
        lam = first.client()
        create(lam, "cg", zip_function("echo"))
        invoke(lam, "cg")
        assert first.proc is not None
        pid = first.proc.pid
        assert _memory_groups(pid), "the server made its cgroup"
    finally:
        first.stop(signal.SIGKILL)
    # SIGKILL leaves no chance to clean up: the groups (and the environment) remain.
    assert _memory_groups(pid), "a SIGKILLed server cannot remove its own groups"
    second = Server(tmp_path / "b").start()
    try:
        assert not _memory_groups(pid), "the next server removed the stale groups"
    finally:
        second.stop()


def test_an_environment_is_limited_to_lambdas_processes_by_its_pids_group(
    tmp_path: Path,
) -> None:
    # Unsandboxed (as root, no RLIMIT_NPROC applies): only the pids group bounds it.
    server = Server(tmp_path / "state", env={"SNAPLAMBDA_SANDBOX": "off"}).start()
    try:
        limits = server.health()["memoryLimits"]
        if limits.get("processes", "none") == "none":
            pytest.skip("this host has no cgroup pids controller for the platform")
        assert limits["processes"] == "pids.max 1024"
        lam = server.client()
        create(lam, "forker", zip_function("hostile"), Timeout=60, MemorySize=2048)
        error, forked = invoke(lam, "forker", {"what": "fork-bomb"})["Body"]
        assert error == "EAGAIN" and 1000 <= forked < 1024
        assert (
            invoke(lam, "forker", {"what": "fork-bomb"})["Body"][0] == "EAGAIN"
        )  # and the environment lives on
    finally:
        server.stop()
