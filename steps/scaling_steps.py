"""Steps of the progressive-scaling features: one shop deployed at each stage, and the autoscaler.

Phrases: the shop is deployed as stage <n> [with the catalog]; the shop sells: (table); the shop
customer <id> is registered as <Name> <<email>>; shop customer <id> orders <items> with card <card>;
the shop confirms / refuses ...; the shop has <stock>; the shop holds <n> confirmed orders and
<n> payments; the shop order history of <id> lists ...; stage 2 instance loss; stage 4 crashes;
module boundaries; the seed's autoscaler; the autoscaler observes / asks for / runs a day.
"""

import re
from decimal import Decimal

from behave import given, then, when

from livingspec.runner import evidence
from livingspec.runner.targets import TargetUnavailableError, skip_scenario, target_of
from livingspec.scaling import (
    SEED_SPEC,
    BoundaryViolationError,
    HorizontalPodAutoscaler,
    Product,
    SimulatedCrashError,
    daily_load,
    desired_replicas,
    make_stage,
    simulate_day,
)

ITEM = re.compile(r"(\d+) ([a-z0-9-]+)")


def _cents(amount: str) -> int:
    return int(Decimal(amount.replace("$", "").replace(",", "")) * 100)


def _items(text: str) -> dict[str, int]:
    found = {name: int(qty) for qty, name in ITEM.findall(text)}
    assert found, f"no items in {text!r}: write them as '1 iphone, 2 ipad'"
    return found


def _deploy(context, stage):
    real = target_of(context) == "real" and stage in (2, 4)
    try:
        context.shop_stage = make_stage(stage, real=real)
    except TargetUnavailableError as error:
        skip_scenario(context, str(error))
        return False
    context.add_cleanup(context.shop_stage.close)
    evidence.attach_text("deployment", f"stage {stage}: {context.shop_stage.name} ({context.shop_stage.detail})")
    return True


def _seed_catalog(context):
    rows = context.shop_catalog
    context.shop_stage.seed(
        [Product(r["product"], r["name"], _cents(r["price"])) for r in rows],
        {r["product"]: int(r["stock"]) for r in rows},
        [],
    )


# ---------------------------------------------------------------- the shop at a stage


@given("the shop is deployed as stage {stage:d}")
def step_deploy(context, stage):
    """Start an empty shop at one of the seed's stages (1 to 4)."""
    _deploy(context, stage)


@given("the shop is deployed as stage {stage:d} with the catalog")
def step_deploy_with_catalog(context, stage):
    """Start a shop at a stage and load the catalog given before."""
    if _deploy(context, stage):
        _seed_catalog(context)


@given("the shop sells:")
def step_catalog(context):
    """The catalog: product id, name, price and stock (loaded now if the shop is deployed)."""
    context.shop_catalog = [dict(zip(context.table.headings, row.cells, strict=True)) for row in context.table]
    if getattr(context, "shop_stage", None) is not None:
        _seed_catalog(context)


@given("the shop customer {user_id:w} is registered as {name:w} <{email}>")
def step_register(context, user_id, name, email):
    """Register a customer."""
    context.shop_stage.seed([], {}, [(user_id, name, email)])


@when("the shop catalog is listed")
def step_list(context):
    """Ask the shop for its products."""
    context.shop_products = context.shop_stage.products()
    evidence.attach_table(
        "catalog",
        ["product", "name", "price"],
        [(p.id, p.name, f"${p.price_cents / 100:.2f}") for p in context.shop_products],
    )


@when("shop customer {user_id:w} orders {items} with card {card}")
@given("shop customer {user_id:w} has ordered {items} with card {card}")
def step_order(context, user_id, items, card):
    """Place an order and keep the shop's answer."""
    context.shop_outcome = context.shop_stage.place_order(user_id, _items(items), card)
    evidence.attach_json("order outcome", context.shop_outcome.__dict__)


@then("the shop catalog shows {listing}")
def step_check_listing(context, listing):
    """Compare the catalog with 'Name at $price and Name at $price'."""
    expected = [(name, _cents(price)) for name, price in re.findall(r"(\w+) at (\$[\d.,]+)", listing)]
    actual = [(p.name, p.price_cents) for p in context.shop_products]
    assert actual == expected, f"expected {expected}, the shop lists {actual}"


