"""The app server of the seed's shop: a Starlette app that keeps each session's cart.

With ``MemoryCartStore`` (the seed's design) the cart lives in this server process's memory:
fast and simple, and lost when the server dies or the user lands elsewhere. That is why the
balancer must be sticky. With a store shared by every server (``MemoryCartStore`` shared in
process on the embedded target, ``RedisCartStore`` on the real one) any server can serve any
request and a failover loses nothing.

HTTP interface (JSON): ``GET /health``; ``GET /cart``; ``POST /cart`` with ``{"item": ...}``;
``POST /checkout`` (returns the order and empties the cart). Every answer names the server
(``"server"`` and the ``X-Server`` header). The session is the ``session_id`` cookie; a request
without one gets a fresh id from ``new_session_id``.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

SESSION_COOKIE = "session_id"
_SESSION = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_ITEM = 200


class CartStore(Protocol):
    """Where carts live: session id -> list of item names."""

    async def add(self, session: str, item: str) -> list[str]:
        """Append an item to the session's cart; return the cart."""
        ...

    async def items(self, session: str) -> list[str]:
        """The session's cart (empty when it has none)."""
        ...

    async def clear(self, session: str) -> None:
        """Empty the session's cart."""
        ...


class MemoryCartStore:
    """Carts in this process's memory: one per server (sticky sessions) or one shared by all (in process only)."""

    def __init__(self) -> None:
        self.carts: dict[str, list[str]] = {}

    async def add(self, session: str, item: str) -> list[str]:
        """Append in memory."""
        cart = self.carts.setdefault(session, [])
        cart.append(item)
        return list(cart)

    async def items(self, session: str) -> list[str]:
        """Read from memory."""
        return list(self.carts.get(session, []))

    async def clear(self, session: str) -> None:
        """Forget the cart."""
        self.carts.pop(session, None)


class RedisCartStore:
    """Carts in Redis lists (``cart:<session>``), shared by every app server: a failover loses nothing."""

    def __init__(self, url: str, prefix: str = "cart:") -> None:
        self.url = url
        self.prefix = prefix
        self._clients: dict[int, Any] = {}

    def _client(self) -> Any:
        # One connection pool per event loop: each app server runs in its own loop (thread).
        import redis.asyncio as redis_asyncio

        loop_id = id(asyncio.get_running_loop())
        if loop_id not in self._clients:
            self._clients[loop_id] = redis_asyncio.from_url(self.url, decode_responses=True)
        return self._clients[loop_id]

    async def add(self, session: str, item: str) -> list[str]:
        """RPUSH then LRANGE."""
        client = self._client()
        await client.rpush(self.prefix + session, item)
        return list(await client.lrange(self.prefix + session, 0, -1))

    async def items(self, session: str) -> list[str]:
        """LRANGE."""
        return list(await self._client().lrange(self.prefix + session, 0, -1))

    async def clear(self, session: str) -> None:
        """DEL."""
        await self._client().delete(self.prefix + session)

    async def close(self) -> None:
        """Close the connection pool of the running loop."""
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.aclose()


def cart_app(name: str, store: CartStore | None = None, new_session_id: Callable[[], str] | None = None) -> Starlette:
    """An app server called ``name`` keeping carts in ``store`` (its own memory by default)."""
    carts: CartStore = store if store is not None else MemoryCartStore()
    fresh = new_session_id or (lambda: secrets.token_hex(8))

    def session_of(request: Request) -> tuple[str, bool]:
        given = request.cookies.get(SESSION_COOKIE, "")
        return (given, False) if _SESSION.fullmatch(given) else (fresh(), True)

    def answer(payload: dict[str, Any], session: str, created: bool, status: int = 200) -> Response:
        response = JSONResponse({"server": name, "session": session, **payload}, status_code=status)
        response.headers["X-Server"] = name
        if created:
            response.set_cookie(SESSION_COOKIE, session, path="/", httponly=True, samesite="lax")
        return response

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok", headers={"X-Server": name})

    async def show(request: Request) -> Response:
        session, created = session_of(request)
        return answer({"cart": await carts.items(session)}, session, created)

    async def add(request: Request) -> Response:
        session, created = session_of(request)
        try:
            body = await request.json()
            item = body["item"]
        except (ValueError, KeyError, TypeError):
            return answer({"error": 'send JSON {"item": "<name>"}'}, session, created, 400)
        if not isinstance(item, str) or not 0 < len(item) <= _MAX_ITEM:
            return answer({"error": f"item must be a string of 1-{_MAX_ITEM} characters"}, session, created, 400)
        return answer({"cart": await carts.add(session, item)}, session, created)

    async def checkout(request: Request) -> Response:
        session, created = session_of(request)
        items = await carts.items(session)
        await carts.clear(session)
        return answer({"order": items}, session, created)

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/cart", show, methods=["GET"]),
        Route("/cart", add, methods=["POST"]),
        Route("/checkout", checkout, methods=["POST"]),
    ]
    return Starlette(routes=routes)
