"""ID token validation by the relying party, per OpenID Connect Core 1.0 section 3.1.3.7, and
access token validation by a resource server, per RFC 9068 section 4.

Every rule is checked in the order the specification lists it, and each failure raises its own
error type (``livingspec.oidc.errors``). The JWKS is fetched once and cached; an unknown ``kid``
triggers one refetch, at most once per ``refetch_interval`` seconds, so a stream of forged kids
cannot make the relying party hammer the provider. Signatures are verified by pyjwt's algorithm
objects on public keys parsed once per kid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from livingspec.oidc.clock import Clock
from livingspec.oidc.errors import (
    AccessTokenHashError,
    AmbiguousKeyError,
    AudienceMismatchError,
    AuthorizedPartyError,
    AuthTimeError,
    CriticalHeaderError,
    DisallowedAlgorithmError,
    ExpiredTokenError,
    InvalidSignatureError,
    IssuedInFutureError,
    IssuerMismatchError,
    MissingClaimError,
    NonceMismatchError,
    NotYetValidError,
    UnknownKeyError,
    WrongTokenTypeError,
)
from livingspec.oidc.jose import ParsedToken, is_numeric_date, parse_token, same_text, token_hash

#: The algorithms a relying party accepts unless told otherwise: asymmetric only, never "none".
DEFAULT_ALGS = ("RS256", "ES256")
_ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")
_JWT_TYPES = ("jwt", "application/jwt")


@dataclass(frozen=True)
class VerificationKey:
    """A public key from the JWKS, parsed once: kid, alg, and pyjwt's algorithm and key objects."""

    kid: str | None
    alg: str
    algorithm: Any
    key: Any


def _parse_jwks(document: Any) -> list[VerificationKey]:
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        return []
    parsed = []
    for jwk in keys:
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig" or not isinstance(jwk.get("alg"), str):
            continue  # only signing keys that state their algorithm (Core 10.1.1)
        try:
            pyjwk = jwt.PyJWK(jwk)
        except jwt.PyJWTError:
            continue  # a key we cannot use is skipped, as RFC 7517 section 5 allows
        kid = jwk.get("kid")
        parsed.append(VerificationKey(kid if isinstance(kid, str) else None, jwk["alg"], pyjwk.Algorithm, pyjwk.key))
    return parsed


class JwksCache:
    """The provider's public keys, fetched once and refetched on an unknown kid (rate-limited).

    ``fetch`` returns the JWK Set document; ``refetch_interval`` is the least time between two
    fetches caused by unknown kids; ``max_age`` the time after which the set is fetched anew.
    """

    def __init__(
        self,
        fetch: Callable[[], Any],
        clock: Clock,
        *,
        refetch_interval: float = 60.0,
        max_age: float = 86_400.0,
    ) -> None:
        self._fetch, self.clock = fetch, clock
        self.refetch_interval, self.max_age = refetch_interval, max_age
        self._keys: list[VerificationKey] = []
        self._by_kid: dict[str, VerificationKey] = {}
        self.fetched_at: float | None = None
        self.fetch_count = 0

    def refresh(self) -> None:
        """Fetch the JWKS now."""
        self._keys = _parse_jwks(self._fetch())
        self._by_kid = {key.kid: key for key in self._keys if key.kid is not None}
        self.fetched_at = self.clock()
        self.fetch_count += 1

    def _ensure_fresh(self) -> None:
        if self.fetched_at is None or self.clock() - self.fetched_at >= self.max_age:
            self.refresh()

    def _may_refetch(self) -> bool:
        return self.fetched_at is None or self.clock() - self.fetched_at >= self.refetch_interval

    @property
    def kids(self) -> list[str]:
        """The kids currently cached."""
        return [key.kid for key in self._keys if key.kid is not None]

    def key_for(self, kid: Any, alg: str) -> VerificationKey:
        """The key a token with this header must be verified with, or the error why there is none."""
        self._ensure_fresh()
        if kid is None:
            candidates = [key for key in self._keys if key.alg == alg]
            if len(candidates) == 1:
                return candidates[0]
            if len(candidates) > 1:
                raise AmbiguousKeyError(f"no kid in the header and the JWKS has {len(candidates)} {alg} keys")
            raise UnknownKeyError(f"no kid in the header and the JWKS has no {alg} key")
        if not isinstance(kid, str):
            raise UnknownKeyError(f"kid must be a string, got {type(kid).__name__}")
        key = self._by_kid.get(kid)
        if key is None and self._may_refetch():
            self.refresh()  # the provider may have rotated its keys
            key = self._by_kid.get(kid)
        if key is None:
            raise UnknownKeyError(f"kid {kid[:40]!r} is not in the provider's JWKS")
        return key


