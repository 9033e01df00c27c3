"""An OpenID Provider: the authorization code flow of OpenID Connect Core 1.0 section 3.1.

The provider authenticates the user (login, then consent), hands the client a short-lived,
single-use authorization code bound to the client, its redirect URI and a PKCE challenge
(RFC 7636, S256 only), and exchanges that code at the token endpoint for an ID token (a JWT
about the user, for the client) and an access token (a JWT of type at+jwt, RFC 9068, for APIs).
A code presented twice is refused and every token issued with it is revoked (RFC 6749 4.1.2).

This module is the pure core: no HTTP. ``livingspec.oidc.op_app`` serves it with Starlette.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from livingspec.oidc.clock import Clock
from livingspec.oidc.errors import (
    AccessDeniedError,
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidTokenError,
    LoginThrottledError,
    TokenValidationError,
)
from livingspec.oidc.jose import b64url_encode, same_text, token_hash
from livingspec.oidc.keys import SUPPORTED_ALGS, KeyRing, SigningKey
from livingspec.oidc.validation import AccessTokenValidator, JwksCache

_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 section 4.1
_MAX_AGE = re.compile(r"[0-9]{1,10}")  # ASCII digits only: str.isdigit also takes "²", which float() refuses
AUTH_METHODS = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True)
class ClientRegistration:
    """A client registered with the provider (Dynamic Client Registration metadata names)."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: str = "client_secret_basic"  #: or client_secret_post
    id_token_signed_response_alg: str = "RS256"  #: or ES256


@dataclass(frozen=True)
class User:
    """An end-user account: the subject identifier and the claims the provider may release."""

    sub: str
    username: str
    password: str = field(repr=False)
    claims: Mapping[str, Any] = field(default_factory=dict)  #: name, email, email_verified, ...


@dataclass(frozen=True)
class ProviderSettings:
    """Lifetimes (seconds) and the API audience of access tokens."""

    id_token_lifetime: float = 3600.0  #: the seed: ID tokens typically expire in 1 hour
    access_token_lifetime: float = 600.0  #: shorter than the ID token: it opens APIs
    code_lifetime: float = 60.0  #: RFC 6749 4.1.2 recommends at most 10 minutes
    api_audience: str = "https://api.example.test"  #: the resource server access tokens are for
    transaction_lifetime: float = 600.0  #: a login left unfinished this long is forgotten
    max_transactions_per_client: int = 1000  #: open logins kept per client; the oldest is dropped beyond
    max_failed_logins: int = 5  #: consecutive wrong passwords that lock an account
    lockout_seconds: float = 900.0  #: how long a locked account is refused, even with the right password
    max_tracked_accounts: int = 10_000  #: failure records kept (unknown usernames too); oldest dropped beyond


@dataclass
class Faults:
    """Misbehaviours a test provider can be told to show, as the certification suite's OP does."""

    userinfo_sub: str | None = None  #: answer UserInfo with this sub (rp-userinfo-bad-sub-claim)
    id_token_claims: dict[str, Any] = field(default_factory=dict)  #: claims overridden in ID tokens


@dataclass
class AuthorizationTransaction:
    """An authentication request between /authorize and the redirect back (Core 3.1.2.1)."""

    txn: str
    client: ClientRegistration
    redirect_uri: str
    scope: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str
    max_age: float | None
    expires_at: float = float("inf")  #: clock time after which the login can no longer finish
    user: User | None = None
    auth_time: float | None = None


@dataclass
class _Failures:
    """Consecutive wrong passwords for one username, and the end of its lock (None: not locked)."""

    count: int = 0
    locked_until: float | None = None


@dataclass
class CodeGrant:
    """What an authorization code stands for; single-use, expires at ``expires_at``."""

    client_id: str
    redirect_uri: str
    user: User
    scope: tuple[str, ...]
    nonce: str | None
    code_challenge: str
    auth_time: float
    expires_at: float
    used: bool = False
    issued_jtis: list[str] = field(default_factory=list)


def redirect_with(uri: str, params: Mapping[str, str]) -> str:
    """``uri`` with ``params`` added to its query, keeping the registered query (RFC 6749 3.1.2).

    A registered parameter of the same name as one of ours is dropped, so the answer is never ambiguous.
    """
    parts = urlsplit(uri)
    kept = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name not in params]
    return parts._replace(query=urlencode([*kept, *params.items()])).geturl()


def s256(verifier: str) -> str:
    """The PKCE S256 code challenge of a verifier (RFC 7636 section 4.2)."""
    return b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())


