"""Validation and extraction of deployment zips, against hostile archives built in
memory.  Every extraction happens in ``tmp_path/"pkg"`` and the test checks that
nothing appeared anywhere else under ``tmp_path``."""

from __future__ import annotations

import io
import stat
import struct
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from snaplambda.packaging import archive
from snaplambda.packaging.errors import ArchiveTooLarge, InvalidArchive

LIMIT = 10 * 1024 * 1024
SYMLINK = (stat.S_IFLNK | 0o777) << 16
DIRECTORY = (stat.S_IFDIR | 0o755) << 16


def make_zip(
    *entries: tuple[str, bytes | str] | tuple[str, bytes | str, int],
    method: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A zip of (name, data[, external_attr]) entries, duplicates allowed."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(buf, "w") as zf:
            for entry in entries:
                info = zipfile.ZipInfo(entry[0], (2024, 1, 1, 0, 0, 0))
                info.compress_type = method
                info.external_attr = entry[2] if len(entry) == 3 else 0o644 << 16
                zf.writestr(info, entry[1])
    return buf.getvalue()


def patch_headers(data: bytes, offset_local: int, offset_central: int, value: bytes) -> bytes:
    """Overwrite a field of every local and central-directory header."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", offset_local), (b"PK\x01\x02", offset_central)):
        start = 0
        while (start := out.find(signature, start)) != -1:
            out[start + offset : start + offset + len(value)] = value
            start += 4
    return bytes(out)


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Path]:
    """The extraction target; afterwards, nothing may exist outside it."""
    (tmp_path / "sibling").mkdir()
    (tmp_path / "sibling" / "keep.txt").write_text("untouched")
    yield tmp_path / "pkg"
    outside = sorted(
        str(p.relative_to(tmp_path))
        for p in tmp_path.rglob("*")
        if p.relative_to(tmp_path).parts[0] != "pkg"
    )
    assert outside == ["sibling", "sibling/keep.txt"], "something was written outside the target"
    assert (tmp_path / "sibling" / "keep.txt").read_text() == "untouched"


def refused(data: bytes, target: Path, *words: str, limit: int = LIMIT) -> str:
    """Extraction raises InvalidArchive whose message holds ``words``; so does
    validation alone when the problem is visible in the zip's directory."""
    with pytest.raises(InvalidArchive) as info:
        archive.extract(data, target, limit)
    message = info.value.message
    for word in words:
        assert word in message, message
    assert info.value.aws_type == "InvalidParameterValueException"
    return message


# -- paths ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../evil.py", "a/../../evil.py", "a/b/../../../evil.py", "..\\evil.py", "ok/..\\..\\evil.py"],
)
def test_parent_traversal_is_refused(target: Path, name: str) -> None:
    data = make_zip(("app.py", "x = 1"), (name, "pwned"))
    with pytest.raises(InvalidArchive, match=r"'\.\.' is not allowed"):
        archive.validate(data, LIMIT)
    refused(data, target, name)
    assert not target.exists() or not any(target.iterdir()), "validation precedes extraction"


@pytest.mark.parametrize(
    "name", ["/etc/evil.py", "/tmp/evil", "C:/evil.py", "C:\\evil.py", "\\evil"]
)
def test_absolute_paths_are_refused(target: Path, name: str) -> None:
    data = make_zip((name, "pwned"))
    refused(data, target, "absolute paths are not allowed", name)


def test_entry_that_is_the_target_itself_is_refused(target: Path) -> None:
    refused(make_zip((".", "x")), target)


# -- symlinks ------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["../outside", "../../etc/passwd", "/etc/passwd", "a/../../x"])
def test_symlink_pointing_outside_is_refused(target: Path, link: str) -> None:
    data = make_zip(("app.py", "x = 1"), ("evil", link, SYMLINK))
    refused(data, target, "evil", "outside the package")


