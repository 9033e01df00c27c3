"""The login web application: Starlette, server-rendered HTML, sessions in SQLite.

Pages: ``/login`` (the form), ``/dashboard`` ("Welcome back, John!"), ``/orders`` (order history),
``POST /logout``. The dashboard and the order history redirect to the login page when nobody is
signed in. Every form carries the session's CSRF token; every page is ``no-store`` and may not be
framed. LoginSite bundles the store, the authenticator, the sessions and the app for one run.

A login's argon2id verification (tens of milliseconds of CPU, by design) runs in a small pool of
worker threads, never on the event loop, so other visitors' pages are answered while logins hash;
the pool's size bounds the memory hashing can take (19 MiB per hash at OWASP's cost).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import escape

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from livingspec.login.clock import Clock, ManualClock, wall_clock
from livingspec.login.errors import CsrfError, SessionError, UnknownAccountError
from livingspec.login.passwords import OWASP, Argon2Parameters, PasswordVerifier
from livingspec.login.service import Authenticator, LockoutPolicy, LoginResult, Outcome
from livingspec.login.sessions import COOKIE_NAME, CookiePolicy, SessionManager
from livingspec.login.store import Account, LoginStore, Order, SessionRecord, normalize_email

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",
}
SIGNED_OUT_NOTICE = "You have been signed out"
CSRF_MESSAGE = "The form has expired or did not come from this site. Please reload the login page."

_STYLE = """
body { font-family: sans-serif; margin: 2rem auto; max-width: 32rem; color: #222; }
label { display: block; margin-top: .8rem; } input { width: 100%; padding: .4rem; }
button { margin-top: 1rem; padding: .5rem 1.5rem; } fieldset { border: 0; padding: 0; }
.error { color: #a00; border: 1px solid #a00; padding: .5rem; } .notice { color: #060; }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ccc; padding: .3rem; }
"""


def _page(title: str, page: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} · Shop</title><style>{_STYLE}</style></head>\n"
        f'<body><main data-page="{page}">\n{body}\n</main></body></html>\n'
    )


def login_page(csrf: str, *, error: str = "", notice: str = "", disabled: bool = False) -> str:
    """The login page; ``disabled`` greys out every control (the account is locked)."""
    off = " disabled" if disabled else ""
    parts = ["<h1>Sign in</h1>"]
    if notice:
        parts.append(f'<p class="notice" role="status">{escape(notice)}</p>')
    if error:
        parts.append(f'<p class="error" role="alert" id="login-error">{escape(error)}</p>')
    parts.append(
        f'<form method="post" action="/login" id="login-form">\n'
        f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">\n'
        f"<fieldset{off}>\n"
        f'<label for="email">Email</label>'
        f'<input id="email" name="email" type="email" autocomplete="username" required{off}>\n'
        f'<label for="password">Password</label>'
        f'<input id="password" name="password" type="password" autocomplete="current-password" required{off}>\n'
        f'<button type="submit"{off}>Login</button>\n'
        "</fieldset>\n</form>"
    )
    return _page("Sign in", "login", "\n".join(parts))


def _logout_form(csrf: str) -> str:
    return (
        '<form method="post" action="/logout" id="logout-form">'
        f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'
        '<button type="submit">Log out</button></form>'
    )


def dashboard_page(account: Account, csrf: str) -> str:
    """The dashboard: the greeting, a link to the order history, the logout button."""
    body = (
        f"<h1>Welcome back, {escape(account.name)}!</h1>\n"
        f"<p>Signed in as {escape(account.email)}</p>\n"
        '<nav><a href="/orders">Order history</a></nav>\n' + _logout_form(csrf)
    )
    return _page("Dashboard", "dashboard", body)


def orders_page(account: Account, orders: list[Order], csrf: str) -> str:
    """The order history of the signed-in customer."""
    if orders:
        rows = "".join(
            f"<tr><td>{escape(o.number)}</td><td>{escape(o.placed)}</td><td>{escape(o.item)}</td>"
            f"<td>{escape(o.total)}</td></tr>"
            for o in orders
        )
        table = f"<table><tr><th>Order</th><th>Placed</th><th>Item</th><th>Total</th></tr>{rows}</table>"
    else:
        table = "<p>No orders yet</p>"
    body = (
        f"<h1>Order history of {escape(account.name)}</h1>\n{table}\n" + '<nav><a href="/dashboard">Dashboard</a></nav>'
    )
    return _page("Order history", "orders", body + _logout_form(csrf))


@dataclass
class LoginSite:
    """One login application with its database, authenticator, sessions and ASGI app."""

    store: LoginStore
    auth: Authenticator
    sessions: SessionManager
    app: Starlette
    clock: Clock

    @classmethod
    def create(
        cls,
        *,
        clock: Clock | None = None,
        secret: bytes | None = None,
        parameters: Argon2Parameters = OWASP,
        allow_weak_hashing: bool = False,
        cookies: CookiePolicy | None = None,
        policy: LockoutPolicy | None = None,
        database: str = ":memory:",
        verifier: PasswordVerifier | None = None,
        hashing_threads: int | None = None,
    ) -> LoginSite:
        """A site with secure defaults: OWASP argon2id, secure cookies, a random secret, the wall clock.

        ``verifier`` replaces the one built from ``parameters``; ``hashing_threads`` sizes the pool
        that verifies passwords (default: one per CPU).
        """
        clock = clock or wall_clock
        store = LoginStore(database)
        verifier = verifier or PasswordVerifier(parameters, allow_weak=allow_weak_hashing)
        auth = Authenticator(store, verifier, policy=policy, clock=clock)
        sessions = SessionManager(store, secret or secrets.token_bytes(32), clock=clock, policy=cookies)
        return cls(store, auth, sessions, build_app(auth, sessions, hashing_threads=hashing_threads), clock)

    def register(self, name: str, email: str, password: str) -> Account:
        """Create a customer account."""
        return self.auth.register(name, email, password)

    def add_order(self, email: str, order: Order) -> None:
        """Add a past order to a customer's history."""
        account = self.store.account(normalize_email(email))
        if account is None:
            raise UnknownAccountError(f"no account for {email!r}")
        self.store.add_order(account.email_key, order)

    def advance(self, seconds: float) -> None:
        """Move a ManualClock on (the specification's way of letting time pass)."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("only a site built with a ManualClock can be moved in time")
        self.clock.advance(seconds)


MAX_FORM_BYTES = 16 * 1024  # a login form is a few hundred bytes; refuse bodies that could only be an attack


def _small_form(request: Request) -> bool:
    """Whether the declared body size is small enough to read (a missing or bad length counts as too big)."""
    try:
        return 0 <= int(request.headers.get("content-length", "-1")) <= MAX_FORM_BYTES
    except ValueError:
        return False


class _Routes:
    """The handlers of the login application: one method per route, sharing the cookie helpers."""

    def __init__(self, auth: Authenticator, sessions: SessionManager, hashing_threads: int) -> None:
        self.auth = auth
        self.sessions = sessions
        self.policy = sessions.policy
        # Threads start on first use and end when the app is garbage collected.
        self.hashing = ThreadPoolExecutor(max_workers=hashing_threads, thread_name_prefix="login-argon2")

    async def attempt(self, email: str, password: str) -> LoginResult:
        """One login attempt, hashed in a worker thread so the event loop keeps answering."""
        return await asyncio.get_running_loop().run_in_executor(self.hashing, self.auth.attempt, email, password)

    # responses --------------------------------------------------------------------------------
    def respond(self, html: str, status: int = 200, record: SessionRecord | None = None) -> Response:
        """An HTML page with the security headers, setting the session cookie when ``record`` is given."""
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        if record is not None:
            self.set_cookie(response, record)
        return response

    def redirect(self, url: str, record: SessionRecord | None = None) -> Response:
        """A 303 redirect with the security headers, setting the session cookie when ``record`` is given."""
        response = RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)
        if record is not None:
            self.set_cookie(response, record)
        return response

    def set_cookie(self, response: Response, record: SessionRecord) -> None:
        """Set the signed session cookie with the policy's attributes (always HttpOnly)."""
        response.set_cookie(
            COOKIE_NAME,
            self.sessions.cookie_value(record),
            max_age=self.policy.max_age_seconds,
            path=self.policy.path,
            secure=self.policy.secure,
            httponly=True,
            samesite=self.policy.same_site,  # type: ignore[arg-type]
        )

    def signed_in(self, request: Request) -> tuple[SessionRecord, Account] | None:
        """The session and account of a signed-in visitor, or None."""
        try:
            record = self.sessions.load(request.cookies.get(COOKIE_NAME))
        except SessionError:
            return None
        account = self.auth.store.account(record.email_key) if record.email_key else None
        return (record, account) if account else None

    # routes -----------------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        """``/``: the dashboard when signed in, else the login page."""
        return self.redirect("/dashboard" if self.signed_in(request) else "/login")

    async def show_login(self, request: Request) -> Response:
        """``GET /login``: the form (with the session's CSRF token), or the dashboard when signed in."""
        if self.signed_in(request):
            return self.redirect("/dashboard")
        record, new = self.sessions.load_or_new(request.cookies.get(COOKIE_NAME))
        notice = SIGNED_OUT_NOTICE if request.query_params.get("signed_out") == "1" else ""
        return self.respond(login_page(record.csrf, notice=notice), 200, record if new else None)

    async def submit_login(self, request: Request) -> Response:
        """``POST /login``: size and CSRF checks, then one attempt; a success rotates the session."""
        record, new = self.sessions.load_or_new(request.cookies.get(COOKIE_NAME))
        if not _small_form(request):
            return self.respond(login_page(record.csrf, error="The form is too large"), 413, record if new else None)
        async with request.form(max_files=0, max_fields=8, max_part_size=8192) as form:
            fields = {name: value for name, value in form.items() if isinstance(value, str)}
        try:
            self.sessions.check_csrf(record, fields.get("csrf_token"))
        except CsrfError:
            return self.respond(login_page(record.csrf, error=CSRF_MESSAGE), 403, record if new else None)
        result = await self.attempt(fields.get("email", ""), fields.get("password", ""))
        if result.ok and result.account is not None:
            # A new session id at sign-in: a planted (fixated) id never becomes a signed-in one.
            return self.redirect("/dashboard", self.sessions.rotate(record, result.account.email_key))
        locked = result.outcome is Outcome.LOCKED
        return self.respond(login_page(record.csrf, error=result.message, disabled=locked), 423 if locked else 401)

    async def dashboard(self, request: Request) -> Response:
        """``/dashboard``: the greeting, or the login page for a visitor who is not signed in."""
        found = self.signed_in(request)
        if found is None:
            return self.redirect("/login")
        record, account = found
        return self.respond(dashboard_page(account, record.csrf))

    async def orders(self, request: Request) -> Response:
        """``/orders``: the order history, or the login page for a visitor who is not signed in."""
        found = self.signed_in(request)
        if found is None:
            return self.redirect("/login")
        record, account = found
        return self.respond(orders_page(account, self.auth.store.orders(account.email_key), record.csrf))

    async def logout(self, request: Request) -> Response:
        """``POST /logout``: with the session's CSRF token, end the session and drop the cookie."""
        try:
            record = self.sessions.load(request.cookies.get(COOKIE_NAME))
        except SessionError:
            return self.redirect("/login")
        async with request.form(max_files=0, max_fields=4, max_part_size=1024) as form:
            token = form.get("csrf_token")
        try:
            self.sessions.check_csrf(record, token if isinstance(token, str) else None)
        except CsrfError:
            return self.respond(_page("Forbidden", "forbidden", f"<p role='alert'>{escape(CSRF_MESSAGE)}</p>"), 403)
        self.sessions.end(record)
        response = self.redirect("/login?signed_out=1")
        response.delete_cookie(COOKIE_NAME, path=self.policy.path, secure=self.policy.secure, httponly=True)
        return response


def build_app(auth: Authenticator, sessions: SessionManager, *, hashing_threads: int | None = None) -> Starlette:
    """The Starlette application over an authenticator and a session manager.

    ``hashing_threads``: worker threads verifying passwords (default one per CPU); at least 1.
    """
    threads = hashing_threads if hashing_threads is not None else (os.cpu_count() or 1)
    if threads < 1:
        raise ValueError(f"hashing_threads must be at least 1, got {threads}")
    routes = _Routes(auth, sessions, threads)
    return Starlette(
        routes=[
            Route("/", routes.home),
            Route("/login", routes.show_login, methods=["GET"]),
            Route("/login", routes.submit_login, methods=["POST"]),
            Route("/dashboard", routes.dashboard),
            Route("/orders", routes.orders),
            Route("/logout", routes.logout, methods=["POST"]),
        ]
    )
