"""The balancer's fast path: the same routing and hardening as ``Balancer``, on asyncio protocols.

The ASGI ``Balancer`` goes through uvicorn, an ASGI scope per request, and httpx per upstream call:
general machinery that costs more per request than the proxying itself. Here each client connection
is an ``asyncio.Protocol`` whose bytes httptools (the C parser uvicorn uses) turns into requests, and
each backend has a pool of keep-alive connections, also protocols, whose answers httptools parses.
What a request may do is decided by the ``Balancer`` itself, unchanged: the checked request target
(400 otherwise), the body limit (413), hop-by-hop headers dropped, X-Forwarded-For appended, the
affinity cookie stripped and inserted, routing by its strategy, redispatch when a backend refuses
the connection, 502 when it fails mid-request, 503 when no server can take the request; active
health checks run on the balancer's schedule. Bodies are kept as the chunks that arrived and written
with ``writelines``, not joined; only an answer of one small chunk is sent with its head as one
buffer. Waits are bounded by one sweep every half second (idle and slow client connections closed,
late backend answers failed) instead of a timer per request.

``ProtocolServer(balancer).start()`` serves it on a loopback port in a thread of its own (uvloop's
event loop when installed), with the interface of ``infra.LoopbackServer``; ``serve_forever`` runs
it in the calling process (one worker of several sharing a port through SO_REUSEPORT).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import threading
from collections import deque
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, cast

import httptools

from livingspec.infra.errors import InfraError
from livingspec.infra.lifecycle import Started
from livingspec.infra.net import LOOPBACK, bound_socket
from livingspec.sticky.errors import BadRequestTargetError, NoLiveServerError, UnknownServerError
from livingspec.sticky.forwarding import request_target
from livingspec.sticky.strategies import RequestKey, Route

Headers = list[tuple[bytes, bytes]]
KEEP_ALIVE_S = 5.0  # an idle client connection is closed after this (uvicorn's default)
HEADER_TIMEOUT_S = 10.0  # a request must arrive whole within this (slow-loris bound)
MAX_HEADERS = 100
MAX_HEADER_BYTES = 64 * 1024
MAX_RESPONSE = 64 << 20  # bytes of one backend answer; more is a 502
IDLE_PER_BACKEND = 64  # keep-alive connections kept per backend
_JOIN_BELOW = 16 * 1024  # an answer's single body chunk up to this size is written together with its head
_OPTIONS_ALLOW = b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"


_STATUS_LINES = {status.value: b"HTTP/1.1 %d %s" % (status.value, status.phrase.encode()) for status in HTTPStatus}


def _status_line(status: int) -> bytes:
    line = _STATUS_LINES.get(status)
    return line if line is not None else b"HTTP/1.1 %d Unknown" % status


def _head(status: int, headers: Headers, close: bool) -> bytes:
    lines = [_status_line(status)]
    lines += [name + b": " + value for name, value in headers]
    if close:
        lines.append(b"connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _plain(status: int, text: str) -> tuple[int, Headers, list[bytes]]:
    body = text.encode()
    return status, [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"%d" % len(body))], [body]


class UpstreamError(Exception):
    """A backend connection failed; ``before_sending`` when nothing of the request reached it."""

    def __init__(self, reason: str, before_sending: bool) -> None:
        super().__init__(reason)
        self.before_sending = before_sending


class _Upstream(asyncio.Protocol):
    """One keep-alive connection to a backend: sends a request, parses the answer (httptools)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.on_done: Callable[[UpstreamError | None], None] | None = None  # called once per exchange
        self.status = 0
        self.headers: Headers = []
        self.body: list[bytes] = []
        self.size = 0
        self.head_only = False
        self.got_bytes = False
        self.complete = False
        self.keep_alive = False
        self.deadline = 0.0  # loop time by which the answer must be complete

    def timed_out(self, seconds: float) -> None:
        """The answer did not come in time: fail the exchange and drop the connection."""
        self._finish(UpstreamError(f"no answer within {seconds} s", before_sending=False))
        self.close()

    # -- protocol ----------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's

    def data_received(self, data: bytes) -> None:
        if self.on_done is None:  # bytes while idle (a late or unsolicited answer): the framing is lost
            self.close()
            return
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._finish(UpstreamError(f"backend sent a malformed answer: {error}", before_sending=False))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.on_done is not None:
            unframed = self.status and not any(k in (b"content-length", b"transfer-encoding") for k, _ in self.headers)
            if unframed:  # an answer delimited by closing the connection (RFC 9112 6.3, last case)
                self._finish(None)
            else:
                self._finish(UpstreamError("backend closed the connection", before_sending=not self.got_bytes))

    # -- httptools callbacks -------------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()  # llhttp forgets it once the message is complete
        if self.head_only:  # an answer to HEAD has no body, whatever Content-Length says
            self.complete = False
            self._finish(None)

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        if self.size > MAX_RESPONSE:
            self._finish(UpstreamError(f"backend answer over {MAX_RESPONSE} bytes", before_sending=False))
        else:
            self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True
        self._finish(None)

    # -- use ---------------------------------------------------------------------------------------
    def _finish(self, error: UpstreamError | None) -> None:
        done, self.on_done = self.on_done, None
        if done is not None:
            done(error)

    def start(
        self, head: bytes, body: list[bytes], head_only: bool, on_done: Callable[[UpstreamError | None], None]
    ) -> None:
        """Write one request; ``on_done(None)`` when its answer is complete, ``on_done(error)`` if it fails."""
        assert self.transport is not None
        self.on_done = on_done
        self.status, self.headers, self.body, self.size = 0, [], [], 0
        self.head_only, self.got_bytes, self.complete, self.keep_alive = head_only, False, False, False
        if body:
            self.transport.writelines([head, *body])
        else:
            self.transport.write(head)  # one buffer: the loop writes it at once, no vector to build

    def send(self, head: bytes, body: list[bytes], head_only: bool) -> asyncio.Future[None]:
        """``start``, awaitable: the future resolves when the answer is complete."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def done(error: UpstreamError | None) -> None:
            if not waiter.done():
                waiter.set_result(None) if error is None else waiter.set_exception(error)

        self.start(head, body, head_only, done)
        return waiter

    @property
    def reusable(self) -> bool:
        """Still open, its last answer read to the end, and the backend keeps the connection alive."""
        return self.transport is not None and self.complete and self.keep_alive

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class _Backends:
    """Idle keep-alive connections per backend address; connections are opened on demand."""

    def __init__(self, connect_timeout: float) -> None:
        self.idle: dict[tuple[str, int], deque[_Upstream]] = {}
        self.connect_timeout = connect_timeout

    def take_idle(self, address: tuple[str, int]) -> _Upstream | None:
        """An open idle connection to ``address``, if the pool has one."""
        idle = self.idle.get(address)
        while idle:
            upstream = idle.pop()
            if upstream.transport is not None and not upstream.transport.is_closing():
                return upstream
        return None

    async def get(self, address: tuple[str, int]) -> tuple[_Upstream, bool]:
        """A connection to ``address`` and whether it was reused; ConnectionError when refused."""
        upstream = self.take_idle(address)
        if upstream is not None:
            return upstream, True
        loop = asyncio.get_running_loop()
        _, protocol = await asyncio.wait_for(
            loop.create_connection(_Upstream, address[0], address[1]), self.connect_timeout
        )
        return protocol, False

    def put(self, address: tuple[str, int], upstream: _Upstream) -> None:
        idle = self.idle.setdefault(address, deque())
        if upstream.reusable and len(idle) < IDLE_PER_BACKEND:
            idle.append(upstream)
        else:
            upstream.close()

    def close(self) -> None:
        for idle in self.idle.values():
            for upstream in idle:
                upstream.close()
        self.idle.clear()


class _Request:
    """One parsed client request: method, raw target, headers, body chunks."""

    __slots__ = ("body", "headers", "keep_alive", "method", "size", "url")

    def __init__(self) -> None:
        self.url = bytearray()
        self.headers: Headers = []
        self.body: list[bytes] = []
        self.size = 0
        self.method = b""
        self.keep_alive = True


Answer = tuple[int, Headers, list[bytes]]


class _Plan:
    """A checked request, ready to route: its target, the headers to forward, what the strategy sees."""

    __slots__ = ("headers", "key", "target")

    def __init__(self, target: bytes, headers: Headers, key: RequestKey) -> None:
        self.target, self.headers, self.key = target, headers, key


class _Proxy:
    """What every client connection shares: the balancer that decides, and the backend connections."""

    def __init__(self, balancer: Any) -> None:
        self.balancer = balancer
        self.backends = _Backends(connect_timeout=min(balancer.timeout, 2.0))
        self.clients: set[_Client] = set()
        self.inflight: set[_Upstream] = set()  # backend exchanges waiting for an answer
        self._addresses: dict[str, tuple[Any, tuple[str, int]]] = {}  # server -> (its origin, host and port)
        self._host_lines: dict[tuple[str, int], bytes] = {}
        self.now = asyncio.get_running_loop().time

    async def sweep(self, every: float = 0.5) -> None:
        """Bound every wait without a timer per request: close expired client connections, time out answers."""
        while True:
            await asyncio.sleep(every)
            now = self.now()
            for client in [c for c in self.clients if c.expired(now)]:
                if client.transport is not None:
                    client.transport.close()
            for upstream in [u for u in self.inflight if now > u.deadline]:
                upstream.timed_out(self.balancer.timeout)

    def decide(self, request: _Request, peer: tuple[str, int]) -> Answer | _Plan:
        """The checks every request passes before routing: an answer now (400, 204), or what to forward."""
        method = request.method.decode("latin-1")
        raw_path, _, query = bytes(request.url).partition(b"?")
        try:
            target = request_target(method, raw_path, query)
        except BadRequestTargetError as error:
            return _plain(400, str(error))
        if target == b"*":  # OPTIONS * asks about the server in general: the balancer answers for itself
            return 204, [(b"allow", _OPTIONS_ALLOW)], []
        headers, key = self.balancer._upstream_headers({"headers": request.headers, "client": peer})
        return _Plan(target, headers, key)

    def route(self, plan: _Plan) -> Route | Answer:
        """The strategy's server for the request, or 503 when no server can take it."""
        try:
            return self.balancer.strategy.route(plan.key, self.balancer.pool.view())  # type: ignore[no-any-return]
        except NoLiveServerError as error:
            return _plain(503, str(error))

    def address(self, route: Route) -> tuple[str, int]:
        """Host and port of the routed backend (from its parsed URL, never from the request)."""
        origin = self.balancer._origins[route.server]
        known = self._addresses.get(route.server)
        if known is None or known[0] is not origin:  # first use, or the server's URL was replaced
            known = self._addresses[route.server] = (origin, (origin.host, origin.port or 80))
        return known[1]

    def reply(self, request: _Request, route: Route, upstream: _Upstream) -> Answer:
        """The backend's answer as the client gets it: hop-by-hop headers dropped, the pin inserted."""
        self.balancer.served[route.server] += 1
        bodiless = request.method == b"HEAD" or upstream.status in (204, 304) or upstream.status < 200
        out = self.balancer._reply_headers(upstream.headers, route, None if bodiless else upstream.size)
        return upstream.status, out, upstream.body

    def exchange_head(self, request: _Request, plan: _Plan, address: tuple[str, int]) -> bytes:
        """The request line and headers sent to the backend at ``address``."""
        host = self._host_lines.get(address)
        if host is None:
            host = self._host_lines[address] = b"host: %s:%d" % (address[0].encode(), address[1])
        lines = [request.method + b" " + plan.target + b" HTTP/1.1", host]
        lines += [name + b": " + value for name, value in plan.headers]
        if request.size or request.method in (b"POST", b"PUT", b"PATCH"):
            lines.append(b"content-length: %d" % request.size)
        return b"\r\n".join(lines) + b"\r\n\r\n"

    async def handle(
        self, request: _Request, peer: tuple[str, int], plan: _Plan | None = None, first: Route | None = None
    ) -> Answer:
        """The answer to one request, decided as ``Balancer`` decides (see the module docstring).

        ``plan`` and ``first``: the checks and the route the fast lane already made (routing twice would
        move a round robin on twice)."""
        checked = plan if plan is not None else self.decide(request, peer)
        if not isinstance(checked, _Plan):
            return checked
        plan = checked
        for _attempt in range(len(self.balancer.urls) + 1):  # each refusal marks one server down
            route, first = (first, None) if first is not None else (self.route(plan), None)
            if not isinstance(route, Route):
                return route
            address = self.address(route)
            try:
                upstream = await self._exchange(address, request, self.exchange_head(request, plan, address))
            except UpstreamError as error:
                if error.before_sending:  # refused: the server is down; route again (redispatch)
                    with contextlib.suppress(UnknownServerError):
                        self.balancer.pool.mark_down(route.server)
                    self.balancer.redispatched += 1
                    continue
                # Sent, then failed: 502, and the server stays (no client request can take it out).
                return _plain(502, f"server {route.server} failed mid-request: {error}")
            return self.reply(request, route, upstream)
        return _plain(503, "every server refused the connection")

    async def _exchange(self, address: tuple[str, int], request: _Request, head: bytes) -> _Upstream:
        """Send the request to ``address`` on a pooled connection (one retry on a fresh one if a reused one died)."""
        for _attempt in range(2):
            try:
                upstream, reused = await self.backends.get(address)
            except (OSError, TimeoutError) as error:
                raise UpstreamError(f"connection failed: {type(error).__name__}", before_sending=True) from None
            upstream.deadline = self.now() + self.balancer.timeout
            self.inflight.add(upstream)
            try:
                await upstream.send(head, request.body, request.method == b"HEAD")
            except UpstreamError as error:
                upstream.close()
                if reused and error.before_sending:
                    continue  # the backend had closed this idle connection: try a fresh one
                raise UpstreamError(str(error), before_sending=False) from None
            finally:
                self.inflight.discard(upstream)
            self.backends.put(address, upstream)
            return upstream
        raise UpstreamError("a fresh connection failed too", before_sending=False)


