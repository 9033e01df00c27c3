"""An ASGI app served by uvicorn on loopback, in a thread of this process.

A thread (not a child process) so that a scenario and the server share injected clocks and
stores: "When 15 minutes pass" moves the clock the server reads, while requests still travel over
real TCP. The socket is bound before uvicorn starts (port 0 picks a free one), so there is no race
for the port, and it has TCP_NODELAY (see ``bound_socket``). ``stop`` shuts down gracefully;
``kill`` drops connections as a crash would. Every wait is bounded.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Literal

import uvicorn

from livingspec.infra.errors import InfraError
from livingspec.infra.lifecycle import Started
from livingspec.infra.net import LOOPBACK, bound_socket


class LoopbackServer(Started):
    """An ASGI app on http://127.0.0.1:<port>, run by uvicorn in a daemon thread; a context manager."""

    def __init__(
        self,
        app: Any,
        *,
        port: int = 0,
        host: str = LOOPBACK,
        name: str = "app",
        lifespan: Literal["auto", "on", "off"] = "off",
        proxy_headers: bool = False,
        **uvicorn_options: Any,
    ) -> None:
        self.app = app
        self.host = host
        self.name = name
        self._socket = bound_socket(host, port)
        self.port: int = self._socket.getsockname()[1]
        # uvloop and httptools are installed for the balancer; other servers keep asyncio and h11 unless asked.
        uvicorn_options.setdefault("loop", "asyncio")
        uvicorn_options.setdefault("http", "h11")
        # proxy_headers=False: trust no client's X-Forwarded-For (uvicorn trusts 127.0.0.1 by default).
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan=lifespan,
            timeout_keep_alive=5,
            proxy_headers=proxy_headers,
            **uvicorn_options,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the server, ``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> LoopbackServer:
        """Start serving; InfraError if uvicorn is not up within ``timeout`` seconds."""
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name=f"uvicorn-{self.name}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise InfraError(f"{self.name} did not start on {self.url} within {timeout} s")
            time.sleep(0.005)
        return self

    def request_exit(self) -> None:
        """Ask uvicorn to exit without waiting (stop several servers together, then ``stop`` each)."""
        self._server.should_exit = True

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful shutdown: finish requests in flight, then close."""
        self._server.should_exit = True
        if self._thread is not None and self._thread.is_alive():
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
