"""Steps of the OpenID Connect ID token features: a provider, a relying party, a user, tokens.

Phrases: an OpenID provider that signs ID tokens with <alg>; the relying party authenticates at the
token endpoint with <method>; the OpenID provider's JWKS publishes two RS256 keys and one ES256 key;
the OpenID provider answers UserInfo about subject "<sub>"; the user signs in through the relying
party's app as "<user>" with password "<pw>" (optionally denying consent, or with the redirect back
delayed or its state replaced); the OpenID login flow took these steps; the ID token the relying
party received has claim / header / parts ...; the relying party refuses the login with <error>; a
genuine <alg> ID token issued by the OpenID provider; the ID token is forged with <tampering>; the
relying party rejects the ID token with <error> / accepts it; the OpenID provider rotates its <alg>
signing key to "<kid>"; the OpenID clock advances by <n> seconds; the resource server's verdict on
the access/ID token; the relying party fetched the JWKS <n> times. Described tokens: a <alg> ID token
from the OpenID provider described as (table field, value); the ID token is replaced by one described
as (table); the ID token is re-signed with the claim / header <name> set to <value>; the relying
party's verdict on the ID token is <verdict>.

The target (``-D target=real``, ``pytest --target=real``) picks the deployment through
livingspec.oidc.open_deployment: in process, or uvicorn on two loopback ports.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from behave import given, step, then, when

from livingspec.oidc import (
    SUPPORTED_ALGS,
    TAMPERINGS,
    AccessTokenValidator,
    Cast,
    ClientRegistration,
    ClientSettings,
    Deployment,
    Forgery,
    JwksCache,
    ManualClock,
    OIDCError,
    RelyingPartyApp,
    SignIn,
    SigningKey,
    TokenDescription,
    TokenRequestError,
    TokenValidationError,
    User,
    errors,
    forge,
    issue_genuine,
    new_signing_key,
    open_deployment,
    parse_token,
    tamper,
)
from livingspec.oidc.provider import AUTH_METHODS
from livingspec.runner import evidence, types
from livingspec.runner.targets import target_of
from livingspec.runner.types import choice
from livingspec.runner.world import need, need_table, world

TEST_USER = User(
    sub="248289761001",
    username="alice",
    password="wonderland",
    claims={"name": "Alice Liddell", "email": "alice@example.test", "email_verified": True},
)
NONCE = "n-0S6_WzA2Mj"
GENUINE_GIVEN = "Given a genuine RS256 ID token issued by the OpenID provider for the relying party"
SIGN_IN_WHEN = 'When the user signs in through the relying party\'s app as "alice" with password "wonderland"'
ANY_TEXT = r".+"


def _error_names(root: type[Exception]) -> tuple[str, ...]:
    """The names of ``root`` and its subclasses defined by the OIDC errors module, sorted."""
    found: list[str] = []
    pending: list[type[Exception]] = [root]
    while pending:
        kind = pending.pop()
        if kind.__module__ == errors.__name__:
            found.append(kind.__name__)
        pending.extend(kind.__subclasses__())
    return tuple(sorted(set(found)))


VALIDATION_ERRORS = _error_names(TokenValidationError)
types.register(
    OidcAlg=choice("signing algorithm", SUPPORTED_ALGS),
    OidcAuthMethod=choice("client authentication method", AUTH_METHODS),
    OidcTampering=choice("tampering", sorted(TAMPERINGS), ANY_TEXT),
    OidcTokenError=choice("token validation error", VALIDATION_ERRORS),
    OidcLoginError=choice("relying party error", _error_names(errors.OIDCError)),
    OidcVerdict=choice("verdict", ("accepted", *VALIDATION_ERRORS)),
    OidcTokenKind=choice("token kind", ("access", "ID")),
)


@functools.cache
def _key(alg: str, kid: str) -> SigningKey:
    """Keys are generated once per process (RSA key generation is the slow part)."""
    return new_signing_key(alg, kid)


def _default_keys() -> list[SigningKey]:
    return [_key("RS256", "rs-2026-01"), _key("ES256", "es-2026-01")]


@dataclass
class Exchange:
    """What a code exchange outside the app's callback got: refused with ``error``, or tokens (None)."""

    error: TokenRequestError | None


