"""Steps of the OpenID Connect ID token features: a provider, a relying party, a user, tokens.

Phrases: an OpenID provider that signs ID tokens with <alg>; the relying party "<id>" authenticates
at the token endpoint with <method>; the OpenID provider's JWKS publishes two RS256 keys and one
ES256 key; the OpenID provider answers UserInfo about subject "<sub>"; the user signs in through
the relying party's app as "<user>" with password "<pw>" (optionally denying consent, or with
the redirect back delayed or its state replaced); the OpenID login flow took these steps; the
ID token the relying party received has claim / header / parts ...; the relying party refuses
the login with <error>; a genuine <alg> ID token issued by the OpenID provider; the ID token is
forged with <tampering>; the relying party rejects the ID token with <error> / accepts it; the
OpenID provider rotates its <alg> signing key to "<kid>"; <n> seconds pass on the OpenID clock;
the resource server's verdict on the access/ID token; the relying party fetched the JWKS <n> times.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from behave import given, then, when

from livingspec.infra import free_port
from livingspec.oidc import (
    AccessTokenValidator,
    Cast,
    ClientRegistration,
    ClientSettings,
    Deployment,
    Forgery,
    JwksCache,
    ManualClock,
    OIDCError,
    SigningKey,
    TokenRequestError,
    User,
    deploy,
    new_signing_key,
    parse_token,
    tamper,
)
from livingspec.runner import evidence
from livingspec.runner.targets import target_of

TEST_USER = User(
    sub="248289761001",
    username="alice",
    password="wonderland",
    claims={"name": "Alice Liddell", "email": "alice@example.test", "email_verified": True},
)
NONCE = "n-0S6_WzA2Mj"


@functools.cache
def _key(alg: str, kid: str) -> SigningKey:
    """Keys are generated once per process (RSA key generation is the slow part)."""
    return new_signing_key(alg, kid)


class OidcWorld:
    """Per-scenario state: the cast to deploy, the running deployment, tokens and verdicts."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.clock = ManualClock()
        self.keys = [_key("RS256", "rs-2026-01"), _key("ES256", "es-2026-01")]
        self.client = ClientRegistration("webapp", "webapp-secret", (), "client_secret_basic", "RS256")
        self.client_settings = ClientSettings("webapp", "webapp-secret", "", max_age=3600)
        self.deployment: Deployment | None = None
        self.after_deploy: list[Any] = []
        self.response: Any = None
        self.token = ""
        self.forgery: Forgery | None = None
        self.access_token = ""

    def deployed(self) -> Deployment:
        """Deploy on the selected target the first time something needs the running system."""
        if self.deployment is None:
            cast = Cast(self.keys, self.client, self.client_settings, TEST_USER)
            target = target_of(self.context)
            ports = (free_port(), free_port()) if target == "real" else None
            self.deployment = deploy(cast, self.clock, target=target, ports=ports, seed=3)
            self.context.add_cleanup(self.deployment.close)
            for action in self.after_deploy:
                action(self.deployment)
        return self.deployment


def _world(context: Any) -> OidcWorld:
    if not hasattr(context, "oidc"):
        context.oidc = OidcWorld(context)
    world: OidcWorld = context.oidc
    return world


def _verdict(action: Any) -> str:
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


def _show_flow(world: OidcWorld) -> None:
    """Evidence of a flow: the browser's steps, the back channel, and the ID token decoded (if any)."""
    deployment = world.deployed()
    trace = deployment.browser.trace
    rows = [[s.number, s.description, s.request, s.status] for s in trace]
    evidence.attach_table("login flow (browser)", ["step", "what", "request", "status"], rows)
    evidence.attach_text("back channel (relying party to provider)", "\n".join(deployment.back_channel) or "(none)")
    if deployment.rp_app.sign_ins:
        _attach_token("ID token received (decoded)", deployment.rp_app.sign_ins[-1].id_token)
    else:
        errors = deployment.rp_app.errors
        evidence.attach_text(
            "no ID token accepted", f"relying party's error: {errors[-1]}" if errors else "no callback"
        )


def _last_sign_in(world: OidcWorld) -> Any:
    sign_ins = world.deployed().rp_app.sign_ins
    errors = world.deployed().rp_app.errors
    assert sign_ins, f"expected a completed sign-in at the relying party; it refused with {errors!r}"
    return sign_ins[-1]


# --- setup ------------------------------------------------------------------------------------


