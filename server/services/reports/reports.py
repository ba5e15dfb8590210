"""Weekly and monthly reports per workshop: scores, tiers, most improved; XLSX, CSV, PDF.

The numbers come from the scorecard service (and so from the pure scoring engine): a
report is the workshop's standings for the period with every worker's dimension lines.
A closed period is read from its snapshot; its report names the version it shows and,
from the second close on, what changed since the version before.
Column headings are bilingual (中文 / English), so one file serves every reader.
`report_file` is what both the admin page and `shopfloor-server report` call.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from server.scoring import Period, PeriodSpan, period_span
from server.services import InvalidInput
from server.services.periods.calendar import workshop_by_code
from server.services.periods.closing import version_changes
from server.services.periods.review import snapshot_cards
from server.services.periods.snapshots import closed_period
from server.services.reports.cells import append_row, csv_bytes
from server.services.reports.pdf import new_document, output
from server.services.scores.scorecards import all_scorecards, leaderboard

FORMATS = ("xlsx", "csv", "pdf")
KINDS = {"weekly": Period.WEEK, "monthly": Period.MONTH}
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
DIMENSION_NAMES = {
    "uptime": "开机率 Uptime", "defect_rate": "次品率 Defect rate", "output": "产量 Output",
    "training": "培训 Training", "attendance": "出勤 Attendance", "points": "积分 Points",
}


@dataclass
class ReportRow:
    rank: int | None
    code: str
    name: str
    total: float
    complete: bool
    lines: dict[str, dict[str, Any]]
    hourly_points: float
    point_entries: float
    tier: str | None
    awards: list[str]
    improvement: float | None
    # The dual track (a scheme with tracks): key -> {"percent", "points", "weight", ...}.
    tracks: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Report:
    workshop_code: str
    workshop_name: str
    span: PeriodSpan
    scheme: str
    dimensions: list[str]
    rows: list[ReportRow] = field(default_factory=list)
    most_improved: list[dict[str, Any]] = field(default_factory=list)
    # A closed period: {"period", "version", "closed_at", "closed_by"}; None while open.
    settled: dict[str, Any] | None = None
    # What changed between the last two versions: worker, total, rank, tier as [old, new].
    changes: list[dict[str, Any]] = field(default_factory=list)
    # The scheme's tracks ("process", "result"), when it has them.
    tracks: list[str] = field(default_factory=list)

    @property
    def version(self) -> int:
        """The snapshot version a closed period's report shows; 0 while it is open."""
        return int(self.settled["version"]) if self.settled is not None else 0

    @property
    def settlement(self) -> str:
        """One line on the settlement, in both languages, for the files."""
        if self.settled is None:
            return "未结算 Not closed: live scores"
        return (f"已结算 Closed: version {self.settled['version']}, "
                f"{self.settled['closed_by'] or ''} {self.settled['closed_local']}").strip()

    @property
    def title(self) -> str:
        return f"{self.workshop_name} ({self.workshop_code}) {self.span.label}"

    def file_name(self, fmt: str) -> str:
        kind = "weekly" if self.span.kind is Period.WEEK else "monthly"
        return f"report-{kind}-{self.workshop_code}-{self.span.label}.{fmt}"


def last_full_period(kind: Period, today: date) -> date:
    """A day in the last finished period of `kind` before `today`."""
    return period_span(kind, today).start - timedelta(days=1)


def period_span_label(kind: Period, today: date) -> str:
    """The label of the last full period of `kind`: what a report shows by default."""
    return period_span(kind, last_full_period(kind, today)).label


def parse_period(kind: Period, text: str) -> date:
    """`YYYY-MM` for a month, `YYYY-Www` for an ISO week -> the period's first day."""
    text = text.strip()
    try:
        if kind is Period.MONTH:
            year, month = text.split("-")
            return date(int(year), int(month), 1)
        year, week = text.upper().split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        example = "2026-03" if kind is Period.MONTH else "2026-W11"
        raise InvalidInput(f"period: {text!r} is not like {example}") from None


