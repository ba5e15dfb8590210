"""HR uploads voice packs in real headless Chromium against a real server: a pack with a
stereo clip and a clip at the wrong rate is refused with one message per file and leaves
nothing behind; a good pack is stored and listed; the page, with its flash messages and its
table, passes axe-core in both languages. Screenshots go to test-artifacts/admin-voice/."""

from __future__ import annotations

import io
import math
import sqlite3
import struct
import wave
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from server.config import Config
from server.db import make_engine, make_sessionmaker
from server.services.setup import initialise
from support.browser import logged_in
from support.factory import PASSWORD, build_plant
from support.live_server import LiveServer

ARTIFACTS = Path("test-artifacts/admin-voice")
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                         "wcag22a", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],
}


def wav(seconds: float = 0.3, rate: int = 22050, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as clip:
        clip.setnchannels(channels)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(i / 9))) * channels
                                  for i in range(int(seconds * rate))))
    return out.getvalue()


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("voice") / "data")
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


def _packs(server: LiveServer) -> list[tuple[object, ...]]:
    with sqlite3.connect(server.data_dir / "shopfloor.db") as db:
        return db.execute("SELECT language, clip_count FROM voice_packs").fetchall()


def _axe(page: object) -> list[str]:
    results = Axe().run(page, options=AXE_OPTIONS)
    return [f"{v['id']}: {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"]]


def test_hr_uploads_a_voice_pack_and_a_bad_one_is_refused_file_by_file(
        browser: Browser, server: LiveServer, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    good = {"numbers/1.wav": wav(), "numbers/100.wav": wav(0.4), "words/加上.wav": wav(0.5),
            "phrases/say.saved.wav": wav(0.7)}
    bad = tmp_path / "坏的语音包.zip"
    bad.write_bytes(zipped({**good, "numbers/2.wav": wav(channels=2),
                            "numbers/3.wav": wav(rate=11025)}))
    fine = tmp_path / "粤语.zip"
    fine.write_bytes(zipped(good))
    for locale, lang in (("zh-CN", "zh_CN"), ("en-US", "en")):
        context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900},
                                      ignore_https_errors=True)
        try:
            page, problems = logged_in(context, server.url, PASSWORD)
            page.goto(f"{server.url}/admin/voice-packs")
            if lang == "zh_CN":
                page.select_option("#voice-pack-language", "yue")
                page.set_input_files("#voice-pack-file", str(bad))
                page.click("form[enctype] button.primary")
                errors = page.locator(".flash.error")
                expect(errors).to_have_count(3)
                expect(errors.nth(0)).to_contain_text("numbers/2.wav")
                expect(errors.nth(0)).to_contain_text("2 个声道")
                expect(errors.nth(1)).to_contain_text("numbers/3.wav")
                expect(errors.nth(1)).to_contain_text("11025 Hz")
                page.screenshot(path=str(ARTIFACTS / "refused-zh_CN.png"), full_page=True)
                assert _axe(page) == []
                assert _packs(server) == []
                assert not any((server.data_dir / "voice_packs").glob("*.zip"))
                page.select_option("#voice-pack-language", "yue")
                page.set_input_files("#voice-pack-file", str(fine))
                page.click("form[enctype] button.primary")
                expect(page.locator(".flash.ok")).to_contain_text("4 个片段")
                assert _packs(server) == [("yue", 4)]
            expect(page.locator("table")).to_contain_text("粵語 (yue)")
            page.screenshot(path=str(ARTIFACTS / f"stored-{lang}.png"), full_page=True)
            assert _axe(page) == [], lang
            assert problems == []
        finally:
            context.close()
