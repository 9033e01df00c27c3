"""The reverse proxy and the cart app in process: what the balancer does to requests and answers."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from livingspec.sticky import (
    AffinityCookie,
    Balancer,
    InProcessNetwork,
    InvalidServerError,
    ServerState,
    cart_app,
    make_shop,
)


def _echo(name: str) -> Starlette:
    """An app server that shows the request it received."""

    async def echo(request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse({"server": name, "headers": dict(request.headers), "body": body.decode()})

    return Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"]), Route("/health", echo)])


def _balancer(names: str = "AB", **options: object) -> tuple[Balancer, InProcessNetwork]:
    network = InProcessNetwork()
    urls = {name: f"http://{name.lower()}.internal" for name in names}
    for name, url in urls.items():
        network.attach(url, _echo(name))
    return Balancer(urls, transport=network, health_interval=None, **options), network  # type: ignore[arg-type]


def _get(balancer: Balancer, path: str = "/", **kwargs: object) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=balancer, client=("192.0.2.9", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            return await client.request(kwargs.pop("method", "GET"), path, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go())


def test_the_affinity_cookie_never_reaches_the_app_server():
    balancer, _ = _balancer(cookie=AffinityCookie())
    seen = _get(balancer, headers={"cookie": "session_id=abc123; SRV=A; theme=dark"}).json()
    assert seen["headers"]["cookie"] == "session_id=abc123; theme=dark"
    assert seen["headers"]["x-forwarded-for"] == "192.0.2.9"


def test_the_answer_inserting_the_cookie_is_private_and_a_followed_one_sets_nothing():
    balancer, _ = _balancer(cookie=AffinityCookie())
    first = _get(balancer)
    assert first.headers["cache-control"] == "private"
    assert first.headers["set-cookie"] == "SRV=A; Path=/; HttpOnly; SameSite=Lax"
    again = _get(balancer, headers={"cookie": "SRV=A"})
    assert "set-cookie" not in again.headers
    assert again.json()["server"] == "A"


def test_by_default_the_balancer_signs_its_cookie_and_refuses_a_bare_name():
    balancer, _ = _balancer()
    pin = _get(balancer).headers["set-cookie"].split(";")[0]
    assert pin.startswith("SRV=A.") and len(pin) == len("SRV=A.") + 16
    assert "set-cookie" in _get(balancer, headers={"cookie": "SRV=B"}).headers  # bare name: a new pin
    assert "set-cookie" not in _get(balancer, headers={"cookie": pin}).headers


def test_query_string_and_body_reach_the_server_unchanged():
    balancer, _ = _balancer()
    seen = _get(balancer, "/cart?x=1&y=2", method="POST", content=b"payload").json()
    assert seen["body"] == "payload"


def test_a_body_over_the_limit_is_refused_with_413():
    balancer, _ = _balancer(max_body=10)
    assert _get(balancer, method="POST", content=b"x" * 11).status_code == 413


def test_with_every_server_dead_the_shopper_gets_503_naming_the_states():
    balancer, network = _balancer()
    network.crash("http://a.internal")
    network.crash("http://b.internal")
    reply = _get(balancer)
    assert reply.status_code == 503
    assert "A=down" in reply.text and "B=down" in reply.text


def test_health_checks_mark_a_server_down_after_fall_failures_and_up_after_rise_successes():
    balancer, network = _balancer(fall=2, rise=2)
    network.crash("http://a.internal")
    assert asyncio.run(balancer.check_health())["A"] is True  # one failure of two
    assert asyncio.run(balancer.check_health())["A"] is False
    network.revive("http://a.internal")
    assert asyncio.run(balancer.check_health())["A"] is False  # one success of two
    assert asyncio.run(balancer.check_health())["A"] is True


def test_a_cookie_for_a_removed_server_is_ignored_and_the_shopper_re_pinned():
    balancer, _ = _balancer("ABC", cookie=AffinityCookie())
    balancer.remove_backend("A")
    reply = _get(balancer, headers={"cookie": "SRV=A"})
    assert reply.json()["server"] in ("B", "C")
    assert reply.headers["set-cookie"].startswith(f"SRV={reply.json()['server']};")


def test_a_list_of_urls_names_the_servers_s1_s2():
    balancer = Balancer(["http://127.0.0.1:1", "http://127.0.0.1:2/"], health_interval=None)
    assert balancer.pool.names == ["s1", "s2"]
    assert balancer.urls["s2"] == "http://127.0.0.1:2"


@pytest.mark.parametrize("url", ["ftp://x", "not a url", "http://"])
def test_a_backend_url_must_be_http(url):
    with pytest.raises(InvalidServerError, match="backend URL"):
        Balancer([url])


def test_weights_and_draining_are_operated_through_the_balancer():
    balancer, _ = _balancer("AB", weights={"A": 3})
    assert balancer.pool.get("A").weight == 3
    balancer.set_weight("B", 2)
    balancer.drain("A")
    assert balancer.pool.get("A").state is ServerState.DRAINING
    assert {_get(balancer).json()["server"] for _ in range(4)} == {"B"}


def _call(app: Starlette, method: str, path: str, **kwargs: object) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as client:
            return await client.request(method, path, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go())


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"thing": 1}', b'{"item": 5}', json.dumps({"item": ""}).encode()]
)
def test_the_cart_app_refuses_a_bad_item_with_400(body):
    reply = _call(cart_app("A"), "POST", "/cart", content=body, headers={"cookie": "session_id=abc123"})
    assert reply.status_code == 400
    assert reply.json()["server"] == "A"


def test_the_cart_app_gives_a_new_shopper_a_session_cookie():
    app = cart_app("A", new_session_id=lambda: "fresh1")
    reply = _call(app, "GET", "/cart")
    assert reply.json()["session"] == "fresh1"
    assert reply.headers["set-cookie"].startswith("session_id=fresh1;")


def test_checkout_returns_the_order_and_empties_the_cart():
    with make_shop("embedded", ["A"]) as shop:
        shopper = shop.shopper("abc123")
        shopper.add("iPhone")
        assert shopper.checkout().items == ["iPhone"]
        assert shopper.view_cart().items == []


def test_adding_a_server_at_run_time_gives_it_new_sessions_and_moves_no_one():
    with make_shop("embedded", ["A", "B"]) as shop:
        old = [shop.shopper(f"u{i}", client_ip=f"10.0.0.{i + 1}") for i in range(4)]
        pins = [shopper.view_cart().server for shopper in old]
        shop.add_server("C")
        assert [shopper.view_cart().server for shopper in old] == pins
        fresh = {shop.shopper(f"n{i}", client_ip=f"10.0.1.{i + 1}").view_cart().server for i in range(3)}
        assert "C" in fresh


@settings(max_examples=30)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=120))
def test_any_cookie_header_is_answered_by_a_live_server(header):
    balancer, _ = _balancer("AB")
    reply = _get(balancer, headers={"cookie": header})
    assert reply.status_code == 200
    assert reply.json()["server"] in ("A", "B")
