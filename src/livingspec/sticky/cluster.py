"""A shop to exercise sticky sessions: app servers with carts, a balancer in front, shoppers with cookies.

``Shop`` is the one interface the scenarios drive. Two implementations build the same world,
and ``livingspec.sticky.targets.make_shop`` chooses one; nothing here knows which it is:

- ``EmbeddedShop`` (``sticky.embedded``): app servers and our balancer in process, joined by
  an ``InProcessNetwork``; health checks run when asked (no clock);
- ``LoopbackShop`` (``sticky.loopback``): app servers under uvicorn on loopback ports, our
  balancer or HAProxy in front, shoppers over TCP from their own 127.x.y.z source address;
  the shared store is a real redis-server.

Shoppers keep their cookies like a browser (session id and affinity cookie), so what the
scenarios observe is what a user would: which server answered and what cart it showed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Self

import httpx

from livingspec.sticky.app import SESSION_COOKIE, CartStore, MemoryCartStore
from livingspec.sticky.cookies import AffinityCookie
from livingspec.sticky.errors import InvalidServerError, InvalidStrategyError, UnknownServerError
from livingspec.sticky.pool import check_server
from livingspec.sticky.proxy import Balancer
from livingspec.sticky.strategies import CookieInsert, SessionTable, Strategy, StrategySpec

BalancerKind = Literal["ours", "haproxy"]
StoreKind = Literal["memory", "shared"]
BALANCERS: tuple[BalancerKind, ...] = ("ours", "haproxy")
STORES: tuple[StoreKind, ...] = ("memory", "shared")
DEMO_SECRET = b"livingspec sticky sessions demo key"


@dataclass
class Reply:
    """What a shopper saw: status, the server that answered, the cart (or order), cookies set."""

    status: int
    server: str | None
    items: list[str]
    set_cookies: list[str] = field(default_factory=list)
    cache_control: str | None = None

    def cookie_attributes(self, name: str) -> list[str] | None:
        """The attributes (``Path=/``, ``HttpOnly``...) of the Set-Cookie for ``name``, or None if not set."""
        for header in self.set_cookies:
            first, *attributes = [part.strip() for part in header.split(";")]
            if first.partition("=")[0] == name:
                return attributes
        return None


@dataclass(frozen=True)
class ShopSpec:
    """What a shop is made of: servers (name -> weight), the balancer, the strategy, where carts live."""

    servers: Mapping[str, int]
    balancer: BalancerKind = "ours"
    strategy: str | Strategy | StrategySpec = "cookie insert"
    store: StoreKind = "memory"
    cookie: AffinityCookie = field(default_factory=lambda: AffinityCookie(secret=DEMO_SECRET))

    @classmethod
    def of(cls, servers: Sequence[str] | Mapping[str, int], **options: Any) -> ShopSpec:
        """A spec from server names (weight 1 each) or a name -> weight mapping; checks the choices."""
        weights = dict(servers) if isinstance(servers, Mapping) else dict.fromkeys(servers, 1)
        spec = cls(weights, **options)
        if spec.balancer not in BALANCERS or spec.store not in STORES:
            raise InvalidServerError(f"balancer {spec.balancer!r} or store {spec.store!r} is not supported")
        for name, weight in weights.items():
            check_server(name, weight)
        strategy = spec.strategy
        kind = strategy.kind if isinstance(strategy, StrategySpec) else getattr(strategy, "name", strategy)
        if spec.balancer == "haproxy" and kind != "cookie insert":
            raise InvalidStrategyError("HAProxy fronts the shop with cookie insertion only; strategies are ours")
        return spec


class Shopper:
    """A user with a browser's cookie jar, talking to the shop through the balancer."""

    def __init__(self, shop: Shop, session_id: str | None, client_ip: str) -> None:
        self.shop = shop
        self.client_ip = client_ip
        self.cookies: dict[str, str] = {} if session_id is None else {SESSION_COOKIE: session_id}
        self.replies: list[Reply] = []

    @property
    def session_id(self) -> str | None:
        """The app's session id, once the shopper has one."""
        return self.cookies.get(SESSION_COOKIE)

    @property
    def affinity(self) -> str | None:
        """The affinity cookie's raw value, if the balancer set one."""
        return self.cookies.get(self.shop.cookie_name)

    @property
    def last(self) -> Reply:
        """The answer to the shopper's latest request."""
        if not self.replies:
            raise InvalidServerError("this shopper has made no request yet")
        return self.replies[-1]

    def add(self, item: str) -> Reply:
        """Put an item in the cart."""
        return self.request("POST", "/cart", {"item": item})

    def view_cart(self) -> Reply:
        """Look at the cart."""
        return self.request("GET", "/cart")

    def checkout(self) -> Reply:
        """Check out: the order holds the cart's items."""
        return self.request("POST", "/checkout")

    def request(self, method: str, path: str, body: Any = None) -> Reply:
        """Send one request with the shopper's cookies; keep the cookies the answer sets."""
        headers = {"cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        response = self.shop.send(self, method, path, headers, body)
        set_cookies = response.headers.get_list("set-cookie")
        for header in set_cookies:
            name, _, value = header.split(";")[0].strip().partition("=")
            self.cookies[name] = value
        try:
            data: Any = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        items = data.get("cart", data.get("order", []))
        reply = Reply(
            response.status_code, data.get("server"), list(items), set_cookies, response.headers.get("cache-control")
        )
        self.replies.append(reply)
        return reply


class Shop(Protocol):
    """App servers keeping carts, a balancer in front of them, and the shoppers of a scenario."""

    spec: ShopSpec
    balancer: Balancer | None  # our balancer, when it is the one in front

    @property
    def cookie_name(self) -> str:
        """Name of the affinity cookie."""
        ...

    @property
    def servers(self) -> list[str]:
        """The app servers' names, in the order they joined."""
        ...

    def start(self) -> Self:
        """Start app servers, the shared store if any, and the balancer."""
        ...

    def close(self) -> None:
        """Stop everything the shop started (idempotent)."""
        ...

    def send(self, shopper: Shopper, method: str, path: str, headers: dict[str, str], body: Any) -> httpx.Response:
        """Deliver one request from ``shopper`` to the balancer."""
        ...

    def shopper(self, session_id: str | None = None, client_ip: str | None = None) -> Shopper:
        """A new user (with an app session id already, as the seed's abc123, or none yet)."""
        ...

    def shopper_named(self, name: str) -> Shopper:
        """The scenario's shopper called ``name`` (session id ``name``), created on first mention."""
        ...

    def welcome(self, count: int) -> list[Shopper]:
        """``count`` new shoppers, with no session yet, each make a first request."""
        ...

    def fail(self, name: str) -> None:
        """Server ``name`` crashes: its process (and the carts in its memory) are gone."""
        ...

    def recover(self, name: str) -> None:
        """Failed server ``name`` restarts (empty, with carts in memory) at its old address."""
        ...

    def drain(self, name: str) -> None:
        """Retire server ``name``: it keeps its sessions and takes no new ones."""
        ...

    def retire(self, name: str) -> None:
        """Take server ``name`` out of the balancer's pool, then stop it (our balancer only)."""
        ...

    def add_server(self, name: str, weight: int = 1) -> None:
        """Scale out: start app server ``name`` and add it to the balancer (our balancer only)."""
        ...

    def check_health(self, timeout: float = 5.0) -> dict[str, bool]:
        """The balancer's health verdict per server, after its checks have seen every change."""
        ...

    def pinned_server(self, shopper: Shopper) -> str | None:
        """The server the balancer remembers for the shopper (its cookie or its table entry), if any."""
        ...

    def memory_of(self, name: str) -> dict[str, list[str]]:
        """The carts in server ``name``'s memory (empty for a shared store, which no server holds)."""
        ...

    @property
    def redispatched(self) -> int:
        """Requests re-routed because their server refused the connection (our balancer)."""
        ...

    def session_table(self) -> dict[str, str] | None:
        """The balancer's session id -> server map, when the strategy keeps one."""
        ...


class ShopBase(ABC):
    """What both shops share: the spec, the stores, the shoppers, and what the balancer remembers."""

    def __init__(self, spec: ShopSpec) -> None:
        self.spec = spec
        self.weights = dict(spec.servers)
        self.stores: dict[str, CartStore] = {}
        self.urls: dict[str, str] = {}
        self.balancer: Balancer | None = None
        self.shared: CartStore | None = None
        self._named: dict[str, Shopper] = {}
        self._addresses = 0

    @property
    def store_kind(self) -> StoreKind:
        """Where carts live: each server's memory or a shared store."""
        return self.spec.store

    @property
    def servers(self) -> list[str]:
        """The app servers' names."""
        return list(self.urls)

    def _check(self, name: str) -> None:
        if name not in self.urls:
            raise UnknownServerError(name)

    def _store_for(self, name: str) -> CartStore:
        """The store of a (re)starting server: the shared one, or a fresh, empty memory."""
        store = self.shared if self.shared is not None else MemoryCartStore()
        self.stores[name] = store
        return store

    def _balancer(self, transport: httpx.AsyncBaseTransport | None, health_interval: float | None) -> Balancer:
        self.balancer = Balancer(
            self.urls,
            self.spec.strategy,
            cookie=self.spec.cookie,
            weights=self.weights,
            transport=transport,
            health_interval=health_interval,
        )
        return self.balancer

    def _ours(self, doing: str) -> Balancer:
        if self.balancer is None:
            raise InvalidServerError(f"{doing} at run time is shown on our balancer only")
        return self.balancer

    def shopper(self, session_id: str | None = None, client_ip: str | None = None) -> Shopper:
        """A new user; without ``client_ip``, the next address of 10.0.0.0/16."""
        if client_ip is None:
            self._addresses += 1
            client_ip = f"10.0.{self._addresses // 250}.{self._addresses % 250 + 1}"
        return Shopper(self, session_id, client_ip)

    def shopper_named(self, name: str) -> Shopper:
        """The shopper called ``name``, created on first mention with session id ``name``."""
        if name not in self._named:
            self._named[name] = self.shopper(name)
        return self._named[name]

    def welcome(self, count: int) -> list[Shopper]:
        """New shoppers ``newcomer-1``... each make a first request."""
        arrived = [self.shopper_named(f"newcomer-{len(self._named) + 1}") for _ in range(count)]
        for shopper in arrived:
            shopper.view_cart()
        return arrived

    @property
    def cookie_name(self) -> str:
        """Name of the affinity cookie."""
        return self.spec.cookie.name

    def pinned_server(self, shopper: Shopper) -> str | None:
        """The server the shopper's affinity cookie (or the balancer's session table) names."""
        strategy = self.balancer.strategy if self.balancer is not None else None
        if isinstance(strategy, SessionTable):
            return strategy.lookup(shopper.session_id or "")
        return strategy.cookie.decode(shopper.affinity) if isinstance(strategy, CookieInsert) else None

    def memory_of(self, name: str) -> dict[str, list[str]]:
        """The carts in server ``name``'s memory (empty for a shared store, which no server holds)."""
        store = self.stores[name]
        return dict(store.carts) if isinstance(store, MemoryCartStore) and self.shared is None else {}

    @property
    def redispatched(self) -> int:
        """Requests our balancer re-routed after a refused connection."""
        return self._ours("counting redispatches").redispatched

    def session_table(self) -> dict[str, str] | None:
        """The session table's entries, when our balancer keeps one."""
        strategy = self.balancer.strategy if self.balancer is not None else None
        return strategy.entries() if isinstance(strategy, SessionTable) else None

    def drain(self, name: str) -> None:
        """Retire server ``name`` gracefully on our balancer."""
        self._check(name)
        self._ours("draining").drain(name)

    @abstractmethod
    def start(self) -> Self:
        """Start app servers, the shared store if any, and the balancer."""

    @abstractmethod
    def close(self) -> None:
        """Stop everything the shop started (idempotent)."""

    @abstractmethod
    def send(self, shopper: Shopper, method: str, path: str, headers: dict[str, str], body: Any) -> httpx.Response:
        """Deliver one request from ``shopper`` to the balancer."""

    @abstractmethod
    def fail(self, name: str) -> None:
        """Server ``name`` crashes."""

    @abstractmethod
    def recover(self, name: str) -> None:
        """Failed server ``name`` restarts at its old address."""

    @abstractmethod
    def retire(self, name: str) -> None:
        """Server ``name`` leaves the pool and stops."""

    @abstractmethod
    def add_server(self, name: str, weight: int = 1) -> None:
        """Scale out with server ``name``."""

    @abstractmethod
    def check_health(self, timeout: float = 5.0) -> dict[str, bool]:
        """The balancer's health verdict per server."""

    def __enter__(self) -> Self:
        """The shop itself: ``make_shop`` has started it; leaving the block closes it."""
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