class _JwsVerifier:
    """Steps shared by ID and access tokens: format, alg allowlist, key, signature."""

    def __init__(self, jwks: JwksCache, allowed_algs: Iterable[str]) -> None:
        self.jwks = jwks
        self.allowed_algs = tuple(allowed_algs)
        bad = [alg for alg in self.allowed_algs if alg.lower() == "none" or alg.startswith("HS")]
        if bad:  # secure default: an HMAC alg would let a public key act as the secret
            raise ValueError(f"refusing to allow {', '.join(bad)} for tokens signed by a provider's public keys")

    def verify(self, parsed: ParsedToken) -> None:
        if "crit" in parsed.header:  # we understand no JWS extension, so we must refuse any
            raise CriticalHeaderError(f"crit {str(parsed.header['crit'])[:60]!r} names extensions not understood")
        alg = parsed.alg
        if alg not in self.allowed_algs:
            why = {"none": "unsigned tokens are never accepted"}.get(str(alg).lower(), "not in the allowlist")
            if isinstance(alg, str) and alg.startswith("HS"):
                why = "an HMAC alg would make the public key a shared secret"
            raise DisallowedAlgorithmError(f"alg {str(alg)[:40]!r}: {why} ({', '.join(self.allowed_algs)})")
        key = self.jwks.key_for(parsed.header.get("kid"), alg)
        if key.alg != alg:
            raise DisallowedAlgorithmError(f"alg {alg!r} does not match the key's alg {key.alg!r}")
        try:
            valid = key.algorithm.verify(parsed.signing_input, key.key, parsed.signature)
        except Exception:  # a signature of the wrong shape is simply not valid
            valid = False
        if not valid:
            raise InvalidSignatureError(f"the signature does not verify with key {key.kid!r}")


def _require(claims: Mapping[str, Any], name: str, kind: str) -> Any:
    value = claims.get(name)
    ok = is_numeric_date(value) if kind == "date" else isinstance(value, str) and value != ""
    if not ok:
        what = "absent" if value is None else f"not a {'NumericDate' if kind == 'date' else 'string'}"
        raise MissingClaimError(f"claim {name!r} is {what}")
    return value


