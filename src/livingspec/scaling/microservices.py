"""Stage 4: the shop as five services, each with its own database, joined by HTTP and events.

The order service calls the user and catalog services over HTTP, stores a pending order and,
in the same transaction, an ``order.created`` event in its outbox. A relay publishes outbox
events to the broker; consumers apply each event once (they record event ids) and acknowledge
it afterwards, so a process that dies between writing and publishing, or between applying and
acknowledging, loses nothing and applies nothing twice:

    order.created      -> inventory: reserve stock   -> inventory.reserved | inventory.rejected
    inventory.reserved -> payments: charge the card  -> payment.completed  | payment.declined
    payment.declined   -> inventory: release stock
    inventory.rejected, payment.*  -> orders: set the order's final status (and queue the e-mail)
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from livingspec.scaling.broker import Broker
from livingspec.scaling.db import Database, Transaction
from livingspec.scaling.domain import Product, Shop, validate_items
from livingspec.scaling.errors import (
    InsufficientInventoryError,
    InvalidOrderError,
    OrderRefusedError,
    PaymentDeclinedError,
    ScalingError,
    UnknownProductError,
    UnknownUserError,
)

SERVICES = ("catalog", "users", "orders", "inventory", "payments")
FINAL = {"confirmed", "rejected", "payment_declined"}


class SimulatedCrashError(ScalingError):
    """A process died at a chosen point (failure tests)."""


class CrashPlanError(ScalingError):
    """A crash was planned where it cannot happen (an unknown service or point, a topic it never sees)."""


class Caller(Protocol):
    """How one service reaches another over HTTP: ``call("users", "GET", "/users/u1")``."""

    def __call__(self, service: str, method: str, path: str, json: Any = None) -> Any: ...


Handler = Callable[[Transaction, str, dict[str, Any]], None]


#: Where a process can die in the middle of its event work (the outbox and consumer protocol's gaps).
BEFORE_PUBLISH = "between committing and publishing"  # publisher: the event is in the outbox, unpublished
AFTER_PUBLISH = "between publishing and marking"  # publisher: published, but the outbox still says unpublished
BEFORE_ACK = "between reading and acknowledging"  # consumer: applied and recorded, not acknowledged
CRASH_POINTS = (BEFORE_ACK, BEFORE_PUBLISH, AFTER_PUBLISH)

#: The topics each service consumes and publishes (the event flow in the module docstring).
CONSUMES = {
    "inventory": ("order.created", "payment.declined"),
    "payments": ("inventory.reserved",),
    "orders": ("inventory.rejected", "payment.completed", "payment.declined"),
}
PUBLISHES = {
    "orders": ("order.created", "order.email"),
    "inventory": ("inventory.reserved", "inventory.rejected"),
    "payments": ("payment.completed", "payment.declined"),
}
TOPICS = tuple(dict.fromkeys(t for topics in (*CONSUMES.values(), *PUBLISHES.values()) for t in topics))


@dataclass(frozen=True)
class CrashPlan:
    """A process is to die at ``point`` on its next event of ``topic`` (None: of any topic)."""

    service: str
    point: str
    topic: str | None = None

    def __post_init__(self) -> None:
        if self.service not in SERVICES:
            raise CrashPlanError(f"unknown service {self.service!r}; known: {', '.join(SERVICES)}")
        if self.point not in CRASH_POINTS:
            raise CrashPlanError(f"unknown crash point {self.point!r}; known: {', '.join(CRASH_POINTS)}")
        role = CONSUMES if self.point == BEFORE_ACK else PUBLISHES
        topics = role.get(self.service, ())
        verb = "consumes" if role is CONSUMES else "publishes"
        if not topics or (self.topic is not None and self.topic not in topics):
            known, wanted = ", ".join(topics) or "none", self.topic or "events"
            raise CrashPlanError(f"the {self.service} service never {verb} {wanted}; it {verb}: {known}")

    def matches(self, point: str, topic: str) -> bool:
        return point == self.point and self.topic in (None, topic)

    def describe(self, topic: str, event_id: str) -> str:
        return f"the {self.service} service was killed {self.point} {topic} {event_id}"


def raise_crash(description: str) -> None:
    """The embedded way to die: unwind the work in progress with SimulatedCrashError."""
    raise SimulatedCrashError(description)


@dataclass
class ServiceNode:
    """One service: its database, the events it consumes, its outbox relay.

    ``crash_plan`` arms one crash at a point of the event work; reaching it calls ``die`` (in process:
    raise SimulatedCrashError; in a service process: wait to be killed with SIGKILL).
    """

    name: str
    db: Database
    shop: Shop = field(default_factory=Shop.create)
    handlers: dict[str, Handler] = field(default_factory=dict)
    crash_plan: CrashPlan | None = None
    die: Callable[[str], None] = raise_crash
    replica: int = 1  # several replicas of a service share its group; each reads as its own consumer

    def _checkpoint(self, point: str, topic: str, event_id: str) -> None:
        plan = self.crash_plan
        if plan is not None and plan.matches(point, topic):
            self.crash_plan = None
            self.die(plan.describe(topic, event_id))

    def relay(self, broker: Broker, crash_after_publish: bool = False) -> int:
        """Publish unpublished outbox events, then mark them (a crash in between re-publishes later)."""
        with self.db.transaction() as tx:
            events = self.shop.outbox.unpublished(tx)
        for event_id, topic, payload in events:
            self._checkpoint(BEFORE_PUBLISH, topic, event_id)
            broker.publish(topic, event_id, payload)
            if crash_after_publish:
                raise SimulatedCrashError(f"{self.name} died after publishing {topic} {event_id}")
            self._checkpoint(AFTER_PUBLISH, topic, event_id)
            with self.db.transaction() as tx:
                self.shop.outbox.mark_published(tx, event_id)
        return len(events)

    def consume(self, broker: Broker, crash_before_ack: bool = False) -> int:
        """Apply each delivered event once, then acknowledge it; return how many were delivered."""
        delivered = 0
        for topic, handler in self.handlers.items():
            for message in broker.read(topic, self.name, f"{self.name}-{self.replica}"):
                delivered += 1
                with self.db.transaction() as tx:
                    if self.shop.outbox.first_time(tx, self.name, message.event_id):
                        handler(tx, message.event_id, message.payload)
                if crash_before_ack:
                    raise SimulatedCrashError(f"{self.name} died before acknowledging {topic} {message.event_id}")
                self._checkpoint(BEFORE_ACK, topic, message.event_id)
                broker.ack(topic, self.name, message.message_id)
        return delivered


def build_nodes(databases: Mapping[str, Database]) -> dict[str, ServiceNode]:
    """The five services with their event handlers wired."""
    nodes = {name: ServiceNode(name, databases[name]) for name in SERVICES}
    inventory, payments, orders = nodes["inventory"], nodes["payments"], nodes["orders"]

    def reserve(tx: Transaction, event_id: str, event: dict[str, Any]) -> None:
        try:
            inventory.shop.inventory.reserve(tx, event["order_id"], event["items"])
        except InsufficientInventoryError as error:
            inventory.shop.outbox.emit(tx, "inventory.rejected", {"order_id": event["order_id"], "reason": str(error)})
            return
        inventory.shop.outbox.emit(tx, "inventory.reserved", event)

    def release(tx: Transaction, event_id: str, event: dict[str, Any]) -> None:
        inventory.shop.inventory.release(tx, event["order_id"])

    def charge(tx: Transaction, event_id: str, event: dict[str, Any]) -> None:
        try:
            payments.shop.payments.charge(tx, event["order_id"], event["total_cents"], event["card"])
        except PaymentDeclinedError as error:
            payments.shop.outbox.emit(tx, "payment.declined", {"order_id": event["order_id"], "reason": str(error)})
            return
        payments.shop.outbox.emit(tx, "payment.completed", {"order_id": event["order_id"]})

    def finish(status: str) -> Handler:
        def handle(tx: Transaction, event_id: str, event: dict[str, Any]) -> None:
            orders.shop.orders.set_status(tx, event["order_id"], status)
            if status == "confirmed":
                orders.shop.outbox.emit(tx, "order.email", {"order_id": event["order_id"]})

        return handle

    inventory.handlers = {"order.created": reserve, "payment.declined": release}
    payments.handlers = {"inventory.reserved": charge}
    orders.handlers = {
        "inventory.rejected": finish("rejected"),
        "payment.completed": finish("confirmed"),
        "payment.declined": finish("payment_declined"),
    }
    return nodes


class ServiceApi:
    """The HTTP handlers of one service, over its node's database and domain modules."""

    def __init__(self, node: ServiceNode, call: Caller) -> None:
        self.node, self.call = node, call
        self.shop, self.db = node.shop, node.db

    async def products(self, request: Request) -> Response:
        with self.db.transaction() as tx:
            return JSONResponse({"products": [asdict(p) for p in self.shop.catalog.list(tx)]})

    async def prices(self, request: Request) -> Response:
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        with self.db.transaction() as tx:
            return JSONResponse({"prices": self.shop.catalog.prices(tx, ids)})

    async def user(self, request: Request) -> Response:
        with self.db.transaction() as tx:
            return JSONResponse(self.shop.users.get(tx, request.path_params["user_id"]))

    async def orders(self, request: Request) -> Response:
        """GET: a user's history; POST: validate, price and store a pending order with its event."""
        if request.method == "GET":
            with self.db.transaction() as tx:
                history = self.shop.orders.history(tx, request.query_params.get("user_id", ""))
            return JSONResponse({"orders": [{**asdict(o), "items": dict(o.items)} for o in history]})
        body = await request.json()
        items = validate_items(body.get("items", {}))
        self.call("users", "GET", f"/users/{body.get('user_id', '')}")  # 404 -> UnknownUserError
        priced = self.call("catalog", "GET", "/prices?ids=" + ",".join(sorted(items)))["prices"]
        shop = self.shop
        with self.db.transaction() as tx:
            order = shop.orders.create(tx, shop.ids(), body["user_id"], items, priced, "pending")
            shop.outbox.emit(
                tx,
                "order.created",
                {"order_id": order.id, "items": items, "total_cents": order.total_cents, "card": body.get("card", "")},
            )
        return JSONResponse(
            {"order_id": order.id, "status": order.status, "total_cents": order.total_cents}, status_code=202
        )

    async def order(self, request: Request) -> Response:
        with self.db.transaction() as tx:
            found = self.shop.orders.get(tx, request.path_params["order_id"])
        if found is None:
            return JSONResponse({"error": "no such order"}, status_code=404)
        return JSONResponse({**asdict(found), "items": dict(found.items)})

    async def stock(self, request: Request) -> Response:
        with self.db.transaction() as tx:
            return JSONResponse({"quantity": self.shop.inventory.available(tx, request.path_params["product_id"])})

    async def counts(self, request: Request) -> Response:
        shop = self.shop
        with self.db.transaction() as tx:
            return JSONResponse(
                {
                    "orders": shop.orders.count(tx),
                    "confirmed": shop.orders.count(tx, "confirmed"),
                    "payments": shop.payments.count(tx),
                    "outbox": shop.outbox.outbox_topics(tx),
                }
            )

    async def seed(self, request: Request) -> Response:
        body = await request.json()
        shop = self.shop
        with self.db.transaction() as tx:
            for p in body.get("products", []):
                shop.catalog.add(tx, Product(**p))
            for product_id, quantity in body.get("stock", {}).items():
                shop.inventory.stock(tx, product_id, quantity)
            for user_id, name, email in body.get("users", []):
                shop.users.register(tx, user_id, name, email)
        return JSONResponse({"seeded": self.node.name})

    async def health(self, request: Request) -> Response:
        return JSONResponse({"service": self.node.name})

    async def refused(self, request: Request, exc: Exception) -> Response:
        """A domain error as JSON: 404 for an unknown user, 409 for a refusal, 400 otherwise."""
        status = 404 if isinstance(exc, UnknownUserError) else 409 if isinstance(exc, OrderRefusedError) else 400
        return JSONResponse({"error": str(exc), "type": type(exc).__name__}, status_code=status)