@given("an OpenID provider and a relying party registered with it")
def step_cast(context):
    """Set up the provider (an RS256 and an ES256 key, the test user) and the client 'webapp'."""
    _world(context)


@given("an OpenID provider that signs ID tokens with {alg}")
def step_alg(context, alg):
    """Have the provider sign the client's ID tokens with RS256 or ES256."""
    world = _world(context)
    world.client = dataclasses.replace(world.client, id_token_signed_response_alg=alg)


@given("the relying party authenticates at the OpenID token endpoint with {method}")
def step_auth_method(context, method):
    """Register the client for client_secret_basic or client_secret_post."""
    world = _world(context)
    world.client = dataclasses.replace(world.client, token_endpoint_auth_method=method)


@given("the relying party trusts the extra audience {audience}")
def step_trusted_audience(context, audience):
    """Let the client accept ID tokens that also name this audience (with azp)."""
    world = _world(context)
    world.client_settings = dataclasses.replace(world.client_settings, trusted_audiences=(audience,))


@given("the OpenID provider's JWKS publishes two RS256 keys and one ES256 key")
def step_two_rs_keys(context):
    """Rotate the RS256 key once, so the retired key is still published beside the new one."""
    world = _world(context)
    world.after_deploy.append(lambda d: d.provider.rotate_key(_key("RS256", "rs-2026-02")))


@given('the OpenID provider answers UserInfo about subject "{sub}"')
def step_bad_userinfo(context, sub):
    """Make the provider misbehave: UserInfo names another subject (rp-userinfo-bad-sub-claim)."""
    world = _world(context)
    world.after_deploy.append(lambda d: setattr(d.provider.faults, "userinfo_sub", sub))


# --- the login flow ---------------------------------------------------------------------------


@when('the user signs in through the relying party\'s app as "{username}" with password "{password}"')
def step_sign_in(context, username, password):
    """Run the seed's flow in a browser: Login, credentials and consent at the provider, back to the app."""
    world = _world(context)
    deployment = world.deployed()
    world.response = deployment.browser.sign_in(deployment.app_url, username, password)
    _show_flow(world)


@when("the user signs in through the relying party's app but denies consent at the OpenID provider")
def step_deny(context):
    """Log in at the provider but refuse to share the identity with the app."""
    world = _world(context)
    deployment = world.deployed()
    world.response = deployment.browser.sign_in(deployment.app_url, "alice", "wonderland", allow=False)
    _show_flow(world)


@when("the user signs in at the OpenID provider but the redirect back is delayed by {seconds:d} seconds")
def step_delayed(context, seconds):
    """Sign in and consent; time passes before the browser follows the redirect back to the app."""
    world = _world(context)
    deployment = world.deployed()
    deployment.browser.start(deployment.app_url, "alice", "wonderland")
    world.clock.advance(seconds)
    world.response = deployment.browser.finish()
    _show_flow(world)


@when("the user signs in at the OpenID provider but the redirect back carries another state")
def step_other_state(context):
    """Sign in; an attacker's redirect with another state reaches the app (login CSRF)."""
    world = _world(context)
    deployment = world.deployed()
    deployment.browser.start(deployment.app_url, "alice", "wonderland")
    url = urlsplit(deployment.browser.callback_url or "")
    query = dict(parse_qsl(url.query)) | {"state": "attacker-state"}
    world.response = deployment.browser.finish(url._replace(query=urlencode(query)).geturl())
    _show_flow(world)


@when("an attacker redeems the intercepted authorization code at the OpenID provider without the PKCE verifier")
def step_attacker(context):
    """The code leaks before the app uses it; the attacker tries it with a verifier of their own."""
    world = _world(context)
    deployment = world.deployed()
    deployment.browser.start(deployment.app_url, "alice", "wonderland")
    code = dict(parse_qsl(urlsplit(deployment.browser.callback_url or "").query))["code"]
    try:
        deployment.rp.exchange(code, "attacker-verifier-" + "x" * 40)
    except TokenRequestError as error:
        world.attacker_error = error
    else:
        world.attacker_error = None


@when("the browser then completes the redirect back to the relying party")
def step_finish(context):
    """Follow the provider's redirect back to the app, which exchanges the code."""
    world = _world(context)
    world.response = world.deployed().browser.finish()
    _show_flow(world)


