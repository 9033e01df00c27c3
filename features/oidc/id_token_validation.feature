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

  Rule: Any token can be described by its claims, header and signature

    Each named tampering above is a preset of one description: what differs from the genuine
    token. A table row names a field and its value. Fields: `claim <name>`, `header <name>`,
    `signature`, `header segment` and `claims segment` (raw text in place of that part;
    `base64url:<text>` encodes the text), and `preset` (a named tampering to start from; later
    rows add to it). Values: `now`, `now+3600`, `now-60` (seconds from the genuine token's issue
    time), `(absent)` (left out), `{exp}` (the genuine token's value of that claim; inside text,
    as in `{iss}/`, its text), JSON (`3600`, `true`, `"quoted text"`, `["an", "array"]`), or
    plain text. Signatures: valid (the default: signed again by the provider's key), altered,
    kept from the genuine token, none, HS256 keyed with the public key, cut off. An unknown
    field, signature, claim reference or preset fails the step with the known ones listed.

    Scenario: A token that expired two minutes ago is rejected, beyond the clock skew
      Given a RS256 ID token from the OpenID provider described as:
        | field     | value    |
        | claim iat | now-3720 |
        | claim exp | now-120  |
      Then the relying party rejects the ID token with ExpiredTokenError

    Scenario: A token that is not valid for another hour is rejected
      Given a genuine ES256 ID token issued by the OpenID provider for the relying party
      When the ID token is replaced by one described as:
        | field     | value    |
        | claim nbf | now+3600 |
      Then the relying party rejects the ID token with NotYetValidError

    Scenario: Claims the client does not know are ignored
      Given a RS256 ID token from the OpenID provider described as:
        | field     | value                        |
        | claim acr | urn:mace:incommon:iap:silver |
        | claim amr | ["pwd", "otp"]               |
        | claim sid | 08a5019c-17e1-4977-8f42      |
      Then the relying party accepts the ID token

    Scenario: The key is looked up before the signature is checked
      A preset with one more change: the claims were changed after signing, and the header names
      a key the provider never published. The unknown kid is what the relying party reports.
      Given a RS256 ID token from the OpenID provider described as:
        | field      | value                            |
        | preset     | the claims changed after signing |
        | header kid | never-published                  |
      Then the relying party rejects the ID token with UnknownKeyError

    Scenario: An unsigned token is refused even when every claim is right
      Given a ES256 ID token from the OpenID provider described as:
        | field      | value    |
        | signature  | none     |
        | header kid | (absent) |
        | claim exp  | now+600  |
      Then the relying party rejects the ID token with DisallowedAlgorithmError

    Scenario Outline: The claim <claim> set to <value>: <verdict>
      The genuine token has one claim changed and is signed again by the provider, so only that
      claim's rule decides. The relying party allows 60 seconds of clock skew and asked for
      max_age 3600 s.
      Given a genuine RS256 ID token issued by the OpenID provider for the relying party
      When the ID token is re-signed with the claim <claim> set to <value>
      Then the relying party's verdict on the ID token is <verdict>

      Examples:
        | claim     | value      | verdict             |
        | exp       | now-59     | accepted            |
        | exp       | now-60     | ExpiredTokenError   |
        | iat       | now+60     | accepted            |
        | iat       | now+61     | IssuedInFutureError |
        | nbf       | now+60     | accepted            |
        | nbf       | now+61     | NotYetValidError    |
        | auth_time | now-3660   | accepted            |
        | auth_time | now-3661   | AuthTimeError       |
        | aud       | ["webapp"] | accepted            |
        | aud       | []         | MissingClaimError   |
        | sub       | ""         | MissingClaimError   |
        | exp       | true       | MissingClaimError   |
        | iss       | {iss}/     | IssuerMismatchError |
        | azp       | webapp     | accepted            |
        | nonce     | (absent)   | NonceMismatchError  |

    Scenario Outline: The <alg> token's header <name> set to <value>: <verdict>
      Given a genuine <alg> ID token issued by the OpenID provider for the relying party
      When the ID token is re-signed with the header <name> set to <value>
      Then the relying party's verdict on the ID token is <verdict>

      Examples:
        | alg   | name | value           | verdict             |
        | RS256 | typ  | application/jwt | accepted            |
        | RS256 | typ  | (absent)        | accepted            |
        | RS256 | typ  | at+jwt          | WrongTokenTypeError |
        | RS256 | kid  | (absent)        | AmbiguousKeyError   |
        | ES256 | kid  | (absent)        | accepted            |
        | ES256 | crit | ["exp"]         | CriticalHeaderError |