def service_app(node: ServiceNode, call: Caller, lifespan: Any = None, extra: Sequence[Route] = ()) -> Starlette:
    """The HTTP API of one service (each process serves one); ``extra`` adds routes (the crash switch)."""
    api = ServiceApi(node, call)
    return Starlette(
        routes=[
            *extra,
            Route("/products", api.products),
            Route("/prices", api.prices),
            Route("/users/{user_id}", api.user),
            Route("/orders", api.orders, methods=["GET", "POST"]),
            Route("/orders/{order_id}", api.order),
            Route("/stock/{product_id}", api.stock),
            Route("/counts", api.counts),
            Route("/seed", api.seed, methods=["POST"]),
            Route("/health", api.health),
        ],
        exception_handlers={ScalingError: api.refused},
        lifespan=lifespan,
    )


def raise_for(reply: Any) -> Any:
    """Map a service's error reply back to the domain error it stands for."""
    if reply.status_code < 400:
        return reply.json()
    try:
        body = reply.json()
    except ValueError:  # a crash inside the service answers plain text ("Internal Server Error")
        raise ScalingError(f"{reply.status_code}: {reply.text[:200]}") from None
    message, kind = str(body.get("error", reply.text)), body.get("type", "")
    if kind == "UnknownUserError":
        raise UnknownUserError(message)
    if kind == "UnknownProductError":
        raise UnknownProductError(message)
    if kind == "InvalidOrderError":
        raise InvalidOrderError(message)
    raise ScalingError(f"{reply.status_code}: {message}")


