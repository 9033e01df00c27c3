"""Steps of the sticky-sessions concept: a shop of app servers behind a balancer, and the strategies alone.

Phrases (shop, over HTTP on the selected target): a shop of servers <names> behind <our balancer|HAProxy>
[with carts in <server memory|a shared store>] [using <strategy>], or a shop described as: <table>;
shopper <name> makes a first request / adds <item> to the cart / views the cart / checks out / has put
<items> in the cart / sends the affinity cookie "<value>"; the shop's server <name> fails / recovers /
is drained / is retired; the balancer's health check runs; the shop receives <n> new shoppers; checks on
pins, carts, orders, cookie flags, health, where new shoppers land, re-pins and redispatches.

Phrases (strategies, pure core): a balancer over servers <names> [weighted <weights>] using <strategy>,
or using a strategy described as: <table>; the balancer routes <n> sessions of <k> requests each / starts
<n> sessions; the balancer's pool gains server <name>; checks on stickiness, weighted shares, sessions
moved, stable hashes. Tables of settings: see livingspec.sticky.described.

The target (``-D target=real``, ``pytest --target=real``) picks the shop through
``livingspec.sticky.make_shop``: in process, or uvicorn app servers on loopback behind our balancer or HAProxy.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import parse
from behave import given, then, when

from livingspec.runner import evidence, types
from livingspec.runner.targets import TargetUnavailableError, skip_scenario, skip_unavailable, target_of
from livingspec.runner.types import MULTIWORD, choice
from livingspec.runner.world import need, world
from livingspec.sticky import (
    STRATEGIES,
    Movement,
    NotOnThisTargetError,
    Pool,
    Reply,
    RequestKey,
    Shop,
    Shopper,
    ShopSpec,
    Strategy,
    describe_shop,
    describe_strategy,
    imbalance,
    load,
    load_histogram_svg,
    make_strategy,
    open_shop,
    route_in,
    scale_out,
    sessions,
    stable_hash,
)
from livingspec.sticky.analysis import follow_sessions, share_deviations
from livingspec.sticky.described import BALANCERS, STORES

SHOP_GIVEN = "Given a shop of servers A, B, C behind our balancer"
POOL_GIVEN = "Given a balancer over servers A, B, C using cookie insert"
#: Words that end a balancer's name in a longer phrase ("... behind our balancer with carts in ...").
_BALANCER_WORDS = r"(?!with\b|using\b)[\w.+-]+(?: (?!with\b|using\b)[\w.+-]+)*"


@parse.with_pattern(r"empty|[^,\s][^,]*(?:,\s*[^,\s][^,]*)*")
def parse_cart(text: str) -> list[str]:
    """a cart: ``empty`` or item names separated by commas (iPhone, iPad)"""
    return [] if text == "empty" else [part.strip() for part in text.split(",")]


@parse.with_pattern(r"[A-Za-z0-9_-]+")
def parse_name(text: str) -> str:
    """a shopper's session id or a server's name: letters, digits, '-' or '_' (abc123, A)"""
    return text


@parse.with_pattern(r"[A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*")
def parse_servers(text: str) -> list[str]:
    """server names separated by commas (A, B, C)"""
    return [part.strip() for part in text.split(",")]


types.register(
    StickyStrategy=choice("strategy", list(STRATEGIES), pattern=MULTIWORD),
    StickyBalancer=choice("balancer", list(BALANCERS), pattern=_BALANCER_WORDS),
    StickyStore=choice("store", list(STORES), pattern=MULTIWORD),
    StickyCart=parse_cart,
    StickyName=parse_name,
    StickyServers=parse_servers,
)


@dataclass
class StickyWorld:
    """One scenario's state: the shop and its shoppers, or a pool and a strategy routing without HTTP."""

    shop: Shop | None = None
    health: dict[str, bool] | None = None
    new_shoppers: list[Shopper] = field(default_factory=list)
    pool: Pool | None = None
    strategy: Strategy | None = None
    weights: dict[str, int] = field(default_factory=dict)
    visited: dict[str, list[str]] | None = None  # session -> server of each of its requests
    load: Counter[str] | None = None
    loads: dict[str, Counter[str]] | None = None
    movement: Movement | None = None

    @property
    def the_shop(self) -> Shop:
        return need(self.shop, "a shop", SHOP_GIVEN)

    def shopper(self, name: str) -> Shopper:
        """The scenario's shopper ``name`` (session id ``name``), created on first mention."""
        return self.the_shop.shopper_named(name)

    def last_reply_of(self, name: str) -> Reply:
        shopper = self.shopper(name)
        return need(
            shopper.replies[-1] if shopper.replies else None,
            f"a request of shopper {name}",
            f"When shopper {name} views the cart",
        )

    @property
    def the_pool(self) -> Pool:
        return need(self.pool, "a balancer's pool", POOL_GIVEN)

    @property
    def the_strategy(self) -> Strategy:
        return need(self.strategy, "an affinity strategy", POOL_GIVEN)


