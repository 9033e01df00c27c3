"""The JWT compact serialization, read strictly: three base64url parts, JSON objects, canonical encoding.

RFC 7515 section 7.1 (JWS compact serialization) and RFC 7519 section 7.2 (validating a JWT).
Decoding is strict: a part must be unpadded base64url in its canonical form (no stray bits in the
last character), so no two different strings decode to the same token: a mutated token can never
pass as the original. Signing and verification themselves are pyjwt's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from livingspec.oidc.errors import TokenEncodingError, TokenJSONError, TokenTooLargeError, TruncatedTokenError

_B64URL = re.compile(r"[A-Za-z0-9_-]*")

#: Longest token read, in characters: far above real ID tokens (1-4 KiB), small enough that decoding
#: and JSON parsing stay cheap whatever the token holds.
MAX_TOKEN_LENGTH = 65_536

#: Hash used for at_hash / c_hash by each JWS algorithm (Core 3.1.3.6: the hash of the alg's family).
HASH_OF_ALG = {
    "RS256": hashlib.sha256,
    "ES256": hashlib.sha256,
    "PS256": hashlib.sha256,
    "HS256": hashlib.sha256,
    "RS384": hashlib.sha384,
    "ES384": hashlib.sha384,
    "PS384": hashlib.sha384,
    "HS384": hashlib.sha384,
    "RS512": hashlib.sha512,
    "ES512": hashlib.sha512,
    "PS512": hashlib.sha512,
    "HS512": hashlib.sha512,
}


def b64url_encode(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(part: str, what: str = "part") -> bytes:
    """Decode canonical unpadded base64url, or raise TokenEncodingError naming ``what``."""
    if not _B64URL.fullmatch(part) or len(part) % 4 == 1:
        raise TokenEncodingError(f"the {what} is not base64url")
    try:
        data = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise TokenEncodingError(f"the {what} is not base64url") from None
    if b64url_encode(data) != part:
        # Stray bits in the last character: another string for the same bytes.
        raise TokenEncodingError(f"the {what} is not canonical base64url")
    return data


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise TokenJSONError(f"the {what} is not JSON") from None
    if not isinstance(value, dict):
        raise TokenJSONError(f"the {what} is JSON {type(value).__name__}, not an object")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True)
class ParsedToken:
    """A compact JWS split and decoded, not yet verified."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes  #: ASCII header.payload, what the signature covers
    signature: bytes

    @property
    def alg(self) -> Any:
        """The header's alg (unchecked: may be any JSON value)."""
        return self.header.get("alg")


def parse_token(token: str) -> ParsedToken:
    """Split a compact JWS into header, claims and signature; raise a MalformedTokenError subclass."""
    if not isinstance(token, str):
        raise TruncatedTokenError(f"a token is a string, got {type(token).__name__}")
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenTooLargeError(f"{len(token)} characters, more than the {MAX_TOKEN_LENGTH} accepted")
    parts = token.split(".")
    if len(parts) != 3:
        raise TruncatedTokenError(f"expected 3 dot-separated parts, got {len(parts)}")
    header_part, claims_part, signature_part = parts
    header = _json_object(b64url_decode(header_part, "header"), "header")
    claims = _json_object(b64url_decode(claims_part, "claims set"), "claims set")
    signature = b64url_decode(signature_part, "signature")
    return ParsedToken(header, claims, f"{header_part}.{claims_part}".encode("ascii"), signature)


def same_text(a: str, b: str) -> bool:
    """Constant-time equality of two strings of any code points (lone surrogates from JSON included)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def is_numeric_date(value: Any) -> bool:
    """A JSON number usable as a NumericDate (RFC 7519 section 2): finite, not a boolean."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float is no date
        return False


def token_hash(value: str, alg: str) -> str:
    """at_hash of an access token (Core 3.1.3.6): left half of the alg's hash, base64url."""
    digest = HASH_OF_ALG[alg](value.encode("utf-8", "surrogatepass")).digest()
    return b64url_encode(digest[: len(digest) // 2])
