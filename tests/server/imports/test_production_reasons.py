"""The reasons a production row is refused, from `validate_production_rows`, in the
reader's language and naming the columns as the file's header writes them."""

from __future__ import annotations

from pathlib import Path

from babel.support import Translations
from sqlalchemy.orm import Session

from server.services.imports import import_production, import_workers

TRANSLATIONS = Path(__file__).resolve().parents[3] / "server" / "translations"
PRODUCTION_ZH = """日期,班次,工号,设备,计划分钟,运行分钟,产量,次品
2026-03-02,白班,W001,M1,480,450,900,10
2026-03-02,白班,W001,M1,480,450,900,10
2026-13-01,白班,W999,M1,480,500,900,1000
,夜班,W001,M1,-5,abc,900.5,10
"""


def test_production_reasons_are_translated_and_name_the_files_columns(
    session: Session,
) -> None:
    import_workers(session, "工号,姓名,车间,角色,语言\nW001,张伟,W1,员工,中文\n".encode(),
                   "w.csv", actor="hr")
    session.commit()
    report = import_production(session, PRODUCTION_ZH.encode("gb18030"), "p.csv", actor="hr")
    assert not report.imported
    english = [str(e.reason) for e in report.errors]
    assert english == [
        "repeats the date, shift, worker and machine of line 2",
        "日期: '2026-13-01' is not a day of the calendar",
        "运行分钟: 500 is more than planned_minutes 480",
        "次品: 1000 is more than output 900",
        "工号: no worker 'W999'",
        "日期: is empty",
        "计划分钟: is negative (-5)",
        "运行分钟: 'abc' is not a number",
        "产量: '900.5' is not a whole number",
    ]
    zh = Translations.load(str(TRANSLATIONS), ["zh_Hans_CN"]).gettext
    assert [e["reason"] for e in report.to_dict(gettext=zh)["errors"]] == [
        "与第 2 行的日期、班次、员工和设备重复",
        "日期：'2026-13-01' 不是日历上的日期",
        "运行分钟：500 超过计划分钟 480",
        "次品：1000 超过产量 900",
        "工号：没有工号为 'W999' 的员工",
        "日期：为空",
        "计划分钟：是负数（-5）",
        "运行分钟：'abc' 不是数字",
        "产量：'900.5' 不是整数",
    ]
