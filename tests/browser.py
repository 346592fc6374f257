"""Headless Chromium for page tests: Debian's chromium driven by Playwright (no browser download)."""

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = (
        os.environ.get("PAPERTIDE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        pytest.skip("chromium not installed (apt-get install chromium, or set PAPERTIDE_CHROMIUM)")
    return path


@pytest.fixture
def browser_page(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        # The tests drive pages with Playwright's evaluated expressions, which the site's policy forbids
        # (no eval); the policy itself is tested with it on (tests/test_browser_security.py).
        page = browser.new_page(bypass_csp=True)
        yield page
        browser.close()