@dataclass
class OidcWorld:
    """One scenario's state: the cast to deploy, the running deployment, tokens and verdicts."""

    clock: ManualClock = field(default_factory=ManualClock)
    keys: list[SigningKey] = field(default_factory=_default_keys)
    client: ClientRegistration = field(
        default_factory=lambda: ClientRegistration("webapp", "webapp-secret", (), "client_secret_basic", "RS256")
    )
    client_settings: ClientSettings = field(
        default_factory=lambda: ClientSettings("webapp", "webapp-secret", "", max_age=3600)
    )
    deployment: Deployment | None = None
    after_deploy: list[Callable[[Deployment], None]] = field(default_factory=list)
    response: httpx.Response | None = None  #: the last page the browser got
    token: str | None = None  #: the token under test
    forgery: Forgery | None = None  #: the genuine token's parts, to tamper with
    access_token: str = ""  #: the access token issued beside the genuine ID token
    attacker: Exchange | None = None
    replay: Exchange | None = None
    redirect_query: str = ""  #: a query on the registered redirect URI
    guesses: list[int] = field(default_factory=list)  #: the provider's statuses for wrong passwords

    @property
    def genuine(self) -> Forgery:
        return need(self.forgery, "a genuine ID token", GENUINE_GIVEN)

    @property
    def presented(self) -> str:
        return need(self.token, "an ID token", GENUINE_GIVEN)

    @property
    def page(self) -> httpx.Response:
        return need(self.response, "a page the browser received", SIGN_IN_WHEN)


def _w(context: Any) -> OidcWorld:
    return world(context, OidcWorld)


def _deployed(context: Any) -> Deployment:
    """Deploy on the selected target the first time something needs the running system."""
    w = _w(context)
    if w.deployment is None:
        cast = Cast(w.keys, w.client, w.client_settings, TEST_USER, redirect_query=w.redirect_query)
        w.deployment = open_deployment(target_of(context), cast, w.clock, seed=3)
        context.add_cleanup(w.deployment.close)
        for action in w.after_deploy:
            action(w.deployment)
    return w.deployment


def _verdict(action: Callable[[], object]) -> str:
    try:
        action()
    except OIDCError as error:
        return type(error).__name__
    return "accepted"


def _attach_token(name: str, token: str) -> None:
    """The decoded header and claims (signature shown as sent; never a private key)."""
    try:
        parsed = parse_token(token)
    except OIDCError as error:
        evidence.attach_text(name, f"{token}\n\n(not decodable: {error})")
        return
    evidence.attach_json(
        name, {"header": parsed.header, "claims": parsed.claims, "signature (base64url)": token.rsplit(".", 1)[-1]}
    )


def _show_flow(deployment: Deployment) -> None:
    """Evidence of a flow: the browser's steps, the back channel, and the ID token decoded (if any)."""
    rows = [[s.number, s.description, s.request, s.status] for s in deployment.browser.trace]
    evidence.attach_table("login flow (browser)", ["step", "what", "request", "status"], rows)
    evidence.attach_text("back channel (relying party to provider)", "\n".join(deployment.back_channel) or "(none)")
    if deployment.rp_app.sign_ins:
        _attach_token("ID token received (decoded)", deployment.rp_app.sign_ins[-1].id_token)
    else:
        errors_seen = deployment.rp_app.errors
        evidence.attach_text(
            "no ID token accepted", f"relying party's error: {errors_seen[-1]}" if errors_seen else "no callback"
        )


def _last_sign_in(context: Any) -> SignIn:
    app = _deployed(context).rp_app
    assert app.sign_ins, f"expected a completed sign-in at the relying party; it refused with {app.errors!r}"
    return app.sign_ins[-1]


def _exchange(deployment: Deployment, code: str, verifier: str) -> Exchange:
    try:
        deployment.rp.exchange(code, verifier)
    except TokenRequestError as error:
        return Exchange(error)
    return Exchange(None)


# --- setup ------------------------------------------------------------------------------------


@given("an OpenID provider and a relying party registered with it")
def step_cast(context: Any) -> None:
    """Set up the provider (an RS256 and an ES256 key, the test user) and the client 'webapp'."""
    _w(context)


