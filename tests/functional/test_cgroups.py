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