@then("the shop confirms the order with a total of {total}")
def step_check_confirmed(context, total):
    """The order was accepted with this total."""
    outcome = context.shop_outcome
    assert outcome.accepted, f"expected a confirmed order, the shop said {outcome.status}: {outcome.reason}"
    assert outcome.total_cents == _cents(total), f"expected a total of {total}, got {outcome.total_cents / 100:.2f}"


REFUSALS = {
    "for insufficient inventory": "InsufficientInventoryError",
    "because the payment was declined": "PaymentDeclinedError",
}


@then("the shop refuses the order {reason}")
def step_check_refused(context, reason):
    """The order was refused, for insufficient inventory or because the payment was declined."""
    expected = REFUSALS.get(reason)
    assert expected, f"say why the order is refused: {' / '.join(REFUSALS)}"
    outcome = context.shop_outcome
    assert outcome.status == "refused", f"expected a refusal, the shop said {outcome.status}"
    assert outcome.error == expected, f"expected {reason}, got {outcome.error}: {outcome.reason}"


@then("the shop has {stock} in stock")
def step_check_stock(context, stock):
    """Check stock levels written as '2 iphone and 3 ipad'."""
    expected = {name: int(qty) for qty, name in ITEM.findall(stock)}
    actual = {product: context.shop_stage.stock(product) for product in expected}
    assert actual == expected, f"expected stock {expected}, the shop has {actual}"


@then("the shop holds {orders:d} confirmed {order_word:w} and {payments:d} {payment_word:w}")
def step_check_counts(context, orders, order_word, payments, payment_word):
    """Count the confirmed orders and captured payments the shop keeps."""
    counts = context.shop_stage.counts()
    actual = (counts["orders"], counts["payments"])
    assert actual == (orders, payments), f"expected {orders} orders and {payments} payments, the shop holds {counts}"


@then("the shop order history of {user_id:w} lists {count:d} confirmed orders: {listing}")
def step_check_history(context, user_id, count, listing):
    """The history lists the orders oldest first, with their items."""
    history = context.shop_stage.history(user_id)
    evidence.attach_records("order history", history)
    expected = [_items(part) for part in listing.split(", then ")]
    actual = [order["items"] for order in history]
    assert [o["status"] for o in history] == ["confirmed"] * count, f"expected {count} confirmed orders: {history}"
    assert actual == expected, f"expected {expected}, history lists {actual}"


# ---------------------------------------------------------------- stage 2: losing an instance


@when("the shop instance that served {user_id:w} fails")
def step_instance_fails(context, user_id):
    """Stop the instance that answered the customer's last request."""
    context.shop_failed_instance = context.shop_stage.served_by(user_id)
    context.shop_stage.stop_instance(context.shop_failed_instance)


@then("shop customer {user_id:w} orders {items} with card {card} without logging in again")
def step_order_same_session(context, user_id, items, card):
    """Order again with the same session cookie."""
    sessions_before = dict(context.shop_stage.sessions)
    context.shop_outcome = context.shop_stage.place_order(user_id, _items(items), card)
    assert context.shop_stage.sessions == sessions_before, "the customer had to log in again"
    assert context.shop_outcome.accepted, f"the order failed: {context.shop_outcome}"


@then("another shop instance served {user_id:w}")
def step_other_instance(context, user_id):
    """The request went to a live instance, not the failed one."""
    now = context.shop_stage.served_by(user_id)
    assert now != context.shop_failed_instance, f"{now} served the request, but it had failed"


# ---------------------------------------------------------------- stage 4: crashes mid-event


@when("shop customer {user_id:w} submits an order for {items} with card {card}")
def step_submit(context, user_id, items, card):
    """Hand the order to the order service (it answers 'pending' at once)."""
    context.shop_pending = context.shop_stage.submit(user_id, _items(items), card)


@when("the shop's inventory service dies before acknowledging the order.created event")
def step_inventory_crash(context):
    """Publish the order's event, then let the inventory service apply it and die before the ack."""
    stage = context.shop_stage
    stage.node("orders").relay(stage.broker)
    try:
        stage.node("inventory").consume(stage.broker, crash_before_ack=True)
    except SimulatedCrashError as crash:
        evidence.attach_text("crash", str(crash))
    else:
        raise AssertionError("the inventory service had no event to crash on")


