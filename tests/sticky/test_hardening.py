"""The balancer against hostile requests: request targets, forwarded headers, hop-by-hop headers.

Regression tests for the server-side request forgery through the raw request target, the
500s on a target without '/' and on a backend header outside Latin-1, the client-chosen
X-Forwarded-For, and headers named in Connection; plus two fuzz tests (hypothesis, thorough
profile under CI): request targets through the ASGI app, and raw requests over real TCP with
arbitrary methods, targets and header bytes, which must get an answer, success or 4xx, and reach
no service but the chosen backend.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livingspec.infra import LoopbackServer, ManagedProcess, free_port
from livingspec.sticky import BadRequestTargetError, Balancer, InProcessNetwork, cart_app
from livingspec.sticky.forwarding import end_to_end, forwarded_for, request_target

Headers = list[tuple[bytes, bytes]]


def _raw_app(name: str, extra: Headers = (), seen: list[dict[str, Any]] | None = None) -> Callable[..., Any]:
    """A backend that records what it received and answers its name, with ``extra`` response headers."""

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        await receive()
        if seen is not None:
            seen.append({"path": scope["raw_path"], "headers": list(scope["headers"])})
        body = name.encode()
        headers = [(b"content-length", str(len(body)).encode()), *extra]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def _asgi(app: Any, raw_path: bytes, method: str = "GET", headers: Headers = (), query: bytes = b"") -> tuple:
    """Call an ASGI app with a hand-made scope (any raw target); returns (status, headers, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": list(headers),
        "client": ("192.0.2.9", 5000),
        "server": ("shop", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], start["headers"], body


def _shop(extra: Headers = (), seen: list[dict[str, Any]] | None = None) -> tuple[Balancer, list[dict[str, Any]]]:
    """Balancer over backend A, with a secret service on 127.0.0.1:9 in the same network that nobody may reach."""
    network, secret_hits = InProcessNetwork(), []
    network.attach("http://a.internal", _raw_app("A", extra, seen))
    network.attach("http://127.0.0.1:9", _raw_app("SECRET", seen=secret_hits))
    return Balancer({"A": "http://a.internal"}, transport=network, health_interval=None), secret_hits


# -- request targets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", [b"@127.0.0.1:9/x", b"http://127.0.0.1:9/x", b"127.0.0.1:9", b"x", b"", b"*", b"/a b", b"/\xff"]
)
def test_a_target_that_is_not_origin_form_is_refused_with_400_and_reaches_no_service(target):
    balancer, secret_hits = _shop()
    status, _, body = _asgi(balancer, target)
    assert status == 400
    assert b"SECRET" not in body
    assert secret_hits == []


def test_options_asterisk_is_answered_by_the_balancer_itself():
    balancer, secret_hits = _shop()
    status, headers, _ = _asgi(balancer, b"*", method="OPTIONS")
    assert status == 204
    assert dict(headers)[b"allow"].startswith(b"GET")
    assert secret_hits == []


def test_a_target_starting_with_two_slashes_stays_on_the_routed_server():
    seen: list[dict[str, Any]] = []
    balancer, secret_hits = _shop(seen=seen)
    status, _, body = _asgi(balancer, b"//127.0.0.1:9/x", query=b"a=1")
    assert (status, body) == (200, b"A")
    assert seen[-1]["path"] == b"//127.0.0.1:9/x"
    assert secret_hits == []


def test_over_real_tcp_the_userinfo_trick_gets_400_not_the_other_service():
    secret = LoopbackServer(_raw_app("SECRET"), name="secret").start()
    app = LoopbackServer(cart_app("A"), name="app-A").start()
    front = Balancer({"A": app.url}, health_interval=None).serve().start()
    try:
        for target, expected in ((f"@127.0.0.1:{secret.port}/x", b" 400 "), ("x", b" 400 "), ("/cart", b" 200 ")):
            with socket.create_connection(("127.0.0.1", front.port), timeout=5) as sock:
                sock.sendall(f"GET {target} HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n".encode())
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            assert expected in answer.split(b"\r\n", 1)[0], (target, answer[:200])
            assert b"SECRET" not in answer
    finally:
        front.stop()
        app.stop()
        secret.stop()


