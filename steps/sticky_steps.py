"""Steps of the sticky-sessions concept: a shop of app servers behind a balancer, and the strategies alone.

Phrases (shop, over HTTP on the selected target): a shop of servers <names> behind <our balancer|HAProxy>
[with carts in <server memory|a shared store>] [using <strategy>]; shopper <name> makes a first request /
adds <item> to the cart / views the cart / checks out / has put <items> in the cart / sends the affinity
cookie "<value>"; the shop's server <name> fails / is drained; the balancer's health check runs; the shop
receives <n> new shoppers; checks on pins, carts, orders, cookie flags, health and redispatches.

Phrases (strategies, pure core): a balancer over servers <names> [weighted <weights>] using <strategy>;
the balancer routes <n> sessions of <k> requests each / starts <n> sessions; the balancer's pool gains
server <name>; checks on stickiness, weighted shares, sessions moved, stable hashes.
"""

import json
from collections import Counter

import parse
from behave import given, then, when

from livingspec.runner import evidence
from livingspec.runner.targets import TargetUnavailableError, skip_scenario, target_of
from livingspec.runner.types import register
from livingspec.sticky import (
    STRATEGIES,
    Pool,
    RequestKey,
    SessionTable,
    imbalance,
    load,
    load_histogram_svg,
    make_shop,
    make_strategy,
    route_in,
    scale_out,
    sessions,
    stable_hash,
)

STRATEGY_NAMES = "|".join(name.replace("-", r"\-") for name in STRATEGIES)


@parse.with_pattern(STRATEGY_NAMES)
def parse_strategy(text):
    """An affinity strategy by name: cookie insert, source-IP hash, consistent hash ring, Maglev, round robin."""
    return text


@parse.with_pattern(r"our balancer|HAProxy")
def parse_balancer(text):
    """Which balancer fronts the shop: ours or the HAProxy peer."""
    return "haproxy" if text == "HAProxy" else "ours"


@parse.with_pattern(r"server memory|a shared store")
def parse_store(text):
    """Where the app servers keep carts."""
    return "memory" if text == "server memory" else "shared"


@parse.with_pattern(r"empty|[^,\s][^,]*(?:,\s*[^,\s][^,]*)*")
def parse_cart(text):
    """A cart: ``empty`` or items separated by commas."""
    return [] if text == "empty" else [part.strip() for part in text.split(",")]


@parse.with_pattern(r"[A-Za-z0-9_-]+")
def parse_name(text):
    """A shopper's session id or a server's name."""
    return text


register(StickyStrategy=parse_strategy, StickyBalancer=parse_balancer, StickyStore=parse_store)


@parse.with_pattern(r"[A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*")
def parse_servers(text):
    """Server names separated by commas: ``A, B, C``."""
    return [part.strip() for part in text.split(",")]


register(StickyCart=parse_cart, StickyName=parse_name, StickyServers=parse_servers)


# -- the shop (HTTP, on the selected target) ---------------------------------------------------------


def _open_shop(context, names, balancer, store="memory", strategy="cookie insert"):
    target = target_of(context)
    if balancer == "haproxy" and target != "real":
        skip_scenario(context, "HAProxy is the peer on the real target only (behave -D target=real)")
        return
    try:
        shop = make_shop(target, names, strategy=strategy, store=store, balancer=balancer)
    except TargetUnavailableError as error:
        skip_scenario(context, str(error))
        return
    context.add_cleanup(shop.close)
    context.shop = shop
    context.shoppers = {}
    context.new_shoppers = []


def _shopper(context, name):
    if name not in context.shoppers:
        index = len(context.shoppers) + 1
        context.shoppers[name] = context.shop.shopper(name, client_ip=f"10.0.{index // 250}.{index % 250 + 1}")
    return context.shoppers[name]


def _show_memory(context):
    shop = context.shop
    if shop.store_kind == "shared":
        evidence.attach_text(
            "where the carts live", "in the shared store (Redis on the real target): no server holds one"
        )
        return
    rows = [(name, json.dumps(shop.memory_of(name))) for name in shop.urls]
    evidence.attach_table("carts in each server's memory", ["server", "carts"], rows)


