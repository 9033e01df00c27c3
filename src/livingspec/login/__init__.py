"""Behaviour-driven development, shown on the seed's login feature (seed, day 8).

BDD (Dan North, "Introducing BDD", 2006; Gherkin as in Cucumber and behave) describes software by
examples of its behaviour in a shared, natural language: Given a context, When an event, Then an
outcome. The examples are written before the code, with the business, and run as tests, so the
specification stays true (living documentation).

This package is the application the seed's "Feature: User Login" specifies: a server-rendered
Starlette shop login (login page, dashboard, order history, logout) with users in SQLite, argon2id
password hashes (RFC 9106, OWASP parameters), lockout on the third consecutive failure for 15
minutes, signed HttpOnly SameSite session cookies rotated at login, and CSRF tokens. Two drivers
run the same steps against it: in-process HTTP and headless Chromium over loopback. The BDD
cycle itself (red, green) is shown with ``BddWorkspace``.
"""

from livingspec.infra.chromium import CHROMIUM, CHROMIUM_ARGS
from livingspec.login.catalog import CatalogEntry, catalog_text, undocumented
from livingspec.login.clock import Clock, ManualClock, wall_clock
from livingspec.login.drivers import (
    BrowserDriver,
    ChromiumBrowser,
    InProcessDriver,
    LoginDriver,
    require_browser,
)
from livingspec.login.errors import (
    CsrfError,
    DriverError,
    DuplicateAccountError,
    InvalidEmailError,
    LoginError,
    SessionError,
    UnknownAccountError,
    UnknownCustomerError,
    WeakHashParametersError,
    WorkspaceError,
)
from livingspec.login.journeys import attempts_table, fail_logins, sign_in, sign_out, submit_login
from livingspec.login.page import Element, HtmlPage
from livingspec.login.passwords import INSECURE_FOR_TESTS, OWASP, Argon2Parameters, PasswordVerifier
from livingspec.login.server import LoopbackServer
from livingspec.login.service import (
    INVALID_MESSAGE,
    AttemptRecord,
    Authenticator,
    LockoutPolicy,
    LoginResult,
    Outcome,
    locked_message,
)
from livingspec.login.sessions import COOKIE_NAME, CookiePolicy, SessionManager
from livingspec.login.store import Account, FailureState, LoginStore, Order, normalize_email, validate_email
from livingspec.login.web import SIGNED_OUT_NOTICE, LoginSite, build_app
from livingspec.login.workspace import BddWorkspace, BehaveRun, parse_behave_output

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "COOKIE_NAME",
    "INSECURE_FOR_TESTS",
    "INVALID_MESSAGE",
    "OWASP",
    "SIGNED_OUT_NOTICE",
    "Account",
    "Argon2Parameters",
    "AttemptRecord",
    "Authenticator",
    "BddWorkspace",
    "BehaveRun",
    "BrowserDriver",
    "CatalogEntry",
    "ChromiumBrowser",
    "Clock",
    "CookiePolicy",
    "CsrfError",
    "DriverError",
    "DuplicateAccountError",
    "Element",
    "FailureState",
    "HtmlPage",
    "InProcessDriver",
    "InvalidEmailError",
    "LockoutPolicy",
    "LoginDriver",
    "LoginError",
    "LoginResult",
    "LoginSite",
    "LoginStore",
    "LoopbackServer",
    "ManualClock",
    "Order",
    "Outcome",
    "PasswordVerifier",
    "SessionError",
    "SessionManager",
    "UnknownAccountError",
    "UnknownCustomerError",
    "WeakHashParametersError",
    "WorkspaceError",
    "attempts_table",
    "build_app",
    "catalog_text",
    "fail_logins",
    "locked_message",
    "normalize_email",
    "parse_behave_output",
    "require_browser",
    "sign_in",
    "sign_out",
    "submit_login",
    "undocumented",
    "validate_email",
    "wall_clock",
]
