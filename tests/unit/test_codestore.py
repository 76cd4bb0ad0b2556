"""The content-addressed code store."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from snaplambda.packaging.codestore import CodeStore
from snaplambda.packaging.errors import ArchiveTooLarge, InvalidArchive
from tests.support import zip_files


@pytest.fixture
def store(tmp_path: Path) -> CodeStore:
    return CodeStore(tmp_path / "code", max_zip=1 << 20, max_unzipped=1 << 20)


def listing(store: CodeStore) -> list[str]:
    """The packages and anything else left in the store, but not the size records."""
    return sorted(p.name for p in store.root.iterdir() if p.name != ".sizes")


def test_code_sha256_is_base64_of_the_zips_sha256(store: CodeStore) -> None:
    data = zip_files({"app.py": "def handler(e, c):\n    return 1\n"})
    ref = store.put(data)
    digest = hashlib.sha256(data).digest()
    assert ref.sha256_b64 == base64.b64encode(digest).decode()
    assert ref.key == digest.hex()
    assert ref.size == len(data)
    assert (store.path(ref.key) / "app.py").read_text().startswith("def handler")


def test_same_bytes_are_stored_once(store: CodeStore) -> None:
    data = zip_files({"app.py": "x = 1"})
    first = store.put(data)
    marker = store.path(first.key) / "app.py"
    inode = marker.stat().st_ino
    second = store.put(data)
    assert first == second
    assert listing(store) == [first.key], "one directory, and no staging left behind"
    assert marker.stat().st_ino == inode, "the stored copy is not extracted again"


def test_different_bytes_are_stored_apart(store: CodeStore) -> None:
    a = store.put(zip_files({"app.py": "x = 1"}))
    b = store.put(zip_files({"app.py": "x = 2"}))
    assert a.key != b.key and a.sha256_b64 != b.sha256_b64
    assert listing(store) == sorted([a.key, b.key])
    assert (store.path(a.key) / "app.py").read_text() == "x = 1"
    assert (store.path(b.key) / "app.py").read_text() == "x = 2"


def test_an_invalid_zip_leaves_nothing_behind(store: CodeStore) -> None:
    with pytest.raises(InvalidArchive):
        store.put(b"definitely not a zip")
    with pytest.raises(InvalidArchive):
        store.put(zip_files({"../escape.py": "x"}))
    assert listing(store) == []


def test_zipped_size_limit_is_request_entity_too_large(store: CodeStore) -> None:
    too_big = b"\0" * (store.max_zip + 1)
    with pytest.raises(ArchiveTooLarge) as info:
        store.put(too_big)
    assert info.value.aws_type == "RequestEntityTooLargeException"
    assert info.value.status == 413
    assert str(store.max_zip) in info.value.message
    assert listing(store) == []


def test_unzipped_size_limit(tmp_path: Path) -> None:
    store = CodeStore(tmp_path / "code", max_zip=1 << 20, max_unzipped=1000)
    with pytest.raises(ArchiveTooLarge) as info:
        store.put(zip_files({"big.txt": "x" * 2000}))
    assert info.value.aws_type == "InvalidParameterValueException"
    assert info.value.status == 400
    assert listing(store) == []


def test_remove(store: CodeStore) -> None:
    ref = store.put(zip_files({"app.py": "x = 1"}))
    store.remove(ref.key)
    assert listing(store) == []
    store.remove(ref.key)  # removing twice is fine
    assert store.put(zip_files({"app.py": "x = 1"})) == ref


def test_unzipped_size_is_recorded(store: CodeStore) -> None:
    data = zip_files({"app.py": "x" * 300, "lib/data.txt": "y" * 700})
    ref = store.put(data)
    assert ref.unzipped_size == 1000
    assert store.unzipped_size(ref.key) == 1000
    assert store.put(data).unzipped_size == 1000, "known again for bytes stored before"
    (store.path(ref.key) / "__pycache__").mkdir()
    (store.path(ref.key) / "__pycache__" / "app.pyc").write_bytes(b"z" * 500)
    assert store.unzipped_size(ref.key) == 1000, "later bytecode caches do not count"


def test_unzipped_size_of_a_package_without_a_record_is_measured(store: CodeStore) -> None:
    ref = store.put(zip_files({"app.py": "x" * 300}))
    (store.root / ".sizes" / ref.key).unlink()
    assert store.unzipped_size(ref.key) == 300
    assert (store.root / ".sizes" / ref.key).read_text() == "300"


# -- sweeping what nothing references -------------------------------------------------------


def _sweep_store(tmp_path: Path) -> tuple[CodeStore, list[bytes]]:
    store = CodeStore(tmp_path / "code", 50 << 20, 250 << 20)
    return store, [zip_files({"app.py": f"x = {i}"}) for i in range(3)]


def test_sweep_removes_only_unreferenced_and_unpinned(tmp_path: Path) -> None:
    store, zips = _sweep_store(tmp_path)
    kept, pinned, dropped = (store.put(z, pin=(i == 1)).key for i, z in enumerate(zips))
    (store.root / ".staging-left").mkdir()  # an interrupted upload's leftovers
    assert store.sweep({kept}) == [dropped]
    assert store.keys() == sorted([kept, pinned])
    assert not (store.root / ".sizes" / dropped).exists()
    assert not (store.root / ".staging-left").exists()
    store.unpin(pinned)
    assert store.sweep({kept}) == [pinned]
    assert [p.name for p in store.root.iterdir() if p.name.startswith(".trash")] == []


def test_a_failed_pinned_put_leaves_no_pin(tmp_path: Path) -> None:
    store, _ = _sweep_store(tmp_path)
    with pytest.raises(InvalidArchive):
        store.put(b"not a zip", pin=True)
    assert store._pins == {}


def test_a_pinned_put_of_stored_code_keeps_it_from_the_sweep(tmp_path: Path) -> None:
    store, zips = _sweep_store(tmp_path)
    key = store.put(zips[0]).key
    store.put(zips[0], pin=True)  # already stored: only pinned
    assert store.sweep(set()) == []
    store.unpin(key)
    assert store.sweep(set()) == [key]