@when("the authorization code is presented to the OpenID token endpoint a second time")
def step_replay(context):
    """Replay the code the app already exchanged, as an attacker who saw it would."""
    world = _world(context)
    deployment = world.deployed()
    request, params = deployment.rp_app.callbacks[-1]
    try:
        deployment.rp.exchange(params["code"], request.code_verifier)
    except TokenRequestError as error:
        world.replay_error = error
    else:
        world.replay_error = None


@then("the OpenID login flow took these steps:")
def step_flow_steps(context):
    """Compare the browser's trace with the table (columns step, what, request, status)."""
    world = _world(context)
    trace = world.deployed().browser.trace
    seen = [[str(s.number), s.description, s.request, str(s.status)] for s in trace]
    expected = [[row["step"], row["what"], row["request"], row["status"]] for row in context.table]
    evidence.attach_table("the login flow as the browser saw it", ["step", "what", "request", "status"], seen)
    assert seen == expected, f"expected the flow {expected}, the browser saw {seen}"


@then("the relying party's back channel to the OpenID provider made these requests: {requests:Words}")
def step_back_channel(context, requests):
    """Check the server-to-server requests the app made (discovery, token, JWKS, UserInfo)."""
    seen = _world(context).deployed().back_channel
    evidence.attach_text("back channel", "\n".join(seen))
    assert seen == requests, f"expected the back channel {requests}, saw {seen}"


@then('the relying party\'s app greets the user as "{name}"')
def step_greeting(context, name):
    """The app's page after login names the user."""
    text = _world(context).response.text
    assert f"Signed in as {name}" in text, f"expected the app to greet {name!r}, its page says {text!r}"


@then('the ID token the relying party received has the claim {claim} equal to "{value}"')
def step_claim(context, claim, value):
    """Check one claim of the validated ID token (compared as text)."""
    sign_in = _last_sign_in(_world(context))
    _attach_token("ID token (decoded)", sign_in.id_token)
    assert str(sign_in.claims.get(claim)) == value, f"expected {claim} = {value!r}, got {sign_in.claims.get(claim)!r}"


@then("the ID token the relying party received carries the claims {claims:Words}")
def step_claims_present(context, claims):
    """Check that each named claim is present in the validated ID token."""
    sign_in = _last_sign_in(_world(context))
    _attach_token("ID token (decoded)", sign_in.id_token)
    evidence.attach_records("claims", [{"claim": k, "value": v} for k, v in sign_in.claims.items()])
    missing = [claim for claim in claims if claim not in sign_in.claims]
    assert not missing, f"expected the claims {claims}, missing {missing} in {sorted(sign_in.claims)}"


@then("the ID token the relying party received was issued by the OpenID provider")
def step_issuer(context):
    """iss is exactly the provider's issuer identifier (its URL on this target)."""
    deployment = _world(context).deployed()
    iss = _last_sign_in(_world(context)).claims.get("iss")
    assert iss == deployment.provider.issuer, f"expected iss {deployment.provider.issuer!r}, got {iss!r}"


@then("the ID token the relying party received carries the nonce the relying party sent")
def step_nonce_sent(context):
    """The token's nonce is the one in the authentication request (replay protection)."""
    deployment = _world(context).deployed()
    request, _ = deployment.rp_app.callbacks[-1]
    claims = _last_sign_in(_world(context)).claims
    assert claims.get("nonce") == request.nonce, f"expected nonce {request.nonce!r}, got {claims.get('nonce')!r}"


@then('the ID token the relying party received has the header {name} equal to "{value}"')
def step_header(context, name, value):
    """Check one field of the ID token's JOSE header."""
    sign_in = _last_sign_in(_world(context))
    header = parse_token(sign_in.id_token).header
    _attach_token("ID token (decoded)", sign_in.id_token)
    assert str(header.get(name)) == value, f"expected header {name} = {value!r}, got {header.get(name)!r}"


@then("the ID token the relying party received is {parts:d} base64url parts joined by dots")
def step_parts(context, parts):
    """The compact serialization: header.claims.signature, each unpadded base64url."""
    token = _last_sign_in(_world(context)).id_token
    _attach_token("ID token (decoded)", token)
    pieces = token.split(".")
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(pieces) == parts, f"expected {parts} parts, got {len(pieces)}"
    assert all(piece and set(piece) <= alphabet for piece in pieces), f"a part is not base64url: {token!r}"


@then("the ID token the relying party received is valid for {seconds:d} seconds after it was issued")
def step_lifetime(context, seconds):
    """exp - iat, the ID token's lifetime."""
    claims = _last_sign_in(_world(context)).claims
    lifetime = claims["exp"] - claims["iat"]
    assert lifetime == seconds, f"expected a lifetime of {seconds} s, the token says {lifetime} s"