@given("a shop of servers {names:StickyServers} behind {balancer:StickyBalancer}")
def step_shop(context, names, balancer):
    """App servers keeping carts in their own memory, behind a balancer inserting an affinity cookie."""
    _open_shop(context, names, balancer)


@given("a shop of servers {names:StickyServers} behind {balancer:StickyBalancer} with carts in {store:StickyStore}")
def step_shop_store(context, names, balancer, store):
    """App servers keeping carts in their memory or in a store they share, behind a cookie-inserting balancer."""
    _open_shop(context, names, balancer, store)


@given("a shop of servers {names:StickyServers} behind our balancer using {strategy:StickyStrategy}")
def step_shop_strategy(context, names, strategy):
    """App servers keeping carts in memory, behind our balancer routing by the given strategy."""
    _open_shop(context, names, "ours", strategy=strategy)


@given("shopper {shopper:StickyName} has put {items:StickyCart} in the cart")
def step_has_put(context, shopper, items):
    """The shopper already added these items, one request each."""
    for item in items:
        reply = _shopper(context, shopper).add(item)
        assert reply.status == 200, f"adding {item} should succeed, got HTTP {reply.status}"


@when("shopper {shopper:StickyName} makes a first request")
def step_first_request(context, shopper):
    """The shopper's first request: the balancer chooses a server."""
    _shopper(context, shopper).view_cart()


@when("shopper {shopper:StickyName} adds {item} to the cart")
def step_add(context, shopper, item):
    """The shopper puts one item in the cart."""
    _shopper(context, shopper).add(item)


@when("shopper {shopper:StickyName} views the cart")
def step_view(context, shopper):
    """The shopper looks at the cart."""
    _shopper(context, shopper).view_cart()


@when("shopper {shopper:StickyName} checks out")
def step_checkout(context, shopper):
    """The shopper checks out; the order holds the cart's items."""
    _shopper(context, shopper).checkout()


@when('shopper {shopper:StickyName} sends the affinity cookie "{value}"')
def step_send_cookie(context, shopper, value):
    """The shopper makes a request carrying an affinity cookie it wrote itself."""
    client = _shopper(context, shopper)
    client.cookies[context.shop.cookie_name] = value
    client.view_cart()


@when("the shop's server {server:StickyName} fails")
def step_fail(context, server):
    """The server crashes; what it kept in memory is gone."""
    context.shop.fail(server)


@when("the shop's server {server:StickyName} is drained")
def step_drain(context, server):
    """The server is retired gracefully: it keeps its sessions, takes no new ones."""
    context.shop.drain(server)


@when("the shop's server {server:StickyName} is retired from the balancer's pool")
def step_retire(context, server):
    """The server leaves the pool for good (and stops); its cookies now name nobody."""
    context.shop.retire(server)


@when("the balancer's health check runs")
def step_health(context):
    """The balancer probes every server's /health once (real target: waits for its periodic round)."""
    context.health = context.shop.check_health()


@when("the shop receives {count:d} new shoppers")
def step_new_shoppers(context, count):
    """New users, with no session yet, each make a first request."""
    for index in range(count):
        shopper = _shopper(context, f"newcomer-{index + 1}")
        shopper.view_cart()
        context.new_shoppers.append(shopper)


@then("the balancer pins shopper {shopper:StickyName} to the shop's server {server:StickyName}")
def step_pinned(context, shopper, server):
    """The shopper's last request went to the server and its affinity cookie names it."""
    client = _shopper(context, shopper)
    reply = client.replies[-1]
    pinned = context.shop.pinned_server(client)
    strategy = getattr(context.shop.balancer, "strategy", None)
    if isinstance(strategy, SessionTable):
        evidence.attach_json("the balancer's session table", strategy.entries())
    else:
        evidence.attach_json("the balancer's memory is the shopper's cookie", client.cookies)
    assert reply.server == server, f"expected server {server} to answer, {reply.server} did"
    assert pinned == server, f"expected the affinity cookie to name {server}, it names {pinned}"


