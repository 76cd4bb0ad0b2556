"""Ready-made scratch directories: fresh, distinct, refilled off the loop, and the
spares removed at close."""

from __future__ import annotations

import asyncio
from pathlib import Path

from snaplambda.execution.scratch import ScratchDirs


def test_take_without_a_loop_makes_one(tmp_path: Path) -> None:
    dirs = ScratchDirs(tmp_path / "scratch")
    env_id, path = dirs.take()
    assert path == tmp_path / "scratch" / env_id and path.is_dir()
    assert list(path.iterdir()) == []


def test_spares_are_made_ahead_and_removed_at_close(tmp_path: Path) -> None:
    async def refilled(count: int) -> None:
        for _ in range(500):  # the refill runs later, on a worker thread
            if len(list(tmp_path.iterdir())) == count:
                return
            await asyncio.sleep(0.01)

    async def scenario() -> None:
        dirs = ScratchDirs(tmp_path, spare=2)
        taken = [dirs.take()]
        await refilled(3)
        assert len(list(tmp_path.iterdir())) == 3  # the one taken and two spares
        taken += [dirs.take(), dirs.take(), dirs.take()]
        assert len({env_id for env_id, _ in taken}) == 4
        assert all(path.is_dir() for _, path in taken)
        await refilled(6)
        assert len(list(tmp_path.iterdir())) == 6  # two spares again beside the four taken
        dirs.close()
        assert sorted(tmp_path.iterdir()) == sorted(path for _, path in taken)

    asyncio.run(scenario())