def run_event_loop(
    node: ServiceNode, broker: Broker, stop: threading.Event, period_s: float = 0.02, idle_limit_s: float = 0.1
) -> None:
    """A service process's background work: relay its outbox and consume its events until stopped.

    While idle it polls less often, doubling the wait from ``period_s`` up to ``idle_limit_s``, so an
    idle replica costs little CPU (the autoscaler reads CPU) and a busy one reacts at once.
    """
    wait = period_s
    while not stop.is_set():
        try:
            busy = node.relay(broker) + node.consume(broker)
        except Exception as error:
            print(f"{node.name}: event loop error: {error!r}", file=sys.stderr, flush=True)
            busy = 0
        wait = period_s if busy else min(wait * 2, idle_limit_s)
        if not busy:
            stop.wait(wait)


class CrashSwitch:
    """In a service process: arm a crash over HTTP; reaching it parks the worker until SIGKILL arrives.

    ``POST /crash {"point": ..., "topic": ...}`` arms the node's crash plan; ``GET /crash`` says whether
    the worker has reached it. The worker then waits, inside the gap it was planned in, for the test to
    kill the process with SIGKILL; if no kill comes within ``limit_s`` it sends SIGKILL to itself.
    Served only when the process starts with ``SHOP_CRASH_SWITCH=1``.
    """

    def __init__(self, node: ServiceNode, limit_s: float = 60.0) -> None:
        self.node, self.limit_s = node, limit_s
        self.reached = threading.Event()
        self.description = ""
        node.die = self.park

    def park(self, description: str) -> None:
        self.description = description
        self.reached.set()
        time.sleep(self.limit_s)  # the kill comes here
        os.kill(os.getpid(), signal.SIGKILL)

    async def endpoint(self, request: Request) -> Response:
        if request.method == "POST":
            body = await request.json()
            self.node.crash_plan = CrashPlan(self.node.name, body["point"], body.get("topic"))
        return JSONResponse({"reached": self.reached.is_set(), "description": self.description})


