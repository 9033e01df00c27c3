Feature: The relying party validates every rule of OpenID Connect Core 3.1.3.7
  Before a client believes an ID token it checks, in this order: the token is a JWS in compact
  form (three base64url parts, JSON objects); its `typ` is not that of an access token; its `alg`
  is on the client's allowlist (RS256, ES256: never `none`, never an HMAC algorithm, which would
  turn the provider's public key into a shared secret); the signing key is found in the
  provider's JWKS by `kid`; the signature verifies; `iss` is exactly the issuer; `aud` contains
  the client_id and no untrusted audience; `azp` is present when there are several audiences
  and names this client; `exp` is not past and neither `iat` nor `nbf` (when present, RFC 7519
  section 4.1.5) in the future (with 60 s of clock skew); `nonce` is the one sent; `auth_time` is recent enough for `max_age`; `at_hash` matches
  the access token (Core 3.1.3.8). Each broken rule is its own error, named below.

  The last column names the OpenID Foundation relying-party certification test a row reproduces,
  where there is one. rp-id_token-sig-none expects an RP to accept unsigned tokens when it
  registered for them; this relying party never registers for `none`, so it refuses them.

  Each row starts from a genuine token (nonce, at_hash, auth_time a minute ago, max_age 3600 s)
  and changes one thing. Add a row with any tampering from the list in `livingspec.oidc.forgery`.

  Background:
    Given an OpenID provider and a relying party registered with it
    And the OpenID provider's JWKS publishes two RS256 keys and one ES256 key
    And the relying party trusts the extra audience https://api.example.test

  Rule: A token that breaks any rule is rejected, with the rule it broke

    Scenario Outline: A <alg> ID token with <tampering> is rejected with <error>
      Given a genuine <alg> ID token issued by the OpenID provider for the relying party
      When the ID token is forged with <tampering>
      Then the relying party rejects the ID token with <error>

      Examples: Signature, algorithm and key
        | alg   | tampering                           | error                    | certification test                 |
        | RS256 | the signature altered               | InvalidSignatureError    | rp-id_token-bad-sig-rs256          |
        | ES256 | the signature altered               | InvalidSignatureError    | rp-id_token-bad-sig-es256          |
        | RS256 | the claims changed after signing    | InvalidSignatureError    |                                    |
        | RS256 | alg none                            | DisallowedAlgorithmError | rp-id_token-sig-none (refused)     |
        | RS256 | alg HS256 keyed with the public key | DisallowedAlgorithmError |                                    |
        | ES256 | alg HS256 keyed with the public key | DisallowedAlgorithmError |                                    |
        | RS256 | alg RS384, not in the allowlist     | DisallowedAlgorithmError |                                    |
        | RS256 | an unknown kid                      | UnknownKeyError          |                                    |
        | RS256 | no kid                              | AmbiguousKeyError        | rp-id_token-kid-absent-multiple-jwks |
        | RS256 | typ at+jwt                          | WrongTokenTypeError      |                                    |
        | ES256 | a crit header extension             | CriticalHeaderError      |                                    |

      Examples: Claims
        | alg   | tampering                           | error                    | certification test                 |
        | RS256 | another issuer                      | IssuerMismatchError      | rp-id_token-issuer-mismatch        |
        | ES256 | the issuer with a trailing slash    | IssuerMismatchError      |                                    |
        | RS256 | no iss                              | MissingClaimError        |                                    |
        | RS256 | another audience                    | AudienceMismatchError    | rp-id_token-aud                    |
        | RS256 | an untrusted second audience        | AudienceMismatchError    |                                    |
        | RS256 | two audiences and no azp            | AuthorizedPartyError     |                                    |
        | RS256 | azp of another client               | AuthorizedPartyError     |                                    |
        | RS256 | no sub                              | MissingClaimError        | rp-id_token-sub                    |
        | RS256 | no iat                              | MissingClaimError        | rp-id_token-iat                    |
        | RS256 | no exp                              | MissingClaimError        |                                    |
        | ES256 | exp as a string                     | MissingClaimError        |                                    |
        | RS256 | expired                             | ExpiredTokenError        |                                    |
        | ES256 | iat 5 minutes in the future         | IssuedInFutureError      |                                    |
        | RS256 | nbf 5 minutes in the future         | NotYetValidError         |                                    |
        | ES256 | nbf as a string                     | MissingClaimError        |                                    |
        | RS256 | no nonce                            | NonceMismatchError       | rp-nonce-invalid                   |
        | RS256 | another nonce                       | NonceMismatchError       | rp-nonce-invalid                   |
        | RS256 | a wrong at_hash                     | AccessTokenHashError     |                                    |
        | RS256 | auth_time 2 hours ago               | AuthTimeError            |                                    |
        | ES256 | no auth_time                        | AuthTimeError            |                                    |

      Examples: Format
        | alg   | tampering                           | error                    | certification test                 |
        | RS256 | the signature cut off               | TruncatedTokenError      |                                    |
        | RS256 | a header that is not base64url      | TokenEncodingError       |                                    |
        | RS256 | a header that is not JSON           | TokenJSONError           |                                    |
        | RS256 | claims that are a JSON array        | TokenJSONError           |                                    |

  Rule: Variations the rules allow are accepted

    Scenario Outline: A <alg> ID token with <variation> is accepted
      Given a genuine <alg> ID token issued by the OpenID provider for the relying party
      When the ID token is forged with <variation>
      Then the relying party accepts the ID token

      Examples:
        | alg   | variation                         | certification test                  |
        | RS256 | nothing                           | rp-id_token-sig-rs256               |
        | ES256 | nothing                           | rp-id_token-sig-es256               |
        | ES256 | no kid                            | rp-id_token-kid-absent-single-jwks  |
        | RS256 | a trusted second audience and azp |                                     |
        | RS256 | expired within the clock skew     |                                     |
        | ES256 | iat 30 seconds in the future      |                                     |
        | RS256 | nbf 30 seconds in the future      |                                     |
