"""The pure core: stable hashes, the pool, the affinity cookie, and each strategy's properties."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livingspec.sticky import (
    STRATEGIES,
    AffinityCookie,
    ConsistentHashRing,
    InvalidServerError,
    InvalidStrategyError,
    Maglev,
    NoLiveServerError,
    Pool,
    RequestKey,
    RoundRobin,
    ServerState,
    SessionTable,
    UnknownServerError,
    UnknownStrategyError,
    maglev_table,
    make_strategy,
    parse_cookie_header,
    route_in,
    scale_out,
    sessions,
    stable_hash,
    strip_cookie,
)
from livingspec.sticky.errors import StickyError

STICKY = [name for name, factory in STRATEGIES.items() if factory().sticky]
HASHED = [name for name in STICKY if name not in ("cookie insert", "session table")]
names_st = st.lists(st.sampled_from("ABCDEFGH"), min_size=1, max_size=8, unique=True)
session_ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)


def _follow(strategy, pool, key: RequestKey) -> tuple[RequestKey, str]:
    """Route one request; return the key as the client sends it next (with any cookie) and the server."""
    route = route_in(strategy, pool, key)
    if route.set_cookie is not None:
        key = RequestKey(key.client_ip, key.session_id, route.set_cookie)
    return key, route.server


# -- hashes ---------------------------------------------------------------------------------------


def test_stable_hash_is_a_fixed_function_of_its_input():
    assert stable_hash("abc123", "ring") == 575547456563625736


def test_stable_hash_salts_give_independent_functions():
    assert stable_hash("abc123", "a") != stable_hash("abc123", "b")


def test_stable_hash_refuses_a_salt_longer_than_blake2b_allows():
    with pytest.raises(ValueError, match="longer than 16 bytes"):
        stable_hash("x", "s" * 17)


def test_routes_are_identical_in_a_process_with_another_hash_seed():
    keys = sessions(40)
    here = {s: [route_in(make_strategy(s), Pool("ABCD"), k).server for k in keys] for s in HASHED}
    code = (
        "import json, sys\nfrom livingspec.sticky import Pool, make_strategy, route_in, sessions\n"
        "print(json.dumps({s: [route_in(make_strategy(s), Pool('ABCD'), k).server for k in sessions(40)]"
        " for s in json.loads(sys.argv[1])}))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    argv = [sys.executable, "-c", code, json.dumps(HASHED)]
    run = subprocess.run(argv, check=False, capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == here


# -- pool -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "a b", "x" * 33, "é", "A;B", "A.B"])
def test_pool_refuses_a_server_name_that_is_not_a_cookie_token(name):
    with pytest.raises(InvalidServerError, match="server name"):
        Pool().add(name)


@pytest.mark.parametrize("weight", [-1, 257, 1.5, True])
def test_pool_refuses_a_weight_outside_0_to_256(weight):
    with pytest.raises(InvalidServerError, match="weight"):
        Pool().add("A", weight)


def test_pool_refuses_a_duplicate_server():
    with pytest.raises(InvalidServerError, match="already"):
        Pool(["A", "A"])


def test_pool_names_the_unknown_server():
    with pytest.raises(UnknownServerError, match="'Z'"):
        Pool("AB").drain("Z")


def test_a_draining_server_stays_draining_when_its_health_check_passes():
    pool = Pool("AB")
    pool.drain("A")
    assert pool.mark_up("A") is False
    assert pool.get("A").state is ServerState.DRAINING


def test_every_pool_change_bumps_the_version_and_a_no_op_does_not():
    pool = Pool("AB")
    version = pool.view().version
    pool.mark_down("A")
    assert pool.view().version == version + 1
    pool.mark_down("A")
    assert pool.view().version == version + 1


def test_errors_share_the_concept_root():
    assert issubclass(NoLiveServerError, StickyError)
    assert issubclass(UnknownStrategyError, StickyError)


# -- cookie -------------------------------------------------------------------------------------------


def test_a_signed_cookie_names_its_server_and_a_changed_tag_does_not():
    cookie = AffinityCookie(secret=b"k")
    value = cookie.encode("A")
    assert cookie.decode(value) == "A"
    assert cookie.decode("A." + "0" * 16) is None
    assert cookie.decode("B" + value[1:]) is None  # A's tag does not open B


def test_an_unsigned_cookie_is_the_bare_server_name_as_haproxy_writes_it():
    cookie = AffinityCookie()
    assert cookie.encode("A") == "A"
    assert cookie.decode("A") == "A"
    assert cookie.decode("A.0123456789abcdef") is None


def test_set_cookie_carries_path_httponly_samesite_and_secure_when_asked():
    header = AffinityCookie(secure=True, same_site="Strict").set_cookie("B")
    assert header == "SRV=B; Path=/; HttpOnly; SameSite=Strict; Secure"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("name", "a b", "cookie name"), ("same_site", "Sometimes", "SameSite"), ("path", "no-slash", "cookie path")],
)
def test_cookie_settings_are_validated(field, value, message):
    with pytest.raises(ValueError, match=message):
        AffinityCookie(**{field: value})


@given(st.one_of(st.none(), st.text(max_size=200)))
def test_decoding_any_cookie_value_never_raises(value):
    for cookie in (AffinityCookie(), AffinityCookie(secret=b"s")):
        decoded = cookie.decode(value)
        assert decoded is None or isinstance(decoded, str)


@given(st.text(max_size=300))
def test_parsing_any_cookie_header_never_raises(header):
    cookies = parse_cookie_header(header)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in cookies.items())
    assert "SRV" not in parse_cookie_header(strip_cookie(header, "SRV"))


def test_strip_cookie_removes_only_the_named_cookie():
    assert strip_cookie("session_id=abc123; SRV=A.ff; theme=dark", "SRV") == "session_id=abc123; theme=dark"


# -- strategies -----------------------------------------------------------------------------------------


def test_unknown_strategy_names_the_valid_ones():
    with pytest.raises(UnknownStrategyError, match="Maglev"):
        make_strategy("random")


@pytest.mark.parametrize("size", [4, 100, 5])
def test_maglev_table_size_must_be_a_prime_of_at_least_7(size):
    with pytest.raises(InvalidStrategyError, match="prime"):
        Maglev(size)


def test_a_ring_needs_virtual_nodes():
    with pytest.raises(InvalidStrategyError, match="virtual nodes"):
        ConsistentHashRing(0)


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_every_strategy_refuses_a_pool_with_no_live_server(name):
    pool = Pool("AB")
    pool.mark_down("A")
    pool.drain("B")
    with pytest.raises(NoLiveServerError, match="A=down"):
        route_in(make_strategy(name), pool, RequestKey("10.0.0.1", "abc123"))


@given(st.lists(st.integers(1, 5), min_size=1, max_size=5))
def test_weighted_round_robin_gives_each_server_its_weight_in_every_cycle(weights):
    names = "ABCDE"[: len(weights)]
    pool = Pool(list(zip(names, weights, strict=True)))
    strategy = RoundRobin()
    for _ in range(3):
        cycle = Counter(route_in(strategy, pool, RequestKey()).server for _ in range(sum(weights)))
        assert cycle == dict(zip(names, weights, strict=True))


@given(st.lists(st.integers(1, 4), min_size=1, max_size=6), st.sampled_from([7, 251, 5003]))
def test_maglev_fills_every_slot_in_proportion_to_weight(weights, size):
    servers = [(f"s{i}", w) for i, w in enumerate(weights)]
    counts = Counter(maglev_table(servers, size))
    assert sum(counts.values()) == size
    for name, weight in servers:
        assert abs(counts[name] - size * weight / sum(weights)) < 1


@settings(max_examples=30)
@given(st.sampled_from(STICKY), names_st, st.lists(session_ids, min_size=1, max_size=20, unique=True))
def test_with_no_failures_a_session_always_reaches_the_same_server(strategy_name, names, ids):
    strategy, pool = make_strategy(strategy_name), Pool(names)
    for index, session in enumerate(ids):
        key = RequestKey(f"10.0.0.{index}", session)
        key, first = _follow(strategy, pool, key)
        for _ in range(3):
            key, server = _follow(strategy, pool, key)
            assert server == first


@settings(max_examples=20)
@given(
    st.sampled_from(["cookie insert", "session table", "consistent hash ring"]),
    names_st.filter(lambda n: len(n) >= 2),
    st.data(),
)
def test_after_a_server_fails_only_its_sessions_move(strategy_name, names, data):
    strategy, pool = make_strategy(strategy_name), Pool(names)
    returning = [_follow(strategy, pool, key) for key in sessions(200)]
    dead = data.draw(st.sampled_from(names))
    pool.mark_down(dead)
    for key, server in returning:
        _, now = _follow(strategy, pool, key)
        assert now != dead
        if server != dead:
            assert now == server, f"{key.session_id} moved from {server} though {dead} failed"


@settings(max_examples=15)
@given(st.integers(3, 10), st.data())
def test_after_a_server_fails_maglev_moves_few_other_sessions(n, data):
    names = [f"s{i}" for i in range(n)]
    strategy, pool = Maglev(), Pool(names)
    before = {k.session_id: route_in(strategy, pool, k).server for k in sessions(2000)}
    dead = data.draw(st.sampled_from(names))
    pool.mark_down(dead)
    after = {k.session_id: route_in(strategy, pool, k).server for k in sessions(2000)}
    others = [s for s, server in before.items() if server != dead]
    disrupted = sum(before[s] != after[s] for s in others) / len(others)
    assert all(server != dead for server in after.values())
    assert disrupted < 0.03, f"Maglev moved {disrupted:.1%} of the sessions of live servers"


def test_scale_out_on_a_ring_moves_sessions_only_to_the_new_server():
    strategy, pool = ConsistentHashRing(), Pool("ABC")
    keys = sessions(2000)
    before = {k.session_id: route_in(strategy, pool, k).server for k in keys}
    pool.add("D")
    after = {k.session_id: route_in(strategy, pool, k).server for k in keys}
    assert {after[s] for s in before if after[s] != before[s]} == {"D"}


@pytest.mark.parametrize("name", ["cookie insert", "session table"])
def test_scale_out_under_remembered_affinity_moves_no_session(name):
    assert scale_out(make_strategy(name), Pool("ABC"), sessions(500), "D").moved == 0


@pytest.mark.parametrize("name", ["cookie insert", "session table"])
def test_a_draining_server_keeps_its_sessions_and_gets_no_new_ones(name):
    strategy, pool = make_strategy(name), Pool("AB")
    key, server = _follow(strategy, pool, RequestKey("10.0.0.1", "abc123"))
    pool.drain(server)
    assert _follow(strategy, pool, key)[1] == server
    fresh = {_follow(strategy, pool, k)[1] for k in sessions(10)}
    assert server not in fresh


def test_the_session_table_forgets_least_recently_used_entries_beyond_capacity():
    table, pool = SessionTable(capacity=2, ttl=None), Pool("ABC")
    for session in ("u1", "u2", "u3"):
        route_in(table, pool, RequestKey(session_id=session))
    assert len(table) == 2
    assert table.lookup("u1") is None and table.lookup("u3") is not None


def test_the_session_table_forgets_an_idle_session_after_its_ttl():
    clock = [0.0]
    table, pool = SessionTable(ttl=60, now=lambda: clock[0]), Pool("ABC")
    first = route_in(table, pool, RequestKey(session_id="abc123")).server
    clock[0] = 59
    assert table.lookup("abc123") == first
    clock[0] = 120
    assert table.lookup("abc123") is None


@pytest.mark.parametrize(("capacity", "ttl"), [(0, 10.0), (10, 0.0)])
def test_the_session_table_needs_positive_bounds(capacity, ttl):
    with pytest.raises(InvalidStrategyError, match="session table"):
        SessionTable(capacity, ttl)