@then("the relying party refuses the login with {error}")
def step_refused(context, error):
    """The app's callback failed with this error type; no user is signed in."""
    deployment = _world(context).deployed()
    errors = deployment.rp_app.errors
    seen = type(errors[-1]).__name__ if errors else "no error"
    evidence.attach_text("relying party's error", str(errors[-1]) if errors else "none")
    assert seen == error, f"expected the login refused with {error}, saw {seen}"
    assert not deployment.rp_app.sign_ins, "expected no signed-in user"


@then('the OpenID token endpoint answered "{code}"')
def step_token_error_code(context, code):
    """The OAuth error code of the last refused exchange."""
    errors = _world(context).deployed().rp_app.errors
    seen = getattr(errors[-1], "code", None) if errors else None
    assert seen == code, f"expected the token endpoint to answer {code!r}, it answered {seen!r}"


@then('the OpenID provider refused the attacker with "{code}"')
def step_attacker_refused(context, code):
    """The attacker's code exchange got this OAuth error."""
    error = _world(context).attacker_error
    assert error is not None, "expected the attacker's exchange to be refused, it got tokens"
    assert error.code == code, f"expected {code!r}, got {error.code!r}"


@then('the OpenID provider refused the second exchange with "{code}"')
def step_replay_refused(context, code):
    """The replayed code got this OAuth error."""
    error = _world(context).replay_error
    assert error is not None, "expected the replayed code to be refused, it got tokens"
    assert error.code == code, f"expected {code!r}, got {error.code!r}"


@then("the OpenID UserInfo endpoint now refuses the access token issued with that code")
def step_revoked(context):
    """Tokens issued with a replayed code are revoked (RFC 6749 4.1.2)."""
    world = _world(context)
    sign_in = _last_sign_in(world)
    try:
        world.deployed().rp.userinfo(sign_in.access_token, sign_in.claims["sub"])
    except TokenRequestError as error:
        assert error.code == "invalid_token", f"expected invalid_token, got {error.code}"
    else:
        raise AssertionError("expected UserInfo to refuse the revoked access token, it answered")


@then("the OpenID provider shows the login page again and the relying party received no ID token")
def step_wrong_password(context):
    """Wrong credentials: the provider answers 401 with its form; the app saw no callback."""
    world = _world(context)
    deployment = world.deployed()
    assert world.response.status_code == 401, f"expected 401 from the provider, got {world.response.status_code}"
    assert not deployment.rp_app.callbacks, "expected no redirect back to the app"


# --- tokens validated directly ----------------------------------------------------------------


@given("a genuine {alg} ID token issued by the OpenID provider for the relying party")
def step_genuine(context, alg):
    """Mint a real ID token (with nonce, at_hash, auth_time one minute ago) and keep its parts."""
    world = _world(context)
    deployment = world.deployed()
    client = dataclasses.replace(world.client, id_token_signed_response_alg=alg)
    access_token, _ = deployment.provider.issue_access_token(client, TEST_USER, ("openid",))
    now = world.clock()
    token = deployment.provider.issue_id_token(
        client, TEST_USER, nonce=NONCE, auth_time=now - 60, access_token=access_token
    )
    parsed = parse_token(token)
    header = {k: v for k, v in parsed.header.items() if k != "alg"}
    world.forgery = Forgery(parsed.claims, header, deployment.provider.keys.active(alg), now)
    world.token, world.access_token = token, access_token


@when("the ID token is forged with {tampering}")
def step_forge(context, tampering):
    """Replace the token by the tampered or malformed one the tampering names."""
    world = _world(context)
    assert world.forgery is not None, "a genuine ID token must be issued first"
    world.token = tamper(world.forgery, tampering)


def _validate(world: OidcWorld, token: str, max_age: float | None = 3600) -> str:
    rp = world.deployed().rp
    return _verdict(lambda: rp.validate_id_token(token, nonce=NONCE, access_token=world.access_token, max_age=max_age))


@then("the relying party rejects the ID token with {error}")
def step_rejects(context, error):
    """Validate the token by every rule; it must fail with this error type."""
    world = _world(context)
    _attach_token("token presented", world.token)
    verdict = _validate(world, world.token)
    assert verdict == error, f"expected the relying party to reject with {error}, its verdict was {verdict}"


