"""Where the compression server runs: in process (embedded) or under uvicorn on loopback (real).

Both answer the same ``fetch``: one request to the sample application set up as ``ServerSetup``
says (our middleware with a preference, Starlette's GZipMiddleware, or no compression, optionally
behind nginx with gzip on). The real target starts one uvicorn per setup on first use, and one
nginx per setup that asks for it, and keeps them (and one HTTP client per server) until ``close``.
"""

from __future__ import annotations

import atexit
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from livingspec.compression.app import build_app, sample_app, starlette_app
from livingspec.compression.client import Exchange, fetch_in_process, fetch_over_http, http_client
from livingspec.compression.errors import CompressionError
from livingspec.compression.middleware import ASGIApp, CompressionPolicy

#: The applications a setup may serve: ours, the library peer, and the bare app (for nginx to compress).
APPS: tuple[str, ...] = ("module_app", "starlette_app", "bare_app")


class NginxOnlyOnRealError(CompressionError):
    """nginx in front was asked of the embedded target, which runs no servers."""


@dataclass(frozen=True)
class ServerSetup:
    """What serves a request: ``app`` (one of APPS), our server's coding ``preference``, nginx in front."""

    app: str = "module_app"
    preference: tuple[str, ...] = ()
    nginx: bool = False


class CompressionTarget(Protocol):
    """The compression server a scenario talks to."""

    def fetch(
        self,
        setup: ServerSetup,
        path: str,
        accept_encoding: str | None,
        *,
        method: str = "GET",
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        """One request to the server ``setup`` describes; the response as seen on the wire."""
        ...

    def close(self) -> None:
        """Stop whatever the target started."""
        ...


def embedded_app(setup: ServerSetup) -> ASGIApp:
    """The ASGI application ``setup`` describes, in this process."""
    if setup.app == "starlette_app":
        return starlette_app
    if setup.app == "bare_app":
        return sample_app()
    return build_app(CompressionPolicy(preference=setup.preference) if setup.preference else None)


class EmbeddedTarget:
    """The sample application in process, through httpx's ASGITransport."""

    def fetch(
        self,
        setup: ServerSetup,
        path: str,
        accept_encoding: str | None,
        *,
        method: str = "GET",
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        if setup.nginx:
            raise NginxOnlyOnRealError("nginx runs only on the real target")
        return fetch_in_process(embedded_app(setup), path, accept_encoding, method=method, body=body, headers=headers)

    def close(self) -> None:
        """Nothing to stop."""


class RealTarget:
    """uvicorn on loopback per setup (nginx in front when asked), started on first use, kept until ``close``."""

    def __init__(self) -> None:
        from livingspec.compression.servers import NginxProxy, UvicornServer

        self._servers: dict[tuple[str, tuple[str, ...]], UvicornServer] = {}
        self._proxies: dict[ServerSetup, NginxProxy] = {}
        self._clients: dict[str, httpx.Client] = {}  # one per base URL: building one costs ~0.1 s

    def base_url(self, setup: ServerSetup) -> str:
        """Where requests for ``setup`` go; starts its servers if they are not running yet.

        nginx missing raises TargetUnavailableError.
        """
        from livingspec.compression.servers import NginxProxy, UvicornServer

        key = (setup.app, setup.preference)
        if key not in self._servers:
            self._servers[key] = UvicornServer(setup.app, setup.preference or None).start()
        server = self._servers[key]
        if not setup.nginx:
            return server.base_url
        if setup not in self._proxies:
            self._proxies[setup] = NginxProxy(server.port).start()
        return self._proxies[setup].base_url

    def fetch(
        self,
        setup: ServerSetup,
        path: str,
        accept_encoding: str | None,
        *,
        method: str = "GET",
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        base_url = self.base_url(setup)
        if base_url not in self._clients:
            self._clients[base_url] = http_client(base_url)
        client = self._clients[base_url]
        return fetch_over_http(
            base_url, path, accept_encoding, method=method, body=body, headers=headers, client=client
        )

    def close(self) -> None:
        """Close the clients, stop nginx, then uvicorn."""
        for client in self._clients.values():
            client.close()
        for proxy in self._proxies.values():
            proxy.stop()
        for server in self._servers.values():
            server.stop()
        self._clients.clear()
        self._proxies.clear()
        self._servers.clear()


_shared: dict[str, CompressionTarget] = {}


def open_target(target: str) -> CompressionTarget:
    """The process's target of that name (``embedded`` or ``real``); the real one is stopped at exit."""
    if target not in _shared:
        if target == "embedded":
            _shared[target] = EmbeddedTarget()
        elif target == "real":
            real = RealTarget()
            atexit.register(real.close)
            _shared[target] = real
        else:
            raise CompressionError(f"unknown target {target!r}; known: embedded, real")
    return _shared[target]