def _w(context: Any) -> StickyWorld:
    return world(context, StickyWorld)


# -- the shop (HTTP, on the selected target) ---------------------------------------------------------


def _open_shop(context: Any, names: list[str], balancer: str, store: str = "server memory", **options: Any) -> None:
    _open(context, ShopSpec.of(names, balancer=BALANCERS[balancer], store=STORES[store], **options))


def _open(context: Any, spec: ShopSpec) -> None:
    try:
        shop = open_shop(target_of(context), spec)
    except NotOnThisTargetError as error:
        skip_scenario(context, str(error))
        return
    except TargetUnavailableError as error:
        skip_unavailable(context, error)
        return
    context.add_cleanup(shop.close)
    _w(context).shop = shop


def _show_memory(shop: Shop) -> None:
    if shop.spec.store == "shared":
        evidence.attach_text(
            "where the carts live", "in the shared store (Redis on the real target): no server holds one"
        )
        return
    rows = [(name, json.dumps(shop.memory_of(name))) for name in shop.servers]
    evidence.attach_table("carts in each server's memory", ["server", "carts"], rows)


@given("a shop of servers {names:StickyServers} behind {balancer:StickyBalancer}")
def step_shop(context: Any, names: list[str], balancer: str) -> None:
    """App servers keeping carts in their own memory, behind a balancer inserting an affinity cookie.

    names: server names; balancer: our balancer or HAProxy (HAProxy on the real target only).
    """
    _open_shop(context, names, balancer)


@given("a shop of servers {names:StickyServers} behind {balancer:StickyBalancer} with carts in {store:StickyStore}")
def step_shop_store(context: Any, names: list[str], balancer: str, store: str) -> None:
    """App servers keeping carts in their memory or in a store they share, behind a cookie-inserting balancer.

    store: server memory (each server its own) or a shared store (Redis on the real target).
    """
    _open_shop(context, names, balancer, store)


@given("a shop of servers {names:StickyServers} behind our balancer using {strategy:StickyStrategy}")
def step_shop_strategy(context: Any, names: list[str], strategy: str) -> None:
    """App servers keeping carts in memory, behind our balancer routing by the given affinity strategy."""
    _open_shop(context, names, "our balancer", strategy=strategy)


def _settings(context: Any, example: str) -> dict[str, str]:
    """The step's table of settings (columns: setting, value) as a mapping."""
    table = need(getattr(context, "table", None), "a table of settings (| setting | value |)", example)
    return {row["setting"].strip(): row["value"].strip() for row in table}


@given("a shop described as:")
def step_shop_described(context: Any) -> None:
    """A shop from a table of settings (columns setting, value); only servers is required.

    servers: names separated by commas (A, B, C); weights: one whole number 0..256 per server, in the
    same order (default 1 each); balancer: our balancer (default) or HAProxy; strategy: a strategy
    name (default cookie insert; see the strategy table step for the names); store: server memory
    (default) or a shared store; cookie name: the affinity cookie's name (default SRV); signed:
    yes (default) or no; same site: Strict, Lax (default), None or omitted. The strategy's own
    settings may be given too: virtual nodes (1..10000), table size (a prime 7..65537), capacity
    (1..10000000 sessions), idle timeout (seconds above 0, or never).
    """
    _open(context, describe_shop(_settings(context, "Given a shop described as: | servers | A, B, C |")))


