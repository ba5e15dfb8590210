"""Debian's Chromium, headless, driven by Playwright (no browser download)."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# Without the background-networking flags Chromium keeps trying hosts a closed network
# refuses; --no-sandbox because the tests run as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def logged_in(context: BrowserContext, base_url: str, password: str,
              user: str = "admin") -> tuple[Page, list[str]]:
    """A page of `context` logged in to the admin, and the list its console and page
    errors are collected in (a test asserts it stays empty)."""
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{base_url}/admin/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("main button.primary")
    expect(page).to_have_url(f"{base_url}/admin/")
    return page, problems


def page_language(page: Page) -> str:
    return "zh" if page.evaluate("document.documentElement.lang") == "zh-CN" else "en"


def screenshot(page: Page, folder: Path, name: str, width: int = 1366) -> None:
    """A full-page screenshot named by the page's language; the page must not scroll
    sideways at `width`."""
    folder.mkdir(parents=True, exist_ok=True)
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{name} is {wide} px wide"
    page.screenshot(path=folder / f"{page_language(page)}-{name}.png", full_page=True)
