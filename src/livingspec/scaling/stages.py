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

Stages 2 and 4 each have one Protocol the scenarios drive, an embedded implementation and a real
one; ``make_stage`` is the one factory that picks by the selected target. The stages themselves
never see the target's name.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from itertools import count
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import httpx

from livingspec.scaling.broker import InProcessBroker, RedisStreamsBroker
from livingspec.scaling.db import Database, PostgresDatabase, SQLiteDatabase
from livingspec.scaling.domain import Product
from livingspec.scaling.errors import OrderRefusedError, ScalingError, StageUnavailableError, UnknownUserError
from livingspec.scaling.microservices import (
    CONSUMES,
    SERVICES,
    Caller,
    CrashPlan,
    ServiceNode,
    SimulatedCrashError,
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


@runtime_checkable
class LoadBalancedStage(Stage, Protocol):
    """Stage 2: what its scenarios add to every stage's interface (sessions, instances that fail)."""

    sessions: dict[str, dict[str, str]]

    def served_by(self, user_id: str) -> str: ...

    def stop_instance(self, name: str) -> None: ...

    def instances(self) -> list[str]: ...


@dataclass(frozen=True)
class EventFlow:
    """How an event reached a consumer: deliveries by the broker, reservations made, events recorded."""

    deliveries: int
    reservations: int
    recorded: int


@runtime_checkable
class MicroservicesStage(Stage, Protocol):
    """Stage 4: orders answered at once and settled by events; processes that die mid-event."""

    def submit(self, user_id: str, items: Mapping[str, int], card: str) -> dict[str, Any]: ...

    def outcome(self, order_id: str) -> OrderOutcome: ...

    def plan_crash(self, plan: CrashPlan) -> None: ...

    def await_crash(self, service: str) -> str: ...

    def restart(self, service: str) -> None: ...

    def event_flow(self, topic: str, consumer: str) -> EventFlow: ...


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


class _BalancedShop:
    """What both stage-2 deployments share: log in once per customer, then talk through the balancer."""

    number, name = 2, STAGE_NAMES[2]
    detail: str
    service: ShopService

    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, str]] = {}

    def _send(self, method: str, path: str, cookies: Mapping[str, str], **kwargs: Any) -> httpx.Response:
        raise NotImplementedError

    def _request(self, method: str, path: str, user_id: str | None = None, **kwargs: Any) -> httpx.Response:
        cookies = self._session(user_id) if user_id else {}
        return self._send(method, path, cookies, **kwargs)

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

    def stock(self, product_id: str) -> int:
        return self.service.stock(product_id)

    def counts(self) -> dict[str, int]:
        return self.service.counts()


class EmbeddedLoadBalancedStage(_BalancedShop):
    """Stage 2 in process: instances on one SQLite file, a shared session store, a round-robin pool."""

    def __init__(self, instances: int = 3) -> None:
        super().__init__()
        path = _tmp_sqlite("stage2")
        self.service = ShopService(SQLiteDatabase(path))
        store = MemorySessions()
        apps = {
            f"app{i}": monolith_app(ShopService(SQLiteDatabase(path)), store, f"app{i}")
            for i in range(1, instances + 1)
        }
        self.pool = RoundRobinPool(apps)
        self.detail = f"{instances} in-process instances, one SQLite file, shared session store"

    def _send(self, method: str, path: str, cookies: Mapping[str, str], **kwargs: Any) -> httpx.Response:
        return self.pool.request(method, path, cookies, **kwargs)

    def stop_instance(self, name: str) -> None:
        """The instance leaves the pool, as a dead one would."""
        self.pool.down.add(name)

    def instances(self) -> list[str]:
        return list(self.pool.clients)

    def close(self) -> None:
        self.service.db.close()


