"""Steps of the progressive-scaling features: one shop deployed at each stage, and the autoscaler.

Phrases: the shop is deployed as stage <n> [with the catalog]; the shop sells: (table); the shop
customer <id> is registered as <Name> <<email>>; shop customer <id> orders <items> with card <card>;
the shop confirms / refuses ...; the shop has <stock>; the shop holds <n> confirmed orders and
<n> payments; the shop order history of <id> lists ...; stage 2 instance loss; stage 4 crashes
(a service killed between reading and acknowledging, committing and publishing, publishing and
marking an event); module boundaries; the seed's autoscaler, or one with a CPU target alone; the
autoscaler observes / reconciles / asks for / runs a day; Kubernetes' replica calculation over
pods you describe (resource, pods, object and external metrics); behaviour policies and bounds;
the order service autoscaled as real processes under a load that rises and falls.

The target (``-D target=real``, ``pytest --target=real``) picks the deployment of stages 2 and 4
through ``livingspec.scaling.make_stage``: in process, or processes on PostgreSQL and Redis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from behave import given, then, when

from livingspec.runner import evidence, types
from livingspec.runner.targets import TargetUnavailableError, skip_unavailable, target_of
from livingspec.runner.types import MULTIWORD, choice
from livingspec.runner.world import need, need_table, world
from livingspec.scaling import (
    CRASH_POINTS,
    DEFAULT_SCALE_DOWN,
    DEFAULT_SCALE_UP,
    SEED_SPEC,
    SERVICES,
    STAGE_NUMBERS,
    TOPICS,
    AutoscalerSpec,
    Behavior,
    BehaviorController,
    BoundaryViolationError,
    Calculation,
    CrashPlan,
    HorizontalPodAutoscaler,
    LoadBalancedStage,
    MetricReadingError,
    MetricTarget,
    MicroservicesStage,
    Normalized,
    OrderOutcome,
    Product,
    RealMicroservicesStage,
    ReplicaCalculator,
    ShopService,
    Stage,
    daily_load,
    desired_replicas,
    make_stage,
    simulate_day,
)
from livingspec.scaling.behavior import events_from_text, rules_from_text
from livingspec.scaling.elastic import COMPRESSED_BEHAVIOR, ElasticOrderService, RunResult, draw_run, triangle
from livingspec.scaling.hpa import LoadStep
from livingspec.scaling.replicas import pod_table, pods_from_text

ITEM = re.compile(r"(\d+) ([a-z0-9-]+)")
DEPLOY_GIVEN = "Given the shop is deployed as stage 4"
CATALOG_GIVEN = "Given the shop sells: (a table of product, name, price, stock)"
AUTOSCALER_GIVEN = "Given the seed's autoscaler: 3 to 20 replicas, CPU target 70%, memory target 80%"
#: A service as the features name it: singular or plural ("the order service", "the orders service").
SERVICE_NAMES = {**{s: s for s in SERVICES}, "order": "orders", "payment": "payments", "user": "users"}

types.register(
    ShopStage=choice("stage", [str(n) for n in STAGE_NUMBERS], r"\d+"),
    ShopServiceName=choice("service", list(SERVICE_NAMES)),
    CrashPoint=choice("crash point", CRASH_POINTS, MULTIWORD),
    EventTopic=choice("event topic", TOPICS),
    MetricSource=choice("metric source", ("object", "external")),
    TargetKind=choice("target type", ("value", "average value"), MULTIWORD),
    LimitReason=choice(
        "limiting reason", ("DesiredWithinRange", "ScaleUpLimit", "ScaleDownLimit", "TooManyReplicas", "TooFewReplicas")
    ),
)
PODS_GIVEN = "Given a deployment of 3 replicas whose pods are ready 300, unready 500, ready ?"
LIMITS_GIVEN = "Given an autoscaler of 1 to 10 replicas that scales up by default and down by default"


@dataclass
class ScalingWorld:
    """One scenario's state: the shop at a stage, what it answered, and the autoscaler's run."""

    stage: Stage | None = None
    catalog: list[dict[str, str]] = field(default_factory=list)
    products: list[Product] | None = None
    outcome: OrderOutcome | None = None
    pending: dict[str, Any] | None = None
    failed_instance: str | None = None
    foreign: object = None
    hpa: HorizontalPodAutoscaler | None = None
    replicas: int | None = None
    desired: int | None = None
    clock_s: float = 0.0
    drop_at_s: float = 0.0
    timeline: list[tuple[float, int]] | None = None
    after_window: list[tuple[float, int]] = field(default_factory=list)
    day: list[LoadStep] | None = None
    pods: str | None = None
    requests: str = "1000"
    calculation: Calculation | None = None
    refusal: MetricReadingError | None = None
    limits: BehaviorController | None = None
    bounds: tuple[int, int] = (1, 1)
    normalized: Normalized | None = None
    elastic: ElasticOrderService | None = None
    elastic_run: RunResult | None = None

    @property
    def shop(self) -> Stage:
        return need(self.stage, "a deployed shop", DEPLOY_GIVEN)

    def balanced(self) -> LoadBalancedStage:
        shop = self.shop
        assert isinstance(shop, LoadBalancedStage), (
            f"this step needs stage 2 (the load-balanced monolith), not stage {shop.number}"
        )
        return shop

    def services(self) -> MicroservicesStage:
        shop = self.shop
        assert isinstance(shop, MicroservicesStage), (
            f"this step needs stage 4 (the microservices), not stage {shop.number}"
        )
        return shop

    def the_outcome(self) -> OrderOutcome:
        return need(
            self.outcome, "an order's outcome", "When shop customer john orders 1 ipad with card 4242 4242 4242 4242"
        )

    def the_pending(self) -> dict[str, Any]:
        return need(
            self.pending,
            "a submitted order",
            "When shop customer john submits an order for 1 iphone with card 4242 4242 4242 4242",
        )

    def autoscaler(self) -> HorizontalPodAutoscaler:
        return need(self.hpa, "an autoscaler", AUTOSCALER_GIVEN)


def _world(context: Any) -> ScalingWorld:
    return world(context, ScalingWorld)


def _cents(amount: str) -> int:
    return int(Decimal(amount.replace("$", "").replace(",", "")) * 100)


def _items(text: str) -> dict[str, int]:
    found = {name: int(qty) for qty, name in ITEM.findall(text)}
    assert found, f"no items in {text!r}: write them as '1 iphone, 2 ipad'"
    return found


def _deploy(context: Any, stage: int) -> bool:
    state = _world(context)
    try:
        state.stage = make_stage(stage, target_of(context))
    except TargetUnavailableError as error:
        skip_unavailable(context, error)
        return False
    context.add_cleanup(state.stage.close)
    evidence.attach_text("deployment", f"stage {stage}: {state.stage.name} ({state.stage.detail})")
    return True


def _seed_catalog(state: ScalingWorld) -> None:
    rows = need(state.catalog or None, "a catalog", CATALOG_GIVEN)
    state.shop.seed(
        [Product(r["product"], r["name"], _cents(r["price"])) for r in rows],
        {r["product"]: int(r["stock"]) for r in rows},
        [],
    )


# ---------------------------------------------------------------- the shop at a stage


@given("the shop is deployed as stage {stage:ShopStage}")
def step_deploy(context: Any, stage: str) -> None:
    """Start an empty shop at one of the seed's stages (1 to 4; 2 and 4 run on real servers with -D target=real)."""
    _deploy(context, int(stage))


