"""The login app under load: hashing never blocks other requests, and its tables do not grow without bound."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from livingspec.login import (
    INSECURE_FOR_TESTS,
    Authenticator,
    CookiePolicy,
    InProcessDriver,
    LockoutPolicy,
    LoginSite,
    LoginStore,
    LoopbackServer,
    ManualClock,
    Outcome,
    PasswordVerifier,
    SessionError,
    SessionManager,
    build_app,
)

GATE_SECONDS = 20  # the longest a gated verification waits for the test (bounds a hang, never asserted)


class GatedVerifier(PasswordVerifier):
    """A verifier whose verifications wait until the test opens the gate, logging when each ends."""

    def __init__(self) -> None:
        super().__init__(INSECURE_FOR_TESTS, allow_weak=True)
        self.gate = threading.Event()
        self.started = threading.Semaphore(0)
        self.log: list[str] = []
        self._log_lock = threading.Lock()

    def note(self, event: str) -> None:
        with self._log_lock:
            self.log.append(event)

    def verify(self, stored_hash: str, password: str) -> bool:
        self.started.release()
        if not self.gate.wait(GATE_SECONDS):
            self.gate.set()  # the gate was never opened: let the rest through rather than hang
        self.note("verification ended")
        return super().verify(stored_hash, password)


def _csrf(html: str) -> str:
    from livingspec.login import HtmlPage

    token = HtmlPage(html).find("input", name="csrf_token")
    assert token is not None, "the login page has no CSRF token"
    return token.attrs["value"]


def _gated_app(verifier: GatedVerifier) -> Any:
    store = LoginStore()
    auth = Authenticator(store, verifier, policy=LockoutPolicy(max_failures=100), clock=ManualClock())
    auth.register("John", "john@example.com", "mypassword123")
    # Plain-HTTP cookies: the loopback variant talks http://127.0.0.1, where httpx withholds Secure ones.
    return build_app(auth, SessionManager(store, b"k" * 32, clock=auth.clock, policy=CookiePolicy(secure=False)))


async def _six_logins_and_a_get(verifier: GatedVerifier, client: httpx.AsyncClient) -> None:
    csrf = _csrf((await client.get("/login")).text)
    form = {"email": "john@example.com", "password": "wrong", "csrf_token": csrf}
    logins = [asyncio.create_task(client.post("/login", data=form)) for _ in range(6)]
    # Wait (off this event loop) until a login is hashing.
    assert await asyncio.to_thread(verifier.started.acquire, True, GATE_SECONDS), "no login started hashing"
    page = await client.get("/login")
    verifier.note("GET answered")
    verifier.gate.set()
    statuses = [response.status_code for response in await asyncio.gather(*logins)]
    assert page.status_code == 200
    assert statuses == [401] * 6


async def _in_process(verifier: GatedVerifier) -> None:
    transport = httpx.ASGITransport(app=_gated_app(verifier))
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.test") as client:
        await _six_logins_and_a_get(verifier, client)


async def _over_loopback(verifier: GatedVerifier) -> None:
    with LoopbackServer(_gated_app(verifier), name="login") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=GATE_SECONDS * 2) as client:
            await _six_logins_and_a_get(verifier, client)


@pytest.mark.parametrize("transport", [_in_process, _over_loopback], ids=["in-process", "uvicorn-on-loopback"])
def test_a_get_is_answered_while_six_logins_hash(transport: Callable[[GatedVerifier], Awaitable[None]]) -> None:
    """Hashing runs in worker threads: a GET arriving while logins hash is answered before any of them ends."""
    verifier = GatedVerifier()
    asyncio.run(transport(verifier))
    assert verifier.log.count("verification ended") == 6
    assert verifier.log[0] == "GET answered", f"the GET waited behind the logins: {verifier.log}"


class OverlapVerifier(PasswordVerifier):
    """A verifier that gives every verification a chance to overlap another, and counts the most at once."""

    def __init__(self) -> None:
        super().__init__(INSECURE_FOR_TESTS, allow_weak=True)
        self.inside = 0
        self.most = 0
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)

    def verify(self, stored_hash: str, password: str) -> bool:
        with self._lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self._arrived.notify_all()
            self._arrived.wait_for(lambda: self.inside > 1, timeout=0.2)  # a window for a racing guess
            self.inside -= 1
        return super().verify(stored_hash, password)


def test_concurrent_wrong_passwords_still_lock_at_the_third() -> None:
    """Hashing off the event loop must not let parallel guesses on one account escape the count."""
    verifier = OverlapVerifier()
    auth = Authenticator(LoginStore(), verifier, clock=ManualClock())
    auth.register("John", "john@example.com", "mypassword123")
    barrier = threading.Barrier(8)
    outcomes: list[Outcome] = []

    def guess(index: int) -> None:
        barrier.wait(GATE_SECONDS)
        outcomes.append(auth.attempt("john@example.com", f"guess-{index}").outcome)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GATE_SECONDS)
    assert verifier.most == 1, f"{verifier.most} guesses on one account were checked at once"
    assert outcomes.count(Outcome.INVALID) == 2 and outcomes.count(Outcome.LOCKED) == 6, outcomes
    assert auth.state("john@example.com").consecutive == 3


@pytest.fixture
def site() -> LoginSite:
    site = LoginSite.create(clock=ManualClock(), parameters=INSECURE_FOR_TESTS, allow_weak_hashing=True)
    site.register("John", "john@example.com", "mypassword123")
    return site


@pytest.fixture
def driver(site: LoginSite) -> Iterator[InProcessDriver]:
    driver = InProcessDriver(site.app)
    yield driver
    driver.close()


def _sign_in(driver: InProcessDriver) -> None:
    driver.open("/login")
    driver.fill("Email", "john@example.com")
    driver.fill("Password", "mypassword123")
    driver.click("Login")
    assert driver.page_name() == "dashboard"


def test_cookieless_visits_store_no_session(site: LoginSite, driver: InProcessDriver) -> None:
    """A visitor who only looks at pages (or fails to sign in) leaves no session row behind."""
    for _ in range(20):
        driver.client.cookies.clear()
        driver.open("/login")
        driver.open("/dashboard")
    driver.fill("Email", "john@example.com")
    driver.fill("Password", "wrong")
    driver.click("Login")
    assert driver.alerts() == ["Invalid email or password"]
    assert site.store.session_count() == 0
    _sign_in(driver)
    assert site.store.session_count() == 1


def test_a_signed_out_visitor_leaves_no_session(site: LoginSite, driver: InProcessDriver) -> None:
    """Logging out deletes the session, and the login page shown after it stores none."""
    _sign_in(driver)
    driver.click("Log out")
    assert driver.page_name() == "login"
    assert site.store.session_count() == 0


def test_expired_sessions_are_purged(site: LoginSite, driver: InProcessDriver) -> None:
    """Sessions nobody comes back to are deleted once their maximum age has passed."""
    for _ in range(5):
        driver.client.cookies.clear()
        _sign_in(driver)
    assert site.store.session_count() == 5
    site.advance(site.sessions.policy.max_age_seconds + 1)
    driver.client.cookies.clear()
    _sign_in(driver)
    assert site.store.session_count() == 1


def test_failure_rows_are_purged_once_forgotten() -> None:
    """One failure each for many unknown emails: their rows go once the policy forgets them."""
    clock = ManualClock()
    auth = Authenticator(LoginStore(), PasswordVerifier(INSECURE_FOR_TESTS, allow_weak=True), clock=clock)
    for index in range(50):
        auth.attempt(f"nobody-{index}@example.com", "guess")
    assert auth.store.failure_count() == 50
    clock.advance(auth.policy.forget_after_seconds)
    auth.attempt("someone@example.com", "guess")
    assert auth.store.failure_count() == 1


def test_ended_locks_are_purged() -> None:
    """A lock that has ended leaves no row behind."""
    clock = ManualClock()
    auth = Authenticator(LoginStore(), PasswordVerifier(INSECURE_FOR_TESTS, allow_weak=True), clock=clock)
    for _ in range(3):
        auth.attempt("nobody@example.com", "guess")
    assert auth.state("nobody@example.com").locked_until is not None
    clock.advance(auth.policy.lock_seconds + 60)
    auth.attempt("someone@example.com", "guess")
    assert auth.store.failure_count() == 1


def test_failures_within_the_window_still_count() -> None:
    """Forgetting old failures does not weaken the lock: failures inside the window add up."""
    clock = ManualClock()
    auth = Authenticator(LoginStore(), PasswordVerifier(INSECURE_FOR_TESTS, allow_weak=True), clock=clock)
    auth.attempt("john@example.com", "guess")
    auth.attempt("john@example.com", "guess")
    clock.advance(auth.policy.forget_after_seconds - 1)
    assert auth.attempt("john@example.com", "guess").outcome is Outcome.LOCKED


def test_failures_older_than_the_window_are_forgotten() -> None:
    """Two failures a day ago do not make today's first failure the third."""
    clock = ManualClock()
    auth = Authenticator(LoginStore(), PasswordVerifier(INSECURE_FOR_TESTS, allow_weak=True), clock=clock)
    auth.attempt("john@example.com", "guess")
    auth.attempt("john@example.com", "guess")
    clock.advance(auth.policy.forget_after_seconds)
    assert auth.attempt("john@example.com", "guess").outcome is Outcome.INVALID
    assert auth.state("john@example.com").consecutive == 1


def test_the_forget_window_must_outlast_the_lock() -> None:
    with pytest.raises(ValueError, match="forget_after_seconds"):
        LockoutPolicy(lock_seconds=900, forget_after_seconds=60)


def test_an_anonymous_cookie_expires_like_a_session() -> None:
    """The signed anonymous cookie carries its issue time: after a session's maximum age it is refused."""
    clock = ManualClock()
    sessions = SessionManager(LoginStore(), b"k" * 32, clock=clock)
    record = sessions.anonymous()
    cookie = sessions.cookie_value(record)
    assert sessions.load(cookie) == record
    assert sessions.store.session_count() == 0
    clock.advance(sessions.policy.max_age_seconds + 1)
    with pytest.raises(SessionError, match="expired"):
        sessions.load(cookie)
