"""The reward catalogue and the fulfilment queue in real headless Chromium (Debian's)
against a real server process, in English and in Chinese.

In each language HR adds a reward with a long name and a big cost through the catalogue
form; kiosk K1 then redeems it for A001 (and a second one) over the API with its token;
HR hands the first over and cancels the second, each after a confirmation page, and the
cancelled points come back to A001's balance. Screenshots go to test-artifacts/admin-rewards/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.services.points.ledger import hr_line
from server.services.setup import initialise
from support.browser import logged_in, page_language, screenshot
from support.factory import PASSWORD, Plant, build_plant, make_event
from support.live_server import LiveServer

ARTIFACTS = Path("test-artifacts/admin-rewards")
LONG_NAME = "年度优秀员工纪念保温杯（不锈钢，500 毫升，刻名字）"
COST = 12_500


class Site:
    def __init__(self, server: LiveServer, plant: Plant) -> None:
        self.server, self.plant = server, plant

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"

    def redeem(self, reward: str) -> None:
        event = make_event("reward_redeem", "A001", {"reward": reward})
        answer = httpx.post(self.url("/api/v1/events"), json={"events": [event]},
                            headers={"Authorization": f"Bearer {self.plant.kiosk_token}"},
                            verify=self.server.verify, timeout=10)
        assert answer.json()["results"][0]["status"] == "accepted", answer.text


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    server = LiveServer(tmp_path_factory.mktemp("rewards") / "data")
    config = Config.from_env(data_dir=server.data_dir, timezone="Asia/Shanghai")
    engine = make_engine(config.database_url)
    today = datetime.now(config.zone).date()
    with make_sessionmaker(engine)() as session:
        initialise(engine, session, PASSWORD)
        plant = build_plant(session, today, with_admin=False)
        for _ in range(4):  # HR lines are at most 10,000 each
            hr_line(session, "A001", 10_000, "年度积分结转 carried over", None, "test", today)
        session.commit()
    engine.dispose()
    server.start()
    try:
        yield Site(server, plant)
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


def _balance(site: Site) -> float:
    answer = httpx.get(site.url("/api/v1/workers/A001/points"), verify=site.server.verify,
                       headers={"Authorization": f"Bearer {site.plant.kiosk_token}"}, timeout=10)
    return float(answer.json()["balance"])


def test_the_catalogue_and_the_fulfilment_queue(page: Page, site: Site) -> None:
    zh = page_language(page) == "zh"
    code, other = ("CUP_ZH", "TOWEL_ZH") if zh else ("CUP_EN", "TOWEL_EN")
    page.goto(site.url("/admin/rewards"))
    expect(page.locator("h1")).to_have_text("奖品目录" if zh else "Reward catalogue")
    for reward, name, cost in ((code, LONG_NAME, COST), (other, "毛巾", 50)):
        form = page.locator("form[action$='/admin/rewards']")
        form.locator("input[name=code]").fill(reward)
        form.locator("input[name=name]").fill(name)
        form.locator("input[name=name_en]").fill("Thermos cup engraved with the name")
        form.locator("input[name=cost]").fill(str(cost))
        form.locator("input[name=stock]").fill("3")
        form.locator("button.primary").click()
        expect(page.locator(".flash.ok")).to_contain_text(
            f"奖品 {reward} 已添加" if zh else f"Reward {reward} added")
    expect(page.locator("#rewards")).to_contain_text(LONG_NAME)
    expect(page.locator("#rewards")).to_contain_text(re.compile(r"12,?500"))
    _shot(page, "catalogue")

    before = _balance(site)
    site.redeem(code)
    site.redeem(other)
    assert _balance(site) == before - COST - 50

    page.goto(site.url("/admin/redemptions"))
    expect(page.locator("h1")).to_have_text("兑换发放队列" if zh else "Fulfilment queue")
    first = page.locator("#redemptions tr", has_text=code)
    expect(first).to_contain_text("待发放" if zh else "waiting for hand-over")
    _shot(page, "queue")
    first.locator("button.primary").click()  # hand over: asks first
    expect(page.locator("h1")).to_have_text("请确认" if zh else "Please confirm")
    _shot(page, "confirm-handover")
    page.locator("main form button.primary").click()
    expect(page.locator(".flash.ok")).to_contain_text("已发放" if zh else "Handed over")
    page.locator("#redemptions tr", has_text=other).locator("button.danger").click()
    expect(page.locator("h1")).to_have_text("请确认" if zh else "Please confirm")
    page.locator("main form button.danger").click()
    expect(page.locator(".flash.ok")).to_contain_text(
        "已退还 50 积分" if zh else "50 points refunded")
    assert _balance(site) == before - COST
    page.goto(site.url("/admin/redemptions?state=closed"))
    expect(page.locator("#redemptions tr", has_text=code)).to_contain_text(
        "已发放" if zh else "handed over")
    expect(page.locator("#redemptions tr", has_text=other)).to_contain_text(
        "已取消" if zh else "cancelled")
    _shot(page, "closed")
