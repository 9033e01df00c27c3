"""Fuzz of the ID token validator: arbitrary text, bytes, base64url segments and JSON, signed or not.

Whatever the input, the validator answers with the token's claims or raises one of the project's
own TokenValidationError subclasses: never another exception, never a hang. Time and memory are
bounded by construction (a token longer than MAX_TOKEN_LENGTH is refused before it is decoded),
which one test checks without a clock. Runs with the hypothesis profile of the run: quick locally,
thorough under CI.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import jwt
from hypothesis import given
from hypothesis import strategies as st

from livingspec.oidc import (
    MAX_TOKEN_LENGTH,
    ClientRegistration,
    IdTokenValidator,
    JwksCache,
    KeyRing,
    ManualClock,
    OpenIDProvider,
    SigningKey,
    TokenTooLargeError,
    TokenValidationError,
    User,
    b64url_encode,
    new_signing_key,
)

ISSUER = "https://op.example.test"
USER = User("248289761001", "alice", "wonderland")
NONCE = "n-0S6_WzA2Mj"
CLOCK = ManualClock()

# Every code point, lone surrogates included (JSON's \ud800 escapes decode to them).
ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=200)
B64URL = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.", max_size=120)
JSON_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(codec=None, categories=None), max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)
CLAIM_NAMES = ["iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "auth_time", "at_hash", "x"]
HEADER_NAMES = ["kid", "typ", "crit", "cty", "x"]


@functools.cache
def key() -> SigningKey:
    return new_signing_key("ES256", "es-1")


@functools.cache
def validator() -> IdTokenValidator:
    provider = OpenIDProvider(ISSUER, KeyRing(CLOCK, [key()]), CLOCK)
    provider.register_client(
        ClientRegistration("webapp", "s", ("https://app/cb",), id_token_signed_response_alg="ES256")
    )
    return IdTokenValidator(ISSUER, "webapp", JwksCache(provider.jwks, CLOCK), CLOCK)


def validates_or_refuses(token: Any, access_token: str | None = None) -> None:
    """Only a dict of claims or a TokenValidationError: anything else fails the test."""
    try:
        claims = validator().validate(token, nonce=NONCE, access_token=access_token, max_age=3600)
    except TokenValidationError:
        return
    assert isinstance(claims, dict)


def segment(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")
    return b64url_encode(raw)


@given(ANY_TEXT)
def test_arbitrary_text(text: str) -> None:
    validates_or_refuses(text)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_as_the_token_and_as_text(data: bytes) -> None:
    validates_or_refuses(data)
    validates_or_refuses(data.decode("latin-1"))


@given(st.lists(B64URL, max_size=6))
def test_arbitrary_base64url_segments(parts: list[str]) -> None:
    validates_or_refuses(".".join(parts))


@given(st.lists(st.binary(max_size=120), min_size=3, max_size=3))
def test_arbitrary_bytes_in_each_segment(parts: list[bytes]) -> None:
    validates_or_refuses(".".join(b64url_encode(part) for part in parts))


@given(header=JSON_VALUE, claims=JSON_VALUE, signature=st.binary(max_size=80))
def test_arbitrary_json_in_each_segment(header: Any, claims: Any, signature: bytes) -> None:
    validates_or_refuses(f"{segment(header)}.{segment(claims)}.{b64url_encode(signature)}")


@given(
    header=st.dictionaries(st.sampled_from(HEADER_NAMES), JSON_VALUE, max_size=4),
    claims=st.dictionaries(st.sampled_from(CLAIM_NAMES), JSON_VALUE, max_size=11),
    access_token=st.none() | ANY_TEXT,
)
def test_arbitrary_claims_signed_with_the_providers_key(
    header: dict[str, Any], claims: dict[str, Any], access_token: str | None
) -> None:
    """The hardest case: a valid signature over hostile claims (a provider that misbehaves)."""
    try:
        token = key().sign(dict(claims), dict(header))
    except (TypeError, ValueError, OverflowError, jwt.PyJWTError):
        return  # pyjwt cannot encode it: there is no token to validate
    validates_or_refuses(token, access_token)


@given(
    nonce=ANY_TEXT,
    at_hash=ANY_TEXT,
    offsets=st.lists(st.integers(-120, 120) | st.integers(-(10**6), 10**6), min_size=4, max_size=4),
)
def test_near_genuine_claims_with_hostile_strings_and_times(nonce: str, at_hash: str, offsets: list[int]) -> None:
    now = int(CLOCK())
    claims = {
        "iss": ISSUER,
        "sub": USER.sub,
        "aud": "webapp",
        "iat": now + offsets[0],
        "exp": now + offsets[1],
        "nbf": now + offsets[2],
        "auth_time": now + offsets[3],
        "nonce": nonce,
        "at_hash": at_hash,
    }
    validates_or_refuses(key().sign(claims, {"typ": "JWT"}), "an-access-token")


@given(st.integers(min_value=1, max_value=4), st.sampled_from(["A", ".", "[", "{"]))
def test_a_token_over_the_length_limit_is_refused_before_decoding(factor: int, filler: str) -> None:
    """Work is bounded by size: an oversize token is refused by its length, whatever it holds."""
    token = filler * (MAX_TOKEN_LENGTH * factor + 1)
    try:
        validator().validate(token, nonce=NONCE)
    except TokenTooLargeError as error:
        assert str(MAX_TOKEN_LENGTH) in str(error)
    else:
        raise AssertionError("an oversize token was not refused")


def test_deeply_nested_json_under_the_limit_is_a_json_error_not_a_recursion_crash() -> None:
    depth = (MAX_TOKEN_LENGTH // 2) // 2
    nested = b64url_encode(("[" * depth + "]" * depth).encode())
    token = f"{segment({'alg': 'ES256'})}.{nested}.AAAA"
    assert len(token) <= MAX_TOKEN_LENGTH
    try:
        validator().validate(token, nonce=NONCE)
    except TokenValidationError:
        return
    raise AssertionError("a nested array was accepted as claims")


def test_a_signed_nonce_or_at_hash_with_a_lone_surrogate_is_refused_not_a_crash() -> None:
    """Found by the fuzz above: comparing '\\ud800' raised UnicodeEncodeError instead of refusing."""
    now = int(CLOCK())
    base = {"iss": ISSUER, "sub": USER.sub, "aud": "webapp", "iat": now, "exp": now + 600, "auth_time": now}
    for claims in ({**base, "nonce": "\ud800"}, {**base, "nonce": NONCE, "at_hash": "\udfff"}):
        token = key().sign(claims, {"typ": "JWT"})
        try:
            validator().validate(token, nonce=NONCE, access_token="an-access-token", max_age=3600)
        except TokenValidationError as error:
            assert type(error).__name__ in ("NonceMismatchError", "AccessTokenHashError")
        else:
            raise AssertionError("a token with a lone surrogate in nonce or at_hash was accepted")