@given("the shop is deployed as stage {stage:ShopStage} with the catalog")
def step_deploy_with_catalog(context: Any, stage: str) -> None:
    """Start a shop at a stage (1 to 4) and load the catalog given before."""
    if _deploy(context, int(stage)):
        _seed_catalog(_world(context))


@given("the shop sells:")
def step_catalog(context: Any) -> None:
    """The catalog: columns product (id), name, price (dollars) and stock (units); loaded now if the shop is deployed."""
    state = _world(context)
    table = need_table(context, ["product", "name", "price", "stock"])
    state.catalog = [dict(zip(table.headings, row.cells, strict=True)) for row in table]
    if state.stage is not None:
        _seed_catalog(state)


@given("the shop customer {user_id:w} is registered as {name:w} <{email}>")
def step_register(context: Any, user_id: str, name: str, email: str) -> None:
    """Register a customer: id, first name and e-mail address."""
    _world(context).shop.seed([], {}, [(user_id, name, email)])


@when("the shop catalog is listed")
def step_list(context: Any) -> None:
    """Ask the shop for its products."""
    state = _world(context)
    state.products = state.shop.products()
    evidence.attach_table(
        "catalog",
        ["product", "name", "price"],
        [(p.id, p.name, f"${p.price_cents / 100:.2f}") for p in state.products],
    )


@when("shop customer {user_id:w} orders {items} with card {card}")
@given("shop customer {user_id:w} has ordered {items} with card {card}")
def step_order(context: Any, user_id: str, items: str, card: str) -> None:
    """Place an order ('1 iphone, 2 ipad') paid with a card number, and keep the shop's answer."""
    state = _world(context)
    state.outcome = state.shop.place_order(user_id, _items(items), card)
    evidence.attach_json("order outcome", state.outcome.__dict__)


