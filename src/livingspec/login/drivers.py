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
import importlib.util
import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx

from livingspec.infra import TargetUnavailableError
from livingspec.infra.chromium import CHROMIUM, CHROMIUM_ARGS
from livingspec.login.errors import DriverError
from livingspec.login.page import HtmlPage

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Playwright

STEP_TIMEOUT_MS = 10_000
T = TypeVar("T")


def require_browser(executable: str = CHROMIUM) -> None:
    """Raise TargetUnavailableError naming what is missing when the browser target cannot run here."""
    if not os.access(executable, os.X_OK):
        raise TargetUnavailableError(
            f"{executable} is not installed (Debian package chromium; make test installs it as root)"
        )
    if importlib.util.find_spec("playwright") is None:
        raise TargetUnavailableError(
            "playwright for Python is not installed (pip install playwright; no browser download needed)"
        )


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


class _Thread:
    """One daemon thread that runs the calls handed to it, in order (Playwright's home).

    Not a ThreadPoolExecutor: those refuse work once the interpreter begins to exit, before the
    atexit hook that closes a shared browser has run.
    """

    def __init__(self) -> None:
        self._calls: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="playwright", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while (item := self._calls.get()) is not None:
            call, future = item
            try:
                future.set_result(call())
            except BaseException as error:  # handed back to the caller
                future.set_exception(error)

    def run(self, call: Callable[[], T]) -> T:
        future: Future[T] = Future()
        self._calls.put((call, future))
        return future.result()

    def stop(self) -> None:
        self._calls.put(None)
        self._thread.join(timeout=30)


class ChromiumBrowser:
    """Headless Debian Chromium under Playwright, with a fresh profile folder; never downloads a browser.

    Playwright's sync API keeps an event loop running in the thread that starts it, which would
    break ``asyncio.run`` everywhere else in the process. So Playwright lives on a thread of its
    own, and every call into it goes through ``run``.
    """

    def __init__(self, worker: _Thread, playwright: Playwright, context: BrowserContext, profile: str) -> None:
        self._worker = worker
        self._playwright = playwright
        self.context = context
        self._profile = profile

    @classmethod
    def launch(cls, executable: str = CHROMIUM) -> ChromiumBrowser:
        """Start Chromium; DriverError naming the executable when it cannot start."""
        worker = _Thread()
        profile = tempfile.mkdtemp(prefix="livingspec-chromium-")

        def start() -> tuple[Playwright, BrowserContext]:
            from playwright.sync_api import Error, sync_playwright

            playwright = sync_playwright().start()
            try:
                context = playwright.chromium.launch_persistent_context(
                    profile, executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
                )
            except Error as error:
                playwright.stop()
                raise DriverError(f"Chromium at {executable} did not start: {error}") from None
            context.set_default_timeout(STEP_TIMEOUT_MS)
            return playwright, context

        try:
            playwright, context = worker.run(start)
        except BaseException:
            worker.stop()
            shutil.rmtree(profile, ignore_errors=True)
            raise
        return cls(worker, playwright, context, profile)

    def run(self, call: Callable[[], T]) -> T:
        """Run ``call`` on Playwright's thread and return its result (its exceptions are raised here)."""
        return self._worker.run(call)

    def new_driver(self, base_url: str) -> BrowserDriver:
        """A new tab, with no cookies from earlier tabs, driving the site at ``base_url``."""

        def open_tab() -> Page:
            self.context.clear_cookies()
            return self.context.new_page()

        return BrowserDriver(self.run(open_tab), base_url, self.run)

    def close(self) -> None:
        """Stop Chromium and Playwright; remove the profile folder."""
        try:
            self.run(self.context.close)
        finally:
            self.run(self._playwright.stop)
            self._worker.stop()
            shutil.rmtree(self._profile, ignore_errors=True)


class BrowserDriver:
    """Drives one Chromium tab against the site at ``base_url``; every page call runs through ``run``."""

    def __init__(self, page: Page, base_url: str, run: Callable[[Callable[[], Any]], Any]) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        self._run = run
        self._redirected = False

    def open(self, path: str) -> None:
        """Navigate to a page of the site."""
        response = self._run(lambda: self.page.goto(self.base_url + path))
        self._redirected = bool(response is not None and response.request.redirected_from is not None)

    def fill(self, label: str, value: str) -> None:
        """Type into the field labelled ``label``."""

        def fill() -> None:
            field = self.page.get_by_label(label, exact=True)
            if field.count() == 0:
                raise DriverError(f"no field labelled {label!r} on {urlsplit(self.page.url).path}")
            if field.is_disabled():
                raise DriverError(f"the field {label!r} is disabled")
            field.fill(value)

        self._run(fill)

    def click(self, label: str) -> None:
        """Click the button and wait for the page it leads to."""

        def click() -> Any:
            button = self.page.get_by_role("button", name=label, exact=True)
            if button.count() == 0:
                raise DriverError(f"no button {label!r} on {urlsplit(self.page.url).path}")
            if button.is_disabled():
                raise DriverError(f"the button {label!r} is disabled")
            with self.page.expect_navigation() as navigation:
                button.click()
            return navigation.value

        response = self._run(click)
        self._redirected = bool(response is not None and response.request.redirected_from is not None)

    @property
    def path(self) -> str:
        """The path of the page shown."""
        url: str = self._run(lambda: self.page.url)
        return urlsplit(url).path

    @property
    def redirected(self) -> bool:
        """Whether the last navigation went through a redirect."""
        return self._redirected

    def page_name(self) -> str:
        """The page shown (its ``data-page``)."""

        def name() -> str:
            main = self.page.locator("main")
            return (main.get_attribute("data-page") or "") if main.count() else ""

        return str(self._run(name))

    def text(self) -> str:
        """The visible text of the page."""
        return " ".join(self._run(lambda: self.page.locator("body").inner_text()).split())

    def alerts(self) -> list[str]:
        """The texts of the page's alerts."""
        texts = self._run(lambda: self.page.get_by_role("alert").all_inner_texts())
        return [" ".join(text.split()) for text in texts]

    def form_disabled(self, form_id: str) -> bool:
        """Whether every visible control of the form is disabled."""

        def disabled() -> bool:
            controls = self.page.locator(f"form#{form_id} input:not([type=hidden]), form#{form_id} button")
            count = controls.count()
            return count > 0 and all(controls.nth(i).is_disabled() for i in range(count))

        return bool(self._run(disabled))

    def screenshot(self) -> bytes | None:
        """A PNG of the whole page."""
        png: bytes = self._run(lambda: self.page.screenshot(full_page=True))
        return png

    def cookies(self) -> list[dict[str, Any]]:
        """The browser's cookies for the site, with their flags."""
        return [dict(cookie) for cookie in self._run(lambda: self.page.context.cookies(self.base_url))]

    def evaluate(self, script: str) -> Any:
        """Run JavaScript in the page and return its value (what a script on the page could read)."""
        return self._run(lambda: self.page.evaluate(script))

    def close(self) -> None:
        """Close the tab."""
        self._run(self.page.close)
