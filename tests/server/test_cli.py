"""The server's command line, run in-process and, where stdin matters, as a real process."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from server.cli import main
from server.services.security import verify_secret


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(data))
    monkeypatch.setenv("SHOPFLOOR_TIMEZONE", "Asia/Shanghai")
    monkeypatch.delenv("SHOPFLOOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("SHOPFLOOR_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("SHOPFLOOR_SECRET_KEY", raising=False)
    return data


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_init_creates_admin_once_and_a_second_init_is_a_no_op(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_json(capsys, "init")
    assert first["migrated"] is True
    assert first["admin_created"] == "admin"
    assert first["admin_password_file"] == str(cli_env / "first-admin-password")
    assert "admin_password" not in first
    assert first["categories_created"] > 0

    second = run_json(capsys, "init")
    assert second == {**second, "migrated": False, "admin_created": None,
                      "admin_password_file": None, "categories_created": 0}
    assert second["server_id"] == first["server_id"]


def _admin(data: Path) -> tuple[bool, str]:
    """Whether the admin must change its password, and its hash."""
    with sqlite3.connect(data / "shopfloor.db") as db:
        flag, hashed = db.execute("SELECT must_change_password, password_hash FROM users "
                                  "WHERE username = 'admin'").fetchone()
    return bool(flag), hashed


def test_run_never_prints_the_generated_password_but_writes_it_for_its_owner_only(
    cli_env: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[object] = []
    monkeypatch.setattr("server.cli.serve.serve", lambda *args, **kwargs: served.append(args))
    assert main(["run", "--port", "18750"]) == 0
    assert served, "run went on to serve"
    output = capfd.readouterr()
    path = cli_env / "first-admin-password"
    password = path.read_text().strip()
    assert len(password) >= 16
    assert path.stat().st_mode & 0o777 == 0o600
    assert password not in output.out + output.err
    assert str(path) in output.out and "must be changed" in output.out
    must_change, hashed = _admin(cli_env)
    assert must_change and verify_secret(hashed, password)


def test_init_takes_the_admin_password_from_the_environment(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPFLOOR_ADMIN_PASSWORD", "correct horse battery")
    result = run_json(capsys, "init")
    assert result["admin_created"] == "admin"
    assert result["admin_password_file"] is None
    assert not (cli_env / "first-admin-password").exists()
    assert _admin(cli_env)[0] is False, "a password HR gives needs no change"


def test_a_command_on_an_uninitialised_database_says_what_to_do(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["leaderboard", "--workshop", "W1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "shopfloor-server init" in err
    assert "Traceback" not in err


def test_user_add_reads_the_password_from_piped_stdin(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_json(capsys, "init")
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough password\n"))
    assert run_json(capsys, "user", "add", "li.hr", "--role", "viewer") == {
        "user": "li.hr", "role": "viewer"}
    with sqlite3.connect(cli_env / "shopfloor.db") as db:
        assert db.execute("SELECT must_change_password FROM users WHERE username = 'li.hr'"
                          ).fetchone() == (0,), "a password given by `user add` needs no change"

    monkeypatch.setattr(sys, "stdin", io.StringIO("again long enough\n"))
    assert main(["user", "add", "li.hr", "--role", "viewer"]) == 1
    assert "already exists" in capsys.readouterr().err

    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["user", "add", "wang", "--role", "admin"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err


def test_user_add_with_no_stdin_fails_at_once_instead_of_waiting(cli_env: Path) -> None:
    env = {**os.environ}
    subprocess.run([sys.executable, "-m", "server.cli", "init"], env=env, check=True,
                   capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "user", "add", "zhao", "--role", "viewer"],
        env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "error: no password on standard input"


def test_category_add_and_its_errors(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_json(capsys, "init")
    added = run_json(capsys, "category", "add", "night_help", "--name", "夜班互助",
                     "--level", "B", "--points", "5", "--approval")
    assert added == {"code": "night_help", "name": "夜班互助", "level": "B", "points": 5.0,
                     "needs_approval": True}
    assert main(["category", "add", "night_help", "--name", "x", "--level", "B",
                 "--points", "5"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["category", "add", "big", "--name", "x", "--level", "A",
                 "--points", "500"]) == 1
    assert "at most 100" in capsys.readouterr().err
