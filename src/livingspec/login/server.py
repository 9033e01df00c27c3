"""The login app served by uvicorn on a free loopback port, in a thread of this process.

A thread (not a child process) so the scenario and the server share the injected clock and the
database: "When 15 minutes pass" moves the same ManualClock the server reads. Requests still
travel over real TCP on 127.0.0.1 to real uvicorn.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

LOOPBACK = "127.0.0.1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class LoopbackServer:
    """uvicorn serving ``app`` on 127.0.0.1; start() waits (bounded) until it listens."""

    def __init__(self, app: Any, port: int | None = None, start_timeout: float = 10.0) -> None:
        self.port = port or _free_port()
        self.start_timeout = start_timeout
        config = uvicorn.Config(
            app, host=LOOPBACK, port=self.port, log_level="warning", lifespan="off", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> LoopbackServer:
        """Start serving; RuntimeError when uvicorn is not up within the timeout."""
        self.thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"uvicorn did not start on {self.base_url} within {self.start_timeout} s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait (bounded) for its thread."""
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=self.start_timeout)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _demo_site(parameters: Any, allow_weak: bool) -> Any:
    from livingspec.login.store import Order
    from livingspec.login.web import LoginSite

    site = LoginSite.create(parameters=parameters, allow_weak_hashing=allow_weak)
    site.register("John", "john@example.com", "mypassword123")
    site.add_order("john@example.com", Order("A-1001", "2026-03-02", "Espresso machine", 8950))
    site.add_order("john@example.com", Order("A-1002", "2026-05-17", "Coffee beans", 1200))
    return site


def demo_app() -> Any:
    """A demo shop with John (john@example.com / mypassword123), for ``uvicorn --factory`` by hand."""
    from livingspec.login.passwords import OWASP

    return _demo_site(OWASP, False).app


def demo_app_insecure_fast_hashing() -> Any:
    """The demo shop with near-free hashing: measures the web stack alone. Never for real use."""
    from livingspec.login.passwords import INSECURE_FOR_TESTS

    return _demo_site(INSECURE_FOR_TESTS, True).app
