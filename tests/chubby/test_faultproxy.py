"""The fault-injecting TCP proxy on loopback, against an echo server: pass, partition, one-way loss, delay, pause."""

import socket
import threading
import time

import pytest

from livingspec.infra.faultproxy import FaultProxy, FaultProxyError
from livingspec.infra.net import bound_socket


@pytest.fixture
def echo_port():
    server = bound_socket()
    server.listen(8)
    received: list[bytes] = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=echo, args=(conn,), daemon=True).start()

    def echo(conn):
        with conn:
            while data := conn.recv(1024):
                received.append(data)
                conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], received
    server.close()


def _ask(sock, data=b"ping", timeout=1.0):
    sock.settimeout(timeout)
    sock.sendall(data)
    try:
        return sock.recv(1024)
    except TimeoutError:
        return None


def test_faults_cut_lose_delay_and_hold_the_traffic(echo_port):
    port, received = echo_port
    proxy = FaultProxy(port)
    try:
        sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        assert _ask(sock) == b"ping"
        proxy.partition()
        assert _ask(sock, b"lost", timeout=0.3) is None
        assert b"lost" not in b"".join(received)
        proxy.drop("down")  # the server hears, the client does not
        assert _ask(sock, b"half", timeout=0.3) is None
        assert b"half" in b"".join(received)
        proxy.heal()
        proxy.delay(0.3)
        start = time.monotonic()
        assert _ask(sock, b"slow") == b"slow"
        assert time.monotonic() - start >= 0.6  # held both ways
        proxy.heal()
        proxy.pause()
        assert _ask(sock, b"held", timeout=0.3) is None
        proxy.heal()
        sock.settimeout(2)
        assert sock.recv(1024) == b"held"  # the held bytes flow on
    finally:
        proxy.close()


def test_unknown_faults_are_refused():
    proxy = FaultProxy(1)
    try:
        with pytest.raises(FaultProxyError, match="unknown direction 'sideways'; known: up, down"):
            proxy.drop("sideways")
        with pytest.raises(FaultProxyError, match=r"within 0\.\.10 s"):
            proxy.delay(60)
    finally:
        proxy.close()
