"""A worker's language from an import: a code or its name in Chinese or English, Cantonese
(yue, 粤语, 粵語, Cantonese) included; a change of language is audited; anything else is a
bad row that lists the languages there are."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Language, Worker
from server.services.imports import import_workers

ROWS = """工号,姓名,车间,角色,语言
Y001,陈大文,W1,员工,yue
Y002,黄小明,W1,员工,粤语
Y003,李嘉欣,W1,员工,粵語
Y004,何家明,W1,员工,Cantonese
Y005,张伟,W1,员工,中文
Y006,Tom,W1,员工,英语
Y007,梁志强,W1,员工,yue-HK
Y008,林美玲,W1,员工,
"""


def _languages(session: Session) -> dict[str, str]:
    return {w.code: w.language.value for w in session.scalars(select(Worker))}


def test_cantonese_and_chinese_names_of_languages_are_imported(session: Session) -> None:
    report = import_workers(session, ROWS.encode("gb18030"), "员工.csv", actor="hr")
    assert report.imported, report.to_text()
    session.commit()
    assert _languages(session) == {
        "Y001": "yue", "Y002": "yue", "Y003": "yue", "Y004": "yue", "Y005": "zh_CN",
        "Y006": "en", "Y007": "yue", "Y008": "zh_CN"}


def test_a_change_to_cantonese_is_audited(session: Session) -> None:
    import_workers(session, ROWS.encode(), "w.csv", actor="hr")
    session.commit()
    changed = ROWS.replace("Y005,张伟,W1,员工,中文", "Y005,张伟,W1,员工,廣東話")
    report = import_workers(session, changed.encode(), "w.csv", actor="hr")
    assert report.imported and report.updated == 1, report.to_text()
    session.commit()
    y005 = session.scalars(select(Worker).where(Worker.code == "Y005")).one()
    assert y005.language is Language.YUE
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "worker.update",
                                                     AuditEntry.entity_id == str(y005.id))
                            ).one()
    assert entry.before is not None and entry.after is not None
    assert (entry.before["language"], entry.after["language"]) == ("zh_CN", "yue")


def test_an_unknown_language_lists_the_three(session: Session) -> None:
    bad = ROWS + "Y009,赵六,W1,员工,法语\nY010,钱七,W1,员工,yue_Hans\n"
    report = import_workers(session, bad.encode(), "w.csv", actor="hr")
    assert not report.imported
    reasons = [e["reason"] for e in report.to_dict()["errors"]]
    assert reasons == ["语言: '法语' is not one of zh_CN (中文), en (英文), yue (粤语)",
                       "语言: 'yue_Hans' is not one of zh_CN (中文), en (英文), yue (粤语)"]
    assert _languages(session) == {}
