"""A shop to exercise sticky sessions: app servers with carts, a balancer in front, shoppers with cookies.

``CartCluster`` builds the same world on each target:

- ``embedded``: app servers and our balancer in process, joined by an ``InProcessNetwork``;
  requests run on one private event loop; health checks run when asked (no clock);
- ``real``: app servers under uvicorn on loopback ports, our balancer on its own port (or
  ``peer="haproxy"``: HAProxy on a port, same app servers), shoppers over TCP from their own
  127.x.y.z source address; the shared store is a real redis-server.

Shoppers keep their cookies like a browser (session id and affinity cookie), so what the
scenarios observe is what a user would: which server answered and what cart it showed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from livingspec.infra import LoopbackServer
from livingspec.infra.redis import RedisServer
from livingspec.sticky.app import SESSION_COOKIE, CartStore, MemoryCartStore, RedisCartStore, cart_app
from livingspec.sticky.cookies import DEFAULT_COOKIE_NAME, AffinityCookie
from livingspec.sticky.errors import InvalidServerError, UnknownServerError
from livingspec.sticky.network import InProcessNetwork
from livingspec.sticky.peers import HAProxy
from livingspec.sticky.proxy import Balancer
from livingspec.sticky.strategies import CookieInsert, SessionTable, Strategy

TARGETS = ("embedded", "real")
PEERS = ("ours", "haproxy")
STORES = ("memory", "shared")


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


class Shopper:
    """A user with a browser's cookie jar, talking to the shop through the balancer."""

    def __init__(self, cluster: CartCluster, session_id: str | None, client_ip: str) -> None:
        self.cluster = cluster
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
        return self.cookies.get(self.cluster.cookie_name)

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
        response = self.cluster.send(self, method, path, headers, body)
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
        server = data.get("server")
        reply = Reply(response.status_code, server, list(items), set_cookies, response.headers.get("cache-control"))
        self.replies.append(reply)
        return reply


