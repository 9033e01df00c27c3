"""Hostile request bodies: stacked codings are capped, and decoding a bomb never stalls other requests."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest

from livingspec.compression import (
    CompressionError,
    CompressionPolicy,
    DecodeLimits,
    TooManyCodingsError,
    compress,
    decode_all,
    fetch_in_process,
    users_json,
)
from livingspec.compression import middleware as middleware_module
from livingspec.compression.app import build_app


def layered(data: bytes, layers: int, coding: str = "gzip") -> bytes:
    """``data`` compressed ``layers`` times with ``coding`` (stored blocks: cheap to build)."""
    for _ in range(layers):
        data = compress(data, coding, 0 if coding in ("gzip", "deflate") else None)
    return data


def test_five_layers_are_decoded() -> None:
    data = users_json(2000)
    assert decode_all(layered(data, 5), ", ".join(["gzip"] * 5)) == data


def test_six_layers_are_refused_before_any_is_decoded() -> None:
    with pytest.raises(TooManyCodingsError, match="lists 6 codings; at most 5"):
        decode_all(b"not even gzip", ", ".join(["gzip"] * 6))


def test_the_layer_cap_is_a_limit_callers_may_set() -> None:
    with pytest.raises(TooManyCodingsError):
        decode_all(layered(b"x", 2), "gzip, gzip", DecodeLimits(max_layers=1))


def test_identity_entries_are_not_layers() -> None:
    assert decode_all(layered(b"x" * 50, 1), ", ".join(["identity"] * 50 + ["gzip"])) == b"x" * 50


def test_150_gzip_layers_are_refused_with_415_unread() -> None:
    """The probe's 150 layers: refused from the header alone; the app never runs, the body is never read."""
    reads: list[int] = []

    async def run() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            reads.append(1)
            return {"type": "http.request", "body": layered(b"x", 150), "more_body": False}

        async def send(message: Any) -> None:
            sent.append(message)

        headers = [(b"content-encoding", ", ".join(["gzip"] * 150).encode())]
        scope = {"type": "http", "method": "POST", "path": "/echo", "headers": headers, "query_string": b""}
        await build_app()(scope, receive, send)
        return sent

    start, body = asyncio.run(run())
    assert start["status"] == 415
    assert b"lists 150 codings; at most 5 are decoded" in body["body"]
    assert reads == []


def test_layers_over_the_cap_answer_415_through_the_client() -> None:
    exchange = fetch_in_process(
        build_app(),
        "/echo",
        None,
        method="POST",
        body=layered(b"{}", 6),
        headers={"content-encoding": "gzip, " * 5 + "gzip"},
    )
    assert (exchange.status, exchange.decoded()) == (415, b"Content-Encoding lists 6 codings; at most 5 are decoded")


def _small_answered_while_bomb_decodes(
    monkeypatch: pytest.MonkeyPatch, bomb: bytes, coding: str
) -> list[tuple[str, int]]:
    """Send a bomb, then a small GET while the bomb is being decoded; return the order of the answers.

    The bomb's decoding is held open (bounded, 5 s) until the small request is answered, so "while it is
    being decoded" is a fact, not a race. On the event loop, the hold would block the small request and
    the bomb would be answered first; off the loop, the small request is answered first.
    """
    decoding, small_answered = threading.Event(), threading.Event()
    real_decode_all = middleware_module.decode_all

    def held_decode_all(data: bytes, content_encoding: str | None, limits: DecodeLimits | None = None) -> bytes:
        decoding.set()
        small_answered.wait(timeout=5)
        return real_decode_all(data, content_encoding, limits)

    monkeypatch.setattr(middleware_module, "decode_all", held_decode_all)
    order: list[tuple[str, int]] = []

    async def run() -> None:
        transport = httpx.ASGITransport(app=build_app(CompressionPolicy()))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

            async def send_bomb() -> None:
                response = await client.post("/echo", content=bomb, headers={"content-encoding": coding})
                order.append(("bomb", response.status_code))

            async def send_small() -> None:
                await asyncio.to_thread(decoding.wait, 5)
                response = await client.get("/api/users", headers={"accept-encoding": "br"})
                order.append(("small", response.status_code))
                small_answered.set()

            await asyncio.gather(send_bomb(), send_small())

    asyncio.run(run())
    return order


@pytest.mark.parametrize(("coding", "level", "mib"), [("gzip", 1, 16), ("br", 0, 16), ("zstd", 1, 64)])
def test_a_request_is_answered_while_a_bomb_is_decoded_and_refused(
    monkeypatch: pytest.MonkeyPatch, coding: str, level: int, mib: int
) -> None:
    bomb = compress(bytes(mib << 20), coding, level)
    assert len(bomb) > 1024  # past the default offload_above: a single layer this large leaves the loop
    assert _small_answered_while_bomb_decodes(monkeypatch, bomb, coding) == [("small", 200), ("bomb", 413)]


def test_a_small_layered_body_is_decoded_off_the_loop_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two layers of a few hundred bytes can still expand to megabytes: layered bodies always leave the loop."""
    bomb = compress(compress(bytes(8 << 20), "gzip", 9), "gzip", 9)
    assert len(bomb) < 1024  # below the default offload_above
    assert _small_answered_while_bomb_decodes(monkeypatch, bomb, "gzip, gzip") == [("small", 200), ("bomb", 413)]


def test_no_more_bodies_are_decoded_at_once_than_the_policy_allows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three bombs with one decoding slot: while the first is held in decoding, the others wait their turn."""
    first_in, release = threading.Event(), threading.Event()
    lock = threading.Lock()
    entered: list[int] = []
    active, peak = [0], [0]
    real_decode_all = middleware_module.decode_all

    def counted_decode_all(data: bytes, content_encoding: str | None, limits: DecodeLimits | None = None) -> bytes:
        with lock:
            order = len(entered)
            entered.append(order)
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            if order == 0:
                first_in.set()
                release.wait(timeout=5)
            return real_decode_all(data, content_encoding, limits)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(middleware_module, "decode_all", counted_decode_all)
    bomb = compress(bytes(16 << 20), "gzip", 1)

    async def run() -> tuple[int, int, list[int]]:
        transport = httpx.ASGITransport(app=build_app(CompressionPolicy(decode_concurrency=1)))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            headers = {"content-encoding": "gzip"}
            posts = [asyncio.ensure_future(client.post("/echo", content=bomb, headers=headers)) for _ in range(3)]
            await asyncio.to_thread(first_in.wait, 5)
            small = await client.get("/api/users")  # the loop runs on meanwhile: the other bombs are read
            during = len(entered)
            release.set()
            statuses = [(await post).status_code for post in posts]
            return during, small.status_code, statuses

    during, small, statuses = asyncio.run(run())
    assert (during, small, statuses, peak[0]) == (1, 200, [413, 413, 413], 1)


def test_a_policy_without_decoding_slots_is_refused() -> None:
    with pytest.raises(CompressionError, match="decode_concurrency must be at least 1"):
        CompressionPolicy(decode_concurrency=0)
