"""The shop over real TCP on loopback: uvicorn app servers, our balancer or HAProxy, Redis for shared carts.

Every app server is uvicorn in a thread of this process, on its own pre-bound port; our balancer
serves on another port with health checks every 0.1 s, or HAProxy (a real process) fronts the
same app servers. Each shopper connects from its own source address (10.a.b.c becomes 127.a.b.c),
so source-IP hashing sees different clients. Waits are bounded.
"""

from __future__ import annotations

import time
from typing import Any, Self

import httpx

from livingspec.infra import LoopbackServer
from livingspec.infra.redis import RedisServer
from livingspec.sticky.app import RedisCartStore, cart_app
from livingspec.sticky.cluster import ShopBase, Shopper, ShopSpec
from livingspec.sticky.fastpath import ProtocolServer
from livingspec.sticky.peers import HAProxyBalancer

HEALTH_INTERVAL = 0.1  # seconds between our balancer's health-check rounds (HAProxy: inter 100ms)


class LoopbackShop(ShopBase):
    """App servers and a balancer serving HTTP on 127.0.0.1."""

    def __init__(self, spec: ShopSpec) -> None:
        super().__init__(spec)
        self._servers: dict[str, LoopbackServer] = {}
        self._redis: RedisServer | None = None
        self._haproxy: HAProxyBalancer | None = None
        self._front: LoopbackServer | ProtocolServer | None = None
        self._clients: dict[str, httpx.Client] = {}

    def start(self) -> Self:
        """Start the shared store if any, the app servers, then the balancer."""
        try:
            if self.spec.store == "shared":
                self._redis = RedisServer().start()
                self.shared = RedisCartStore(self._redis.url)
            for name in self.weights:
                self._start_app(name)
            if self.spec.balancer == "haproxy":
                cookie = self.spec.cookie
                self._haproxy = HAProxyBalancer(
                    self.urls, cookie=cookie.name, weights=self.weights, same_site=cookie.same_site
                ).start()
            else:
                self._front = self._balancer(None, health_interval=HEALTH_INTERVAL).serve().start()
        except BaseException:
            self.close()
            raise
        return self

    def _start_app(self, name: str, port: int = 0) -> None:
        server = LoopbackServer(cart_app(name, self._store_for(name)), port=port, name=f"app-{name}").start()
        self._servers[name] = server
        self.urls[name] = server.url

    @property
    def url(self) -> str:
        """Where shoppers send requests."""
        front = self._haproxy or self._front
        return front.url if front is not None else "http://127.0.0.1:1"

    def close(self) -> None:
        """Stop everything this shop started (idempotent)."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        for front in (self._front, self._haproxy):
            if front is not None:
                front.stop()
        self._front = self._haproxy = None
        for server in self._servers.values():
            if server.running:
                server.stop()
        self._servers.clear()
        if self._redis is not None:
            self._redis.stop()
            self._redis = None

    def send(self, shopper: Shopper, method: str, path: str, headers: dict[str, str], body: Any) -> httpx.Response:
        """One request over TCP from the shopper's own loopback address."""
        client = self._clients.get(shopper.client_ip)
        if client is None:
            parts = shopper.client_ip.split(".", 1)
            source = "127." + parts[1] if shopper.client_ip.count(".") == 3 else None
            transport = httpx.HTTPTransport(local_address=source)
            client = self._clients[shopper.client_ip] = httpx.Client(transport=transport, base_url=self.url)
        response = client.request(method, path, headers=headers, json=body, timeout=10)
        client.cookies.clear()  # the shopper keeps its own jar
        return response

    def fail(self, name: str) -> None:
        """The server's process dies at once (connections dropped)."""
        self._check(name)
        self._servers[name].kill()

    def recover(self, name: str) -> None:
        """The server restarts on its old port, with an empty memory (or the shared store)."""
        self._check(name)
        if not self._servers[name].running:
            self._start_app(name, port=self._servers[name].port)

    def drain(self, name: str) -> None:
        """Retire server ``name`` gracefully (HAProxy: through its runtime API)."""
        self._check(name)
        if self._haproxy is not None:
            self._haproxy.drain(name)
        else:
            super().drain(name)

    def retire(self, name: str) -> None:
        """Out of our balancer's pool, then the server stops."""
        self._check(name)
        self._ours("retiring servers").remove_backend(name)
        self._servers[name].stop()

    def add_server(self, name: str, weight: int = 1) -> None:
        """A new app server on its own port joins our balancer's pool."""
        balancer = self._ours("adding servers")
        self.weights[name] = weight
        self._start_app(name)
        balancer.add_backend(name, self.urls[name], weight)

    def _seen(self) -> dict[str, bool]:
        if self._haproxy is not None:
            return self._haproxy.health()
        balancer = self._ours("health checks")
        return {name: balancer.pool.get(name).keeps_sessions for name in self._servers if name in balancer.pool}

    def check_health(self, timeout: float = 5.0) -> dict[str, bool]:
        """Wait (bounded) until the balancer's periodic checks agree with which servers run; their verdict."""
        deadline = time.monotonic() + timeout
        alive = {name: server.running for name, server in self._servers.items()}
        while time.monotonic() < deadline:
            seen = self._seen()
            if all(seen.get(name) == up for name, up in alive.items() if name in seen):
                return seen
            time.sleep(0.02)
        return self._seen()

    def pinned_server(self, shopper: Shopper) -> str | None:
        """HAProxy's cookie is the bare server name; ours is read by our balancer."""
        return shopper.affinity if self._haproxy is not None else super().pinned_server(shopper)
