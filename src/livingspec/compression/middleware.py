"""An ASGI middleware that compresses responses and decodes compressed request bodies.

Responses (RFC 9110 8.4, 12.5.3, 12.5.5): the coding is negotiated from Accept-Encoding; a body
is compressed when it is at least ``minimum_size`` bytes, its type is not already compressed
(images, archives, fonts) and it has no Content-Encoding yet. A compressed response gets
Content-Encoding, ``Vary: Accept-Encoding``, a weak ETag (a strong one names the identity bytes
and would lie), no Accept-Ranges (ranges would count identity bytes), and the seed's
``Original-Content-Length`` when the original length is known. A streaming response is
compressed chunk by chunk, each flushed, so nothing waits for the whole body.

Requests: a body sent with Content-Encoding is decoded before the application runs, under hard
limits (``DecodeLimits``): a bomb is answered 413, a truncated or corrupt stream 400, an unknown
coding 415 with the codings we read in Accept-Encoding (RFC 9110 15.5.16). The application sees
the decoded bytes and no Content-Encoding.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread

from livingspec.compression.codecs import (
    CODINGS,
    DEFAULT_LEVELS,
    DecodeLimits,
    Encoder,
    check_layers,
    compress,
    decode_all,
    encoder,
    parse_content_encoding,
)
from livingspec.compression.errors import (
    CompressionError,
    EncodedSizeLimitError,
    UnsupportedEncodingError,
)
from livingspec.compression.negotiation import DEFAULT_PREFERENCE, IDENTITY, negotiate

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ORIGINAL_LENGTH = "original-content-length"

#: Media types whose bodies are already compressed: compressing them again costs CPU for nothing.
ALREADY_COMPRESSED: tuple[str, ...] = (
    "image/",
    "video/",
    "audio/",
    "font/woff",
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "application/zstd",
    "application/x-bzip2",
    "application/x-xz",
    "application/x-7z-compressed",
    "application/x-rar-compressed",
    "application/vnd.rar",
)
#: Exceptions to the list above: text formats under a compressed-sounding top-level type.
COMPRESSIBLE_EXCEPTIONS: tuple[str, ...] = ("image/svg+xml", "image/x-icon", "image/bmp")


@dataclass(frozen=True)
class CompressionPolicy:
    """What the middleware does; the defaults are the policy the benchmark measures.

    minimum_size: bodies smaller than this (bytes) go out as they are: headers and CPU cost more
        than the few bytes saved (Starlette uses 500, nginx gzip_min_length 20).
    preference: the server's order among codings of equal client weight, best first.
    levels: level per coding; br 6 (the first choice) is smaller than gzip -9 on JSON at over twice its speed.
    skip_types: media-type prefixes sent as they are (already compressed).
    limits: hard limits for decoding request bodies.
    decode_requests: decode request bodies that carry Content-Encoding (False passes them through).
    offload_above: request bodies of more encoded bytes than this, or of more than one coding, are
        decoded in a worker thread, so a bomb being refused never stalls the event loop. A single
        layer of at most this many bytes decodes to at most ``max_ratio`` times as much (about
        200 KiB by default) and decodes in place: the thread hop would cost more.
    decode_concurrency: bodies decoded in worker threads at once, per event loop; more wait their
        turn, so decoding holds at most this many times ``limits.max_size`` bytes (default 4: 32 MiB).
    """

    minimum_size: int = 512
    preference: tuple[str, ...] = DEFAULT_PREFERENCE
    levels: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LEVELS))
    skip_types: tuple[str, ...] = ALREADY_COMPRESSED
    limits: DecodeLimits = field(default_factory=DecodeLimits)
    decode_requests: bool = True
    offload_above: int = 1024
    decode_concurrency: int = 4

    def __post_init__(self) -> None:
        if self.decode_concurrency < 1:  # no slot would ever free: every compressed request would wait forever
            raise CompressionError(f"decode_concurrency must be at least 1, got {self.decode_concurrency}")

    def compressible(self, content_type: str) -> bool:
        """Whether a body of ``content_type`` is worth compressing."""
        media = content_type.split(";", 1)[0].strip().lower()
        if media in COMPRESSIBLE_EXCEPTIONS:
            return True
        return not any(media.startswith(prefix) for prefix in self.skip_types)


def header_value(headers: list[tuple[bytes, bytes]] | Any, name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes) among ASGI headers, or None."""
    for key, value in headers:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def joined_values(headers: list[tuple[bytes, bytes]] | Any, name: bytes) -> str | None:
    """Every value of a list-valued header, joined with commas (RFC 9110 5.3), or None when absent."""
    values = [bytes(value).decode("latin-1") for key, value in headers if key.lower() == name]
    return ", ".join(values) if values else None