@given("an OpenID provider that signs ID tokens with {alg:OidcAlg}")
def step_alg(context: Any, alg: str) -> None:
    """Have the provider sign the client's ID tokens with RS256 or ES256."""
    w = _w(context)
    w.client = dataclasses.replace(w.client, id_token_signed_response_alg=alg)


@given("the relying party authenticates at the OpenID token endpoint with {method:OidcAuthMethod}")
def step_auth_method(context: Any, method: str) -> None:
    """Register the client for client_secret_basic or client_secret_post."""
    w = _w(context)
    w.client = dataclasses.replace(w.client, token_endpoint_auth_method=method)


@given("the relying party trusts the extra audience {audience}")
def step_trusted_audience(context: Any, audience: str) -> None:
    """Let the client accept ID tokens that also name this audience (with azp)."""
    w = _w(context)
    w.client_settings = dataclasses.replace(w.client_settings, trusted_audiences=(audience,))


@given("the OpenID provider's JWKS publishes two RS256 keys and one ES256 key")
def step_two_rs_keys(context: Any) -> None:
    """Rotate the RS256 key once, so the retired key is still published beside the new one."""

    def rotate(deployment: Deployment) -> None:
        deployment.provider.rotate_key(_key("RS256", "rs-2026-02"))

    _w(context).after_deploy.append(rotate)


@given('the OpenID provider answers UserInfo about subject "{sub}"')
def step_bad_userinfo(context: Any, sub: str) -> None:
    """Make the provider misbehave: UserInfo names another subject (rp-userinfo-bad-sub-claim)."""

    def misbehave(deployment: Deployment) -> None:
        deployment.provider.faults.userinfo_sub = sub

    _w(context).after_deploy.append(misbehave)


# --- the login flow ---------------------------------------------------------------------------


@when('the user signs in through the relying party\'s app as "{username}" with password "{password}"')
def step_sign_in(context: Any, username: str, password: str) -> None:
    """Run the seed's flow in a browser: Login, credentials and consent at the provider, back to the app."""
    deployment = _deployed(context)
    _w(context).response = deployment.browser.sign_in(deployment.app_url, username, password)
    _show_flow(deployment)


@when("the user signs in through the relying party's app but denies consent at the OpenID provider")
def step_deny(context: Any) -> None:
    """Log in at the provider but refuse to share the identity with the app."""
    deployment = _deployed(context)
    _w(context).response = deployment.browser.sign_in(deployment.app_url, "alice", "wonderland", allow=False)
    _show_flow(deployment)


@when("the user signs in at the OpenID provider but the redirect back is delayed by {seconds:d} seconds")
def step_delayed(context: Any, seconds: int) -> None:
    """Sign in and consent; ``seconds`` pass before the browser follows the redirect back to the app."""
    w, deployment = _w(context), _deployed(context)
    deployment.browser.start(deployment.app_url, "alice", "wonderland")
    w.clock.advance(seconds)
    w.response = deployment.browser.finish()
    _show_flow(deployment)


@when("the user signs in at the OpenID provider but the redirect back carries another state")
def step_other_state(context: Any) -> None:
    """Sign in; an attacker's redirect with another state reaches the app (login CSRF)."""
    deployment = _deployed(context)
    deployment.browser.start(deployment.app_url, "alice", "wonderland")
    forged = deployment.browser.callback_with(state="attacker-state")
    _w(context).response = deployment.browser.finish(forged)
    _show_flow(deployment)


@when("an attacker redeems the intercepted authorization code at the OpenID provider without the PKCE verifier")
def step_attacker(context: Any) -> None:
    """The code leaks before the app uses it; the attacker tries it with a verifier of their own."""
    deployment = _deployed(context)
    deployment.browser.start(deployment.app_url, "alice", "wonderland")
    code = deployment.browser.callback_params()["code"]
    _w(context).attacker = _exchange(deployment, code, "attacker-verifier-" + "x" * 40)


@when("the browser then completes the redirect back to the relying party")
def step_finish(context: Any) -> None:
    """Follow the provider's redirect back to the app, which exchanges the code."""
    deployment = _deployed(context)
    _w(context).response = deployment.browser.finish()
    _show_flow(deployment)


