"""Uploaded code is decoded, validated and extracted in a worker thread, never on the
event loop: an archive that takes seconds to check (hundreds of thousands of
entries) leaves every other request answering meanwhile.

The API stores the upload first, pinned so no sweep removes it; the service's own
store call then finds it stored (it only hashes the bytes).  Once the request is
done the pin is released and the code store swept, so a refused request leaves no
code behind.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from ..control import validation
from ..platform import Platform


@contextlib.asynccontextmanager
async def stored_off_loop(platform: Platform, encoded: object) -> AsyncIterator[None]:
    """Store the zip of ``encoded`` (a ``Code`` or ``ZipFile`` value) off the loop
    for the duration of the block; nothing to do when it is absent."""
    if encoded is None:
        yield
        return
    data = await asyncio.to_thread(validation.decode_zip, encoded)
    ref = await asyncio.to_thread(platform.code.put, data, True)
    try:
        yield
    finally:
        platform.code.unpin(ref.key)
        platform.sweep_code()
