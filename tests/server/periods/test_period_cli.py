"""`shopfloor-server period close|reopen|list` and `import production --into-open`, in
process: every refusal is one line on stderr and a non-zero exit, and changes nothing."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from server.cli import main
from server.scoring import period_span

ZONE = ZoneInfo("Asia/Shanghai")
WORKERS = "code,name,workshop,role,language\nA001,张三,W1,worker,zh_CN\nA002,李四,W1,worker,zh_CN\n"
SCHEME = """name: 月度
workshops: [W1]
period: month
mode: threshold
effective_from: {start}
dimensions:
  - {{key: uptime, target: 0.75, points: 60}}
  - {{key: output, target: 900, points: 40}}
"""
HEADER = "date,shift,worker_code,machine_code,planned_minutes,run_minutes,output,defects\n"


def _last_month() -> tuple[str, list[date]]:
    today = datetime.now(ZONE).date()
    span = period_span("month", period_span("month", today).start - timedelta(days=1))
    days = [span.start + timedelta(days=i) for i in range(span.days)]
    return span.label, [d for d in days if d.weekday() < 5]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SHOPFLOOR_TIMEZONE", "Asia/Shanghai")
    monkeypatch.setenv("SHOPFLOOR_ADMIN_PASSWORD", "a long admin password")
    monkeypatch.delenv("SHOPFLOOR_DATABASE_URL", raising=False)
    label, days = _last_month()
    (tmp_path / "workers.csv").write_text(WORKERS, encoding="utf-8")
    (tmp_path / "scheme.yaml").write_text(
        SCHEME.format(start=(days[0] - timedelta(days=40)).replace(day=1).isoformat()),
        encoding="utf-8")
    # A002 makes 30 pieces a day: under the month's 900 until a late night shift's 900.
    rows = "".join(f"{d.isoformat()},day,{w},M1,480,{run},{out},0\n"
                   for d in days for w, run, out in (("A001", 420, 100), ("A002", 300, 30)))
    (tmp_path / "production.csv").write_text(HEADER + rows, encoding="utf-8")
    for argv in (["init"], ["import", "workers", str(tmp_path / "workers.csv")],
                 ["scheme", "import", str(tmp_path / "scheme.yaml")],
                 ["import", "production", str(tmp_path / "production.csv")]):
        assert main(argv) == 0, capsys.readouterr()
    capsys.readouterr()
    return tmp_path


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def test_close_list_reopen_close_again(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    month, days = _last_month()
    closed = _json(capsys, "period", "close", "--workshop", "W1", "--month", month)
    assert closed == {**closed, "workshop": "W1", "period": month, "state": "closed",  # type: ignore[dict-item]
                      "version": 1, "workers": 2, "forced": False}
    states = {r["period"]: r["state"] for r in _json(capsys, "period", "list", "--workshop",
                                                     "W1")}  # type: ignore[union-attr]
    assert states[month] == "closed"

    late = site / "late.csv"
    late.write_text(HEADER + f"{days[1].isoformat()},night,A002,M1,480,480,900,0\n",
                    encoding="utf-8")
    assert main(["import", "production", str(late)]) == 1
    assert f"{month} is closed for W1" in capsys.readouterr().out
    booked = _json(capsys, "import", "production", str(late), "--into-open")
    assert booked["imported"]  # type: ignore[index]
    assert [(a["worker"], a["points"]) for a in booked["adjustments"]] == [("A002", 40)]  # type: ignore[index]

    _refused(capsys, "period", "reopen", "--workshop", "W1", "--month", month)
    reopened = _json(capsys, "period", "reopen", "--workshop", "W1", "--month", month,
                     "--reason", "MES batch came late")
    assert reopened["state"] == "reopened"  # type: ignore[index]
    again = _json(capsys, "period", "close", "--workshop", "W1", "--month", month)
    assert again["version"] == 2  # type: ignore[index]
    assert [c["worker"] for c in again["changes"]] == ["A002"]  # type: ignore[index]
    card = _json(capsys, "scorecard", "A002", "--period", "month", "--date",
                 days[0].isoformat())
    assert card["settled"]["version"] == 2  # type: ignore[index]


def test_every_refusal_is_one_line(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    month, _ = _last_month()
    this_month = period_span("month", datetime.now(ZONE).date()).label
    week = period_span("week", datetime.now(ZONE).date() - timedelta(days=7)).label
    assert "has not ended yet" in _refused(capsys, "period", "close", "--workshop", "W1",
                                           "--month", this_month)
    assert "use --month" in _refused(capsys, "period", "close", "--workshop", "W1",
                                     "--week", week)
    assert "--force needs --reason" in _refused(capsys, "period", "close", "--workshop",
                                                "W1", "--month", month, "--force")
    assert "nothing to reopen" in _refused(capsys, "period", "reopen", "--workshop", "W1",
                                           "--month", month, "--reason", "x")
    assert "no workshop with code" in _refused(capsys, "period", "close", "--workshop",
                                               "W9", "--month", month)
    _json(capsys, "period", "close", "--workshop", "W1", "--month", month)
    for extra in ([], ["--force", "--reason", "again"]):
        assert "already closed for W1" in _refused(capsys, "period", "close", "--workshop",
                                                   "W1", "--month", month, *extra)
    rows = _json(capsys, "period", "list")
    assert [r["version"] for r in rows if r["period"] == month] == [1]  # type: ignore[union-attr]
