"""A Relying Party: the client side of the authorization code flow (OpenID Connect Core 3.1).

It discovers the provider, sends the user to /authorize with state, nonce and a PKCE S256
challenge, checks the state on the way back, exchanges the code at /token (client_secret_basic
or client_secret_post), validates the ID token by every rule of Core 3.1.3.7, and asks UserInfo,
refusing an answer about another subject (Core 5.3.2). HTTP goes through an ``httpx.Client``:
in process (ASGI) or over the network, the code is the same. ``rp_app`` serves it with Starlette.
"""

from __future__ import annotations

import base64
import html
import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from livingspec.oidc.clock import Clock
from livingspec.oidc.errors import (
    AuthorizationDeniedError,
    DiscoveryError,
    OIDCError,
    StateMismatchError,
    TokenRequestError,
    UserinfoSubjectMismatchError,
)
from livingspec.oidc.jose import b64url_encode, same_text
from livingspec.oidc.provider import redirect_with, s256
from livingspec.oidc.validation import DEFAULT_ALGS, IdTokenValidator, JwksCache


@dataclass(frozen=True)
class ClientSettings:
    """How the relying party is registered and what it accepts."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    token_endpoint_auth_method: str = "client_secret_basic"  #: or client_secret_post
    scope: str = "openid profile email"
    allowed_algs: tuple[str, ...] = DEFAULT_ALGS  #: never none, never HS*
    clock_skew: float = 60.0  #: seconds of tolerance on exp, iat and auth_time
    max_age: float | None = None  #: ask the provider to re-authenticate older sessions
    trusted_audiences: tuple[str, ...] = ()  #: other audiences the client accepts beside itself
    jwks_refetch_interval: float = 60.0  #: least seconds between refetches on an unknown kid


@dataclass(frozen=True)
class AuthorizationRequest:
    """One login attempt: the URL to send the user to, and the secrets to check the answer with."""

    url: str
    state: str
    nonce: str
    code_verifier: str = field(repr=False)
    max_age: float | None


@dataclass(frozen=True)
class SignIn:
    """A completed login: the validated ID token's claims, the tokens, the UserInfo answer."""

    claims: dict[str, Any]
    id_token: str
    access_token: str
    userinfo: dict[str, Any]


