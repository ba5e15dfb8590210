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
from openpyxl import Workbook

from server import create_app
from server.cli import main
from server.config import Config
from server.services.devices.keys import load_keys
from server.services.security import verify_secret
from shopfloor_trust.cards import card_digest, card_hex


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


# --- imports: --strict, badge import, templates ------------------------------------------

WORKERS_ZH = """工号,姓名,车间,角色,语言,卡号
W001,张伟,W1,员工,中文,0013748911
W002,李娜,WI,员工,中文,
"""
PRODUCTION = """日期,班次,工号,设备,计划分钟,运行分钟,产量,次品
2026-03-02,白班,W001,M1,480,450,900,10
"""


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_import_strict_refuses_what_it_would_create_and_plain_import_lists_it(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run_json(capsys, "init")
    workers, production = tmp_path / "员工.csv", tmp_path / "产量.csv"
    workers.write_bytes(WORKERS_ZH.encode("gb18030"))
    production.write_bytes(PRODUCTION.encode("utf-8-sig"))
    code, strict = _run(capsys, "import", "workers", str(workers), "--strict")
    assert code == 1 and not strict["imported"]
    assert [(e["line"], e["field"]) for e in strict["errors"]] == [(2, "workshop"),
                                                                   (3, "workshop")]
    assert strict["errors"][1]["reason"] == (
        "车间: there is no workshop WI, and creating it was not confirmed")

    code, created = _run(capsys, "import", "workers", str(workers))
    assert code == 0 and created["created_workshops"] == ["W1", "WI"]
    assert created["cards_assigned"] == 1
    assert main(["import", "production", str(production), "--strict"]) == 1
    assert "there is no machine M1" in capsys.readouterr().out
    assert main(["import", "production", str(production)]) == 0
    assert "created machines: M1" in capsys.readouterr().out


def _cards_xlsx(path: Path, *rows: list[object]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [["工号", "卡号"], *rows]:
        sheet.append(row)
    book.save(path)


def test_badge_import_then_the_roster_carries_the_digest_a_kiosk_makes_of_the_card(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    run_json(capsys, "init")
    workers = tmp_path / "w.csv"
    workers.write_bytes(WORKERS_ZH.replace("0013748911", "").encode())
    assert main(["import", "workers", str(workers)]) == 0
    cards = tmp_path / "cards.xlsx"
    _cards_xlsx(cards, ["W001", 13748911], ["W002", "W002"], ["W404", "0002345678"])
    code, refused = _run(capsys, "badge", "import", str(cards))
    assert code == 1 and not refused["imported"]
    assert [(e["line"], e["field"]) for e in refused["errors"]] == [(3, "card"),
                                                                   (4, "worker_code")]
    code, report = _run(capsys, "badge", "import", str(cards), "--skip-bad")
    assert code == 0 and report["imported"] and report["cards_assigned"] == 1

    # the kiosk's view: enrolled, it gets the roster and the site key, and digests the
    # number its reader types for the card (every digit) with them
    added = run_json(capsys, "kiosk", "add", "K1", "--workshop", "W1")
    client = create_app(Config.from_env()).test_client()
    token = client.post("/api/v1/enroll", json={"code": added["code"]}).get_json()["token"]
    roster = client.get("/api/v1/roster", headers={"Authorization": f"Bearer {token}"})
    w001 = next(w for w in roster.get_json()["workers"] if w["code"] == "W001")
    typed = card_digest(card_hex("0013748911", "10D", exact=True),
                        load_keys(cli_env).site_key)
    assert w001["badges"] == [{"kind": "card", "hash": typed}]


def test_badge_import_reads_the_sites_card_format_from_the_settings(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run_json(capsys, "init")
    workers = tmp_path / "w.csv"
    workers.write_bytes(WORKERS_ZH.replace("0013748911", "").encode())
    assert main(["import", "workers", str(workers)]) == 0
    cards = tmp_path / "cards.csv"
    cards.write_text("worker_code,card\nW001,D1CAAF\n")
    env = {**os.environ, "SHOPFLOOR_CARD_FORMAT": "8H", "SHOPFLOOR_CARD_REVERSED": "1"}
    done = subprocess.run([sys.executable, "-m", "server.cli", "badge", "import", str(cards)],
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "cards: 1 given out, 0 replaced (revoked)" in done.stdout
    with sqlite3.connect(cli_env / "shopfloor.db") as db:
        (digest,) = db.execute("SELECT credential_hash FROM badges").fetchone()
    assert digest == card_digest(card_hex("00D1CAAF", "8H", reverse=True, exact=True),
                                 load_keys(cli_env).site_key)


def test_template_writes_a_file_that_imports_as_it_is(
    cli_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run_json(capsys, "init")
    for kind in ("workers", "production"):
        path = tmp_path / f"{kind}.xlsx"
        assert main(["template", kind, str(path)]) == 0
        assert run_json(capsys, "import", kind, str(path))["errors"] == []
    english = tmp_path / "workers.csv"
    assert main(["template", "workers", str(english), "--lang", "en"]) == 0
    assert english.read_bytes().startswith(b"\xef\xbb\xbfcode,name,")
