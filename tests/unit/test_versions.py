"""Versions and aliases as services over a real SQLite store, without a server:
numbering, no-op publishes, qualifier resolution, and reloading from the store."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from snaplambda.control.aliases import AliasService
from snaplambda.control.errors import ResourceConflict, ResourceNotFound
from snaplambda.control.functions import FunctionService
from snaplambda.control.models import LATEST
from snaplambda.control.store import SqliteStore
from snaplambda.control.versions import VersionService, fingerprint
from snaplambda.packaging.codestore import CodeStore
from tests.support import zip_files

ZIP = base64.b64encode(zip_files({"app.py": "def handler(e, c):\n    return 1\n"})).decode()


@dataclass
class Control:
    store: SqliteStore
    functions: FunctionService
    versions: VersionService
    aliases: AliasService


def open_control(root: Path) -> Control:
    store = SqliteStore(root / "control.db")
    functions = FunctionService(
        store, CodeStore(root / "code", 1 << 20, 1 << 22), "us-east-1", "123456789012"
    )
    versions = VersionService(store, functions)
    return Control(store, functions, versions, AliasService(store, versions))


@pytest.fixture
def control(tmp_path: Path) -> Iterator[Control]:
    c = open_control(tmp_path)
    c.functions.create(
        {
            "FunctionName": "f",
            "Runtime": "python3.12",
            "Handler": "app.handler",
            "Code": {"ZipFile": ZIP},
        }
    )
    yield c
    c.store.close()


def test_fingerprint_ignores_identity_and_sees_behaviour(control: Control) -> None:
    latest = control.functions.get("f")
    first = control.versions.publish("f", {})
    # Version number, revision and timestamps are identity, not behaviour.
    assert fingerprint(first) == fingerprint(latest)
    assert first.published_from == fingerprint(latest)
    touched = control.functions.update_configuration("f", {"Timeout": latest.timeout})
    assert fingerprint(touched) == fingerprint(latest)
    assert control.versions.publish("f", {}) == first
    changed = control.functions.update_configuration("f", {"Timeout": 30})
    assert fingerprint(changed) != fingerprint(latest)
    assert control.versions.publish("f", {}).version == "2"


def test_resolve_qualifiers(control: Control) -> None:
    control.versions.publish("f", {})
    control.functions.update_configuration("f", {"Timeout": 30})
    control.versions.publish("f", {})
    control.aliases.create(
        "f",
        {
            "Name": "live",
            "FunctionVersion": "1",
            "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.5}},
        },
    )
    resolve = control.aliases.resolve
    assert resolve("f", None).version == LATEST
    assert resolve("f", LATEST).version == LATEST
    assert resolve("f", "2").timeout == 30
    assert resolve("f", "live").version == "1"  # reads see the primary
    assert resolve("f", "live", lambda: 0.49).version == "2"
    assert resolve("f", "live", lambda: 0.5).version == "1"
    for qualifier in ("3", "beta"):
        with pytest.raises(ResourceNotFound, match=f"function:f:{qualifier}"):
            resolve("f", qualifier)
    with pytest.raises(ResourceNotFound):
        resolve("nope", "live")


def test_state_reloads_from_the_store(control: Control, tmp_path: Path) -> None:
    for timeout in (10, 11, 12):
        control.functions.update_configuration("f", {"Timeout": timeout})
        control.versions.publish("f", {})
    control.aliases.create("f", {"Name": "live", "FunctionVersion": "2"})
    with pytest.raises(ResourceConflict):
        control.versions.delete("f", "2")
    control.versions.delete("f", "3")
    alias = control.aliases.get("f", "live")
    control.store.close()

    reopened = open_control(tmp_path)
    assert [c.version for c in reopened.versions.list("f")] == [LATEST, "1", "2"]
    assert reopened.aliases.get("f", "live") == alias
    with pytest.raises(ResourceConflict):
        reopened.versions.delete("f", "2")
    reopened.functions.update_configuration("f", {"Timeout": 13})
    assert reopened.versions.publish("f", {}).version == "4"
    reopened.functions.delete("f")
    assert reopened.store.list_versions("f") == []
    assert reopened.store.list_aliases("f") == []
    reopened.store.close()
