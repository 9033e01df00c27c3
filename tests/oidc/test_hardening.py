"""Regression tests for hostile input to the provider and the relying party (session fixation, nbf,
brute force, unbounded state, 500s on odd parameters, redirect URIs with a query)."""

from __future__ import annotations

import functools
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from livingspec.oidc import (
    AccessDeniedError,
    AccessTokenValidator,
    Cast,
    ClientRegistration,
    ClientSettings,
    IdTokenValidator,
    InvalidRequestError,
    JwksCache,
    KeyRing,
    LoginThrottledError,
    ManualClock,
    NotYetValidError,
    OIDCError,
    OpenIDProvider,
    ProviderSettings,
    RelyingParty,
    RelyingPartyApp,
    SigningKey,
    User,
    new_signing_key,
    open_deployment,
    provider_app,
    s256,
)
from livingspec.oidc.deployment import SyncASGITransport

ISSUER = "https://op.example.test"
USER = User("248289761001", "alice", "wonderland", {"name": "Alice Liddell"})
REDIRECT = "https://app.example.test/cb?tenant=7"
VERIFIER = "v" * 43


@functools.cache
def key(alg: str, kid: str) -> SigningKey:
    return new_signing_key(alg, kid)


def provider(clock: ManualClock, **settings: float) -> OpenIDProvider:
    op = OpenIDProvider(
        ISSUER,
        KeyRing(clock, [key("RS256", "rs-1")]),
        clock,
        settings=ProviderSettings(**settings),  # type: ignore[arg-type]
    )
    op.register_client(ClientRegistration("webapp", "secret", (REDIRECT,)))
    op.add_user(USER)
    return op


def authorize_params(**extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "webapp",
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "st",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        **extra,
    }


def cast() -> Cast:
    return Cast(
        [key("RS256", "rs-1"), key("ES256", "es-1")],
        ClientRegistration("webapp", "secret", ()),
        ClientSettings("webapp", "secret", ""),
        USER,
    )


# --- session fixation at the relying party (issue 18 item 3) ---------------------------------


def test_a_session_cookie_planted_before_login_never_becomes_the_signed_in_session() -> None:
    """Before the fix the app kept the browser's rp_session, so the attacker's cookie was signed in."""
    running = open_deployment("embedded", cast(), ManualClock(), seed=5)
    try:
        app_host = urlsplit(running.app_url).hostname or ""
        running.browser.http.cookies.set(RelyingPartyApp.COOKIE, "planted-by-attacker", domain=app_host)
        page = running.browser.sign_in(running.app_url, "alice", "wonderland")
        assert "Signed in as Alice Liddell" in page.text
        assert "planted-by-attacker" not in running.rp_app.sessions
        attacker = httpx.Client(transport=SyncASGITransport(running.rp_app.app))
        attacker.cookies.set(RelyingPartyApp.COOKIE, "planted-by-attacker")
        answer = attacker.get(f"{running.app_url}/")
        assert "Signed in" not in answer.text
    finally:
        running.close()


def test_the_session_id_changes_when_the_login_completes() -> None:
    running = open_deployment("embedded", cast(), ManualClock(), seed=6)
    try:
        login = running.browser.http.get(f"{running.app_url}/login")
        during = login.cookies[RelyingPartyApp.COOKIE]
        running.browser.sign_in(running.app_url, "alice", "wonderland")
        assert list(running.rp_app.sessions) and during not in running.rp_app.sessions
    finally:
        running.close()


def test_an_unknown_target_lists_the_known_ones() -> None:
    with pytest.raises(OIDCError, match="unknown target 'staging'; known: embedded, real"):
        open_deployment("staging", cast(), ManualClock())


# --- nbf (item 4) ------------------------------------------------------------------------------


