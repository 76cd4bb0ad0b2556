"""Each environment's private scratch directory (its ``TMPDIR``), made ahead of need.

Making a directory costs about half a millisecond on a journaling filesystem such
as ext4, longer under load, and every cold start needs one.  :class:`ScratchDirs`
keeps a few made in a worker thread, so a cold start takes one ready-made and the
next is made in the background.  A directory's name is its environment's id.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from pathlib import Path

#: How many ready-made directories to keep.
SPARE = 2

#: How long after a take the refill starts: not during the cold start that took it,
#: whose processes would share the CPUs with the refill's thread.
REFILL_DELAY_S = 0.2


class ScratchDirs:
    """Fresh, empty per-environment directories under ``root``."""

    def __init__(self, root: Path, spare: int = SPARE) -> None:
        self.root = root
        self._spare_target = spare
        self._spare: deque[tuple[str, Path]] = deque()
        self._refilling = False

    def _make(self) -> tuple[str, Path]:
        env_id = uuid.uuid4().hex
        path = self.root / env_id
        path.mkdir(parents=True, exist_ok=True)
        return env_id, path

    def take(self) -> tuple[str, Path]:
        """(environment id, its new scratch directory)."""
        made = self._spare.popleft() if self._spare else self._make()
        if not self._refilling and len(self._spare) < self._spare_target:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return made  # not on a loop (a synchronous caller): made as needed
            self._refilling = True
            loop.call_later(REFILL_DELAY_S, self._refill, loop)
        return made

    def _refill(self, loop: asyncio.AbstractEventLoop) -> None:
        missing = self._spare_target - len(self._spare)
        try:
            future = loop.run_in_executor(None, lambda: [self._make() for _ in range(missing)])
        except RuntimeError:  # the loop's executor is shut down: the platform is closing
            self._refilling = False
            return
        future.add_done_callback(self._refilled)

    def _refilled(self, future: asyncio.Future[list[tuple[str, Path]]]) -> None:
        self._refilling = False
        if not future.cancelled() and future.exception() is None:
            self._spare.extend(future.result())

    def close(self) -> None:
        """Remove the spare directories (they are empty)."""
        while self._spare:
            _, path = self._spare.popleft()
            with contextlib.suppress(OSError):
                path.rmdir()