class _Client(asyncio.Protocol):
    """One client connection: httptools parses its requests; they are answered one after another."""

    def __init__(self, proxy: _Proxy) -> None:
        self.proxy = proxy
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.peer: tuple[str, int] = ("", 0)
        self.request: _Request | None = None
        self.queue: deque[_Request] = deque()
        self.busy = False
        self.task: asyncio.Task[None] | None = None
        self.header_bytes = 0
        self.deadline = 0.0  # loop time after which an idle or half-sent connection is closed (by the sweep)

    def _arm(self, seconds: float) -> None:
        self.deadline = self.proxy.now() + seconds

    def expired(self, now: float) -> bool:
        """Idle past its keep-alive time, or a request still arriving past the header timeout."""
        return not self.busy and now > self.deadline

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        peer = transport.get_extra_info("peername")
        self.peer = (str(peer[0]), int(peer[1])) if peer else ("", 0)
        self.proxy.clients.add(self)
        self._arm(HEADER_TIMEOUT_S)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.proxy.clients.discard(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(400, "protocol upgrades are not proxied")
        except httptools.HttpParserError as error:
            self._refuse(400, f"malformed request: {error}")

    def _refuse(self, status: int, text: str) -> None:
        """Answer at once and close: the connection's framing can no longer be trusted."""
        if self.transport is not None and not self.transport.is_closing():
            code, headers, body = _plain(status, text)
            self.transport.writelines([_head(code, headers, close=True), *body])
            self.transport.close()

    # -- httptools callbacks -----------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.request, self.header_bytes = _Request(), 0
        self._arm(HEADER_TIMEOUT_S)

    def on_url(self, url: bytes) -> None:
        self.request.url += url  # type: ignore[union-attr]  # on_message_begin made the request
        self.header_bytes += len(url)
        if self.header_bytes > MAX_HEADER_BYTES:
            raise httptools.HttpParserError(f"request line and headers over {MAX_HEADER_BYTES} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        headers = self.request.headers  # type: ignore[union-attr]  # on_message_begin made the request
        headers.append((name.lower(), value))
        self.header_bytes += len(name) + len(value)
        if self.header_bytes > MAX_HEADER_BYTES:
            raise httptools.HttpParserError(f"request line and headers over {MAX_HEADER_BYTES} bytes")
        if len(headers) > MAX_HEADERS:
            raise httptools.HttpParserError(f"over {MAX_HEADERS} headers")

    def on_headers_complete(self) -> None:
        request = self.request
        assert request is not None
        request.method = self.parser.get_method()
        request.keep_alive = self.parser.should_keep_alive()  # llhttp forgets it once the message is complete

    def on_body(self, body: bytes) -> None:
        request = self.request
        assert request is not None
        request.size += len(body)
        if request.size > self.proxy.balancer.max_body:
            self._refuse(413, f"request body over {self.proxy.balancer.max_body} bytes")
            raise httptools.HttpParserError("body too large")
        request.body.append(body)

    def on_message_complete(self) -> None:
        request = self.request
        assert request is not None
        self.request = None
        if self.busy:  # pipelined behind a request still being answered
            self.queue.append(request)
            if len(self.queue) > 16 and self.transport is not None:
                self.transport.pause_reading()  # a client pipelining faster than we answer waits
            return
        self.busy = True
        self._begin(request)

    def _begin(self, request: _Request) -> None:
        """The fast lane: decide, route and send on an idle pooled connection with no task or future;
        the backend's answer is written back from its parser's callback. Anything else (no idle
        connection, a refusal to redispatch) takes the full path, ``_Proxy.handle``."""
        proxy = self.proxy
        plan = proxy.decide(request, self.peer)
        if not isinstance(plan, _Plan):
            self._respond(request, plan)
            return
        route = proxy.route(plan)
        if not isinstance(route, Route):
            self._respond(request, route)
            return
        address = proxy.address(route)
        upstream = proxy.backends.take_idle(address)
        if upstream is None:  # no idle connection: the full path connects (and redispatches on a refusal)
            self.task = asyncio.ensure_future(self._answer_slowly(request, plan, route))
            return

        def done(error: UpstreamError | None) -> None:
            proxy.inflight.discard(upstream)
            if error is None:
                proxy.backends.put(address, upstream)
                self._respond(request, proxy.reply(request, route, upstream))
                return
            upstream.close()
            if error.before_sending:  # the idle connection had died unseen: the full path retries
                self.task = asyncio.ensure_future(self._answer_slowly(request, plan, route))
            else:  # sent, then failed: 502; the server stays (no client request can take it out)
                self._respond(request, _plain(502, f"server {route.server} failed mid-request: {error}"))

        upstream.deadline = proxy.now() + proxy.balancer.timeout
        proxy.inflight.add(upstream)
        upstream.start(proxy.exchange_head(request, plan, address), request.body, request.method == b"HEAD", done)

    async def _answer_slowly(self, request: _Request, plan: _Plan, route: Route) -> None:
        try:
            answer = await self.proxy.handle(request, self.peer, plan, route)
        except Exception as error:  # a defect here must not leave the connection hanging
            answer = _plain(502, f"the balancer could not forward the request: {type(error).__name__}")
        self._respond(request, answer)

    def _respond(self, request: _Request, answer: Answer) -> None:
        """Write the answer; close, or take the next pipelined request, or wait (keep-alive)."""
        transport = self.transport
        if transport is None:
            return
        status, headers, body = answer
        close = not request.keep_alive
        head = _head(status, headers, close)
        if len(body) == 1 and len(body[0]) <= _JOIN_BELOW:
            transport.write(head + body[0])  # one small buffer: cheaper to copy than to write as a vector
        else:
            transport.writelines([head, *body])
        if close:
            transport.close()
            return
        if self.queue:
            if len(self.queue) <= 16:
                transport.resume_reading()
            asyncio.get_running_loop().call_soon(self._begin, self.queue.popleft())
            return
        self.busy = False
        self._arm(KEEP_ALIVE_S)


def new_event_loop(uvloop_if_installed: bool = True) -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (libuv: cheaper per read and write), else asyncio's."""
    if not uvloop_if_installed:
        return asyncio.new_event_loop()
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency; kept for a minimal install
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


async def _serve(balancer: Any, sock: socket.socket, started: Callable[[_Proxy, asyncio.Server], None]) -> None:
    """Serve ``balancer`` on ``sock`` until cancelled; health checks on the balancer's schedule."""
    proxy = _Proxy(balancer)
    loop = asyncio.get_running_loop()
    sock.listen(1024)
    server = await loop.create_server(lambda: _Client(proxy), sock=sock)
    health = (
        asyncio.ensure_future(balancer._health_loop(balancer.health_interval)) if balancer.health_interval else None
    )
    sweep = asyncio.ensure_future(proxy.sweep())
    started(proxy, server)
    try:
        await asyncio.Event().wait()  # until cancelled
    finally:
        server.close()
        sweep.cancel()
        for client in list(proxy.clients):
            if client.task is not None:
                client.task.cancel()
            if client.transport is not None:
                client.transport.close()
        if health is not None:
            health.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await health
        proxy.backends.close()
        await balancer.aclose()


class ProtocolServer(Started):
    """The balancer's fast path on http://127.0.0.1:<port>, in a thread of its own; a context manager.

    Same interface as ``infra.LoopbackServer``: the socket is bound (and the port held) at construction,
    ``start`` waits (bounded) until it serves, ``stop`` closes it, ``kill`` is the same for a crash.
    """

    def __init__(self, balancer: Any, *, port: int = 0, host: str = LOOPBACK, reuse_port: bool = False) -> None:
        self.balancer = balancer
        self.host = host
        self._socket = bound_socket(host, port)
        if reuse_port:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self.port: int = self._socket.getsockname()[1]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        """Base URL, ``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        loop = self._loop = new_event_loop()
        try:
            self._main = loop.create_task(_serve(self.balancer, self._socket, lambda *_: self._ready.set()))
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(self._main)
        finally:
            loop.close()

    def start(self, timeout: float = 10.0) -> ProtocolServer:
        """Start serving; InfraError if it does not serve within ``timeout`` seconds."""
        self._thread = threading.Thread(target=self._run, name="balancer-fastpath", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise InfraError(f"the balancer did not start on {self.url} within {timeout} s")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close the listener and every connection, stop health checks, join the thread (bounded)."""
        if self._loop is not None and self._main is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop may have closed meanwhile
                self._loop.call_soon_threadsafe(self._main.cancel)
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()

    def kill(self, timeout: float = 10.0) -> None:
        """A crash: connections dropped, the port refuses connections afterwards."""
        self.stop(timeout)

    @property
    def running(self) -> bool:
        """True while the server's thread is alive."""
        return self._thread is not None and self._thread.is_alive()


def _collect_rarely() -> None:
    """In the balancer's own process, run the cycle collector less often (a request makes cycles only on error paths).

    ``gc.freeze`` moves everything made at start-up out of every later collection, and the first
    generation is collected after 20,000 net allocations instead of 700: each request allocates a few
    dozen containers that die with it, which made a collection every ten-odd requests. Cycles are
    still collected. Not done by ``ProtocolServer``, which shares its process with other code.
    """
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def serve_forever(balancer: Any, port: int, host: str = LOOPBACK, *, uvloop: bool = True) -> None:
    """Serve in this process until SIGTERM or SIGINT, sharing ``port`` with other workers (SO_REUSEPORT)."""
    import signal

    sock = bound_socket(host, port)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    _collect_rarely()
    loop = new_event_loop(uvloop)
    main = loop.create_task(_serve(balancer, sock, lambda *_: None))
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, main.cancel)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(main)
    finally:
        loop.close()
        sock.close()