@pytest.mark.parametrize(("offset", "accepted"), [(0, True), (60, True), (61, False), (300, False)])
def test_nbf_in_the_future_is_refused_beyond_the_clock_skew(offset: int, accepted: bool) -> None:
    """Before the fix nbf was checked nowhere: a token not valid for five more minutes passed."""
    clock = ManualClock()
    op = provider(clock)
    now = int(clock())
    claims = {"iss": ISSUER, "sub": USER.sub, "aud": "webapp", "iat": now, "exp": now + 600, "nbf": now + offset}
    id_token = key("RS256", "rs-1").sign(claims, {"typ": "JWT"})
    access_claims = {**claims, "aud": "https://api.example.test", "client_id": "webapp", "jti": "j1"}
    access_token = key("RS256", "rs-1").sign(access_claims, {"typ": "at+jwt"})
    jwks = JwksCache(op.jwks, clock)
    checks = [
        lambda: IdTokenValidator(ISSUER, "webapp", jwks, clock).validate(id_token, nonce=None),
        lambda: AccessTokenValidator(ISSUER, "https://api.example.test", jwks, clock).validate(access_token),
    ]
    for check in checks:
        if accepted:
            assert check()["sub"] == USER.sub
        else:
            with pytest.raises(NotYetValidError, match="nbf"):
                check()


# --- brute force and growth (item 5) -----------------------------------------------------------


def test_wrong_passwords_lock_the_account_even_against_the_right_one() -> None:
    """Before the fix 200 wrong passwords and then the right one signed in with no throttle."""
    clock = ManualClock()
    op = provider(clock)
    txn = op.start_authorization(authorize_params()).txn
    for _ in range(5):
        with pytest.raises(AccessDeniedError):
            op.authenticate(txn, "alice", "guess")
    with pytest.raises(LoginThrottledError) as locked:
        op.authenticate(txn, "alice", "wonderland")
    assert 0 < locked.value.retry_after <= 900
    clock.advance(900)
    assert op.authenticate(op.start_authorization(authorize_params()).txn, "alice", "wonderland") == USER


def test_unknown_usernames_lock_the_same_way_and_the_records_are_bounded() -> None:
    clock = ManualClock()
    op = provider(clock, max_tracked_accounts=50)
    txn = op.start_authorization(authorize_params()).txn
    for _ in range(5):
        with pytest.raises(AccessDeniedError):
            op.authenticate(txn, "mallory", "x")
    with pytest.raises(LoginThrottledError):
        op.authenticate(txn, "mallory", "x")
    for index in range(200):
        with pytest.raises(AccessDeniedError):
            op.authenticate(txn, f"user-{index}", "x")
    assert op.tracked_accounts() == 50


def test_a_success_resets_the_failure_count() -> None:
    clock = ManualClock()
    op = provider(clock)
    txn = op.start_authorization(authorize_params()).txn
    for _ in range(3):
        for _ in range(4):
            with pytest.raises(AccessDeniedError):
                op.authenticate(txn, "alice", "guess")
        op.authenticate(txn, "alice", "wonderland")


def test_the_login_page_answers_429_with_retry_after_when_locked() -> None:
    clock = ManualClock()
    op = provider(clock)
    http = httpx.Client(transport=SyncASGITransport(provider_app(op)), base_url=ISSUER)
    txn = op.start_authorization(authorize_params()).txn
    wrong = {"txn": txn, "username": "alice", "password": "no"}
    statuses = [http.post("/login", data=wrong).status_code for _ in range(5)]
    locked = http.post("/login", data={"txn": txn, "username": "alice", "password": "wonderland"})
    assert statuses == [401] * 5
    assert locked.status_code == 429 and locked.headers["retry-after"] == "900"


def test_authorization_transactions_expire() -> None:
    """Before the fix a transaction opened at /authorize could be finished at any later time."""
    clock = ManualClock()
    op = provider(clock)
    txn = op.start_authorization(authorize_params()).txn
    clock.advance(600)
    with pytest.raises(InvalidRequestError, match="expired"):
        op.authenticate(txn, "alice", "wonderland")
    assert op.open_transactions("webapp") == 0


