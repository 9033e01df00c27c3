"""Unit tests of the relying party's ID token validation, the JWKS cache and the resource server."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import pytest

from livingspec.oidc import (
    TAMPERINGS,
    AccessTokenValidator,
    AmbiguousKeyError,
    ClientRegistration,
    DisallowedAlgorithmError,
    Forgery,
    IdTokenValidator,
    JwksCache,
    KeyRing,
    ManualClock,
    OpenIDProvider,
    SigningKey,
    TokenEncodingError,
    TokenValidationError,
    UnknownKeyError,
    User,
    WrongTokenTypeError,
    b64url_decode,
    b64url_encode,
    new_signing_key,
    parse_token,
    tamper,
    token_hash,
)

ISSUER = "https://op.example.test"
USER = User("248289761001", "alice", "wonderland", {"name": "Alice Liddell"})
NONCE = "n-0S6_WzA2Mj"


@functools.cache
def key(alg: str, kid: str) -> SigningKey:
    return new_signing_key(alg, kid)


def make_provider(clock: ManualClock, alg: str = "RS256") -> tuple[OpenIDProvider, ClientRegistration]:
    provider = OpenIDProvider(ISSUER, KeyRing(clock, [key("RS256", "rs-1"), key("ES256", "es-1")]), clock)
    client = ClientRegistration("webapp", "secret", ("https://app.example.test/cb",), id_token_signed_response_alg=alg)
    provider.register_client(client)
    provider.add_user(USER)
    return provider, client


def make_validator(provider: OpenIDProvider, clock: ManualClock, **options: Any) -> IdTokenValidator:
    jwks = JwksCache(provider.jwks, clock)
    return IdTokenValidator(ISSUER, "webapp", jwks, clock, **options)


def genuine(provider: OpenIDProvider, client: ClientRegistration, clock: ManualClock) -> tuple[str, str, Forgery]:
    access_token, _ = provider.issue_access_token(client, USER, ("openid",))
    token = provider.issue_id_token(client, USER, nonce=NONCE, auth_time=clock() - 60, access_token=access_token)
    parsed = parse_token(token)
    header = {k: v for k, v in parsed.header.items() if k != "alg"}
    forgery = Forgery(parsed.claims, header, provider.keys.active(client.id_token_signed_response_alg), clock())
    return token, access_token, forgery


# Tamperings whose tokens are accepted (with one RS256 key in the JWKS and a trusted extra audience).
ACCEPTED = {
    "nothing",
    "no kid",
    "a trusted second audience and azp",
    "expired within the clock skew",
    "iat 30 seconds in the future",
    "nbf 30 seconds in the future",
}


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_every_tampering_is_rejected_with_a_validation_error_or_accepted_when_harmless(alg: str, name: str) -> None:
    clock = ManualClock()
    provider, client = make_provider(clock, alg)
    validator = make_validator(provider, clock, trusted_audiences=["https://api.example.test"])
    _, access_token, forgery = genuine(provider, client, clock)
    token = tamper(forgery, name)
    if name in ACCEPTED:
        assert validator.validate(token, nonce=NONCE, access_token=access_token, max_age=3600)["sub"] == USER.sub
    else:
        with pytest.raises(TokenValidationError):
            validator.validate(token, nonce=NONCE, access_token=access_token, max_age=3600)


def test_the_genuine_token_carries_the_required_claims_and_at_hash() -> None:
    clock = ManualClock()
    provider, client = make_provider(clock)
    token, access_token, _ = genuine(provider, client, clock)
    claims = make_validator(provider, clock).validate(token, nonce=NONCE, access_token=access_token)
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["at_hash"] == token_hash(access_token, "RS256")
    assert claims["aud"] == "webapp" and claims["iss"] == ISSUER


def test_a_validator_refuses_to_be_configured_with_hmac_or_none() -> None:
    clock = ManualClock()
    provider, _ = make_provider(clock)
    for algs in (["HS256"], ["none"], ["RS256", "HS512"]):
        with pytest.raises(ValueError, match="refusing"):
            make_validator(provider, clock, allowed_algs=algs)


def test_alg_not_in_a_narrower_allowlist_is_refused() -> None:
    clock = ManualClock()
    provider, client = make_provider(clock, "ES256")
    token, _, _ = genuine(provider, client, clock)
    with pytest.raises(DisallowedAlgorithmError):
        make_validator(provider, clock, allowed_algs=["RS256"]).validate(token, nonce=NONCE)


def test_kid_absent_is_ambiguous_once_a_rotation_publishes_two_keys() -> None:
    clock = ManualClock()
    provider, client = make_provider(clock)
    provider.rotate_key(key("RS256", "rs-2"))
    _, _, forgery = genuine(provider, client, clock)
    with pytest.raises(AmbiguousKeyError):
        make_validator(provider, clock).validate(tamper(forgery, "no kid"), nonce=NONCE)


def test_unknown_kids_refetch_at_most_once_per_interval() -> None:
    clock = ManualClock()
    provider, client = make_provider(clock)
    fetches: list[float] = []

    def fetch() -> Any:
        fetches.append(clock())
        return provider.jwks()

    jwks = JwksCache(fetch, clock, refetch_interval=60)
    validator = IdTokenValidator(ISSUER, "webapp", jwks, clock)
    token, _, forgery = genuine(provider, client, clock)
    validator.validate(token, nonce=NONCE)
    clock.advance(61)
    for index in range(10):
        with pytest.raises(UnknownKeyError):
            validator.validate(forgery.sign(header={**forgery.header, "kid": f"x{index}"}), nonce=NONCE)
    assert len(fetches) == 2  # the first fetch, and one refetch for the first unknown kid
    clock.advance(61)
    with pytest.raises(UnknownKeyError):
        validator.validate(forgery.sign(header={**forgery.header, "kid": "y"}), nonce=NONCE)
    assert len(fetches) == 3


def test_a_rotated_key_is_found_by_refetching() -> None:
    clock = ManualClock()
    provider, client = make_provider(clock)
    validator = make_validator(provider, clock)
    validator.validate(genuine(provider, client, clock)[0], nonce=NONCE)
    provider.rotate_key(key("RS256", "rs-3"))
    clock.advance(120)
    token = genuine(provider, client, clock)[0]
    assert parse_token(token).header["kid"] == "rs-3"
    assert validator.validate(token, nonce=NONCE)["sub"] == USER.sub


def test_the_resource_server_accepts_access_tokens_and_refuses_id_tokens() -> None:
    clock = ManualClock()
    provider, client = make_provider(clock)
    token, access_token, _ = genuine(provider, client, clock)
    api = AccessTokenValidator(ISSUER, "https://api.example.test", JwksCache(provider.jwks, clock), clock)
    assert api.validate(access_token)["client_id"] == "webapp"
    with pytest.raises(WrongTokenTypeError):
        api.validate(token)
    with pytest.raises(WrongTokenTypeError):
        make_validator(provider, clock).validate(access_token, nonce=None)


@pytest.mark.parametrize("text", ["A", "AB=", "AB+/", "AQ", "AR", "AAB", "AAC"])
def test_base64url_is_strict(text: str) -> None:
    # "AR" and "AAC" carry stray low bits: another spelling of the bytes of "AQ" and "AAA".
    if text in ("AQ",):
        assert b64url_decode(text) == b"\x01"
        return
    with pytest.raises(TokenEncodingError):
        b64url_decode(text)


def test_base64url_round_trips() -> None:
    for data in (b"", b"\x00", b"\xff\xfe", bytes(range(256))):
        assert b64url_decode(b64url_encode(data)) == data


def test_key_ring_prunes_retired_keys_after_one_lifetime() -> None:
    clock = ManualClock()
    provider, _ = make_provider(clock)
    provider.rotate_key(key("RS256", "rs-4"))
    assert provider.keys.kids() == ["rs-1", "es-1", "rs-4"]
    clock.advance(3599)
    assert "rs-1" in provider.keys.kids()
    clock.advance(1)
    assert provider.keys.kids() == ["es-1", "rs-4"]


def test_signing_keys_never_show_their_private_half() -> None:
    signing_key = key("RS256", "rs-1")
    assert "private" not in repr(signing_key)
    assert "d" not in signing_key.public_jwk and "p" not in signing_key.public_jwk
    assert dataclasses.asdict(signing_key)["kid"] == "rs-1"