@when("the authorization code is presented to the OpenID token endpoint a second time")
def step_replay(context: Any) -> None:
    """Replay the code the app already exchanged, as an attacker who saw it would."""
    deployment = _deployed(context)
    callbacks = need(deployment.rp_app.callbacks or None, "a completed redirect back to the app", SIGN_IN_WHEN)
    request, params = callbacks[-1]
    _w(context).replay = _exchange(deployment, params.get("code", ""), request.code_verifier)


@then("the OpenID login flow took these steps:")
def step_flow_steps(context: Any) -> None:
    """Compare the browser's trace with the table, row by row and in order.

    Columns: step (its number from 1), what (the step in words, exactly as the trace says it), request
    (method and path, e.g. GET /authorize), status (the HTTP status answered, e.g. 302).
    """
    trace = _deployed(context).browser.trace
    seen = [[str(s.number), s.description, s.request, str(s.status)] for s in trace]
    table = need_table(context, ["step", "what", "request", "status"])
    expected = [[row["step"], row["what"], row["request"], row["status"]] for row in table]
    evidence.attach_table("the login flow as the browser saw it", ["step", "what", "request", "status"], seen)
    assert seen == expected, f"expected the flow {expected}, the browser saw {seen}"


@then("the relying party's back channel to the OpenID provider made these requests: {requests:Words}")
def step_back_channel(context: Any, requests: list[str]) -> None:
    """Check the server-to-server requests the app made (discovery, token, JWKS, UserInfo)."""
    seen = _deployed(context).back_channel
    evidence.attach_text("back channel", "\n".join(seen))
    assert seen == requests, f"expected the back channel {requests}, saw {seen}"


@then('the relying party\'s app greets the user as "{name}"')
def step_greeting(context: Any, name: str) -> None:
    """The app's page after login names the user."""
    text = _w(context).page.text
    assert f"Signed in as {name}" in text, f"expected the app to greet {name!r}, its page says {text!r}"


@then('the ID token the relying party received has the claim {claim} equal to "{value}"')
def step_claim(context: Any, claim: str, value: str) -> None:
    """Check one claim of the validated ID token (compared as text)."""
    sign_in = _last_sign_in(context)
    _attach_token("ID token (decoded)", sign_in.id_token)
    seen = sign_in.claims.get(claim)
    assert str(seen) == value, f"expected {claim} = {value!r}, got {seen!r}"


@then("the ID token the relying party received carries the claims {claims:Words}")
def step_claims_present(context: Any, claims: list[str]) -> None:
    """Check that each named claim is present in the validated ID token."""
    sign_in = _last_sign_in(context)
    _attach_token("ID token (decoded)", sign_in.id_token)
    evidence.attach_records("claims", [{"claim": k, "value": v} for k, v in sign_in.claims.items()])
    missing = [claim for claim in claims if claim not in sign_in.claims]
    assert not missing, f"expected the claims {claims}, missing {missing} in {sorted(sign_in.claims)}"


@then("the ID token the relying party received was issued by the OpenID provider")
def step_issuer(context: Any) -> None:
    """iss is exactly the provider's issuer identifier (its URL on this target)."""
    issuer = _deployed(context).provider.issuer
    iss = _last_sign_in(context).claims.get("iss")
    assert iss == issuer, f"expected iss {issuer!r}, got {iss!r}"


@then("the ID token the relying party received carries the nonce the relying party sent")
def step_nonce_sent(context: Any) -> None:
    """The token's nonce is the one in the authentication request (replay protection)."""
    request, _ = _deployed(context).rp_app.callbacks[-1]
    claims = _last_sign_in(context).claims
    assert claims.get("nonce") == request.nonce, f"expected nonce {request.nonce!r}, got {claims.get('nonce')!r}"


@then('the ID token the relying party received has the header {name} equal to "{value}"')
def step_header(context: Any, name: str, value: str) -> None:
    """Check one field of the ID token's JOSE header (alg, kid, typ, ...), compared as text."""
    sign_in = _last_sign_in(context)
    header = parse_token(sign_in.id_token).header
    _attach_token("ID token (decoded)", sign_in.id_token)
    assert str(header.get(name)) == value, f"expected header {name} = {value!r}, got {header.get(name)!r}"