def test_symlink_chain_that_leads_outside_is_refused(target: Path) -> None:
    # "s" -> "d/.." is inside while "d" does not exist; "d" -> "." then makes "s"
    # lead to the target's parent.
    data = make_zip(("s", "d/..", SYMLINK), ("d", ".", SYMLINK))
    refused(data, target, "outside the package")


def test_nothing_is_written_through_a_symlink(target: Path) -> None:
    # With the chain above, a directory entry under "s" would land outside.
    data = make_zip(("s", "d/..", SYMLINK), ("d", ".", SYMLINK), ("s/pwned/", b"", DIRECTORY))
    refused(data, target, "s/pwned", "overlaps the file 's'")
    inside = make_zip(("sub/", b"", DIRECTORY), ("link", "sub", SYMLINK), ("link/x.py", "1"))
    refused(inside, target, "link/x.py", "overlaps")


@pytest.mark.parametrize("link", [b"", b"\xff\xfe", b"a\x00b", b"a" * 5000])
def test_symlink_with_an_impossible_target_is_refused(target: Path, link: bytes) -> None:
    refused(make_zip(("bad", link, SYMLINK)), target, "bad", "symlink target")


def test_symlinks_inside_the_package_are_kept(target: Path) -> None:
    data = make_zip(
        ("lib/real.so.1", b"\x7fELF"),
        ("lib/real.so", "real.so.1", SYMLINK),
        ("vendored", "lib", SYMLINK),
        ("dangling", "not-there-yet", SYMLINK),
    )
    archive.extract(data, target, LIMIT)
    assert (target / "lib" / "real.so").is_symlink()
    assert (target / "lib" / "real.so").read_bytes() == b"\x7fELF"
    assert Path(str((target / "vendored").readlink())) == Path("lib")
    assert (target / "dangling").is_symlink()


# -- directory consistency --------------------------------------------------------------


@pytest.mark.parametrize(
    "entries",
    [
        (("app.py", "a"), ("app.py", "b")),
        (("dir/", b"", DIRECTORY), ("dir/", b"", DIRECTORY)),
        (("a/b.py", "a"), ("a/./b.py", "b")),
        (("a/b.py", "a"), ("a//b.py", "b")),
    ],
    ids=["same-file", "same-dir", "dot-segment", "double-slash"],
)
def test_duplicate_entries_are_refused(target: Path, entries: tuple[tuple[str, str]]) -> None:
    refused(make_zip(*entries), target, "duplicate entry")


def test_a_file_and_a_directory_of_the_same_path_are_refused(target: Path) -> None:
    refused(make_zip(("lib", "file"), ("lib/mod.py", "x")), target, "overlaps the file 'lib'")


# -- encryption, corruption ---------------------------------------------------------------


def test_encrypted_entries_are_refused(target: Path) -> None:
    data = make_zip(("secret.py", "x = 1"))
    # General purpose flag: offset 6 in a local header, 8 in a central one; bit 0.
    encrypted = patch_headers(data, 6, 8, struct.pack("<H", 0x1))
    assert zipfile.ZipFile(io.BytesIO(encrypted)).infolist()[0].flag_bits & 0x1
    with pytest.raises(InvalidArchive, match="encrypted"):
        archive.validate(encrypted, LIMIT)
    refused(encrypted, target, "secret.py", "encrypted")


@pytest.mark.parametrize("data", [b"", b"not a zip at all", b"PK\x03\x04" + b"\0" * 40])
def test_not_a_zip_is_refused(target: Path, data: bytes) -> None:
    with pytest.raises(InvalidArchive, match="Could not unzip"):
        archive.validate(data, LIMIT)
    refused(data, target, "Could not unzip")
    assert not target.exists()


def test_corrupt_data_is_invalid_archive_not_a_crash(target: Path) -> None:
    good = make_zip(("app.py", "print('hello world')\n" * 500))
    local_data = 30 + len("app.py")  # fixed local header, then the name
    corrupt = bytearray(good)
    corrupt[local_data : local_data + 8] = b"\xff" * 8
    refused(bytes(corrupt), target, "app.py", "corrupt")


