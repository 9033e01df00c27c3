"""What a customer does on the shop's pages, as sequences of driver actions the steps share.

A step says what happens ("John has failed to sign in 3 times"); these functions say how, on
either driver, so the scenarios stay declarative and the steps stay a line or two.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from livingspec.login.drivers import LoginDriver
from livingspec.login.errors import DriverError
from livingspec.login.service import AttemptRecord

ATTEMPT_HEADINGS = ("minute", "email", "outcome", "consecutive failures", "locked until minute")


def submit_login(driver: LoginDriver, email: str, password: str) -> None:
    """Open a fresh login page unless one with an enabled form is shown, fill it in and press Login."""
    if driver.page_name() != "login" or driver.form_disabled("login-form"):
        driver.open("/login")
    driver.fill("Email", email)
    driver.fill("Password", password)
    driver.click("Login")


def sign_in(driver: LoginDriver, email: str, password: str) -> None:
    """Sign in through the login page; DriverError unless the dashboard follows."""
    driver.open("/login")
    if driver.page_name() == "dashboard":
        return  # already signed in: the login page sends a signed-in customer on
    submit_login(driver, email, password)
    if driver.page_name() != "dashboard":
        raise DriverError(f"expected the dashboard after signing in as {email}, saw {driver.path}: {driver.alerts()}")


def sign_out(driver: LoginDriver) -> None:
    """Press Log out on a signed-in page; DriverError when nobody is signed in."""
    if driver.page_name() not in ("dashboard", "orders"):
        driver.open("/dashboard")
    if driver.page_name() == "login":
        raise DriverError("nobody is signed in, so there is no Log out button")
    driver.click("Log out")


def fail_logins(driver: LoginDriver, email: str, count: int) -> None:
    """Submit ``count`` wrong passwords for ``email``, then come back to a fresh login page."""
    for attempt in range(count):
        submit_login(driver, email, f"not-the-password-{attempt}")
    if driver.form_disabled("login-form"):
        driver.open("/login")  # back on a fresh login page, as a customer who tries again would be


def attempts_table(history: Iterable[AttemptRecord]) -> tuple[Sequence[str], list[tuple[object, ...]]]:
    """The audit trail as a table: minutes since the first attempt, outcome, count and lock end."""
    attempts = list(history)
    if not attempts:
        return ATTEMPT_HEADINGS, []
    start = attempts[0].at
    rows: list[tuple[object, ...]] = [
        (
            f"{(a.at - start) / 60:g}",
            a.email_key,
            a.outcome.value,
            a.failures,
            "" if a.locked_until is None else f"{(a.locked_until - start) / 60:g}",
        )
        for a in attempts
    ]
    return ATTEMPT_HEADINGS, rows
