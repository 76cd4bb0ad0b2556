"""Hostile and oversized deployment packages, uploaded through boto3 to a real server:
each is refused with a clear error and nothing is written outside the code store."""

from __future__ import annotations

import io
import stat
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import Server, create, invoke, zip_files

GOOD_APP = "def handler(event, context):\n    return 'ok'\n"


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # duplicate names are the point of one case
        for info, data in entries:
            archive.writestr(info, data)
    return buf.getvalue()


def _symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def _encrypted() -> bytes:
    data = bytearray(_zip([("app.py", GOOD_APP.encode())]))
    # Set the "encrypted" flag bit in both the local and the central header.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x01
    return bytes(data)


def _bomb() -> bytes:
    # 200 MB of zeros deflates over 1000:1: a ratio no real package has.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("app.py", GOOD_APP)
        with archive.open("zeros.bin", "w", force_zip64=True) as out:
            chunk = bytes(1 << 20)
            for _ in range(200):
                out.write(chunk)
    return buf.getvalue()


HOSTILE = {
    "parent-traversal": (_zip([("app.py", GOOD_APP.encode()), ("../escape.py", b"x")]), "'..'"),
    "absolute-path": (_zip([("app.py", GOOD_APP.encode()), ("/tmp/escape.py", b"x")]), "absolute"),
    "symlink-outside": (
        _zip([("app.py", GOOD_APP.encode()), _symlink("link", "../../../../etc")]),
        "outside",
    ),
    "duplicate-entry": (_zip([("app.py", GOOD_APP.encode()), ("app.py", b"y = 2")]), "duplicate"),
    "encrypted-entry": (_encrypted(), "encrypted"),
    "zip-bomb": (_bomb(), "ratio"),
    "not-a-zip": (b"this is not a zip at all", "unzip"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_are_refused(server: Server, lam: Any, case: str) -> None:
    data, needle = HOSTILE[case]
    code_dir = server.state_dir / "code"
    before = {p for p in server.state_dir.parent.rglob("*") if not p.is_relative_to(code_dir)}
    with pytest.raises(ClientError) as info:
        create(lam, f"hostile-{case}", data)
    error = info.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException", error
    assert needle in error["Message"], error["Message"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=f"hostile-{case}")
    after = {p for p in server.state_dir.parent.rglob("*") if not p.is_relative_to(code_dir)}
    written = {p for p in after - before if "escape" in p.name or p.name == "link"}
    assert not written, f"written outside the code store: {written}"
    assert not Path("/tmp/escape.py").exists()


def test_refused_update_keeps_the_accepted_code(lam: Any) -> None:
    create(lam, "hostile-keep", zip_files({"app.py": GOOD_APP}))
    with pytest.raises(ClientError):
        lam.update_function_code(
            FunctionName="hostile-keep", ZipFile=HOSTILE["parent-traversal"][0]
        )
    assert invoke(lam, "hostile-keep")["Body"] == "ok"


def test_same_code_is_stored_once(server: Server, lam: Any) -> None:
    code = zip_files({"app.py": GOOD_APP + "# stored once\n"})
    a = create(lam, "once-a", code)
    b = create(lam, "once-b", code)
    assert a["CodeSha256"] == b["CodeSha256"]
    key = lam.get_function(FunctionName="once-a")["Code"]["Location"].rsplit("/", 1)[-1]
    assert lam.get_function(FunctionName="once-b")["Code"]["Location"].endswith(key)
    stored = [p for p in (server.state_dir / "code").iterdir() if p.name == key]
    assert len(stored) == 1
