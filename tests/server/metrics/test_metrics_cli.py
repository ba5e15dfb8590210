"""`shopfloor-server metric add|change|list` and `import metrics FILE`, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.cli import main


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("SHOPFLOOR_DATA_DIR", str(data))
    monkeypatch.setenv("SHOPFLOOR_TIMEZONE", "Asia/Shanghai")
    monkeypatch.delenv("SHOPFLOOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("SHOPFLOOR_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("SHOPFLOOR_SECRET_KEY", raising=False)
    return data


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_metrics_are_defined_and_imported(cli_env: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init"]) == 0
    workers = tmp_path / "workers.csv"
    workers.write_text("code,name,workshop,role,language\nW001,张三,W1,worker,zh_CN\n")
    assert main(["import", "workers", str(workers)]) == 0
    capsys.readouterr()
    added = _json(capsys, "metric", "add", "first_pass", "--name", "首检合格率", "--better",
                  "higher", "--combine", "mean", "--unit", "%")
    assert added["combine"] == "mean" and added["unit"] == "%"
    assert main(["metric", "add", "rework", "--name", "返修", "--better", "lower",
                 "--combine", "sum"]) == 0
    assert main(["metric", "add", "rework", "--name", "x", "--better", "lower",
                 "--combine", "sum"]) == 1  # exists
    assert main(["metric", "add", "fpy", "--name", "比", "--better", "higher", "--combine",
                 "ratio", "--numerator", "rework", "--denominator", "first_pass"]) == 0
    capsys.readouterr()
    listed = _json(capsys, "metric", "list")
    assert [m["code"] for m in listed["metrics"]] == ["first_pass", "fpy", "rework"]
    values = tmp_path / "metrics.csv"
    values.write_text("日期,班次,工号,指标,数值\n2026-03-09,白班,W001,first_pass,97%\n"
                      "2026-03-09,白班,W001,rework,1.5\n")
    first = _json(capsys, "import", "metrics", str(values))
    assert (first["imported"], first["created"]) == (True, 2)
    again = _json(capsys, "import", "metrics", str(values))
    assert (again["created"], again["unchanged"]) == (0, 2)
    bad = tmp_path / "bad.csv"
    bad.write_text("date,shift,worker_code,metric,value\n2026-03-09,day,W001,nope,1\n")
    assert main(["import", "metrics", str(bad), "--strict"]) == 1
    assert "line 2: metric: no metric 'nope'" in capsys.readouterr().out