def create_service() -> Starlette:
    """uvicorn --factory entry point for one service process (PostgreSQL database, Redis Streams)."""
    import json

    import httpx

    from livingspec.scaling.broker import RedisStreamsBroker
    from livingspec.scaling.db import PostgresDatabase

    name = os.environ["SHOP_SERVICE"]
    peers: dict[str, str] = json.loads(os.environ["SHOP_PEERS"])
    database = PostgresDatabase(os.environ["SHOP_DATABASE"], max_size=4)
    node = build_nodes(dict.fromkeys(SERVICES, database))[name]  # only this service's node is used
    node.replica = int(os.environ.get("SHOP_REPLICA", "1"))
    client = httpx.Client(timeout=10)

    def call(service: str, method: str, path: str, json: Any = None) -> Any:
        return raise_for(client.request(method, peers[service] + path, json=json))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """Relay and consume in a background thread for as long as the process serves."""
        stop = threading.Event()
        worker = None
        if node.handlers or name == "orders":
            broker = RedisStreamsBroker(os.environ["SHOP_REDIS"])
            idle_limit_s = float(os.environ.get("SHOP_IDLE_POLL_S", "0.1"))  # longest wait between idle polls
            args = (node, broker, stop, 0.02, idle_limit_s)
            worker = threading.Thread(target=run_event_loop, args=args, daemon=True)
            worker.start()
        yield
        stop.set()
        if worker:
            worker.join(timeout=5)

    extra = []
    if os.environ.get("SHOP_CRASH_SWITCH") == "1":
        extra.append(Route("/crash", CrashSwitch(node).endpoint, methods=["GET", "POST"]))
    return service_app(node, call, lifespan, extra)


def wait_until_final(fetch: Callable[[], dict[str, Any]], timeout_s: float = 20.0) -> dict[str, Any]:
    """Poll an order until its status is final (real processes), at most ``timeout_s`` seconds."""
    deadline = time.monotonic() + timeout_s
    while True:
        order = fetch()
        if order.get("status") in FINAL or time.monotonic() > deadline:
            return order
        time.sleep(0.05)
