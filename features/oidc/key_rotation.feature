Feature: Signing keys rotate by kid, and the relying party follows
  The provider publishes its public keys as a JWK Set (RFC 7517) at its jwks_uri; every token's
  header names its key by `kid`. To rotate, the provider starts signing with a new key and keeps
  the old one published until the last token it signed has expired (one ID token lifetime), then
  drops it (Core 10.1.1). The relying party fetches the JWKS once and caches it; a token with an
  unknown kid makes it fetch again, but at most once a minute, so forged kids cannot make it
  hammer the provider. A key withdrawn from the JWKS no longer validates anything.

  Background:
    Given an OpenID provider and a relying party registered with it

  Rule: After a rotation the relying party refetches the JWKS and accepts the new key

    Scenario: Tokens from the new key validate after one refetch (rp-key-rotation-op-sign-key)
      When the user signs in through the relying party's app as "alice" with password "wonderland"
      And the OpenID provider rotates its RS256 signing key to "rs-2026-02"
      And the OpenID clock advances by 120 seconds
      And the user signs in through the relying party's app as "alice" with password "wonderland"
      Then the ID token the relying party received has the header kid equal to "rs-2026-02"
      And the relying party fetched the OpenID provider's JWKS 2 times

    Scenario: The old key stays published until its tokens have expired
      When the OpenID provider rotates its RS256 signing key to "rs-2026-02"
      Then the OpenID provider's JWKS publishes the keys rs-2026-01, es-2026-01, rs-2026-02
      When the OpenID clock advances by 3600 seconds
      Then the OpenID provider's JWKS publishes the keys es-2026-01, rs-2026-02

    Scenario: A token signed before the rotation still validates while its key is published
      Given a genuine RS256 ID token issued by the OpenID provider for the relying party
      When the OpenID provider rotates its RS256 signing key to "rs-2026-02"
      And the OpenID clock advances by 120 seconds
      And the relying party validates a fresh RS256 ID token from the OpenID provider
      Then the relying party accepts the ID token

  Rule: A withdrawn key, or a kid the provider never published, validates nothing

    Scenario: A token signed by a withdrawn key is rejected
      Given a genuine RS256 ID token issued by the OpenID provider for the relying party
      When the OpenID provider rotates its RS256 signing key to "rs-2026-02"
      And the OpenID provider withdraws the key "rs-2026-01"
      And the OpenID clock advances by 120 seconds
      And the relying party validates a fresh RS256 ID token from the OpenID provider
      Then the relying party rejects the ID token with UnknownKeyError

    Scenario: Unknown kids make the relying party refetch at most once a minute
      Given a genuine RS256 ID token issued by the OpenID provider for the relying party
      When the relying party validates a fresh RS256 ID token from the OpenID provider
      And the OpenID clock advances by 120 seconds
      And the relying party is handed 5 ID tokens with unknown kids
      Then the relying party fetched the OpenID provider's JWKS 2 times
