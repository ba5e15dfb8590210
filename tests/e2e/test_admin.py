"""HR's admin pages in real headless Chromium (Debian's) against a real server process.

One server and one seeded plant for the module; the tests run in file order, each a
complete task HR does. Screenshots of every page in both languages go to
test-artifacts/admin/.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, BrowserContext, Page, expect

from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.services.setup import initialise
from support.factory import PASSWORD, Plant, build_plant, expected_scores
from support.live_server import LiveServer

ARTIFACTS = Path("test-artifacts/admin")


class Admin:
    def __init__(self, server: LiveServer, plant: Plant, db_path: Path) -> None:
        self.server, self.plant, self.db_path = server, plant, db_path

    def url(self, path: str) -> str:
        return f"{self.server.url}{path}"


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    server = LiveServer(tmp_path_factory.mktemp("admin") / "data")
    config = Config.from_env(data_dir=server.data_dir, timezone="Asia/Shanghai")
    engine = make_engine(config.database_url)
    with make_sessionmaker(engine)() as session:
        initialise(engine, session, PASSWORD)
        plant = build_plant(session, datetime.now(config.zone).date(), with_admin=False)
        session.commit()
    engine.dispose()
    server.start()
    try:
        yield Admin(server, plant, server.data_dir / "shopfloor.db")
    finally:
        server.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    # The server's own self-signed certificate: HR's browser is told to accept it once.
    ctx = browser.new_context(locale="en-US", accept_downloads=True, ignore_https_errors=True,
                              viewport={"width": 1366, "height": 900})
    yield ctx
    ctx.close()


def log_in(page: Page, admin: Admin, username: str = "admin") -> None:
    page.goto(admin.url("/admin/login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    expect(page.locator("h1")).to_have_text("Dashboard")


@pytest.fixture
def page(context: BrowserContext, admin: Admin) -> Page:
    page = context.new_page()
    log_in(page, admin)
    return page


def flash(page: Page) -> str:
    return page.locator(".flash").first.inner_text()


def test_log_in(context: BrowserContext, admin: Admin) -> None:
    page = context.new_page()
    page.goto(admin.url("/admin/"))
    expect(page).to_have_url(admin.url("/admin/login?next=/admin/"))
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "not the password")
    page.click("main button.primary")
    expect(page.locator(".flash.error")).to_have_text("Wrong user name or password.")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator(".complete-grid")).to_contain_text("W1")


def test_import_workers_names_the_bad_line(page: Page, admin: Admin, tmp_path: Path) -> None:
    bad = tmp_path / "workers.csv"
    bad.write_text("code,name,workshop,role,language\nC001,孙九,W1,worker,zh_CN\n"
                   "C002,吴十,W1,boss,zh_CN\nC003,郑十一,W2,worker,en\n", encoding="utf-8")
    page.goto(admin.url("/admin/workers/import"))
    page.set_input_files("input[name=file]", str(bad))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-errors")).to_contain_text("Line 3")
    expect(page.locator("#import-errors")).to_contain_text("role")
    expect(page.locator(".flash.error")).to_contain_text("nothing has been imported")
    page.goto(admin.url("/admin/workers?q=C00"))
    expect(page.locator(".empty")).to_be_visible()

    good = tmp_path / "good.csv"
    good.write_text(bad.read_text(encoding="utf-8").replace("boss", "worker"),
                    encoding="utf-8")
    page.goto(admin.url("/admin/workers/import"))
    page.set_input_files("input[name=file]", str(good))
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Import workers").click()
    expect(page.locator(".flash.ok")).to_contain_text("3 new")
    page.goto(admin.url("/admin/workers?q=C00"))
    expect(page.locator("tbody tr")).to_have_count(3)


def test_new_workshops_are_ticked_before_they_are_created(
        page: Page, admin: Admin, tmp_path: Path) -> None:
    """The preview's boxes in a real browser: untouched, nothing new is made and the rows
    are named; "select all" ticks every one, and the file imports whole."""
    rows = "".join(f"D00{n},周{n},X{n},员工,中文\n" for n in range(1, 5))
    data = tmp_path / "人员.csv"
    data.write_bytes(("工号,姓名,车间,角色,语言\n" + rows).encode("gb18030"))
    page.goto(admin.url("/admin/workers/import"))
    page.set_input_files("input[name=file]", str(data))
    page.get_by_role("button", name="Preview").click()
    boxes = page.locator("#import-new input[name=create]")
    expect(boxes).to_have_count(4)
    page.get_by_role("button", name="Import workers").click()
    expect(page.locator("#import-errors li")).to_have_count(4)
    expect(page.locator("#import-errors")).to_contain_text(
        "there is no workshop X1, and creating it was not confirmed")
    page.locator("#import-new input[data-select-all]").check()
    for index in range(4):
        expect(boxes.nth(index)).to_be_checked()
    page.get_by_role("button", name="Import the good rows, skip the bad ones").click()
    expect(page.locator(".flash.ok").first).to_contain_text("4 new")
    expect(page.locator(".flash.ok").nth(1)).to_contain_text("X1, X2, X3, X4")


def test_a_badge_sheet_names_the_badges_it_replaces(page: Page, admin: Admin) -> None:
    page.goto(admin.url("/admin/badges"))
    page.locator("form[action$='/badges/qr'] input[name=worker]").fill("A003")
    page.get_by_role("button", name="Issue a QR badge").last.click()
    page.goto(admin.url("/admin/badges?workshop=W1"))
    page.locator("input[name=workers][value=A003]").check()
    page.get_by_role("button", name="Next: check the badges it replaces").click()
    expect(page.locator("#sheet-replaced")).to_contain_text("A003")
    expect(page.locator("#sheet-replaced")).to_contain_text("1 QR badges of 1 workers")
    with page.expect_download() as download:
        page.locator("input[name=replace_ok]").check()
        page.get_by_role("button", name="Revoke the old badges and make the PDF").click()
    assert download.value.suggested_filename == "badges.pdf"
    page.goto(admin.url("/admin/badges?worker=A003"))
    expect(page.locator(".flash.ok")).to_contain_text("1 old QR badges were revoked")


def test_assign_a_badge(page: Page, admin: Admin) -> None:
    page.goto(admin.url("/admin/badges"))
    card = page.locator("form[action$='/badges/card']")
    card.locator("input[name=worker]").fill("A002")
    card.locator("input[name=uid]").fill("04:11:22:33:44")
    card.locator("button").click()
    expect(page.locator(".flash.ok")).to_have_text("The card was given to A002.")
    expect(page.locator("table").last).to_contain_text("A002")
    # the card tapped at kiosk K1 that nobody has yet
    page.goto(admin.url("/admin/badges?kiosk=K1"))
    taps = page.locator("#taps")
    taps.locator("input[name=worker]").fill("A003")
    taps.locator("button").click()
    expect(page.locator(".flash.ok")).to_contain_text("given to A003")


def test_save_a_scheme_after_previewing_it(page: Page, admin: Admin) -> None:
    from support.factory import PLANT_SCHEME as SCHEME

    today = admin.plant.today
    start = today.replace(year=today.year + 1, day=1)
    text = SCHEME.format(start=start.isoformat()).replace("月度方案", "来年方案").replace(
        "points: 60", "points: 70")
    page.goto(admin.url("/admin/schemes/edit"))
    page.fill("textarea[name=text]", text.replace("threshold", "weighted"))
    page.click("text=Check and preview")
    expect(page.locator("#scheme-error")).to_contain_text("weight: required in weighted mode")
    expect(page.locator("text=Save as a new version")).to_have_count(0)
    page.fill("textarea[name=text]", text)
    page.click("text=Check and preview")
    preview = page.locator("#preview-W1")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("A001")
    page.click("text=Save as a new version")
    expect(page.locator(".flash.ok")).to_contain_text("saved as version 1")
    expect(page.locator("main")).to_contain_text("来年方案")


def test_approve_a_claim_and_see_it_on_the_scorecard(page: Page, admin: Admin) -> None:
    page.goto(admin.url("/admin/workers/A001"))
    expect(page.locator("#entries-total")).to_have_text("0")
    page.goto(admin.url("/admin/claims"))
    row = page.locator("#claims tbody tr", has_text="A001")
    row.locator("input[type=checkbox]").check()
    page.click("text=Approve selected")
    expect(page.locator("#confirm-count")).to_have_text("Approve 1 claim, 5 points in all?")
    page.click("button:has-text('Confirm')")
    expect(page.locator(".flash.ok")).to_have_text("1 claim approved.")
    expect(page.locator(".empty")).to_contain_text("Nothing waiting")
    page.goto(admin.url("/admin/workers/A001"))
    expect(page.locator("#entries-total")).to_have_text("5")
    expect(page.locator("main")).to_contain_text("帮王五搬料")


def test_resolve_an_appeal(page: Page, admin: Admin) -> None:
    page.goto(admin.url("/admin/appeals"))
    page.locator("#appeals tbody tr", has_text="A002").get_by_role("link", name="Open").click()
    expect(page.locator("#evidence tbody tr").first).to_be_visible()
    page.fill("textarea[name=note]", "设备故障已核实，已补记运行时间。")
    page.check("input[name=correction][value=none]")  # corrections: test_admin_appeal.py
    page.click("text=Uphold: the worker is right")
    expect(page.locator(".flash.ok")).to_contain_text("appeal was resolved")
    page.goto(admin.url("/admin/appeals?status=upheld"))
    expect(page.locator("#appeals")).to_contain_text("A002")


def test_download_the_monthly_xlsx(page: Page, admin: Admin, tmp_path: Path) -> None:
    page.goto(admin.url("/admin/reports?kind=monthly&workshop=W1"))
    with page.expect_download() as info:
        page.click("#download-xlsx")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    sheet = load_workbook(path).worksheets[0]
    heads = [c.value for c in sheet[3]]
    rows = [dict(zip(heads, (c.value for c in row), strict=True))
            for row in sheet.iter_rows(min_row=4)]
    expected = expected_scores(admin.plant.today)
    seeded = {c.worker_code for c in expected}
    # workers imported by an earlier test have no records last month
    assert all(r["总分 Total"] == 0 for r in rows if r["工号 Code"] not in seeded)
    rows = [r for r in rows if r["工号 Code"] in seeded]
    assert [(r["工号 Code"], r["排名 Rank"], r["总分 Total"]) for r in rows] == [
        (c.worker_code, c.rank, c.total) for c in expected]
    names = {"uptime": "开机率 Uptime", "defect_rate": "次品率 Defect rate",
             "output": "产量 Output"}
    for row, card in zip(rows, expected, strict=True):
        for line in card.dimensions:
            assert row[f"{names[line.key.value]} 得分 points"] == line.points
            assert row[f"{names[line.key.value]} 值 value"] == pytest.approx(line.value)


def test_verify_the_audit_chain_then_see_an_altered_row(page: Page, admin: Admin) -> None:
    page.goto(admin.url("/admin/audit"))
    page.click("#verify-chain")
    expect(page.locator("#chain-result")).to_contain_text("The chain is intact")
    with sqlite3.connect(admin.db_path) as db:
        db.execute("UPDATE audit_entries SET after = '{\"points\": 100}' WHERE id = 5")
    page.click("#verify-chain")
    expect(page.locator("#chain-result")).to_contain_text("The chain is broken.")
    expect(page.locator("#chain-result")).to_contain_text("Entry 5")


PAGES = [
    ("dashboard", "/admin/"), ("workers", "/admin/workers"),
    ("worker", "/admin/workers/A001"), ("worker-new", "/admin/workers/new"),
    ("worker-edit", "/admin/workers/A001/edit"), ("workers-import", "/admin/workers/import"),
    ("badges", "/admin/badges?workshop=W1"), ("kiosks", "/admin/kiosks"),
    ("displays", "/admin/displays"),
    ("schemes", "/admin/schemes"), ("scheme-edit", "/admin/schemes/edit"),
    ("categories", "/admin/categories"), ("claims", "/admin/claims"),
    ("appeals", "/admin/appeals?status=all"), ("appeal", "/admin/appeals/{appeal}"),
    ("production", "/admin/production"), ("production-import", "/admin/production/import"),
    ("production-edit", "/admin/production/1"), ("reports", "/admin/reports"),
    ("audit", "/admin/audit"), ("users", "/admin/users"), ("account", "/admin/account"),
]


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
def test_screenshots_of_every_page(browser: Browser, admin: Admin, language: str) -> None:
    """Every page renders without a console error (a CSP violation is one), without a
    horizontal scroll bar at 1366 px, and is saved for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    lang = "en" if language == "en-US" else "zh"
    ctx = browser.new_context(locale=language, viewport={"width": 1366, "height": 900},
                              ignore_https_errors=True)
    page = ctx.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(admin.url("/admin/login"))
    page.screenshot(path=ARTIFACTS / f"{lang}-login.png", full_page=True)
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    for name, path in PAGES:
        page.goto(admin.url(path.format(appeal=admin.plant.appeal_id)))
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 1366, f"{name} is {wide} px wide"
        page.screenshot(path=ARTIFACTS / f"{lang}-{name}.png", full_page=True)
    for name, button in (("scheme-preview", "main form button.primary"),):
        page.goto(admin.url("/admin/schemes/edit"))
        page.click(button)
        page.screenshot(path=ARTIFACTS / f"{lang}-{name}.png", full_page=True)
    page.goto(admin.url("/admin/kiosks"))
    page.locator("form[action$='/K1/code'] button").click()
    page.screenshot(path=ARTIFACTS / f"{lang}-kiosk-code.png", full_page=True)
    page.goto(admin.url("/admin/displays"))
    page.fill("main form input[name=name]", f"TV {lang}")
    page.click("main form button.primary")
    page.screenshot(path=ARTIFACTS / f"{lang}-display-link.png", full_page=True)
    ctx.close()
    assert problems == []
