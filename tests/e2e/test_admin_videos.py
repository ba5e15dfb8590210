"""HR adds a training video in real headless Chromium against a real server: upload with
titles, workshop, role and deadline; the file is probed (length, size, codec) and gets a
thumbnail; a corrupt file is refused with a clear message and leaves nothing behind; a
two-question quiz of pictures is added; the video is retired and shown again; and every
change is in the audit log. Screenshots in both languages go to test-artifacts/admin/."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.services.setup import initialise
from support.clips import corrupt_copy, make_clip
from support.factory import PASSWORD, build_plant
from support.live_server import LiveServer

ARTIFACTS = Path("test-artifacts/admin")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("videos") / "data")
    config = Config.from_env(data_dir=server.data_dir, timezone="Asia/Shanghai")
    engine = make_engine(config.database_url)
    with make_sessionmaker(engine)() as session:
        initialise(engine, session, PASSWORD)
        build_plant(session, datetime.now(config.zone).date(), with_admin=False)
        session.commit()
    engine.dispose()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("upload")
    clip = make_clip(folder / "safety.mp4", 4.0, (640, 360))
    found = {"clip": clip, "bad": corrupt_copy(clip, folder / "broken.mp4")}
    for name, color in (("question", "orange"), ("right", "green"), ("wrong", "red")):
        buffer = io.BytesIO()
        Image.new("RGB", (200, 200), color).save(buffer, "PNG")
        (folder / f"{name}.png").write_bytes(buffer.getvalue())
        found[name] = folder / f"{name}.png"
    return found


def _page(browser: Browser, server: LiveServer, language: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(locale=language, viewport={"width": 1366, "height": 900},
                                  ignore_https_errors=True)
    page = context.new_page()
    page.goto(f"{server.url}/admin/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button.primary")
    page.wait_for_url("**/admin/")
    return context, page


def _rows(server: LiveServer, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(server.data_dir / "shopfloor.db") as db:
        return db.execute(sql).fetchall()


def test_hr_uploads_a_video_with_a_quiz_and_a_corrupt_one_is_refused(
        browser: Browser, server: LiveServer, files: dict[str, Path]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context, page = _page(browser, server, "en-US")
    try:
        page.click("nav >> text=Training videos")
        expect(page.locator("h1")).to_have_text("Training videos")
        expect(page.locator(".empty")).to_contain_text("No training videos yet")
        page.screenshot(path=str(ARTIFACTS / "videos-empty-en.png"), full_page=True)

        page.set_input_files("input[name=file]", str(files["bad"]))
        page.fill("input[name=title]", "坏文件")
        page.get_by_role("button", name="Upload", exact=True).click()
        expect(page.locator(".flash.error")).to_contain_text("cannot be played on the kiosks")
        page.screenshot(path=str(ARTIFACTS / "videos-refused-en.png"), full_page=True)
        leftovers = [p.name for p in (server.data_dir / "videos").iterdir()]
        assert leftovers == [], "a refused upload leaves nothing behind"
        assert _rows(server, "SELECT COUNT(*) FROM training_videos") == [(0,)]

        page.set_input_files("input[name=file]", str(files["clip"]))
        page.fill("input[name=title]", "数控车床安全操作规程")
        page.fill("input[name=title_en]", "Lathe safety")
        page.check("input[name=workshops][value=W1]")
        page.check("input[name=roles][value=worker]")
        page.fill("input[name=required_by]", "2026-12-31")
        page.get_by_role("button", name="Upload", exact=True).click()
        expect(page.locator(".flash.ok")).to_contain_text("数控车床安全操作规程 was added")
        expect(page.locator(".flash.ok")).to_contain_text("640×360")

        page.set_input_files("input[name=question]", str(files["question"]))
        page.set_input_files("input[name=answer1]", str(files["wrong"]))
        page.set_input_files("input[name=answer2]", str(files["right"]))
        page.check("input[name=correct][value='2']")
        page.get_by_role("button", name="Add the question").click()
        expect(page.locator(".flash.ok")).to_contain_text("Question 1 was added")
        expect(page.locator("ol.quiz figure.right img")).to_have_count(1)
        page.screenshot(path=str(ARTIFACTS / "video-edit-en.png"), full_page=True)

        page.click("nav >> text=Training videos")
        row = page.locator("tbody tr").first
        expect(row).to_contain_text("数控车床安全操作规程")
        expect(row).to_contain_text("640×360 · h264 + aac")
        expect(row).to_contain_text("2026-12-31")
        assert page.locator("img.thumb").first.evaluate("i => i.naturalWidth") > 0
        page.screenshot(path=str(ARTIFACTS / "videos-list-en.png"), full_page=True)
        page.once("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button", name="Retire").click()
        expect(page.locator(".flash.ok")).to_contain_text("was retired")
        page.get_by_role("button", name="Show again").click()
        expect(page.locator(".flash.ok")).to_contain_text("shown on the kiosks again")
    finally:
        context.close()

    stored = _rows(server, "SELECT width, height, video_codec, audio_codec, quiz, "
                           "required_by FROM training_videos")
    assert stored[0][:3] == (640, 360, "h264") and '"correct": 1' in str(stored[0][4])
    actions = [a for (a,) in _rows(server, "SELECT action FROM audit_entries "
                                           "WHERE entity = 'training_video' ORDER BY id")]
    assert actions == ["video.add", "video.quiz_add", "video.retire", "video.activate"]


def test_the_video_pages_in_chinese(browser: Browser, server: LiveServer) -> None:
    context, page = _page(browser, server, "zh-CN")
    try:
        page.goto(f"{server.url}/admin/videos")
        expect(page.locator("h1")).to_have_text("培训视频")
        page.screenshot(path=str(ARTIFACTS / "videos-list-zh.png"), full_page=True)
        page.get_by_role("link", name="编辑和测验").click()
        expect(page.locator("h2").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "video-edit-zh.png"), full_page=True)
    finally:
        context.close()