#: Which user claims each scope releases (Core 5.4).
SCOPE_CLAIMS = {
    "profile": ("name", "given_name", "family_name", "preferred_username"),
    "email": ("email", "email_verified"),
}


def released_claims(user: User, scope: tuple[str, ...]) -> dict[str, Any]:
    """The user's claims that ``scope`` releases."""
    names = {name for value in scope for name in SCOPE_CLAIMS.get(value, ())}
    return {name: value for name, value in user.claims.items() if name in names}


class OpenIDProvider:
    """The provider's state and endpoints, without HTTP: clients, users, keys, codes, tokens."""

    def __init__(
        self,
        issuer: str,
        keys: KeyRing,
        clock: Clock,
        *,
        settings: ProviderSettings | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.keys, self.clock = keys, clock
        self.settings = settings or ProviderSettings()
        self.faults = Faults()
        self._rng = rng
        self.clients: dict[str, ClientRegistration] = {}
        self.users: dict[str, User] = {}
        self._transactions: dict[str, AuthorizationTransaction] = {}
        self._codes: dict[str, CodeGrant] = {}
        self._failures: dict[str, _Failures] = {}
        self.revoked_jtis: set[str] = set()
        self._access_tokens = AccessTokenValidator(
            self.issuer, self.userinfo_endpoint, JwksCache(self.keys.jwks, clock, max_age=0.0), clock
        )

    # --- registration --------------------------------------------------------------------------

    def register_client(self, client: ClientRegistration) -> None:
        """Register a client (its auth method and ID token alg must be ones the provider supports)."""
        if client.token_endpoint_auth_method not in AUTH_METHODS:
            raise InvalidRequestError(f"unsupported token_endpoint_auth_method {client.token_endpoint_auth_method!r}")
        if client.id_token_signed_response_alg not in SUPPORTED_ALGS:
            raise InvalidRequestError(f"unsupported id_token_signed_response_alg {client.id_token_signed_response_alg}")
        self.clients[client.client_id] = client

    def add_user(self, user: User) -> None:
        """Create an account the provider can authenticate."""
        self.users[user.username] = user

    # --- metadata --------------------------------------------------------------------------------

    @property
    def userinfo_endpoint(self) -> str:
        """The UserInfo endpoint's URL (also the audience of access tokens it accepts)."""
        return f"{self.issuer}/userinfo"

    def discovery(self) -> dict[str, Any]:
        """The OpenID Provider Metadata (OpenID Connect Discovery 1.0 section 3)."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": self.userinfo_endpoint,
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": list(SUPPORTED_ALGS),
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "email"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name", "email"],
        }

    def jwks(self) -> dict[str, Any]:
        """The public keys, old ones included until their tokens expire."""
        return self.keys.jwks()

    def rotate_key(self, new_key: SigningKey) -> SigningKey:
        """Sign with ``new_key`` from now on; the old key stays published for one ID token lifetime."""
        return self.keys.rotate(new_key, keep_for=self.settings.id_token_lifetime)

    # --- authorization endpoint -----------------------------------------------------------------

    def _token(self, nbytes: int = 32) -> str:
        if self._rng is None:
            return secrets.token_urlsafe(nbytes)
        return b64url_encode(self._rng.randbytes(nbytes))

    def start_authorization(self, params: Mapping[str, str]) -> AuthorizationTransaction:
        """Check an authentication request (Core 3.1.2.2) and open a login transaction.

        Raises InvalidRequestError; its ``redirect_uri`` is set when the error may be sent back to
        the client (only once client and redirect URI are known good, Core 3.1.2.6).
        """
        client = self.clients.get(params.get("client_id", ""))
        if client is None:
            raise InvalidRequestError(f"unknown client_id {params.get('client_id', '')!r}")
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in client.redirect_uris:  # exact match, Core 3.1.2.1
            raise InvalidRequestError(f"redirect_uri {redirect_uri!r} is not registered for {client.client_id}")
        scope = tuple(params.get("scope", "").split())
        problems = []
        if params.get("response_type") != "code":
            problems.append("response_type must be code")
        if "openid" not in scope:
            problems.append("scope must contain openid")
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            problems.append("PKCE with code_challenge_method S256 is required")
        max_age = params.get("max_age")
        if max_age is not None and not _MAX_AGE.fullmatch(max_age):
            problems.append("max_age must be a number of seconds")
        if problems:
            raise InvalidRequestError("; ".join(problems), redirect_uri=redirect_uri, state=params.get("state"))
        transaction = AuthorizationTransaction(
            txn=self._token(16),
            client=client,
            redirect_uri=redirect_uri,
            scope=scope,
            state=params.get("state"),
            nonce=params.get("nonce"),
            code_challenge=params["code_challenge"],
            max_age=float(max_age) if max_age is not None else None,
            expires_at=self.clock() + self.settings.transaction_lifetime,
        )
        self._admit(transaction)
        return transaction

    def _admit(self, transaction: AuthorizationTransaction) -> None:
        """Keep a new transaction: expired ones are dropped, and a client's oldest beyond its cap."""
        now = self.clock()
        for txn in [txn for txn, t in self._transactions.items() if now >= t.expires_at]:
            del self._transactions[txn]
        client_id = transaction.client.client_id
        mine = [txn for txn, t in self._transactions.items() if t.client.client_id == client_id]
        for txn in mine[: max(0, len(mine) + 1 - self.settings.max_transactions_per_client)]:
            del self._transactions[txn]  # dicts keep insertion order: these are the oldest
        self._transactions[transaction.txn] = transaction

    def open_transactions(self, client_id: str) -> int:
        """How many unexpired login transactions ``client_id`` has open."""
        now = self.clock()
        return sum(1 for t in self._transactions.values() if t.client.client_id == client_id and now < t.expires_at)

    def transaction(self, txn: str) -> AuthorizationTransaction:
        """The open transaction ``txn``, or InvalidRequestError (unknown, finished or expired)."""
        transaction = self._transactions.get(txn)
        if transaction is not None and self.clock() >= transaction.expires_at:
            del self._transactions[txn]
            transaction = None
        if transaction is None:
            raise InvalidRequestError("unknown, expired or finished login transaction")
        return transaction

    def authenticate(self, txn: str, username: str, password: str) -> User:
        """The login step: check the credentials (Core 3.1.2.3) and record auth_time.

        ``max_failed_logins`` consecutive wrong passwords lock the username for ``lockout_seconds``
        (unknown usernames too, so the lock reveals no account); while locked even the right password
        is refused with LoginThrottledError, before any password check.
        """
        transaction = self.transaction(txn)
        now = self.clock()
        failures = self._failures.get(username)
        if failures is not None and failures.locked_until is not None:
            if now < failures.locked_until:
                remaining = failures.locked_until - now
                raise LoginThrottledError(
                    f"too many wrong passwords: try again in {remaining:.0f} s", retry_after=remaining
                )
            del self._failures[username]  # the lock is over: a fresh count
            failures = None
        user = self.users.get(username)
        if user is None or not same_text(user.password, password):
            self._count_failure(username, now)
            raise AccessDeniedError("wrong username or password")
        self._failures.pop(username, None)
        transaction.user, transaction.auth_time = user, now
        return user

    def tracked_accounts(self) -> int:
        """How many usernames have failures on record (bounded by ``max_tracked_accounts``)."""
        return len(self._failures)

    def _count_failure(self, username: str, now: float) -> None:
        failures = self._failures.pop(username, None) or _Failures()
        failures.count += 1
        if failures.count >= self.settings.max_failed_logins:
            failures.locked_until = now + self.settings.lockout_seconds
        self._failures[username] = failures  # re-inserted last: the dict is oldest-first
        while len(self._failures) > self.settings.max_tracked_accounts:
            del self._failures[next(iter(self._failures))]

    def consent(self, txn: str, *, allow: bool) -> str:
        """The consent step (Core 3.1.2.4): the redirect URL back to the client, with a code or an error."""
        transaction = self.transaction(txn)
        del self._transactions[txn]
        params: dict[str, str] = {}
        if not allow or transaction.user is None or transaction.auth_time is None:
            params["error"] = "access_denied"
        else:
            code = self._token()
            self._codes[code] = CodeGrant(
                client_id=transaction.client.client_id,
                redirect_uri=transaction.redirect_uri,
                user=transaction.user,
                scope=transaction.scope,
                nonce=transaction.nonce,
                code_challenge=transaction.code_challenge,
                auth_time=transaction.auth_time,
                expires_at=self.clock() + self.settings.code_lifetime,
            )
            params["code"] = code
        if transaction.state is not None:
            params["state"] = transaction.state
        params["iss"] = self.issuer  # RFC 9207: tells the client which provider answered
        return redirect_with(transaction.redirect_uri, params)

    # --- token endpoint ----------------------------------------------------------------------------

    def authenticate_client(self, client_id: str, client_secret: str, method: str) -> ClientRegistration:
        """Client authentication at the token endpoint (Core 9): the registered method and secret."""
        client = self.clients.get(client_id)
        if client is None:
            raise InvalidClientError(f"unknown client {client_id!r}")
        if method != client.token_endpoint_auth_method:
            raise InvalidClientError(f"client {client_id} is registered for {client.token_endpoint_auth_method}")
        if not same_text(client.client_secret, client_secret):
            raise InvalidClientError(f"wrong secret for client {client_id}")
        return client

    def exchange_code(self, client: ClientRegistration, form: Mapping[str, str]) -> dict[str, Any]:
        """The token request (Core 3.1.3.1-3.1.3.3): a code and its PKCE verifier for the tokens."""
        if form.get("grant_type") != "authorization_code":
            raise InvalidRequestError("grant_type must be authorization_code")
        code = form.get("code", "")
        grant = self._codes.get(code)
        if grant is None:
            raise InvalidGrantError("unknown authorization code")
        if grant.used:
            # Replay: the code leaked. Revoke everything issued with it (RFC 6749 4.1.2).
            self.revoked_jtis.update(grant.issued_jtis)
            raise InvalidGrantError("authorization code already used; the tokens issued with it are revoked")
        if self.clock() >= grant.expires_at:
            raise InvalidGrantError("authorization code expired")
        if grant.client_id != client.client_id:
            raise InvalidGrantError("authorization code was issued to another client")
        if form.get("redirect_uri") != grant.redirect_uri:
            raise InvalidGrantError("redirect_uri differs from the authentication request")
        verifier = form.get("code_verifier", "")
        if not _VERIFIER.fullmatch(verifier) or not hmac.compare_digest(s256(verifier), grant.code_challenge):
            raise InvalidGrantError("code_verifier does not match the code_challenge (PKCE S256)")
        grant.used = True
        access_token, jti = self.issue_access_token(client, grant.user, grant.scope)
        grant.issued_jtis.append(jti)
        id_token = self.issue_id_token(
            client,
            grant.user,
            nonce=grant.nonce,
            auth_time=grant.auth_time,
            access_token=access_token,
            scope=grant.scope,
        )
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": int(self.settings.access_token_lifetime),
            "id_token": id_token,
            "scope": " ".join(grant.scope),
        }

    def issue_id_token(
        self,
        client: ClientRegistration,
        user: User,
        *,
        nonce: str | None,
        auth_time: float,
        access_token: str | None = None,
        scope: tuple[str, ...] = ("openid",),
    ) -> str:
        """An ID token (Core 2) for ``client`` about ``user``, signed with the client's alg.

        Beside the required claims it carries the user's claims that ``scope`` releases (Core 5.4).
        """
        key = self.keys.active(client.id_token_signed_response_alg)
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": user.sub,
            "aud": client.client_id,
            "exp": now + int(self.settings.id_token_lifetime),
            "iat": now,
            "auth_time": int(auth_time),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        claims.update(released_claims(user, scope))
        if access_token is not None:
            claims["at_hash"] = token_hash(access_token, key.alg)
        claims.update(self.faults.id_token_claims)
        if isinstance(claims.get("aud"), list) and len(claims["aud"]) > 1:
            claims.setdefault("azp", client.client_id)  # Core 2: azp when there are several audiences
        return key.sign(claims, {"typ": "JWT"})

    def issue_access_token(self, client: ClientRegistration, user: User, scope: tuple[str, ...]) -> tuple[str, str]:
        """A JWT access token (RFC 9068) for the API and the UserInfo endpoint; returns it and its jti."""
        key = self.keys.active(client.id_token_signed_response_alg)
        now = int(self.clock())
        jti = self._token(12)
        claims = {
            "iss": self.issuer,
            "sub": user.sub,
            "aud": [self.settings.api_audience, self.userinfo_endpoint],
            "client_id": client.client_id,
            "exp": now + int(self.settings.access_token_lifetime),
            "iat": now,
            "jti": jti,
            "scope": " ".join(scope),
        }
        return key.sign(claims, {"typ": "at+jwt"}), jti

    # --- userinfo endpoint -------------------------------------------------------------------------

    def userinfo(self, access_token: str) -> dict[str, Any]:
        """The UserInfo response (Core 5.3): claims about the user the access token was issued for."""
        try:
            claims = self._access_tokens.validate(access_token)
        except TokenValidationError as error:
            raise InvalidTokenError(str(error)) from None
        if claims["jti"] in self.revoked_jtis:
            raise InvalidTokenError("access token revoked: its authorization code was used twice")
        user = next((u for u in self.users.values() if u.sub == claims["sub"]), None)
        if user is None:
            raise InvalidTokenError("the access token's subject no longer exists")
        released = released_claims(user, tuple(str(claims.get("scope", "")).split()))
        return {"sub": self.faults.userinfo_sub or user.sub, **released}
