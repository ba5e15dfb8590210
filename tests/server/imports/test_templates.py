"""Template files HR downloads: CSV (UTF-8 with a BOM) and XLSX, Chinese or English headers,
one example row; each imports as it is."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Badge, ProductionRecord, Worker
from server.services.imports import import_production, import_workers, template
from shopfloor_trust.cards import card_digest, card_hex
from support.factory import TEST_KEYS

FORMATS = ["csv", "xlsx"]
LANGS = ["zh_CN", "en"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lang", LANGS)
def test_each_template_imports_as_it_is(session: Session, fmt: str, lang: str) -> None:
    workers = template("workers", fmt, lang)  # type: ignore[arg-type]
    report = import_workers(session, workers, f"workers.{fmt}", actor="hr", keys=TEST_KEYS)
    assert report.imported and report.errors == [] and report.created == 1, report.to_text()
    production = template("production", fmt, lang)  # type: ignore[arg-type]
    report = import_production(session, production, f"production.{fmt}", actor="hr")
    assert report.imported and report.errors == [] and report.created == 1, report.to_text()
    session.commit()
    worker = session.scalars(select(Worker)).one()
    record = session.scalars(select(ProductionRecord)).one()
    assert (worker.code, record.shift, record.output) == ("W001", "day", 900)
    # the example card is the number a reader types for it, leading zeros and all
    badge = session.scalars(select(Badge)).one()
    assert badge.credential_hash == card_digest(card_hex("0013749039", "10D", exact=True),
                                                TEST_KEYS.site_key)


def test_the_csv_has_a_bom_and_the_header_in_the_chosen_language() -> None:
    chinese = template("workers", "csv", "zh_CN")
    assert chinese.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(chinese.decode("utf-8-sig"))))
    assert rows == [["工号", "姓名", "车间", "角色", "语言", "卡号"],
                    ["W001", "张伟", "W1", "员工", "中文", "0013749039"]]
    english = list(csv.reader(io.StringIO(template("production", "csv", "en")
                                          .decode("utf-8-sig"))))
    assert english[0] == ["date", "shift", "worker_code", "machine_code", "planned_minutes",
                          "run_minutes", "output", "defects"]
    assert english[1][:2] == ["2026-03-02", "day"]


def test_the_xlsx_keeps_codes_and_cards_as_text_and_the_date_as_a_date() -> None:
    sheet = load_workbook(io.BytesIO(template("workers", "xlsx", "zh_CN"))).worksheets[0]
    assert [c.value for c in sheet[1]] == ["工号", "姓名", "车间", "角色", "语言", "卡号"]
    card = sheet["F2"]
    assert (card.value, card.data_type, card.number_format) == ("0013749039", "s", "@")
    assert sheet.column_dimensions["F"].number_format == "@"  # rows HR adds too
    production = load_workbook(io.BytesIO(template("production", "xlsx", "zh_CN")))
    day = production.worksheets[0]["A2"]
    assert day.is_date and day.number_format == "yyyy-mm-dd"
    assert [c.value for c in production.worksheets[0][1]][:3] == ["日期", "班次", "工号"]


def test_the_example_card_follows_the_sites_format(session: Session) -> None:
    data = template("workers", "csv", "en", card_format="2H,4H")
    assert data.decode("utf-8-sig").splitlines()[1].endswith(',"209,52015"')
    report = import_workers(session, data, "w.csv", actor="hr", keys=TEST_KEYS,
                            card_format="2H,4H")
    assert report.errors == [] and report.cards_assigned == 1


def test_an_unknown_template_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no template"):
        template("points", "csv", "en")  # type: ignore[arg-type]