@given("shopper {shopper:StickyName} has put {items:StickyCart} in the cart")
def step_has_put(context: Any, shopper: str, items: list[str]) -> None:
    """The shopper already added these items, one request each (shopper: its session id, such as abc123)."""
    for item in items:
        reply = _w(context).shopper(shopper).add(item)
        assert reply.status == 200, f"adding {item} should succeed, got HTTP {reply.status}"


@when("shopper {shopper:StickyName} makes a first request")
def step_first_request(context: Any, shopper: str) -> None:
    """The shopper's first request: the balancer chooses a server."""
    _w(context).shopper(shopper).view_cart()


@when("shopper {shopper:StickyName} adds {item} to the cart")
def step_add(context: Any, shopper: str, item: str) -> None:
    """The shopper puts one item (any name up to 200 characters) in the cart."""
    _w(context).shopper(shopper).add(item)


@when("shopper {shopper:StickyName} views the cart")
def step_view(context: Any, shopper: str) -> None:
    """The shopper looks at the cart."""
    _w(context).shopper(shopper).view_cart()


@when("shopper {shopper:StickyName} checks out")
def step_checkout(context: Any, shopper: str) -> None:
    """The shopper checks out; the order holds the cart's items."""
    _w(context).shopper(shopper).checkout()


@when('shopper {shopper:StickyName} sends the affinity cookie "{value}"')
def step_send_cookie(context: Any, shopper: str, value: str) -> None:
    """The shopper makes a request carrying an affinity cookie it wrote itself (value: any text)."""
    w = _w(context)
    client = w.shopper(shopper)
    client.cookies[w.the_shop.cookie_name] = value
    client.view_cart()


@when("the shop's server {server:StickyName} fails")
def step_fail(context: Any, server: str) -> None:
    """The server crashes; what it kept in memory is gone."""
    _w(context).the_shop.fail(server)


@when("the shop's server {server:StickyName} recovers")
def step_recover(context: Any, server: str) -> None:
    """The failed server restarts at its old address, with an empty memory; health checks bring it back."""
    _w(context).the_shop.recover(server)


@when("the shop's server {server:StickyName} is drained")
def step_drain(context: Any, server: str) -> None:
    """The server is retired gracefully: it keeps its sessions, takes no new ones."""
    _w(context).the_shop.drain(server)


@when("the shop's server {server:StickyName} is retired from the balancer's pool")
def step_retire(context: Any, server: str) -> None:
    """The server leaves the pool for good (and stops); its cookies now name nobody (our balancer)."""
    _w(context).the_shop.retire(server)


@when("the balancer's health check runs")
def step_health(context: Any) -> None:
    """The balancer probes every server's /health (embedded: one round now; real: waits for its rounds)."""
    w = _w(context)
    w.health = w.the_shop.check_health()


@when("the shop receives {count:d} new shoppers")
def step_new_shoppers(context: Any, count: int) -> None:
    """New users (count), with no session yet, each make a first request."""
    w = _w(context)
    w.new_shoppers.extend(w.the_shop.welcome(count))


@then("the balancer pins shopper {shopper:StickyName} to the shop's server {server:StickyName}")
def step_pinned(context: Any, shopper: str, server: str) -> None:
    """The shopper's last request went to the server and the balancer remembers it there."""
    w = _w(context)
    client, reply = w.shopper(shopper), w.last_reply_of(shopper)
    pinned = w.the_shop.pinned_server(client)
    table = w.the_shop.session_table()
    if table is not None:
        evidence.attach_json("the balancer's session table", table)
    else:
        evidence.attach_json("the balancer's memory is the shopper's cookie", client.cookies)
    assert reply.server == server, f"expected server {server} to answer, {reply.server} did"
    assert pinned == server, f"expected the balancer to pin {shopper} to {server}, it pins {pinned}"