@then("the ID token the relying party received is {parts:d} base64url parts joined by dots")
def step_parts(context: Any, parts: int) -> None:
    """The compact serialization: header.claims.signature, each unpadded base64url."""
    token = _last_sign_in(context).id_token
    _attach_token("ID token (decoded)", token)
    pieces = token.split(".")
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(pieces) == parts, f"expected {parts} parts, got {len(pieces)}"
    assert all(piece and set(piece) <= alphabet for piece in pieces), f"a part is not base64url: {token!r}"


@then("the ID token the relying party received is valid for {seconds:d} seconds after it was issued")
def step_lifetime(context: Any, seconds: int) -> None:
    """exp - iat, the ID token's lifetime in seconds."""
    claims = _last_sign_in(context).claims
    lifetime = claims["exp"] - claims["iat"]
    assert lifetime == seconds, f"expected a lifetime of {seconds} s, the token says {lifetime} s"


@then("the relying party refuses the login with {error:OidcLoginError}")
def step_refused(context: Any, error: str) -> None:
    """The app's callback failed with this error type (an OIDC error class name); no user is signed in."""
    app = _deployed(context).rp_app
    seen = type(app.errors[-1]).__name__ if app.errors else "no error"
    evidence.attach_text("relying party's error", str(app.errors[-1]) if app.errors else "none")
    assert seen == error, f"expected the login refused with {error}, saw {seen}"
    assert not app.sign_ins, "expected no signed-in user"


@then('the OpenID token endpoint answered "{code}"')
def step_token_error_code(context: Any, code: str) -> None:
    """The OAuth error code (RFC 6749 5.2) of the last refused exchange."""
    app_errors = _deployed(context).rp_app.errors
    seen = getattr(app_errors[-1], "code", None) if app_errors else None
    assert seen == code, f"expected the token endpoint to answer {code!r}, it answered {seen!r}"


def _refused(exchange: Exchange, what: str, code: str) -> None:
    assert exchange.error is not None, f"expected {what} to be refused, it got tokens"
    assert exchange.error.code == code, f"expected {code!r}, got {exchange.error.code!r}"


@then('the OpenID provider refused the attacker with "{code}"')
def step_attacker_refused(context: Any, code: str) -> None:
    """The attacker's code exchange got this OAuth error."""
    attacker = need(_w(context).attacker, "an attacker's code exchange", "When an attacker redeems the intercepted …")
    _refused(attacker, "the attacker's exchange", code)


@then('the OpenID provider refused the second exchange with "{code}"')
def step_replay_refused(context: Any, code: str) -> None:
    """The replayed code got this OAuth error."""
    replay = need(_w(context).replay, "a replayed code", "When the authorization code is presented … a second time")
    _refused(replay, "the replayed code", code)


@then("the OpenID UserInfo endpoint now refuses the access token issued with that code")
def step_revoked(context: Any) -> None:
    """Tokens issued with a replayed code are revoked (RFC 6749 4.1.2)."""
    sign_in = _last_sign_in(context)
    try:
        _deployed(context).rp.userinfo(sign_in.access_token, sign_in.claims["sub"])
    except TokenRequestError as error:
        assert error.code == "invalid_token", f"expected invalid_token, got {error.code}"
    else:
        raise AssertionError("expected UserInfo to refuse the revoked access token, it answered")


@then("the OpenID provider shows the login page again and the relying party received no ID token")
def step_wrong_password(context: Any) -> None:
    """Wrong credentials: the provider answers 401 with its form; the app saw no callback."""
    status = _w(context).page.status_code
    assert status == 401, f"expected 401 from the provider, got {status}"
    assert not _deployed(context).rp_app.callbacks, "expected no redirect back to the app"


# --- hostile browsers -------------------------------------------------------------------------


@given('an attacker has planted the relying party session cookie "{session}" in the user\'s browser')
def step_plant_cookie(context: Any, session: str) -> None:
    """Session fixation: the attacker makes the user's browser carry a session id the attacker knows."""
    deployment = _deployed(context)
    host = httpx.URL(deployment.app_url).host
    deployment.browser.http.cookies.set(RelyingPartyApp.COOKIE, session, domain=host)


