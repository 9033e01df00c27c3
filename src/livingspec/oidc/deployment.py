"""The provider, the relying party's web app and a user's browser, wired in process or over loopback.

One interface, ``Deployment``, with two implementations chosen by one factory, ``open_deployment``:
``EmbeddedDeployment`` sends every HTTP exchange through httpx's ASGITransport into the Starlette
apps, in this process, with no socket; ``LoopbackDeployment`` serves each app with uvicorn on
127.0.0.1 in a thread of this process, and the same httpx clients talk real HTTP to them. The flow
code does not know which: only the transports differ.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import random
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from livingspec.infra import InfraError, LoopbackServer
from livingspec.oidc.clock import Clock
from livingspec.oidc.errors import OIDCError
from livingspec.oidc.keys import KeyRing, SigningKey
from livingspec.oidc.op_app import provider_app
from livingspec.oidc.provider import ClientRegistration, OpenIDProvider, ProviderSettings, User, redirect_with
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

    def authorize_with(self, app_url: str, **changes: str) -> httpx.Response:
        """Click Login, then send the provider the app's authentication request with some parameters
        changed (what a hand-edited URL sends); the provider's answer, not followed."""
        self.trace, self.callback_url = [], None
        response = self.http.get(f"{app_url}/login")
        self._step("User clicks Login", response)
        location = urlsplit(response.headers["location"])
        params = dict(parse_qsl(location.query)) | changes
        response = self.http.get(redirect_with(location._replace(query="").geturl(), params))
        self._step("Browser sends the changed request to the provider's authorization endpoint", response)
        if response.status_code in (302, 303):
            self.callback_url = response.headers.get("location")
        return response

    def guess_passwords(self, app_url: str, username: str, password: str, times: int) -> list[int]:
        """Start a login and post ``password`` for ``username`` ``times`` times on it (a guessing attack);
        the provider's status for each try."""
        response = self.http.get(self.http.get(f"{app_url}/login").headers["location"])
        fields = dict(_HIDDEN.findall(response.text))
        if "txn" not in fields:
            raise OIDCError(f"the provider refused the authentication request ({response.status_code})")
        login = urljoin(str(response.request.url), "/login")
        credentials = {"txn": fields["txn"], "username": username, "password": password}
        return [self.http.post(login, data=credentials).status_code for _ in range(times)]

    def callback_params(self) -> dict[str, str]:
        """The query of the provider's redirect back (code, state, iss), as an eavesdropper would read it."""
        if self.callback_url is None:
            raise OIDCError("the provider has not redirected back to the app yet")
        return dict(parse_qsl(urlsplit(self.callback_url).query))

    def callback_with(self, **changes: str) -> str:
        """The redirect back with some parameters replaced (an attacker's forged callback)."""
        if self.callback_url is None:
            raise OIDCError("the provider has not redirected back to the app yet")
        base = urlsplit(self.callback_url)._replace(query="").geturl()
        return redirect_with(base, {**self.callback_params(), **changes})


class Deployment(Protocol):
    """A provider, a relying party web app and a browser, running together on one target."""

    target: str  #: "embedded" or "real", for evidence and skip reasons only
    provider: OpenIDProvider
    rp: RelyingParty
    rp_app: RelyingPartyApp
    browser: Browser
    app_url: str
    back_channel: list[str]  #: the RP's requests to the provider, "METHOD /path"

    def close(self) -> None:
        """Stop what runs and close the HTTP clients."""
        ...


@dataclass(frozen=True)
class Cast:
    """Who takes part: the provider's keys and settings, the client's registration, the test user."""

    keys: list[SigningKey]
    client: ClientRegistration
    client_settings: ClientSettings
    user: User
    provider_settings: ProviderSettings = field(default_factory=ProviderSettings)
    redirect_query: str = ""  #: a query the registered redirect URI carries (``tenant=7``), kept in answers


@dataclass
class _Parties:
    """Provider and relying party wired for the URLs a target gives them; transports come after."""

    provider: OpenIDProvider
    op: ASGIApp
    settings: ClientSettings
    back_channel: list[str]
    hooks: dict[str, list[Callable[[httpx.Request], None]]]


def _parties(cast: Cast, clock: Clock, op_url: str, app_url: str, rng: random.Random | None) -> _Parties:
    """The provider at ``op_url`` with the client registered for ``app_url``/callback, and the RP's settings."""
    provider = OpenIDProvider(op_url, KeyRing(clock, list(cast.keys)), clock, settings=cast.provider_settings, rng=rng)
    redirect_uri = f"{app_url}/callback" + (f"?{cast.redirect_query}" if cast.redirect_query else "")
    provider.register_client(dataclasses.replace(cast.client, redirect_uris=(redirect_uri,)))
    provider.add_user(cast.user)
    back_channel: list[str] = []

    def record(request: httpx.Request) -> None:
        back_channel.append(f"{request.method} {request.url.path}")

    settings = dataclasses.replace(
        cast.client_settings,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method=cast.client.token_endpoint_auth_method,  # as registered
    )
    return _Parties(provider, provider_app(provider), settings, back_channel, {"request": [record]})