@then("the relying party accepts the ID token")
def step_accepts(context):
    """Validate the token by every rule; it must pass."""
    world = _world(context)
    _attach_token("token presented", world.token)
    verdict = _validate(world, world.token)
    assert verdict == "accepted", f"expected the relying party to accept the token, it refused: {verdict}"


@then("the relying party's verdict on the ID token {seconds:d} seconds after issue is {verdict}")
def step_verdict_at(context, seconds, verdict):
    """Move the clock to issue time + seconds and validate the genuine token (no max_age asked)."""
    world = _world(context)
    assert world.forgery is not None, "a genuine ID token must be issued first"
    world.clock.now = world.forgery.now + seconds
    seen = _validate(world, world.token, max_age=None)
    assert seen == verdict, f"expected {verdict} at +{seconds} s, the relying party said {seen}"


@when("the relying party is handed the access token as an ID token")
def step_access_as_id(context):
    """Present the at+jwt access token where an ID token is expected."""
    world = _world(context)
    world.token = world.access_token


@then("the resource server's verdict on the {which} token is {verdict}")
def step_resource_server(context, which, verdict):
    """An API validating bearer tokens (RFC 9068) accepts access tokens and refuses ID tokens."""
    world = _world(context)
    deployment = world.deployed()
    jwks = JwksCache(deployment.rp.fetch_jwks, world.clock)
    api = AccessTokenValidator(deployment.provider.issuer, deployment.provider.settings.api_audience, jwks, world.clock)
    token = {"access": world.access_token, "ID": world.token}[which]
    _attach_token(f"{which} token presented to the API", token)
    seen = _verdict(lambda: api.validate(token))
    assert seen == verdict, f"expected the resource server's verdict {verdict} on the {which} token, got {seen}"


# --- keys and time ----------------------------------------------------------------------------


@when('the OpenID provider rotates its {alg} signing key to "{kid}"')
def step_rotate(context, alg, kid):
    """A new key signs from now on; the old one stays published until its tokens expire."""
    _world(context).deployed().provider.rotate_key(_key(alg, kid))


@when('the OpenID provider withdraws the key "{kid}"')
def step_withdraw(context, kid):
    """Remove a key from the JWKS at once (as after a compromise)."""
    _world(context).deployed().provider.keys.remove(kid)


@when("the OpenID clock advances by {seconds:d} seconds")
def step_time_passes(context, seconds):
    """Advance the shared clock of provider and relying party."""
    _world(context).clock.advance(seconds)


@when("the relying party validates a fresh {alg} ID token from the OpenID provider")
def step_fresh(context, alg):
    """Mint a new genuine token and validate it (it must pass); the earlier token is kept."""
    world = _world(context)
    earlier = (world.token, world.forgery, world.access_token)
    step_genuine(context, alg)
    verdict = _validate(world, world.token)
    evidence.attach_text("fresh token's verdict", verdict)
    fresh_kid = parse_token(world.token).header.get("kid")
    world.token, world.forgery, world.access_token = earlier
    assert verdict == "accepted", f"expected the fresh token (kid {fresh_kid}) to be accepted, got {verdict}"


@when("the relying party is handed {count:d} ID tokens with unknown kids")
def step_unknown_kids(context, count):
    """Forge tokens with kids the provider never published; each must be refused."""
    world = _world(context)
    assert world.forgery is not None, "a genuine ID token must be issued first"
    verdicts = []
    for index in range(count):
        forged = world.forgery.sign(header={**world.forgery.header, "kid": f"forged-{index}"})
        verdicts.append(_validate(world, forged))
    assert set(verdicts) == {"UnknownKeyError"}, f"expected UnknownKeyError for each, got {verdicts}"


@then("the OpenID provider's JWKS publishes the keys {kids:Words}")
def step_jwks_kids(context, kids):
    """The kids in the provider's published JWK Set, oldest first."""
    jwks = _world(context).deployed().provider.jwks()
    evidence.attach_json("JWKS (public keys only)", jwks)
    seen = [key["kid"] for key in jwks["keys"]]
    assert seen == kids, f"expected the JWKS to publish {kids}, it publishes {seen}"


@then("the relying party fetched the OpenID provider's JWKS {count:d} times")
def step_fetch_count(context, count):
    """How often the relying party downloaded the JWKS (once, then once per rotation)."""
    seen = _world(context).deployed().rp.jwks.fetch_count
    assert seen == count, f"expected {count} JWKS fetch(es), the relying party made {seen}"
