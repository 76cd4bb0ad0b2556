"""The static SnapStart hazard scan: import-time code only, with file:line."""

from __future__ import annotations

from pathlib import Path

from snaplambda.snapstart.static import scan_package, scan_source

SOURCE = """\
import random
import time as clock
import uuid
from datetime import datetime
from socket import create_connection
import sqlite3

SEED = random.random()
STARTED = clock.time()
TOKEN = str(uuid.uuid4())
WHEN = datetime.now()
DB = sqlite3.connect("/tmp/x.db")

if True:
    CONN = create_connection(("127.0.0.1", 1))


class Config:
    ID = uuid.uuid4()


def handler(event, context):
    # Per invocation: not a hazard.
    return random.random(), uuid.uuid4(), clock.time(), sqlite3.connect(":memory:")
"""


def test_import_time_hazards_are_found_with_their_lines() -> None:
    hazards = scan_source(SOURCE, "app.py", has_after_restore=False)
    assert [(h.line, h.message.split("(")[0]) for h in hazards] == [
        (8, "random.random"),
        (9, "time.time"),
        (10, "uuid.uuid4"),
        (11, "datetime.datetime.now"),
        (12, "sqlite3.connect"),
        (15, "socket.create_connection"),
        (19, "uuid.uuid4"),
    ]
    assert str(hazards[0]).startswith("app.py:8: random.random() at import")


def test_connections_are_fine_with_an_after_restore_hook() -> None:
    hazards = scan_source(SOURCE, "app.py", has_after_restore=True)
    assert not [h for h in hazards if "connect" in h.message.split("(")[0]]
    assert len(hazards) == 5


def test_package_scan_skips_installed_dependencies(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import uuid\nID = uuid.uuid4()\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("import time\nT = time.time()\n")
    (tmp_path / "lib-1.0.dist-info").mkdir()
    (tmp_path / "lib-1.0.dist-info" / "RECORD").write_text("lib/__init__.py,sha256=x,1\n")
    assert [str(h).split(":")[0] for h in scan_package(tmp_path, False)] == ["app.py"]
