"""Security of the login app over HTTP (in process): enumeration, lockout bypass, CSRF, cookies, sessions."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livingspec.login import (
    COOKIE_NAME,
    INSECURE_FOR_TESTS,
    OWASP,
    InProcessDriver,
    LoginSite,
    ManualClock,
)


def make_site(fast: bool = True) -> LoginSite:
    site = LoginSite.create(
        clock=ManualClock(), parameters=INSECURE_FOR_TESTS if fast else OWASP, allow_weak_hashing=fast
    )
    site.register("John", "john@example.com", "mypassword123")
    return site


@pytest.fixture
def site() -> LoginSite:
    return make_site()


@pytest.fixture
def driver(site: LoginSite) -> Iterator[InProcessDriver]:
    driver = InProcessDriver(site.app)
    yield driver
    driver.close()


def csrf_of(driver: InProcessDriver) -> str:
    token = driver.page.find("input", name="csrf_token")
    assert token is not None, "the page has no CSRF token"
    return token.attrs["value"]


def post_login(driver: InProcessDriver, email: str, password: str, csrf: str | None = None) -> tuple[int, str]:
    data = {"email": email, "password": password}
    if csrf is not None:
        data["csrf_token"] = csrf
    response = driver.request("POST", "/login", data=data, follow_redirects=False)
    return response.status_code, response.text


def test_unknown_email_and_wrong_password_get_the_same_status_and_body(driver: InProcessDriver) -> None:
    driver.open("/login")
    csrf = csrf_of(driver)
    wrong = post_login(driver, "john@example.com", "wrongpassword", csrf)
    unknown = post_login(driver, "nobody@example.com", "wrongpassword", csrf)
    assert wrong == unknown
    assert wrong[0] == 401 and "Invalid email or password" in wrong[1]


def test_same_answer_with_owasp_hashing_too() -> None:
    site = make_site(fast=False)
    driver = InProcessDriver(site.app)
    driver.open("/login")
    csrf = csrf_of(driver)
    assert post_login(driver, "john@example.com", "x", csrf) == post_login(driver, "someone@example.com", "x", csrf)
    driver.close()


emails = st.builds(
    lambda flips, pad_left, pad_right: (
        pad_left + "".join(c.upper() if f else c for c, f in zip("john@example.com", flips, strict=False)) + pad_right
    ),
    st.lists(st.booleans(), min_size=16, max_size=16),
    st.sampled_from(["", " ", "\t", "  ", "\u00a0"]),
    st.sampled_from(["", " ", "\n", "\u2003"]),
)


@settings(max_examples=30, deadline=None)
@given(first=emails, second=emails, third=emails, then=emails)
def test_lockout_cannot_be_bypassed_by_case_or_whitespace(first: str, second: str, third: str, then: str) -> None:
    site = make_site()
    driver = InProcessDriver(site.app)
    driver.open("/login")
    csrf = csrf_of(driver)
    for email in (first, second, third):
        post_login(driver, email, "wrongpassword", csrf)
    status, body = post_login(driver, then, "mypassword123", csrf)
    assert status == 423 and "Account temporarily locked. Try again in 15 minutes" in body
    driver.close()


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_login_without_the_sessions_csrf_token_is_refused(
    driver: InProcessDriver, site: LoginSite, token: str | None
) -> None:
    driver.open("/login")
    status, _ = post_login(driver, "john@example.com", "mypassword123", token)
    assert status == 403
    assert site.auth.state("john@example.com").consecutive == 0, "a refused form must not count as an attempt"


def test_csrf_token_of_another_session_is_refused(site: LoginSite) -> None:
    attacker, victim = InProcessDriver(site.app), InProcessDriver(site.app)
    attacker.open("/login")
    victim.open("/login")
    status, _ = post_login(victim, "john@example.com", "mypassword123", csrf_of(attacker))
    assert status == 403
    attacker.close()
    victim.close()


def test_logout_needs_the_csrf_token(driver: InProcessDriver) -> None:
    driver.open("/login")
    driver.fill("Email", "john@example.com")
    driver.fill("Password", "mypassword123")
    driver.click("Login")
    response = driver.request("POST", "/logout", data={}, follow_redirects=False)
    assert response.status_code == 403
    driver.open("/dashboard")
    assert driver.page_name() == "dashboard", "a logout without the token must not end the session"


def _set_cookie(response_headers: list[str]) -> str:
    found = [h for h in response_headers if h.startswith(f"{COOKIE_NAME}=")]
    assert found, f"no {COOKIE_NAME} cookie set; headers: {response_headers}"
    return found[-1]


def test_session_cookie_flags(driver: InProcessDriver) -> None:
    driver.open("/login")
    response = driver.request(
        "POST",
        "/login",
        data={"email": "john@example.com", "password": "mypassword123", "csrf_token": csrf_of(driver)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    cookie = _set_cookie(response.headers.get_list("set-cookie"))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite", "path", "max-age"} <= attributes
    assert re.search(r"samesite=lax", cookie, re.IGNORECASE)


def test_session_id_changes_at_login_and_the_old_one_is_dead(driver: InProcessDriver, site: LoginSite) -> None:
    driver.open("/login")
    before = driver.client.cookies.get(COOKIE_NAME)
    driver.fill("Email", "john@example.com")
    driver.fill("Password", "mypassword123")
    driver.click("Login")
    after = driver.client.cookies.get(COOKIE_NAME)
    assert before and after and before != after
    # A fixated (planted) pre-login cookie never becomes a signed-in session.
    planted = InProcessDriver(site.app)
    planted.client.cookies.set(COOKIE_NAME, before, domain="shop.test")
    planted.open("/dashboard")
    assert planted.path == "/login"
    planted.close()


def test_forged_or_damaged_cookies_are_anonymous(driver: InProcessDriver) -> None:
    driver.open("/login")
    driver.fill("Email", "john@example.com")
    driver.fill("Password", "mypassword123")
    driver.click("Login")
    good = driver.client.cookies.get(COOKIE_NAME) or ""
    for bad in (good[:-2] + "xx", "x" * 1000, "", "a.b.c"):
        driver.client.cookies.clear()
        driver.client.cookies.set(COOKIE_NAME, bad, domain="shop.test")
        driver.open("/dashboard")
        assert driver.path == "/login", f"cookie {bad[:20]!r} opened the dashboard"


def test_logout_ends_the_session_on_the_server(driver: InProcessDriver, site: LoginSite) -> None:
    driver.open("/login")
    driver.fill("Email", "john@example.com")
    driver.fill("Password", "mypassword123")
    driver.click("Login")
    cookie = driver.client.cookies.get(COOKIE_NAME) or ""
    driver.click("Log out")
    replay = InProcessDriver(site.app)
    replay.client.cookies.set(COOKIE_NAME, cookie, domain="shop.test")
    replay.open("/orders")
    assert replay.path == "/login", "a cookie from before the logout still opened the order history"
    replay.close()


def test_pages_are_not_cached_or_framed(driver: InProcessDriver) -> None:
    driver.open("/login")
    headers = driver.response.headers
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_names_are_escaped_in_pages(site: LoginSite) -> None:
    site.register("<script>alert(1)</script>", "eve@example.com", "eves-password-1")
    driver = InProcessDriver(site.app)
    driver.open("/login")
    driver.fill("Email", "eve@example.com")
    driver.fill("Password", "eves-password-1")
    driver.click("Login")
    assert "<script>alert(1)</script>" not in driver.html()
    assert "Welcome back, <script>alert(1)</script>!" in driver.text()
    driver.close()


def test_oversized_login_form_is_refused_unread(driver: InProcessDriver, site: LoginSite) -> None:
    driver.open("/login")
    data = {"email": "john@example.com", "password": "x" * 20000, "csrf_token": csrf_of(driver)}
    response = driver.request("POST", "/login", data=data, follow_redirects=False)
    assert response.status_code == 413
    assert site.auth.state("john@example.com").consecutive == 0
