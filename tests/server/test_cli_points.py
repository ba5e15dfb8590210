"""`points balance|history|add` and `reward add|list|retire`, run in-process: each refusal
is one line on stderr, a non-zero exit, and nothing written."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from server.cli import main


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(data))
    monkeypatch.setenv("SHOPFLOOR_TIMEZONE", "Asia/Shanghai")
    monkeypatch.delenv("SHOPFLOOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("SHOPFLOOR_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("SHOPFLOOR_SECRET_KEY", raising=False)
    assert main(["init"]) == 0
    workers = tmp_path / "workers.csv"
    workers.write_text("code,name,workshop,role,language\nA001,张三,W1,worker,zh_CN\n",
                       encoding="utf-8")
    assert main(["import", "workers", str(workers)]) == 0
    capsys.readouterr()
    return tmp_path


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def test_points_add_balance_history(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, "points", "balance", "A001") == {
        "worker": "A001", "name": "张三", "active": True, "balance": 0.0}
    added = run_json(capsys, "points", "add", "A001", "--points", "12", "--reason",
                     "5S 第一", "--category", "tidy_5s")
    assert added["balance"] == 12
    assert "below zero" in refused(capsys, "points", "add", "A001", "--points", "-13",
                                   "--reason", "扣")
    assert run_json(capsys, "points", "add", "A001", "--points", "-2",
                    "--reason", "扣")["balance"] == 10
    history = run_json(capsys, "points", "history", "A001")
    assert [(line["points"], line["source"]) for line in history["lines"]] == [
        (-2, "hr"), (12, "hr")]
    assert history["lines"][1]["category"] == "tidy_5s"
    assert "no worker" in refused(capsys, "points", "balance", "NOPE")
    assert "no point category" in refused(capsys, "points", "add", "A001", "--points", "1",
                                          "--reason", "x", "--category", "NOPE")


def test_reward_add_list_retire(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    picture = cli_env / "cup.png"
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 0, 200)).save(buffer, "PNG")
    picture.write_bytes(buffer.getvalue())
    cup = run_json(capsys, "reward", "add", "CUP", "--name", "杯子", "--name-en", "Cup",
                   "--cost", "20", "--stock", "5", "--picture", str(picture))
    assert (cup["cost"], cup["stock"], len(cup["picture"])) == (20, 5, 64)
    run_json(capsys, "reward", "add", "BONUS", "--name", "奖金", "--cost", "1",
             "--menu", "excellent", "--cash", "100", "--approval")
    assert "cost" in refused(capsys, "reward", "add", "FREE", "--name", "x", "--cost", "0")
    assert "cost" in refused(capsys, "reward", "add", "NEG", "--name", "x", "--cost", "-5")
    assert "exists already" in refused(capsys, "reward", "add", "CUP", "--name", "x",
                                       "--cost", "1")
    bad = cli_env / "bad.jpg"
    bad.write_bytes(b"not a picture")
    assert "picture" in refused(capsys, "reward", "add", "BAD", "--name", "x", "--cost", "1",
                                "--picture", str(bad))
    listed = run_json(capsys, "reward", "list")
    assert [(r["code"], r["menus"], r["approval"]) for r in listed] == [
        ("BONUS", ["excellent"], True), ("CUP", [], False)]
    assert run_json(capsys, "reward", "retire", "CUP")["active"] is False
    assert "retired already" in refused(capsys, "reward", "retire", "CUP")
    assert "no reward" in refused(capsys, "reward", "retire", "NOPE")
    assert [r["code"] for r in run_json(capsys, "reward", "list")] == ["BONUS", "CUP"]
