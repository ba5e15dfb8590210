"""What notifications say, in the site's language (zh_CN), from plain facts.

Chinese text, with the English name of the kind in the title for those who read it. A
notification names the workshop, the machine, the reason if any and who reported it; the
names are as they were when it was queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from server.models import Alert

KIND_NAMES = {"machine_fault": "设备故障", "quality_issue": "质量问题"}
KIND_ENGLISH = {"machine_fault": "machine fault", "quality_issue": "quality issue"}
TEST_TITLE = "【测试】车间看板通知 (test message)"
TEST_BODY = ("这是一条测试消息：收到即说明通知设置正确。\n"
             "This is a test message from Shopfloor Kiosk: the notification settings work.")
# At most this many open issues are listed one by one in a daily summary.
SUMMARY_ISSUES = 10


@dataclass(frozen=True)
class AlertFacts:
    """What a notification says of one alert."""

    kind: str
    workshop: str
    machine: str | None  # "CNC-1（M1）", or None for a quality issue at no machine
    reason: str | None
    reporter: str  # "张三（W001）"
    opened_at: datetime
    acknowledged: bool = False


def _named(name: str, code: str) -> str:
    return name if name == code else f"{name}（{code}）"


def facts(alert: Alert) -> AlertFacts:
    """The facts of an alert whose workshop, machine and reporter can be loaded."""
    machine = alert.machine
    return AlertFacts(
        kind=alert.kind.value, workshop=alert.workshop.name,
        machine=None if machine is None else _named(machine.name, machine.code),
        reason=alert.reason, reporter=_named(alert.reporter.name, alert.reporter.code),
        opened_at=alert.opened_at, acknowledged=alert.acknowledged_at is not None)


def when(moment: datetime, zone: ZoneInfo) -> str:
    """3月9日 10:15, in the site's time zone."""
    local = moment.astimezone(zone)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def _lines(alert: AlertFacts, zone: ZoneInfo) -> list[str]:
    lines = [f"车间：{alert.workshop}"]
    if alert.machine is not None:
        lines.append(f"设备：{alert.machine}")
    if alert.reason:
        lines.append(f"原因：{alert.reason}")
    lines += [f"报告人：{alert.reporter}", f"时间：{when(alert.opened_at, zone)}"]
    return lines


def _where(alert: AlertFacts) -> str:
    return alert.workshop if alert.machine is None else f"{alert.workshop} · {alert.machine}"


def new_alert(alert: AlertFacts, zone: ZoneInfo) -> tuple[str, str]:
    """The title and body of the message that a new alert was opened."""
    title = f"【{KIND_NAMES[alert.kind]}】{_where(alert)} ({KIND_ENGLISH[alert.kind]})"
    return title, "\n".join(_lines(alert, zone))


def escalation(alert: AlertFacts, zone: ZoneInfo, minutes: int) -> tuple[str, str]:
    """The title and body of the message that nobody acknowledged an alert in time."""
    title = (f"【升级·{KIND_NAMES[alert.kind]}】{_where(alert)} "
             f"(escalated: {KIND_ENGLISH[alert.kind]})")
    head = f"{minutes} 分钟无人确认，请立即处理。"
    return title, "\n".join([head, *_lines(alert, zone)])


@dataclass(frozen=True)
class Placed:
    """A worker in the week's standings: rank, name and code, points (or improvement)."""

    rank: int
    name: str
    code: str
    points: float


def _points(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def daily_summary(workshop: str, day: date, top: Sequence[Placed] | None,
                  improved: Sequence[Placed], issues: Sequence[AlertFacts], claims: int,
                  zone: ZoneInfo) -> tuple[str, str]:
    """The daily summary of one workshop: the week's top 5 so far (None: no scheme in
    force), the most improved, the open issues and the claims waiting for a decision."""
    title = f"【每日汇总】{workshop} · {day.month}月{day.day}日 (daily summary)"
    lines: list[str] = []
    if top is None:
        lines.append("本周排名：尚无评分方案")
    elif not top:
        lines.append("本周前五名：暂无数据")
    else:
        lines.append("本周前五名：")
        lines += [f"  {p.rank}. {_named(p.name, p.code)} {_points(p.points)} 分" for p in top]
    if improved:
        lines.append("进步最大：" + "、".join(
            f"{_named(p.name, p.code)}（+{_points(p.points)} 分）" for p in improved))
    lines.append(f"未处理问题：{len(issues)} 个")
    for issue in issues[:SUMMARY_ISSUES]:
        where = f" {issue.machine}" if issue.machine else ""
        reason = f" {issue.reason}" if issue.reason else ""
        state = "已确认" if issue.acknowledged else "未确认"
        lines.append(f"  · {KIND_NAMES[issue.kind]}{where}{reason}，"
                     f"{when(issue.opened_at, zone)} 起，{state}")
    if len(issues) > SUMMARY_ISSUES:
        lines.append(f"  · ……另有 {len(issues) - SUMMARY_ISSUES} 个")
    lines.append(f"待审批申请：{claims} 个")
    return title, "\n".join(lines)