@then("the shop's server {server:StickyName} answered shopper {shopper:StickyName} with the cart {items:StickyCart}")
def step_answered_cart(context: Any, server: str, shopper: str, items: list[str]) -> None:
    """The last answer came from the server and showed this cart (kept in that server's memory)."""
    w = _w(context)
    shop, client, reply = w.the_shop, w.shopper(shopper), w.last_reply_of(shopper)
    _show_memory(shop)
    assert reply.server == server, f"expected server {server} to answer, {reply.server} did"
    assert reply.items == items, f"expected the cart {items}, server {server} showed {reply.items}"
    if shop.spec.store == "memory":
        held = shop.memory_of(server).get(client.session_id or "", [])
        assert held == items, f"expected server {server}'s memory to hold {items} for {shopper}, it holds {held}"


@then("the shop's server {server:StickyName} checked out shopper {shopper:StickyName} with {items:StickyCart}")
def step_order(context: Any, server: str, shopper: str, items: list[str]) -> None:
    """The checkout was served by the server and the order holds exactly these items."""
    w = _w(context)
    reply = w.last_reply_of(shopper)
    evidence.attach_records("requests of the session", [vars(r) for r in w.shopper(shopper).replies])
    assert reply.status == 200, f"expected the checkout to succeed, got HTTP {reply.status}"
    assert reply.server == server, f"expected server {server} to check out, {reply.server} did"
    assert reply.items == items, f"expected an order of {items}, got {reply.items}"


@then("shopper {shopper:StickyName} is re-pinned to a live server other than {server:StickyName}")
def step_repinned(context: Any, shopper: str, server: str) -> None:
    """The last answer came from another server, which the new affinity cookie names."""
    w = _w(context)
    client, reply = w.shopper(shopper), w.last_reply_of(shopper)
    pinned = w.the_shop.pinned_server(client)
    evidence.attach_records("requests of the session", [vars(r) for r in client.replies])
    assert reply.status == 200, f"expected an answer from a live server, got HTTP {reply.status}"
    assert reply.server not in (None, server), f"expected a server other than {server}, {reply.server} answered"
    assert reply.set_cookies, "expected the balancer to insert a new affinity cookie, it set none"
    assert pinned == reply.server, f"expected the new cookie to name {reply.server}, it names {pinned}"


@then("shopper {shopper:StickyName} sees the cart {items:StickyCart}")
def step_sees_cart(context: Any, shopper: str, items: list[str]) -> None:
    """The last answer showed this cart (``empty`` for none)."""
    w = _w(context)
    reply = w.last_reply_of(shopper)
    _show_memory(w.the_shop)
    assert reply.items == items, f"expected the cart {items}, server {reply.server} showed {reply.items}"


@then("every request of shopper {shopper:StickyName} reached the same server of the shop")
def step_same_server(context: Any, shopper: str) -> None:
    """All the shopper's requests were answered by one server."""
    servers = [reply.server for reply in _w(context).shopper(shopper).replies]
    evidence.attach_table("server per request", ["request", "server"], list(enumerate(servers, 1)))
    assert servers, f"shopper {shopper} made no request"
    assert len(set(servers)) == 1, f"expected one server for the whole session, saw {servers}"


@then("the affinity cookie set for shopper {shopper:StickyName} carries the flags {flags:Words}")
def step_flags(context: Any, shopper: str, flags: list[str]) -> None:
    """The Set-Cookie of the affinity cookie has these attributes (names compared case-insensitively)."""
    w = _w(context)
    client = w.shopper(shopper)
    name = w.the_shop.cookie_name
    attributes = next((a for r in client.replies if (a := r.cookie_attributes(name)) is not None), None)
    evidence.attach_json("Set-Cookie headers", [h for r in client.replies for h in r.set_cookies])
    assert attributes is not None, "expected the balancer to set the affinity cookie, it did not"
    have = {a.lower() for a in attributes}
    missing = [flag for flag in flags if flag.lower() not in have]
    assert not missing, f"expected the flags {flags}, the cookie has {attributes}"


@then("the answer that set the affinity cookie for shopper {shopper:StickyName} is private to caches")
def step_private(context: Any, shopper: str) -> None:
    """nocache: the response inserting the cookie says Cache-Control: private."""
    reply = next((r for r in _w(context).shopper(shopper).replies if r.set_cookies), None)
    assert reply is not None, f"no answer set a cookie for shopper {shopper}"
    assert reply.cache_control == "private", f"expected Cache-Control: private, got {reply.cache_control!r}"