class RealLoadBalancedStage(_BalancedShop):
    """Stage 2 on real servers: uvicorn processes on PostgreSQL, sessions in Redis, our balancer."""

    def __init__(self, instances: int = 3) -> None:
        super().__init__()
        self._servers: list[Any] = []
        try:
            self._start(instances)
        except BaseException:
            self._stop_servers()  # nothing started may outlive a failed start
            raise

    def _start(self, instances: int) -> None:
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

    def _send(self, method: str, path: str, cookies: Mapping[str, str], **kwargs: Any) -> httpx.Response:
        self.client.cookies.clear()
        for key, value in cookies.items():
            self.client.cookies.set(key, value)
        return self.client.request(method, path, **kwargs)

    def stop_instance(self, name: str) -> None:
        """Kill the instance's process; the balancer finds out by itself (refused connections)."""
        self.processes[name].kill()

    def instances(self) -> list[str]:
        return list(self.processes)

    def _stop_servers(self) -> None:
        while self._servers:
            self._servers.pop().stop()

    def close(self) -> None:
        self._stop_servers()
        self.service.db.close()


def _final(order: Mapping[str, Any], order_id: str) -> OrderOutcome:
    """The outcome an order service's record stands for."""
    status = order["status"]
    if status == "confirmed":
        return OrderOutcome("confirmed", order_id, order["total_cents"])
    errors = {"rejected": "InsufficientInventoryError", "payment_declined": "PaymentDeclinedError"}
    return OrderOutcome("refused", order_id, order["total_cents"], reason=status, error=errors.get(status, status))


class _ServiceShop:
    """What both stage-4 deployments share: the services' HTTP APIs, called through ``call``."""

    number, name = 4, STAGE_NAMES[4]
    detail: str
    call: Caller

    def _settle(self) -> None:
        """Let the events move until nothing does (embedded) or do nothing (processes do it themselves)."""

    def seed(self, products: Iterable[Product], stock: Mapping[str, int], users: Users) -> None:
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

    def place_order(self, user_id: str, items: Mapping[str, int], card: str) -> OrderOutcome:
        try:
            pending = self.submit(user_id, items, card)
        except OrderRefusedError as error:
            return refused(error)
        return self.outcome(pending["order_id"])

    def outcome(self, order_id: str) -> OrderOutcome:
        """The order's final status (each deployment settles its events its own way)."""
        raise NotImplementedError

    def history(self, user_id: str) -> list[dict[str, Any]]:
        self._settle()
        orders = self.call("orders", "GET", f"/orders?user_id={user_id}")["orders"]
        return [{"id": o["id"], "status": o["status"], "items": o["items"]} for o in orders]

    def stock(self, product_id: str) -> int:
        return int(self.call("inventory", "GET", f"/stock/{product_id}")["quantity"])

    def counts(self) -> dict[str, int]:
        """Confirmed orders and captured payments (refused orders stay on record with their status)."""
        orders = self.call("orders", "GET", "/counts")
        payments = self.call("payments", "GET", "/counts")
        return {"orders": int(orders["confirmed"]), "payments": int(payments["payments"])}


def _event_flow(inventory: Database, deliveries: int, consumer: str) -> EventFlow:
    with inventory.transaction() as tx:
        reservations = tx.execute("SELECT COUNT(*) FROM inventory_reservations").fetchone()[0]
        recorded = tx.execute("SELECT COUNT(*) FROM processed_events WHERE consumer = ?", (consumer,)).fetchone()[0]
    return EventFlow(deliveries, int(reservations), int(recorded))