@then('the planted session cookie "{session}" is not signed in at the relying party')
def step_planted_not_signed_in(context: Any, session: str) -> None:
    """The app's signed-in sessions do not include the planted id; the attacker's browser is not greeted."""
    app = _deployed(context).rp_app
    evidence.attach_text(
        "relying party sessions", f"{len(app.sessions)} signed in; planted id among them: {session in app.sessions}"
    )
    assert session not in app.sessions, f"the planted session {session!r} was signed in (session fixation)"


@step('someone enters a wrong password for "{username}" at the OpenID provider {count:d} times')
def step_guess_passwords(context: Any, username: str, count: int) -> None:
    """A guessing attack: ``count`` wrong passwords for one account on one login transaction."""
    deployment = _deployed(context)
    w = _w(context)
    w.guesses = deployment.browser.guess_passwords(deployment.app_url, username, "not-the-password", count)
    evidence.attach_table("wrong passwords", ["try", "status"], list(enumerate(w.guesses, start=1)))


@then("the OpenID provider refuses the sign-in with status {status:d} and asks to retry after {seconds:d} seconds")
def step_throttled(context: Any, status: int, seconds: int) -> None:
    """The provider's answer to the last sign-in: its HTTP status and its Retry-After header (seconds)."""
    page = _w(context).page
    evidence.attach_text("provider's answer", f"{page.status_code}, Retry-After: {page.headers.get('retry-after')}")
    assert page.status_code == status, f"expected status {status}, the provider answered {page.status_code}"
    assert page.headers.get("retry-after") == str(seconds), f"expected Retry-After {seconds}, got {page.headers}"
    assert not _deployed(context).rp_app.sign_ins, "expected no sign-in at the relying party"


@when('a browser asks the OpenID provider to authorize the relying party with max_age "{max_age}"')
def step_authorize_max_age(context: Any, max_age: str) -> None:
    """Send the app's authentication request with max_age replaced by this text (hand-edited URL)."""
    deployment = _deployed(context)
    _w(context).response = deployment.browser.authorize_with(deployment.app_url, max_age=max_age)


@then('the OpenID provider redirects back to the relying party with the error "{code}"')
def step_error_redirect(context: Any, code: str) -> None:
    """The provider answered with a redirect to the registered URI carrying this OAuth error code."""
    w, deployment = _w(context), _deployed(context)
    assert w.page.status_code == 302, f"expected a redirect back with an error, got {w.page.status_code}"
    params = deployment.browser.callback_params()
    evidence.attach_json("redirect back", params)
    assert params.get("error") == code, f"expected error {code!r}, the redirect carried {params}"


@given('the relying party\'s registered redirect URI carries the query "{query}"')
def step_redirect_query(context: Any, query: str) -> None:
    """Register the client's redirect URI with a query (``tenant=7``), which answers must keep."""
    _w(context).redirect_query = query


@then("the OpenID provider's redirect back to the relying party carried {names:Words}")
def step_redirect_carried(context: Any, names: list[str]) -> None:
    """The parameter names of the provider's redirect back, in order (the registered query's first)."""
    params = _deployed(context).browser.callback_params()
    evidence.attach_json("redirect back", params)
    assert list(params) == names, f"expected the redirect back to carry {names}, it carried {list(params)}"


# --- tokens validated directly ----------------------------------------------------------------


def _issue(context: Any, alg: str) -> None:
    """Mint a genuine ID token (nonce, at_hash, auth_time a minute ago) and keep it as the token under test."""
    w = _w(context)
    client = dataclasses.replace(w.client, id_token_signed_response_alg=alg)
    issued = issue_genuine(_deployed(context).provider, client, TEST_USER, nonce=NONCE)
    w.token, w.forgery, w.access_token = issued.id_token, issued.forgery, issued.access_token


@given("a genuine {alg:OidcAlg} ID token issued by the OpenID provider for the relying party")
def step_genuine(context: Any, alg: str) -> None:
    """Mint a real ID token (with nonce, at_hash, auth_time one minute ago) and keep its parts."""
    _issue(context, alg)


@when("the ID token is forged with {tampering:OidcTampering}")
def step_forge(context: Any, tampering: str) -> None:
    """Replace the token by the tampered or malformed one the tampering names."""
    w = _w(context)
    w.token = tamper(w.genuine, tampering)


