"""Real target: app servers under uvicorn and a balancer on loopback, a server killed under load.

Bounded in count (144 requests) and time (every wait has a deadline); loopback only. HAProxy runs
the same load where its Debian binary is installed, else the test is skipped with the reason.
"""

from __future__ import annotations

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from livingspec.infra.haproxy import SBIN
from livingspec.runner.targets import TargetUnavailableError
from livingspec.sticky import Shop, haproxy_config, make_shop

SHOPPERS, REQUESTS_EACH, KILL_AFTER, WORKERS, DEADLINE = 12, 12, 48, 4, 60.0


def _cluster(peer: str) -> Shop:
    try:
        return make_shop("real", ["A", "B", "C"], balancer=peer)
    except TargetUnavailableError as error:
        pytest.skip(str(error))


@pytest.mark.parametrize("peer", ["ours", "haproxy"])
def test_a_server_killed_under_load_every_request_is_answered_and_none_reaches_it_after_detection(peer):
    shop = _cluster(peer)
    try:
        replies: list[tuple[bool, int, str | None]] = []  # (sent after the kill, status, server)
        lock, killed = threading.Lock(), threading.Event()
        start = time.monotonic()

        def shop_for(index: int) -> None:
            shopper = shop.shopper(f"load{index}", client_ip=f"10.1.0.{index + 1}")
            for n in range(REQUESTS_EACH):
                assert time.monotonic() - start < DEADLINE, "load test ran past its deadline"
                sent_after_kill = killed.is_set()
                reply = shopper.add(f"item{n}")
                with lock:
                    replies.append((sent_after_kill, reply.status, reply.server))
                    if len(replies) == KILL_AFTER and not killed.is_set():
                        killed.set()
                        shop.fail("B")

        with ThreadPoolExecutor(WORKERS) as pool:
            futures = [pool.submit(shop_for, i) for i in range(SHOPPERS)]
            noticed_at: int | None = None
            if peer == "ours":
                assert shop.balancer is not None
                deadline = time.monotonic() + 10
                killed.wait(DEADLINE)
                while shop.balancer.pool.get("B").keeps_sessions and time.monotonic() < deadline:
                    time.sleep(0.01)
                with lock:
                    noticed_at, redispatched = len(replies), shop.balancer.redispatched
                    served_b = shop.balancer.served["B"]
            for future in futures:
                future.result(timeout=DEADLINE)

        assert len(replies) == SHOPPERS * REQUESTS_EACH, "every request must get an answer"
        failed = [r for r in replies if r[1] != 200]
        assert len(failed) <= WORKERS, f"only requests in flight at the kill may fail, got {failed}"
        after_kill = [r for r in replies if r[0]]
        assert len(after_kill) >= SHOPPERS * REQUESTS_EACH - KILL_AFTER - WORKERS
        assert all(server != "B" for _, _, server in after_kill), "a request reached B after it died"
        unserved = [r for r in after_kill if r[1] != 200]
        assert not unserved, f"requests sent after the kill were not served: {unserved}"
        if peer == "ours":
            assert shop.balancer is not None and noticed_at is not None
            assert not shop.balancer.pool.get("B").keeps_sessions, "the health check never noticed B's death"
            assert shop.balancer.redispatched == redispatched, "a request was routed to B after detection"
            assert shop.balancer.served["B"] == served_b
    finally:
        shop.close()


