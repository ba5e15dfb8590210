"""Every admin page passes axe-core in real headless Chromium (Debian's), in both languages.

The pages are not listed by hand: every GET route of the admin blueprint in the app's
url_map is visited, its ids filled from a seeded plant (a month of production, a pending
claim, an open appeal, a closed period, a reward and a redemption, a display, a training
video), so tables have rows, charts draw and forms show. Routes that answer something other
than a whole HTML page (photos, downloads, fragments a page pulls in) are skipped by their
answer's type; a route with an id this file cannot fill fails the test, so a new page
cannot slip past it.

axe-core runs with the WCAG 2.0, 2.1 and 2.2 A and AA rules and the best-practice ones
(landmarks, region, empty table headers, heading order); each violation is printed with its
rule, the elements and axe's help text. The per-page counts go to test-artifacts/admin-axe/.

A keyboard test beside it: from page load, the first Tab reaches the skip link, and its
target's first field is at most three Tabs away.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from server import create_app
from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.models import Language, ProductionRecord, TrainingVideo
from server.scoring import period_span
from server.services.devices.displays import add_display
from server.services.people.workers import set_active
from server.services.periods.closing import close_period
from server.services.points.ledger import hr_line
from server.services.rewards.catalogue import RewardSpec, add_reward
from server.services.setup import initialise
from support.browser import logged_in
from support.clips import make_clip
from support.factory import PASSWORD, Plant, add_training_video, build_plant, make_event
from support.live_server import LiveServer

ARTIFACTS = Path("test-artifacts/admin-axe")
LANGUAGES = {"en": "en-US", "zh_CN": "zh-CN"}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                         "wcag22a", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],
}
REWARD = "mug"


@dataclass
class Site:
    server: LiveServer
    plant: Plant
    ids: dict[str, Any]

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    server = LiveServer(tmp_path_factory.mktemp("axe") / "data")
    config = Config.from_env(data_dir=server.data_dir, timezone="Asia/Shanghai")
    engine = make_engine(config.database_url)
    today = datetime.now(config.zone).date()
    clip = make_clip(tmp_path_factory.mktemp("clip") / "safety.mp4", 2.0)
    with make_sessionmaker(engine)() as session:
        initialise(engine, session, PASSWORD)
        plant = build_plant(session, today, with_admin=False)
        month = period_span("month", plant.last_month).label
        close_period(session, "W1", "month", month, "test", config.zone, today, force=True,
                     reason="test: a closed month to show")
        add_reward(session, REWARD, RewardSpec(name="保温杯", name_en="Mug", cost=50,
                                               stock=10), "test")
        add_display(session, "大屏", "W1", Language.ZH_CN, actor="test")
        hr_line(session, "A001", 500, "年度积分结转 carried over", None, "test", today)
        hr_line(session, "B002", 80, "年度积分结转 carried over", None, "test", today)
        set_active(session, "B002", False, "test")  # a leaver with a balance to settle
        session.commit()
        add_training_video(session, config, clip)
        video = session.scalars(select(TrainingVideo.id)).first()
        record = session.scalars(select(ProductionRecord.id)).first()
    engine.dispose()
    server.start()
    try:
        # A redemption waiting in HR's queue, sent by kiosk K1 as a kiosk sends it.
        event = make_event("reward_redeem", "A001", {"reward": REWARD})
        answer = httpx.post(f"{server.url}/api/v1/events", json={"events": [event]},
                            headers={"Authorization": f"Bearer {plant.kiosk_token}"},
                            verify=server.verify, timeout=10)
        assert answer.json()["results"][0]["status"] == "accepted", answer.text
        ids = {"appeal_id": plant.appeal_id, "entry_id": plant.claim_id, "code": "A001",
               "record_id": record, "workshop": "W1", "period": month, "reward": REWARD,
               "video_id": video, "question": 0, "answer": 0}
        yield Site(server, plant, ids)
    finally:
        server.stop()


def admin_paths(site: Site, folder: Path) -> tuple[list[str], list[str]]:
    """The admin blueprint's GET routes with their ids filled, and the routes whose ids
    nothing here knows how to fill."""
    app = create_app(Config.from_env(data_dir=folder))
    paths, unfilled = [], []
    try:
        with app.test_request_context():
            from flask import url_for

            for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
                if not rule.endpoint.startswith("admin.") or "GET" not in (rule.methods or ()):
                    continue
                if rule.endpoint in ("admin.login",):
                    continue  # checked logged out, below
                missing = [a for a in rule.arguments if site.ids.get(a) is None]
                if missing:
                    unfilled.append(f"{rule.rule} ({', '.join(missing)})")
                    continue
                paths.append(url_for(rule.endpoint, **{a: site.ids[a] for a in rule.arguments}))
    finally:
        app.extensions["shopfloor.engine"].dispose()
    return paths, unfilled


def goto(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    if page.locator(".chart").count():
        # a function, not an expression: the admin's CSP allows no eval
        page.wait_for_function("() => [...document.querySelectorAll('.chart')]"
                               ".every(c => c.querySelector('canvas, svg'))")


def _submit(page: Page, button: str) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(button).first.click()
    page.wait_for_load_state("load")


def _scheme_error(page: Page, site: Site, folder: Path) -> None:
    goto(page, site.url("/admin/schemes/edit"))
    page.fill("textarea[name=text]", "name: x\nperiod: fortnight\n")
    _submit(page, "main form button.primary")
    expect(page.locator("#scheme-error")).to_be_visible()
    expect(page.locator("textarea[name=text]")).to_have_attribute("aria-invalid", "true")


def _scheme_preview(page: Page, site: Site, folder: Path) -> None:
    goto(page, site.url("/admin/schemes/edit"))
    _submit(page, "main form button.primary")


def _workers_import_preview(page: Page, site: Site, folder: Path) -> None:
    data = folder / "workers.csv"
    data.write_text("code,name,workshop,role,language\nC001,孙九,W1,worker,zh_CN\n"
                    "C002,吴十,W1,boss,zh_CN\nC003,郑十一,X9,worker,en\n", encoding="utf-8")
    goto(page, site.url("/admin/workers/import"))
    page.set_input_files("input[name=file]", str(data))
    _submit(page, "main form button.primary")
    expect(page.locator("#import-errors")).to_be_visible()


def _claims_confirm(page: Page, site: Site, folder: Path) -> None:
    goto(page, site.url("/admin/claims"))
    page.locator("input[name=claims]").first.check()
    _submit(page, "button[value=approve]")
    expect(page.locator("#confirm-count")).to_be_visible()


def _redemption_confirm(page: Page, site: Site, folder: Path) -> None:
    goto(page, site.url("/admin/redemptions"))
    _submit(page, "#redemptions button.primary")


def _badge_qr(page: Page, site: Site, folder: Path) -> None:
    goto(page, site.url("/admin/badges"))
    page.locator("form[action$='/badges/qr'] input[name=worker]").fill("A003")
    _submit(page, "form[action$='/badges/qr'] button")


def _badge_sheet(page: Page, site: Site, folder: Path) -> None:
    goto(page, site.url("/admin/badges?workshop=W1"))
    page.locator("input[name=workers][value=A003]").check()
    _submit(page, "form[action$='/badges/sheet'] button.primary")


def _kiosk_code(page: Page, site: Site, folder: Path) -> None:
    goto(page, site.url("/admin/kiosks"))
    _submit(page, "form[action$='/K1/code'] button")


def _settle_confirm(page: Page, site: Site, folder: Path) -> None:
    goto(page, site.url("/admin/workers/B002/points"))
    _submit(page, "form[action$='/points/settle'] button")


def _not_found(page: Page, site: Site, folder: Path) -> None:
    goto(page, site.url("/admin/workers/NOBODY"))  # the admin's own "not found" page
    expect(page.locator("main h1")).to_be_visible()


# Pages that only an action shows: previews, confirmations, codes, errors.
AFTER_AN_ACTION = {
    "scheme editor, error": _scheme_error, "scheme editor, preview": _scheme_preview,
    "workers import, preview": _workers_import_preview, "claims, confirm": _claims_confirm,
    "redemption, confirm": _redemption_confirm, "badges, QR badge": _badge_qr,
    "badges, sheet confirm": _badge_sheet, "kiosks, enrolment code": _kiosk_code,
    "points, settle confirm": _settle_confirm, "404": _not_found,
}


def violations(page: Page) -> list[dict[str, Any]]:
    # Folded parts are checked too: open every <details>.
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    results = Axe().run(page, options=AXE_OPTIONS)
    return list(results.response["violations"])


def describe(path: str, found: list[dict[str, Any]]) -> str:
    lines = []
    for violation in found:
        for node in violation["nodes"]:
            lines.append(f"{path}: {violation['id']} {node['target']} — {violation['help']}")
    return "\n".join(lines)


@pytest.fixture(params=list(LANGUAGES))
def context(request: pytest.FixtureRequest, browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale=LANGUAGES[request.param], ignore_https_errors=True,
                              viewport={"width": 1366, "height": 900})
    ctx.set_extra_http_headers({"Accept-Language": LANGUAGES[request.param]})
    yield ctx
    ctx.close()


def test_every_admin_page_passes_axe(context: BrowserContext, site: Site,
                                     tmp_path: Path) -> None:
    page, problems = logged_in(context, site.server.url, PASSWORD)
    page.set_default_timeout(10_000)
    lang = "zh" if page.evaluate("document.documentElement.lang") == "zh-CN" else "en"
    paths, unfilled = admin_paths(site, tmp_path / "routes")
    assert unfilled == [], "give these ids a value in the site fixture"
    counts: dict[str, int] = {}
    report: list[str] = []
    for path in paths:
        answer = page.request.get(site.url(path))
        if (not answer.ok or "text/html" not in answer.headers.get("content-type", "")
                or "<html" not in answer.text()[:200].lower()):
            continue  # a picture, a download, a fragment some page pulls in
        goto(page, site.url(path))
        found = violations(page)
        counts[path] = sum(len(v["nodes"]) for v in found)
        if found:
            report.append(describe(path, found))
    for name, reach in AFTER_AN_ACTION.items():
        reach(page, site, tmp_path)
        found = violations(page)
        counts[name] = sum(len(v["nodes"]) for v in found)
        if found:
            report.append(describe(name, found))
    # The login page, logged out, and its answer to a wrong password.
    page.context.clear_cookies()
    page.goto(site.url("/admin/login"))
    found = violations(page)
    counts["/admin/login"] = sum(len(v["nodes"]) for v in found)
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not the password")
    page.click("main button.primary")
    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("input[name=password]")).to_have_attribute(
        "aria-describedby", "login-error")
    found += violations(page)
    counts["/admin/login (wrong password)"] = sum(len(v["nodes"]) for v in found)
    if found:
        report.append(describe("/admin/login", found))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{lang}-counts.json").write_text(json.dumps(counts, indent=1))
    (ARTIFACTS / f"{lang}-violations.txt").write_text("\n".join(report))
    print("\n".join(report))
    assert len(counts) > 25, counts
    assert report == [], "\n" + "\n".join(report)
    # the 404 and the wrong password answer as they should; nothing else may complain
    expected = ("/admin/workers/NOBODY: ", "/admin/login: ")
    assert [p for p in problems if not p.startswith(tuple(site.url(e) for e in expected))] == []


SHOTS = Path("test-artifacts/admin-axe")

# The contrast ratio of two CSS rgb()/rgba() colours (WCAG 2 relative luminance).
CONTRAST_JS = """([a, b]) => {
  const lum = c => { const [r, g, bl] = c.match(/[\\d.]+/g).slice(0, 3).map(v => {
    v = v / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl; };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}"""
# The colour behind an element's outline: at the middle of its bottom edge, just below
# the element (where the outline is drawn), the first opaque background of what is there.
BEHIND_JS = """el => {
  const s = getComputedStyle(el), r = el.getBoundingClientRect();
  const y = r.bottom + parseFloat(s.outlineOffset) + parseFloat(s.outlineWidth) / 2;
  const under = document.elementsFromPoint(r.left + r.width / 2, y)
    .find(n => n !== el && !el.contains(n));
  for (let n = under; n; n = n.parentElement) {
    const c = getComputedStyle(n).backgroundColor;
    if (c !== 'transparent' && !c.startsWith('rgba(0, 0, 0, 0')) return c;
  }
  return 'rgb(255, 255, 255)';
}"""


def focus_ring(page: Page) -> tuple[float, float, float]:
    """The focused element's outline width and its contrast against what lies behind it
    and against white."""
    focused = page.locator(":focus")
    style = focused.evaluate("el => { const s = getComputedStyle(el); "
                             "return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }")
    assert style[0] != "none", focused.evaluate("el => el.outerHTML")
    behind = focused.evaluate(BEHIND_JS)
    return (float(style[1].removesuffix("px")),
            page.evaluate(CONTRAST_JS, [style[2], behind]),
            page.evaluate(CONTRAST_JS, [style[2], "rgb(255, 255, 255)"]))


def test_the_skip_link_comes_first_and_leads_to_the_form(context: BrowserContext,
                                                          site: Site) -> None:
    page, problems = logged_in(context, site.server.url, PASSWORD)
    page.goto(site.url("/admin/workers"))
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_attribute("href", "#main")
    expect(skip).to_be_visible()  # shown when focused
    width, behind, _white = focus_ring(page)
    assert width >= 3 and behind >= 3, (width, behind)
    SHOTS.mkdir(parents=True, exist_ok=True)
    lang = "zh" if page.evaluate("document.documentElement.lang") == "zh-CN" else "en"
    page.screenshot(path=SHOTS / f"{lang}-skip-link.png")
    page.keyboard.press("Enter")
    for _ in range(3):
        page.keyboard.press("Tab")
        inside = page.evaluate("document.activeElement.closest('main') !== null && "
                               "['INPUT','SELECT','TEXTAREA'].includes("
                               "document.activeElement.tagName)")
        if inside:
            break
    assert inside, page.evaluate("document.activeElement.outerHTML")
    width, behind, white = focus_ring(page)
    assert width >= 3 and behind >= 3 and white >= 3, (width, behind, white)
    page.screenshot(path=SHOTS / f"{lang}-first-field.png")
    # a link in main, a button, and the language switch in the dark top bar
    for target in ("main a", "main button", ".lang-switch button", ".main-nav a"):
        page.locator(target).first.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focused by keyboard, so :focus-visible applies
        width, behind, _white = focus_ring(page)
        assert width >= 3 and behind >= 3, (target, width, behind)
    page.screenshot(path=SHOTS / f"{lang}-nav-focus.png")
    assert problems == []


def test_charts_describe_themselves(context: BrowserContext, site: Site) -> None:
    """Each chart is an image named by its title, described by text beside it (lowest,
    highest, latest), with ECharts' aria description and decal patterns on."""
    page, problems = logged_in(context, site.server.url, PASSWORD)
    page.set_default_timeout(10_000)
    for path in ("/admin/", f"/admin/workers/{site.ids['code']}"):
        goto(page, site.url(path))
        charts = page.locator(".chart")
        assert charts.count() >= 2, path
        for index in range(charts.count()):
            chart = charts.nth(index)
            text = page.locator("#" + str(chart.get_attribute("aria-describedby")))
            assert chart.get_attribute("role") == "img"
            assert len(text.inner_text()) > 20, text.inner_text()
            # the title, not ECharts' list of raw values (nulls read "NaN")
            data = page.locator("#" + str(chart.get_attribute("data-chart")))
            option = json.loads(str(data.text_content()))
            assert chart.get_attribute("aria-label") == option["title"]["text"]
            assert option["aria"] == {"enabled": True, "decal": {"show": True}}
    lang = "zh" if page.evaluate("document.documentElement.lang") == "zh-CN" else "en"
    goto(page, site.url("/admin/"))
    page.screenshot(path=SHOTS / f"{lang}-dashboard.png", full_page=True)
    assert problems == []
