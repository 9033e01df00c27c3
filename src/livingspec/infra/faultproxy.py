"""A fault-injecting TCP proxy on loopback: pass traffic, or partition, lose one way, delay or pause it.

``FaultProxy(target_port)`` listens on a free 127.0.0.1 port and forwards every connection to the
target. The test that owns it sets its fault at any time, for connections open and new alike:

- ``heal()``: forward everything (the default);
- ``partition()``: drop both ways (connections stay open, bytes vanish, as a cut cable);
- ``drop("up")`` / ``drop("down")``: one-way loss, towards the target or back from it;
- ``delay(seconds)``: hold each chunk that long before forwarding it;
- ``pause()``: stop forwarding and keep the bytes until ``heal()``.

Loopback only; every thread is a daemon and ``close()`` (bounded) ends them all.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from livingspec.infra.errors import InfraError
from livingspec.infra.net import LOOPBACK, bound_socket

__all__ = ["DIRECTIONS", "FaultProxy", "FaultProxyError"]

DIRECTIONS = ("up", "down")  # up: client -> target, down: target -> client
_CHUNK = 65536
_POLL = 0.05  # seconds a paused pump waits between looks at the fault


class FaultProxyError(InfraError):
    """A fault the proxy does not know, or a proxy used after close."""


class FaultProxy:
    """Forwards 127.0.0.1:``port`` to 127.0.0.1:``target_port`` under the fault the test sets."""

    def __init__(self, target_port: int, target_host: str = LOOPBACK) -> None:
        self.target = (target_host, target_port)
        self.listener = bound_socket()
        self.listener.listen(64)
        self.port: int = self.listener.getsockname()[1]
        self.dropping: set[str] = set()
        self.delay_seconds = 0.0
        self.paused = threading.Event()
        self.closed = threading.Event()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.forwarded = {"up": 0, "down": 0}  # bytes delivered each way
        threading.Thread(target=self._accept, name=f"faultproxy-{self.port}", daemon=True).start()

    # ------------------------------------------------------------------ faults
    def heal(self) -> None:
        """Forward everything again (held bytes flow on)."""
        self.dropping, self.delay_seconds = set(), 0.0
        self.paused.clear()

    def partition(self) -> None:
        """Drop both ways."""
        self.dropping = set(DIRECTIONS)

    def drop(self, direction: str) -> None:
        """Lose everything going one way: "up" (towards the target) or "down" (back from it)."""
        if direction not in DIRECTIONS:
            raise FaultProxyError(f"unknown direction {direction!r}; known: {', '.join(DIRECTIONS)}")
        self.dropping = {direction}

    def delay(self, seconds: float) -> None:
        """Hold every chunk ``seconds`` before forwarding it (0 to 10 s)."""
        if not 0.0 <= seconds <= 10.0:
            raise FaultProxyError(f"a delay must be within 0..10 s, got {seconds}")
        self.delay_seconds = seconds

    def pause(self) -> None:
        """Stop forwarding; bytes wait until heal()."""
        self.paused.set()

    def close(self) -> None:
        """Stop accepting and close every connection."""
        self.closed.set()
        self.paused.clear()
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for sock in [self.listener, *sockets]:
            with contextlib.suppress(OSError):
                sock.close()

    # ------------------------------------------------------------------ forwarding
    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=2.0)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink, direction in ((client, upstream, "up"), (upstream, client, "down")):
                threading.Thread(target=self._pump, args=(source, sink, direction), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, direction: str) -> None:
        while not self.closed.is_set():
            try:
                data = source.recv(_CHUNK)
            except OSError:
                data = b""
            if not data:
                break
            while self.paused.is_set() and not self.closed.is_set():
                time.sleep(_POLL)
            if self.delay_seconds:
                time.sleep(self.delay_seconds)
            if direction in self.dropping:
                continue
            try:
                sink.sendall(data)
            except OSError:
                break
            self.forwarded[direction] += len(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
