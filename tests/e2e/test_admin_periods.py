"""The Periods page and the refused-events list in real headless Chromium (Debian's)
against a real server process, in English and in Chinese.

The seeded plant, with two days of W2's production missing last month (the completeness
check flags them) and W1's last month closed, after which kiosk K1 sent three events dated
in it (refused, kept for HR). In each language HR checks and closes W2's month (refused
with the gaps listed, then closed with a reason; in Chinese after reopening it, so the
second close makes version 2) and books one refused event. Screenshots of every page in
both languages go to test-artifacts/admin-periods/.

The month before last A003's machine stood still, so closing last month made A003 its
improvement star: the wall shows it, named by its month, apart from "this month so far".
This month A002 (weak last month) has an approved +30 remark today, so whatever the day of
the month, and whichever refused events the booking test brings in, A002 leads the month
and is its improver so far: the wall may show it (top half).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import delete, select

from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.models import (
    EntryStatus,
    Language,
    PointCategory,
    PointEntry,
    ProductionRecord,
    RecordSource,
    Worker,
)
from server.scoring import period_span
from server.services.devices.displays import add_display
from server.services.devices.keys import load_keys
from server.services.imports import import_workers
from server.services.periods.closing import close_period
from server.services.production.records import ProductionRow, upsert_production
from server.services.setup import initialise
from support.browser import logged_in, page_language, screenshot
from support.factory import (
    PASSWORD,
    SUPERVISOR_PIN,
    Plant,
    build_plant,
    last_month_days,
    make_event,
)
from support.live_server import LiveServer
from support.seals import sealed

ARTIFACTS = Path("test-artifacts/admin-periods")
LONG_NAME = "Maximilian Alexander Konstantin von Wolfenstein-Hohenberg"
REASON = ("W2 装配线在月中停产检修两天，MES 没有这两天的记录；车间主任已书面确认，"
          "按停产处理，不补数据。Line 2 was down for maintenance on both days.")


class Site:
    def __init__(self, server: LiveServer, plant: Plant, month: str, gaps: list[str],
                 events: list[str], walls: dict[str, str]) -> None:
        self.server, self.plant, self.month = server, plant, month
        self.gaps, self.events, self.walls = gaps, events, walls

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"


def _late_events(server: LiveServer, plant: Plant, config: Config) -> list[str]:
    """Three events K1 sends dated last month (after it was closed): all refused."""
    day = last_month_days(plant.today)[6]
    at = datetime.combine(day, time(9, 30), config.zone)
    remarks = sealed(load_keys(server.data_dir), SUPERVISOR_PIN, [
        make_event("remark", "A001", {"category": "fault_fix", "given_by": "S001"},
                   occurred_at=at),
        make_event("remark", "A003", {"category": "fault_fix", "given_by": "S001",
                                      "note": "夜班主动排除了主轴过热故障，避免了整批报废"},
                   occurred_at=at)])
    events = [remarks[0],
              make_event("output", "X001", {"machine": "CNC-01", "count": 99_999},
                         occurred_at=at),
              remarks[1]]
    answer = httpx.post(f"{server.url}/api/v1/events", json={"events": events},
                        headers={"Authorization": f"Bearer {plant.kiosk_token}"},
                        verify=server.verify, timeout=10)
    assert [r["status"] for r in answer.json()["results"]] == ["rejected"] * 3, answer.text
    return [str(e["uuid"]) for e in events]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    server = LiveServer(tmp_path_factory.mktemp("periods") / "data")
    config = Config.from_env(data_dir=server.data_dir, timezone="Asia/Shanghai")
    engine = make_engine(config.database_url)
    today = datetime.now(config.zone).date()
    with make_sessionmaker(engine)() as session:
        initialise(engine, session, PASSWORD)
        plant = build_plant(session, today, with_admin=False)
        import_workers(session, f"code,name,workshop,role,language\nX001,{LONG_NAME},W1,"
                       "worker,en\n".encode(), "x.csv", actor="test")
        days = last_month_days(today)[8:10]
        w2 = select(Worker.id).where(Worker.workshop.has(code="W2"))
        session.execute(delete(ProductionRecord).where(ProductionRecord.date.in_(days),
                                                       ProductionRecord.worker_id.in_(w2)))
        last = period_span("month", plant.last_month)
        before = period_span("month", last.start - timedelta(days=1))
        first = next(before.start + timedelta(days=i) for i in range(7)
                     if (before.start + timedelta(days=i)).weekday() < 5)
        upsert_production(session, [
            ProductionRow(first, "day", code, "CNC-01", 480, 0 if code == "A003" else 430,
                          0 if code == "A003" else 120, 0)
            for code in ("A001", "A002", "A003", "S001")], RecordSource.IMPORT, "test")
        fault_fix = session.scalars(
            select(PointCategory).where(PointCategory.code == "fault_fix")).one()
        a002 = session.scalars(select(Worker).where(Worker.code == "A002")).one()
        session.add(PointEntry(worker_id=a002.id, category_id=fault_fix.id, points=30,
                               date=today, status=EntryStatus.APPROVED, reason="test"))
        month = last.label
        close_period(session, "W1", "month", month, "test", config.zone, today)
        walls = {"zh": add_display(session, "大屏", "W1", Language.ZH_CN, actor="test").path(),
                 "en": add_display(session, "TV", "W1", Language.EN, actor="test").path()}
        session.commit()
    engine.dispose()
    server.start()
    try:
        events = _late_events(server, plant, config)
        yield Site(server, plant, month, [d.isoformat() for d in days], events, walls)
    finally:
        server.stop()


@pytest.fixture(params=["en-US", "zh-CN"])
def context(request: pytest.FixtureRequest, browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale=request.param, ignore_https_errors=True,
                              viewport={"width": 1366, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, site: Site) -> Iterator[Page]:
    page, problems = logged_in(context, site.server.url, PASSWORD)
    yield page
    assert problems == []


def _shot(page: Page, name: str) -> None:
    screenshot(page, ARTIFACTS, name)


def test_close_a_month_with_gaps(page: Page, site: Site) -> None:
    zh = page_language(page) == "zh"
    page.goto(site.url("/admin/periods"))
    expect(page.locator("h1")).to_have_text("结算期" if zh else "Periods")
    row = page.locator(f'tr[data-period="W2/{site.month}"]')
    if zh:  # English closed it first: reopen, so that this close makes version 2
        expect(row).to_contain_text("已结算")
        _shot(page, "periods-closed")
        row.locator("a.button").click()
        page.locator("#reopen textarea[name=reason]").fill("补录夜班数据后重新核对")
        page.locator("#reopen button").click()
        expect(page.locator(".flash.ok")).to_contain_text("已重新打开")
        page.goto(site.url("/admin/periods"))
    else:
        _shot(page, "periods")
    row.locator("button").click()  # check and close: refused, the gaps listed
    expect(page.locator(".flash.error")).to_contain_text("未结算" if zh else "nothing was closed")
    flags = page.locator("#flags")
    for day in site.gaps:
        expect(flags).to_contain_text(day)
    expect(flags).to_contain_text("当天没有生产记录" if zh else "no production record that day")
    _shot(page, "period-gaps")
    page.locator("#close-anyway button").click()  # without a reason: refused
    expect(page.locator(".flash.error")).to_contain_text("原因" if zh else "Say why")
    page.locator("#close-anyway textarea[name=reason]").fill(REASON)
    page.locator("#close-anyway button").click()
    expect(page.locator(".flash.ok")).to_contain_text(
        f"第 {2 if zh else 1} 版" if zh else "as version 1")
    expect(page.locator("#state")).to_have_text("已结算" if zh else "closed")
    expect(page.locator("#period-state")).to_contain_text(REASON[:20])
    expect(page.locator("#versions tbody tr")).to_have_count(2 if zh else 1)
    if zh:
        expect(page.locator("#history")).to_contain_text("补录夜班数据后重新核对")
    _shot(page, "period-closed")


def test_book_a_refused_event(page: Page, site: Site) -> None:
    zh = page_language(page) == "zh"
    page.goto(site.url("/admin/refused"))
    expect(page.locator("#refused tbody tr")).to_have_count(2 if zh else 3)
    if not zh:
        expect(page.locator("#refused")).to_contain_text(LONG_NAME)
        expect(page.locator("#refused")).to_contain_text("99,999")
    expect(page.locator("#refused")).to_contain_text(
        f"W1 的 {site.month} 已结算" if zh else f"{site.month} is closed for W1")
    _shot(page, "refused")
    uuid = site.events[0] if not zh else site.events[2]
    page.locator(f'#refused tr[data-uuid="{uuid}"] button[name=one]').click()
    expect(page.locator(".flash.ok")).to_contain_text("补记" if zh else "booked into the open")
    expect(page.locator(f'#refused tr[data-uuid="{uuid}"]')).to_have_count(0)
    page.goto(site.url("/admin/refused?show=booked"))
    booked = page.locator(f'#refused tr[data-uuid="{uuid}"]')
    expect(booked).to_contain_text("user:admin")
    expect(booked.locator("td.num")).to_have_text(re.compile(r"^\+\d+(\.\d+)?$"))
    _shot(page, "refused-booked")


def test_reports_and_corrections_name_the_closed_month(page: Page, site: Site) -> None:
    zh = page_language(page) == "zh"
    page.goto(site.url(f"/admin/reports?kind=monthly&workshop=W1&period={site.month}"))
    expect(page.locator("#settled")).to_contain_text("已结算" if zh else "closed, version 1")
    expect(page.locator("#payroll-periods")).to_contain_text(f"W1 {site.month}")
    _shot(page, "reports")
    page.goto(site.url(f"/admin/production?workshop=W1&until={site.month}-28"))
    page.locator("table a", has_text="更正" if zh else "Correct").first.click()
    expect(page.locator("#closed-period")).to_contain_text(site.month)
    _shot(page, "production-edit-closed")
    page.goto(site.url("/admin/production/import"))
    expect(page.locator("input[name=into_open]")).to_have_count(1)
    _shot(page, "production-import")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_wall_shows_the_closed_months_star_apart_from_this_month(
        browser: Browser, site: Site, language: str) -> None:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{site.server.wall_url}{site.walls[language]}")
    month = int(site.month.split("-")[1])
    names = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
    title = f"{month}月进步之星" if language == "zh" else f"Star of {names[month - 1]}"
    expect(page.locator("#star-title")).to_have_text(title, timeout=10_000)
    # A003 王五, masked as every wall shows names unless HR chose full names or codes
    expect(page.locator("#star")).to_contain_text("王*")
    expect(page.locator("#star")).not_to_contain_text("王五")
    expect(page.locator("#so-far")).to_contain_text("李*")
    expect(page.locator("#so-far")).to_contain_text("本月至今" if language == "zh"
                                                    else "This month")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{language}-wall-star.png")
    overflowing = page.evaluate("""() => [...document.querySelectorAll('#wall *')]
        .filter(n => n.scrollWidth > n.clientWidth + 1 && !n.classList.contains('name'))
        .map(n => n.id || n.className)""")
    assert overflowing == []
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    # The fullest side column (three most improved, the star and "so far") still fits.
    fits = page.evaluate("""() => {
        const list = document.getElementById('improved');
        while (list.children.length < 3) list.appendChild(list.children[0].cloneNode(true));
        const side = document.querySelector('.side');
        return side.scrollHeight <= side.clientHeight + 1;
    }""")
    assert fits, "the side column overflows with three most improved and both stars"
    page.close()
