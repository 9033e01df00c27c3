"""An in-process network for the embedded target: httpx requests to ASGI apps by host, with crashable hosts.

The balancer talks to its app servers through an httpx transport. On the real target that is
TCP over loopback; on the embedded target it is this transport, which hands each request to the
ASGI app registered for the URL's host and port, or fails to connect, as a dead server would.
"""

from __future__ import annotations

from typing import Any

import httpx


def _address(url: httpx.URL | str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port or (443 if parsed.scheme == 'https' else 80)}"


class InProcessNetwork(httpx.AsyncBaseTransport):
    """Host:port -> ASGI app; a crashed or unknown host refuses the connection (httpx.ConnectError)."""

    def __init__(self) -> None:
        self._apps: dict[str, httpx.ASGITransport] = {}
        self._crashed: set[str] = set()

    def attach(self, url: str, app: Any) -> None:
        """Serve ``app`` at ``url``'s host and port."""
        self._apps[_address(url)] = httpx.ASGITransport(app=app)
        self._crashed.discard(_address(url))

    def crash(self, url: str) -> None:
        """The server at ``url`` dies: connections to it are refused from now on."""
        self._crashed.add(_address(url))

    def revive(self, url: str) -> None:
        """The server at ``url`` is reachable again (with whatever memory its app object kept)."""
        self._crashed.discard(_address(url))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Deliver the request to the app at its address, or refuse the connection."""
        address = _address(request.url)
        if address in self._crashed or address not in self._apps:
            raise httpx.ConnectError(f"connection refused by {address}", request=request)
        return await self._apps[address].handle_async_request(request)
