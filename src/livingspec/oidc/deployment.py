"""The provider, the relying party's web app and a user's browser, wired in process or over loopback.

Embedded: every HTTP exchange goes through httpx's ASGITransport into the Starlette apps, in
this process, with no socket. Loopback: each app is served by uvicorn on 127.0.0.1 in a thread of
this process, and the same httpx clients talk real HTTP to them. The flow code does not know
which: only the transports differ.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import random
import re
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from starlette.types import ASGIApp

from livingspec.infra import InfraError, LoopbackServer
from livingspec.oidc.clock import Clock
from livingspec.oidc.errors import OIDCError
from livingspec.oidc.keys import KeyRing, SigningKey
from livingspec.oidc.op_app import provider_app
from livingspec.oidc.provider import ClientRegistration, OpenIDProvider, ProviderSettings, User
from livingspec.oidc.rp import ClientSettings, RelyingParty, RelyingPartyApp

_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


class _EventLoopThread:
    """One event loop in a daemon thread, shared by every in-process transport.

    A fresh loop per request (asyncio.run) would also start fresh worker threads for Starlette's
    synchronous endpoints each time; one long-lived loop keeps them. Requests are submitted from
    other threads and waited for (bounded).
    """

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    @classmethod
    def run(cls, coroutine: Any, timeout: float = 30.0) -> Any:
        with cls._lock:
            if cls._loop is None:
                loop = asyncio.new_event_loop()
                cls._thread = threading.Thread(target=loop.run_forever, name="oidc-asgi-loop", daemon=True)
                cls._thread.start()
                cls._loop = loop
        if threading.current_thread() is cls._thread:
            coroutine.close()
            raise OIDCError("a synchronous HTTP call from inside the ASGI loop would deadlock; use a sync endpoint")
        return asyncio.run_coroutine_threadsafe(coroutine, cls._loop).result(timeout)


class SyncASGITransport(httpx.BaseTransport):
    """httpx's ASGITransport for a synchronous client: requests run on a shared background event loop."""

    def __init__(self, app: ASGIApp) -> None:
        self._inner = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        response: httpx.Response = _EventLoopThread.run(call())
        return response


class _NoRoute(httpx.BaseTransport):
    """The in-process network's default route: a host that is not mounted does not exist."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"no in-process server for {request.url.host}", request=request)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs ~0.1 s; httpx would do it for every client otherwise.
    return ssl.create_default_context()


@dataclass(frozen=True)
class FlowStep:
    """One numbered step of the seed's login flow, as the browser or the app performed it."""

    number: int
    description: str
    request: str
    status: int


@dataclass
class Browser:
    """The user's browser: follows the login flow and records the seed's five steps."""

    http: httpx.Client
    trace: list[FlowStep] = field(default_factory=list)
    callback_url: str | None = None  #: where the provider sent the browser back to

    def _step(self, description: str, response: httpx.Response) -> None:
        request = f"{response.request.method} {urlsplit(str(response.request.url)).path}"
        self.trace.append(FlowStep(len(self.trace) + 1, description, request, response.status_code))

    def start(self, app_url: str, username: str, password: str, *, allow: bool = True) -> httpx.Response:
        """Seed steps 1-4: click Login, sign in at the provider, consent.

        Returns the provider's last answer: a redirect back to the app (see ``callback_url``), or
        the page on which the provider refused.
        """
        self.trace, self.callback_url = [], None
        response = self.http.get(f"{app_url}/login")
        self._step("User clicks Login", response)
        response = self.http.get(response.headers["location"])
        self._step("App redirects to the provider's authorization endpoint", response)
        fields = dict(_HIDDEN.findall(response.text))
        if "txn" not in fields:
            return response  # the provider refused the request: its page is the answer
        op_url = str(response.request.url)
        credentials = {"txn": fields["txn"], "username": username, "password": password}
        response = self.http.post(urljoin(op_url, "/login"), data=credentials)
        self._step("User enters credentials at the provider", response)
        if response.status_code != 200:
            return response
        decision = "allow" if allow else "deny"
        response = self.http.post(urljoin(op_url, "/consent"), data={"txn": fields["txn"], "decision": decision})
        self._step("Provider redirects back with an authorization code", response)
        self.callback_url = response.headers.get("location")
        return response

    def finish(self, callback_url: str | None = None) -> httpx.Response:
        """Seed step 5: follow the redirect back; the app exchanges the code. Returns the app's page."""
        url = callback_url or self.callback_url
        if url is None:
            raise OIDCError("no redirect back to the app to follow")
        response = self.http.get(url)
        self._step("App exchanges the code for tokens (including the ID token)", response)
        if response.status_code == 302:
            response = self.http.get(urljoin(str(response.request.url), response.headers["location"]))
        return response

    def sign_in(self, app_url: str, username: str, password: str, *, allow: bool = True) -> httpx.Response:
        """The whole flow; the app's final page (or the provider's page if it refused)."""
        response = self.start(app_url, username, password, allow=allow)
        return self.finish() if self.callback_url else response


