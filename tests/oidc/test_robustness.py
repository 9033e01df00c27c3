"""Hypothesis: the relying party only ever raises its own errors, and never accepts a mutated token."""

from __future__ import annotations

import contextlib
import functools
import json

import jwt
from hypothesis import given, settings
from hypothesis import strategies as st

from livingspec.oidc import (
    AccessTokenValidator,
    ClientRegistration,
    IdTokenValidator,
    JwksCache,
    KeyRing,
    ManualClock,
    OpenIDProvider,
    SigningKey,
    TokenValidationError,
    User,
    b64url_encode,
    new_signing_key,
)

ISSUER = "https://op.example.test"
USER = User("248289761001", "alice", "wonderland")
NONCE = "n-0S6_WzA2Mj"
CLOCK = ManualClock()


@functools.cache
def key(alg: str, kid: str) -> SigningKey:
    return new_signing_key(alg, kid)


@functools.cache
def world() -> tuple[OpenIDProvider, IdTokenValidator, AccessTokenValidator, dict[str, tuple[str, str]]]:
    provider = OpenIDProvider(ISSUER, KeyRing(CLOCK, [key("RS256", "rs-1"), key("ES256", "es-1")]), CLOCK)
    jwks = JwksCache(provider.jwks, CLOCK)
    validator = IdTokenValidator(ISSUER, "webapp", jwks, CLOCK)
    api = AccessTokenValidator(ISSUER, "https://api.example.test", jwks, CLOCK)
    tokens = {}
    for alg in ("RS256", "ES256"):
        client = ClientRegistration("webapp", "s", ("https://app/cb",), id_token_signed_response_alg=alg)
        access_token, _ = provider.issue_access_token(client, USER, ("openid",))
        id_token = provider.issue_id_token(client, USER, nonce=NONCE, auth_time=CLOCK(), access_token=access_token)
        tokens[alg] = (id_token, access_token)
    return provider, validator, api, tokens


def _only_own_errors(token: str) -> None:
    _, validator, api, _ = world()
    for check in (lambda: validator.validate(token, nonce=NONCE, max_age=60), lambda: api.validate(token)):
        with contextlib.suppress(TokenValidationError):
            check()


@given(st.text(max_size=300))
def test_arbitrary_text_raises_only_validation_errors(text: str) -> None:
    _only_own_errors(text)


_B64 = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=60)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(st.lists(_B64, min_size=0, max_size=5))
def test_dotted_base64url_parts_raise_only_validation_errors(parts: list[str]) -> None:
    _only_own_errors(".".join(parts))


@given(header=_JSON, claims=_JSON, signature=st.binary(max_size=80))
def test_arbitrary_json_parts_raise_only_validation_errors(header: object, claims: object, signature: bytes) -> None:
    def segment(value: object) -> str:
        return b64url_encode(json.dumps(value, allow_nan=True).encode())

    _only_own_errors(f"{segment(header)}.{segment(claims)}.{b64url_encode(signature)}")


@given(
    header=st.dictionaries(st.sampled_from(["alg", "kid", "typ", "crit", "x"]), _JSON, max_size=4),
    claims=st.dictionaries(
        st.sampled_from(["iss", "sub", "aud", "exp", "iat", "nonce", "azp", "auth_time", "at_hash"]), _JSON
    ),
)
@settings(max_examples=40)
def test_claims_signed_with_the_real_key_raise_only_validation_errors(
    header: dict[str, object], claims: dict[str, object]
) -> None:
    header = {k: v for k, v in header.items() if k != "alg"}
    try:
        token = key("ES256", "es-1").sign(dict(claims), header)
    except (TypeError, ValueError, jwt.PyJWTError):
        return  # pyjwt cannot encode it: nothing to validate
    _only_own_errors(token)


def _mutate(token: str, position: int, operation: str, char: str) -> str:
    index = position % (len(token) + (1 if operation == "insert" else 0))
    if operation == "insert":
        return token[:index] + char + token[index:]
    if operation == "delete":
        return token[:index] + token[index + 1 :]
    return token[:index] + char + token[index + 1 :]


@given(
    alg=st.sampled_from(["RS256", "ES256"]),
    position=st.integers(min_value=0, max_value=2000),
    operation=st.sampled_from(["insert", "delete", "replace"]),
    char=st.sampled_from(list("AQgwBCz019-_.=+/ ")),
)
def test_a_mutated_genuine_token_is_never_accepted(alg: str, position: int, operation: str, char: str) -> None:
    _, validator, _, tokens = world()
    genuine, access_token = tokens[alg]
    mutated = _mutate(genuine, position, operation, char)
    if mutated == genuine:
        return
    try:
        validator.validate(mutated, nonce=NONCE, access_token=access_token)
    except TokenValidationError:
        return
    raise AssertionError(f"a mutated token was accepted: {operation} {char!r} at {position}")