def _without(headers: list[tuple[bytes, bytes]], *names: bytes) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k.lower() not in names]


def _with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Headers with Accept-Encoding in Vary (RFC 9110 12.5.5), added once."""
    vary = [v.decode("latin-1") for k, v in headers if k.lower() == b"vary"]
    fields = {part.strip().lower() for value in vary for part in value.split(",")}
    if "*" in fields or "accept-encoding" in fields:
        return headers
    joined = ", ".join([*vary, "Accept-Encoding"])
    return [*_without(headers, b"vary"), (b"vary", joined.encode("latin-1"))]


def _weak_etag(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Strong ETags become weak: the compressed bytes differ from those the tag names."""
    return [(k, b"W/" + v if k.lower() == b"etag" and v.startswith(b'"') else v) for k, v in headers]


async def _plain(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body; EncodedSizeLimitError as soon as it passes ``limit`` bytes."""
    parts: list[bytes] = []
    received = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:  # even the encoded form is past the decoded limit
            raise EncodedSizeLimitError(received, limit)
        parts.append(chunk)
        more = message.get("more_body", False)
    return b"".join(parts)


class CompressionMiddleware:
    """Wrap an ASGI app: negotiated, streaming response compression and bounded request decoding."""

    def __init__(self, app: ASGIApp, policy: CompressionPolicy | None = None) -> None:
        self.app = app
        self.policy = policy or CompressionPolicy()
        # One semaphore per event loop (a semaphore belongs to the loop it first waits on).
        self._decode_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    async def _decode_off_loop(self, encoded: bytes, content_encoding: str | None) -> bytes:
        """Decode in a worker thread once one of ``decode_concurrency`` slots is free."""
        loop = asyncio.get_running_loop()
        slots = self._decode_slots.get(loop)
        if slots is None:
            slots = self._decode_slots[loop] = anyio.Semaphore(self.policy.decode_concurrency)
        async with slots:
            return await anyio.to_thread.run_sync(decode_all, encoded, content_encoding, self.policy.limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # websockets and lifespan pass through untouched
            await self.app(scope, receive, send)
            return
        headers = list(scope.get("headers", []))
        if self.policy.decode_requests and parse_content_encoding(joined_values(headers, b"content-encoding")):
            try:
                scope, receive = await self._decoded_request(scope, headers, receive)
            except UnsupportedEncodingError as error:
                accept = ", ".join(CODINGS).encode()
                await _plain(send, error.status, str(error), [(b"accept-encoding", accept)])
                return
            except CompressionError as error:
                await _plain(send, error.status, str(error))
                return
        choice = negotiate(joined_values(headers, b"accept-encoding"), self.policy.preference)
        if not choice.acceptable:  # RFC 9110 12.5.3: identity is excluded and we have nothing acceptable
            offered = ", ".join(self.policy.preference)
            await _plain(send, 406, f"{choice.reason}; this server offers {offered}", [(b"vary", b"Accept-Encoding")])
            return
        identity_ok = choice.accept.weight_of(IDENTITY) > 0 or not choice.accept.present
        responder = _Responder(self.policy, choice.coding, identity_ok, scope.get("method") == "HEAD", send)
        await self.app(scope, receive, responder.send)

    async def _decoded_request(
        self, scope: Scope, headers: list[tuple[bytes, bytes]], receive: Receive
    ) -> tuple[Scope, Receive]:
        """Read the encoded body (bounded), decode it under the limits, and hand the app the decoded bytes."""
        content_encoding = joined_values(headers, b"content-encoding")
        codings = parse_content_encoding(content_encoding)
        check_layers(codings, self.policy.limits)  # before reading: 150 layers are refused unread
        for coding in codings:
            if coding not in CODINGS:
                raise UnsupportedEncodingError(coding, CODINGS)
        encoded = await _read_body(receive, self.policy.limits.max_size)
        if len(encoded) > self.policy.offload_above or len(codings) > 1:  # off the loop: others go on meanwhile
            body = await self._decode_off_loop(encoded, content_encoding)
        else:
            body = decode_all(encoded, content_encoding, self.policy.limits)
        new_headers = _without(headers, b"content-encoding", b"content-length")
        new_headers.append((b"content-length", str(len(body)).encode()))
        delivered = False

        async def decoded_receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return {**scope, "headers": new_headers}, decoded_receive


class _Responder:
    """Per-response state: holds the start message until the body shows whether to compress."""

    def __init__(self, policy: CompressionPolicy, coding: str, identity_ok: bool, head: bool, send: Send) -> None:
        self.policy, self.coding, self.identity_ok, self.head = policy, coding, identity_ok, head
        self._send = send
        self.start: Message | None = None
        self.mode = "undecided"  # -> "pass" (send as is) | "buffer" (waiting for minimum_size) | "stream"
        self.buffer: list[bytes] = []
        self.buffered = 0
        self.encoder: Encoder | None = None

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            await self._on_start(message)
        elif kind == "http.response.body" and self.mode == "buffer":
            await self._on_buffered_body(message)
        elif kind == "http.response.body" and self.mode == "stream":
            await self._on_stream_body(message)
        else:  # passing through, or a message type we do not touch (trailers, pathsend)
            await self._send(message)

    async def _on_start(self, message: Message) -> None:
        headers = list(message.get("headers", []))
        status = int(message["status"])
        content_type = header_value(headers, b"content-type") or ""
        encoded = (header_value(headers, b"content-encoding") or IDENTITY).strip().lower() != IDENTITY
        no_transform = "no-transform" in (joined_values(headers, b"cache-control") or "").lower()
        if encoded or no_transform or status < 200 or status in (204, 206, 304):
            # Already encoded (we never encode twice), Cache-Control: no-transform (RFC 9111 5.2.2.6),
            # no body, or a range of the identity bytes.
            self.mode = "pass"
            await self._send(message)
            return
        if not self.policy.compressible(content_type) and self.identity_ok:
            self.mode = "pass"  # already compressed: identity costs nothing and saves CPU
            await self._send(message)
            return
        message = {**message, "headers": _with_vary(headers)}  # the choice depends on Accept-Encoding
        if self.coding == IDENTITY or self.head:
            self.mode = "pass"
            await self._send(message)
            return
        self.start, self.mode = message, "buffer"

    async def _on_buffered_body(self, message: Message) -> None:
        chunk = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        self.buffer.append(chunk)
        self.buffered += len(chunk)
        if more and self.buffered < self.policy.minimum_size:
            return  # still too little to decide: keep at most minimum_size bytes
        body = b"".join(self.buffer)
        self.buffer = []
        assert self.start is not None
        headers = list(self.start["headers"])
        if not more and len(body) < self.policy.minimum_size and self.identity_ok:
            # Small whole body: send as it is.
            self.mode = "pass"
            await self._send(self.start)
            await self._send({"type": "http.response.body", "body": body, "more_body": False})
            return
        level = self.policy.levels.get(self.coding)
        compressed_headers = _weak_etag(
            _without(headers, b"content-length", b"accept-ranges", b"content-encoding", ORIGINAL_LENGTH.encode())
        )
        compressed_headers.append((b"content-encoding", self.coding.encode()))
        if not more:  # the whole body is here: one stream, exact lengths
            data = compress(body, self.coding, level)
            compressed_headers += [
                (b"content-length", str(len(data)).encode()),
                (ORIGINAL_LENGTH.encode(), str(len(body)).encode()),
            ]
            self.mode = "pass"
            await self._send({**self.start, "headers": compressed_headers})
            await self._send({"type": "http.response.body", "body": data, "more_body": False})
            return
        # Streaming: the compressed length is unknown; the original only if the app declared it.
        declared = header_value(headers, b"content-length")
        if declared is not None and declared.strip().isdigit():
            compressed_headers.append((ORIGINAL_LENGTH.encode(), declared.strip().encode()))
        self.encoder = encoder(self.coding, level)
        self.mode = "stream"
        await self._send({**self.start, "headers": compressed_headers})
        await self._send({"type": "http.response.body", "body": self.encoder.compress(body), "more_body": True})

    async def _on_stream_body(self, message: Message) -> None:
        assert self.encoder is not None
        chunk = bytes(message.get("body", b""))
        if message.get("more_body", False):
            data = self.encoder.compress(chunk) if chunk else b""
            if data:
                await self._send({"type": "http.response.body", "body": data, "more_body": True})
            return
        data = (self.encoder.compress(chunk) if chunk else b"") + self.encoder.finish()
        await self._send({"type": "http.response.body", "body": data, "more_body": False})
