"""A client that sees the bytes on the wire: the raw (still encoded) body and the decoded one.

httpx decodes gzip, deflate, br and zstd by itself; to show sizes we read the raw body and decode
it with our own bounded decoder. ``fetch_in_process`` drives an ASGI app through httpx's
ASGITransport (the embedded target); ``fetch_over_http`` talks to a server on loopback (the real
target). ``accept_encoding=None`` sends no Accept-Encoding header at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from livingspec.compression.codecs import DecodeLimits, decode_all
from livingspec.compression.errors import CompressionError
from livingspec.compression.middleware import ASGIApp


@dataclass(frozen=True)
class Exchange:
    """One request and its response as seen on the wire."""

    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def content_encoding(self) -> str:
        """The response's Content-Encoding, ``identity`` when it has none."""
        return self.headers.get("content-encoding", "identity")

    def header(self, name: str) -> str | None:
        """A response header by case-insensitive name."""
        return self.headers.get(name.lower())

    def decoded(self, limits: DecodeLimits | None = None) -> bytes:
        """The body with every content coding undone (our bounded decoder, never httpx's)."""
        return decode_all(self.raw, self.headers.get("content-encoding"), limits or DecodeLimits(max_size=1 << 26))

    def decodes(self) -> bool:
        """Whether the body decodes cleanly under its Content-Encoding."""
        try:
            self.decoded()
        except CompressionError:
            return False
        return True


def _request_headers(accept_encoding: str | None, extra: Mapping[str, str] | None) -> httpx.Headers:
    headers = httpx.Headers(dict(extra or {}))
    if accept_encoding is not None:
        headers["accept-encoding"] = accept_encoding
    return headers


def _prepare(client: httpx.Client | httpx.AsyncClient, accept_encoding: str | None) -> None:
    # httpx adds "Accept-Encoding: gzip, deflate, br, zstd" by default; a missing header must stay missing.
    if accept_encoding is None and "accept-encoding" in client.headers:
        del client.headers["accept-encoding"]


async def _fetch_async(
    app: ASGIApp, method: str, path: str, accept_encoding: str | None, body: bytes, headers: Mapping[str, str] | None
) -> Exchange:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        _prepare(client, accept_encoding)
        request = client.build_request(
            method, path, headers=_request_headers(accept_encoding, headers), content=body or None
        )
        response = await client.send(request, stream=True)
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        return Exchange(response.status_code, {k.lower(): v for k, v in response.headers.items()}, raw)


def fetch_in_process(
    app: ASGIApp,
    path: str,
    accept_encoding: str | None = None,
    *,
    method: str = "GET",
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
) -> Exchange:
    """One request to an ASGI app in this process (embedded target)."""
    return asyncio.run(_fetch_async(app, method, path, accept_encoding, body, headers))


def http_client(base_url: str, timeout: float = 10.0) -> httpx.Client:
    """A reusable client for ``fetch_over_http`` that sends no Accept-Encoding of its own."""
    client = httpx.Client(base_url=base_url, timeout=timeout)
    _prepare(client, None)
    return client


def fetch_over_http(
    base_url: str,
    path: str,
    accept_encoding: str | None = None,
    *,
    method: str = "GET",
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
) -> Exchange:
    """One request to a server over real HTTP (real target); pass ``client`` to reuse connections."""
    own = client is None
    http = http_client(base_url) if client is None else client
    try:
        request = http.build_request(
            method, path, headers=_request_headers(accept_encoding, headers), content=body or None
        )
        response = http.send(request, stream=True)
        try:
            raw = b"".join(response.iter_raw())
        finally:
            response.close()
        return Exchange(response.status_code, {k.lower(): v for k, v in response.headers.items()}, raw)
    finally:
        if own:
            http.close()
