"""The archive checks found by fuzzing: names the filesystem cannot hold, entries
sharing one compressed kernel, and archives with too many entries."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from snaplambda.packaging import archive
from snaplambda.packaging.errors import InvalidArchive
from tests.unit.test_archive import LIMIT, make_zip
from tests.zipbombs import many_entries, overlapping


def refusal(data: bytes, tmp_path: Path) -> str:
    with pytest.raises(InvalidArchive) as caught:
        archive.extract(data, tmp_path / "pkg", LIMIT)
    message = caught.value.message
    assert str(tmp_path) not in message  # never the host's paths
    return message


def test_a_component_longer_than_name_max_is_refused(tmp_path: Path) -> None:
    message = refusal(make_zip(("pkg/" + "a" * 256 + ".py", "x = 1")), tmp_path)
    assert "is 259 bytes; at most 255 are allowed" in message
    assert "file name too long" in message


def test_a_component_of_multibyte_characters_is_measured_in_bytes(tmp_path: Path) -> None:
    message = refusal(make_zip(("\u00e9" * 128, "x")), tmp_path)  # 128 characters, 256 bytes
    assert "is 256 bytes" in message


def test_exactly_name_max_is_allowed(tmp_path: Path) -> None:
    name = "a" * 252 + ".py"
    archive.extract(make_zip((name, "x = 1")), tmp_path / "pkg", LIMIT)
    assert (tmp_path / "pkg" / name).read_text() == "x = 1"


def test_a_path_longer_than_the_limit_is_refused(tmp_path: Path) -> None:
    deep = "/".join(["d" * 200] * 6) + "/m.py"
    message = refusal(make_zip((deep, "x")), tmp_path)
    assert f"at most {archive.MAX_PATH_BYTES} are allowed" in message


def test_an_unwritable_name_is_the_archives_fault_without_host_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_mkdir = Path.mkdir

    def mkdir(self: Path, *args: bool, **kwargs: bool) -> None:
        if self.name == "dir":  # the filesystem refuses the entry's directory
            raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    message = refusal(make_zip(("dir/app.py", "x")), tmp_path)
    assert message == "Refused zip entry 'dir/app.py': it cannot be written (File name too long)"


def test_entries_sharing_one_kernel_are_refused(tmp_path: Path) -> None:
    bomb = overlapping(40)  # 40 MiB from a few KiB; each entry alone is under the ratio
    message = refusal(bomb, tmp_path)
    assert "'k' and 'k" in message and "overlap in the archive" in message
    assert not (tmp_path / "pkg").exists()


def test_a_single_shared_kernel_entry_is_fine(tmp_path: Path) -> None:
    archive.extract(overlapping(1), tmp_path / "pkg", LIMIT)
    assert (tmp_path / "pkg" / "k").stat().st_size == 1 << 20


def test_more_entries_than_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_ENTRIES", 50)
    message = refusal(many_entries(51), tmp_path)
    assert message == "Refused zip: it has 51 entries; at most 50 are allowed"
    archive.validate(many_entries(50), LIMIT)
