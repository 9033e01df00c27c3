"""Two drivers behind the same steps: in-process HTTP reading the HTML, and a real Chromium.

Both offer what a person does on the login pages: open a page, fill a labelled field, click a
button, read the text, the alert, where they are and whether a form is disabled. The
in-process driver calls the ASGI app through httpx's ASGITransport (on a private event loop) and
reads the HTML
with ``page.HtmlPage``; the browser driver drives headless Chromium through Playwright against
the app served by uvicorn on loopback (``server.LoopbackServer``).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import httpx

from livingspec.login.errors import DriverError
from livingspec.login.page import HtmlPage

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Playwright

CHROMIUM = "/usr/bin/chromium"
#: Flags Debian's Chromium needs here: root needs --no-sandbox; the rest keep it off the network.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
STEP_TIMEOUT_MS = 10_000


class LoginDriver(Protocol):
    """What the steps need from a driver."""

    def open(self, path: str) -> None:
        """Go to a page of the site."""

    def fill(self, label: str, value: str) -> None:
        """Type ``value`` into the field labelled ``label``."""

    def click(self, label: str) -> None:
        """Click the button whose text is ``label`` and wait for the next page."""

    @property
    def path(self) -> str:
        """The path of the page now shown."""

    @property
    def redirected(self) -> bool:
        """Whether the last navigation went through a redirect."""

    def page_name(self) -> str:
        """The ``data-page`` of the page now shown (login, dashboard, orders)."""

    def text(self) -> str:
        """The visible text of the page, whitespace collapsed."""

    def alerts(self) -> list[str]:
        """The texts of the page's alerts (error messages)."""

    def form_disabled(self, form_id: str) -> bool:
        """Whether every control of the form is disabled."""

    def screenshot(self) -> bytes | None:
        """A PNG of the page, or None when the driver has no screen."""

    def close(self) -> None:
        """Release what the driver holds."""


class InProcessDriver:
    """Drives the ASGI app in process with httpx (ASGITransport) and reads the HTML it returns."""

    def __init__(self, app: Any, base_url: str = "https://shop.test") -> None:
        self._loop = asyncio.Runner()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=base_url, follow_redirects=True
        )
        self.response: Any = None
        self.page = HtmlPage("")
        self.values: dict[str, str] = {}

    def _load(self, response: Any) -> None:
        self.response = response
        self.page = HtmlPage(response.text)
        self.values = {}

    def open(self, path: str) -> None:
        """GET a page, following redirects as a browser would."""
        self._load(self._loop.run(self.client.get(path)))

    def fill(self, label: str, value: str) -> None:
        """Remember ``value`` for the input labelled ``label`` (sent when its form is submitted)."""
        control = self.page.control_by_label(label)
        if control is None:
            raise DriverError(f"no field labelled {label!r} on the {self.page_name() or 'current'} page")
        if control.disabled:
            raise DriverError(f"the field {label!r} is disabled")
        self.values[control.attrs.get("name", "")] = value

    def click(self, label: str) -> None:
        """Submit the form of the button ``label`` with its fields and the filled values."""
        button = self.page.button(label)
        if button is None:
            raise DriverError(f"no button {label!r} on the {self.page_name() or 'current'} page")
        if button.disabled:
            raise DriverError(f"the button {label!r} is disabled")
        form = button.ancestor("form")
        if form is None:
            raise DriverError(f"the button {label!r} is not in a form")
        fields = self.page.form_fields(form)
        fields.update({name: value for name, value in self.values.items() if name in fields})
        method = form.attrs.get("method", "get").upper()
        action = form.attrs.get("action") or self.path
        if method == "POST":
            self._load(self._loop.run(self.client.post(action, data=fields)))
        else:
            self._load(self._loop.run(self.client.get(action, params=fields)))

    @property
    def status(self) -> int:
        """The status of the last response (after redirects)."""
        return int(self.response.status_code) if self.response is not None else 0

    @property
    def path(self) -> str:
        """The path of the page shown."""
        return str(self.response.url.path) if self.response is not None else ""

    @property
    def redirected(self) -> bool:
        """Whether the last request was answered with a redirect that was followed."""
        return bool(self.response is not None and self.response.history)

    def page_name(self) -> str:
        """The page shown (its ``data-page``)."""
        return self.page.page_name()

    def text(self) -> str:
        """The visible text of the page."""
        return self.page.text()

    def alerts(self) -> list[str]:
        """The texts of ``role=alert`` elements."""
        return [element.text() for element in self.page.by_role("alert")]

    def form_disabled(self, form_id: str) -> bool:
        """Whether every input and button of the form is disabled (False when there is no such form)."""
        form = self.page.find("form", id=form_id)
        if form is None:
            return False
        controls = [e for e in form.iter() if e.tag in ("button", "input") and e.attrs.get("type") != "hidden"]
        return bool(controls) and all(control.disabled for control in controls)

    def screenshot(self) -> bytes | None:
        """No screen in process."""
        return None

    def html(self) -> str:
        """The HTML of the page shown."""
        return str(self.response.text) if self.response is not None else ""

    def close(self) -> None:
        """Close the HTTP client and its event loop."""
        try:
            self._loop.run(self.client.aclose())
        finally:
            self._loop.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A raw request with the driver's cookies (for security tests); the page is not changed."""
        response: httpx.Response = self._loop.run(self.client.request(method, path, **kwargs))
        return response


