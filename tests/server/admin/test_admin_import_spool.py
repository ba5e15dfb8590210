"""The upload spool an import's preview keeps its file in (server/admin/spool.py): a token
of a random id and key, a sealed file readable only by the server, bound to its kind and
user, gone after an hour or once imported; a token that is a path reaches nothing."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from server.admin import spool

# A workers file with card numbers: what must not rest on disk in the clear.
DATA = "工号,姓名,车间,卡号\nA001,张三,W1,0012345678\n".encode()
KEY = "A" * 43  # the shape of a key


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "data" / "uploads"


def _file(folder: Path, token: str) -> Path:
    [path] = [p for p in folder.iterdir() if token.split(".")[0] in p.name]
    return path


def test_a_kept_file_is_found_by_its_token_for_its_kind_and_user_only(folder: Path) -> None:
    token = spool.keep(folder, "workers", "人员.csv", DATA, "user:admin",
                       notes={"new": {"workshops": ["W9"]}})
    assert len(token) == 32 + 1 + 43
    assert token != spool.keep(folder, "workers", "人员.csv", DATA, "user:admin")
    kept = spool.find(folder, token, "workers", "user:admin")
    assert kept is not None and (kept.filename, kept.data) == ("人员.csv", DATA)
    assert kept.notes == {"new": {"workshops": ["W9"]}}
    path = _file(folder, token)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert spool.find(folder, token, "production", "user:admin") is None
    assert spool.find(folder, token, "workers", "user:hr2") is None
    spool.drop(folder, token)
    assert spool.find(folder, token, "workers", "user:admin") is None
    assert not path.exists()


def test_the_file_on_disk_holds_no_name_or_card_number_and_needs_its_key(
        folder: Path) -> None:
    token = spool.keep(folder, "workers", "人员.csv", DATA, "user:admin")
    raw = _file(folder, token).read_bytes()
    for plain in ("0012345678", "张三", "人员", "user:admin", "workers"):
        assert plain.encode() not in raw
    upload_id = token.split(".")[0]
    assert spool.find(folder, f"{upload_id}.{KEY}", "workers", "user:admin") is None
    other = spool.keep(folder, "workers", "b.csv", DATA, "user:admin")
    swapped = f"{upload_id}.{other.split('.')[1]}"
    assert spool.find(folder, swapped, "workers", "user:admin") is None


def test_files_older_than_an_hour_are_gone(folder: Path) -> None:
    old = spool.keep(folder, "workers", "a.csv", DATA, "user:admin")
    fresh = spool.keep(folder, "workers", "b.csv", DATA, "user:admin")
    hour_ago = time.time() - spool.KEEP_SECONDS - 1
    old_path = _file(folder, old)
    os.utime(old_path, (hour_ago, hour_ago))
    assert spool.find(folder, old, "workers", "user:admin") is None
    assert not old_path.exists()
    stray = folder / "left-by-a-crash"
    stray.write_bytes(b"x")
    os.utime(stray, (hour_ago, hour_ago))
    spool.keep(folder, "workers", "c.csv", DATA, "user:admin")  # keeping sweeps
    assert not stray.exists()
    assert spool.find(folder, fresh, "workers", "user:admin") is not None


@pytest.mark.parametrize("hostile", [
    f"../../../secret_key.{KEY}", f"../../secret_key.{KEY}", f"../secret_key.{KEY}",
    f"{'a' * 32}/../../secret_key.{KEY}", "../../../secret_key", "/etc/passwd", "..", ".",
    "", f"{'a' * 31}/.{KEY}", f"{'a' * 32}.{KEY}\n", "\x00" * 32 + "." + KEY,
    "ａ" * 32 + "." + KEY, f"{'a' * 32}.{KEY[:-1]}", f"{'a' * 32}.{KEY}=",
])
def test_a_token_that_is_a_path_reaches_nothing(folder: Path, hostile: str) -> None:
    # Folders in the spool through which a token taken as a path would reach the data
    # folder's secret key.
    data_dir = folder.parent
    (folder / "import-..").mkdir(parents=True)
    (folder / ("import-" + "a" * 32)).mkdir()
    secret = data_dir / f"secret_key.{KEY}"
    secret.write_bytes(b"the site's secret")
    (data_dir / "secret_key").write_bytes(b"the site's secret")
    assert spool.find(folder, hostile, "workers", "user:admin") is None
    spool.drop(folder, hostile)
    assert secret.exists() and (data_dir / "secret_key").exists()