def _rng(seed: int | None) -> random.Random | None:
    return random.Random(seed) if seed is not None else None


@dataclass
class _Wired:
    """What every deployment holds (the ``Deployment`` interface), and the HTTP clients it closes."""

    provider: OpenIDProvider
    rp: RelyingParty
    rp_app: RelyingPartyApp
    browser: Browser
    app_url: str
    back_channel: list[str]
    clients: list[httpx.Client] = field(default_factory=list)

    def close(self) -> None:
        """Close the HTTP clients."""
        for client in self.clients:
            client.close()


@dataclass
class EmbeddedDeployment(_Wired):
    """Everything in process: the browser and the RP reach the apps through ASGI transports, no socket."""

    target: str = "embedded"

    OP_URL = "http://op.example.test"
    APP_URL = "http://app.example.test"

    @classmethod
    def start(cls, cast: Cast, clock: Clock, *, seed: int | None = None) -> EmbeddedDeployment:
        """Wire provider, relying party and browser in this process (``seed`` fixes codes and secrets)."""
        rng = _rng(seed)
        parties = _parties(cast, clock, cls.OP_URL, cls.APP_URL, rng)
        rp_http = httpx.Client(transport=SyncASGITransport(parties.op), event_hooks=parties.hooks)
        rp = RelyingParty(cls.OP_URL, parties.settings, rp_http, clock, rng=rng)
        rp_app = RelyingPartyApp(rp)
        mounts: dict[str, httpx.BaseTransport] = {
            cls.OP_URL: SyncASGITransport(parties.op),
            cls.APP_URL: SyncASGITransport(rp_app.app),
        }
        browser_http = httpx.Client(transport=_NoRoute(), mounts=mounts)
        return cls(
            parties.provider,
            rp,
            rp_app,
            Browser(browser_http),
            cls.APP_URL,
            parties.back_channel,
            [rp_http, browser_http],
        )


class _Mount:
    """An ASGI app set after its server bound its port (the app's URLs need that port)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise OIDCError("the server answered before its app was mounted")
        await self.app(scope, receive, send)


@dataclass
class LoopbackDeployment(_Wired):
    """Provider and app served by uvicorn on two free 127.0.0.1 ports; real HTTP between all three."""

    servers: list[LoopbackServer] = field(default_factory=list)
    target: str = "real"

    @classmethod
    def start(cls, cast: Cast, clock: Clock, *, seed: int | None = None) -> LoopbackDeployment:
        """Bind two loopback ports, wire the parties for them and serve; OIDCError if a server does not start."""
        op_mount, app_mount = _Mount(), _Mount()
        servers = [LoopbackServer(op_mount, name="provider"), LoopbackServer(app_mount, name="relying party")]
        rng = _rng(seed)
        parties = _parties(cast, clock, servers[0].url, servers[1].url, rng)
        rp_http = httpx.Client(event_hooks=parties.hooks, timeout=10.0, verify=_tls_context())
        rp = RelyingParty(servers[0].url, parties.settings, rp_http, clock, rng=rng)
        rp_app = RelyingPartyApp(rp)
        op_mount.app, app_mount.app = parties.op, rp_app.app
        browser = Browser(httpx.Client(timeout=10.0, verify=_tls_context()))
        deployment = cls(
            parties.provider,
            rp,
            rp_app,
            browser,
            servers[1].url,
            parties.back_channel,
            [rp_http, browser.http],
            servers,
        )
        try:
            for server in servers:
                server.start()
        except InfraError as error:
            deployment.close()
            raise OIDCError(str(error)) from None
        return deployment

    def close(self) -> None:
        """Stop the servers (all asked at once, so they wind down together) and close the HTTP clients."""
        super().close()
        for server in self.servers:
            server.request_exit()
        for server in self.servers:
            server.stop()


#: The targets the factory knows, and the implementation each one selects.
TARGETS: dict[str, Callable[..., Deployment]] = {
    "embedded": EmbeddedDeployment.start,
    "real": LoopbackDeployment.start,
}


def open_deployment(target: str, cast: Cast, clock: Clock, *, seed: int | None = None) -> Deployment:
    """Start provider and relying party on ``target`` (embedded: in process; real: uvicorn on loopback).

    The issuer and the client's redirect URI are the deployment's URLs; the relying party
    authenticates with the method the client is registered for. OIDCError for an unknown target.
    """
    start = TARGETS.get(target)
    if start is None:
        raise OIDCError(f"unknown target {target!r}; known: {', '.join(TARGETS)}")
    return start(cast, clock, seed=seed)