def build_report(session: Session, workshop_code: str, kind: Period, on: date, zone: ZoneInfo,
                 today: date | None = None) -> Report:
    board = leaderboard(session, workshop_code, kind.value, on, zone, today=today)
    period = (closed_period(session, workshop_by_code(session, workshop_code).id,
                            period_span(kind, on)) if board.get("settled") else None)
    if period is not None:  # closed: every number from its snapshot, as it was paid
        cards = snapshot_cards(session, period)
    else:
        cards = {c["worker"]["code"]: c for c in all_scorecards(
            session, kind.value, on, zone, today=today)["scorecards"]
            if c["worker"]["workshop"] == workshop_code}
    improvements = {m["code"]: m["improvement"] for m in board["most_improved"]}
    first = next(iter(cards.values()), None)
    report = Report(
        workshop_code=board["workshop"]["code"], workshop_name=board["workshop"]["name"],
        span=period_span(kind, on),
        scheme=f"{board['scheme']['name']} v{board['scheme']['version']}",
        dimensions=[d["key"] for d in first["dimensions"]] if first else [],
        tracks=[t["key"] for t in first.get("tracks") or []] if first else [],
        most_improved=board["most_improved"],
        settled=board.get("settled"),
    )
    if report.settled is not None:
        closed_at = report.settled.get("closed_at")
        report.settled = {**report.settled, "closed_local": (
            datetime.fromisoformat(closed_at).astimezone(zone).strftime("%Y-%m-%d %H:%M")
            if closed_at else "")}
    if period is not None:
        report.changes = version_changes(session, period)
    for entry in board["standings"]:
        card = cards[entry["code"]]
        report.rows.append(ReportRow(
            rank=entry["rank"], code=entry["code"], name=entry["name"], total=entry["total"],
            complete=card["complete"],
            lines={d["key"]: d for d in card["dimensions"]},
            hourly_points=card["hourly_points"], point_entries=card["point_entries_total"],
            tier=entry["tier"]["name"] if entry["tier"] else None,
            awards=list(entry["awards"]), improvement=improvements.get(entry["code"]),
            tracks={t["key"]: t for t in card.get("tracks") or []},
        ))
    return report


TRACK_NAMES = {"process": "过程线 Process (share)", "result": "结果线 Result (share)"}


def _headers(report: Report) -> list[str]:
    heads = ["排名 Rank", "工号 Code", "姓名 Name", "总分 Total"]
    for key in report.dimensions:
        name = DIMENSION_NAMES.get(key, key)
        heads += [f"{name} 值 value", f"{name} 得分 points"]
    heads += [TRACK_NAMES[key] for key in report.tracks]
    return heads + ["计时积分 Hourly points", "奖励积分 Point entries", "等级 Tier",
                    "奖项 Awards", "进步 Improvement", "数据完整 Complete"]


def _cells(report: Report, row: ReportRow) -> list[Any]:
    cells: list[Any] = [row.rank, row.code, row.name, row.total]
    for key in report.dimensions:
        line = row.lines.get(key, {})
        cells += [line.get("value"), line.get("points")]
    cells += [row.tracks.get(key, {}).get("percent") for key in report.tracks]
    return cells + [row.hourly_points, row.point_entries, row.tier or "",
                    ", ".join(row.awards), row.improvement, "yes" if row.complete else "no"]


