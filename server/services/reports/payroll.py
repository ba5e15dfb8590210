"""The payroll export: each worker's monthly score, awards and the bonus they earn.

HR sets a bonus per tier key (`excellent`, `improved`, ...); a worker earns the bonus of
every award they hold that month. The export is ready from a configurable day of the
month (default the 25th): from that day the dashboard reminds HR of it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import ScoringScheme, Setting, Workshop
from server.scoring import Period, period_span
from server.services import InvalidInput
from server.services.audit import record
from server.services.scores.schemes import scheme_for
from server.services.scores.scorecards import leaderboard

BONUS_KEY = "payroll.bonus"
REMINDER_KEY = "payroll.reminder_day"
DEFAULT_REMINDER_DAY = 25
HEADERS = ["车间 Workshop", "工号 Code", "姓名 Name", "总分 Total", "排名 Rank", "等级 Tier",
           "奖项 Awards", "奖金 Bonus"]


@dataclass(frozen=True)
class PayrollSettings:
    bonus: dict[str, float]
    reminder_day: int


def get_settings(session: Session) -> PayrollSettings:
    bonus = session.get(Setting, BONUS_KEY)
    day = session.get(Setting, REMINDER_KEY)
    return PayrollSettings(
        bonus=json.loads(bonus.value) if bonus else {},
        reminder_day=int(day.value) if day else DEFAULT_REMINDER_DAY,
    )


def _put(session: Session, key: str, value: str) -> None:
    setting = session.get(Setting, key)
    if setting is None:
        session.add(Setting(key=key, value=value))
    else:
        setting.value = value


def save_settings(session: Session, settings: PayrollSettings, actor: str) -> PayrollSettings:
    if not 1 <= settings.reminder_day <= 28:
        raise InvalidInput("reminder day: 1 to 28, so that every month has it")
    if any(amount < 0 for amount in settings.bonus.values()):
        raise InvalidInput("bonus: not below 0")
    before = get_settings(session)
    bonus = {k: v for k, v in sorted(settings.bonus.items()) if v}
    _put(session, BONUS_KEY, json.dumps(bonus))
    _put(session, REMINDER_KEY, str(settings.reminder_day))
    after = PayrollSettings(bonus, settings.reminder_day)
    if after != before:
        record(session, actor, "payroll.settings", "setting", "payroll",
               before={"bonus": before.bonus, "reminder_day": before.reminder_day},
               after={"bonus": bonus, "reminder_day": settings.reminder_day})
    return after


def tier_keys(session: Session) -> list[str]:
    """Every tier key any stored scheme names, for the bonus table."""
    return sorted(tier_names(session))


def tier_names(session: Session) -> dict[str, str]:
    """Tier key -> the name the newest scheme gives it, so HR sees the names the kiosk and
    the wall show."""
    names: dict[str, str] = {}
    for definition in session.scalars(select(ScoringScheme.definition)
                                      .order_by(ScoringScheme.created_at)):
        names.update((t["key"], t.get("name") or t["key"]) for t in definition.get("tiers", []))
    return names


def reminder_due(settings: PayrollSettings, today: date) -> bool:
    return today.day >= settings.reminder_day


def payroll_rows(session: Session, month_start: date, zone: ZoneInfo,
                 today: date | None = None) -> list[list[Any]]:
    settings = get_settings(session)
    span = period_span(Period.MONTH, month_start)
    rows: list[list[Any]] = []
    for workshop in session.scalars(select(Workshop).order_by(Workshop.code)):
        if scheme_for(session, workshop.id, span.start) is None:
            continue
        board = leaderboard(session, workshop.code, Period.MONTH.value, span.start, zone,
                            today=today)
        for entry in board["standings"]:
            bonus = sum(settings.bonus.get(key, 0.0) for key in entry["awards"])
            rows.append([workshop.code, entry["code"], entry["name"], entry["total"],
                         entry["rank"], entry["tier"]["name"] if entry["tier"] else "",
                         ", ".join(entry["awards"]), round(bonus, 2)])
    return rows


def payroll_file(session: Session, month_start: date, fmt: str, zone: ZoneInfo,
                 today: date | None = None) -> tuple[str, bytes]:
    rows = payroll_rows(session, month_start, zone, today)
    name = f"payroll-{month_start:%Y-%m}.{fmt}"
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(HEADERS)
        writer.writerows(rows)
        return name, ("\ufeff" + text.getvalue()).encode("utf-8")
    if fmt != "xlsx":
        raise InvalidInput(f"format: xlsx or csv, not {fmt!r}")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{month_start:%Y-%m}"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return name, buffer.getvalue()