@then("the shop catalog shows {listing}")
def step_check_listing(context: Any, listing: str) -> None:
    """Compare the catalog with 'Name at $price and Name at $price'."""
    products = need(_world(context).products, "the listed catalog", "When the shop catalog is listed")
    expected = [(name, _cents(price)) for name, price in re.findall(r"(\w+) at (\$[\d.,]+)", listing)]
    actual = [(p.name, p.price_cents) for p in products]
    assert actual == expected, f"expected {expected}, the shop lists {actual}"


@then("the shop confirms the order with a total of {total}")
def step_check_confirmed(context: Any, total: str) -> None:
    """The order was accepted with this total: a dollar amount with cents, such as $2197.00."""
    outcome = _world(context).the_outcome()
    assert outcome.accepted, f"expected a confirmed order, the shop said {outcome.status}: {outcome.reason}"
    assert outcome.total_cents == _cents(total), f"expected a total of {total}, got {outcome.total_cents / 100:.2f}"


REFUSALS = {
    "for insufficient inventory": "InsufficientInventoryError",
    "because the payment was declined": "PaymentDeclinedError",
}
types.register(Refusal=choice("refusal", list(REFUSALS), MULTIWORD))


@then("the shop refuses the order {reason:Refusal}")
def step_check_refused(context: Any, reason: str) -> None:
    """The order was refused: for insufficient inventory, or because the payment was declined."""
    expected = REFUSALS[reason]
    outcome = _world(context).the_outcome()
    assert outcome.status == "refused", f"expected a refusal, the shop said {outcome.status}"
    assert outcome.error == expected, f"expected {reason}, got {outcome.error}: {outcome.reason}"


@then("the shop has {stock} in stock")
def step_check_stock(context: Any, stock: str) -> None:
    """Check stock levels written as '2 iphone and 3 ipad' (units per product id)."""
    shop = _world(context).shop
    expected = {name: int(qty) for qty, name in ITEM.findall(stock)}
    actual = {product: shop.stock(product) for product in expected}
    assert actual == expected, f"expected stock {expected}, the shop has {actual}"


@then("the shop holds {orders:d} confirmed {order_word:w} and {payments:d} {payment_word:w}")
def step_check_counts(context: Any, orders: int, order_word: str, payments: int, payment_word: str) -> None:
    """Count the confirmed orders and captured payments the shop keeps ('1 confirmed order and 1 payment')."""
    counts = _world(context).shop.counts()
    actual = (counts["orders"], counts["payments"])
    assert actual == (orders, payments), f"expected {orders} orders and {payments} payments, the shop holds {counts}"


@then("the shop order history of {user_id:w} lists {count:d} confirmed orders: {listing}")
def step_check_history(context: Any, user_id: str, count: int, listing: str) -> None:
    """The history lists the orders oldest first, with their items ('1 ipad, then 1 iphone')."""
    history = _world(context).shop.history(user_id)
    evidence.attach_records("order history", history)
    expected = [_items(part) for part in listing.split(", then ")]
    actual = [order["items"] for order in history]
    assert [o["status"] for o in history] == ["confirmed"] * count, f"expected {count} confirmed orders: {history}"
    assert actual == expected, f"expected {expected}, history lists {actual}"


# ---------------------------------------------------------------- stage 2: losing an instance


@when("the shop instance that served {user_id:w} fails")
def step_instance_fails(context: Any, user_id: str) -> None:
    """Stop the instance that answered the customer's last request (on the real target: SIGKILL its process)."""
    state = _world(context)
    shop = state.balanced()
    state.failed_instance = shop.served_by(user_id)
    shop.stop_instance(state.failed_instance)


@then("shop customer {user_id:w} orders {items} with card {card} without logging in again")
def step_order_same_session(context: Any, user_id: str, items: str, card: str) -> None:
    """Order again with the same session cookie."""
    state = _world(context)
    shop = state.balanced()
    sessions_before = dict(shop.sessions)
    state.outcome = shop.place_order(user_id, _items(items), card)
    assert shop.sessions == sessions_before, "the customer had to log in again"
    assert state.outcome.accepted, f"the order failed: {state.outcome}"


@then("another shop instance served {user_id:w}")
def step_other_instance(context: Any, user_id: str) -> None:
    """The request went to a live instance, not the failed one."""
    state = _world(context)
    failed = need(state.failed_instance, "a failed instance", "When the shop instance that served john fails")
    now = state.balanced().served_by(user_id)
    assert now != failed, f"{now} served the request, but it had failed"


# ---------------------------------------------------------------- stage 4: crashes mid-event


@when("shop customer {user_id:w} submits an order for {items} with card {card}")
def step_submit(context: Any, user_id: str, items: str, card: str) -> None:
    """Hand the order to the order service (it answers 'pending' at once)."""
    state = _world(context)
    state.pending = state.services().submit(user_id, _items(items), card)


def _crash_now(context: Any, plan: CrashPlan) -> None:
    """Plan a crash and let the events run into it (in process: the work already waiting)."""
    shop = _world(context).services()
    shop.plan_crash(plan)
    evidence.attach_text("crash", shop.await_crash(plan.service))