@when("the shop's order service dies after publishing but before marking its outbox")
def step_relay_crash(context):
    """The order service publishes order.created and dies before marking it published."""
    stage = context.shop_stage
    try:
        stage.node("orders").relay(stage.broker, crash_after_publish=True)
    except SimulatedCrashError as crash:
        evidence.attach_text("crash", str(crash))
    else:
        raise AssertionError("the order service had no event to publish")


@when("the shop's {service:w} service restarts and the events settle")
def step_restart(context, service):
    """The process comes back (pending messages are redelivered, the outbox is relayed again)."""
    context.shop_outcome = context.shop_stage.outcome(context.shop_pending["order_id"])


@then("the shop's inventory service received order.created {times:d} times and applied it once")
def step_check_once(context, times):
    """Count deliveries of the event and the reservations it caused."""
    stage = context.shop_stage
    with stage.node("inventory").db.transaction() as tx:
        applied = tx.execute("SELECT COUNT(*) FROM inventory_reservations").fetchone()[0]
        seen = tx.execute("SELECT COUNT(*) FROM processed_events WHERE consumer = 'inventory'").fetchone()[0]
    deliveries = stage.broker.deliveries("order.created", "inventory")
    evidence.attach_table(
        "event flow",
        ["what", "count"],
        [("order.created deliveries", deliveries), ("reservations", applied), ("events recorded", seen)],
    )
    assert deliveries == times, f"expected {times} deliveries of order.created, the broker made {deliveries}"
    assert applied == 1, f"expected one reservation, found {applied}"


# ---------------------------------------------------------------- stage 3: module boundaries


@when("the shop's orders module reads the inventory table directly")
def step_foreign_read(context):
    """Let the orders module query a table the inventory module owns."""
    try:
        context.shop_foreign = context.shop_stage.service.read_foreign_table("orders", "inventory")
    except BoundaryViolationError as error:
        context.shop_foreign = error


@then("the shop's module boundary check {answer}")
def step_check_boundary(context, answer):
    """'allows it...' or 'refuses it...': did the read go through?"""
    refused = isinstance(context.shop_foreign, BoundaryViolationError)
    evidence.attach_text("answer", repr(context.shop_foreign))
    if answer.startswith("refuses"):
        assert refused, f"expected the read to be refused, it returned {context.shop_foreign!r}"
    else:
        assert answer.startswith("allows"), f"write 'allows it...' or 'refuses it...', not {answer!r}"
        assert not refused, f"expected the read to be allowed, it was refused: {context.shop_foreign}"


# ---------------------------------------------------------------- stage 5: the autoscaler


@given("the seed's autoscaler: {low:d} to {high:d} replicas, CPU target {cpu:d}%, memory target {memory:d}%")
def step_seed_autoscaler(context, low, high, cpu, memory):
    """The seed's HorizontalPodAutoscaler configuration."""
    spec = SEED_SPEC
    targets = {m.name: m.average_utilization for m in spec.metrics}
    actual = (spec.min_replicas, spec.max_replicas, targets["cpu"], targets["memory"])
    assert actual == (low, high, cpu, memory), f"the seed's autoscaler is {actual}"
    context.hpa = HorizontalPodAutoscaler(spec)


@given("the autoscaled deployment runs {replicas:d} replicas")
def step_replicas(context, replicas):
    """The current replica count."""
    context.hpa_replicas = replicas


@when("the autoscaler observes CPU at {cpu:d}% and memory at {memory:d}%")
def step_observe(context, cpu, memory):
    """One reconciliation with these average utilizations."""
    context.hpa_desired = desired_replicas(context.hpa.spec, context.hpa_replicas, {"cpu": cpu, "memory": memory})


@then("the autoscaler asks for {replicas:d} replicas")
def step_check_desired(context, replicas):
    """The replica count the algorithm computes."""
    assert context.hpa_desired == replicas, (
        f"expected {replicas} replicas, the autoscaler asks for {context.hpa_desired}"
    )