@then("the balancer ignored the affinity cookie of shopper {shopper:StickyName} and pinned it afresh")
def step_ignored(context: Any, shopper: str) -> None:
    """The request was balanced as a new session: answered, and a valid cookie naming the answering server set."""
    w = _w(context)
    client, reply = w.shopper(shopper), w.last_reply_of(shopper)
    pinned = w.the_shop.pinned_server(client)
    evidence.attach_json("cookie sent, then set", {"set": reply.set_cookies, "now": client.cookies})
    assert reply.status == 200, f"expected the request to be answered, got HTTP {reply.status}"
    assert reply.set_cookies, "expected the balancer to insert a fresh affinity cookie, it set none"
    assert pinned == reply.server, f"expected the fresh cookie to name {reply.server}, it names {pinned}"


@then("the balancer sees the shop's servers {down:StickyServers} as down and {up:StickyServers} as up")
def step_health_seen(context: Any, down: list[str], up: list[str]) -> None:
    """The health check's verdict per server (down: failed servers; up: the others)."""
    health = need(_w(context).health, "a health check", "When the balancer's health check runs")
    evidence.attach_json("health check", health)
    wrong = [n for n in down if health.get(n)] + [n for n in up if not health.get(n)]
    assert not wrong, f"expected {down} down and {up} up, the balancer sees {health}"


@then("the balancer sees the shop's servers {up:StickyServers} as up")
def step_health_up(context: Any, up: list[str]) -> None:
    """The health check's verdict: every named server (comma-separated) takes traffic."""
    health = need(_w(context).health, "a health check", "When the balancer's health check runs")
    evidence.attach_json("health check", health)
    down = [name for name in up if not health.get(name)]
    assert not down, f"expected {up} up, the balancer sees {health}"


@then("the new shoppers are spread over the shop's servers {servers:StickyServers}")
def step_spread(context: Any, servers: list[str]) -> None:
    """Each named server answered at least one new shopper, and no other server answered any."""
    arrived = need(_w(context).new_shoppers or None, "new shoppers", "When the shop receives 6 new shoppers")
    seen = Counter(shopper.replies[-1].server for shopper in arrived)
    evidence.attach_json("new shoppers per server", dict(seen))
    assert all(shopper.replies[-1].status == 200 for shopper in arrived), "a new shopper got no answer"
    assert set(seen) == set(servers), f"expected new shoppers on each of {servers} and nowhere else, got {dict(seen)}"


@then("shopper {shopper:StickyName} stays on the server it was re-pinned to")
def step_stays(context: Any, shopper: str) -> None:
    """Every answer since the shopper's last new pin came from the server that pin names (no move back)."""
    w = _w(context)
    replies = w.shopper(shopper).replies
    evidence.attach_records("requests of the session", [vars(r) for r in replies])
    pins = [i for i, reply in enumerate(replies) if reply.cookie_attributes(w.the_shop.cookie_name) is not None]
    assert len(pins) >= 2, f"expected shopper {shopper} to have been pinned, then re-pinned; pins at {pins}"
    since = [reply.server for reply in replies[pins[-1] :]]
    assert len(since) >= 2, f"expected a request of shopper {shopper} after the re-pin, saw only {since}"
    assert len(set(since)) == 1, f"expected every request since the re-pin on {since[0]}, saw {since}"
    assert w.the_shop.pinned_server(w.shopper(shopper)) == since[0], "the shopper's pin changed again"


@then("none of the new shoppers is pinned to the shop's server {server:StickyName}")
def step_not_pinned(context: Any, server: str) -> None:
    """No new shopper was answered by, or pinned to, the server."""
    arrived = need(_w(context).new_shoppers or None, "new shoppers", "When the shop receives 6 new shoppers")
    seen = Counter(shopper.replies[-1].server for shopper in arrived)
    evidence.attach_json("new shoppers per server", dict(seen))
    assert all(shopper.replies[-1].status == 200 for shopper in arrived), "a new shopper got no answer"
    assert seen[server] == 0, f"expected no new shopper on {server}, {seen[server]} landed there"


