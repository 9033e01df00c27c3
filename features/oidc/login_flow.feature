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

  Rule: The provider and the app hold against hostile browsers

    Session fixation: an attacker who makes the victim's browser carry a session id they know
    would share the victim's session if the app kept that id at login, so the app never takes a
    session id from the browser (a fresh one at login, another once the user is known). Guessing:
    five wrong passwords in a row lock the account at the provider for 15 minutes, even against
    the right password (the login concept's lockout; unknown usernames lock the same way, so the
    lock reveals no account). A request the provider cannot read is answered with the OAuth error
    response on the registered redirect URI (RFC 6749 4.1.2.1), never with a server error, and a
    registered redirect URI's own query is kept beside the answer's parameters (RFC 6749 3.1.2).

    Scenario: A session cookie planted before login is not the session after it
      Given an attacker has planted the relying party session cookie "attacker-knows-this" in the user's browser
      When the user signs in through the relying party's app as "alice" with password "wonderland"
      Then the relying party's app greets the user as "Alice Liddell"
      And the planted session cookie "attacker-knows-this" is not signed in at the relying party

    Scenario: Five wrong passwords lock the account, even against the right password
      When someone enters a wrong password for "alice" at the OpenID provider 5 times
      And the user signs in through the relying party's app as "alice" with password "wonderland"
      Then the OpenID provider refuses the sign-in with status 429 and asks to retry after 900 seconds

    Scenario: The lock ends after 15 minutes
      Given someone enters a wrong password for "alice" at the OpenID provider 5 times
      And the OpenID clock advances by 900 seconds
      When the user signs in through the relying party's app as "alice" with password "wonderland"
      Then the relying party's app greets the user as "Alice Liddell"

    Scenario Outline: max_age "<max_age>" is answered with the OAuth error, not a server error
      When a browser asks the OpenID provider to authorize the relying party with max_age "<max_age>"
      Then the OpenID provider redirects back to the relying party with the error "invalid_request"

      Examples:
        | max_age     | why                                             |
        | ²           | a digit to str.isdigit, but not to float()      |
        | ٣           | an Arabic-Indic three: not an ASCII digit       |
        | 1.5         | seconds are whole                               |
        | 12345678901 | more than ten digits                            |

    Scenario: A redirect URI with a query keeps it, with the code and state beside it
      Given the relying party's registered redirect URI carries the query "tenant=7"
      When the user signs in through the relying party's app as "alice" with password "wonderland"
      Then the OpenID provider's redirect back to the relying party carried tenant, code, state, iss
      And the relying party's app greets the user as "Alice Liddell"