@given(
    "the autoscaled deployment has run {replicas:d} replicas at CPU {cpu:d}% and memory {memory:d}% for {minutes:d} minutes"
)
def step_history(context, replicas, cpu, memory, minutes):
    """Steady load, observed every 60 seconds."""
    context.hpa_replicas = replicas
    context.hpa_clock = 0
    for _ in range(minutes):
        context.hpa_replicas = context.hpa.reconcile(
            context.hpa_clock, context.hpa_replicas, {"cpu": cpu, "memory": memory}
        )
        context.hpa_clock += 60


@when(
    "the load drops to CPU {cpu:d}% and memory {memory:d}% for {minutes:d} minutes, observed every {period:d} seconds"
)
def step_drop(context, cpu, memory, minutes, period):
    """Lower utilization, observed every period; record the replica count after each observation."""
    context.hpa_drop_at = context.hpa_clock
    context.hpa_timeline = []
    for _ in range(minutes * 60 // period):
        context.hpa_replicas = context.hpa.reconcile(
            context.hpa_clock, context.hpa_replicas, {"cpu": cpu, "memory": memory}
        )
        context.hpa_timeline.append((context.hpa_clock - context.hpa_drop_at, context.hpa_replicas))
        context.hpa_clock += period
    evidence.attach_table("replicas after the drop", ["seconds after the drop", "replicas"], context.hpa_timeline)


@then("the autoscaler keeps {replicas:d} replicas until {seconds:d} seconds after the drop")
def step_check_kept(context, replicas, seconds):
    """No scale-down inside the stabilisation window."""
    early = [(t, r) for t, r in context.hpa_timeline if t < seconds]
    assert early and all(r == replicas for _, r in early), f"expected {replicas} replicas before {seconds} s: {early}"
    context.hpa_after = [(t, r) for t, r in context.hpa_timeline if t >= seconds]


@then("then the autoscaler scales down to {replicas:d} replicas")
def step_check_scaled_down(context, replicas):
    """Right after the window, the lower recommendation applies."""
    first = context.hpa_after[0] if context.hpa_after else None
    assert first is not None and first[1] == replicas, (
        f"expected {replicas} replicas after the window: {context.hpa_after}"
    )


@when("the autoscaler runs the shop through a simulated day of traffic")
def step_day(context):
    """A day of load per minute through the seed's autoscaler."""
    context.hpa_day = simulate_day(context.hpa.spec, daily_load())
    figure = evidence.new_figure(7.5, 3.6)
    axes = figure.add_subplot()
    hours = [s.time_s / 3600 for s in context.hpa_day]
    axes.plot(hours, [s.load_rps for s in context.hpa_day], color="#999999", label="load (requests/s)")
    axes.set_xlabel("hour of the day")
    axes.set_ylabel("requests per second")
    twin = axes.twinx()
    twin.step(hours, [s.replicas for s in context.hpa_day], color="#c44e52", where="post", label="replicas")
    twin.set_ylabel("replicas")
    twin.set_ylim(0, 21)
    figure.legend(loc="upper left")
    evidence.attach_figure("replicas against load over a simulated day", figure)


@then("the autoscaled deployment never runs fewer than {low:d} or more than {high:d} replicas")
def step_check_bounds(context, low, high):
    """Replica counts stay within the bounds."""
    counts = [s.replicas for s in context.hpa_day]
    assert low <= min(counts) and max(counts) <= high, f"replicas ranged {min(counts)}..{max(counts)}"


@then("the autoscaled deployment uses less than half the replica-hours of running {fixed:d} all day")
def step_check_cost(context, fixed):
    """Replica-hours used against a fixed fleet sized for the peak."""
    used = sum(s.replicas for s in context.hpa_day) / 60
    evidence.attach_text("cost", f"{used:.1f} replica-hours used, against {fixed * 24} for {fixed} replicas all day")
    assert used < fixed * 24 / 2, f"used {used:.1f} replica-hours, not less than half of {fixed * 24}"


@then("CPU stays at or below {limit:d}% in at least {share:d}% of the minutes")
def step_check_cpu(context, limit, share):
    """The autoscaler keeps up with the load most of the time."""
    ok = sum(1 for s in context.hpa_day if s.cpu <= limit) / len(context.hpa_day)
    assert ok * 100 >= share, f"CPU was at or below {limit}% in only {ok:.1%} of the minutes"
