"""Sticky sessions: a load balancer that sends every request of a user to the same app server.

Seed, day 6. App servers keep session state (the cart) in their own memory, so the balancer
must route a session to the server that holds it: by an affinity cookie it inserts (HAProxy's
``cookie SRV insert indirect nocache``), by a hash of the client address, or by consistent
hashing of the session id (a ring of virtual nodes; Maglev's lookup table, NSDI 2016). Round
robin is the non-sticky baseline. The trade-off the seed names: when a server dies, its carts
die with it; a shared store (Redis) removes that, at the price of a network hop per request.

Public API, smallest first:

- ``Balancer(backends, strategy="cookie insert")``: the reverse proxy (an ASGI app); ``serve()``
  runs it on a loopback port; ``add_backend``/``drain``/``remove_backend``/``set_weight``;
  ``check_health()``.
- Strategies (``route(RequestKey, PoolView) -> Route``): ``CookieInsert``, ``SessionTable``, ``SourceIPHash``,
  ``ConsistentHashRing``, ``Maglev``, ``RoundRobin``; ``make_strategy(name)``; each named strategy is a
  preset ``StrategySpec``, and ``describe_strategy(settings)`` / ``describe_shop(settings)`` build others.
- ``cart_app`` (the Starlette app server), ``MemoryCartStore``, ``RedisCartStore``.
- The shop the scenarios drive: ``Shop`` (one Protocol: servers, a balancer, shoppers), built by
  ``make_shop(target, servers, balancer=..., strategy=..., store=...)`` as an ``EmbeddedShop`` (in
  process) or a ``LoopbackShop`` (uvicorn on loopback, our balancer or ``HAProxyBalancer``, Redis).
"""

from livingspec.infra import LoopbackServer
from livingspec.infra.redis import RedisServer
from livingspec.sticky.analysis import Movement, imbalance, load, load_histogram_svg, movement, scale_out, sessions
from livingspec.sticky.app import SESSION_COOKIE, CartStore, MemoryCartStore, RedisCartStore, cart_app
from livingspec.sticky.cluster import Reply, Shop, Shopper, ShopSpec
from livingspec.sticky.cookies import DEFAULT_COOKIE_NAME, AffinityCookie, parse_cookie_header, strip_cookie
from livingspec.sticky.described import InvalidDescriptionError, describe_shop, describe_strategy
from livingspec.sticky.embedded import EmbeddedShop
from livingspec.sticky.errors import (
    BadRequestTargetError,
    InvalidServerError,
    InvalidStrategyError,
    NoLiveServerError,
    NotOnThisTargetError,
    StickyError,
    UnknownServerError,
    UnknownStrategyError,
)
from livingspec.sticky.hashing import stable_hash
from livingspec.sticky.loopback import LoopbackShop
from livingspec.sticky.network import InProcessNetwork
from livingspec.sticky.peers import HAProxyBalancer, haproxy_config
from livingspec.sticky.pool import Pool, PoolView, Server, ServerState
from livingspec.sticky.proxy import Balancer
from livingspec.sticky.strategies import (
    STRATEGIES,
    ConsistentHashRing,
    CookieInsert,
    Maglev,
    RequestKey,
    RoundRobin,
    Route,
    SessionTable,
    SourceIPHash,
    Strategy,
    StrategySpec,
    maglev_table,
    make_strategy,
    route_in,
)
from livingspec.sticky.targets import make_shop, open_shop

__all__ = [
    "DEFAULT_COOKIE_NAME",
    "SESSION_COOKIE",
    "STRATEGIES",
    "AffinityCookie",
    "BadRequestTargetError",
    "Balancer",
    "CartStore",
    "ConsistentHashRing",
    "CookieInsert",
    "EmbeddedShop",
    "HAProxyBalancer",
    "InProcessNetwork",
    "InvalidDescriptionError",
    "InvalidServerError",
    "InvalidStrategyError",
    "LoopbackServer",
    "LoopbackShop",
    "Maglev",
    "MemoryCartStore",
    "Movement",
    "NoLiveServerError",
    "NotOnThisTargetError",
    "Pool",
    "PoolView",
    "RedisCartStore",
    "RedisServer",
    "Reply",
    "RequestKey",
    "RoundRobin",
    "Route",
    "Server",
    "ServerState",
    "SessionTable",
    "Shop",
    "ShopSpec",
    "Shopper",
    "SourceIPHash",
    "StickyError",
    "Strategy",
    "StrategySpec",
    "UnknownServerError",
    "UnknownStrategyError",
    "cart_app",
    "describe_shop",
    "describe_strategy",
    "haproxy_config",
    "imbalance",
    "load",
    "load_histogram_svg",
    "maglev_table",
    "make_shop",
    "make_strategy",
    "movement",
    "open_shop",
    "parse_cookie_header",
    "route_in",
    "scale_out",
    "sessions",
    "stable_hash",
    "strip_cookie",
]