@when("the shop's inventory service dies before acknowledging the order.created event")
def step_inventory_crash(context: Any) -> None:
    """Publish the order's event, then let the inventory service apply it and die before the ack."""
    _crash_now(context, CrashPlan("inventory", CRASH_POINTS[0], "order.created"))


@when("the shop's order service dies after publishing but before marking its outbox")
def step_relay_crash(context: Any) -> None:
    """The order service publishes order.created and dies before marking it published."""
    _crash_now(context, CrashPlan("orders", CRASH_POINTS[2], "order.created"))


@given("the shop's {service:ShopServiceName} service will be killed {point:CrashPoint} {topic:EventTopic}")
def step_plan_crash(context: Any, service: str, point: str, topic: str) -> None:
    """Arm a crash: the service dies at that gap of its next event of the topic.

    Points: reading and acknowledging (a consumer that applied the event), committing and publishing
    (a publisher whose outbox holds the event), publishing and marking (published, outbox not marked).
    On the real target the process is stopped there with SIGKILL.
    """
    _world(context).services().plan_crash(CrashPlan(SERVICE_NAMES[service], point, topic))


@when("the shop's {service:ShopServiceName} service is killed there")
def step_killed_there(context: Any, service: str) -> None:
    """Wait until the service reaches the planned gap and kill it (SIGKILL on the real target)."""
    evidence.attach_text("crash", _world(context).services().await_crash(SERVICE_NAMES[service]))


@when("the shop's {service:ShopServiceName} service restarts and the events settle")
def step_restart(context: Any, service: str) -> None:
    """The process comes back (pending messages are redelivered, the outbox is relayed again)."""
    state = _world(context)
    shop = state.services()
    shop.restart(SERVICE_NAMES[service])
    state.outcome = shop.outcome(state.the_pending()["order_id"])


@then("the shop's inventory service received order.created {times:d} times and applied it once")
def step_check_once(context: Any, times: int) -> None:
    """Count deliveries of the event to the inventory service and the reservations it caused."""
    flow = _world(context).services().event_flow("order.created", "inventory")
    evidence.attach_table(
        "event flow",
        ["what", "count"],
        [
            ("order.created deliveries", flow.deliveries),
            ("reservations", flow.reservations),
            ("events recorded", flow.recorded),
        ],
    )
    assert flow.deliveries == times, f"expected {times} deliveries of order.created, the broker made {flow.deliveries}"
    assert flow.reservations == 1, f"expected one reservation, found {flow.reservations}"


# ---------------------------------------------------------------- stage 3: module boundaries


@when("the shop's orders module reads the inventory table directly")
def step_foreign_read(context: Any) -> None:
    """Let the orders module query a table the inventory module owns."""
    state = _world(context)
    service = getattr(state.shop, "service", None)
    assert isinstance(service, ShopService), "this step needs stage 1 or 3 (one process, one database)"
    try:
        state.foreign = service.read_foreign_table("orders", "inventory")
    except BoundaryViolationError as error:
        state.foreign = error


@then("the shop's module boundary check {answer}")
def step_check_boundary(context: Any, answer: str) -> None:
    """Did the read of another module's data go through the module boundary?

    answer: text that starts with "allows it" or "refuses it"; the rest is free (e.g. "refuses it:
    inventory belongs to its module"). Any other start fails the step saying so.
    """
    foreign = _world(context).foreign
    refused = isinstance(foreign, BoundaryViolationError)
    evidence.attach_text("answer", repr(foreign))
    if answer.startswith("refuses"):
        assert refused, f"expected the read to be refused, it returned {foreign!r}"
    else:
        assert answer.startswith("allows"), f"write 'allows it...' or 'refuses it...', not {answer!r}"
        assert not refused, f"expected the read to be allowed, it was refused: {foreign}"


# ---------------------------------------------------------------- stage 5: the autoscaler


@given("the seed's autoscaler: {low:d} to {high:d} replicas, CPU target {cpu:d}%, memory target {memory:d}%")
def step_seed_autoscaler(context: Any, low: int, high: int, cpu: int, memory: int) -> None:
    """The seed's HorizontalPodAutoscaler: replica bounds, CPU and memory targets (percent of requests)."""
    spec = SEED_SPEC
    targets = {m.name: m.average_utilization for m in spec.metrics}
    actual = (spec.min_replicas, spec.max_replicas, targets["cpu"], targets["memory"])
    assert actual == (low, high, cpu, memory), f"the seed's autoscaler is {actual}"
    _world(context).hpa = HorizontalPodAutoscaler(spec)


@given("the autoscaled deployment runs {replicas:d} replicas")
def step_replicas(context: Any, replicas: int) -> None:
    """The current replica count."""
    _world(context).replicas = replicas