def _describe(context: Any, described: TokenDescription) -> None:
    """Make the described token from the genuine one and keep it as the token under test."""
    w = _w(context)
    w.token = forge(w.genuine, described)
    _attach_token("described token (decoded)", w.token)


def _table_description(context: Any) -> TokenDescription:
    rows = [(row["field"], row["value"]) for row in need_table(context, ["field", "value"])]
    evidence.attach_table("token described", ["field", "value"], rows)
    return TokenDescription.from_rows(rows)


@given("a {alg:OidcAlg} ID token from the OpenID provider described as:")
def step_described_token(context: Any, alg: str) -> None:
    """A genuine <alg> ID token changed as the table says (columns field, value).

    Fields: ``claim <name>``, ``header <name>``, ``signature`` (valid, altered, kept from the genuine
    token, none, HS256 keyed with the public key, cut off), ``header segment`` / ``claims segment``
    (raw text; ``base64url:<text>`` encodes it), ``preset`` (a named tampering to start from). Values:
    ``now``, ``now+3600``, ``now-60`` (seconds from issue), ``(absent)``, ``{exp}`` (the genuine
    claim), JSON (numbers, true, "quoted", [arrays], {objects}) or plain text.
    """
    _issue(context, alg)
    _describe(context, _table_description(context))


@when("the ID token is replaced by one described as:")
def step_replace_described(context: Any) -> None:
    """Replace the token under test by the genuine one changed as the table says (columns field, value).

    Fields: claim <name>, header <name>, signature (valid, altered, kept from the genuine token, none,
    HS256 keyed with the public key, cut off), header segment / claims segment (raw text), preset (a
    named tampering). Values: now, now+3600, now-60 (seconds from issue), (absent), {exp} (the
    genuine claim), JSON or plain text.
    """
    _describe(context, _table_description(context))


@when("the ID token is re-signed with the claim {name} set to {value}")
def step_claim_set(context: Any, name: str, value: str) -> None:
    """The genuine token with one claim changed and signed again by the provider's key.

    name: a claim (iss, sub, aud, exp, iat, nonce, azp or any other); value: now, now+3600, now-60
    (seconds from issue), (absent) to remove it, {exp} (the genuine claim), JSON or plain text.
    """
    _describe(context, TokenDescription(claims={name: value}))


@when("the ID token is re-signed with the header {name} set to {value}")
def step_header_set(context: Any, name: str, value: str) -> None:
    """The genuine token with one header field changed and signed again.

    name: a JOSE header field (alg, kid, typ or any other); value: (absent) to remove it, JSON or
    plain text.
    """
    _describe(context, TokenDescription(header={name: value}))


def _validate(context: Any, token: str, max_age: float | None = 3600) -> str:
    rp, w = _deployed(context).rp, _w(context)
    return _verdict(lambda: rp.validate_id_token(token, nonce=NONCE, access_token=w.access_token, max_age=max_age))


@then("the relying party rejects the ID token with {error:OidcTokenError}")
def step_rejects(context: Any, error: str) -> None:
    """Validate the token by every rule; it must fail with this error type (a TokenValidationError name)."""
    token = _w(context).presented
    _attach_token("token presented", token)
    verdict = _validate(context, token)
    assert verdict == error, f"expected the relying party to reject with {error}, its verdict was {verdict}"


@then("the relying party accepts the ID token")
def step_accepts(context: Any) -> None:
    """Validate the token by every rule; it must pass."""
    token = _w(context).presented
    _attach_token("token presented", token)
    verdict = _validate(context, token)
    assert verdict == "accepted", f"expected the relying party to accept the token, it refused: {verdict}"


@then("the relying party's verdict on the ID token is {verdict:OidcVerdict}")
def step_verdict(context: Any, verdict: str) -> None:
    """Validate the token by every rule now: "accepted" or the name of the error it is rejected with."""
    token = _w(context).presented
    seen = _validate(context, token)
    assert seen == verdict, f"expected the relying party's verdict {verdict}, it said {seen}"


@then("the relying party's verdict on the ID token {seconds:d} seconds after issue is {verdict:OidcVerdict}")
def step_verdict_at(context: Any, seconds: int, verdict: str) -> None:
    """Move the clock to issue time + seconds and validate the genuine token (no max_age asked)."""
    w = _w(context)
    w.clock.now = w.genuine.now + seconds
    seen = _validate(context, w.presented, max_age=None)
    assert seen == verdict, f"expected {verdict} at +{seconds} s, the relying party said {seen}"


