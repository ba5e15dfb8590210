"""The wall display in real headless Chromium against a real server process."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.models import Language
from server.services.devices.displays import add_display, revoke_display
from server.services.devices.keys import load_keys
from server.services.devices.kiosks import add_kiosk, enroll
from server.services.setup import initialise
from support.factory import SUPERVISOR_PIN, small_factory
from support.live_server import LiveServer
from support.seals import seal_one

ARTIFACTS = Path("test-artifacts/wall")


class Wall:
    """The live server, a kiosk token for the API, and display links by name."""

    def __init__(self, server: LiveServer, token: str, links: dict[str, str]) -> None:
        self.server = server
        self.token = token
        self.links = links

    def url(self, name: str) -> str:
        # TV browsers reach the wall over the plain-HTTP port (server/serving/plain_http.py).
        return f"{self.server.wall_url}{self.links[name]}"

    def api(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        return httpx.request(method, f"{self.server.url}/api/v1{path}",
                             headers={"Authorization": f"Bearer {self.token}"},
                             timeout=10, verify=self.server.verify,
                             **kwargs)  # type: ignore[arg-type]

    def sealed_remark(self, worker: str, category: str = "fault_fix") -> dict[str, object]:
        """A remark by S01 as the kiosk makes it: sealed with the supervisor's PIN."""
        event = {"uuid": str(uuid.uuid4()), "kind": "remark", "worker": worker,
                 "occurred_at": datetime.now(UTC).isoformat(),
                 "payload": {"category": category, "given_by": "S01"}}
        return seal_one(load_keys(self.server.data_dir), SUPERVISOR_PIN, event)

    def remark(self, worker: str, category: str = "fault_fix",
               event: dict[str, object] | None = None) -> None:
        event = event or self.sealed_remark(worker, category)
        answer = self.api("POST", "/events", json={"events": [event]})
        assert answer.status_code == 200, answer.text
        assert answer.json()["results"][0]["status"] == "accepted", answer.text


@pytest.fixture(scope="module")
def wall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wall]:
    server = LiveServer(tmp_path_factory.mktemp("wall") / "data")
    config = Config.from_env(data_dir=server.data_dir, timezone="Asia/Shanghai")
    engine = make_engine(config.database_url)
    with make_sessionmaker(engine)() as session:
        initialise(engine, session, "admin password 1")
        small_factory(session, datetime.now(config.zone).date())
        code = add_kiosk(session, "K1", ["W1"], actor="test").code
        _, token = enroll(session, code)
        links = {
            "zh": add_display(session, "TV-zh", "W1", Language.ZH_CN, actor="test").path(),
            "en": add_display(session, "TV-en", None, Language.EN, actor="test").path(),
            "gone": add_display(session, "TV-gone", "W1", Language.ZH_CN, actor="test").path(),
        }
        session.commit()
    engine.dispose()
    server.start()
    yield Wall(server, token, links)
    server.stop()


def _top_codes(page: Page) -> list[str]:
    return page.locator("#top li").evaluate_all("nodes => nodes.map(n => n.dataset.code)")


def _open(browser: Browser, url: str, width: int = 1920, height: int = 1080) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    expect(page.locator("#top li").first).to_be_visible(timeout=10_000)
    return page


def test_the_wall_shows_the_same_top_five_as_the_api(browser: Browser, wall: Wall) -> None:
    page = _open(browser, wall.url("zh"))
    board = wall.api("GET", "/leaderboard", params={"workshop": "W1", "period": "week"}).json()
    api_top = [row["code"] for row in board["standings"] if row["total"] > 0][:5]
    assert _top_codes(page) == api_top
    expect(page.locator("#workshop-name")).to_have_text("机加工车间")
    page.close()


def test_a_remark_reaches_the_screen_within_two_seconds(browser: Browser, wall: Wall) -> None:
    page = _open(browser, wall.url("zh"))
    assert "A02" not in _top_codes(page)
    sealed = wall.sealed_remark("A02")  # the kiosk seals before it sends
    started = time.monotonic()
    wall.remark("A02", event=sealed)
    posted = time.monotonic() - started
    expect(page.locator('#top li[data-code="A02"]')).to_be_visible(timeout=2_000)
    elapsed = time.monotonic() - started
    print(f"remark to screen: {elapsed * 1000:.0f} ms (the server took it in "
          f"{posted * 1000:.0f} ms)")
    assert elapsed < 2.0
    page.close()


def test_the_page_recovers_from_a_server_restart(browser: Browser, wall: Wall) -> None:
    page = _open(browser, wall.url("zh"))
    wall.server.stop()
    expect(page.locator("#offline")).to_be_visible(timeout=5_000)
    wall.server.start()
    expect(page.locator("#offline")).to_be_hidden(timeout=10_000)
    wall.remark("A01")
    wall.remark("A01", category="safety_catch")
    expect(page.locator('#top li[data-code="A01"]')).to_be_visible(timeout=3_000)
    expect(page.locator("#updated")).to_contain_text("更新于")
    page.close()


def test_a_revoked_link_is_refused_even_on_an_open_page(browser: Browser, wall: Wall) -> None:
    page = _open(browser, wall.url("gone"))
    config = Config.from_env(data_dir=wall.server.data_dir)
    engine = make_engine(config.database_url)
    with make_sessionmaker(engine)() as session:
        revoke_display(session, "TV-gone", actor="test")
        session.commit()
    engine.dispose()
    expect(page.locator("h1")).to_have_text("此显示屏未登记", timeout=5_000)
    page.close()


@pytest.mark.parametrize(("size", "width", "height"),
                         [("1080p", 1920, 1080), ("2160p", 3840, 2160)])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_screenshots_are_readable_at_both_sizes(
    browser: Browser, wall: Wall, language: str, size: str, width: int, height: int
) -> None:
    page = _open(browser, wall.url(language), width, height)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"wall-{language}-{size}.png"))
    smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('#wall *')]
        .filter(n => n.childNodes.length && [...n.childNodes].some(c => c.nodeType === 3
                 && c.textContent.trim()) && n.offsetParent !== null)
        .map(n => parseFloat(getComputedStyle(n).fontSize)))""")
    assert smallest >= 48 * height / 1080, f"text of {smallest}px is too small to read"
    overflowing = page.evaluate("""() => [...document.querySelectorAll('#wall *')]
        .filter(n => n.scrollWidth > n.clientWidth + 1 && !n.classList.contains('name'))
        .map(n => n.id || n.className)""")
    assert overflowing == []
    page.close()
