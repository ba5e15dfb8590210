"""The growth path in real headless Chromium against a real server: HR defines a talent
pool and a grade, sees who qualifies and certifies, and the worker page draws the growth
radar (ECharts, aria and decal). Screenshots in both languages go to
/tmp/shots19/growth/ and test-artifacts/admin/."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.models import EntryStatus, PointCategory, PointEntry, Worker
from server.services.setup import initialise
from support.factory import PASSWORD, build_plant
from support.live_server import LiveServer

ARTIFACTS = Path("test-artifacts/admin")
SHOTS = Path("/tmp/shots19/growth")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("growth") / "data")
    config = Config.from_env(data_dir=live.data_dir, timezone="Asia/Shanghai")
    engine = make_engine(config.database_url)
    with make_sessionmaker(engine)() as session:
        initialise(engine, session, PASSWORD)
        plant = build_plant(session, datetime.now(config.zone).date(), with_admin=False)
        categories = {c.code: c for c in session.scalars(select(PointCategory))}
        workers = {w.code: w for w in session.scalars(select(Worker))}
        for code, category, points in (("A001", "improvement", 20), ("A001", "fault_fix", 30),
                                       ("A002", "improvement", 40), ("A003", "tidy_5s", 4)):
            session.add(PointEntry(worker_id=workers[code].id,
                                   category_id=categories[category].id, points=points,
                                   date=plant.today, status=EntryStatus.APPROVED))
        session.commit()
    engine.dispose()
    live.start()
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="en-US", ignore_https_errors=True,
                              viewport={"width": 1366, "height": 900})
    yield ctx
    ctx.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    shutil.copy(ARTIFACTS / f"{name}.png", SHOTS / f"{name}.png")


def _log_in(context: BrowserContext, server: LiveServer) -> Page:
    page = context.new_page()
    page.goto(f"{server.url}/admin/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    expect(page.locator("h1")).to_have_count(1)
    return page


def test_hr_defines_a_pool_and_a_grade_certifies_and_sees_the_radar(
        context: BrowserContext, browser: Browser, server: LiveServer) -> None:
    page = _log_in(context, server)
    page.goto(f"{server.url}/admin/pools")
    page.fill("input[name=code]", "lean")
    page.fill("input[name=name]", "精益改善种子库")
    page.fill("input[name=name_en]", "Lean seeds")
    page.fill("input[name=min_points]", "20")
    page.check("input[name=categories][value=improvement]")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#pool-lean")).to_contain_text("A001")
    expect(page.locator("#pool-lean")).to_contain_text("A002")
    _shot(page, "admin_pools")
    page.goto(f"{server.url}/admin/grades")
    page.fill("input[name=code]", "T1")
    page.fill("input[name=rank]", "1")
    page.fill("input[name=name]", "初级技工")
    page.fill("input[name=name_en]", "Technician I")
    page.fill("input[name=points]", "50")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#candidates")).to_contain_text("A001")
    _shot(page, "admin_grades")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#candidates button").first.click()
    expect(page.locator(".flash").first).to_contain_text("A001 now holds grade T1")
    page.goto(f"{server.url}/admin/workers/A001")
    expect(page.locator("#growth-grade")).to_contain_text("Technician I")
    chart = page.locator('[data-chart="chart-growth-data"]')
    expect(chart.locator("canvas")).to_have_count(1)
    chart.scroll_into_view_if_needed()
    # the chart is an image named by its title, described by the text beside it
    expect(chart).to_have_attribute("aria-label", re.compile("Growth: share of the maximum"))
    described = chart.get_attribute("aria-describedby")
    assert described and page.locator(f"#{described}").inner_text().strip()
    _shot(page, "admin_worker_growth_en")
    chinese = browser.new_context(locale="zh-CN", ignore_https_errors=True,
                                  viewport={"width": 1366, "height": 900})
    try:
        page = _log_in(chinese, server)
        page.goto(f"{server.url}/admin/workers/A001")
        expect(page.locator("#growth-grade")).to_contain_text("初级技工")
        expect(page.locator('[data-chart="chart-growth-data"] canvas')).to_have_count(1)
        _shot(page, "admin_worker_growth_zh_CN")
    finally:
        chinese.close()
