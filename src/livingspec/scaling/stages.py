"""The five stages of the seed as deployments of one shop, behind one interface for the scenarios.

1 Monolith: one process, SQLite, one transaction per order.
2 Load-balanced monolith: instances behind a round-robin balancer, one database, shared sessions
  (embedded: in-process instances on one SQLite file; real: uvicorn processes on PostgreSQL,
  sessions in Redis, our sticky-sessions balancer in round-robin mode on loopback).
3 Modular monolith: the same process, modules behind interfaces, each owning its tables.
4 Microservices: five services with their own databases, HTTP between them, events through a
  broker with outboxes and idempotent consumers (embedded: in process; real: processes,
  PostgreSQL, Redis Streams).
5 Autoscaling is in hpa.py: it drives the instance count of stage 2 or 4.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterable, Mapping
from itertools import count
from pathlib import Path
from typing import Any, Protocol

import httpx

from livingspec.scaling.broker import InProcessBroker
from livingspec.scaling.db import PostgresDatabase, SQLiteDatabase
from livingspec.scaling.domain import Product
from livingspec.scaling.errors import OrderRefusedError, ScalingError, StageUnavailableError, UnknownUserError
from livingspec.scaling.microservices import (
    SERVICES,
    ServiceNode,
    build_nodes,
    raise_for,
    service_app,
    wait_until_final,
)
from livingspec.scaling.service import OrderOutcome, ShopService, refused
from livingspec.scaling.sessions import MemorySessions
from livingspec.scaling.web import monolith_app

STAGE_NAMES = {
    1: "monolith",
    2: "load-balanced monolith",
    3: "modular monolith",
    4: "microservices",
}

Users = Iterable[tuple[str, str, str]]


class Stage(Protocol):
    """What every stage offers the ordering scenarios."""

    number: int
    name: str
    detail: str

    def seed(self, products: Iterable[Product], stock: Mapping[str, int], users: Users) -> None: ...

    def products(self) -> list[Product]: ...

    def place_order(self, user_id: str, items: Mapping[str, int], card: str) -> OrderOutcome: ...

    def history(self, user_id: str) -> list[dict[str, Any]]: ...

    def stock(self, product_id: str) -> int: ...

    def counts(self) -> dict[str, int]: ...

    def close(self) -> None: ...


def _tmp_sqlite(prefix: str) -> str:
    return str(Path(tempfile.mkdtemp(prefix=f"livingspec-{prefix}-")) / "shop.db")


class SingleProcessStage:
    """Stages 1 and 3: the shop service called in process."""

    def __init__(self, number: int, modular: bool) -> None:
        self.number, self.name = number, STAGE_NAMES[number]
        self.service = ShopService(SQLiteDatabase(_tmp_sqlite(f"stage{number}")), modular=modular)
        self.detail = "SQLite, one process" + (", modules own their tables" if modular else "")

    def seed(self, products: Iterable[Product], stock: Mapping[str, int], users: Users) -> None:
        self.service.seed(products, stock, users)

    def products(self) -> list[Product]:
        return self.service.products()

    def place_order(self, user_id: str, items: Mapping[str, int], card: str) -> OrderOutcome:
        return self.service.place_order(user_id, items, card)

    def history(self, user_id: str) -> list[dict[str, Any]]:
        return [{"id": o.id, "status": o.status, "items": dict(o.items)} for o in self.service.history(user_id)]

    def stock(self, product_id: str) -> int:
        return self.service.stock(product_id)

    def counts(self) -> dict[str, int]:
        return self.service.counts()

    def close(self) -> None:
        self.service.db.close()


class RoundRobinPool:
    """The embedded balancer: round robin over in-process instances, skipping instances that are down."""

    def __init__(self, apps: Mapping[str, Any]) -> None:
        from starlette.testclient import TestClient

        self.clients = {name: TestClient(app, base_url="http://shop.local") for name, app in apps.items()}
        self.down: set[str] = set()
        self._turn = count()
        self._lock = threading.Lock()

    def request(self, method: str, path: str, cookies: Mapping[str, str], **kwargs: Any) -> httpx.Response:
        names = list(self.clients)
        for _ in names:
            with self._lock:
                name = names[next(self._turn) % len(names)]
            if name not in self.down:
                client = self.clients[name]
                client.cookies.clear()
                for key, value in cookies.items():
                    client.cookies.set(key, value)
                reply: httpx.Response = client.request(method, path, **kwargs)
                return reply
        raise StageUnavailableError("every instance is down")


class LoadBalancedStage:
    """Stage 2: several monolith instances, one database, sessions outside the instances."""

    number, name = 2, STAGE_NAMES[2]

    def __init__(self, instances: int = 3, real: bool = False) -> None:
        self.real = real
        self.sessions: dict[str, dict[str, str]] = {}
        self._servers: list[Any] = []
        if real:
            try:
                self._start_real(instances)
            except BaseException:
                self._stop_servers()  # nothing started may outlive a failed start
                raise
        else:
            path = _tmp_sqlite("stage2")
            self.service = ShopService(SQLiteDatabase(path))
            store = MemorySessions()
            apps = {
                f"app{i}": monolith_app(ShopService(SQLiteDatabase(path)), store, f"app{i}")
                for i in range(1, instances + 1)
            }
            self.pool = RoundRobinPool(apps)
            self.detail = f"{instances} in-process instances, one SQLite file, shared session store"

    def _start_real(self, instances: int) -> None:
        from livingspec.scaling.infra import app_process, shared_postgres, shared_redis
        from livingspec.sticky import Balancer

        self.postgres, self.redis = shared_postgres(), shared_redis()
        dsn = self.postgres.create_database("shop")
        self.service = ShopService(PostgresDatabase(dsn))
        self.processes: dict[str, Any] = {}
        for i in range(1, instances + 1):
            env = {"SHOP_DATABASE": dsn, "SHOP_REDIS": self.redis.url, "SHOP_INSTANCE": f"app{i}"}
            process = app_process("livingspec.scaling.web:create_monolith_instance", f"app{i}", env).start()
            self._servers.append(process)
            self.processes[f"app{i}"] = process
        # The sticky-sessions balancer in round-robin mode: sessions live in Redis, so no affinity.
        self.balancer = Balancer({n: p.url for n, p in self.processes.items()}, strategy="round robin")
        server = self.balancer.serve().start()
        self._servers.append(server)
        self.client = httpx.Client(base_url=server.url, timeout=15)
        self.detail = f"{instances} uvicorn processes on PostgreSQL, sessions in Redis, round-robin balancer"

    def _request(self, method: str, path: str, user_id: str | None = None, **kwargs: Any) -> httpx.Response:
        cookies = self._session(user_id) if user_id else {}
        if self.real:
            return self.client.request(method, path, cookies=cookies, **kwargs)
        return self.pool.request(method, path, cookies, **kwargs)

    def _session(self, user_id: str) -> dict[str, str]:
        if user_id not in self.sessions:
            reply = self._request("POST", "/login", json={"user_id": user_id})
            if reply.status_code == 401:
                raise UnknownUserError(reply.json()["error"])
            if reply.status_code != 200:
                raise ScalingError(f"login of {user_id} failed: {reply.text}")
            self.sessions[user_id] = dict(reply.cookies)
        return self.sessions[user_id]

    def seed(self, products: Iterable[Product], stock: Mapping[str, int], users: Users) -> None:
        self.service.seed(products, stock, users)

    def products(self) -> list[Product]:
        return [Product(**p) for p in self._request("GET", "/products").json()["products"]]

    def place_order(self, user_id: str, items: Mapping[str, int], card: str) -> OrderOutcome:
        try:
            reply = self._request("POST", "/orders", user_id, json={"items": dict(items), "card": card})
        except UnknownUserError as error:
            return refused(error)
        body = reply.json()
        if "status" not in body:
            return OrderOutcome("refused", reason=body.get("error", reply.text), error=body.get("type", ""))
        return OrderOutcome(body["status"], body["order_id"], body["total_cents"], body["reason"], body["error"])

    def history(self, user_id: str) -> list[dict[str, Any]]:
        orders = self._request("GET", "/orders", user_id).json()["orders"]
        return [{"id": o["id"], "status": o["status"], "items": o["items"]} for o in orders]

    def served_by(self, user_id: str) -> str:
        """Which instance answered a request of this user's session."""
        return str(self._request("GET", "/orders", user_id).json()["instance"])

    def stop_instance(self, name: str) -> None:
        """An instance dies (its process is killed, or it leaves the embedded pool)."""
        if self.real:
            self.processes[name].kill()  # the balancer finds out by itself (health checks, refused connections)
        else:
            self.pool.down.add(name)

    def instances(self) -> list[str]:
        return list(self.processes) if self.real else list(self.pool.clients)

    def stock(self, product_id: str) -> int:
        return self.service.stock(product_id)

    def counts(self) -> dict[str, int]:
        return self.service.counts()

    def _stop_servers(self) -> None:
        while self._servers:
            self._servers.pop().stop()

    def close(self) -> None:
        self._stop_servers()
        self.service.db.close()


