"""The shop on the embedded target: app servers and our balancer in process, no socket, no clock.

Requests run on one private event loop; the balancer reaches the app servers through an
``InProcessNetwork``, where a failed server refuses connections as a dead process would. Health
checks run one round when asked, so every scenario is deterministic and fast.
"""

from __future__ import annotations

import asyncio
from typing import Any, Self

import httpx

from livingspec.sticky.app import MemoryCartStore, cart_app
from livingspec.sticky.cluster import ShopBase, Shopper, ShopSpec
from livingspec.sticky.errors import InvalidServerError
from livingspec.sticky.network import InProcessNetwork


class EmbeddedShop(ShopBase):
    """Our balancer and the cart apps as ASGI apps in this process."""

    def __init__(self, spec: ShopSpec) -> None:
        if spec.balancer != "ours":
            raise InvalidServerError("HAProxy is a real process: it fronts the shop on a loopback network only")
        super().__init__(spec)
        self._runner: asyncio.Runner | None = None
        self._network = InProcessNetwork()
        self._clients: dict[str, httpx.AsyncClient] = {}

    def start(self) -> Self:
        """Attach every app server to the in-process network and put our balancer in front."""
        self._runner = asyncio.Runner()
        self.shared = MemoryCartStore() if self.spec.store == "shared" else None
        for name in self.weights:
            self._attach(name)
        self._balancer(self._network, health_interval=None)
        return self

    def _attach(self, name: str) -> None:
        self.urls.setdefault(name, f"http://server-{name.lower()}.shop.internal")
        self._network.attach(self.urls[name], cart_app(name, self._store_for(name)))

    def close(self) -> None:
        """Close the shoppers' clients, the balancer's connections and the event loop (idempotent)."""
        if self._runner is None:
            return
        for client in self._clients.values():
            self._runner.run(client.aclose())
        self._clients.clear()
        if self.balancer is not None:
            self._runner.run(self.balancer.aclose())
        self._runner.close()
        self._runner = None

    def send(self, shopper: Shopper, method: str, path: str, headers: dict[str, str], body: Any) -> httpx.Response:
        """Hand the request to the balancer as if it came from the shopper's address."""
        if self._runner is None or self.balancer is None:
            raise InvalidServerError("the shop is not open: call start() first")
        client = self._clients.get(shopper.client_ip)
        if client is None:
            transport = httpx.ASGITransport(app=self.balancer, client=(shopper.client_ip, 40000))
            client = self._clients[shopper.client_ip] = httpx.AsyncClient(transport=transport, base_url="http://shop")
        response: httpx.Response = self._runner.run(client.request(method, path, headers=headers, json=body))
        client.cookies.clear()  # the shopper keeps its own jar
        return response

    def fail(self, name: str) -> None:
        """The server's address refuses connections; its memory is lost."""
        self._check(name)
        self._network.crash(self.urls[name])

    def recover(self, name: str) -> None:
        """The server restarts at its address: a new process, with an empty memory (or the shared store)."""
        self._check(name)
        self._attach(name)

    def retire(self, name: str) -> None:
        """Out of the pool, then the server stops."""
        self._check(name)
        self._ours("retiring servers").remove_backend(name)
        self._network.crash(self.urls[name])

    def add_server(self, name: str, weight: int = 1) -> None:
        """A new app server joins the network and the pool."""
        balancer = self._ours("adding servers")
        self.weights[name] = weight
        self._attach(name)
        balancer.add_backend(name, self.urls[name], weight)

    def check_health(self, timeout: float = 5.0) -> dict[str, bool]:
        """One round of the balancer's health checks, now."""
        if self._runner is None:
            raise InvalidServerError("the shop is not open: call start() first")
        return self._runner.run(self._ours("health checks").check_health())
