Feature: Sticky sessions keep a shopper's cart on one server
  Sticky sessions (session affinity) is a load-balancing technique that sends every request of a
  user's session to the same app server, so state kept in that server's memory (here: the
  shopping cart) is there on the next request. The balancer makes the first choice and then
  *remembers* it. Key properties: user-server binding for the session's life; session state in
  server memory; routing on a user identifier (cookie, client address, session id); stateful
  servers; no shared session store needed.

  Where the seed draws a "sticky session map" inside the balancer, this balancer does what
  HAProxy's `cookie SRV insert indirect nocache` does: the memory is a cookie naming the server,
  inserted on the first answer and sent back by the browser. The balancer itself stays stateless,
  so it can restart or run twice without forgetting anyone; the cookie is removed before the
  request reaches the app (indirect), and the answer that sets it is kept out of shared caches
  (nocache). Our balancer also signs the cookie (HMAC-SHA256), so a client cannot choose its server.
  The seed's own design, a map kept in the balancer, is the "session table" strategy: it works the
  same for one balancer, and forgets everyone when that balancer restarts.

  The trade-off the seed names: when a server dies, the carts in its memory die with it. The
  shopper is re-pinned to a live server and starts over. Keeping sessions in a store the servers
  share (Redis) removes that, at the cost of a network round trip per request.

  On the embedded target the balancer and the Starlette app servers run in process; on the real
  target (`behave -D target=real`) they serve HTTP on loopback under uvicorn, and the same
  scenarios also run through a real HAProxy in front of the same app servers.
  Sources: HAProxy configuration manual, "cookie"; RFC 6265 (cookies) and its SameSite draft.

  Rule: A session sticks to the server that holds its cart

    @seed-example
    Scenario Outline: The seed's shopper abc123 fills a cart on server A and checks out there (<balancer>)
      Given a shop of servers A, B, C behind <balancer>
      When shopper abc123 makes a first request
      Then the balancer pins shopper abc123 to the shop's server A
      When shopper abc123 adds iPhone to the cart
      Then the shop's server A answered shopper abc123 with the cart iPhone
      When shopper abc123 adds iPad to the cart
      Then the shop's server A answered shopper abc123 with the cart iPhone, iPad
      When shopper abc123 checks out
      Then the shop's server A checked out shopper abc123 with iPhone, iPad

      Examples:
        | balancer     |
        | our balancer |
        | HAProxy      |

    Scenario: The balancer keeps the seed's sticky session map itself
      Given a shop of servers A, B, C behind our balancer using session table
      When shopper abc123 makes a first request
      Then the balancer pins shopper abc123 to the shop's server A
      When shopper abc123 adds iPhone to the cart
      And shopper abc123 adds iPad to the cart
      Then the shop's server A answered shopper abc123 with the cart iPhone, iPad

    Scenario Outline: A cart survives many requests under <strategy>
      Given a shop of servers A, B, C behind our balancer using <strategy>
      And shopper abc123 has put iPhone, iPad, AirPods, Pencil in the cart
      When shopper abc123 checks out
      Then every request of shopper abc123 reached the same server of the shop

      Examples:
        | strategy             |
        | cookie insert        |
        | session table        |
        | source-IP hash       |
        | consistent hash ring |
        | Maglev               |

  Rule: A failed server takes its in-memory carts with it; a shared store keeps them

    Scenario Outline: Server A fails mid-session with carts in <store> (<balancer>)
      Given a shop of servers A, B, C behind <balancer> with carts in <store>
      And shopper abc123 has put iPhone, iPad in the cart
      When the shop's server A fails
      And shopper abc123 views the cart
      Then shopper abc123 is re-pinned to a live server other than A
      And shopper abc123 sees the cart <cart after failover>

      Examples:
        | balancer     | store          | cart after failover |
        | our balancer | server memory  | empty               |
        | our balancer | a shared store | iPhone, iPad        |
        | HAProxy      | server memory  | empty               |
        | HAProxy      | a shared store | iPhone, iPad        |

    Scenario: The health check takes a dead server out before any shopper reaches it
      Given a shop of servers A, B, C behind our balancer
      When the shop's server B fails
      And the balancer's health check runs
      Then the balancer sees the shop's servers B as down and A, C as up
      When the shop receives 6 new shoppers
      Then none of the new shoppers is pinned to the shop's server B
      And no request to the shop was redispatched

  Rule: A failed server that recovers rejoins for new sessions; moved shoppers stay where they are
    The balancer's health check sees the restarted server (HAProxy: `rise 1`; ours: one good probe)
    and gives it new sessions again. A shopper re-pinned during the failure is not moved back: its
    cart now lives on the new server, and moving it again would lose it a second time.

    Scenario Outline: Server A fails, recovers and rejoins (<balancer>)
      Given a shop of servers A, B, C behind <balancer>
      And shopper abc123 has put iPhone in the cart
      When the shop's server A fails
      And shopper abc123 adds iPad to the cart
      Then shopper abc123 is re-pinned to a live server other than A
      When the shop's server A recovers
      And the balancer's health check runs
      Then the balancer sees the shop's servers A, B, C as up
      When shopper abc123 views the cart
      Then shopper abc123 stays on the server it was re-pinned to
      And shopper abc123 sees the cart iPad
      When the shop receives 6 new shoppers
      Then the new shoppers are spread over the shop's servers A, B, C

      Examples:
        | balancer     |
        | our balancer |
        | HAProxy      |

    Scenario: A recovered server comes back empty: the carts it held are gone
      Given a shop of servers A, B, C behind our balancer
      And shopper abc123 has put iPhone in the cart
      When the shop's server A fails
      And the shop's server A recovers
      And the balancer's health check runs
      And shopper abc123 views the cart
      Then the shop's server A answered shopper abc123 with the cart empty

  Rule: A draining server keeps its sessions and gets no new ones

    Scenario Outline: Server A is retired gracefully (<balancer>)
      Given a shop of servers A, B, C behind <balancer>
      And shopper abc123 has put iPhone in the cart
      When the shop's server A is drained
      And shopper abc123 adds iPad to the cart
      Then the shop's server A answered shopper abc123 with the cart iPhone, iPad
      When the shop receives 6 new shoppers
      Then none of the new shoppers is pinned to the shop's server A

      Examples:
        | balancer     |
        | our balancer |
        | HAProxy      |

  Rule: The affinity cookie belongs to the balancer, not to the client

    Scenario: The affinity cookie is HttpOnly, SameSite and valid for the whole site
      Given a shop of servers A, B, C behind our balancer
      When shopper abc123 makes a first request
      Then the affinity cookie set for shopper abc123 carries the flags Path=/, HttpOnly, SameSite=Lax
      And the answer that set the affinity cookie for shopper abc123 is private to caches

    Scenario: HAProxy sets the same cookie flags
      Given a shop of servers A, B, C behind HAProxy
      When shopper abc123 makes a first request
      Then the affinity cookie set for shopper abc123 carries the flags Path=/, HttpOnly, SameSite=Lax

    Scenario: A cookie naming a server retired from the pool reaches nobody
      Given a shop of servers A, B, C behind our balancer
      And shopper abc123 has put iPhone in the cart
      When the shop's server A is retired from the balancer's pool
      And shopper abc123 views the cart
      Then shopper abc123 is re-pinned to a live server other than A
      And shopper abc123 sees the cart empty

    Scenario Outline: An affinity cookie that is <kind> is ignored and the shopper balanced normally
      Given a shop of servers A, B, C behind our balancer
      When shopper mallory sends the affinity cookie "<value>"
      Then the balancer ignored the affinity cookie of shopper mallory and pinned it afresh

      Examples:
        | kind                              | value                                                              |
        | naming a server not in the pool   | Z                                                                  |
        | unsigned                          | C                                                                  |
        | signed with a forged tag          | C.0123456789abcdef                                                 |
        | malformed                         | C..%00<script>                                                     |
        | oversized                         | AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA |

  Rule: A shop you describe runs like the named ones
    A table of settings describes a shop: its servers and their weights, the balancer, the strategy
    (a named one, with its settings changed: virtual nodes, table size, capacity, idle timeout), where
    the carts live, and the affinity cookie (cookie name, signed, same site). What is not said keeps
    its default. The named shops above are this description with defaults.

    Scenario: Weighted servers under Maglev with carts in a shared store
      Given a shop described as:
        | setting    | value          |
        | servers    | A, B, C        |
        | weights    | 1, 1, 2        |
        | strategy   | Maglev         |
        | table size | 65537          |
        | store      | a shared store |
      And shopper abc123 has put iPhone, iPad in the cart
      When shopper abc123 checks out
      Then every request of shopper abc123 reached the same server of the shop
      And the shop's server C checked out shopper abc123 with iPhone, iPad

    Scenario Outline: An affinity cookie named <name> with SameSite <same site> (<balancer>)
      Given a shop described as:
        | setting     | value       |
        | servers     | A, B        |
        | balancer    | <balancer>  |
        | cookie name | <name>      |
        | signed      | no          |
        | same site   | <same site> |
      When shopper abc123 makes a first request
      Then the balancer pins shopper abc123 to the shop's server A
      And the affinity cookie set for shopper abc123 carries the flags Path=/, HttpOnly, SameSite=<same site>

      Examples:
        | balancer     | name    | same site |
        | our balancer | SHOPSRV | Strict    |
        | HAProxy      | SHOPSRV | Strict    |
