"""Tampered and malformed ID tokens, for showing that the relying party refuses each of them.

A ``Forgery`` holds a genuine token's claims and header and the key that signed it; each entry of
``TAMPERINGS`` turns it into one bad (or, for the tolerated variants, still acceptable) token.
The names are the ones the specification's tables use; times are relative to the forgery's clock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization

from livingspec.oidc.errors import OIDCError
from livingspec.oidc.jose import b64url_decode, b64url_encode, parse_token
from livingspec.oidc.keys import SigningKey
from livingspec.oidc.provider import ClientRegistration, OpenIDProvider, User


def _segment(data: Any) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    return b64url_encode(raw)


@dataclass(frozen=True)
class Forgery:
    """A genuine token's parts: claims, header (with typ and kid), the signing key, and the time."""

    claims: dict[str, Any]
    header: dict[str, Any]
    key: SigningKey
    now: float

    def sign(self, claims: dict[str, Any] | None = None, header: dict[str, Any] | None = None) -> str:
        """Sign (with the genuine key) the given claims and header, defaulting to the genuine ones."""
        header = dict(self.header if header is None else header)
        header.pop("alg", None)
        kid_given = "kid" in header
        return self.key.sign(self.claims if claims is None else claims, header, include_kid=kid_given)

    def with_header(self, **changes: Any) -> str:
        """Re-signed with some header fields changed (a value of None removes the field)."""
        header = {**self.header, **changes}
        return self.sign(header={name: value for name, value in header.items() if value is not None})

    def with_claims(self, **changes: Any) -> str:
        """Re-signed with some claims changed (a value of None removes the claim)."""
        claims = {**self.claims, **changes}
        return self.sign({name: value for name, value in claims.items() if value is not None})

    def genuine(self) -> str:
        """The token as the provider would issue it."""
        return self.sign()


@dataclass(frozen=True)
class GenuineTokens:
    """What the provider issued to a client: the ID token, the access token beside it, and its parts."""

    id_token: str
    access_token: str
    forgery: Forgery


def issue_genuine(
    provider: OpenIDProvider, client: ClientRegistration, user: User, *, nonce: str, auth_age: float = 60.0
) -> GenuineTokens:
    """An ID token and access token as the token endpoint would issue them, the user authenticated
    ``auth_age`` seconds ago; the ID token carries ``nonce`` and the access token's at_hash."""
    access_token, _ = provider.issue_access_token(client, user, ("openid",))
    now = provider.clock()
    token = provider.issue_id_token(client, user, nonce=nonce, auth_time=now - auth_age, access_token=access_token)
    parsed = parse_token(token)
    header = {name: value for name, value in parsed.header.items() if name != "alg"}
    key = provider.keys.active(client.id_token_signed_response_alg)
    return GenuineTokens(token, access_token, Forgery(parsed.claims, header, key, now))


def _altered_signature(f: Forgery) -> str:
    head, body, signature = f.genuine().split(".")
    raw = bytearray(b64url_decode(signature))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{body}.{b64url_encode(bytes(raw))}"


def _claims_swapped(f: Forgery) -> str:
    head, _, signature = f.genuine().split(".")
    return f"{head}.{_segment({**f.claims, 'sub': 'someone-else'})}.{signature}"


def _alg_none(f: Forgery) -> str:
    return f"{_segment({**f.header, 'alg': 'none'})}.{_segment(f.claims)}."


def _hs256_with_public_key(f: Forgery) -> str:
    pem = f.key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{_segment({**f.header, 'alg': 'HS256'})}.{_segment(f.claims)}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url_encode(signature)}"


def _alg_not_allowed(f: Forgery) -> str:
    _, body, signature = f.genuine().split(".")
    return f"{_segment({**f.header, 'alg': 'RS384'})}.{body}.{signature}"


def _expired(f: Forgery) -> str:
    return f.with_claims(iat=int(f.now) - 3700, exp=int(f.now) - 100)