@when("the relying party is handed the access token as an ID token")
def step_access_as_id(context: Any) -> None:
    """Present the at+jwt access token where an ID token is expected."""
    w = _w(context)
    need(w.forgery, "a genuine ID token and its access token", GENUINE_GIVEN)
    w.token = w.access_token


@then("the resource server's verdict on the {which:OidcTokenKind} token is {verdict:OidcVerdict}")
def step_resource_server(context: Any, which: str, verdict: str) -> None:
    """An API validating bearer tokens (RFC 9068) accepts access tokens and refuses ID tokens."""
    w, deployment = _w(context), _deployed(context)
    jwks = JwksCache(deployment.rp.fetch_jwks, w.clock)
    api = AccessTokenValidator(deployment.provider.issuer, deployment.provider.settings.api_audience, jwks, w.clock)
    need(w.forgery, "a genuine ID token and its access token", GENUINE_GIVEN)
    token = w.access_token if which == "access" else w.presented
    _attach_token(f"{which} token presented to the API", token)
    seen = _verdict(lambda: api.validate(token))
    assert seen == verdict, f"expected the resource server's verdict {verdict} on the {which} token, got {seen}"


# --- keys and time ----------------------------------------------------------------------------


@when('the OpenID provider rotates its {alg:OidcAlg} signing key to "{kid}"')
def step_rotate(context: Any, alg: str, kid: str) -> None:
    """A new key signs from now on; the old one stays published until its tokens expire."""
    _deployed(context).provider.rotate_key(_key(alg, kid))


@when('the OpenID provider withdraws the key "{kid}"')
def step_withdraw(context: Any, kid: str) -> None:
    """Remove a key from the JWKS at once (as after a compromise)."""
    _deployed(context).provider.keys.remove(kid)


@step("the OpenID clock advances by {seconds:d} seconds")
def step_time_passes(context: Any, seconds: int) -> None:
    """Advance the shared clock of provider and relying party by ``seconds``."""
    _w(context).clock.advance(seconds)


@when("the relying party validates a fresh {alg:OidcAlg} ID token from the OpenID provider")
def step_fresh(context: Any, alg: str) -> None:
    """Mint a new genuine token and validate it (it must pass); the earlier token is kept."""
    w = _w(context)
    earlier = (w.token, w.forgery, w.access_token)
    _issue(context, alg)
    verdict = _validate(context, w.presented)
    evidence.attach_text("fresh token's verdict", verdict)
    fresh_kid = parse_token(w.presented).header.get("kid")
    w.token, w.forgery, w.access_token = earlier
    assert verdict == "accepted", f"expected the fresh token (kid {fresh_kid}) to be accepted, got {verdict}"


@when("the relying party is handed {count:d} ID tokens with unknown kids")
def step_unknown_kids(context: Any, count: int) -> None:
    """Forge ``count`` tokens with kids the provider never published; each must be refused."""
    genuine = _w(context).genuine
    verdicts = [_validate(context, genuine.with_header(kid=f"forged-{index}")) for index in range(count)]
    assert set(verdicts) == {"UnknownKeyError"}, f"expected UnknownKeyError for each, got {verdicts}"


@then("the OpenID provider's JWKS publishes the keys {kids:Words}")
def step_jwks_kids(context: Any, kids: list[str]) -> None:
    """The kids in the provider's published JWK Set, oldest first."""
    jwks = _deployed(context).provider.jwks()
    evidence.attach_json("JWKS (public keys only)", jwks)
    seen = [key["kid"] for key in jwks["keys"]]
    assert seen == kids, f"expected the JWKS to publish {kids}, it publishes {seen}"


@then("the relying party fetched the OpenID provider's JWKS {count:d} times")
def step_fetch_count(context: Any, count: int) -> None:
    """How often the relying party downloaded the JWKS (once, then once per rotation)."""
    seen = _deployed(context).rp.jwks.fetch_count
    assert seen == count, f"expected {count} JWKS fetch(es), the relying party made {seen}"