@settings(deadline=timedelta(seconds=5))
@given(
    method=st.sampled_from(["GET", "POST", "OPTIONS", "HEAD", "DELETE"]),
    raw_path=st.one_of(st.binary(max_size=200), st.binary(max_size=200).map(lambda b: b"/" + b)),
    query=st.binary(max_size=100),
)
def test_fuzz_any_request_target_gets_an_answer_from_the_routed_server_or_400(method, raw_path, query):
    try:
        checked = request_target(method, raw_path, query)
    except BadRequestTargetError:
        checked = None
    balancer, secret_hits = _shop()
    status, _, body = _asgi(balancer, raw_path, method=method, query=query)
    assert secret_hits == []
    if checked is None:
        assert status == 400
    else:
        assert (status, body) in ((200, b"" if method == "HEAD" else b"A"), (204, b""))


# -- headers ------------------------------------------------------------------------------------------


def test_a_backend_header_outside_latin_1_is_passed_on_as_bytes_not_a_500():
    euro = "price=\u20ac".encode()
    balancer, _ = _shop(extra=[(b"x-price", euro)])
    status, headers, body = _asgi(balancer, b"/")
    assert (status, body) == (200, b"A")
    assert (b"x-price", euro) in headers


def test_request_headers_named_in_connection_do_not_reach_the_server():
    seen: list[dict[str, Any]] = []
    balancer, _ = _shop(seen=seen)
    sent = [(b"connection", b"X-Secret, keep-alive"), (b"x-secret", b"1"), (b"x-keep", b"2"), (b"te", b"trailers")]
    _asgi(balancer, b"/", headers=sent)
    names = {key for key, _ in seen[-1]["headers"]}
    assert b"x-keep" in names
    assert not names & {b"x-secret", b"connection", b"te", b"keep-alive"}


def test_response_headers_named_in_connection_do_not_reach_the_client():
    extra = [(b"connection", b"x-internal"), (b"x-internal", b"yes"), (b"x-public", b"ok"), (b"keep-alive", b"5")]
    balancer, _ = _shop(extra=extra)
    _, headers, _ = _asgi(balancer, b"/")
    names = {key for key, _ in headers}
    assert b"x-public" in names
    assert not names & {b"x-internal", b"connection", b"keep-alive"}


def test_the_peer_address_is_appended_to_a_client_x_forwarded_for_in_one_header():
    seen: list[dict[str, Any]] = []
    balancer, _ = _shop(seen=seen)
    _asgi(balancer, b"/", headers=[(b"x-forwarded-for", b"6.6.6.6")])
    forwarded = [value for key, value in seen[-1]["headers"] if key == b"x-forwarded-for"]
    assert forwarded == [b"6.6.6.6, 192.0.2.9"]


def test_a_client_x_forwarded_for_does_not_choose_the_server_of_the_balancer_process():
    apps = [LoopbackServer(cart_app(name), name=f"app-{name}").start() for name in "ABC"]
    port = free_port()
    argv = [sys.executable, "-m", "livingspec.sticky", "balancer", "--port", str(port), "--strategy", "source-IP hash"]
    argv += [f"{name}={app.url}" for name, app in zip("ABC", apps, strict=True)]
    process = ManagedProcess(argv, name="balancer", ready_port=port)
    try:
        process.start()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            servers = {
                client.get("/cart", headers={"x-forwarded-for": f"10.9.{i}.{i}"}).json()["server"] for i in range(12)
            }
        assert len(servers) == 1, f"the client's X-Forwarded-For chose the servers {servers}"
    except subprocess.SubprocessError as error:  # pragma: no cover - the process could not run
        pytest.fail(str(error))
    finally:
        process.stop()
        for app in apps:
            app.stop()


def test_end_to_end_and_forwarded_for_are_pure_header_rules():
    headers = [(b"Connection", b"close, X-A"), (b"X-A", b"1"), (b"Upgrade", b"h2c"), (b"Accept", b"*/*")]
    assert end_to_end(headers) == [(b"accept", b"*/*")]
    assert forwarded_for([(b"X-Forwarded-For", b"1.1.1.1, 2.2.2.2")], "127.0.0.1") == b"1.1.1.1, 2.2.2.2, 127.0.0.1"


# -- fuzz over real TCP: arbitrary request targets and header bytes ----------------------------------

