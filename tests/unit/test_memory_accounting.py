"""The memory figure and out-of-memory rules (execution/memory.py) and the
accounting of memory held before a process joins its group (execution/cgroupfs.py),
on fake handles: the kernel side is in tests/functional/test_memory.py."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from snaplambda.execution.cgroup_v1 import CgroupV1Handle
from snaplambda.execution.cgroup_v2 import CgroupV2Handle
from snaplambda.execution.cgroupfs import MIB, MemoryGroupHandle, held_bytes, parse_keyed
from snaplambda.execution.memory import MemoryMeter


class FakeHandle:
    def __init__(self, peak: int | None = None, bounded: bool = True) -> None:
        self.peak = peak
        self.bounded = bounded
        self.kills = 0

    def private_env(self) -> dict[str, str]:
        return {}

    def attach(self, pid: int) -> None:
        pass

    def peak_bytes(self) -> int | None:
        return self.peak

    def oom_kills(self) -> int:
        return self.kills

    def kill_all(self) -> None:
        pass

    def release(self) -> None:
        pass


def test_parse_keyed_reads_cgroup_and_proc_files() -> None:
    assert parse_keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")["oom_kill"] == 2
    assert parse_keyed("low 0\nhigh 0\nmax 7\noom 3\noom_kill 1\n") == {
        "low": 0,
        "high": 0,
        "max": 7,
        "oom": 3,
        "oom_kill": 1,
    }
    status = parse_keyed("Name:\tpython3\nRssAnon:\t    6108 kB\nRssShmem:\t  0 kB\n")
    assert (status["RssAnon"], status["RssShmem"]) == (6108, 0)
    assert "Name" not in status


def test_the_group_figure_wins_over_the_runtimes() -> None:
    handle = FakeHandle(peak=40 * MIB)
    meter = MemoryMeter(handle, 128)
    meter.runtime_reported(100 * 1024)  # counts shared library pages the group does not
    meter.sample()
    assert meter.used_mb() == 40


def test_without_a_group_the_runtimes_figure_stands() -> None:
    meter = MemoryMeter(FakeHandle(peak=None), 128)
    meter.runtime_reported(30 * 1024 + 1)
    meter.sample()
    assert meter.used_mb() == 31, "rounded up"
    meter.runtime_reported(10 * 1024)
    assert meter.used_mb() == 31, "a peak never goes down"


def test_the_figure_is_kept_when_the_group_is_gone() -> None:
    handle = FakeHandle(peak=50 * MIB)
    meter = MemoryMeter(handle, 128)
    meter.sample()
    handle.peak = None  # released
    meter.sample()
    assert meter.used_mb() == 50


def test_killed_for_memory_reports_memory_size() -> None:
    meter = MemoryMeter(FakeHandle(peak=3 * MIB), 256)
    meter.sample()
    assert meter.used_mb(killed_for_memory=True) == 256
    assert meter.used_mb() == 3


@pytest.mark.parametrize(("peak_mb", "over"), [(128, False), (129, True)])
def test_over_limit_is_past_memory_size(peak_mb: int, over: bool) -> None:
    meter = MemoryMeter(FakeHandle(peak=None), 128)
    meter.runtime_reported(peak_mb * 1024)
    assert meter.over_limit() is over


def test_no_limit_never_stops() -> None:
    meter = MemoryMeter(FakeHandle(peak=None, bounded=False), 128)
    meter.runtime_reported(500 * 1024)
    assert not meter.over_limit()
    assert meter.used_mb() == 500, "the figure is still measured"


def test_an_oom_kill_counts_only_in_its_invocation() -> None:
    handle = FakeHandle()
    meter = MemoryMeter(handle, 128)
    meter.invocation_started()
    handle.kills = 1  # a child killed by the kernel; the runtime went on
    assert meter.killed_for_memory(-signal.SIGKILL)
    meter.invocation_started()
    assert not meter.killed_for_memory(-signal.SIGKILL), "the count sticks, the OOM does not"
    handle.kills = 2
    assert not meter.killed_for_memory(3), "the OOM killer sends SIGKILL, nothing else"


def test_stopped_by_the_platform_is_out_of_memory_whatever_the_exit() -> None:
    meter = MemoryMeter(FakeHandle(), 128)
    meter.stopped = True
    assert meter.killed_for_memory(1)


class FakeGroup(MemoryGroupHandle):
    def __init__(self, memory_mb: int, fits: bool = True) -> None:
        super().__init__(memory_mb)
        self.fits = fits
        self.limits: list[int] = []
        self.joined: list[int] = []
        self.killed = False

    def _join(self, pid: int) -> None:
        self.joined.append(pid)

    def _set_limit(self, limit: int) -> None:
        if not self.fits:
            raise OSError("EBUSY")
        self.limits.append(limit)

    def _peak_inside(self) -> int | None:
        return 10 * MIB

    def _kernel_oom_kills(self) -> int:
        return 0

    def kill_all(self) -> None:
        self.killed = True

    def release(self) -> None:
        pass


@pytest.fixture
def lone() -> Iterator[int]:
    """A process with no children (this test process may have some)."""
    script = "import sys, time; print('up', flush=True); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"up\n"
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def parent_and_child() -> Iterator[tuple[int, int]]:
    """A process and the child it started (found in /proc once it is there)."""
    script = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", script])
    children: list[str] = []
    try:
        for _ in range(200):
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            if children:
                break
            time.sleep(0.02)
        assert children, "the child did not start"
        yield proc.pid, int(children[0])
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        proc.kill()
        proc.wait()


def test_memory_held_before_joining_is_taken_off_the_limit(lone: int) -> None:
    held = held_bytes(lone)
    assert held > 0
    group = FakeGroup(held // MIB + 64)
    group.attach(lone)
    assert group.joined == [lone]
    (limit,) = group.limits
    # This process may grow a little between the two readings.
    assert group.outside >= held and limit == group.memory_bytes - group.outside
    assert group.peak_bytes() == group.outside + 10 * MIB
    assert not group.killed and group.oom_kills() == 0


def test_children_it_forked_before_joining_join_and_count_too(
    parent_and_child: tuple[int, int],
) -> None:
    parent, child = parent_and_child
    group = FakeGroup(512)
    group.attach(parent)
    assert sorted(group.joined) == sorted([parent, child])
    assert group.outside >= held_bytes(child) + held_bytes(parent) // 2


def test_a_process_past_its_memory_before_joining_is_killed(lone: int) -> None:
    group = FakeGroup(1)
    group.attach(lone)
    assert group.killed and group.limits == []
    assert group.oom_kills() == 1


def test_a_limit_the_group_cannot_fit_kills_it(lone: int) -> None:
    group = FakeGroup(held_bytes(lone) // MIB + 64, fits=False)
    group.attach(lone)
    assert group.killed and group.oom_kills() == 1


# -- the handles' files, on a directory standing in for cgroupfs ------------------------


def _files(group: Path, **files: str) -> Path:
    group.mkdir(exist_ok=True)
    for name, text in files.items():
        (group / name.replace("__", ".")).write_text(text)
    return group


def test_v2_handle_limits_and_reads_its_group(tmp_path: Path, lone: int) -> None:
    group = _files(
        tmp_path / "env",
        cgroup__procs="",
        memory__max="max",
        memory__peak=str(20 * MIB),
        memory__events="low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n",
    )
    handle = CgroupV2Handle(256, group)
    handle.attach(lone)
    assert (group / "cgroup.procs").read_text() == str(lone)
    assert int((group / "memory.max").read_text()) == 256 * MIB - handle.outside
    assert handle.peak_bytes() == handle.outside + 20 * MIB
    assert handle.oom_kills() == 1


def test_v2_handle_without_memory_peak_keeps_the_highest_reading(tmp_path: Path) -> None:
    group = _files(tmp_path / "env", memory__current=str(30 * MIB))
    handle = CgroupV2Handle(256, group)
    assert handle.peak_bytes() == 30 * MIB
    (group / "memory.current").write_text(str(10 * MIB))
    assert handle.peak_bytes() == 30 * MIB


def test_v1_handle_limits_memory_and_swap_alike(tmp_path: Path, lone: int) -> None:
    group = _files(
        tmp_path / "env",
        cgroup__procs="",
        memory__limit_in_bytes=str(256 * MIB),
        memory__memsw__limit_in_bytes=str(256 * MIB),
        memory__memsw__max_usage_in_bytes=str(40 * MIB),
        memory__max_usage_in_bytes=str(39 * MIB),
        memory__oom_control="oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
    )
    handle = CgroupV1Handle(256, group, None, memsw=True)
    handle.attach(lone)
    limit = int((group / "memory.limit_in_bytes").read_text())
    assert limit == 256 * MIB - handle.outside
    assert int((group / "memory.memsw.limit_in_bytes").read_text()) == limit
    assert handle.peak_bytes() == handle.outside + 40 * MIB, "memory plus swap"
    assert handle.oom_kills() == 2


def test_v1_handle_on_a_kernel_without_oom_kill_counts_failcnt(tmp_path: Path) -> None:
    group = _files(
        tmp_path / "env",
        memory__oom_control="oom_kill_disable 0\nunder_oom 0\n",
        memory__failcnt="3",
        memory__max_usage_in_bytes=str(5 * MIB),
    )
    handle = CgroupV1Handle(128, group, None, memsw=False)
    assert handle.oom_kills() == 3
    assert handle.peak_bytes() == 5 * MIB