@then("the shop's server {server:StickyName} answered shopper {shopper:StickyName} with the cart {items:StickyCart}")
def step_answered_cart(context, server, shopper, items):
    """The last answer came from the server and showed this cart (kept in that server's memory)."""
    client = _shopper(context, shopper)
    reply = client.replies[-1]
    _show_memory(context)
    assert reply.server == server, f"expected server {server} to answer, {reply.server} did"
    assert reply.items == items, f"expected the cart {items}, server {server} showed {reply.items}"
    if context.shop.store_kind == "memory":
        held = context.shop.memory_of(server).get(client.session_id)
        assert held == items, f"expected server {server}'s memory to hold {items} for {shopper}, it holds {held}"


@then("the shop's server {server:StickyName} checked out shopper {shopper:StickyName} with {items:StickyCart}")
def step_order(context, server, shopper, items):
    """The checkout was served by the server and the order holds exactly these items."""
    reply = _shopper(context, shopper).replies[-1]
    evidence.attach_records("requests of the session", [vars(r) for r in _shopper(context, shopper).replies])
    assert reply.status == 200, f"expected the checkout to succeed, got HTTP {reply.status}"
    assert reply.server == server, f"expected server {server} to check out, {reply.server} did"
    assert reply.items == items, f"expected an order of {items}, got {reply.items}"


@then("shopper {shopper:StickyName} is re-pinned to a live server other than {server:StickyName}")
def step_repinned(context, shopper, server):
    """The last answer came from another server, which the new affinity cookie names."""
    client = _shopper(context, shopper)
    reply = client.replies[-1]
    pinned = context.shop.pinned_server(client)
    evidence.attach_records("requests of the session", [vars(r) for r in client.replies])
    assert reply.status == 200, f"expected an answer from a live server, got HTTP {reply.status}"
    assert reply.server not in (None, server), f"expected a server other than {server}, {reply.server} answered"
    assert reply.set_cookies, "expected the balancer to insert a new affinity cookie, it set none"
    assert pinned == reply.server, f"expected the new cookie to name {reply.server}, it names {pinned}"


@then("shopper {shopper:StickyName} sees the cart {items:StickyCart}")
def step_sees_cart(context, shopper, items):
    """The last answer showed this cart."""
    reply = _shopper(context, shopper).replies[-1]
    _show_memory(context)
    assert reply.items == items, f"expected the cart {items}, server {reply.server} showed {reply.items}"


@then("every request of shopper {shopper:StickyName} reached the same server of the shop")
def step_same_server(context, shopper):
    """All the shopper's requests were answered by one server."""
    servers = [reply.server for reply in _shopper(context, shopper).replies]
    evidence.attach_table("server per request", ["request", "server"], list(enumerate(servers, 1)))
    assert len(set(servers)) == 1, f"expected one server for the whole session, saw {servers}"


@then("the affinity cookie set for shopper {shopper:StickyName} carries the flags {flags:Words}")
def step_flags(context, shopper, flags):
    """The Set-Cookie of the affinity cookie has these attributes (names compared case-insensitively)."""
    client = _shopper(context, shopper)
    attributes = next(
        (a for r in client.replies if (a := r.cookie_attributes(context.shop.cookie_name)) is not None), None
    )
    evidence.attach_json("Set-Cookie headers", [h for r in client.replies for h in r.set_cookies])
    assert attributes is not None, "expected the balancer to set the affinity cookie, it did not"
    have = {a.lower() for a in attributes}
    missing = [flag for flag in flags if flag.lower() not in have]
    assert not missing, f"expected the flags {flags}, the cookie has {attributes}"


@then("the answer that set the affinity cookie for shopper {shopper:StickyName} is private to caches")
def step_private(context, shopper):
    """nocache: the response inserting the cookie says Cache-Control: private."""
    reply = next(r for r in _shopper(context, shopper).replies if r.set_cookies)
    assert reply.cache_control == "private", f"expected Cache-Control: private, got {reply.cache_control!r}"


