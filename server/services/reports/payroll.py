"""The payroll export: each worker's settled score, awards and the bonus they earn.

Payroll is paid from closed periods only, never from live scores: a month's export reads
the snapshot of each workshop's closed month (for a weekly scheme: of each closed ISO week
whose Thursday falls in the month, one row per week). Asking for a month while any of
those periods is not closed is refused, naming the first one and how to close it.

HR sets a bonus per tier key (`excellent`, `improved`, ...); a worker earns the bonus of
every award they hold in the period. From a configurable day of the month (default the
25th) the dashboard reminds HR to close last month and export its payroll. A cash reward
(a reward with a cash value, such as a tier menu's bonus) handed over in the month adds a
row with its amount in the bonus column.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import ScoringScheme, Setting, SettledPeriod, Workshop
from server.scoring import Period, PeriodSpan, period_span
from server.services import InvalidInput
from server.services.audit import record
from server.services.periods.calendar import workshop_by_code
from server.services.periods.snapshots import closed_period, settled_board
from server.services.reports.cells import append_row, csv_bytes
from server.services.rewards import redemptions
from server.services.scores.schemes import scheme_for, to_scheme

BONUS_KEY = "payroll.bonus"
REMINDER_KEY = "payroll.reminder_day"
DEFAULT_REMINDER_DAY = 25
HEADERS = ["车间 Workshop", "工号 Code", "姓名 Name", "期间 Period", "结算版本 Version",
           "总分 Total", "排名 Rank", "等级 Tier", "奖项 Awards", "奖金 Bonus"]


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


def weeks_of(month: PeriodSpan) -> list[PeriodSpan]:
    """The ISO weeks a month pays: those whose Thursday falls in it (as ISO numbers weeks,
    so every week is paid in exactly one month)."""
    thursday = month.start + timedelta(days=(3 - month.start.weekday()) % 7)
    weeks = []
    while thursday <= month.end:
        weeks.append(period_span(Period.WEEK, thursday))
        thursday += timedelta(days=7)
    return weeks


@dataclass(frozen=True)
class PayPeriod:
    """A period a month's payroll is paid from, and its settlement (None: not closed)."""

    workshop: Workshop
    span: PeriodSpan
    settled: SettledPeriod | None


def pay_periods(session: Session, month_start: date,
                workshop: str | None = None) -> list[PayPeriod]:
    """Every workshop's periods a month's payroll is paid from: the month for a monthly
    scheme, the weeks of the month (`weeks_of`) for a weekly one; workshops scored by the
    day or without a scheme have none."""
    month = period_span(Period.MONTH, month_start)
    shops = ([workshop_by_code(session, workshop)] if workshop
             else list(session.scalars(select(Workshop).order_by(Workshop.code))))
    found = []
    for shop in shops:
        row = scheme_for(session, shop.id, month.start)
        if row is not None and to_scheme(row).period is Period.MONTH:
            spans = [month]
        else:
            spans = [week for week in weeks_of(month)
                     if (weekly := scheme_for(session, shop.id, week.start)) is not None
                     and to_scheme(weekly).period is Period.WEEK]
        found += [PayPeriod(shop, span, closed_period(session, shop.id, span)) for span in spans]
    return found


def _not_closed(month: PeriodSpan, missing: list[PayPeriod], today: date) -> str:
    """One line: the first period that is not closed, how to close it, and the rest."""
    first = missing[0]
    code, span = first.workshop.code, first.span
    command = (f"`shopfloor-server period close --workshop {code} --{span.kind.value} "
               f"{span.label}` or on the Periods page")
    if span.end >= today:
        text = (f"{span.label} has not ended yet for {code} (its last day is "
                f"{span.end.isoformat()}): payroll is paid from closed periods; close it "
                f"from {(span.end + timedelta(days=1)).isoformat()} on with {command}")
    else:
        text = f"{span.label} is not closed for {code}: close it with {command}"
    if span.kind is not Period.MONTH:
        text = f"payroll {month.label}: {text}"
    rest = [f"{p.workshop.code} {p.span.label}" for p in missing[1:]]
    if rest:
        text += "; also not closed: " + ", ".join(rest)
    return text


def payroll_rows(session: Session, month_start: date, zone: ZoneInfo,
                 today: date | None = None, *, workshop: str | None = None
                 ) -> list[list[Any]]:
    """The month's rows from the snapshots of its closed periods (every workshop, or the
    one named). InvalidInput naming the first period that is not closed, or when no
    workshop is scored by the week or month."""
    settings = get_settings(session)
    month = period_span(Period.MONTH, month_start)
    today = today or datetime.now(zone).date()
    periods = pay_periods(session, month.start, workshop)
    missing = [p for p in periods if p.settled is None]
    if missing:
        raise InvalidInput(_not_closed(month, missing, today))
    if not periods:
        where = f"{workshop} is" if workshop else "no workshop is"
        raise InvalidInput(f"{where} scored by the week or month in {month.label}: payroll "
                           "is paid from closed weeks and months, so there is nothing to pay")
    rows: list[list[Any]] = []
    for paid in periods:
        board = settled_board(session, paid.workshop, paid.span)
        if board is None:  # closed without a snapshot: never made by close_period
            raise InvalidInput(f"{paid.span.label} for {paid.workshop.code} has no snapshot")
        version = board["settled"]["version"]
        for entry in board["standings"]:
            bonus = sum(settings.bonus.get(key, 0.0) for key in entry["awards"])
            rows.append([paid.workshop.code, entry["code"], entry["name"], paid.span.label,
                         version, entry["total"], entry["rank"],
                         entry["tier"]["name"] if entry["tier"] else "",
                         ", ".join(entry["awards"]), round(bonus, 2)])
    return rows + _reward_cash_rows(session, month, zone, workshop)


def _reward_cash_rows(session: Session, month: PeriodSpan, zone: ZoneInfo,
                      workshop: str | None) -> list[list[Any]]:
    """One row for each cash reward (a tier-menu or catalogue reward with a cash value)
    handed over in the month, its amount in the bonus column: cash choices are paid with
    the payroll."""
    start = datetime.combine(month.start, time.min, zone)
    end = datetime.combine(month.end + timedelta(days=1), time.min, zone)
    shop = workshop_by_code(session, workshop) if workshop else None
    return [[r.worker.workshop.code, r.worker.code, r.worker.name, month.label, "", "", "",
             "", f"奖品 reward {r.reward.code}", round(r.reward.cash or 0.0, 2)]
            for r in redemptions.cash_handed_over(session, start, end,
                                                  shop.id if shop else None)]


def payroll_file(session: Session, month_start: date, fmt: str, zone: ZoneInfo,
                 today: date | None = None, *, workshop: str | None = None
                 ) -> tuple[str, bytes]:
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput(f"format: xlsx or csv, not {fmt!r}")
    rows = payroll_rows(session, month_start, zone, today, workshop=workshop)
    name = f"payroll-{month_start:%Y-%m}{'-' + workshop if workshop else ''}.{fmt}"
    if fmt == "csv":
        return name, csv_bytes(HEADERS, rows)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{month_start:%Y-%m}"
    append_row(sheet, HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, row)
    buffer = io.BytesIO()
    book.save(buffer)
    return name, buffer.getvalue()
