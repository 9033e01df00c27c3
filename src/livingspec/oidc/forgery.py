"""Tokens described by their claims, header and signature, made from a genuine one.

A ``Forgery`` holds a genuine token's claims and header and the key that signed it. A
``TokenDescription`` says what differs: claims and header fields set or removed, how it is signed,
and raw segments for malformed tokens. ``forge`` makes the token it describes. Values are written
as a feature would write them (``now+3600``, ``(absent)``, ``{iss}/``, JSON; see ``resolve``).
Each entry of ``TAMPERINGS`` is a preset description: the names the specification's tables use.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization

from livingspec.oidc.errors import TokenDescriptionError
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


#: How a described token is signed (the ``signature`` of a description).
SIGNATURES: dict[str, str] = {
    "valid": "signed by the provider's key over the described header and claims",
    "altered": "signed, then one bit of the signature flipped",
    "kept from the genuine token": "the described header and claims beside the genuine token's signature",
    "none": "alg none and an empty signature",
    "HS256 keyed with the public key": "HMAC-SHA256 with the provider's public key (PEM) as the secret",
    "cut off": "signed, then the signature part removed (two parts)",
}
KEPT = "kept from the genuine token"
SEGMENTS = ("header", "claims")  #: the parts a description may replace by raw text
ABSENT = "(absent)"  #: the value that removes a claim or header field
_NOW = re.compile(r"now(?:\s*([+-])\s*(\d+))?")
_REF = re.compile(r"\{([A-Za-z_][\w.-]*)\}")
_SCALAR = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")
_FIELDS = "claim <name>, header <name>, signature, header segment, claims segment, preset"


@dataclass(frozen=True)
class TokenDescription:
    """What a token has that the genuine one has not; values are resolved against the genuine token.

    ``claims`` and ``header``: name -> value (text in the value language of ``resolve``, or any JSON
    value); ``signature``: one of SIGNATURES; ``segments``: "header" or "claims" -> raw text that
    replaces that encoded part ("base64url:<text>" encodes the text first).
    """

    claims: Mapping[str, Any] = field(default_factory=dict)
    header: Mapping[str, Any] = field(default_factory=dict)
    signature: str = "valid"
    segments: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.signature not in SIGNATURES:
            raise TokenDescriptionError(f"unknown signature {self.signature!r}; known: {', '.join(SIGNATURES)}")
        unknown = [name for name in self.segments if name not in SEGMENTS]
        if unknown:
            raise TokenDescriptionError(f"unknown segment {unknown[0]!r}; known: {', '.join(SEGMENTS)}")

    def then(self, other: TokenDescription) -> TokenDescription:
        """This description with ``other``'s changes on top (its fields win)."""
        signature = other.signature if other.signature != "valid" else self.signature
        return TokenDescription(
            {**self.claims, **other.claims},
            {**self.header, **other.header},
            signature,
            {**self.segments, **other.segments},
        )

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str]]) -> TokenDescription:
        """A description from (field, value) rows, as a feature's table gives them.

        Fields: ``claim <name>``, ``header <name>``, ``signature``, ``header segment``, ``claims
        segment``, and ``preset`` (a named tampering to start from; later rows add to it).
        """
        described = cls()
        seen: set[str] = set()
        for name, value in rows:
            field_name = " ".join(name.split())
            if field_name in seen:
                raise TokenDescriptionError(f"field {field_name!r} is described twice")
            seen.add(field_name)
            described = described.then(_row(field_name, value))
        return described


def _row(field_name: str, value: str) -> TokenDescription:
    kind, _, name = field_name.partition(" ")
    if kind == "claim" and name:
        return TokenDescription(claims={name: value})
    if kind == "header" and name and name != "segment":
        return TokenDescription(header={name: value})
    if field_name == "signature":
        return TokenDescription(signature=value.strip())
    if name == "segment" and kind in SEGMENTS:
        return TokenDescription(segments={kind: value})
    if field_name == "preset":
        preset = TAMPERINGS.get(value.strip())
        if preset is None:
            raise TokenDescriptionError(f"unknown tampering {value.strip()!r}; known: {', '.join(sorted(TAMPERINGS))}")
        return preset
    raise TokenDescriptionError(f"unknown field {field_name!r}; known: {_FIELDS}")