@then("the balancer ignored the affinity cookie of shopper {shopper:StickyName} and pinned it afresh")
def step_ignored(context, shopper):
    """The request was balanced as a new session: answered, and a valid cookie naming the answering server set."""
    client = _shopper(context, shopper)
    reply = client.replies[-1]
    pinned = context.shop.pinned_server(client)
    evidence.attach_json("cookie sent, then set", {"set": reply.set_cookies, "now": client.cookies})
    assert reply.status == 200, f"expected the request to be answered, got HTTP {reply.status}"
    assert reply.set_cookies, "expected the balancer to insert a fresh affinity cookie, it set none"
    assert pinned == reply.server, f"expected the fresh cookie to name {reply.server}, it names {pinned}"


@then("the balancer sees the shop's servers {down:StickyServers} as down and {up:StickyServers} as up")
def step_health_seen(context, down, up):
    """The health check's verdict per server."""
    health = context.health
    evidence.attach_json("health check", health)
    wrong = [n for n in down if health.get(n)] + [n for n in up if not health.get(n)]
    assert not wrong, f"expected {down} down and {up} up, the balancer sees {health}"


@then("none of the new shoppers is pinned to the shop's server {server:StickyName}")
def step_not_pinned(context, server):
    """No new shopper was answered by, or pinned to, the server."""
    seen = Counter(shopper.replies[-1].server for shopper in context.new_shoppers)
    evidence.attach_json("new shoppers per server", dict(seen))
    assert all(shopper.replies[-1].status == 200 for shopper in context.new_shoppers), "a new shopper got no answer"
    assert seen[server] == 0, f"expected no new shopper on {server}, {seen[server]} landed there"


@then("no request to the shop was redispatched")
def step_no_redispatch(context):
    """Every request reached a live server on the first try (the health check had removed the dead one)."""
    count = context.shop.balancer.redispatched
    assert count == 0, f"expected no request sent to a dead server, {count} were re-routed"


# -- the strategies alone (pure core) --------------------------------------------------------------


def _pool(context, names, weights, strategy):
    if len(weights) != len(names):
        raise AssertionError(f"{len(names)} servers but {len(weights)} weights: {weights}")
    context.sticky_pool = Pool(list(zip(names, weights, strict=True)))
    context.sticky_strategy = make_strategy(strategy)
    context.sticky_weights = dict(zip(names, weights, strict=True))


@given("a balancer over servers {names:StickyServers} using {strategy:StickyStrategy}")
def step_pool(context, names, strategy):
    """A pool of equal servers and a strategy, without HTTP."""
    _pool(context, names, [1] * len(names), strategy)


@given("a balancer over servers {names:StickyServers} weighted {weights:Ints} using {strategy:StickyStrategy}")
def step_pool_weighted(context, names, weights, strategy):
    """A pool of weighted servers and a strategy, without HTTP."""
    _pool(context, names, weights, strategy)


@when("the balancer routes {count:d} sessions of {requests:d} requests each")
def step_route_sessions(context, count, requests):
    """Each session sends its requests one after the other, keeping the cookie it is given."""
    servers = {}
    for session in sessions(count):
        key, visited = session, []
        servers[session.session_id] = visited
        for _ in range(requests):
            route = route_in(context.sticky_strategy, context.sticky_pool, key)
            if route.set_cookie is not None:
                key = RequestKey(key.client_ip, key.session_id, route.set_cookie)
            visited.append(route.server)
    context.sticky_servers = servers


@when("the balancer starts {count:d} sessions")
def step_start_sessions(context, count):
    """Each session makes its first request."""
    context.sticky_keys = sessions(count)
    context.sticky_load = load(context.sticky_strategy, context.sticky_pool, context.sticky_keys)


@when("the balancer's pool gains server {name:StickyName} after {count:d} sessions started")
def step_scale_out(context, name, count):
    """Sessions start; a new server joins; the sessions come back (with their cookies)."""
    context.sticky_keys = sessions(count)
    context.sticky_movement = scale_out(context.sticky_strategy, context.sticky_pool, context.sticky_keys, name)


