"""Playwright driving Debian's Chromium against the live test server.

Where no Chromium is installed the browser tests are skipped with a loud message; .ci/run
installs it and runs them. Screenshots go to test-artifacts/screenshots/ to be looked at."""

import os
import shutil
import sys
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    message = "BROWSER TESTS SKIPPED: no Chromium found (apt-get install chromium); .ci/run installs it"
    if os.environ.get("PITSTOP_REQUIRE_BROWSER"):
        raise pytest.UsageError(message.replace("SKIPPED", "REQUIRED"))
    print(f"\n{'!' * 80}\n{message}\n{'!' * 80}", file=sys.stderr)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; the ORM calls the test makes
    # are still plain synchronous ones. Only while the browser runs, so no other test sees it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
            yield chromium
            chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page_for(browser, live_server):
    """page_for(user, viewport) -> a logged-in page (through the real login form)."""
    contexts = []

    def _page(user, password="correct horse battery", viewport=(1366, 900)):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("main button[type=submit], .login-card button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield _page
    for context in contexts:
        context.close()


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(page, name: str, full_page: bool = True):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    return _shot
