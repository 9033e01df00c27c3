"""The real target: Debian's Chromium through Playwright against uvicorn on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from livingspec.login import (
    CHROMIUM,
    COOKIE_NAME,
    ChromiumBrowser,
    LoginSite,
    LoopbackServer,
    ManualClock,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=f"{CHROMIUM} is not installed"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[ChromiumBrowser]:
    pytest.importorskip("playwright.sync_api")
    browser = ChromiumBrowser.launch()
    yield browser
    browser.close()


def test_sign_in_in_chromium_sets_a_locked_down_cookie(browser: ChromiumBrowser) -> None:
    site = LoginSite.create(clock=ManualClock())
    site.register("John", "john@example.com", "mypassword123")
    with LoopbackServer(site.app) as server:
        driver = browser.new_driver(server.url)
        driver.open("/login")
        before = {c["name"]: c["value"] for c in driver.cookies()}
        driver.fill("Email", "john@example.com")
        driver.fill("Password", "mypassword123")
        driver.click("Login")
        assert driver.redirected and driver.page_name() == "dashboard"
        assert "Welcome back, John!" in driver.text()
        (cookie,) = [c for c in driver.cookies() if c["name"] == COOKIE_NAME]
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
        assert cookie["value"] != before[COOKIE_NAME], "the session id must change at sign-in"
        # JavaScript cannot read an HttpOnly cookie.
        assert COOKIE_NAME not in driver.evaluate("document.cookie")
        png = driver.screenshot()
        assert png is not None and png.startswith(b"\x89PNG")
        driver.close()