@then("no request to the shop was redispatched")
def step_no_redispatch(context: Any) -> None:
    """Every request reached a live server on the first try (the health check had removed the dead one)."""
    count = _w(context).the_shop.redispatched
    assert count == 0, f"expected no request sent to a dead server, {count} were re-routed"


# -- the strategies alone (pure core) --------------------------------------------------------------


def _pool(context: Any, names: list[str], weights: list[int], strategy: str) -> None:
    if len(weights) != len(names):
        raise AssertionError(f"{len(names)} servers but {len(weights)} weights: {weights}")
    w = _w(context)
    w.pool = Pool(list(zip(names, weights, strict=True)))
    w.strategy = make_strategy(strategy)
    w.weights = dict(zip(names, weights, strict=True))


@given("a balancer over servers {names:StickyServers} using {strategy:StickyStrategy}")
def step_pool(context: Any, names: list[str], strategy: str) -> None:
    """A pool of equal servers and an affinity strategy, without HTTP."""
    _pool(context, names, [1] * len(names), strategy)


@given("a balancer over servers {names:StickyServers} weighted {weights:Ints} using {strategy:StickyStrategy}")
def step_pool_weighted(context: Any, names: list[str], weights: list[int], strategy: str) -> None:
    """A pool of weighted servers (weights: relative capacities 0..256, one per server) and a strategy."""
    _pool(context, names, weights, strategy)


@given("a balancer over servers {names:StickyServers} using a strategy described as:")
def step_pool_described(context: Any, names: list[str]) -> None:
    """A pool of equal servers and a strategy from a table of settings (columns setting, value).

    kind (required): a strategy name, whose preset gives the other settings' defaults; virtual nodes:
    ring points per server, 1..10000; table size: Maglev's lookup table, a prime 7..65537; capacity:
    sessions a session table holds, 1..10000000; idle timeout: seconds above 0 before an idle
    session is forgotten, or never. The named strategies (using <strategy>) are these presets.
    """
    example = "Given a balancer over servers A, B, C using a strategy described as: | kind | Maglev |"
    spec = describe_strategy(_settings(context, example))
    w = _w(context)
    w.pool, w.strategy, w.weights = Pool(names), make_strategy(spec), dict.fromkeys(names, 1)
    evidence.attach_json("the strategy described", vars(spec))


@when("the balancer routes {count:d} sessions of {requests:d} requests each")
def step_route_sessions(context: Any, count: int, requests: int) -> None:
    """Each session (count) sends its requests one after the other, keeping the cookie it is given."""
    w = _w(context)
    w.visited = follow_sessions(w.the_strategy, w.the_pool, sessions(count), requests)


@when("the balancer starts {count:d} sessions")
def step_start_sessions(context: Any, count: int) -> None:
    """Each session (count) makes its first request."""
    w = _w(context)
    w.load = load(w.the_strategy, w.the_pool, sessions(count))


@when("the balancer's pool gains server {name:StickyName} after {count:d} sessions started")
def step_scale_out(context: Any, name: str, count: int) -> None:
    """Sessions (count) start; a new server joins; the sessions come back (with their cookies)."""
    w = _w(context)
    w.movement = scale_out(w.the_strategy, w.the_pool, sessions(count), name)


@then("the balancer kept {percent:d}% of the sessions on one server")
def step_kept(context: Any, percent: int) -> None:
    """Share of sessions (percent, rounded) whose requests all reached one server."""
    visited = need(_w(context).visited, "routed sessions", "When the balancer routes 300 sessions of 4 requests each")
    stuck = sum(len(set(route)) == 1 for route in visited.values())
    measured = round(100 * stuck / len(visited))
    sample = [{"session": s, "servers": " ".join(r)} for s, r in list(visited.items())[:8]]
    evidence.attach_records("first sessions and the servers of their requests", sample)
    assert measured == percent, f"expected {percent}% of sessions on one server, measured {measured}%"


