Feature: What an ID token is: a signed, short-lived statement of identity for one client
  The seed (day 3) lists the key properties of ID tokens: a JWT format (base64url, signed), an
  identity proof (the user authenticated), claims about the user, a short life (typically one
  hour) and a single consumer, the client (not APIs, which take access tokens). Each is a Rule
  here, shown on tokens from a real sign-in or issued directly by the provider. Sources:
  OpenID Connect Core 1.0 section 2 (the ID token), RFC 7519 (JWT), RFC 9068 (JWT access tokens,
  typ at+jwt), RFC 8725 section 3.11 (explicit typing keeps one kind of token from passing as
  another).

  Two precisions on the seed's wording. "Base64-encoded" is base64url without padding (RFC 7515
  section 2), and it is an encoding, not encryption: anyone holding the token reads its claims,
  which is why it is sent only to the client. "Contains user attributes (name, email)": Core
  5.4 returns them from UserInfo in the code flow; this provider also puts the claims that the
  granted scopes release into the ID token, as large providers do.

  Background:
    Given an OpenID provider and a relying party registered with it

  Rule: JWT format: three base64url parts, header.claims.signature, signed by the provider

    Scenario: An ID token is a compact JWS signed with the provider's key
      When the user signs in through the relying party's app as "alice" with password "wonderland"
      Then the ID token the relying party received is 3 base64url parts joined by dots
      And the ID token the relying party received has the header typ equal to "JWT"
      And the ID token the relying party received has the header alg equal to "RS256"
      And the ID token the relying party received has the header kid equal to "rs-2026-01"

  Rule: Identity proof and claims: who the user is, who says so, for whom, and when they authenticated

    Scenario: The ID token carries the identity, its issuer, its audience and the authentication context
      When the user signs in through the relying party's app as "alice" with password "wonderland"
      Then the ID token the relying party received carries the claims iss, sub, aud, exp, iat, auth_time, nonce, at_hash
      And the ID token the relying party received was issued by the OpenID provider
      And the ID token the relying party received has the claim aud equal to "webapp"
      And the ID token the relying party received carries the nonce the relying party sent

    Scenario Outline: User attributes are claims: <claim> is "<value>"
      When the user signs in through the relying party's app as "alice" with password "wonderland"
      Then the ID token the relying party received has the claim <claim> equal to "<value>"

      Examples:
        | claim          | value              |
        | sub            | 248289761001       |
        | name           | Alice Liddell      |
        | email          | alice@example.test |
        | email_verified | True               |

  Rule: Short-lived: an ID token expires one hour after it is issued

    Scenario: The provider issues ID tokens valid for one hour
      When the user signs in through the relying party's app as "alice" with password "wonderland"
      Then the ID token the relying party received is valid for 3600 seconds after it was issued

    Scenario Outline: <age> seconds after issue the relying party says <verdict>
      The relying party allows 60 seconds of clock skew past exp.
      Given a genuine RS256 ID token issued by the OpenID provider for the relying party
      Then the relying party's verdict on the ID token <age> seconds after issue is <verdict>

      Examples:
        | age   | verdict           |
        | 0     | accepted          |
        | 1800  | accepted          |
        | 3599  | accepted          |
        | 3659  | accepted          |
        | 3660  | ExpiredTokenError |
        | 86400 | ExpiredTokenError |

  Rule: Client-consumed: the ID token is for the client, access tokens are for APIs

    Scenario: An API accepts the access token and refuses the ID token
      Given a genuine RS256 ID token issued by the OpenID provider for the relying party
      Then the resource server's verdict on the access token is accepted
      And the resource server's verdict on the ID token is WrongTokenTypeError

    Scenario: The relying party refuses an access token presented as an ID token
      Given a genuine ES256 ID token issued by the OpenID provider for the relying party
      When the relying party is handed the access token as an ID token
      Then the relying party rejects the ID token with WrongTokenTypeError