@then("the balancer kept {percent:d}% of the sessions on one server")
def step_kept(context, percent):
    """Share of sessions whose requests all reached one server."""
    servers = context.sticky_servers
    stuck = sum(len(set(route)) == 1 for route in servers.values())
    measured = round(100 * stuck / len(servers))
    sample = [{"session": s, "servers": " ".join(r)} for s, r in list(servers.items())[:8]]
    evidence.attach_records("first sessions and the servers of their requests", sample)
    assert measured == percent, f"expected {percent}% of sessions on one server, measured {measured}%"


@then("each server's share of the balancer's sessions is within {tolerance:d}% of its weighted share")
def step_shares(context, tolerance):
    """|share - fair share| / fair share stays within the tolerance for every server."""
    counts, weights = context.sticky_load, context.sticky_weights
    total, weight_sum = sum(counts.values()), sum(weights.values())
    rows = []
    for name, count in counts.items():
        fair = total * weights[name] / weight_sum
        rows.append((name, weights[name], count, round(fair), f"{100 * (count - fair) / fair:+.1f}%"))
    evidence.attach_table("sessions per server", ["server", "weight", "sessions", "fair share", "deviation"], rows)
    worst = max(abs(counts[n] - total * weights[n] / weight_sum) / (total * weights[n] / weight_sum) for n in counts)
    assert worst * 100 <= tolerance, f"expected every server within {tolerance}% of its share, worst is {worst:.1%}"


@when("each affinity strategy balances {count:d} sessions over servers {names:StickyServers}")
def step_each_strategy(context, count, names):
    """Every strategy, on its own pool of equal servers, starts the same sessions."""
    keys = sessions(count)
    context.sticky_loads = {name: load(make_strategy(name), Pool(names), keys) for name in STRATEGIES}


@then("the balancer's load per server under each strategy is shown as a histogram")
def step_histogram(context):
    """Attach sessions per server for every strategy as grouped bars, with each one's imbalance."""
    loads = context.sticky_loads
    servers = list(next(iter(loads.values())))
    evidence.attach_svg("sessions per server, every strategy", load_histogram_svg(loads))
    rows = [(name, *(counts[s] for s in servers), f"{imbalance(counts):.3f}") for name, counts in loads.items()]
    evidence.attach_table("sessions per server", ["strategy", *servers, "imbalance"], rows)


@then("every affinity strategy's imbalance (max load / fair share) is at most {limit:Decimal}")
def step_imbalance(context, limit):
    """No strategy loads its busiest server more than ``limit`` times its fair share."""
    worst = {name: imbalance(counts) for name, counts in context.sticky_loads.items()}
    over = {name: round(value, 3) for name, value in worst.items() if value > float(limit)}
    assert not over, f"expected every imbalance <= {limit}, these exceed it: {over}"


@then("between {low:d}% and {high:d}% of the balancer's sessions moved to another server")
def step_moved(context, low, high):
    """The measured share of sessions that changed server, shown beside the ideal 1/(n+1)."""
    movement = context.sticky_movement
    evidence.attach_table(
        "sessions moved on scale-out",
        ["strategy", "sessions", "moved", "measured", "ideal 1/(n+1)"],
        [
            (
                context.sticky_strategy.name,
                movement.sessions,
                movement.moved,
                f"{movement.fraction:.1%}",
                f"{movement.ideal:.1%}",
            )
        ],
    )
    measured = 100 * movement.fraction
    assert low <= measured <= high, f"expected {low}%..{high}% of sessions to move, measured {measured:.1f}%"


@then("the balancer routes session {session:StickyName} from address {address} to server {server:StickyName}")
def step_routes_to(context, session, address, server):
    """One request of a session from a client address reaches the expected server."""
    route = route_in(context.sticky_strategy, context.sticky_pool, RequestKey(address, session))
    key = address if context.sticky_strategy.name == "source-IP hash" else session
    evidence.attach_json("hash of the routing key (BLAKE2b-64)", {"key": key, "ring": stable_hash(key, "ring")})
    assert route.server == server, f"expected {session} from {address} on {server}, routed to {route.server}"