def _current(state: ScalingWorld) -> int:
    return need(state.replicas, "the current replica count", "Given the autoscaled deployment runs 4 replicas")


@when("the autoscaler observes CPU at {cpu:Decimal}% and memory at {memory:Decimal}%")
def step_observe(context: Any, cpu: Decimal, memory: Decimal) -> None:
    """One reconciliation with these average utilizations (percent of the pods' requests, decimals allowed)."""
    state = _world(context)
    readings = {"cpu": float(cpu), "memory": float(memory)}
    state.desired = desired_replicas(state.autoscaler().spec, _current(state), readings)


@then("the autoscaler asks for {replicas:d} replicas")
def step_check_desired(context: Any, replicas: int) -> None:
    """The replica count the algorithm computes."""
    desired = need(
        _world(context).desired, "an observation", "When the autoscaler observes CPU at 70% and memory at 50%"
    )
    assert desired == replicas, f"expected {replicas} replicas, the autoscaler asks for {desired}"


def _reconcile(state: ScalingWorld, cpu: int, memory: int) -> int:
    state.replicas = state.autoscaler().reconcile(state.clock_s, _current(state), {"cpu": cpu, "memory": memory})
    return state.replicas


@given(
    "the autoscaled deployment has run {replicas:d} replicas at CPU {cpu:d}% and memory {memory:d}% for {minutes:d} minutes"
)
def step_history(context: Any, replicas: int, cpu: int, memory: int, minutes: int) -> None:
    """Steady load (percent utilizations) for some minutes, observed every 60 seconds."""
    state = _world(context)
    state.replicas, state.clock_s = replicas, 0.0
    for _ in range(minutes):
        _reconcile(state, cpu, memory)
        state.clock_s += 60


