"""The admin's worker pages with Cantonese in real headless Chromium (Debian's), in both UI
languages: the language list names each language in its own script (中文, English, 粵語)
with its `lang`, HR switches the kiosks' script for Cantonese through the form, and axe-core
finds nothing on these pages. Screenshots go to /tmp/shots18/language/ (SHOTS)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.models import Language, Worker
from server.services.people.languages import yue_script
from server.services.setup import initialise
from support.browser import logged_in
from support.factory import PASSWORD, build_plant
from support.live_server import LiveServer

SHOTS = Path(os.environ.get("SHOPFLOOR_LANGUAGE_SHOTS", "/tmp/shots18/language"))
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                         "wcag22a", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],
}


class Site:
    def __init__(self, server: LiveServer, config: Config, code: str) -> None:
        self.server, self.config, self.code = server, config, code

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    server = LiveServer(tmp_path_factory.mktemp("languages") / "data")
    config = Config.from_env(data_dir=server.data_dir, timezone="Asia/Shanghai")
    engine = make_engine(config.database_url)
    with make_sessionmaker(engine)() as session:
        initialise(engine, session, PASSWORD)
        build_plant(session, datetime.now(config.zone).date(), with_admin=False)
        worker = session.scalars(select(Worker).order_by(Worker.code)).first()
        assert worker is not None
        worker.language = Language.YUE
        code = worker.code
        session.commit()
    engine.dispose()
    server.start()
    try:
        yield Site(server, config, code)
    finally:
        server.stop()


def current_script(site: Site) -> str:
    engine = make_engine(site.config.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return yue_script(session)
    finally:
        engine.dispose()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_worker_pages_name_cantonese_and_pass_axe(browser: Browser, site: Site,
                                                      locale: str) -> None:
    context = browser.new_context(locale=locale, ignore_https_errors=True,
                                  viewport={"width": 1366, "height": 900})
    context.set_extra_http_headers({"Accept-Language": locale})
    try:
        page, problems = logged_in(context, site.server.url, PASSWORD)
        lang = "zh" if locale == "zh-CN" else "en"
        found = {}
        page.goto(site.url(f"/admin/workers/{site.code}/edit"))
        select = page.locator("select[name=language]")
        assert select.locator("option").all_inner_texts() == ["中文", "English", "粵語"]
        assert select.input_value() == "yue"
        expect(select.locator("option[value=yue]")).to_have_attribute("lang", "yue-Hant")
        found["edit"] = Axe().run(page, options=AXE_OPTIONS).response["violations"]
        page.goto(site.url(f"/admin/workers/{site.code}"))
        expect(page.locator('span[lang="yue-Hant"]').first).to_have_text("粵語")
        found["worker"] = Axe().run(page, options=AXE_OPTIONS).response["violations"]
        page.goto(site.url(f"/admin/workers?q={site.code}"))
        expect(page.locator('td[lang="yue-Hant"]')).to_have_text("粵語")
        found["workers"] = Axe().run(page, options=AXE_OPTIONS).response["violations"]
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"admin-workers-{lang}.png", full_page=True)

        wanted = "simplified" if current_script(site) == "traditional" else "traditional"
        page.select_option("select[name=yue_script]", wanted)
        page.locator("select[name=yue_script] ~ button, form:has(select[name=yue_script]) "
                     "button").first.click()
        page.wait_for_load_state("load")
        assert current_script(site) == wanted
        expect(page.locator("select[name=yue_script]")).to_have_value(wanted)
        found["saved"] = Axe().run(page, options=AXE_OPTIONS).response["violations"]
        report = [f"{where}: {v['id']} {node['target']} — {v['help']}"
                  for where, violations in found.items() for v in violations
                  for node in v["nodes"]]
        assert report == []
        assert problems == []
    finally:
        context.close()