@then("each server's share of the balancer's sessions is within {tolerance:d}% of its weighted share")
def step_shares(context: Any, tolerance: int) -> None:
    """|share - fair share| / fair share stays within the tolerance (percent) for every server."""
    w = _w(context)
    counts = need(w.load, "started sessions", "When the balancer starts 3000 sessions")
    deviations = share_deviations(counts, w.weights)
    total, weight_sum = sum(counts.values()), sum(w.weights.values())
    rows = [
        (name, w.weights[name], counts[name], round(total * w.weights[name] / weight_sum), f"{100 * dev:+.1f}%")
        for name, dev in deviations.items()
    ]
    evidence.attach_table("sessions per server", ["server", "weight", "sessions", "fair share", "deviation"], rows)
    worst = max(abs(dev) for dev in deviations.values())
    assert worst * 100 <= tolerance, f"expected every server within {tolerance}% of its share, worst is {worst:.1%}"


@when("each affinity strategy balances {count:d} sessions over servers {names:StickyServers}")
def step_each_strategy(context: Any, count: int, names: list[str]) -> None:
    """Every strategy, on its own pool of equal servers, starts the same sessions (count)."""
    keys = sessions(count)
    _w(context).loads = {name: load(make_strategy(name), Pool(names), keys) for name in STRATEGIES}


def _loads(context: Any) -> dict[str, Counter[str]]:
    return need(
        _w(context).loads,
        "every strategy's load",
        "When each affinity strategy balances 3000 sessions over servers A, B",
    )


@then("the balancer's load per server under each strategy is shown as a histogram")
def step_histogram(context: Any) -> None:
    """Attach sessions per server for every strategy as grouped bars; every strategy placed every session."""
    loads = _loads(context)
    servers = list(next(iter(loads.values())))
    evidence.attach_svg("sessions per server, every strategy", load_histogram_svg(loads))
    rows = [(name, *(counts[s] for s in servers), f"{imbalance(counts):.3f}") for name, counts in loads.items()]
    evidence.attach_table("sessions per server", ["strategy", *servers, "imbalance"], rows)
    totals = {name: sum(counts.values()) for name, counts in loads.items()}
    assert set(loads) == set(STRATEGIES), f"expected a bar group per strategy, got {sorted(loads)}"
    assert len(set(totals.values())) == 1, f"every strategy must place the same sessions, placed {totals}"


@then("every affinity strategy's imbalance (max load / fair share) is at most {limit:Decimal}")
def step_imbalance(context: Any, limit: Decimal) -> None:
    """No strategy loads its busiest server more than ``limit`` times its fair share (1.0 is perfect)."""
    worst = {name: imbalance(counts) for name, counts in _loads(context).items()}
    over = {name: round(value, 3) for name, value in worst.items() if value > float(limit)}
    assert not over, f"expected every imbalance <= {limit}, these exceed it: {over}"


@then("between {low:d}% and {high:d}% of the balancer's sessions moved to another server")
def step_moved(context: Any, low: int, high: int) -> None:
    """The measured share (percent) of sessions that changed server, shown beside the ideal 1/(n+1)."""
    w = _w(context)
    moved = need(w.movement, "a scale-out", "When the balancer's pool gains server D after 2000 sessions started")
    evidence.attach_table(
        "sessions moved on scale-out",
        ["strategy", "sessions", "moved", "measured", "ideal 1/(n+1)"],
        [(w.the_strategy.name, moved.sessions, moved.moved, f"{moved.fraction:.1%}", f"{moved.ideal:.1%}")],
    )
    measured = 100 * moved.fraction
    assert low <= measured <= high, f"expected {low}%..{high}% of sessions to move, measured {measured:.1f}%"


@then("the balancer routes session {session:StickyName} from address {address} to server {server:StickyName}")
def step_routes_to(context: Any, session: str, address: str, server: str) -> None:
    """One request of a session (its id) from a client address (IPv4) reaches the expected server."""
    w = _w(context)
    strategy = w.the_strategy
    route = route_in(strategy, w.the_pool, RequestKey(address, session))
    key = address if strategy.name == "source-IP hash" else session
    evidence.attach_json("hash of the routing key (BLAKE2b-64)", {"key": key, "ring": stable_hash(key, "ring")})
    assert route.server == server, f"expected {session} from {address} on {server}, routed to {route.server}"