def test_authorization_transactions_are_capped_per_client_oldest_first() -> None:
    """Before the fix every /authorize added a transaction that was never dropped."""
    clock = ManualClock()
    op = provider(clock, max_transactions_per_client=10)
    txns = [op.start_authorization(authorize_params()).txn for _ in range(25)]
    assert op.open_transactions("webapp") == 10
    with pytest.raises(InvalidRequestError):
        op.transaction(txns[0])
    assert op.transaction(txns[-1]).txn == txns[-1]


def test_pending_logins_at_the_relying_party_expire_and_are_capped() -> None:
    """Before the fix each /login from a new browser added a pending login that stayed forever."""
    clock = ManualClock()
    op = provider(clock)
    http = httpx.Client(transport=SyncASGITransport(provider_app(op)))
    rp = RelyingParty(ISSUER, ClientSettings("webapp", "secret", REDIRECT), http, clock)
    app = RelyingPartyApp(rp, pending_lifetime=600, max_pending=20)
    browser = httpx.Client(transport=SyncASGITransport(app.app), base_url="https://app.example.test")
    for _ in range(50):
        browser.cookies.clear()
        assert browser.get("/login").status_code == 302
    assert len(app.pending) == 20
    clock.advance(600)
    assert len(app.pending) == 0


# --- 500s and redirects (item 6) ---------------------------------------------------------------


@pytest.mark.parametrize("max_age", ["²", "1.5", "-1", "12345678901", "٣"])
def test_a_max_age_that_is_not_ascii_digits_is_an_oauth_error(max_age: str) -> None:
    """Before the fix max_age=² passed str.isdigit, then float() raised: a 500."""
    op = provider(ManualClock())
    http = httpx.Client(transport=SyncASGITransport(provider_app(op)), base_url=ISSUER)
    response = http.get("/authorize", params=authorize_params(max_age=max_age))
    assert response.status_code == 302
    answer = dict(parse_qsl(urlsplit(response.headers["location"]).query))
    assert answer["error"] == "invalid_request" and "max_age" in answer["error_description"]


@pytest.mark.parametrize("raw", [b"Basic \xff\xfe\xfd", b"Basic d2Vi\xe9YXBw", b"basic \xc3\xa9"])
def test_a_basic_header_with_non_ascii_bytes_is_invalid_client(raw: bytes) -> None:
    """Before the fix base64 decoding raised an uncaught ValueError: a 500."""
    op = provider(ManualClock())
    http = httpx.Client(transport=SyncASGITransport(provider_app(op)), base_url=ISSUER)
    response = http.post("/token", data={"grant_type": "authorization_code"}, headers={"Authorization": raw})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_redirect_uri_with_a_query_keeps_it_and_gets_the_code_beside_it() -> None:
    """Before the fix the answer was '...cb?tenant=7?code=...': code and state were swallowed into tenant."""
    clock = ManualClock()
    op = provider(clock)
    txn = op.start_authorization(authorize_params()).txn
    op.authenticate(txn, "alice", "wonderland")
    location = op.consent(txn, allow=True)
    parts = urlsplit(location)
    answer = dict(parse_qsl(parts.query))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://app.example.test/cb"
    assert answer["tenant"] == "7" and answer["state"] == "st" and answer["code"]


def test_an_error_sent_back_to_a_redirect_uri_with_a_query_keeps_it() -> None:
    op = provider(ManualClock())
    http = httpx.Client(transport=SyncASGITransport(provider_app(op)), base_url=ISSUER)
    response = http.get("/authorize", params=authorize_params(code_challenge_method="plain"))
    answer = dict(parse_qsl(urlsplit(response.headers["location"]).query))
    assert answer == {
        "tenant": "7",
        "error": "invalid_request",
        "error_description": answer["error_description"],
        "state": "st",
    }
