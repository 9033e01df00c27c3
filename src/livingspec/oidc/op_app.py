"""The OpenID Provider over HTTP: a Starlette app around ``OpenIDProvider``.

Endpoints: ``/.well-known/openid-configuration`` (Discovery 1.0), ``/jwks``, ``/authorize`` (login
form), ``/login`` and ``/consent`` (form posts), ``/token`` (client_secret_basic or
client_secret_post, RFC 6749 2.3.1), ``/userinfo`` (bearer token, RFC 6750 2.1).
"""

from __future__ import annotations

import base64
import binascii
import html
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from livingspec.oidc.errors import InvalidClientError, InvalidRequestError, LoginThrottledError, ProviderError
from livingspec.oidc.provider import OpenIDProvider, redirect_with

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}", status
    )


def _form(action: str, txn: str, fields: str, button: str) -> str:
    return (
        f'<form method="post" action="{action}"><input type="hidden" name="txn" value="{html.escape(txn)}">'
        f'{fields}<button type="submit" name="decision" value="allow">{html.escape(button)}</button></form>'
    )


def _login_form(txn: str, client_id: str, error: str = "") -> str:
    fields = (
        '<label>Username <input name="username"></label><label>Password <input name="password" type="password"></label>'
    )
    note = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return f"<p>Sign in to continue to {html.escape(client_id)}</p>{note}" + _form("/login", txn, fields, "Sign in")


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str, str]:
    """(client_id, secret, method) from the Authorization header or the form (RFC 6749 2.3.1)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):  # ValueError: non-ASCII characters in the header
            raise InvalidClientError("malformed Basic credentials") from None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise InvalidClientError("malformed Basic credentials")
        return unquote(client_id), unquote(secret), "client_secret_basic"
    if "client_secret" in form:
        return form.get("client_id", ""), form["client_secret"], "client_secret_post"
    raise InvalidClientError("no client authentication")


def _error_json(error: ProviderError) -> JSONResponse:
    headers = dict(_NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{error.code}"' if error.code == "invalid_token" else "Basic"
    return JSONResponse({"error": error.code, "error_description": error.description}, error.status, headers)


class _Endpoints:
    """The provider's HTTP endpoints, one method each; every refusal is an OAuth error answer."""

    def __init__(self, provider: OpenIDProvider) -> None:
        self.provider = provider

    async def discovery(self, request: Request) -> Response:
        return JSONResponse(self.provider.discovery())

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(self.provider.jwks(), headers={"Cache-Control": "max-age=300"})

    async def authorize(self, request: Request) -> Response:
        try:
            transaction = self.provider.start_authorization(dict(request.query_params))
        except InvalidRequestError as error:
            if error.redirect_uri is None:  # never redirect to an unverified URI
                return _page("Invalid request", f"<p>{html.escape(error.description)}</p>", 400)
            params = {"error": error.code, "error_description": error.description}
            if error.state is not None:
                params["state"] = error.state
            return RedirectResponse(redirect_with(error.redirect_uri, params), 302)
        return _page("Sign in", _login_form(transaction.txn, transaction.client.client_id))

    async def login(self, request: Request) -> Response:
        form = await _form_fields(request)
        txn = form.get("txn", "")
        try:
            transaction = self.provider.transaction(txn)
            user = self.provider.authenticate(txn, form.get("username", ""), form.get("password", ""))
        except InvalidRequestError as error:
            return _page("Invalid request", f"<p>{html.escape(error.description)}</p>", 400)
        except LoginThrottledError as error:
            page = _page("Sign in", _login_form(txn, transaction.client.client_id, error.description), 429)
            page.headers["Retry-After"] = str(max(1, round(error.retry_after)))
            return page
        except ProviderError as error:
            return _page("Sign in", _login_form(txn, transaction.client.client_id, error.description), 401)
        scopes = ", ".join(transaction.scope)
        body = f"<p>{html.escape(transaction.client.client_id)} asks for: {html.escape(scopes)}</p>"
        return _page(
            f"Allow access, {user.claims.get('name', user.username)}?", body + _form("/consent", txn, "", "Allow")
        )

    async def consent(self, request: Request) -> Response:
        form = await _form_fields(request)
        try:
            location = self.provider.consent(form.get("txn", ""), allow=form.get("decision") == "allow")
        except ProviderError as error:
            return _page("Invalid request", f"<p>{html.escape(error.description)}</p>", 400)
        return RedirectResponse(location, 302)

    async def token(self, request: Request) -> Response:
        form = await _form_fields(request)
        try:
            client_id, secret, method = _client_credentials(request, form)
            client = self.provider.authenticate_client(client_id, secret, method)
            return JSONResponse(self.provider.exchange_code(client, form), headers=_NO_STORE)
        except ProviderError as error:
            return _error_json(error)

    async def userinfo(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        try:
            if not header.lower().startswith("bearer "):
                raise InvalidRequestError("no bearer token")
            return JSONResponse(self.provider.userinfo(header[7:].strip()), headers=_NO_STORE)
        except ProviderError as error:
            return _error_json(error)


async def _form_fields(request: Request) -> dict[str, str]:
    return {key: str(value) for key, value in (await request.form()).items()}


def provider_app(provider: OpenIDProvider) -> Starlette:
    """The Starlette application serving ``provider``."""
    endpoints = _Endpoints(provider)
    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", endpoints.discovery),
            Route("/jwks", endpoints.jwks),
            Route("/authorize", endpoints.authorize),
            Route("/login", endpoints.login, methods=["POST"]),
            Route("/consent", endpoints.consent, methods=["POST"]),
            Route("/token", endpoints.token, methods=["POST"]),
            Route("/userinfo", endpoints.userinfo, methods=["GET", "POST"]),
        ]
    )
