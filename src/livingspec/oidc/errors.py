"""Errors of the OpenID Connect concept: one root, a subclass per failure mode.

Relying-party validation errors each name the rule of OpenID Connect Core 1.0 section 3.1.3.7
(or RFC 7519 / RFC 9068) that the token broke, in ``rule``; provider errors carry the OAuth 2.0
error code (RFC 6749 section 5.2) that the token endpoint answers with, in ``code``.
"""

from __future__ import annotations

from livingspec.errors import LivingSpecError


class OIDCError(LivingSpecError):
    """Root of every OpenID Connect error raised by the provider, the relying party or the API."""


# --- Token validation (relying party and resource server) -------------------------------------


class TokenValidationError(OIDCError):
    """A token was refused; ``rule`` names the rule it broke."""

    rule = "token validation"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"{self.rule}: {detail}")


class MalformedTokenError(TokenValidationError):
    """The token is not a JWS in compact serialization (RFC 7515 section 7.1)."""

    rule = "JWT format (RFC 7519 section 7.2)"


class TruncatedTokenError(MalformedTokenError):
    """The token does not have three dot-separated parts (header, claims, signature)."""

    rule = "JWT format: three parts"


class TokenTooLargeError(MalformedTokenError):
    """The token is longer than any ID token this relying party accepts; it is refused unread."""

    rule = "JWT format: size limit"


class TokenEncodingError(MalformedTokenError):
    """A part of the token is not canonical unpadded base64url (RFC 7515 section 2)."""

    rule = "JWT format: base64url"


class TokenJSONError(MalformedTokenError):
    """The header or the claims set is not a JSON object (RFC 7519 section 7.2 steps 4 and 10)."""

    rule = "JWT format: JSON object"


class CriticalHeaderError(MalformedTokenError):
    """The header lists ``crit`` extensions, which this implementation does not understand (RFC 7515 4.1.11)."""

    rule = "JWS crit header (RFC 7515 section 4.1.11)"


class WrongTokenTypeError(TokenValidationError):
    """The token's ``typ`` says it is another kind of token (an access token used as an ID token, or back)."""

    rule = "explicit typing (RFC 8725 section 3.11, RFC 9068 section 4)"


class DisallowedAlgorithmError(TokenValidationError):
    """The ``alg`` is not in the allowlist: never ``none``, never an HMAC keyed with a public key."""

    rule = "Core 3.1.3.7 rule 7: alg as registered"


class UnknownKeyError(TokenValidationError):
    """No key in the provider's JWKS has the token's ``kid``, even after a refetch."""

    rule = "Core 3.1.3.7 rule 6: signing key from the JWKS"


class AmbiguousKeyError(TokenValidationError):
    """The token has no ``kid`` and the JWKS holds several keys for its algorithm."""

    rule = "Core 10.1: kid required when the JWKS has several keys"


class InvalidSignatureError(TokenValidationError):
    """The signature does not verify with the provider's key."""

    rule = "Core 3.1.3.7 rule 6: signature"


class MissingClaimError(TokenValidationError):
    """A claim that an ID token must carry (iss, sub, aud, exp, iat) is absent or of the wrong type."""

    rule = "Core 2: required claims"


class IssuerMismatchError(TokenValidationError):
    """``iss`` is not exactly the provider's issuer identifier."""

    rule = "Core 3.1.3.7 rule 2: iss"


class AudienceMismatchError(TokenValidationError):
    """``aud`` does not contain the client_id, or contains an audience the client does not trust."""

    rule = "Core 3.1.3.7 rule 3: aud"


class AuthorizedPartyError(TokenValidationError):
    """Several audiences and no ``azp``, or an ``azp`` that is not this client."""

    rule = "Core 3.1.3.7 rules 4-5: azp"


class ExpiredTokenError(TokenValidationError):
    """The current time is past ``exp`` plus the allowed clock skew."""

    rule = "Core 3.1.3.7 rule 9: exp"


class IssuedInFutureError(TokenValidationError):
    """``iat`` lies further in the future than the allowed clock skew."""

    rule = "Core 3.1.3.7 rule 10: iat"


class NotYetValidError(TokenValidationError):
    """``nbf`` lies further in the future than the allowed clock skew: the token is not valid yet."""

    rule = "RFC 7519 section 4.1.5: nbf"


class NonceMismatchError(TokenValidationError):
    """``nonce`` is missing or differs from the one sent in the authentication request."""

    rule = "Core 3.1.3.7 rule 11: nonce"


class AuthTimeError(TokenValidationError):
    """``auth_time`` is missing or older than ``max_age`` allows."""

    rule = "Core 3.1.3.7 rule 13: auth_time and max_age"


class AccessTokenHashError(TokenValidationError):
    """``at_hash`` is missing or does not match the access token (Core 3.1.3.8)."""

    rule = "Core 3.1.3.8: at_hash"


class UserinfoSubjectMismatchError(TokenValidationError):
    """The UserInfo response's ``sub`` is not the ID token's ``sub`` (Core 5.3.2)."""

    rule = "Core 5.3.2: userinfo sub"


class TokenDescriptionError(OIDCError):
    """A described token cannot be made: an unknown field, signature or claim, or a value that does not read."""


# --- Flow errors at the relying party --------------------------------------------------------


class FlowError(OIDCError):
    """The authorization code flow went wrong before any token was validated."""


class StateMismatchError(FlowError):
    """The callback's ``state`` is not the one the relying party sent (CSRF protection, RFC 6749 10.12)."""


class AuthorizationDeniedError(FlowError):
    """The provider redirected back with an error instead of a code (the user denied consent)."""


class TokenRequestError(FlowError):
    """The token endpoint refused the code exchange; ``code`` is its OAuth error code."""

    def __init__(self, code: str, description: str = "") -> None:
        self.code, self.description = code, description
        super().__init__(f"token endpoint refused the exchange: {code}" + (f" ({description})" if description else ""))


class DiscoveryError(FlowError):
    """The discovery document or the JWKS could not be fetched or is not what the spec says."""


# --- Provider errors ---------------------------------------------------------------------------


class ProviderError(OIDCError):
    """The provider refuses a request; ``code`` is the OAuth 2.0 error code it answers with."""

    code = "invalid_request"
    status = 400

    def __init__(self, description: str, *, redirect_uri: str | None = None, state: str | None = None) -> None:
        self.description = description
        self.redirect_uri, self.state = redirect_uri, state  # set when the error may go back to the client
        super().__init__(f"{self.code}: {description}")


class InvalidRequestError(ProviderError):
    """A parameter is missing or malformed (RFC 6749 4.1.2.1, 5.2)."""


class InvalidClientError(ProviderError):
    """Client authentication failed: unknown client or wrong secret (RFC 6749 5.2)."""

    code = "invalid_client"
    status = 401


class InvalidGrantError(ProviderError):
    """The code is unknown, expired, already used, issued to another client, or fails PKCE (RFC 7636 4.6)."""

    code = "invalid_grant"


class AccessDeniedError(ProviderError):
    """The user refused consent or the credentials were wrong."""

    code = "access_denied"
    status = 403


class LoginThrottledError(AccessDeniedError):
    """Too many wrong passwords for this account: sign-in is refused, even with the right one, for a while."""

    status = 429

    def __init__(self, description: str, *, retry_after: float) -> None:
        self.retry_after = retry_after  #: seconds until the account may try again
        super().__init__(description)


class InvalidTokenError(ProviderError):
    """The bearer token at the UserInfo endpoint is invalid, expired or revoked (RFC 6750 3.1)."""

    code = "invalid_token"
    status = 401
