"""Watching a streaming response pass through the middleware: what reached the wire, and when.

``trace_stream`` drives CompressionMiddleware with an application that sends its body in
chunks and records, interleaved, each chunk the application produced and each message the
middleware sent on. It shows that compression is incremental: every chunk is on the wire, decodable,
before the application produces the next, and nothing waits for the whole body.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass, field

import brotli  # type: ignore[import-untyped]  # no stubs; pyproject may not list it
import zstandard

from livingspec.compression.codecs import CODINGS
from livingspec.compression.errors import CorruptBodyError, UnsupportedEncodingError
from livingspec.compression.middleware import CompressionMiddleware, CompressionPolicy, Message


@dataclass
class StreamTrace:
    """What happened: ``events`` in order, ``("app", i, n)`` for chunk i of n bytes produced and
    ``("wire", i, n)`` for n bytes sent on after the application's chunk i; the start headers; the wire bodies."""

    chunks: list[bytes]
    events: list[tuple[str, int, int]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    wire: list[bytes] = field(default_factory=list)

    @property
    def coding(self) -> str:
        """The Content-Encoding the middleware chose, ``identity`` for none."""
        return self.headers.get("content-encoding", "identity")

    def wire_before_next_chunk(self) -> list[int]:
        """For each application chunk, the wire bytes sent after it and before the next chunk."""
        sent = [0] * len(self.chunks)
        for kind, index, size in self.events:
            if kind == "wire" and index >= 0:
                sent[index] += size
        return sent

    def wire_until(self, index: int) -> bytes:
        """Every byte on the wire by the time the application produces chunk ``index + 1``."""
        out, position = [], 0
        for kind, chunk_index, _ in self.events:
            if kind == "wire":
                if chunk_index <= index:
                    out.append(self.wire[position])
                position += 1
        return b"".join(out)


def decode_prefix(data: bytes, coding: str, limit: int = 1 << 24) -> bytes:
    """What a receiver can decode from the first bytes of a stream so far (trusted data: no end marker needed)."""
    if coding == "identity":
        return data[:limit]
    if coding not in CODINGS:
        raise UnsupportedEncodingError(coding, CODINGS)
    try:
        if coding in ("gzip", "deflate"):
            wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
            return zlib.decompressobj(wbits).decompress(data, limit)
        if coding == "br":
            return bytes(brotli.Decompressor().process(data, output_buffer_limit=limit))[:limit]
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)[:limit]
    except (zlib.error, brotli.error, zstandard.ZstdError) as error:
        raise CorruptBodyError(coding, str(error)) from None


async def _run(trace: StreamTrace, accept_encoding: str | None, policy: CompressionPolicy | None) -> None:
    current = -1

    async def app(scope: object, receive: object, send: object) -> None:
        nonlocal current
        assert callable(send)
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/x-ndjson")]}
        )
        for index, chunk in enumerate(trace.chunks):
            current = index
            trace.events.append(("app", index, len(chunk)))
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            trace.headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            body = bytes(message.get("body", b""))
            trace.wire.append(body)
            trace.events.append(("wire", current, len(body)))

    headers = [] if accept_encoding is None else [(b"accept-encoding", accept_encoding.encode("latin-1"))]
    scope = {"type": "http", "method": "GET", "path": "/stream", "headers": headers}
    await CompressionMiddleware(app, policy)(scope, receive, send)


def trace_stream(
    chunks: list[bytes], accept_encoding: str | None, policy: CompressionPolicy | None = None
) -> StreamTrace:
    """Stream ``chunks`` through the middleware for a client sending ``accept_encoding``; return the trace."""
    trace = StreamTrace(chunks=list(chunks))
    asyncio.run(_run(trace, accept_encoding, policy))
    return trace