def _expired_within_skew(f: Forgery) -> str:
    return f.with_claims(iat=int(f.now) - 3630, exp=int(f.now) - 30)


def _two_audiences(f: Forgery, extra: str, azp: str | None) -> str:
    return f.with_claims(aud=[f.claims["aud"], extra], azp=azp)


#: Name (as written in the feature files) -> how to make that token from a genuine one.
TAMPERINGS: dict[str, Callable[[Forgery], str]] = {
    "nothing": Forgery.genuine,
    "the signature altered": _altered_signature,
    "the claims changed after signing": _claims_swapped,
    "alg none": _alg_none,
    "alg HS256 keyed with the public key": _hs256_with_public_key,
    "alg RS384, not in the allowlist": _alg_not_allowed,
    "an unknown kid": lambda f: f.with_header(kid="never-published"),
    "no kid": lambda f: f.with_header(kid=None),
    "typ at+jwt": lambda f: f.with_header(typ="at+jwt"),
    "a crit header extension": lambda f: f.with_header(crit=["exp"], exp=1),
    "another issuer": lambda f: f.with_claims(iss="https://evil.example.test"),
    "the issuer with a trailing slash": lambda f: f.with_claims(iss=f.claims["iss"] + "/"),
    "no iss": lambda f: f.with_claims(iss=None),
    "another audience": lambda f: f.with_claims(aud="another-client"),
    "no sub": lambda f: f.with_claims(sub=None),
    "no exp": lambda f: f.with_claims(exp=None),
    "no iat": lambda f: f.with_claims(iat=None),
    "exp as a string": lambda f: f.with_claims(exp=str(f.claims["exp"])),
    "expired": _expired,
    "expired within the clock skew": _expired_within_skew,
    "iat 5 minutes in the future": lambda f: f.with_claims(iat=int(f.now) + 300, exp=int(f.now) + 3900),
    "iat 30 seconds in the future": lambda f: f.with_claims(iat=int(f.now) + 30, exp=int(f.now) + 3630),
    "nbf 5 minutes in the future": lambda f: f.with_claims(nbf=int(f.now) + 300),
    "nbf 30 seconds in the future": lambda f: f.with_claims(nbf=int(f.now) + 30),
    "nbf as a string": lambda f: f.with_claims(nbf=str(int(f.now))),
    "no nonce": lambda f: f.with_claims(nonce=None),
    "another nonce": lambda f: f.with_claims(nonce="a-replayed-nonce"),
    "a wrong at_hash": lambda f: f.with_claims(at_hash=b64url_encode(b"\x00" * 16)),
    "auth_time 2 hours ago": lambda f: f.with_claims(auth_time=int(f.now) - 7200),
    "no auth_time": lambda f: f.with_claims(auth_time=None),
    "two audiences and no azp": lambda f: _two_audiences(f, "https://api.example.test", None),
    "azp of another client": lambda f: _two_audiences(f, "https://api.example.test", "another-client"),
    "an untrusted second audience": lambda f: _two_audiences(f, "https://untrusted.example.test", f.claims["aud"]),
    "a trusted second audience and azp": lambda f: _two_audiences(f, "https://api.example.test", f.claims["aud"]),
    "the signature cut off": lambda f: f.genuine().rsplit(".", 1)[0],
    "a header that is not base64url": lambda f: "%%%." + f.genuine().split(".", 1)[1],
    "claims that are a JSON array": lambda f: f"{_segment(f.header | {'alg': f.key.alg})}.{_segment([1, 2])}.AAAA",
    "a header that is not JSON": lambda f: f"{_segment(b'not json')}.{f.genuine().split('.', 1)[1]}",
}


def tamper(forgery: Forgery, name: str) -> str:
    """The token ``name`` describes, made from ``forgery``; OIDCError for an unknown name."""
    try:
        make = TAMPERINGS[name]
    except KeyError:
        raise OIDCError(f"unknown tampering {name!r}; known: {', '.join(sorted(TAMPERINGS))}") from None
    return make(forgery)
