"""The sample API the specification talks to, in process or behind uvicorn (the real target).

Routes (all plain Starlette; the app knows nothing of compression, which is the point):

- ``GET /api/users``: the seed's 1247-byte JSON page of users, pretty-printed as APIs send it.
- ``GET /corpus/{kind}/{size}``: a sample body (json, html, png, gzip) of about ``size`` bytes, with a strong ETag;
  ``?shape=`` picks one of the kind's shapes (``corpus.SHAPES``: json is compact or pretty); 404 for an
  unknown kind, 422 for an unknown shape or a size the kind is not made in (``corpus.SIZE_RANGES``, at most 4 MiB).
- ``GET /stream/{chunks}/{size}``: ``chunks`` lines of JSON text of ``size`` bytes each, streamed
  (422 past 1024 chunks or 64 KiB a chunk).
- ``GET /encoded``: a body the app compressed itself (Content-Encoding: gzip), which must pass untouched.
- ``POST /echo``: the length and SHA-256 of the request body the app received.

``build_app(policy)`` wraps it in CompressionMiddleware; ``module_app`` is the instance uvicorn loads
(``livingspec.compression.app:module_app``), its policy read from LIVINGSPEC_COMPRESSION_PREFERENCE.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from livingspec.compression.corpus import check_stream, payload, users_json, users_page
from livingspec.compression.errors import CompressionError
from livingspec.compression.middleware import ASGIApp, CompressionMiddleware, CompressionPolicy


async def api_users(request: Request) -> Response:
    """The seed's GET /api/users: 1247 bytes of pretty-printed user records."""
    return Response(users_page(1247), media_type="application/json")


async def corpus(request: Request) -> Response:
    """A sample body of a kind and size, with a strong ETag of its bytes; 404 or 422 when none is made."""
    try:
        kind, size = request.path_params["kind"], int(request.path_params["size"])
        body, content_type = payload(kind, size, shape=request.query_params.get("shape"))
    except CompressionError as error:
        return PlainTextResponse(str(error), status_code=error.status)
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    return Response(body, headers={"content-type": content_type, "etag": etag, "accept-ranges": "bytes"})


async def stream(request: Request) -> Response:
    """Lines of JSON text produced one chunk at a time (a log tail, a large export)."""
    chunks, size = int(request.path_params["chunks"]), int(request.path_params["size"])
    try:
        check_stream(chunks, size)
    except CompressionError as error:
        return PlainTextResponse(str(error), status_code=error.status)

    async def lines() -> AsyncIterator[bytes]:
        for index in range(chunks):
            yield users_json(max(size, 40), seed=index)[: max(size - 1, 0)] + b"\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


async def encoded(request: Request) -> Response:
    """A body the application already compressed with gzip."""
    obj = zlib.compressobj(6, zlib.DEFLATED, 31)
    body = obj.compress(users_json(4000)) + obj.flush()
    return Response(body, headers={"content-type": "application/json", "content-encoding": "gzip"})


async def echo(request: Request) -> Response:
    """What the application received: no Content-Encoding left, the decoded length and digest."""
    body = await request.body()
    received = {
        "length": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "content_encoding": request.headers.get("content-encoding"),
    }
    return JSONResponse(received)


def sample_app() -> Starlette:
    """The bare application, without compression."""
    return Starlette(
        routes=[
            Route("/api/users", api_users),
            Route("/corpus/{kind}/{size:int}", corpus),
            Route("/stream/{chunks:int}/{size:int}", stream),
            Route("/encoded", encoded),
            Route("/echo", echo, methods=["POST"]),
        ]
    )


def build_app(policy: CompressionPolicy | None = None) -> ASGIApp:
    """The sample application behind CompressionMiddleware with ``policy`` (the default policy when None)."""
    return CompressionMiddleware(sample_app(), policy)


def _policy_from_env() -> CompressionPolicy:
    preference = os.environ.get("LIVINGSPEC_COMPRESSION_PREFERENCE")
    if not preference:
        return CompressionPolicy()
    return CompressionPolicy(preference=tuple(part.strip() for part in preference.split(",") if part.strip()))


#: What uvicorn serves on the real target.
module_app = build_app(_policy_from_env())
#: The same application without our middleware (behind nginx, the peer, in the benchmark).
bare_app = sample_app()
#: The same application behind Starlette's GZipMiddleware with its defaults (the library peer).
starlette_app = GZipMiddleware(sample_app())