class EmbeddedMicroservicesStage(_ServiceShop):
    """Stage 4 in process: five services on in-memory SQLite, an in-process broker, explicit settling."""

    def __init__(self) -> None:
        from starlette.testclient import TestClient

        self.broker = InProcessBroker()
        self.nodes = build_nodes({s: SQLiteDatabase(f"file:{s}-{id(self)}?mode=memory&cache=shared") for s in SERVICES})
        self.clients: dict[str, Any] = {}

        def call(service: str, method: str, path: str, json: Any = None) -> Any:
            return raise_for(self.clients[service].request(method, path, json=json))

        self.clients.update(
            {s: TestClient(service_app(node, call), base_url=f"http://{s}.local") for s, node in self.nodes.items()}
        )
        self.call = call
        self.detail = "5 services in process, 5 SQLite databases, in-process broker"

    def settle(self, max_rounds: int = 100) -> int:
        """Relay and consume until no event moves (bounded); return the rounds taken."""
        for round_number in range(1, max_rounds + 1):
            moved = sum(node.relay(self.broker) for node in self.nodes.values())
            moved += sum(node.consume(self.broker) for node in self.nodes.values())
            if not moved:
                return round_number
        raise ScalingError(f"events still moving after {max_rounds} rounds")

    def _settle(self) -> None:
        self.settle()

    def node(self, service: str) -> ServiceNode:
        return self.nodes[service]

    def outcome(self, order_id: str) -> OrderOutcome:
        """The order's final status, once the events have settled."""
        self.settle()
        return _final(self.call("orders", "GET", f"/orders/{order_id}"), order_id)

    def plan_crash(self, plan: CrashPlan) -> None:
        """Arm the crash: the service dies when its event work next reaches the planned point."""
        self.nodes[plan.service].crash_plan = plan

    def await_crash(self, service: str) -> str:
        """Move the events until the planned crash happens; say where it happened."""
        try:
            self.settle()
        except SimulatedCrashError as crash:
            return str(crash)
        self.nodes[service].crash_plan = None
        raise ScalingError(f"the events settled and the {service} service never reached its planned crash")

    def restart(self, service: str) -> None:
        """In process, a restart is the next round of event work: pending messages come first."""

    def event_flow(self, topic: str, consumer: str) -> EventFlow:
        return _event_flow(self.nodes["inventory"].db, self.broker.deliveries(topic, consumer), consumer)

    def close(self) -> None:
        for node in self.nodes.values():
            node.db.close()


