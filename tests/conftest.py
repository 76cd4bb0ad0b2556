from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import Server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One platform for the session, with default settings."""
    srv = Server(tmp_path_factory.mktemp("platform") / "state").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def lam(server: Server) -> Any:
    return server.client("lambda")


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"