def to_xlsx(report: Report) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Scores"
    append_row(sheet, [f"{report.title} · {report.scheme}"])
    append_row(sheet, [f"{report.span.start.isoformat()} – {report.span.end.isoformat()} · "
                       f"{report.settlement}"])
    append_row(sheet, _headers(report))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in report.rows:
        append_row(sheet, _cells(report, row))
    for index in range(1, len(_headers(report)) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 16
    sheet.freeze_panes = "D4"
    improved = book.create_sheet("Most improved")
    append_row(improved, ["排名 Rank", "工号 Code", "姓名 Name", "总分 Total",
                          "进步 Improvement"])
    for entry in report.most_improved:
        append_row(improved, [entry["rank"], entry["code"], entry["name"], entry["total"],
                              entry["improvement"]])
    if report.changes:
        changed = book.create_sheet("Changes")
        append_row(changed, [f"版本变化 Changes from version {report.version - 1} to "
                             f"{report.version}"])
        append_row(changed, CHANGE_HEADERS)
        for cell in changed[2]:
            cell.font = Font(bold=True)
        for change in report.changes:
            append_row(changed, _change_cells(change))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


CHANGE_HEADERS = ["工号 Code", "总分 Total (before)", "总分 Total (after)", "排名 Rank (before)",
                  "排名 Rank (after)", "等级 Tier (before)", "等级 Tier (after)"]


def _change_cells(change: dict[str, Any]) -> list[Any]:
    return [change["worker"], *change["total"], *change["rank"],
            *(tier or "" for tier in change["tier"])]


def to_csv(report: Report) -> bytes:
    """UTF-8 with a BOM, which Excel on a Chinese Windows opens correctly."""
    return csv_bytes(_headers(report), (_cells(report, row) for row in report.rows))


def _fmt(value: Any, key: str | None = None) -> str:
    if value is None:
        return "—"
    if key in ("uptime", "defect_rate", "training", "attendance"):
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _share(track: dict[str, Any] | None) -> str:
    """A track's share of its maximum, as a percentage ("—" when the card has none)."""
    return "—" if not track else f"{track['percent'] * 100:.0f}%"


def to_pdf(report: Report, *, font: str | None = None) -> bytes:
    pdf = new_document("landscape", font=font)
    pdf.add_page()
    pdf.set_font_size(15)
    pdf.cell(text=report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(9)
    pdf.cell(text=f"{report.span.start} – {report.span.end} · {report.scheme} · "
                  f"{report.settlement}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    heads = ["排名 Rank", "工号 Code", "姓名 Name", "总分 Total"]
    heads += [DIMENSION_NAMES.get(k, k) for k in report.dimensions]
    heads += [TRACK_NAMES[k].split(" (")[0] for k in report.tracks]
    heads += ["等级 Tier", "进步 Improved"]
    headings = FontFace(emphasis="", fill_color=(230, 234, 240))
    with pdf.table(text_align="CENTER", line_height=6, first_row_as_headings=True,
                   headings_style=headings) as table:
        table.row(heads)
        for row in report.rows:
            cells = [_fmt(row.rank), row.code, row.name, _fmt(row.total)]
            cells += [f"{_fmt(row.lines.get(k, {}).get('value'), k)} / "
                      f"{_fmt(row.lines.get(k, {}).get('points'))}" for k in report.dimensions]
            cells += [_share(row.tracks.get(k)) for k in report.tracks]
            cells += [row.tier or "", _fmt(row.improvement)]
            table.row(cells)
    if report.most_improved:
        pdf.ln(4)
        pdf.set_font_size(12)
        pdf.cell(text="进步最大 Most improved", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font_size(9)
        for entry in report.most_improved:
            pdf.cell(text=f"{entry['code']} {entry['name']}: +{entry['improvement']:g}",
                     new_x="LMARGIN", new_y="NEXT")
    if report.changes:
        pdf.ln(4)
        pdf.set_font_size(12)
        pdf.cell(text=f"版本变化 Changes from version {report.version - 1} to "
                      f"{report.version}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font_size(9)
        for change in report.changes:
            code, old, new, rank_old, rank_new, tier_old, tier_new = _change_cells(change)
            pdf.cell(text=f"{code}: {_fmt(old)} -> {_fmt(new)}, rank {_fmt(rank_old)} -> "
                          f"{_fmt(rank_new)}, tier {tier_old or '—'} -> {tier_new or '—'}",
                     new_x="LMARGIN", new_y="NEXT")
    return output(pdf)


def render(report: Report, fmt: str, *, font: str | None = None) -> bytes:
    """The report as a file; `font` is the configured PDF font (`Config.pdf_font`)."""
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "csv":
        return to_csv(report)
    if fmt == "pdf":
        return to_pdf(report, font=font)
    raise InvalidInput(f"format: one of {', '.join(FORMATS)}, not {fmt!r}")


def report_file(session: Session, kind: str, workshop_code: str, fmt: str, zone: ZoneInfo,
                period: str | None = None, today: date | None = None, *,
                font: str | None = None) -> tuple[str, bytes]:
    """(file name, bytes) of a weekly or monthly report; default: the last full period."""
    if kind not in KINDS:
        raise InvalidInput(f"report: weekly or monthly, not {kind!r}")
    period_kind = KINDS[kind]
    today = today or datetime.now(zone).date()
    on = parse_period(period_kind, period) if period else last_full_period(period_kind, today)
    report = build_report(session, workshop_code, period_kind, on, zone, today=today)
    return report.file_name(fmt), render(report, fmt, font=font)
