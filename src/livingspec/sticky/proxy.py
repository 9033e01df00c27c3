"""The balancer: an async HTTP reverse proxy that routes each request by an affinity strategy.

``Balancer`` is an ASGI app. Mount it in process (the embedded target: its app servers reached
through an ``InProcessNetwork``) or serve it on a loopback port with ``serve()`` (the real target:
app servers over TCP). Per request it:

1. reads what the strategy may use: client address, the app's ``session_id`` cookie, the
   affinity cookie;
2. asks the strategy for a route; the affinity cookie is removed before forwarding (*indirect*);
3. forwards the request; when the server refuses the connection it is marked down at once
   (passive health check) and the request is routed again (HAProxy's ``option redispatch``),
   so the user is re-pinned to a live server: the in-memory cart stayed with the dead one. A
   failure after the request was sent answers 502 and leaves the verdict to the health check, so
   no request a client writes can take a server out of the pool;
4. on a new pin, inserts the affinity cookie and marks the response ``Cache-Control: private``
   (*nocache*).

Active health checks (``GET /health``; ``fall`` failures mark a server down, ``rise`` successes
bring it back) run every ``health_interval`` seconds while the balancer is served, or one round
at a time through ``check_health()`` (the embedded target calls it: no clocks in tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from secrets import token_bytes
from typing import TYPE_CHECKING, Any, Literal

import httpx

from livingspec.infra import LoopbackServer
from livingspec.sticky.app import SESSION_COOKIE
from livingspec.sticky.cookies import AffinityCookie, split_cookies
from livingspec.sticky.errors import (
    BadRequestTargetError,
    InvalidServerError,
    NoLiveServerError,
    UnknownServerError,
)
from livingspec.sticky.forwarding import RECOMPUTED, append_peer, end_to_end, hop_by_hop_in, request_target
from livingspec.sticky.pool import Pool

if TYPE_CHECKING:
    from livingspec.sticky.fastpath import ProtocolServer
from livingspec.sticky.strategies import CookieInsert, RequestKey, Route, Strategy, StrategySpec, make_strategy

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

# Response headers the proxy recomputes (the body length) on top of the hop-by-hop ones.
_RESPONSE_RECOMPUTED = frozenset({b"content-length"})
# Request headers the proxy recomputes (Host, Content-Length, X-Forwarded-For) or filters itself (Cookie),
# and Expect: the proxy has the whole body already; a 100 Continue from the server would only confuse it.
_REQUEST_DROP = RECOMPUTED | {b"cookie", b"expect"}
_NOTHING: frozenset[bytes] = frozenset()
_OPTIONS_ALLOW = b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"


class Balancer:
    """A sticky-session load balancer in front of a list of backend URLs.

    ``backends``: a list of URLs (servers named s1, s2, ...) or a mapping name -> URL.
    ``strategy``: a name from STRATEGIES ("cookie insert" by default), a StrategySpec, or a Strategy object.
    ``transport``: how to reach the backends (default: real HTTP; an InProcessNetwork in process).
    ``cookie``: the affinity cookie's name, flags and signing key. By default cookies are signed with a
    random key made here (a client cannot pick its server); give every balancer instance the same
    ``AffinityCookie(secret=...)`` so pins survive restarts, or ``secret=None`` for HAProxy's bare names.
    """

    def __init__(
        self,
        backends: Sequence[str] | Mapping[str, str] = (),
        strategy: str | Strategy | StrategySpec = "cookie insert",
        *,
        cookie: AffinityCookie | None = None,
        weights: Mapping[str, int] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        health_path: str = "/health",
        health_interval: float | None = 0.5,
        fall: int = 1,
        rise: int = 1,
        timeout: float = 5.0,
        max_body: int = 1 << 20,
    ) -> None:
        self.strategy = make_strategy(
            strategy, cookie if cookie is not None else AffinityCookie(secret=token_bytes(32))
        )
        self.pool = Pool()
        self.urls: dict[str, str] = {}
        self._origins: dict[str, httpx.URL] = {}  # name -> scheme, host, port (no path: targets are checked)
        named = (
            backends.items() if isinstance(backends, Mapping) else ((f"s{i + 1}", u) for i, u in enumerate(backends))
        )
        for name, url in named:
            self.add_backend(name, url, (weights or {}).get(name, 1))
        self.transport = transport
        self.health_path = health_path
        self.health_interval = health_interval
        self.fall, self.rise = fall, rise
        self.timeout = timeout
        self.max_body = max_body
        self.served: Counter[str] = Counter()  # requests answered, per server
        self.redispatched = 0  # requests re-routed after their server refused the connection
        self._streak: dict[str, int] = {}  # + consecutive health successes, - consecutive failures
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._health_task: asyncio.Task[None] | None = None

    # -- operating the pool --------------------------------------------------------------------

    def add_backend(self, name: str, url: str, weight: int = 1) -> None:
        """Scale out: a new server takes new sessions from now on."""
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise InvalidServerError(f"backend URL {url!r} of {name!r} must be http(s)://host[:port]")
        self.pool.add(name, weight)
        self.urls[name] = str(parsed).rstrip("/")
        self._origins[name] = httpx.URL(scheme=parsed.scheme, host=parsed.host, port=parsed.port)

    def remove_backend(self, name: str) -> None:
        """Take a server out of the pool: its cookies reach nobody and its sessions are re-pinned."""
        self.pool.remove(name)
        del self.urls[name]
        del self._origins[name]

    def drain(self, name: str) -> None:
        """Retire a server: it keeps its sessions (cookie insert) and gets no new ones."""
        self.pool.drain(name)

    def set_weight(self, name: str, weight: int) -> None:
        """Change a server's share of new sessions."""
        self.pool.set_weight(name, weight)

    # -- health ------------------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            limits = httpx.Limits(max_keepalive_connections=64, max_connections=256)
            nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
            transport = self.transport or httpx.AsyncHTTPTransport(limits=limits, socket_options=nodelay)
            self._client = httpx.AsyncClient(transport=transport, timeout=self.timeout)
            for name in ("accept", "accept-encoding", "connection", "user-agent"):
                del self._client.headers[name]  # forward the client's own headers, not httpx's defaults
            self._client_loop = loop
        return self._client

    async def check_health(self) -> dict[str, bool]:
        """One round of active health checks; returns server -> healthy now (after rise/fall)."""
        names = list(self.urls)

        async def probe(name: str) -> bool:
            try:
                reply = await self._http().get(self.urls[name] + self.health_path, timeout=1.0)
            except httpx.HTTPError:
                return False
            return reply.status_code == 200

        results = await asyncio.gather(*(probe(name) for name in names))
        for name, ok in zip(names, results, strict=True):
            streak = self._streak.get(name, 0)
            streak = max(streak, 0) + 1 if ok else min(streak, 0) - 1
            self._streak[name] = streak
            with contextlib.suppress(UnknownServerError):
                if streak <= -self.fall:
                    self.pool.mark_down(name)
                elif streak >= self.rise:
                    self.pool.mark_up(name)
        return {name: self.pool.get(name).keeps_sessions for name in names if name in self.pool}

    async def _health_loop(self, interval: float) -> None:
        while True:
            await self.check_health()
            await asyncio.sleep(interval)

    async def aclose(self) -> None:
        """Stop health checks and close connections to the backends."""
        if self._health_task is not None:
            self._health_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._health_task
            self._health_task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- serving -------------------------------------------------------------------------------------

    def serve(self, port: int = 0, engine: Literal["protocol", "asgi"] = "protocol") -> LoopbackServer | ProtocolServer:
        """The balancer on a loopback port in a thread, health checks running; use as a context manager.

        ``engine``: ``protocol`` (default) serves the fast path (``sticky.fastpath``: asyncio protocols,
        httptools, pooled keep-alive backend connections, uvloop); ``asgi`` serves this ASGI app under uvicorn.
        """
        if engine == "asgi":
            return LoopbackServer(self, port=port, name="balancer", lifespan="on")
        from livingspec.sticky.fastpath import ProtocolServer

        return ProtocolServer(self, port=port)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._proxy(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.health_interval:
                    self._health_task = asyncio.create_task(self._health_loop(self.health_interval))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _read_body(self, receive: Receive) -> bytes | None:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _request_key(self, scope: Scope, cookies: Mapping[str, str]) -> RequestKey:
        """What the strategy may use: the peer address (never a header a client wrote) and the cookies."""
        cookie_name = self.strategy.cookie.name if isinstance(self.strategy, CookieInsert) else None
        client_ip = scope["client"][0] if scope.get("client") else ""
        return RequestKey(client_ip, cookies.get(SESSION_COOKIE), cookies.get(cookie_name) if cookie_name else None)

    def _upstream_headers(self, scope: Scope) -> tuple[list[tuple[bytes, bytes]], RequestKey]:
        """End-to-end request headers, the affinity cookie stripped (indirect), X-Forwarded-For appended.

        One pass over the headers (this runs for every request): hop-by-hop ones and the recomputed ones
        are left out, and the Cookie and X-Forwarded-For values are gathered as they go by.
        """
        pairs = [(key.lower(), value) for key, value in scope["headers"]]
        hop = hop_by_hop_in(pairs)
        headers, cookies, claims = [], [], []
        for pair in pairs:
            key = pair[0]
            if key == b"cookie":
                cookies.append(pair[1].decode("latin-1"))
            elif key == b"x-forwarded-for":
                claims.append(pair[1])
            elif key not in hop and key not in _REQUEST_DROP:
                headers.append(pair)
        cookie_name = self.strategy.cookie.name if isinstance(self.strategy, CookieInsert) else None
        parsed, forwarded_cookie = split_cookies("; ".join(cookies), cookie_name)
        request = self._request_key(scope, parsed)
        if forwarded_cookie:
            headers.append((b"cookie", forwarded_cookie.encode("latin-1")))
        headers.append((b"x-forwarded-for", append_peer(claims, request.client_ip)))
        return headers, request

    async def _proxy(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            target = request_target(scope["method"], scope.get("raw_path") or b"", scope.get("query_string", b""))
        except BadRequestTargetError as error:
            await _plain(send, 400, str(error))
            return
        body = await self._read_body(receive)
        if body is None:
            await _plain(send, 413, f"request body over {self.max_body} bytes")
            return
        if target == b"*":  # OPTIONS * asks about the server in general: the balancer answers for itself
            await send({"type": "http.response.start", "status": 204, "headers": [(b"allow", _OPTIONS_ALLOW)]})
            await send({"type": "http.response.body", "body": b""})
            return
        headers, request = self._upstream_headers(scope)
        for _attempt in range(len(self.urls) + 1):  # each refusal marks one server down
            try:
                route = self.strategy.route(request, self.pool.view())
            except NoLiveServerError as error:
                await _plain(send, 503, str(error))
                return
            # From parsed components only: the backend's scheme, host and port, and the checked target.
            url = self._origins[route.server].copy_with(raw_path=target)
            try:
                upstream = self._http().build_request(scope["method"], url, headers=headers, content=body)
                reply = await self._http().send(upstream, stream=True)
                try:
                    content = b"".join([chunk async for chunk in reply.aiter_raw()])
                finally:
                    await reply.aclose()
            except (httpx.ConnectError, httpx.ConnectTimeout):
                # Nothing was sent: the server is dead. Mark it down and route again (redispatch).
                with contextlib.suppress(UnknownServerError):
                    self.pool.mark_down(route.server)
                self.redispatched += 1
                continue
            except httpx.HTTPError as error:
                # The request reached the server and the exchange failed: 502. The server stays in the pool
                # (a client's request must not be able to take a server out); the health check judges it.
                await _plain(send, 502, f"server {route.server} failed mid-request: {type(error).__name__}")
                return
            self.served[route.server] += 1
            await send(
                {
                    "type": "http.response.start",
                    "status": reply.status_code,
                    "headers": self._reply_headers(
                        reply.headers.raw, route, None if scope["method"] == "HEAD" else len(content)
                    ),
                }
            )
            await send({"type": "http.response.body", "body": content})
            return
        await _plain(send, 503, "every server refused the connection")

    def _reply_headers(
        self, raw: list[tuple[bytes, bytes]], route: Route, length: int | None
    ) -> list[tuple[bytes, bytes]]:
        """The backend's headers as bytes (never re-encoded), hop-by-hop dropped, the pin inserted (nocache).

        ``length`` is the body's length; None for an answer to HEAD, which keeps the backend's Content-Length.
        """
        out = end_to_end(raw, also_drop=_RESPONSE_RECOMPUTED if length is not None else _NOTHING)
        if route.set_cookie is not None and isinstance(self.strategy, CookieInsert):
            out = [(k, v) for k, v in out if k != b"cache-control"]
            out.append((b"set-cookie", self.strategy.cookie.set_cookie(route.server).encode()))
            out.append((b"cache-control", b"private"))
        if length is not None:
            out.append((b"content-length", b"%d" % length))
        return out


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
