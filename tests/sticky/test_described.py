"""Described strategies and shops: the named ones are presets, and every bad setting is refused by name."""

from __future__ import annotations

import pytest

from livingspec.sticky import (
    STRATEGIES,
    ConsistentHashRing,
    InvalidDescriptionError,
    InvalidStrategyError,
    Maglev,
    Pool,
    SessionTable,
    ShopSpec,
    StrategySpec,
    describe_shop,
    describe_strategy,
    load,
    make_shop,
    make_strategy,
    sessions,
)


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_a_named_strategy_is_its_preset_description(name):
    keys = sessions(300)
    described = make_strategy(describe_strategy({"kind": name}))
    assert type(described) is type(make_strategy(name))
    assert load(described, Pool("ABC"), keys) == load(make_strategy(name), Pool("ABC"), keys)


def test_settings_change_only_what_they_name():
    ring = make_strategy(describe_strategy({"kind": "consistent hash ring", "virtual nodes": "4"}))
    assert isinstance(ring, ConsistentHashRing) and ring.replicas == 4
    table = make_strategy(describe_strategy({"kind": "session table", "capacity": "2", "idle timeout": "never"}))
    assert isinstance(table, SessionTable) and (table.capacity, table.ttl) == (2, None)
    maglev = make_strategy(describe_strategy({"kind": "Maglev", "table size": "13"}))
    assert isinstance(maglev, Maglev) and maglev.table_size == 13


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"kind": "random"}, "unknown kind 'random'; known: round robin"),
        ({"virtual nodes": "4"}, "needs its kind"),
        ({"kind": "Maglev", "table size": "100"}, "table size '100': expected a prime 7..65537"),
        ({"kind": "consistent hash ring", "virtual nodes": "many"}, "virtual nodes 'many'"),
        ({"kind": "session table", "idle timeout": "-1"}, "idle timeout '-1'"),
        ({"kind": "Maglev", "colour": "red"}, "unknown setting 'colour'; known: kind, virtual nodes"),
    ],
)
def test_a_bad_strategy_setting_is_refused_with_what_is_accepted(settings, message):
    with pytest.raises(InvalidDescriptionError, match=message):
        describe_strategy(settings)


def test_a_described_shop_keeps_defaults_for_what_it_does_not_say():
    spec = describe_shop({"servers": "A, B", "weights": "1, 3", "strategy": "Maglev", "table size": "101"})
    assert spec.servers == {"A": 1, "B": 3}
    assert spec.strategy == StrategySpec("Maglev", table_size=101)
    assert (spec.balancer, spec.store, spec.cookie.name, spec.cookie.same_site) == ("ours", "memory", "SRV", "Lax")
    assert spec.cookie.secret is not None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"weights": "1"}, "needs its servers"),
        ({"servers": "A, B", "weights": "1"}, "one per server"),
        ({"servers": "A", "weights": "300"}, "weights '300'"),
        ({"servers": "A", "balancer": "nginx"}, "unknown balancer 'nginx'; known: our balancer, HAProxy"),
        ({"servers": "A", "store": "disk"}, "unknown store 'disk'"),
        ({"servers": "A", "same site": "Loose"}, "unknown same site 'Loose'"),
        ({"servers": "A", "cookie name": "a b"}, "not an RFC 6265 token"),
        ({"servers": "A", "port": "80"}, "unknown setting 'port'"),
    ],
)
def test_a_bad_shop_setting_is_refused_with_what_is_accepted(settings, message):
    with pytest.raises(InvalidDescriptionError, match=message):
        describe_shop(settings)


def test_haproxy_fronts_a_shop_with_cookie_insertion_only():
    with pytest.raises(InvalidStrategyError, match="cookie insertion only"):
        ShopSpec.of(["A"], balancer="haproxy", strategy="Maglev")


def test_a_failed_server_recovers_empty_and_takes_new_sessions_again():
    with make_shop("embedded", ["A", "B"]) as shop:
        first = shop.shopper("abc123")
        assert first.add("iPhone").server == "A"
        shop.fail("A")
        moved = first.view_cart()
        assert (moved.server, moved.items) == ("B", [])
        shop.recover("A")
        assert shop.check_health() == {"A": True, "B": True}
        assert first.view_cart().server == "B"  # the moved shopper stays where its cart now is
        assert {shop.shopper(f"n{i}", client_ip=f"10.0.9.{i + 1}").view_cart().server for i in range(4)} == {"A", "B"}
        assert "abc123" not in shop.memory_of("A")  # the restarted server forgot the cart it held