class MicroservicesStage:
    """Stage 4: five services, own databases, HTTP between them, events through a broker."""

    number, name = 4, STAGE_NAMES[4]

    def __init__(self, real: bool = False) -> None:
        self.real = real
        self._servers: list[Any] = []
        if real:
            try:
                self._start_real()
            except BaseException:
                self._stop_servers()
                raise
            return
        self.broker = InProcessBroker()
        self.nodes = build_nodes({s: SQLiteDatabase(f"file:{s}-{id(self)}?mode=memory&cache=shared") for s in SERVICES})
        from starlette.testclient import TestClient

        self.clients: dict[str, Any] = {}

        def call(service: str, method: str, path: str, json: Any = None) -> Any:
            return raise_for(self.clients[service].request(method, path, json=json))

        self.clients.update(
            {s: TestClient(service_app(node, call), base_url=f"http://{s}.local") for s, node in self.nodes.items()}
        )
        self.call = call
        self.detail = "5 services in process, 5 SQLite databases, in-process broker"

    def _start_real(self) -> None:
        import json

        from livingspec.scaling.infra import app_process, shared_postgres, shared_redis

        self.postgres, self.redis = shared_postgres(), shared_redis()
        processes = {s: app_process("livingspec.scaling.microservices:create_service", s, {}) for s in SERVICES}
        peers = {s: p.url for s, p in processes.items()}
        for service, process in processes.items():
            process.env.update(
                {
                    "SHOP_SERVICE": service,
                    "SHOP_DATABASE": self.postgres.create_database(service),
                    "SHOP_REDIS": self.redis.url,
                    "SHOP_PEERS": json.dumps(peers),
                }
            )
            process.start()
            self._servers.append(process)
        self.http = httpx.Client(timeout=15)

        def call(service: str, method: str, path: str, json: Any = None) -> Any:
            return raise_for(self.http.request(method, peers[service] + path, json=json))

        self.call = call
        self.detail = "5 uvicorn processes, 5 PostgreSQL databases, Redis Streams"

    def settle(self, max_rounds: int = 100) -> int:
        """Embedded: relay and consume until no event moves (bounded); return the rounds taken."""
        if self.real:
            return 0
        for round_number in range(1, max_rounds + 1):
            moved = sum(node.relay(self.broker) for node in self.nodes.values())
            moved += sum(node.consume(self.broker) for node in self.nodes.values())
            if not moved:
                return round_number
        raise ScalingError(f"events still moving after {max_rounds} rounds")

    def node(self, service: str) -> ServiceNode:
        return self.nodes[service]

    def seed(self, products: Iterable[Product], stock: Mapping[str, int], users: Users) -> None:
        from dataclasses import asdict

        self.call("catalog", "POST", "/seed", {"products": [asdict(p) for p in products]})
        self.call("inventory", "POST", "/seed", {"stock": dict(stock)})
        self.call("users", "POST", "/seed", {"users": [list(u) for u in users]})

    def products(self) -> list[Product]:
        return [Product(**p) for p in self.call("catalog", "GET", "/products")["products"]]

    def submit(self, user_id: str, items: Mapping[str, int], card: str) -> dict[str, Any]:
        """Place the order with the order service: it answers at once with a pending order."""
        reply: dict[str, Any] = self.call(
            "orders", "POST", "/orders", {"user_id": user_id, "items": dict(items), "card": card}
        )
        return reply

    def outcome(self, order_id: str) -> OrderOutcome:
        """The order's final status, once the events have settled."""
        if self.real:
            order = wait_until_final(lambda: self.call("orders", "GET", f"/orders/{order_id}"))
        else:
            self.settle()
            order = self.call("orders", "GET", f"/orders/{order_id}")
        status = order["status"]
        if status == "confirmed":
            return OrderOutcome("confirmed", order_id, order["total_cents"])
        errors = {"rejected": "InsufficientInventoryError", "payment_declined": "PaymentDeclinedError"}
        return OrderOutcome("refused", order_id, order["total_cents"], reason=status, error=errors.get(status, status))

    def place_order(self, user_id: str, items: Mapping[str, int], card: str) -> OrderOutcome:
        try:
            pending = self.submit(user_id, items, card)
        except OrderRefusedError as error:
            return refused(error)
        return self.outcome(pending["order_id"])

    def history(self, user_id: str) -> list[dict[str, Any]]:
        self.settle()
        orders = self.call("orders", "GET", f"/orders?user_id={user_id}")["orders"]
        return [{"id": o["id"], "status": o["status"], "items": o["items"]} for o in orders]

    def stock(self, product_id: str) -> int:
        return int(self.call("inventory", "GET", f"/stock/{product_id}")["quantity"])

    def counts(self) -> dict[str, int]:
        """Confirmed orders and captured payments (refused orders stay on record with their status)."""
        orders = self.call("orders", "GET", "/counts")
        payments = self.call("payments", "GET", "/counts")
        return {"orders": int(orders["confirmed"]), "payments": int(payments["payments"])}

    def _stop_servers(self) -> None:
        while self._servers:
            self._servers.pop().stop()

    def close(self) -> None:
        self._stop_servers()
        for node in getattr(self, "nodes", {}).values():
            node.db.close()


def make_stage(number: int, real: bool = False) -> Stage:
    """A fresh, empty deployment of the shop at a stage (real: on real servers where the stage has them)."""
    if number == 1:
        return SingleProcessStage(1, modular=False)
    if number == 2:
        return LoadBalancedStage(real=real)
    if number == 3:
        return SingleProcessStage(3, modular=True)
    if number == 4:
        return MicroservicesStage(real=real)
    raise ScalingError(f"no stage {number}: stages are 1 to 4 (stage 5 autoscales stage 2 or 4)")