class CartCluster:
    """App servers keeping carts, a balancer in front of them, and the shoppers of a scenario."""

    def __init__(
        self,
        servers: Sequence[str] | Mapping[str, int],
        *,
        strategy: str | Strategy = "cookie insert",
        store: str = "memory",
        target: str = "embedded",
        peer: str = "ours",
        cookie: AffinityCookie | None = None,
    ) -> None:
        if target not in TARGETS or peer not in PEERS or store not in STORES:
            raise InvalidServerError(f"cluster target={target!r} peer={peer!r} store={store!r} is not supported")
        if peer == "haproxy" and target != "real":
            raise InvalidServerError("HAProxy runs only on the real target")
        self.weights = dict(servers) if isinstance(servers, Mapping) else {name: 1 for name in servers}
        self.strategy_spec = strategy
        self.store_kind, self.target, self.peer = store, target, peer
        self.cookie = cookie or AffinityCookie(secret=b"livingspec sticky sessions demo key")
        self.stores: dict[str, CartStore] = {}
        self.urls: dict[str, str] = {}
        self._network: InProcessNetwork | None = None
        self._runner: asyncio.Runner | None = None
        self._servers: dict[str, LoopbackServer] = {}
        self._redis: RedisServer | None = None
        self._shared: CartStore | None = None
        self._haproxy: HAProxy | None = None
        self._front: LoopbackServer | None = None
        self._clients: dict[str, Any] = {}
        self.balancer: Balancer | None = None

    @property
    def cookie_name(self) -> str:
        """Name of the affinity cookie."""
        return self.cookie.name if self.peer == "ours" else DEFAULT_COOKIE_NAME

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> CartCluster:
        """Start app servers, the shared store if any, and the balancer."""
        try:
            if self.target == "embedded":
                self._runner = asyncio.Runner()
                self._network = InProcessNetwork()
                self._shared = MemoryCartStore() if self.store_kind == "shared" else None
            elif self.store_kind == "shared":
                self._redis = RedisServer().start()
                self._shared = RedisCartStore(self._redis.url)
            for name in self.weights:
                self._start_app(name)
            if self.peer == "haproxy":
                self._haproxy = HAProxy(self.urls, cookie=DEFAULT_COOKIE_NAME).start()
                return self
            self.balancer = Balancer(
                self.urls,
                self.strategy_spec,
                cookie=self.cookie,
                weights=self.weights,
                transport=self._network,
                health_interval=None if self.target == "embedded" else 0.1,
            )
            if self.target == "real":
                self._front = self.balancer.serve().start()
        except BaseException:
            self.close()
            raise
        return self

    def _start_app(self, name: str) -> None:
        store = self._shared if self._shared is not None else MemoryCartStore()
        self.stores[name] = store
        app = cart_app(name, store)
        if self._network is not None:
            self.urls[name] = f"http://server-{name.lower()}.shop.internal"
            self._network.attach(self.urls[name], app)
        else:
            server = LoopbackServer(app, name=f"app-{name}", lifespan="off").start()
            self._servers[name] = server
            self.urls[name] = server.url

    def close(self) -> None:
        """Stop everything this cluster started (idempotent)."""
        for client in self._clients.values():
            if isinstance(client, httpx.Client):
                client.close()
            elif self._runner is not None:
                self._runner.run(client.aclose())
        self._clients.clear()
        if self._front is not None:
            self._front.stop()
            self._front = None
        if self._haproxy is not None:
            self._haproxy.stop()
            self._haproxy = None
        if self._runner is not None:
            if self.balancer is not None:
                self._runner.run(self.balancer.aclose())
            self._runner.close()
            self._runner = None
        for server in self._servers.values():
            if server.running:
                server.stop()
        self._servers.clear()
        if self._redis is not None:
            self._redis.stop()
            self._redis = None

    def __enter__(self) -> CartCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- shoppers ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Where shoppers send requests."""
        if self._haproxy is not None:
            return self._haproxy.url
        if self._front is not None:
            return self._front.url
        return "http://shop.internal"

    def shopper(self, session_id: str | None = None, client_ip: str = "10.0.0.1") -> Shopper:
        """A new user (with an app session id already, as the seed's abc123, or none yet)."""
        return Shopper(self, session_id, client_ip)

    def send(self, shopper: Shopper, method: str, path: str, headers: dict[str, str], body: Any) -> httpx.Response:
        """Deliver one request from ``shopper`` to the balancer, over the target's network."""
        if self._runner is not None:
            assert self.balancer is not None
            client = self._clients.get(shopper.client_ip)
            if client is None:
                transport = httpx.ASGITransport(app=self.balancer, client=(shopper.client_ip, 40000))
                client = httpx.AsyncClient(transport=transport, base_url=self.url)
                self._clients[shopper.client_ip] = client
            response: httpx.Response = self._runner.run(client.request(method, path, headers=headers, json=body))
        else:
            # The shopper's own source address on loopback: 10.a.b.c becomes 127.a.b.c.
            source = "127." + shopper.client_ip.split(".", 1)[1] if shopper.client_ip.count(".") == 3 else None
            client = self._clients.get(shopper.client_ip)
            if client is None:
                client = httpx.Client(transport=httpx.HTTPTransport(local_address=source), base_url=self.url)
                self._clients[shopper.client_ip] = client
            response = client.request(method, path, headers=headers, json=body, timeout=10)
        client.cookies.clear()  # the shopper keeps its own jar
        return response

    # -- operating the shop ------------------------------------------------------------------------

    def _check(self, name: str) -> None:
        if name not in self.urls:
            raise UnknownServerError(name)

    def fail(self, name: str) -> None:
        """Server ``name`` crashes: its process (and the carts in its memory) are gone."""
        self._check(name)
        if self._network is not None:
            self._network.crash(self.urls[name])
            if isinstance(self.stores[name], MemoryCartStore) and self._shared is None:
                self.stores[name] = MemoryCartStore()  # a restart would come back empty
        else:
            self._servers[name].kill()

    def drain(self, name: str) -> None:
        """Retire server ``name``: it keeps its sessions and takes no new ones."""
        self._check(name)
        if self._haproxy is not None:
            self._haproxy.drain(name)
        else:
            assert self.balancer is not None
            self.balancer.drain(name)

    def retire(self, name: str) -> None:
        """Take server ``name`` out of the balancer's pool, then stop it (our balancer only)."""
        self._check(name)
        if self.balancer is None:
            raise InvalidServerError("retiring servers at run time is shown on our balancer only")
        self.balancer.remove_backend(name)
        if self._network is not None:
            self._network.crash(self.urls[name])
        else:
            self._servers[name].stop()

    def add_server(self, name: str, weight: int = 1) -> None:
        """Scale out: start app server ``name`` and add it to the balancer."""
        if self.balancer is None:
            raise InvalidServerError("adding servers at run time is shown on our balancer only")
        self.weights[name] = weight
        self._start_app(name)
        self.balancer.add_backend(name, self.urls[name], weight)

    def check_health(self, timeout: float = 5.0) -> dict[str, bool]:
        """Run the balancer's health check (embedded: one round now; real: wait for the next rounds)."""
        assert self.balancer is not None
        if self._runner is not None:
            return self._runner.run(self.balancer.check_health())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # health checks run every 0.1 s in the balancer's thread
            alive = {name: server.running for name, server in self._servers.items()}
            seen = {name: self.balancer.pool.get(name).keeps_sessions for name in alive}
            if seen == alive:
                return seen
            time.sleep(0.02)
        return {name: self.balancer.pool.get(name).keeps_sessions for name in self._servers}

    def pinned_server(self, shopper: Shopper) -> str | None:
        """The server the shopper's affinity cookie names (None when it has none or it is forged)."""
        if self.peer == "haproxy":
            return shopper.affinity
        strategy = self.balancer.strategy if self.balancer is not None else None
        if isinstance(strategy, SessionTable):
            return strategy.lookup(shopper.session_id or "")
        return strategy.cookie.decode(shopper.affinity) if isinstance(strategy, CookieInsert) else None

    def memory_of(self, name: str) -> dict[str, list[str]]:
        """The carts in server ``name``'s memory (empty for a shared store, which no server holds)."""
        store = self.stores[name]
        return dict(store.carts) if isinstance(store, MemoryCartStore) and self._shared is None else {}
