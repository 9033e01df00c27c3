"""The shop at every embedded stage: refusals leave nothing behind, the last unit is never sold twice."""

import threading

import pytest

from livingspec.scaling import (
    BoundaryViolationError,
    InvalidOrderError,
    Product,
    ShopService,
    SQLiteDatabase,
    luhn_valid,
    make_stage,
)

CARD = "4242 4242 4242 4242"


@pytest.fixture(params=[1, 2, 3, 4], ids=lambda n: f"stage{n}")
def stage(request):
    shop = make_stage(request.param)
    shop.seed(
        [Product("iphone", "iPhone", 99900)], {"iphone": 1}, [(f"u{i}", f"U{i}", f"u{i}@x.test") for i in range(8)]
    )
    yield shop
    shop.close()


def test_concurrent_orders_for_the_last_unit_sell_it_once(stage):
    outcomes = []
    barrier = threading.Barrier(8, timeout=30)

    def buy(user):
        barrier.wait()
        outcomes.append(stage.place_order(user, {"iphone": 1}, CARD))

    threads = [threading.Thread(target=buy, args=(f"u{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 8
    assert sum(o.accepted for o in outcomes) == 1, outcomes
    assert stage.stock("iphone") == 0
    assert stage.counts() == {"orders": 1, "payments": 1}


def test_an_unknown_product_is_refused(stage):
    outcome = stage.place_order("u1", {"ipod": 1}, CARD)
    assert outcome.status == "refused" and "ipod" in outcome.reason


def test_an_unknown_user_is_refused_and_keeps_the_stock(stage):
    outcome = stage.place_order("nobody", {"iphone": 1}, CARD)
    assert not outcome.accepted
    assert stage.stock("iphone") == 1


@pytest.mark.parametrize("items", [{}, {"iphone": 0}, {"iphone": -1}, {"iphone": 1.5}, {"iphone": True}])
def test_malformed_orders_are_refused(items):
    shop = make_stage(1)
    outcome = shop.place_order("u1", items, CARD)
    assert outcome.error == InvalidOrderError.__name__
    shop.close()


def test_modules_own_their_tables_in_the_modular_monolith(tmp_path):
    modular = ShopService(SQLiteDatabase(str(tmp_path / "m.db")), modular=True)
    with pytest.raises(BoundaryViolationError, match="inventory"):
        modular.read_foreign_table("orders", "inventory")
    plain = ShopService(SQLiteDatabase(str(tmp_path / "p.db")))
    assert plain.read_foreign_table("orders", "inventory") == 0


@pytest.mark.parametrize(
    ("card", "valid"),
    [("4242 4242 4242 4242", True), ("4000000000000002", True), ("4242424242424241", False), ("12ab", False)],
)
def test_luhn(card, valid):
    assert luhn_valid(card.replace(" ", "")) is valid