@when(
    "the load drops to CPU {cpu:d}% and memory {memory:d}% for {minutes:d} minutes, observed every {period:d} seconds"
)
def step_drop(context: Any, cpu: int, memory: int, minutes: int, period: int) -> None:
    """Lower utilization (percent), observed every period (seconds); record the replica count after each observation."""
    state = _world(context)
    state.drop_at_s = state.clock_s
    timeline = state.timeline = []
    for _ in range(minutes * 60 // period):
        timeline.append((state.clock_s - state.drop_at_s, _reconcile(state, cpu, memory)))
        state.clock_s += period
    evidence.attach_table("replicas after the drop", ["seconds after the drop", "replicas"], timeline)


def _timeline(state: ScalingWorld) -> list[tuple[float, int]]:
    return need(
        state.timeline,
        "a drop in load",
        "When the load drops to CPU 35% and memory 40% for 8 minutes, observed every 60 seconds",
    )


@then("the autoscaler keeps {replicas:d} replicas until {seconds:d} seconds after the drop")
def step_check_kept(context: Any, replicas: int, seconds: int) -> None:
    """No scale-down inside the stabilisation window (seconds after the drop)."""
    state = _world(context)
    timeline = _timeline(state)
    early = [(t, r) for t, r in timeline if t < seconds]
    assert early and all(r == replicas for _, r in early), f"expected {replicas} replicas before {seconds} s: {early}"
    state.after_window = [(t, r) for t, r in timeline if t >= seconds]


@then("the autoscaler scales down to {replicas:d} replicas")
@then("then the autoscaler scales down to {replicas:d} replicas")
def step_check_scaled_down(context: Any, replicas: int) -> None:
    """Right after the window, the lower recommendation applies (the older wording, 'then the autoscaler ...', works too)."""
    after = _world(context).after_window
    first = after[0] if after else None
    assert first is not None and first[1] == replicas, f"expected {replicas} replicas after the window: {after}"


def _day(state: ScalingWorld) -> list[LoadStep]:
    return need(state.day, "a simulated day", "When the autoscaler runs the shop through a simulated day of traffic")


@when("the autoscaler runs the shop through a simulated day of traffic")
def step_day(context: Any) -> None:
    """A day of load per minute through the seed's autoscaler."""
    state = _world(context)
    day = state.day = simulate_day(state.autoscaler().spec, daily_load())
    figure = evidence.new_figure(7.5, 3.6)
    axes = figure.add_subplot()
    hours = [s.time_s / 3600 for s in day]
    axes.plot(hours, [s.load_rps for s in day], color="#999999", label="load (requests/s)")
    axes.set_xlabel("hour of the day")
    axes.set_ylabel("requests per second")
    twin = axes.twinx()
    twin.step(hours, [s.replicas for s in day], color="#c44e52", where="post", label="replicas")
    twin.set_ylabel("replicas")
    twin.set_ylim(0, 21)
    figure.legend(loc="upper left")
    evidence.attach_figure("replicas against load over a simulated day", figure)


@then("the autoscaled deployment never runs fewer than {low:d} or more than {high:d} replicas")
def step_check_bounds(context: Any, low: int, high: int) -> None:
    """Replica counts stay within the bounds."""
    counts = [s.replicas for s in _day(_world(context))]
    assert low <= min(counts) and max(counts) <= high, f"replicas ranged {min(counts)}..{max(counts)}"


@then("the autoscaled deployment uses less than half the replica-hours of running {fixed:d} all day")
def step_check_cost(context: Any, fixed: int) -> None:
    """Replica-hours used against a fixed fleet of this many replicas (sized for the peak)."""
    used = sum(s.replicas for s in _day(_world(context))) / 60
    evidence.attach_text("cost", f"{used:.1f} replica-hours used, against {fixed * 24} for {fixed} replicas all day")
    assert used < fixed * 24 / 2, f"used {used:.1f} replica-hours, not less than half of {fixed * 24}"


@then("CPU stays at or below {limit:d}% in at least {share:d}% of the minutes")
def step_check_cpu(context: Any, limit: int, share: int) -> None:
    """The autoscaler keeps up with the load most of the time (CPU limit and share of minutes, percent)."""
    day = _day(_world(context))
    ok = sum(1 for s in day if s.cpu <= limit) / len(day)
    assert ok * 100 >= share, f"CPU was at or below {limit}% in only {ok:.1%} of the minutes"


# ---------------------------------------------------------------- stage 5: one metric, CPU alone


@given("an autoscaler of {low:d} to {high:d} replicas with a CPU target of {cpu:d}%")
def step_cpu_autoscaler(context: Any, low: int, high: int, cpu: int) -> None:
    """An autoscaler with one metric, CPU, its target in percent of the pods' requests, and replica bounds."""
    _world(context).hpa = HorizontalPodAutoscaler(AutoscalerSpec(low, high, (MetricTarget("cpu", cpu),)))


@when("the autoscaler observes CPU at {cpu:d}%")
def step_observe_cpu(context: Any, cpu: int) -> None:
    """One reconciliation with a CPU reading only (percent); another metric without a reading blocks a scale-down."""
    state = _world(context)
    state.desired = desired_replicas(state.autoscaler().spec, _current(state), {"cpu": cpu})


@when("the autoscaler reconciles with CPU at {cpu:d}%")
def step_reconcile_cpu(context: Any, cpu: int) -> None:
    """One sync of the controller with a CPU reading (percent): the proposal, stabilised, rate-limited and bounded."""
    state = _world(context)
    hpa = state.autoscaler()
    state.desired = state.replicas = hpa.reconcile(state.clock_s, _current(state), {"cpu": cpu})
    state.normalized = hpa.last


# ---------------------------------------------------------------- stage 5: Kubernetes' replica calculation


@given("a deployment of {replicas:d} replicas whose pods are {pods}")
def step_pods(context: Any, replicas: int, pods: str) -> None:
    """The pods the controller sees: per pod a state (ready, unready, warming, pending, failed, deleted, gone)
    and a sample in milli-units ('?' or none: no sample), e.g. 'ready 300, unready 500, ready ?'."""
    state = _world(context)
    state.replicas, state.pods = replicas, pods


@given("each pod requests {requests} millicores of CPU")
def step_requests(context: Any, requests: str) -> None:
    """The CPU request of every pod (one number), of each pod in order (a list), or 'none' (no request)."""
    _world(context).requests = requests


def _calculate(state: ScalingWorld, compute: Any) -> None:
    """Run one calculation over the described pods; keep its result or its refusal, and show the pods."""
    pods, samples = pods_from_text(need(state.pods, "the pods", PODS_GIVEN), state.requests)
    try:
        state.calculation = compute(ReplicaCalculator(), pods, samples)
    except MetricReadingError as error:
        state.refusal = error
        return
    state.desired = state.calculation.replicas
    evidence.attach_table("pods as the controller groups them", *pod_table(pods, samples, state.calculation))


@when("the autoscaler computes replicas for a CPU utilization target of {target:d}%")
def step_compute_cpu(context: Any, target: int) -> None:
    """Kubernetes' GetResourceReplicas for CPU with a Utilization target (percent of the requests)."""
    state = _world(context)
    current = _current(state)
    _calculate(state, lambda calc, pods, samples: calc.resource_replicas(current, target, pods, samples))


@when("the autoscaler computes replicas for the pods' {metric:w} samples against an average value target of {target:d}")
def step_compute_pods_metric(context: Any, metric: str, target: int) -> None:
    """Kubernetes' GetMetricReplicas: a pods metric (milli-units per pod) against an AverageValue target."""
    state = _world(context)
    current = _current(state)
    _calculate(state, lambda calc, pods, samples: calc.pods_metric_replicas(current, target, pods, samples))


@when(
    "the autoscaler computes replicas for an {source:MetricSource} metric of {value:d}"
    " against a {kind:TargetKind} target of {target:d}"
)
def step_compute_object(context: Any, source: str, value: int, kind: str, target: int) -> None:
    """An object or external metric's value (milli-units) against a Value target or an AverageValue (per pod) target."""
    state = _world(context)
    current = _current(state)
    if kind == "value":
        _calculate(state, lambda calc, pods, samples: calc.value_replicas(current, value, target, pods))
    else:
        _calculate(state, lambda calc, pods, samples: calc.average_value_replicas(current, value, target))


def _calculation(state: ScalingWorld) -> Calculation:
    if state.refusal is not None:
        raise AssertionError(f"the autoscaler refused to compute: {state.refusal}")
    return need(
        state.calculation,
        "a replica calculation",
        "When the autoscaler computes replicas for a CPU utilization target of 50%",
    )


@then("the CPU utilization is {utilization:d}%")
def step_check_utilization(context: Any, utilization: int) -> None:
    """The ready pods' CPU utilization the controller reports, in whole percent (rounded down)."""
    current = _calculation(_world(context)).current
    assert current == utilization, f"expected a utilization of {utilization}%, the controller computed {current}%"


@then("the metric's current value is {usage:d}")
def step_check_usage(context: Any, usage: int) -> None:
    """The metric's current value the controller reports (milli-units; per pod for averages)."""
    current = _calculation(_world(context)).current
    assert current == usage, f"expected a current value of {usage}, the controller computed {current}"


@then("the autoscaler refuses to compute: {message}")
def step_check_refusal(context: Any, message: str) -> None:
    """The calculation fails with the autoscaler's own error, its message containing this text."""
    state = _world(context)
    assert state.refusal is not None, f"expected a refusal ({message}), the autoscaler computed {state.calculation}"
    evidence.attach_text("refusal", f"{type(state.refusal).__name__}: {state.refusal}")
    assert message in str(state.refusal), f"expected the refusal to say {message!r}, it says {state.refusal}"


# ---------------------------------------------------------------- stage 5: behaviour (policies and bounds)


@given("an autoscaler of {low:d} to {high:d} replicas that scales up by {up} and down by {down}")
def step_behavior(context: Any, low: int, high: int, up: str, down: str) -> None:
    """Replica bounds and each direction's rules: 'default', or policies such as '4 pods per 15 s, 100 percent
    per 15 s', with 'select Max|Min|Disabled' and 'window <s> s' (stabilisation) where wanted."""
    state = _world(context)
    behavior = Behavior(rules_from_text(up, DEFAULT_SCALE_UP), rules_from_text(down, DEFAULT_SCALE_DOWN))
    state.limits, state.bounds = BehaviorController(behavior), (low, high)


@given("the autoscaler's recent scale events were {events}")
def step_events(context: Any, events: str) -> None:
    """Scale events the policies' periods count: 'none', or '+5 60 s ago, -2 20 s ago' (replicas added or removed)."""
    limits = need(_world(context).limits, "an autoscaler's behaviour", LIMITS_GIVEN)
    limits.scale_ups, limits.scale_downs = events_from_text(events)


@when("the autoscaler normalises a proposal of {proposal:d} replicas while {current:d} run")
def step_normalise(context: Any, proposal: int, current: int) -> None:
    """Stabilise, rate-limit and bound a proposal (replicas) at the current count, now."""
    state = _world(context)
    limits = need(state.limits, "an autoscaler's behaviour", LIMITS_GIVEN)
    state.normalized = limits.normalize(0.0, current, proposal, *state.bounds)


@then("the autoscaler runs {replicas:d} replicas, limited by {reason:LimitReason}")
def step_check_normalized(context: Any, replicas: int, reason: str) -> None:
    """The count after the behaviour and bounds, and the reason Kubernetes reports (ScalingLimited)."""
    result = need(
        _world(context).normalized,
        "a normalised proposal",
        "When the autoscaler normalises a proposal of 50 replicas while 10 run",
    )
    evidence.attach_text("normalised", f"{result.replicas} replicas ({result.reason})")
    assert (result.replicas, result.reason) == (replicas, reason), (
        f"expected {replicas} replicas ({reason}), the autoscaler runs {result.replicas} ({result.reason})"
    )


# ---------------------------------------------------------------- stage 5 on real processes

ELASTIC_GIVEN = (
    "Given the shop's order service is autoscaled from 1 to 4 replicas at a CPU target of 60% of 80 millicores"
)


@given(
    "the shop's order service is autoscaled from {low:d} to {high:d} replicas"
    " at a CPU target of {cpu:d}% of {request:d} millicores"
)
def step_elastic(context: Any, low: int, high: int, cpu: int, request: int) -> None:
    """Put stage 4's order service behind the balancer as replicas the autoscaler starts and stops.

    Bounds in replicas; the CPU target in percent of each replica's CPU request (millicores). The
    controller syncs every 2 s with one replica more or less per sync and a 6 s scale-down window
    (Kubernetes' behaviour on a compressed clock). Real target only: the replicas are processes.
    """
    state = _world(context)
    shop = state.services()
    assert isinstance(shop, RealMicroservicesStage), "this step needs real processes: run with -D target=real"
    state.elastic = ElasticOrderService(shop, request / 1000)
    context.add_cleanup(state.elastic.close)
    spec = AutoscalerSpec(low, high, (MetricTarget("cpu", cpu),), behavior=COMPRESSED_BEHAVIOR)
    state.hpa = HorizontalPodAutoscaler(spec)


@when("orders arrive for {seconds:d} seconds at a rate rising from {low:d} to {high:d} per second and falling back")
def step_elastic_load(context: Any, seconds: int, low: int, high: int) -> None:
    """Offer orders (one item each) at a rate rising over the first third, falling over the second, low after."""
    state = _world(context)
    elastic = need(state.elastic, "an autoscaled order service", ELASTIC_GIVEN)
    shop, product = elastic.stage, need(state.catalog or None, "a catalog", CATALOG_GIVEN)[0]["product"]
    shop.seed([], {}, [("load", "Load", "load@example.com")])

    def place() -> str:
        return str(shop.submit("load", {product: 1}, "4242 4242 4242 4242")["order_id"])

    run = state.elastic_run = elastic.run(
        state.autoscaler(), triangle(low, high, seconds / 3, seconds / 3), place, seconds
    )
    figure = evidence.new_figure(7.5, 5.2)
    draw_run(figure, run.ticks, elastic.cpu_request_cores)
    evidence.attach_figure("replicas, CPU per replica and load over time", figure)
    evidence.attach_table(
        "autoscaler syncs",
        ["s", "offered/s", "accepted/s", "replicas", "CPU per replica (% of a core)", "utilization %", "asks for"],
        [
            (
                t.time_s,
                f"{t.offered_rps:.1f}",
                f"{t.accepted_rps:.1f}",
                t.replicas,
                ", ".join(f"{c:.1f}" for c in t.cpu_percent),
                t.utilization,
                t.desired,
            )
            for t in run.ticks
        ],
    )


def _elastic_run(state: ScalingWorld) -> RunResult:
    return need(
        state.elastic_run,
        "a run under load",
        "When orders arrive for 60 seconds at a rate rising from 1 to 30 per second and falling back",
    )


@then("the autoscaler started order-service replicas as the load rose and stopped some as it fell")
def step_check_elastic_scaling(context: Any) -> None:
    """Replicas were added while the load rose, and removed after its peak."""
    run = _elastic_run(_world(context))
    counts = [t.replicas for t in run.ticks]
    peak = counts.index(max(counts))
    assert run.started > 0 and max(counts) > counts[0], f"no replica was started: {counts}"
    assert run.stopped > 0 and min(counts[peak:]) < max(counts), f"no replica was stopped after the peak: {counts}"


@then("every order the shop accepted was settled exactly once, and none was lost")
def step_check_elastic_orders(context: Any) -> None:
    """Each accepted order reached a final status; stored orders, confirmed orders, payments and stock agree."""
    state = _world(context)
    run = _elastic_run(state)
    shop = need(state.elastic, "an autoscaled order service", ELASTIC_GIVEN).stage
    outcomes = [shop.outcome(order_id) for order_id in run.accepted]
    confirmed = sum(o.accepted for o in outcomes)
    stored = int(shop.call("orders", "GET", "/counts")["orders"])
    counts = shop.counts()
    row = state.catalog[0]
    stock = shop.stock(row["product"])
    evidence.attach_table(
        "orders under autoscaling",
        ["what", "count"],
        [
            ("offered", len(run.accepted) + len(run.turned_away)),
            ("accepted by the order service", len(run.accepted)),
            ("turned away (the client saw an error)", len(run.turned_away)),
            ("stored by the order service", stored),
            ("confirmed", counts["orders"]),
            ("payments", counts["payments"]),
            ("units sold (stock before - after)", int(row["stock"]) - stock),
        ],
    )
    assert all(o.status in ("confirmed", "refused") for o in outcomes), "an accepted order never settled"
    assert stored == len(run.accepted), f"{stored} orders stored, {len(run.accepted)} accepted: lost or doubled"
    assert counts == {"orders": confirmed, "payments": confirmed}, f"confirmed {confirmed}, the shop holds {counts}"
    assert int(row["stock"]) - stock == confirmed, f"{int(row['stock']) - stock} units sold for {confirmed} orders"