@dataclass
class Deployment:
    """A provider, a relying party web app and a browser, running together."""

    target: str
    provider: OpenIDProvider
    rp: RelyingParty
    rp_app: RelyingPartyApp
    browser: Browser
    app_url: str
    servers: list[LoopbackServer] = field(default_factory=list)
    clients: list[httpx.Client] = field(default_factory=list)
    back_channel: list[str] = field(default_factory=list)  #: the RP's requests to the provider

    def close(self) -> None:
        """Stop the servers and close the HTTP clients."""
        for client in self.clients:
            client.close()
        for server in self.servers:  # ask all to exit first, so they wind down together
            server.request_exit()
        for server in self.servers:
            server.stop()


@dataclass(frozen=True)
class Cast:
    """Who takes part: the provider's keys and settings, the client's registration, the test user."""

    keys: list[SigningKey]
    client: ClientRegistration
    client_settings: ClientSettings
    user: User
    provider_settings: ProviderSettings = field(default_factory=ProviderSettings)


def _serve(app: ASGIApp, port: int, name: str) -> LoopbackServer:
    """Serve ``app`` on 127.0.0.1:``port``; OIDCError when it does not start."""
    try:
        return LoopbackServer(app, port=port, name=name).start()
    except InfraError as error:
        raise OIDCError(str(error)) from None


def deploy(
    cast: Cast,
    clock: Clock,
    *,
    target: str = "embedded",
    ports: tuple[int, int] | None = None,
    seed: int | None = None,
) -> Deployment:
    """Start provider and relying party: in process (``embedded``) or on loopback (``real``, needs ``ports``).

    The issuer and the client's redirect URI are rebased onto the deployment's URLs; the relying
    party authenticates with the method the client is registered for.
    """
    if target == "real":
        if ports is None:
            raise OIDCError("the real target needs two free loopback ports")
        op_url, app_url = f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}"
    else:
        op_url, app_url = "http://op.example.test", "http://app.example.test"
    rng = random.Random(seed) if seed is not None else None
    provider = OpenIDProvider(op_url, KeyRing(clock, list(cast.keys)), clock, settings=cast.provider_settings, rng=rng)
    redirect_uri = f"{app_url}/callback"
    provider.register_client(
        ClientRegistration(
            cast.client.client_id,
            cast.client.client_secret,
            (redirect_uri,),
            cast.client.token_endpoint_auth_method,
            cast.client.id_token_signed_response_alg,
        )
    )
    provider.add_user(cast.user)
    op = provider_app(provider)
    back_channel: list[str] = []

    def record(request: httpx.Request) -> None:
        back_channel.append(f"{request.method} {request.url.path}")

    hooks: dict[str, list[Any]] = {"request": [record]}
    settings = dataclasses.replace(
        cast.client_settings,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method=cast.client.token_endpoint_auth_method,  # as registered
    )
    if target == "real":
        rp_http = httpx.Client(event_hooks=hooks, timeout=10.0, verify=_tls_context())
    else:
        rp_http = httpx.Client(transport=SyncASGITransport(op), event_hooks=hooks)
    rp = RelyingParty(op_url, settings, rp_http, clock, rng=rng)
    rp_app = RelyingPartyApp(rp)
    if target == "real":
        browser_http = httpx.Client(timeout=10.0, verify=_tls_context())
    else:
        mounts: dict[str, httpx.BaseTransport] = {op_url: SyncASGITransport(op), app_url: SyncASGITransport(rp_app.app)}
        browser_http = httpx.Client(transport=_NoRoute(), mounts=mounts)
    deployment = Deployment(target, provider, rp, rp_app, Browser(browser_http), app_url, back_channel=back_channel)
    deployment.clients += [rp_http, browser_http]
    if target == "real":
        assert ports is not None
        try:
            deployment.servers.append(_serve(op, ports[0], "provider"))
            deployment.servers.append(_serve(rp_app.app, ports[1], "relying party"))
        except OIDCError:
            deployment.close()
            raise
    return deployment
