"""Interoperability with a peer JOSE library (joserfc): each side validates the other's tokens.

Tokens our provider issues verify with joserfc against the published JWKS, and their claims
pass joserfc's claims registry; tokens joserfc signs with the provider's private keys pass our
relying party. joserfc is a test dependency (``pip install joserfc``); without it these skip.
"""

from __future__ import annotations

import functools
import time

import pytest

from livingspec.oidc import (
    ClientRegistration,
    IdTokenValidator,
    InvalidSignatureError,
    JwksCache,
    KeyRing,
    ManualClock,
    OpenIDProvider,
    SigningKey,
    User,
    new_signing_key,
    token_hash,
)

joserfc_jwt = pytest.importorskip("joserfc.jwt")
joserfc_jwk = pytest.importorskip("joserfc.jwk")

ISSUER = "https://op.example.test"
USER = User("248289761001", "alice", "wonderland", {"name": "Alice Liddell"})
NONCE = "n-0S6_WzA2Mj"


@functools.cache
def key(alg: str, kid: str) -> SigningKey:
    return new_signing_key(alg, kid)


def setup(alg: str) -> tuple[OpenIDProvider, ClientRegistration, ManualClock]:
    clock = ManualClock(start=float(int(time.time())))  # joserfc's claims checks use the real time
    provider = OpenIDProvider(ISSUER, KeyRing(clock, [key("RS256", "rs-1"), key("ES256", "es-1")]), clock)
    client = ClientRegistration("webapp", "s", ("https://app/cb",), id_token_signed_response_alg=alg)
    return provider, client, clock


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_our_id_tokens_validate_with_joserfc(alg: str) -> None:
    provider, client, clock = setup(alg)
    access_token, _ = provider.issue_access_token(client, USER, ("openid", "profile"))
    token = provider.issue_id_token(
        client, USER, nonce=NONCE, auth_time=clock(), access_token=access_token, scope=("openid", "profile")
    )
    keys = joserfc_jwk.KeySet.import_key_set(provider.jwks())
    decoded = joserfc_jwt.decode(token, keys, algorithms=[alg])
    assert decoded.header["kid"] == provider.keys.active(alg).kid
    registry = joserfc_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": "webapp"},
        sub={"essential": True, "value": USER.sub},
        nonce={"essential": True, "value": NONCE},
        exp={"essential": True},
        iat={"essential": True},
    )
    registry.validate(decoded.claims)
    assert decoded.claims["at_hash"] == token_hash(access_token, alg)
    assert decoded.claims["name"] == "Alice Liddell"


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_our_access_tokens_are_at_jwt_for_joserfc(alg: str) -> None:
    provider, client, _ = setup(alg)
    access_token, jti = provider.issue_access_token(client, USER, ("openid",))
    decoded = joserfc_jwt.decode(access_token, joserfc_jwk.KeySet.import_key_set(provider.jwks()), algorithms=[alg])
    assert decoded.header["typ"] == "at+jwt"
    assert decoded.claims["jti"] == jti and "https://api.example.test" in decoded.claims["aud"]


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_tokens_minted_by_joserfc_with_the_providers_key_validate_with_our_relying_party(alg: str) -> None:
    provider, _, clock = setup(alg)
    signing_key = provider.keys.active(alg)
    key_type = "RSA" if alg == "RS256" else "EC"
    private_jwk = joserfc_jwk.import_key(signing_key.private_key, key_type, parameters={"kid": signing_key.kid})
    now = int(clock())
    claims = {"iss": ISSUER, "sub": USER.sub, "aud": "webapp", "exp": now + 600, "iat": now, "nonce": NONCE}
    token = joserfc_jwt.encode({"alg": alg, "kid": signing_key.kid, "typ": "JWT"}, claims, private_jwk)
    validator = IdTokenValidator(ISSUER, "webapp", JwksCache(provider.jwks, clock), clock)
    assert validator.validate(token, nonce=NONCE)["sub"] == USER.sub


def test_a_token_joserfc_signs_with_a_foreign_key_under_our_kid_is_refused() -> None:
    provider, _, clock = setup("ES256")
    foreign = joserfc_jwk.ECKey.generate_key("P-256", parameters={"kid": "es-1"})
    now = int(clock())
    claims = {"iss": ISSUER, "sub": USER.sub, "aud": "webapp", "exp": now + 600, "iat": now, "nonce": NONCE}
    token = joserfc_jwt.encode({"alg": "ES256", "kid": "es-1"}, claims, foreign)
    validator = IdTokenValidator(ISSUER, "webapp", JwksCache(provider.jwks, clock), clock)
    with pytest.raises(InvalidSignatureError):
        validator.validate(token, nonce=NONCE)