def test_crc_mismatch_is_invalid_archive(target: Path) -> None:
    good = make_zip(("app.py", "print('hello')\n" * 50))
    bad_crc = patch_headers(good, 14, 16, b"\0\0\0\0")
    refused(bad_crc, target, "app.py")


def test_unsupported_compression_method_is_invalid_archive(target: Path) -> None:
    good = make_zip(("app.py", "x = 1\n"))
    aes = patch_headers(good, 8, 10, struct.pack("<H", 99))  # WinZip AES
    refused(aes, target, "app.py", "unsupported compression")


# -- size ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
def test_compression_ratio_bomb_is_refused(target: Path, method: int) -> None:
    bomb = make_zip(("zeros.bin", b"\0" * (20 * 1024 * 1024)), method=method)
    assert len(bomb) < 25_000
    with pytest.raises(InvalidArchive, match="compression ratio"):
        archive.validate(bomb, 1 << 30)  # refused on ratio alone, not size
    refused(bomb, target, "zeros.bin", "compression ratio", limit=1 << 30)


def test_small_entries_may_compress_well(target: Path) -> None:
    data = make_zip(("blank.txt", b" " * 500_000))
    archive.extract(data, target, LIMIT)
    assert (target / "blank.txt").stat().st_size == 500_000


def test_over_the_unzipped_limit_is_too_large(target: Path) -> None:
    data = make_zip(("a.bin", b"a" * 600), ("b.bin", b"b" * 600))
    with pytest.raises(ArchiveTooLarge) as info:
        archive.extract(data, target, 1000)
    assert "1000" in info.value.message and "1200" in info.value.message
    assert info.value.aws_type == "InvalidParameterValueException"
    info_ok = archive.validate(data, 1200)
    assert (info_ok.unzipped_size, info_ok.entries) == (1200, 2)


def test_an_archive_that_lies_about_its_size_cannot_write_more(target: Path) -> None:
    honest = make_zip(("big.txt", b"0123456789" * 10_000))
    # Declare 100 bytes (uncompressed size: offset 22 local, 24 central).
    liar = patch_headers(honest, 22, 24, struct.pack("<I", 100))
    with pytest.raises(InvalidArchive):
        archive.extract(liar, target, 1000)
    written = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    assert written <= 1000


# -- the good case -------------------------------------------------------------------


def test_good_zip_extracts_with_modes(target: Path) -> None:
    data = make_zip(
        ("app.py", "def handler(e, c):\n    return 1\n", 0o644 << 16),
        ("bin/tool", "#!/bin/sh\necho hi\n", 0o755 << 16),
        ("private.cfg", "k=v", 0o600 << 16),
        ("pkg/", b"", DIRECTORY),
        ("pkg/__init__.py", ""),
        ("deep/er/still/mod.py", "x = 1"),
        ("no-attrs.txt", "plain", 0),
    )
    info = archive.extract(data, target, LIMIT)
    assert info.entries == 7
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert files == [
        "app.py",
        "bin/tool",
        "deep/er/still/mod.py",
        "no-attrs.txt",
        "pkg/__init__.py",
        "private.cfg",
    ]
    assert (target / "app.py").read_text() == "def handler(e, c):\n    return 1\n"

    def mode(name: str) -> int:
        return stat.S_IMODE((target / name).stat().st_mode)

    assert mode("bin/tool") == 0o755
    assert mode("app.py") == 0o644
    assert mode("private.cfg") == 0o644, "the runtime must be able to read every file"
    assert mode("no-attrs.txt") == 0o644


def test_zip_from_another_os_with_backslashes_extracts(target: Path) -> None:
    archive.extract(make_zip(("lib\\mod.py", "x = 1")), target, LIMIT)
    assert (target / "lib" / "mod.py").read_text() == "x = 1"


def test_target_must_not_exist(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    with pytest.raises(FileExistsError):
        archive.extract(make_zip(("a.py", "")), tmp_path / "pkg", LIMIT)