def resolve(value: Any, forgery: Forgery) -> Any:
    """The JSON value a description's ``value`` stands for, against the genuine token ``forgery``.

    - ``(absent)``: the claim or field is left out (returns ABSENT);
    - ``now``, ``now+3600``, ``now-60``: a NumericDate, seconds from the genuine token's issue time;
    - ``{exp}``: the genuine token's value of that claim; inside text (``{iss}/``), its text;
    - JSON: a number, ``true``, ``false``, ``null``, a quoted ``"string"`` (text that would read as
      something else), an array or object (``[{aud}, "https://api.example.test"]``);
    - anything else: that text, as a string. A value that is not text is taken as it is.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text == ABSENT:
        return ABSENT
    now = _NOW.fullmatch(text)
    if now:
        sign, amount = now.group(1), int(now.group(2) or 0)
        return int(forgery.now) + (-amount if sign == "-" else amount)
    whole = _REF.fullmatch(text)
    if whole:
        return _claim(forgery, whole.group(1))
    return _written(text, forgery)


def _written(text: str, forgery: Forgery) -> Any:
    """JSON (with ``{claim}`` references inside), or plain text with references replaced by their text."""
    if text[:1] == "[" or (text[:1] == "{" and not _REF.match(text)):  # "{iss}/" is text, not an object
        return _json(_REF.sub(lambda m: json.dumps(_claim(forgery, m.group(1))), text), text)
    if text[:1] == '"':
        return _json(_REF.sub(lambda m: json.dumps(str(_claim(forgery, m.group(1))))[1:-1], text), text)
    if _SCALAR.fullmatch(text):
        return _json(text, text)
    return _REF.sub(lambda m: str(_claim(forgery, m.group(1))), text)


def _claim(forgery: Forgery, name: str) -> Any:
    if name not in forgery.claims:
        raise TokenDescriptionError(
            f"unknown claim {{{name}}}; the genuine token has: {', '.join(sorted(forgery.claims))}"
        )
    return forgery.claims[name]


def _json(text: str, written: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise TokenDescriptionError(f"value {written!r} is not valid JSON: {error}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _applied(genuine: Mapping[str, Any], changes: Mapping[str, Any], forgery: Forgery) -> dict[str, Any]:
    result = dict(genuine)
    for name, value in changes.items():
        resolved = resolve(value, forgery)
        if resolved == ABSENT:
            result.pop(name, None)
        else:
            result[name] = resolved
    return result


def _hs256_with_public_key(forgery: Forgery, header: dict[str, Any], claims: dict[str, Any]) -> str:
    pem = forgery.key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{_segment({**header, 'alg': header.get('alg', 'HS256')})}.{_segment(claims)}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url_encode(signature)}"


def _kept(forgery: Forgery, header: dict[str, Any], claims: dict[str, Any], alg_stated: bool) -> str:
    """The described parts beside the genuine signature; unchanged parts keep their genuine encoding."""
    head, body, signature = forgery.genuine().split(".")
    if header != forgery.header or alg_stated:
        head = _segment({**header, "alg": forgery.key.alg} if not alg_stated else header)
    if claims != forgery.claims:
        body = _segment(claims)
    return f"{head}.{body}.{signature}"


def _signed(forgery: Forgery, described: TokenDescription, header: dict[str, Any], claims: dict[str, Any]) -> str:
    alg_stated = "alg" in described.header
    how = described.signature
    if how == KEPT:
        return _kept(forgery, header, claims, alg_stated)
    if how == "none":
        return f"{_segment(header if alg_stated else {**header, 'alg': 'none'})}.{_segment(claims)}."
    if how == "HS256 keyed with the public key":
        return _hs256_with_public_key(forgery, header, claims)
    if alg_stated:
        raise TokenDescriptionError(
            f"header alg follows the signing key when the signature is {how!r}; to state it, describe the "
            "signature as 'kept from the genuine token', 'none' or 'HS256 keyed with the public key'"
        )
    token = forgery.sign(claims, header)
    if how == "altered":
        head, body, signature = token.split(".")
        raw = bytearray(b64url_decode(signature))
        raw[len(raw) // 2] ^= 0x01
        return f"{head}.{body}.{b64url_encode(bytes(raw))}"
    if how == "cut off":
        return token.rsplit(".", 1)[0]
    return token


def forge(forgery: Forgery, described: TokenDescription) -> str:
    """The token ``described`` makes of the genuine one; TokenDescriptionError for a value it cannot read."""
    claims = _applied(forgery.claims, described.claims, forgery)
    header = _applied(forgery.header, described.header, forgery)
    token = _signed(forgery, described, header, claims)
    if not described.segments:
        return token
    parts = token.split(".")
    for name, raw in described.segments.items():
        index = SEGMENTS.index(name)
        if index < len(parts):
            parts[index] = b64url_encode(raw[len("base64url:") :].encode()) if raw.startswith("base64url:") else raw
    return ".".join(parts)


def _two_audiences(extra: str, azp: str) -> TokenDescription:
    return TokenDescription(claims={"aud": f'[{{aud}}, "{extra}"]', "azp": azp})


#: Name (as written in the feature files) -> the description of that token: the presets.
TAMPERINGS: dict[str, TokenDescription] = {
    "nothing": TokenDescription(),
    "the signature altered": TokenDescription(signature="altered"),
    "the claims changed after signing": TokenDescription(
        {"sub": "someone-else"}, signature="kept from the genuine token"
    ),
    "alg none": TokenDescription(signature="none"),
    "alg HS256 keyed with the public key": TokenDescription(signature="HS256 keyed with the public key"),
    "alg RS384, not in the allowlist": TokenDescription(
        header={"alg": "RS384"}, signature="kept from the genuine token"
    ),
    "an unknown kid": TokenDescription(header={"kid": "never-published"}),
    "no kid": TokenDescription(header={"kid": ABSENT}),
    "typ at+jwt": TokenDescription(header={"typ": "at+jwt"}),
    "a crit header extension": TokenDescription(header={"crit": '["exp"]', "exp": "1"}),
    "another issuer": TokenDescription({"iss": "https://evil.example.test"}),
    "the issuer with a trailing slash": TokenDescription({"iss": "{iss}/"}),
    "no iss": TokenDescription({"iss": ABSENT}),
    "another audience": TokenDescription({"aud": "another-client"}),
    "no sub": TokenDescription({"sub": ABSENT}),
    "no exp": TokenDescription({"exp": ABSENT}),
    "no iat": TokenDescription({"iat": ABSENT}),
    "exp as a string": TokenDescription({"exp": '"{exp}"'}),
    "expired": TokenDescription({"iat": "now-3700", "exp": "now-100"}),
    "expired within the clock skew": TokenDescription({"iat": "now-3630", "exp": "now-30"}),
    "iat 5 minutes in the future": TokenDescription({"iat": "now+300", "exp": "now+3900"}),
    "iat 30 seconds in the future": TokenDescription({"iat": "now+30", "exp": "now+3630"}),
    "nbf 5 minutes in the future": TokenDescription({"nbf": "now+300"}),
    "nbf 30 seconds in the future": TokenDescription({"nbf": "now+30"}),
    "nbf as a string": TokenDescription({"nbf": '"{iat}"'}),
    "no nonce": TokenDescription({"nonce": ABSENT}),
    "another nonce": TokenDescription({"nonce": "a-replayed-nonce"}),
    "a wrong at_hash": TokenDescription({"at_hash": b64url_encode(b"\x00" * 16)}),
    "auth_time 2 hours ago": TokenDescription({"auth_time": "now-7200"}),
    "no auth_time": TokenDescription({"auth_time": ABSENT}),
    "two audiences and no azp": _two_audiences("https://api.example.test", ABSENT),
    "azp of another client": _two_audiences("https://api.example.test", "another-client"),
    "an untrusted second audience": _two_audiences("https://untrusted.example.test", "{aud}"),
    "a trusted second audience and azp": _two_audiences("https://api.example.test", "{aud}"),
    "the signature cut off": TokenDescription(signature="cut off"),
    "a header that is not base64url": TokenDescription(segments={"header": "%%%"}),
    "claims that are a JSON array": TokenDescription(segments={"claims": "base64url:[1, 2]"}, signature=KEPT),
    "a header that is not JSON": TokenDescription(segments={"header": "base64url:not json"}),
}


def tamper(forgery: Forgery, name: str) -> str:
    """The token the preset ``name`` describes, made from ``forgery``; TokenDescriptionError for an unknown name."""
    described = TAMPERINGS.get(name)
    if described is None:
        raise TokenDescriptionError(f"unknown tampering {name!r}; known: {', '.join(sorted(TAMPERINGS))}")
    return forge(forgery, described)
