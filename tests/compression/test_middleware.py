"""The ASGI middleware, one behaviour per test, and round trips of arbitrary payloads through it."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from livingspec.compression import (
    CODINGS,
    CompressionMiddleware,
    CompressionPolicy,
    DecodeLimits,
    compress,
    fetch_in_process,
    trace_stream,
    users_json,
)
from livingspec.compression.app import build_app, sample_app


def app_sending(body: bytes, headers: dict[str, str] | None = None, status: int = 200) -> CompressionMiddleware:
    async def endpoint(request: Request) -> Response:
        return Response(body, status_code=status, headers={"content-type": "application/json", **(headers or {})})

    return CompressionMiddleware(Starlette(routes=[Route("/", endpoint, methods=["GET", "HEAD"])]))


def streaming_app(chunks: list[bytes]) -> CompressionMiddleware:
    async def endpoint(request: Request) -> Response:
        async def produce() -> Any:
            for chunk in chunks:
                yield chunk

        return StreamingResponse(produce(), media_type="text/plain")

    return CompressionMiddleware(Starlette(routes=[Route("/", endpoint)]))


BIG = users_json(5000)


def test_compressed_response_has_exact_lengths() -> None:
    exchange = fetch_in_process(app_sending(BIG), "/", "gzip")
    assert exchange.header("content-length") == str(len(exchange.raw))
    assert exchange.header("original-content-length") == "5000"


def test_existing_vary_is_extended_not_replaced() -> None:
    exchange = fetch_in_process(app_sending(BIG, {"vary": "Origin"}), "/", "br")
    assert exchange.header("vary") == "Origin, Accept-Encoding"


def test_vary_star_is_left_alone() -> None:
    assert fetch_in_process(app_sending(BIG, {"vary": "*"}), "/", "br").header("vary") == "*"


def test_weak_etag_stays_weak() -> None:
    assert fetch_in_process(app_sending(BIG, {"etag": 'W/"v1"'}), "/", "br").header("etag") == 'W/"v1"'


def test_no_content_and_not_modified_pass_through() -> None:
    for status in (204, 304):
        exchange = fetch_in_process(app_sending(b"", status=status), "/", "gzip")
        assert exchange.content_encoding == "identity"


def test_identity_excluded_compresses_even_a_small_body() -> None:
    exchange = fetch_in_process(app_sending(b'{"a": 1}'), "/", "identity;q=0, gzip")
    assert exchange.content_encoding == "gzip"
    assert exchange.decoded() == b'{"a": 1}'


def test_head_is_not_compressed_but_varies() -> None:
    exchange = fetch_in_process(app_sending(BIG), "/", "gzip", method="HEAD")
    assert (exchange.content_encoding, exchange.header("vary")) == ("identity", "Accept-Encoding")


def test_small_streaming_response_goes_out_as_it_is() -> None:
    exchange = fetch_in_process(streaming_app([b"a" * 10, b"b" * 10]), "/", "gzip")
    assert (exchange.content_encoding, exchange.raw) == ("identity", b"a" * 10 + b"b" * 10)


def test_streaming_response_is_compressed_without_content_length() -> None:
    exchange = fetch_in_process(streaming_app([BIG, BIG]), "/", "zstd")
    assert exchange.content_encoding == "zstd"
    assert exchange.header("content-length") is None
    assert exchange.decoded() == BIG + BIG


def test_stream_trace_shows_every_chunk_on_the_wire_before_the_next() -> None:
    trace = trace_stream([users_json(2000, seed=i) for i in range(4)], "br")
    assert trace.coding == "br"
    assert all(size > 0 for size in trace.wire_before_next_chunk())


def test_chunks_below_the_minimum_are_gathered_until_it_is_reached() -> None:
    trace = trace_stream([users_json(200, seed=i) for i in range(6)], "gzip")
    assert trace.wire_before_next_chunk()[:2] == [0, 0]  # 400 bytes < 512: still gathering
    assert sum(trace.wire_before_next_chunk()) > 0


def test_request_body_is_decoded_for_the_app() -> None:
    body = users_json(3000)
    exchange = fetch_in_process(
        build_app(), "/echo", None, method="POST", body=compress(body, "br"), headers={"content-encoding": "br"}
    )
    assert exchange.status == 200
    assert b'"length":3000' in exchange.raw


def test_encoded_request_larger_than_the_limit_is_refused_unread() -> None:
    app = CompressionMiddleware(sample_app(), CompressionPolicy(limits=DecodeLimits(max_size=100)))
    exchange = fetch_in_process(
        app, "/echo", None, method="POST", body=bytes(500), headers={"content-encoding": "gzip"}
    )
    assert exchange.status == 413


def test_websocket_and_lifespan_scopes_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    async def run() -> None:
        await CompressionMiddleware(inner)({"type": "lifespan"}, None, None)  # type: ignore[arg-type]

    asyncio.run(run())
    assert seen == ["lifespan"]


header = st.one_of(
    st.none(),
    st.lists(
        st.tuples(st.sampled_from([*CODINGS, "identity", "*"]), st.sampled_from(["", ";q=0", ";q=0.5", ";q=1"])),
        max_size=5,
    ).map(lambda items: ", ".join(c + q for c, q in items)),
)


@settings(max_examples=40)
@given(body=st.binary(max_size=5000), accept=header)
def test_round_trip_through_middleware_and_client_is_exact(body: bytes, accept: str | None) -> None:
    exchange = fetch_in_process(app_sending(body), "/", accept)
    if exchange.status == 406:
        return
    assert exchange.decoded() == body


@settings(max_examples=25)
@given(chunks=st.lists(st.binary(max_size=1500), max_size=6), coding=st.sampled_from(CODINGS))
def test_streamed_round_trip_is_exact(chunks: list[bytes], coding: str) -> None:
    exchange = fetch_in_process(streaming_app(chunks), "/", coding)
    assert exchange.decoded() == b"".join(chunks)


def test_content_encoding_identity_is_replaced_not_duplicated() -> None:
    exchange = fetch_in_process(app_sending(BIG, {"content-encoding": "identity"}), "/", "gzip")
    assert exchange.content_encoding == "gzip"
    assert exchange.decoded() == BIG


def test_no_transform_is_respected() -> None:
    exchange = fetch_in_process(app_sending(BIG, {"cache-control": "public, no-transform"}), "/", "gzip")
    assert exchange.content_encoding == "identity"


def test_repeated_accept_encoding_fields_are_combined() -> None:
    async def run() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Any) -> None:
            sent.append(message)

        headers = [(b"accept-encoding", b"gzip;q=0.5"), (b"accept-encoding", b"zstd")]
        scope = {"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""}
        await app_sending(BIG)(scope, receive, send)
        return sent

    start = asyncio.run(run())[0]
    assert (b"content-encoding", b"zstd") in start["headers"]
