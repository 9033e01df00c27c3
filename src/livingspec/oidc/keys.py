"""Signing keys of the provider and their rotation by ``kid`` (Core 10.1.1, RFC 7517).

The provider signs with one active key per algorithm. Rotation makes a new key active; the old
one stays in the published JWKS, verifying only, until every token it signed has expired, and is
then pruned. A relying party that meets an unknown ``kid`` refetches the JWKS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from livingspec.oidc.clock import Clock
from livingspec.oidc.errors import OIDCError

#: Signature algorithms the provider can sign ID tokens with.
SUPPORTED_ALGS = ("RS256", "ES256")


@dataclass(frozen=True)
class SigningKey:
    """A private key with its kid and algorithm; ``public_jwk`` is what the JWKS publishes."""

    kid: str
    alg: str
    private_key: Any = field(repr=False)  # never shown: repr hides it

    @property
    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK with kid, alg and use=sig."""
        algorithm = jwt.get_algorithm_by_name(self.alg)
        jwk: dict[str, Any] = json.loads(algorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None, *, include_kid: bool = True) -> str:
        """A compact JWS of ``claims`` signed by this key (pyjwt)."""
        header = {"kid": self.kid, **(headers or {})} if include_kid else dict(headers or {})
        return jwt.encode(claims, self.private_key, algorithm=self.alg, headers=header)


def new_signing_key(alg: str, kid: str) -> SigningKey:
    """Generate a fresh key: RSA 2048 for RS256, P-256 for ES256."""
    if alg == "RS256":
        return SigningKey(kid, alg, rsa.generate_private_key(public_exponent=65537, key_size=2048))
    if alg == "ES256":
        return SigningKey(kid, alg, ec.generate_private_key(ec.SECP256R1()))
    raise OIDCError(f"unsupported signing algorithm {alg!r}; choose one of {', '.join(SUPPORTED_ALGS)}")


@dataclass
class _Entry:
    key: SigningKey
    retired_until: float | None = None  # None: active; else published until this time


class KeyRing:
    """The provider's keys: one active per algorithm, retired ones published until their tokens expire."""

    def __init__(self, clock: Clock, keys: list[SigningKey]) -> None:
        self.clock = clock
        self._entries: list[_Entry] = []
        for key in keys:
            self.add(key)

    def add(self, key: SigningKey) -> None:
        """Make ``key`` the active key for its algorithm (a previously active one is retired at once)."""
        if any(entry.key.kid == key.kid for entry in self._entries):
            raise OIDCError(f"kid {key.kid!r} is already in the key ring")
        self._entries.append(_Entry(key))

    def active(self, alg: str) -> SigningKey:
        """The key that signs new tokens with ``alg``."""
        for entry in reversed(self._entries):
            if entry.key.alg == alg and entry.retired_until is None:
                return entry.key
        raise OIDCError(f"no active {alg} key in the key ring")

    def rotate(self, new_key: SigningKey, keep_for: float) -> SigningKey:
        """Activate ``new_key``; the previous key of its alg is published ``keep_for`` seconds more."""
        old = self.active(new_key.alg)
        for entry in self._entries:
            if entry.key is old:
                entry.retired_until = self.clock() + keep_for
        self.add(new_key)
        return old

    def remove(self, kid: str) -> None:
        """Withdraw a key from the JWKS at once (a compromised key)."""
        before = len(self._entries)
        self._entries = [entry for entry in self._entries if entry.key.kid != kid]
        if len(self._entries) == before:
            raise OIDCError(f"no key with kid {kid!r} in the key ring")

    def prune(self) -> list[str]:
        """Drop retired keys whose tokens have all expired; return their kids."""
        now = self.clock()
        gone = [e.key.kid for e in self._entries if e.retired_until is not None and e.retired_until <= now]
        self._entries = [e for e in self._entries if e.key.kid not in gone]
        return gone

    def kids(self) -> list[str]:
        """The kids currently published, oldest first."""
        self.prune()
        return [entry.key.kid for entry in self._entries]

    def jwks(self) -> dict[str, Any]:
        """The JWK Set document (RFC 7517 section 5): public keys only."""
        self.prune()
        return {"keys": [entry.key.public_jwk for entry in self._entries]}