def test_haproxy_accepts_the_configuration_we_write(tmp_path):
    try:
        from livingspec.infra import require_binary

        binary = require_binary("haproxy", SBIN)
    except TargetUnavailableError as error:
        pytest.skip(str(error))
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(8080, {"A": "http://127.0.0.1:9001", "B": "http://127.0.0.1:9002"}))
    check = subprocess.run([binary, "-c", "-f", str(config)], check=False, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "cookie SRV insert indirect nocache httponly" in config.read_text()


def test_a_balancer_started_in_front_of_a_list_of_urls_pins_a_shopper_over_loopback():
    from livingspec.sticky import Balancer, LoopbackServer, cart_app

    apps = [LoopbackServer(cart_app(name), lifespan="off").start() for name in ("A", "B")]
    try:
        with Balancer([app.url for app in apps]).serve() as front, httpx.Client(base_url=front.url) as client:
            client.cookies.set("session_id", "abc123")
            first = client.post("/cart", json={"item": "iPhone"})
            assert first.status_code == 200 and "SRV=s1." in first.headers["set-cookie"]
            second = client.post("/cart", json={"item": "iPad"})  # httpx keeps the SRV cookie
            assert second.json() == {"server": "A", "session": "abc123", "cart": ["iPhone", "iPad"]}
    finally:
        for app in apps:
            app.stop()


def test_the_haproxy_launcher_holds_its_port_until_haproxy_listens_and_refuses_a_bad_config():
    import socket

    from livingspec.infra import InfraError
    from livingspec.infra.haproxy import HAProxy

    def render(at: Any) -> str:
        answer = "    http-request return status 200 content-type text/plain string ok"
        frontend = ["frontend f", f"    bind {at.bind}", answer]
        return "\n".join(["defaults", "    mode http", "    timeout client 5s", *frontend, ""])

    try:
        proxy = HAProxy(render)
    except TargetUnavailableError as error:
        pytest.skip(str(error))
    with socket.socket() as other, pytest.raises(OSError):
        other.bind(("127.0.0.1", proxy.port))  # nobody else can take the port meanwhile
    with proxy:
        assert httpx.get(proxy.url + "/", timeout=5).text == "ok"
    broken = HAProxy(lambda at: render(at) + "    no-such-keyword\n")
    with pytest.raises(InfraError, match="no-such-keyword"):
        broken.start()


@pytest.mark.parametrize("peer", ["ours", "haproxy"])
def test_both_balancers_append_the_peer_to_x_forwarded_for(peer):
    """The benchmark compares like with like: HAProxy (``option forwardfor``) forwards the client's
    X-Forwarded-For with the peer appended, as our balancer does (before, HAProxy sent none)."""
    import socket

    received: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def backend() -> None:  # answers health checks and records the one proxied request (bounded)
        for _ in range(200):
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                data = connection.recv(65536)
                if b" /cart " in data:
                    received.append(data)
                connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")

    thread = threading.Thread(target=backend, daemon=True)
    thread.start()
    urls = {"A": f"http://127.0.0.1:{listener.getsockname()[1]}"}
    try:
        if peer == "haproxy":
            from livingspec.sticky import HAProxyBalancer

            try:
                proxy: Any = HAProxyBalancer(urls).start()
            except TargetUnavailableError as error:
                pytest.skip(str(error))
        else:
            from livingspec.sticky import Balancer
            from livingspec.sticky.fastpath import ProtocolServer

            proxy = ProtocolServer(Balancer(urls, health_interval=None)).start()
        try:
            reply = httpx.get(proxy.url + "/cart", headers={"x-forwarded-for": "203.0.113.7"}, timeout=10)
        finally:
            proxy.stop()
    finally:
        listener.close()
    assert reply.status_code == 200
    lines = [line.split(b":", 1) for line in received[-1].split(b"\r\n")[1:] if b":" in line]
    forwarded = b", ".join(value.strip() for name, value in lines if name.lower() == b"x-forwarded-for")
    assert forwarded == b"203.0.113.7, 127.0.0.1", received[-1]  # one field or several lines (RFC 9110 5.3)


def test_haproxy_keeps_a_live_server_whose_health_answer_takes_longer_than_the_check_interval():
    """A health answer in 300 ms (a busy server) leaves the server up, as our balancer's 1 s probe does;
    before ``timeout check 1s`` HAProxy waited only ``inter`` (100 ms) and, with ``fall 1``, marked it
    down, so a fresh shop's first shopper could land on B instead of A."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    stop = threading.Event()

    def slow_backend() -> None:  # bounded: at most 100 connections, each answered after 300 ms
        for _ in range(100):
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                connection.recv(65536)
                if stop.wait(0.3):
                    return
                connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")

    threading.Thread(target=slow_backend, daemon=True).start()
    from livingspec.sticky import HAProxyBalancer

    try:
        try:
            haproxy = HAProxyBalancer({"A": f"http://127.0.0.1:{listener.getsockname()[1]}"}).start()
        except TargetUnavailableError as error:
            pytest.skip(str(error))
        try:
            time.sleep(1.5)  # several check intervals (inter 100 ms), each answer 300 ms late
            assert haproxy.health() == {"A": True}
        finally:
            haproxy.stop()
    finally:
        stop.set()
        listener.close()
