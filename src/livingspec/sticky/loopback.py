"""Serve an ASGI app with uvicorn on a loopback port, in a background thread (the real target).

The listening socket is bound before uvicorn starts (port 0 picks a free one), so there is no
race for the port. ``stop`` shuts down gracefully; ``kill`` forces the exit, as a crash would:
from then on connections to the port are refused. Waits are bounded.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any, Literal

import uvicorn

LOOPBACK = "127.0.0.1"


class LoopbackServer:
    """An ASGI app on http://127.0.0.1:<port>, run by uvicorn in a daemon thread."""

    def __init__(
        self,
        app: Any,
        *,
        port: int = 0,
        host: str = LOOPBACK,
        name: str = "app",
        lifespan: Literal["auto", "on", "off"] = "auto",
    ) -> None:
        self.app = app
        self.host = host
        self.name = name
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only when the listener says TCP;
        # without it, Nagle plus delayed ACKs add 40 ms to every response on loopback.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # Linux: accepted sockets inherit it
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan=lifespan, timeout_keep_alive=5)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> LoopbackServer:
        """Start serving; raise RuntimeError if uvicorn is not up within ``timeout`` seconds."""
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name=f"uvicorn-{self.name}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start on {self.url} within {timeout} s")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful shutdown: finish requests in flight, then close."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._socket.close()

    def kill(self, timeout: float = 10.0) -> None:
        """Crash: stop at once, dropping connections; the port refuses connections afterwards."""
        self._server.force_exit = True
        self.stop(timeout)

    @property
    def running(self) -> bool:
        """True while uvicorn's thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