class ChromiumBrowser:
    """Headless Debian Chromium under Playwright, with a fresh profile folder; never downloads a browser."""

    def __init__(self, playwright: Playwright, context: BrowserContext, profile: str) -> None:
        self._playwright = playwright
        self.context = context
        self._profile = profile

    @classmethod
    def launch(cls, executable: str = CHROMIUM) -> ChromiumBrowser:
        """Start Chromium; DriverError naming the executable when it cannot start."""
        from playwright.sync_api import Error, sync_playwright

        profile = tempfile.mkdtemp(prefix="livingspec-chromium-")
        playwright = sync_playwright().start()
        try:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
            )
        except Error as error:
            playwright.stop()
            shutil.rmtree(profile, ignore_errors=True)
            raise DriverError(f"Chromium at {executable} did not start: {error}") from None
        context.set_default_timeout(STEP_TIMEOUT_MS)
        return cls(playwright, context, profile)

    def new_page(self) -> Page:
        """A new tab with no cookies from earlier tabs."""
        self.context.clear_cookies()
        return self.context.new_page()

    def close(self) -> None:
        """Stop Chromium and Playwright; remove the profile folder."""
        try:
            self.context.close()
        finally:
            self._playwright.stop()
            shutil.rmtree(self._profile, ignore_errors=True)


class BrowserDriver:
    """Drives one Chromium tab against the site at ``base_url``."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        self._redirected = False

    def open(self, path: str) -> None:
        """Navigate to a page of the site."""
        response = self.page.goto(self.base_url + path)
        self._redirected = bool(response is not None and response.request.redirected_from is not None)

    def fill(self, label: str, value: str) -> None:
        """Type into the field labelled ``label``."""
        field = self.page.get_by_label(label, exact=True)
        if field.count() == 0:
            raise DriverError(f"no field labelled {label!r} on {self.path}")
        if field.is_disabled():
            raise DriverError(f"the field {label!r} is disabled")
        field.fill(value)

    def click(self, label: str) -> None:
        """Click the button and wait for the page it leads to."""
        button = self.page.get_by_role("button", name=label, exact=True)
        if button.count() == 0:
            raise DriverError(f"no button {label!r} on {self.path}")
        if button.is_disabled():
            raise DriverError(f"the button {label!r} is disabled")
        with self.page.expect_navigation() as navigation:
            button.click()
        response = navigation.value
        self._redirected = bool(response is not None and response.request.redirected_from is not None)

    @property
    def path(self) -> str:
        """The path of the page shown."""
        return urlsplit(self.page.url).path

    @property
    def redirected(self) -> bool:
        """Whether the last navigation went through a redirect."""
        return self._redirected

    def page_name(self) -> str:
        """The page shown (its ``data-page``)."""
        main = self.page.locator("main")
        return (main.get_attribute("data-page") or "") if main.count() else ""

    def text(self) -> str:
        """The visible text of the page."""
        return " ".join(self.page.locator("body").inner_text().split())

    def alerts(self) -> list[str]:
        """The texts of the page's alerts."""
        return [" ".join(text.split()) for text in self.page.get_by_role("alert").all_inner_texts()]

    def form_disabled(self, form_id: str) -> bool:
        """Whether every visible control of the form is disabled."""
        controls = self.page.locator(f"form#{form_id} input:not([type=hidden]), form#{form_id} button")
        count = controls.count()
        return count > 0 and all(controls.nth(i).is_disabled() for i in range(count))

    def screenshot(self) -> bytes | None:
        """A PNG of the whole page."""
        return self.page.screenshot(full_page=True)

    def cookies(self) -> list[dict[str, Any]]:
        """The browser's cookies for the site, with their flags."""
        return [dict(cookie) for cookie in self.page.context.cookies(self.base_url)]

    def close(self) -> None:
        """Close the tab."""
        self.page.close()
