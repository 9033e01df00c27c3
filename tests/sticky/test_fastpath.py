"""The fast path's connections: keep-alive on both sides, pipelining, HEAD; and wrk as the load tool."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from livingspec.infra import LoopbackServer, TargetUnavailableError
from livingspec.infra.loadgen import cookie_script, parse_wrk, run_wrk
from livingspec.sticky import Balancer


def _recording_app(ports: list[int], cookies: list[bytes]) -> Callable[..., Any]:
    """A backend that records the proxy's source port and the Cookie header of each request."""

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        await receive()
        ports.append(scope["client"][1])
        cookies.append(dict(scope["headers"]).get(b"cookie", b""))
        body = b"hello" if scope["method"] != "HEAD" else b""
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.fixture
def front():
    ports: list[int] = []
    cookies: list[bytes] = []
    app = LoopbackServer(_recording_app(ports, cookies), name="app-A").start()
    server = Balancer({"A": app.url}, health_interval=None).serve().start()
    try:
        yield server, ports, cookies
    finally:
        server.stop()
        app.stop()


def test_backend_connections_are_kept_alive_and_reused(front):
    # Before: the parser's keep-alive flag was read after the message ended (always false): one connection each.
    server, ports, _ = front
    with httpx.Client(base_url=server.url) as client:
        for _ in range(20):
            assert client.get("/x").text == "hello"
    assert len(ports) == 20
    assert len(set(ports)) == 1, f"expected one pooled backend connection, saw {len(set(ports))}"


def test_a_client_connection_is_kept_alive_and_pipelined_requests_are_answered_in_order(front):
    server, _, _ = front
    requests = b"GET /a HTTP/1.1\r\nHost: shop\r\n\r\nHEAD /b HTTP/1.1\r\nHost: shop\r\n\r\n"
    requests += b"GET /c HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(requests)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.count(b"HTTP/1.1 200 OK") == 3
    assert answer.count(b"hello") == 2  # the HEAD answer has no body
    assert answer.endswith(b"hello")


def test_wrk_output_is_parsed_in_its_units():
    output = """Running 1s test @ http://127.0.0.1:1/
  Latency Distribution
     50%  208.00us
     75%    1.10ms
     90%    2.00ms
     99%    1.21s{trailing}
  1234 requests in 1.00s, 1.23MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   1234.50
""".format(trailing=" ")  # wrk pads some figures with a trailing space
    result = parse_wrk(output)
    assert (result.requests, result.requests_per_s, result.errors) == (1234, 1234.5, 7)
    assert result.latency_ms == pytest.approx({50: 0.208, 75: 1.1, 90: 2.0, 99: 1210.0})


def test_the_lua_script_sends_each_session_its_cookies_in_turn(front):
    server, _, cookies = front
    try:
        result = run_wrk(server.url + "/", connections=2, duration=1, script=cookie_script("/", ["s=1", "s=2"]))
    except TargetUnavailableError as error:
        pytest.skip(str(error))
    assert result.requests > 0 and result.errors == 0
    assert set(cookies) == {b"s=1", b"s=2"}


def test_a_client_that_never_finishes_its_request_is_disconnected(front, monkeypatch):
    from livingspec.sticky import fastpath

    monkeypatch.setattr(fastpath, "HEADER_TIMEOUT_S", 0.2)
    server, ports, _ = front
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: sh")  # and nothing more (slow loris)
        assert sock.recv(65536) == b"", "the balancer must close a request that never completes"
    assert ports == []


def test_a_backend_that_never_answers_gets_502_within_the_balancers_timeout():
    import asyncio

    async def silent(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(30)  # never answers in time

    app = LoopbackServer(silent, name="app-silent").start()
    balancer = Balancer({"A": app.url}, health_interval=None, timeout=0.3)
    server = balancer.serve().start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            reply = client.get("/")
        assert reply.status_code == 502 and "no answer within 0.3 s" in reply.text
        assert balancer.pool.get("A").keeps_sessions  # a slow answer is the health check's to judge
    finally:
        server.stop()
        app.kill()


def test_two_workers_on_one_port_honour_each_others_pins():
    import subprocess
    import sys

    from livingspec.infra import ManagedProcess, free_port
    from livingspec.sticky import cart_app

    apps = [LoopbackServer(cart_app(name), name=f"app-{name}").start() for name in "AB"]
    port = free_port()
    argv = [sys.executable, "-m", "livingspec.sticky", "balancer", "--port", str(port), "--workers", "2"]
    argv += ["--secret", "shared key", *(f"{name}={app.url}" for name, app in zip("AB", apps, strict=True))]
    process = ManagedProcess(argv, name="balancer-workers", ready_port=port)
    try:
        process.start()
        url = f"http://127.0.0.1:{port}/cart"
        first = httpx.get(url, headers={"cookie": "session_id=abc123"}, timeout=10)
        pin = f"session_id=abc123; SRV={first.cookies['SRV']}"
        # A fresh connection each time: the kernel spreads them over both workers (SO_REUSEPORT).
        servers = {httpx.get(url, headers={"cookie": pin}, timeout=10).json()["server"] for _ in range(20)}
        assert servers == {first.json()["server"]}
    finally:
        process.stop()
        for app in apps:
            app.stop()
    refused = subprocess.run(
        [*argv[:6], "--workers", "2", "--strategy", "session table", "A=http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode != 0 and "one process's memory" in refused.stderr
