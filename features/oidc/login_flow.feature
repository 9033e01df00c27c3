Feature: Signing in with OpenID Connect: the authorization code flow
  An ID token is a JSON Web Token (RFC 7519) that an OpenID Provider signs and hands to a client
  (the relying party) after the user authenticated: it tells that client who the user is. The
  client gets it through the authorization code flow of OpenID Connect Core 1.0 (section 3.1):
  the browser carries a request to the provider and a short-lived, single-use code back; the
  client exchanges the code for the tokens over a back channel, authenticating itself
  (client_secret_basic or client_secret_post), and proves with PKCE (RFC 7636, S256) that it is
  the party that started the flow. `state` binds the answer to the browser that asked (CSRF),
  `nonce` binds the ID token to the request (replay).

  Here the provider and the client are real web applications (Starlette): in process through
  httpx's ASGI transport on the embedded target, and served by uvicorn on loopback ports with
  real HTTP on the real target (`behave -D target=real`). Each flow scenario shows the browser's
  steps, the app's back-channel requests and the ID token decoded: its header, its claims and
  its signature as sent (never a private key).

  Names in parentheses are the OpenID Foundation's relying-party certification tests a scenario
  reproduces. The seed's flow is rp-response_type-code; its UserInfo call, with the access token
  in the Authorization header, is rp-userinfo-bearer-header, and the profile and email claims it
  returns are rp-scope-userinfo-claims.

  Background:
    Given an OpenID provider and a relying party registered with it

  Rule: Identity proof: the ID token tells the app who authenticated at the provider

    @seed-example
    Scenario: The seed's login flow: the user signs in and the app learns who they are (rp-response_type-code)
      The seed's five steps ("User logs into a web app using Google OAuth"), with our provider
      in Google's place. Step 3 includes the consent screen; step 5 happens inside the app's
      callback, over its back channel (discovery, token, JWKS, UserInfo).
      When the user signs in through the relying party's app as "alice" with password "wonderland"
      Then the OpenID login flow took these steps:
        | step | what                                                        | request         | status |
        | 1    | User clicks Login                                           | GET /login      | 302    |
        | 2    | App redirects to the provider's authorization endpoint      | GET /authorize  | 200    |
        | 3    | User enters credentials at the provider                     | POST /login     | 200    |
        | 4    | Provider redirects back with an authorization code          | POST /consent   | 302    |
        | 5    | App exchanges the code for tokens (including the ID token)  | GET /callback   | 302    |
      And the relying party's back channel to the OpenID provider made these requests: GET /.well-known/openid-configuration, POST /token, GET /jwks, GET /userinfo
      And the ID token the relying party received has the claim sub equal to "248289761001"
      And the ID token the relying party received has the claim name equal to "Alice Liddell"
      And the relying party's app greets the user as "Alice Liddell"

    Scenario Outline: The flow works with <alg> ID tokens and <method> client authentication
      Given an OpenID provider that signs ID tokens with <alg>
      And the relying party authenticates at the OpenID token endpoint with <method>
      When the user signs in through the relying party's app as "alice" with password "wonderland"
      Then the ID token the relying party received has the header alg equal to "<alg>"
      And the ID token the relying party received has the header kid equal to "<kid>"
      And the relying party's app greets the user as "Alice Liddell"

      Examples:
        | alg   | method              | kid        | certification test                                          |
        | RS256 | client_secret_basic | rs-2026-01 | rp-id_token-sig-rs256, rp-token_endpoint-client_secret_basic |
        | ES256 | client_secret_post  | es-2026-01 | rp-id_token-sig-es256, rp-token_endpoint-client_secret_post  |
        | RS256 | client_secret_post  | rs-2026-01 |                                                             |
        | ES256 | client_secret_basic | es-2026-01 |                                                             |

    Scenario: Wrong credentials: the provider asks again and the app receives nothing
      When the user signs in through the relying party's app as "alice" with password "looking-glass"
      Then the OpenID provider shows the login page again and the relying party received no ID token

    Scenario: The user denies consent: the app learns nothing about them
      When the user signs in through the relying party's app but denies consent at the OpenID provider
      Then the relying party refuses the login with AuthorizationDeniedError

    Scenario: UserInfo about another subject is refused (rp-userinfo-bad-sub-claim)
      Core 5.3.2: the sub in the UserInfo response must be exactly the ID token's sub, or the
      response must not be used (it could be a token substitution).
      Given the OpenID provider answers UserInfo about subject "999999"
      When the user signs in through the relying party's app as "alice" with password "wonderland"
      Then the relying party refuses the login with UserinfoSubjectMismatchError

  Rule: The authorization code is single-use, short-lived and bound by PKCE and state

    Scenario: A replayed code is refused and the tokens issued with it are revoked
      RFC 6749 section 4.1.2: if a code is used more than once, the provider denies the request;
      it should also revoke every token previously issued from that code.
      When the user signs in through the relying party's app as "alice" with password "wonderland"
      And the authorization code is presented to the OpenID token endpoint a second time
      Then the OpenID provider refused the second exchange with "invalid_grant"
      And the OpenID UserInfo endpoint now refuses the access token issued with that code

    Scenario Outline: A code redeemed <delay> seconds after it was issued: <outcome>
      Codes live 60 seconds here (RFC 6749 recommends at most 10 minutes).
      When the user signs in at the OpenID provider but the redirect back is delayed by <delay> seconds
      Then the relying party's app greets the user as "<greeting>"

      Examples:
        | delay | outcome  | greeting      |
        | 0     | accepted | Alice Liddell |
        | 59    | accepted | Alice Liddell |

    Scenario: A code redeemed after it expired is refused
      When the user signs in at the OpenID provider but the redirect back is delayed by 61 seconds
      Then the relying party refuses the login with TokenRequestError
      And the OpenID token endpoint answered "invalid_grant"

    Scenario: An intercepted code is useless without the PKCE verifier
      When an attacker redeems the intercepted authorization code at the OpenID provider without the PKCE verifier
      And the browser then completes the redirect back to the relying party
      Then the OpenID provider refused the attacker with "invalid_grant"
      And the relying party's app greets the user as "Alice Liddell"

    Scenario: A redirect back with another state is refused (login CSRF)
      When the user signs in at the OpenID provider but the redirect back carries another state
      Then the relying party refuses the login with StateMismatchError
