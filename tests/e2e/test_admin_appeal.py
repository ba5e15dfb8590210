"""Upholding an appeal with a correction in real headless Chromium against a real server
process: the form in both languages (screenshots in test-artifacts/admin/), a refused
correction shown again with what was typed, then a record corrected in the same form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.models import ProductionRecord, Worker
from server.services.setup import initialise
from support.factory import PASSWORD, Plant, build_plant, last_month_days
from support.live_server import LiveServer

ARTIFACTS = Path("test-artifacts/admin")


class Site:
    def __init__(self, server: LiveServer, plant: Plant, record_id: int) -> None:
        self.server, self.plant, self.record_id = server, plant, record_id

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    server = LiveServer(tmp_path_factory.mktemp("appeal") / "data")
    config = Config.from_env(data_dir=server.data_dir, timezone="Asia/Shanghai")
    engine = make_engine(config.database_url)
    with make_sessionmaker(engine)() as session:
        initialise(engine, session, PASSWORD)
        plant = build_plant(session, datetime.now(config.zone).date(), with_admin=False)
        record_id = session.scalars(select(ProductionRecord.id).join(Worker).where(
            Worker.code == "A002",
            ProductionRecord.date == last_month_days(plant.today)[0])).one()
        session.commit()
    engine.dispose()
    server.start()
    try:
        yield Site(server, plant, record_id)
    finally:
        server.stop()


def _page(browser: Browser, site: Site, language: str) -> Page:
    ctx = browser.new_context(locale=language, viewport={"width": 1366, "height": 900},
                              ignore_https_errors=True)
    page = ctx.new_page()
    page.goto(site.url("/admin/login"))
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    page.goto(site.url(f"/admin/appeals/{site.plant.appeal_id}"))
    return page


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
def test_the_resolve_form_in_both_languages(browser: Browser, site: Site,
                                            language: str) -> None:
    page = _page(browser, site, language)
    page.locator("#resolve details summary").click()
    expect(page.locator("#correct-records tbody tr").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    lang = "en" if language == "en-US" else "zh"
    page.screenshot(path=ARTIFACTS / f"{lang}-appeal-resolve.png", full_page=True)
    page.context.close()


def test_a_record_corrected_while_upholding(browser: Browser, site: Site) -> None:
    page = _page(browser, site, "en-US")
    rid = site.record_id
    page.fill("textarea[name=note]", "停机已核实，产量已补记。")
    page.locator("#resolve details summary").click()
    page.check(f"input[name=record][value='{rid}']")
    page.check("input[name=correction][value=record]")
    page.fill(f"input[name=output_{rid}]", "-5")
    page.fill("input[name=reason]", "MES 漏报")
    page.click("text=Uphold: the worker is right")
    expect(page.locator(".flash.error")).to_contain_text("output: cannot be below 0")
    expect(page.locator("textarea[name=note]")).to_have_value("停机已核实，产量已补记。")
    page.screenshot(path=ARTIFACTS / "en-appeal-refused.png", full_page=True)
    page.fill(f"input[name=output_{rid}]", "5000")
    page.click("text=Uphold: the worker is right")
    expect(page.locator(".flash.ok")).to_contain_text("score corrected (+30 points)")
    page.goto(site.url("/admin/appeals?status=upheld"))
    expect(page.locator("#appeals")).to_contain_text("A002")
    page.goto(site.url(f"/admin/appeals/{site.plant.appeal_id}"))
    expect(page.locator("#effect")).to_contain_text("+30")
    expect(page.locator("#notice-seen")).to_contain_text("Not seen yet")
    page.screenshot(path=ARTIFACTS / "en-appeal-resolved.png", full_page=True)
    page.context.close()