def _audiences(claims: Mapping[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str) and aud:
        return [aud]
    if isinstance(aud, list) and aud and all(isinstance(item, str) for item in aud):
        return list(aud)
    raise MissingClaimError("claim 'aud' is absent or not a string or list of strings")


def _check_times(claims: Mapping[str, Any], now: float, skew: float) -> None:
    """exp not past, iat and nbf (when present) not in the future, each with ``skew`` seconds of tolerance."""
    exp = _require(claims, "exp", "date")
    iat = _require(claims, "iat", "date")
    if now >= exp + skew:  # Core 3.1.3.7 rule 9
        raise ExpiredTokenError(f"expired at {exp}, now {now:.0f} (skew {skew:.0f} s)")
    if iat > now + skew:  # Core 3.1.3.7 rule 10
        raise IssuedInFutureError(f"iat {iat} is {iat - now:.0f} s in the future (skew {skew:.0f} s)")
    if "nbf" in claims:  # RFC 7519 section 4.1.5: optional, but binding when present
        nbf = _require(claims, "nbf", "date")
        if nbf > now + skew:
            raise NotYetValidError(f"nbf {nbf} is {nbf - now:.0f} s in the future (skew {skew:.0f} s)")


class IdTokenValidator:
    """Validates ID tokens for one client, every rule of Core 3.1.3.7 (and at_hash, 3.1.3.8)."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        jwks: JwksCache,
        clock: Clock,
        *,
        allowed_algs: Iterable[str] = DEFAULT_ALGS,
        clock_skew: float = 60.0,
        trusted_audiences: Iterable[str] = (),
    ) -> None:
        self.issuer, self.client_id, self.clock = issuer, client_id, clock
        self.clock_skew = clock_skew
        self.trusted_audiences = frozenset(trusted_audiences) | {client_id}
        self._jws = _JwsVerifier(jwks, allowed_algs)

    def validate(
        self,
        token: str,
        *,
        nonce: str | None,
        access_token: str | None = None,
        max_age: float | None = None,
    ) -> dict[str, Any]:
        """The ID token's claims, or a TokenValidationError subclass naming the broken rule.

        ``nonce`` is the one sent in the authentication request (None: none was sent);
        ``access_token`` the one issued beside it (its at_hash is checked when present);
        ``max_age`` the one requested (auth_time is then required and checked).
        """
        parsed = parse_token(token)
        typ = parsed.header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.lower() not in _JWT_TYPES):
            raise WrongTokenTypeError(f"typ {typ!r} is not an ID token (JWT); an access token is for APIs")
        self._jws.verify(parsed)  # rules 6-8: alg allowlist, key by kid, signature
        claims, now = parsed.claims, self.clock()
        self._check_parties(claims)  # required claims, rules 2-5
        _check_times(claims, now, self.clock_skew)  # rules 9-10 and nbf
        if nonce is not None:  # rule 11
            _check_nonce(claims, nonce)
        if max_age is not None:  # rule 13
            self._check_auth_time(claims, now, max_age)
        if access_token is not None and "at_hash" in claims:  # 3.1.3.8
            at_hash = claims["at_hash"]
            if not isinstance(at_hash, str) or not same_text(at_hash, token_hash(access_token, parsed.alg)):
                raise AccessTokenHashError("at_hash does not match the access token")
        return claims

    def _check_parties(self, claims: Mapping[str, Any]) -> None:
        """The required claims are there; the issuer is ours; the audiences and azp name this client."""
        iss = _require(claims, "iss", "string")
        _require(claims, "sub", "string")
        audiences = _audiences(claims)
        _require(claims, "exp", "date")
        _require(claims, "iat", "date")
        if iss != self.issuer:  # rule 2: exact match, no normalisation
            raise IssuerMismatchError(f"iss {iss[:80]!r} is not {self.issuer!r}")
        if self.client_id not in audiences:  # rule 3
            raise AudienceMismatchError(f"aud {audiences!r} does not contain client_id {self.client_id!r}")
        azp = claims.get("azp")
        if len(audiences) > 1 and azp is None:  # rule 4
            raise AuthorizedPartyError(f"several audiences {audiences!r} and no azp")
        if azp is not None and azp != self.client_id:  # rule 5
            raise AuthorizedPartyError(f"azp {azp!r} is not this client {self.client_id!r}")
        untrusted = [aud for aud in audiences if aud not in self.trusted_audiences]
        if untrusted:  # rule 3, second half
            raise AudienceMismatchError(f"aud contains audiences the client does not trust: {untrusted!r}")

    def _check_auth_time(self, claims: Mapping[str, Any], now: float, max_age: float) -> None:
        """auth_time is present and no older than max_age (plus the clock skew)."""
        auth_time: Any = claims.get("auth_time")
        if not is_numeric_date(auth_time):
            raise AuthTimeError("max_age was requested but auth_time is absent")
        if now > auth_time + max_age + self.clock_skew:
            raise AuthTimeError(f"authenticated {now - auth_time:.0f} s ago, max_age {max_age:.0f} s")


def _check_nonce(claims: Mapping[str, Any], nonce: str) -> None:
    """The token carries exactly the nonce the request sent (replay protection)."""
    sent = claims.get("nonce")
    if not isinstance(sent, str):
        raise NonceMismatchError("the nonce sent in the request is missing from the token")
    if not same_text(sent, nonce):
        raise NonceMismatchError(f"nonce {sent[:40]!r} is not the one sent")


class AccessTokenValidator:
    """A resource server's check of JWT access tokens (RFC 9068 section 4): it refuses ID tokens."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks: JwksCache,
        clock: Clock,
        *,
        allowed_algs: Iterable[str] = DEFAULT_ALGS,
        clock_skew: float = 60.0,
    ) -> None:
        self.issuer, self.audience, self.clock, self.clock_skew = issuer, audience, clock, clock_skew
        self._jws = _JwsVerifier(jwks, allowed_algs)

    def validate(self, token: str) -> dict[str, Any]:
        """The access token's claims, or a TokenValidationError subclass naming the broken rule."""
        parsed = parse_token(token)
        typ = parsed.header.get("typ")
        if not isinstance(typ, str) or typ.lower() not in _ACCESS_TOKEN_TYPES:
            raise WrongTokenTypeError(
                f"typ {typ!r} is not at+jwt: an ID token is for the client, not for APIs (RFC 9068 section 4)"
            )
        self._jws.verify(parsed)
        claims = parsed.claims
        iss = _require(claims, "iss", "string")
        for name in ("sub", "client_id", "jti"):
            _require(claims, name, "string")
        audiences = _audiences(claims)
        _require(claims, "exp", "date")
        _require(claims, "iat", "date")
        if iss != self.issuer:
            raise IssuerMismatchError(f"iss {iss[:80]!r} is not {self.issuer!r}")
        if self.audience not in audiences:
            raise AudienceMismatchError(f"aud {audiences!r} does not contain this API {self.audience!r}")
        _check_times(claims, self.clock(), self.clock_skew)
        return claims