class RealMicroservicesStage(_ServiceShop):
    """Stage 4 on real servers: five uvicorn processes, five PostgreSQL databases, Redis Streams.

    A planned crash is armed over the service's crash switch; when the process reaches it, it waits
    there and this stage kills it with SIGKILL. A restart starts the same process again on the same
    port, database and consumer names, so pending messages and unpublished outbox rows resume.
    """

    def __init__(self, crash_timeout_s: float = 30.0) -> None:
        self.crash_timeout_s = crash_timeout_s
        self.processes: dict[str, Any] = {}
        try:
            self._start()
        except BaseException:
            self._stop_servers()
            raise

    def _start(self) -> None:
        import json

        from livingspec.scaling.infra import app_process, shared_postgres, shared_redis

        self.postgres, self.redis = shared_postgres(), shared_redis()
        processes = {s: app_process("livingspec.scaling.microservices:create_service", s, {}) for s in SERVICES}
        self.peers = {s: p.url for s, p in processes.items()}
        self.databases: dict[str, str] = {}
        for service, process in processes.items():
            self.databases[service] = self.postgres.create_database(service)
            process.env.update(
                {
                    "SHOP_SERVICE": service,
                    "SHOP_DATABASE": self.databases[service],
                    "SHOP_REDIS": self.redis.url,
                    "SHOP_PEERS": json.dumps(self.peers),
                    "SHOP_CRASH_SWITCH": "1",
                }
            )
            self.processes[service] = process.start()
        self.http = httpx.Client(timeout=15)

        def call(service: str, method: str, path: str, json: Any = None) -> Any:
            return raise_for(self.http.request(method, self.peers[service] + path, json=json))

        self.call = call
        self.detail = "5 uvicorn processes, 5 PostgreSQL databases, Redis Streams"

    def outcome(self, order_id: str) -> OrderOutcome:
        """The order's final status: polled (bounded) until the processes have settled it, then until
        every event has (an order can be final while a re-published event is still on its way)."""
        final = wait_until_final(lambda: self.call("orders", "GET", f"/orders/{order_id}"))
        self._settle()
        return _final(final, order_id)

    def _settle(self, timeout_s: float = 20.0) -> None:
        """Wait (bounded) until the processes are idle: every consumed stream read and acknowledged, no
        outbox row unpublished; ScalingError naming what is still moving after ``timeout_s``.

        Streams, then outboxes, then streams again: a consumer writes its outbox row before it
        acknowledges, and a relay publishes before it marks, so no event slips between the looks.
        """
        broker = RedisStreamsBroker(self.redis.url)
        databases = {s: PostgresDatabase(dsn, max_size=1) for s, dsn in self.databases.items()}
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                moving = self._moving(broker) or self._unpublished(databases) or self._moving(broker)
                if not moving:
                    return
                if time.monotonic() > deadline:
                    raise ScalingError(f"the events did not settle within {timeout_s} s: {moving}")
                time.sleep(0.05)
        finally:
            for database in databases.values():
                database.close()

    @staticmethod
    def _moving(broker: RedisStreamsBroker) -> str:
        busy = [f"{t} for {s}" for s, topics in CONSUMES.items() for t in topics if not broker.drained(t, s)]
        return f"unread or unacknowledged {', '.join(busy)}" if busy else ""

    @staticmethod
    def _unpublished(databases: Mapping[str, Database]) -> str:
        for service, database in databases.items():
            with database.transaction() as tx:
                if tx.execute("SELECT COUNT(*) FROM outbox WHERE published = 0").fetchone()[0]:
                    return f"the {service} service's outbox holds unpublished events"
        return ""

    def plan_crash(self, plan: CrashPlan) -> None:
        self.call(plan.service, "POST", "/crash", {"point": plan.point, "topic": plan.topic})

    def await_crash(self, service: str) -> str:
        """Wait (bounded) until the service is parked at its planned point, then SIGKILL it."""
        deadline = time.monotonic() + self.crash_timeout_s
        while True:
            state = self.call(service, "GET", "/crash")
            if state["reached"]:
                pid = self.processes[service].pid
                self.processes[service].kill()
                return f"{state['description']}: SIGKILL to process {pid}"
            if time.monotonic() > deadline:
                raise ScalingError(f"the {service} service did not reach its planned crash in {self.crash_timeout_s} s")
            time.sleep(0.02)

    def restart(self, service: str) -> None:
        """Start the killed service again: same port, database, Redis consumer and outbox."""
        from livingspec.scaling.infra import restarted

        self.processes[service] = restarted(self.processes[service]).start()

    def event_flow(self, topic: str, consumer: str) -> EventFlow:
        self._settle()
        deliveries = RedisStreamsBroker(self.redis.url).deliveries(topic, consumer)
        inventory = PostgresDatabase(self.databases["inventory"], max_size=1)
        try:
            return _event_flow(inventory, deliveries, consumer)
        finally:
            inventory.close()

    def _stop_servers(self) -> None:
        while self.processes:
            self.processes.popitem()[1].stop()

    def close(self) -> None:
        self._stop_servers()
        if hasattr(self, "http"):
            self.http.close()


STAGE_NUMBERS = (1, 2, 3, 4)


def make_stage(number: int, target: str = "embedded") -> Stage:
    """A fresh, empty deployment of the shop at a stage, on the selected target.

    ``target`` is ``embedded`` (in process) or ``real`` (stages 2 and 4 on PostgreSQL, Redis and
    separate processes; stages 1 and 3 are one process by definition and are the same on both).
    """
    if target not in ("embedded", "real"):
        raise ScalingError(f"unknown target {target!r}; known: embedded, real")
    real = target == "real"
    if number == 1:
        return SingleProcessStage(1, modular=False)
    if number == 2:
        return RealLoadBalancedStage() if real else EmbeddedLoadBalancedStage()
    if number == 3:
        return SingleProcessStage(3, modular=True)
    if number == 4:
        return RealMicroservicesStage() if real else EmbeddedMicroservicesStage()
    raise ScalingError(f"no stage {number}: stages are 1 to 4 (stage 5 autoscales stage 2 or 4)")
