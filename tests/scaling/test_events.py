"""Stage 4 under crashes: every event is delivered at least once and applied exactly once."""

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livingspec.scaling import (
    BEFORE_ACK,
    BEFORE_PUBLISH,
    CrashPlan,
    CrashPlanError,
    EmbeddedMicroservicesStage,
    Product,
    ScalingError,
    SimulatedCrashError,
)
from livingspec.scaling.microservices import raise_for

CARDS = ["4242 4242 4242 4242", "4000 0000 0000 0002"]


@settings(max_examples=25, deadline=None)
@given(
    orders=st.lists(st.tuples(st.integers(1, 3), st.sampled_from(CARDS)), min_size=1, max_size=5),
    crashes=st.lists(st.tuples(st.sampled_from(["orders", "inventory", "payments"]), st.booleans()), max_size=8),
)
def test_crashes_lose_nothing_and_apply_nothing_twice(orders, crashes):
    stage = EmbeddedMicroservicesStage()
    try:
        stage.seed([Product("iphone", "iPhone", 1000)], {"iphone": 5}, [("john", "John", "john@x.test")])
        ids = [stage.submit("john", {"iphone": qty}, card)["order_id"] for qty, card in orders]
        for service, in_relay in crashes:  # each crash: a process dies at one point of its work
            node = stage.node(service)
            try:
                if in_relay:
                    node.relay(stage.broker, crash_after_publish=True)
                else:
                    node.consume(stage.broker, crash_before_ack=True)
            except SimulatedCrashError:
                pass
        stage.settle()
        outcomes = [stage.outcome(order_id) for order_id in ids]
        sold = sum(qty for (qty, _), outcome in zip(orders, outcomes, strict=True) if outcome.accepted)
        assert stage.stock("iphone") == 5 - sold
        assert stage.counts() == {
            "orders": sum(o.accepted for o in outcomes),
            "payments": sum(o.accepted for o in outcomes),
        }
        assert all(o.status in ("confirmed", "refused") for o in outcomes)
        with stage.node("inventory").db.transaction() as tx:
            reservations = tx.execute("SELECT COUNT(*) FROM inventory_reservations").fetchone()[0]
        assert reservations == sum(o.accepted for o in outcomes)  # declined payments released theirs
    finally:
        stage.close()


def test_a_service_error_in_plain_text_is_a_scaling_error():
    # Before: a 500 answered as "Internal Server Error" raised json's JSONDecodeError from raise_for.
    reply = httpx.Response(500, text="Internal Server Error")
    with pytest.raises(ScalingError, match="500: Internal Server Error"):
        raise_for(reply)


def test_a_crash_cannot_be_planned_where_it_cannot_happen():
    with pytest.raises(CrashPlanError, match="never consumes"):
        CrashPlan("catalog", BEFORE_ACK)
    with pytest.raises(CrashPlanError, match=r"it publishes: order\.created, order\.email"):
        CrashPlan("orders", BEFORE_PUBLISH, "payment.completed")
    with pytest.raises(CrashPlanError, match="unknown crash point"):
        CrashPlan("orders", "between lunch and dinner")