_METHODS = st.sampled_from([b"GET", b"POST", b"HEAD", b"OPTIONS", b"DELETE", b"PUT", b"CONNECT", b"G\x00T"])
_TARGETS = st.one_of(
    st.binary(max_size=120),
    st.binary(max_size=120).map(lambda b: b"/" + b),
    st.sampled_from([b"@127.0.0.1:{secret}/x", b"http://127.0.0.1:{secret}/x", b"127.0.0.1:{secret}", b"*"]),
)
_HEADERS = st.lists(
    st.tuples(
        st.one_of(st.binary(min_size=1, max_size=30), st.sampled_from([b"Host", b"Connection", b"X-Forwarded-For"])),
        st.binary(max_size=60),
    ),
    max_size=6,
)


@pytest.fixture(scope="module")
def fuzzed_shop():
    """A balancer in front of backend A, a secret service beside them; who received what is recorded."""
    seen_a: list[dict[str, Any]] = []
    seen_secret: list[dict[str, Any]] = []
    secret = LoopbackServer(_raw_app("SECRET", seen=seen_secret), name="secret").start()
    app = LoopbackServer(_raw_app("A", seen=seen_a), name="app-A").start()
    front = Balancer({"A": app.url}, health_interval=None).serve().start()
    try:
        yield front, secret, seen_a, seen_secret
    finally:
        front.stop()
        app.stop()
        secret.stop()


def _exchange(port: int, request: bytes) -> bytes:
    """Send raw bytes, read the answer until the server closes (bounded: 5 s per read, 1 MiB)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while len(answer) < 1 << 20 and (chunk := sock.recv(65536)):
            answer += chunk
    return answer


@settings(deadline=None)
@given(method=_METHODS, target=_TARGETS, headers=_HEADERS)
def test_fuzz_raw_requests_get_success_or_a_4xx_and_reach_only_the_chosen_backend(fuzzed_shop, method, target, headers):
    front, secret, seen_a, seen_secret = fuzzed_shop
    target = target.replace(b"{secret}", str(secret.port).encode())
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: shop", *(k + b": " + v for k, v in headers)]
    before = len(seen_a)
    answer = _exchange(front.port, b"\r\n".join([*lines, b"Connection: close", b"", b""]))
    status_line = answer.split(b"\r\n", 1)[0]
    assert seen_secret == [], "a request reached a service that is not a backend"
    assert b"SECRET" not in answer
    assert answer, f"no answer to {lines!r}"
    status = int(status_line.split(b" ")[1])
    assert 200 <= status < 300 or 400 <= status < 500, (status_line, answer[:300])
    if 200 <= status < 300 and len(seen_a) > before:
        assert seen_a[-1]["path"].startswith(b"/"), "only an origin-form target may reach the backend"


def _dropping_app(seen: list[bytes]) -> Callable[..., Any]:
    """A backend that answers /ok and, on any other path, drops the connection after the status line."""

    async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        await receive()
        seen.append(scope["raw_path"])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        if scope["raw_path"] != b"/ok":
            raise RuntimeError("the backend fails mid-answer")  # uvicorn drops the connection, body unsent
        await send({"type": "http.response.body", "body": b"ok"})

    return app


@pytest.mark.parametrize("engine", ["protocol", "asgi"])
def test_a_request_that_fails_mid_exchange_gets_502_and_leaves_the_server_in_the_pool(engine):
    # Before: the failure marked the server down, so one hostile request took it out of the pool (503 after).
    seen: list[bytes] = []
    app = LoopbackServer(_dropping_app(seen), name="app-A").start()
    balancer = Balancer({"A": app.url}, health_interval=None)
    front = balancer.serve(engine=engine).start()
    try:
        with httpx.Client(base_url=front.url, timeout=10) as client:
            assert client.get("/boom").status_code == 502
            assert balancer.pool.get("A").keeps_sessions
            assert client.get("/ok").status_code == 200
    finally:
        front.stop()
        app.stop()


@pytest.mark.parametrize("engine", ["protocol", "asgi"])
def test_connect_is_refused_with_400_and_never_forwarded(engine):
    # Before: CONNECT /x was forwarded; the backend switched protocols, dropped it, and the server was marked down.
    seen: list[bytes] = []
    app = LoopbackServer(_dropping_app(seen), name="app-A").start()
    balancer = Balancer({"A": app.url}, health_interval=None)
    front = balancer.serve(engine=engine).start()
    try:
        answer = _exchange(front.port, b"CONNECT /x HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n")
        assert answer.split(b"\r\n", 1)[0].split(b" ")[1] == b"400", answer[:200]
        assert seen == []
        assert balancer.pool.get("A").keeps_sessions
    finally:
        front.stop()
        app.stop()