class RelyingParty:
    """The client of one provider (``issuer``), talking to it through ``http``."""

    def __init__(
        self,
        issuer: str,
        settings: ClientSettings,
        http: httpx.Client,
        clock: Clock,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.issuer, self.settings, self.http, self.clock = issuer.rstrip("/"), settings, http, clock
        self._rng = rng
        self._metadata: dict[str, Any] | None = None
        self.jwks = JwksCache(self.fetch_jwks, clock, refetch_interval=settings.jwks_refetch_interval)
        self.validator = IdTokenValidator(
            self.issuer,
            settings.client_id,
            self.jwks,
            clock,
            allowed_algs=settings.allowed_algs,
            clock_skew=settings.clock_skew,
            trusted_audiences=settings.trusted_audiences,
        )

    # --- discovery and keys ----------------------------------------------------------------------

    def _get_json(self, url: str, what: str) -> Any:
        try:
            response = self.http.get(url)
        except httpx.HTTPError as error:
            raise DiscoveryError(f"{what} at {url} unreachable: {error}") from None
        if response.status_code != 200:
            raise DiscoveryError(f"{what} at {url} answered {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise DiscoveryError(f"{what} at {url} is not JSON") from None

    @property
    def metadata(self) -> dict[str, Any]:
        """The provider's metadata, fetched once (Discovery 1.0 section 4)."""
        if self._metadata is None:
            metadata = self._get_json(f"{self.issuer}/.well-known/openid-configuration", "discovery document")
            if not isinstance(metadata, dict) or metadata.get("issuer") != self.issuer:
                raise DiscoveryError(f"the discovery document's issuer is not {self.issuer!r} (Discovery 4.3)")
            self._metadata = metadata
        return self._metadata

    def fetch_jwks(self) -> Any:
        """The provider's JWK Set document, fetched now (the cache calls this)."""
        return self._get_json(str(self.metadata["jwks_uri"]), "JWKS")

    # --- the flow --------------------------------------------------------------------------------

    def _secret(self) -> str:
        if self._rng is None:
            return secrets.token_urlsafe(32)
        return b64url_encode(self._rng.randbytes(32))

    def begin(self) -> AuthorizationRequest:
        """Step 2 of the seed's flow: where to redirect the user (Core 3.1.2.1), with fresh secrets."""
        state, nonce, verifier = self._secret(), self._secret(), self._secret()
        params = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": self.settings.redirect_uri,
            "scope": self.settings.scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
        }
        if self.settings.max_age is not None:
            params["max_age"] = str(int(self.settings.max_age))
        url = redirect_with(str(self.metadata["authorization_endpoint"]), params)
        return AuthorizationRequest(url, state, nonce, verifier, self.settings.max_age)

    def complete(self, request: AuthorizationRequest, callback: Mapping[str, str]) -> SignIn:
        """Steps 4-5: check the redirect back, exchange the code, validate the ID token, ask UserInfo."""
        if not same_text(callback.get("state", ""), request.state):
            raise StateMismatchError("the callback's state is not the one sent with the request")
        if "error" in callback:
            raise AuthorizationDeniedError(f"the provider answered {callback['error']}")
        if "iss" in callback and callback["iss"] != self.issuer:  # RFC 9207 mix-up defence
            raise AuthorizationDeniedError(f"the answer came from {callback['iss']!r}, not {self.issuer!r}")
        tokens = self.exchange(callback.get("code", ""), request.code_verifier)
        id_token, access_token = str(tokens.get("id_token", "")), str(tokens.get("access_token", ""))
        claims = self.validate_id_token(
            id_token, nonce=request.nonce, access_token=access_token, max_age=request.max_age
        )
        info = self.userinfo(access_token, claims["sub"])
        return SignIn(claims, id_token, access_token, info)

    def exchange(self, code: str, code_verifier: str) -> dict[str, Any]:
        """The token request (Core 3.1.3.1) with the registered client authentication."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "code_verifier": code_verifier,
        }
        headers: dict[str, str] = {}
        if self.settings.token_endpoint_auth_method == "client_secret_post":
            form |= {"client_id": self.settings.client_id, "client_secret": self.settings.client_secret}
        else:  # RFC 6749 2.3.1: form-urlencode id and secret, then Basic
            pair = f"{quote(self.settings.client_id, safe='')}:{quote(self.settings.client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        try:
            response = self.http.post(str(self.metadata["token_endpoint"]), data=form, headers=headers)
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise TokenRequestError("unreachable", str(error)) from None
        if response.status_code != 200 or not isinstance(body, dict):
            body = body if isinstance(body, dict) else {}
            raise TokenRequestError(
                str(body.get("error", response.status_code)), str(body.get("error_description", ""))
            )
        return body

    def validate_id_token(
        self, token: str, *, nonce: str | None, access_token: str | None = None, max_age: float | None = None
    ) -> dict[str, Any]:
        """Every rule of Core 3.1.3.7; raises the TokenValidationError subclass of the first broken rule."""
        return self.validator.validate(token, nonce=nonce, access_token=access_token, max_age=max_age)

    def userinfo(self, access_token: str, expected_sub: str) -> dict[str, Any]:
        """The UserInfo answer (Core 5.3), refused unless its sub is the ID token's sub (Core 5.3.2)."""
        try:
            response = self.http.get(
                str(self.metadata["userinfo_endpoint"]), headers={"Authorization": f"Bearer {access_token}"}
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise TokenRequestError("userinfo_unreachable", str(error)) from None
        if response.status_code != 200 or not isinstance(body, dict):
            error_code = body.get("error", response.status_code) if isinstance(body, dict) else response.status_code
            raise TokenRequestError(str(error_code), "the UserInfo endpoint refused the access token")
        if body.get("sub") != expected_sub:
            raise UserinfoSubjectMismatchError(
                f"UserInfo sub {body.get('sub')!r} is not the ID token's {expected_sub!r}"
            )
        return body


class PendingLogins:
    """Logins the app started and the provider has not answered yet, keyed by session id.

    Bounded: an entry older than ``lifetime`` seconds is forgotten, and beyond ``capacity`` entries
    the oldest is dropped, so browsers that start logins and never come back cannot grow it.
    """

    def __init__(self, clock: Clock, *, lifetime: float = 600.0, capacity: int = 1000) -> None:
        self.clock, self.lifetime, self.capacity = clock, lifetime, capacity
        self._entries: dict[str, tuple[float, AuthorizationRequest]] = {}  # oldest first

    def __len__(self) -> int:
        self._expire()
        return len(self._entries)

    def _expire(self) -> None:
        cutoff = self.clock() - self.lifetime
        for session in [s for s, (started, _) in self._entries.items() if started <= cutoff]:
            del self._entries[session]

    def add(self, session: str, request: AuthorizationRequest) -> None:
        """Remember ``request`` for ``session``; expired entries go, then the oldest beyond capacity."""
        self._expire()
        self._entries.pop(session, None)
        while len(self._entries) >= self.capacity:
            del self._entries[next(iter(self._entries))]
        self._entries[session] = (self.clock(), request)

    def pop(self, session: str) -> AuthorizationRequest | None:
        """The login ``session`` started, if it is still pending (each is answered once)."""
        self._expire()
        entry = self._entries.pop(session, None)
        return entry[1] if entry is not None else None


class RelyingPartyApp:
    """The web application of the seed: a Login link, the callback, and a page that says who you are.

    Sessions live in memory, keyed by the ``rp_session`` cookie; ``sign_ins`` keeps every completed
    login and ``errors`` every refused one, for the specification to inspect. A session id is never
    taken from the browser: each login starts under a fresh one and a completed login gets another
    (no session fixation, OWASP Session Management).
    """

    COOKIE = "rp_session"

    def __init__(
        self,
        rp: RelyingParty,
        new_session_id: Callable[[], str] | None = None,
        *,
        pending_lifetime: float = 600.0,
        max_pending: int = 1000,
    ) -> None:
        self.rp = rp
        self._new_id = new_session_id or (lambda: secrets.token_urlsafe(16))
        self.pending = PendingLogins(rp.clock, lifetime=pending_lifetime, capacity=max_pending)
        self.sessions: dict[str, SignIn] = {}
        self.sign_ins: list[SignIn] = []
        self.errors: list[OIDCError] = []
        self.callbacks: list[tuple[AuthorizationRequest, dict[str, str]]] = []
        self.app = Starlette(
            routes=[Route("/", self._home), Route("/login", self._login), Route("/callback", self._callback)]
        )

    # Handlers are plain functions: Starlette runs them in a worker thread, where the RP's
    # synchronous HTTP client may block (the in-process transport runs its own event loop there).

    def _home(self, request: Request) -> Response:
        sign_in = self.sessions.get(request.cookies.get(self.COOKIE, ""))
        if sign_in is None:
            return HTMLResponse('<!doctype html><a href="/login">Login with the provider</a>')
        name = html.escape(str(sign_in.userinfo.get("name", sign_in.claims["sub"])))
        return HTMLResponse(f"<!doctype html><p>Signed in as {name} (sub {html.escape(sign_in.claims['sub'])})</p>")

    def _login(self, request: Request) -> Response:
        authorization = self.rp.begin()
        session = self._new_id()  # never the browser's: a planted cookie must not become the session
        self.pending.add(session, authorization)
        response = RedirectResponse(authorization.url, 302)
        response.set_cookie(self.COOKIE, session, httponly=True, samesite="lax")
        return response

    def _callback(self, request: Request) -> Response:
        session = request.cookies.get(self.COOKIE, "")
        authorization = self.pending.pop(session)
        if authorization is None:
            return HTMLResponse("<!doctype html><p>No login in progress</p>", 400)
        params = dict(request.query_params)
        self.callbacks.append((authorization, params))
        try:
            sign_in = self.rp.complete(authorization, params)
        except OIDCError as error:
            self.errors.append(error)
            return HTMLResponse(f"<!doctype html><p>Login refused: {type(error).__name__}</p>", 400)
        signed_in = self._new_id()  # a fresh id once the user is known
        self.sessions[signed_in] = sign_in
        self.sign_ins.append(sign_in)
        response = RedirectResponse("/", 302)
        response.set_cookie(self.COOKIE, signed_in, httponly=True, samesite="lax")
        return response
