"""The content codings: gzip and deflate (zlib), br (brotli), zstd (zstandard), each both ways.

RFC 9110 8.4.1 registers the codings: ``gzip`` is RFC 1952, ``deflate`` is the zlib format of
RFC 1950 (some senders use raw RFC 1951 deflate; we read both), ``br`` is RFC 7932, ``zstd`` is
RFC 8878. Encoding is offered whole (``compress``) or incrementally (``Encoder``: each chunk is
flushed so a streaming response reaches the client as it is produced). Decoding (``decode``)
runs under hard limits on the decoded size and the expansion ratio, producing output in
bounded steps so a bomb is stopped before it fills memory; a stream that is cut short or
corrupt raises a specific error, never a library exception.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Protocol

import brotli  # type: ignore[import-untyped]  # no stubs; pyproject may not list it
import zstandard

from livingspec.compression.errors import (
    CompressionRatioLimitError,
    CorruptBodyError,
    DecodedSizeLimitError,
    InvalidLevelError,
    TooManyCodingsError,
    TruncatedBodyError,
    UnsupportedEncodingError,
)

#: Codings this module produces and reads (identity is "no coding").
CODINGS: tuple[str, ...] = ("br", "zstd", "gzip", "deflate")
#: Levels of the default policy: br 6 is smaller than gzip -9 on JSON at over twice its speed (see the benchmark).
DEFAULT_LEVELS: dict[str, int] = {"br": 6, "zstd": 3, "gzip": 6, "deflate": 6}
#: Valid level ranges per coding (brotli calls it quality).
LEVEL_RANGES: dict[str, tuple[int, int]] = {"br": (0, 11), "zstd": (1, 22), "gzip": (0, 9), "deflate": (0, 9)}

_STEP = 64 * 1024  # decoded bytes produced per step: the most a decoder holds beyond the limit
_ZSTD_MAX_WINDOW = 1 << 23  # refuse zstd frames that ask for more than an 8 MiB window
_ZSTD_BLOCK = 128 * 1024  # the largest zstd block: one 3-byte block header can yield this much


def _check_coding(coding: str) -> str:
    coding = coding.lower()
    if coding not in CODINGS:
        raise UnsupportedEncodingError(coding, CODINGS)
    return coding


def _level(coding: str, level: int | None) -> int:
    low, high = LEVEL_RANGES[coding]
    chosen = DEFAULT_LEVELS[coding] if level is None else level
    if not low <= chosen <= high:
        raise InvalidLevelError(coding, chosen, low, high)
    return chosen


#: Words for a level: the default policy's, the coding's fastest (that still compresses) and its best.
LEVEL_WORDS: tuple[str, ...] = ("default", "fastest", "best")


def level_named(coding: str, name: str) -> int:
    """The level ``name`` means for ``coding``: a word of LEVEL_WORDS or a number within LEVEL_RANGES.

    Raises UnsupportedEncodingError for an unknown coding and InvalidLevelError for a number out of range.
    """
    coding = _check_coding(coding)
    low, high = LEVEL_RANGES[coding]
    words = {"default": DEFAULT_LEVELS[coding], "fastest": max(low, 1) if coding in ("gzip", "deflate") else low}
    words["best"] = high
    if name in words:
        return words[name]
    if not name.isdigit():
        raise InvalidLevelError(coding, name, low, high)
    return _level(coding, int(name))


class Encoder(Protocol):
    """An incremental compressor: ``compress`` returns the flushed output of one chunk."""

    def compress(self, chunk: bytes) -> bytes:
        """Compress ``chunk`` and flush, so everything given so far can be decoded by the receiver."""
        ...

    def finish(self) -> bytes:
        """End the stream: the remaining output and the end marker."""
        ...


class _ZlibEncoder:
    def __init__(self, level: int, wbits: int) -> None:
        self._obj = zlib.compressobj(level, zlib.DEFLATED, wbits)

    def compress(self, chunk: bytes) -> bytes:
        return self._obj.compress(chunk) + self._obj.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._obj.flush(zlib.Z_FINISH)


class _BrotliEncoder:
    def __init__(self, level: int) -> None:
        self._obj = brotli.Compressor(quality=level)

    def compress(self, chunk: bytes) -> bytes:
        return bytes(self._obj.process(chunk)) + bytes(self._obj.flush())

    def finish(self) -> bytes:
        return bytes(self._obj.finish())


class _ZstdEncoder:
    def __init__(self, level: int) -> None:
        self._obj = zstandard.ZstdCompressor(level=level).compressobj()

    def compress(self, chunk: bytes) -> bytes:
        return self._obj.compress(chunk) + self._obj.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)

    def finish(self) -> bytes:
        return self._obj.flush(zstandard.COMPRESSOBJ_FLUSH_FINISH)


def encoder(coding: str, level: int | None = None) -> Encoder:
    """An incremental encoder for ``coding`` at ``level`` (the default policy's level when None)."""
    coding = _check_coding(coding)
    chosen = _level(coding, level)
    if coding == "gzip":
        return _ZlibEncoder(chosen, 16 + zlib.MAX_WBITS)
    if coding == "deflate":
        return _ZlibEncoder(chosen, zlib.MAX_WBITS)
    if coding == "br":
        return _BrotliEncoder(chosen)
    return _ZstdEncoder(chosen)


def compress(data: bytes, coding: str, level: int | None = None) -> bytes:
    """``data`` compressed whole with ``coding`` at ``level`` (one stream, no intermediate flushes)."""
    coding = _check_coding(coding)
    chosen = _level(coding, level)
    if coding == "gzip":
        obj = zlib.compressobj(chosen, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return obj.compress(data) + obj.flush()
    if coding == "deflate":
        return zlib.compress(data, chosen)
    if coding == "br":
        return bytes(brotli.compress(data, quality=chosen))
    return zstandard.ZstdCompressor(level=chosen).compress(data)


@dataclass(frozen=True)
class DecodeLimits:
    """Hard limits for decoding an untrusted body.

    max_size: decoded bytes allowed (default 8 MiB); more is a bomb (413).
    max_ratio: decoded/encoded allowed once the body is past ``ratio_floor`` bytes (default 200x;
        gzip tops out near 1032x, so honest JSON rarely passes 50x while bombs run far above).
    ratio_floor: decoded size under which the ratio is not judged (tiny bodies compress well).
    max_layers: codings one Content-Encoding may stack (default 5, urllib3's cap); each layer is a
        full decode, so more is refused (415) before any is decoded.
    """

    max_size: int = 8 * 1024 * 1024
    max_ratio: float = 200.0
    ratio_floor: int = 64 * 1024
    max_layers: int = 5


class _Budget:
    """Counts decoded bytes and raises as soon as a limit is passed."""

    def __init__(self, coding: str, encoded: int, limits: DecodeLimits) -> None:
        self.coding, self.encoded, self.limits = coding, encoded, limits
        self.parts: list[bytes] = []
        self.total = 0

    @property
    def remaining(self) -> int:
        return max(self.limits.max_size - self.total, 0)

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self.total > self.limits.max_size:
            raise DecodedSizeLimitError(self.coding, self.total, self.limits.max_size)
        if self.total > self.limits.ratio_floor and self.total > self.limits.max_ratio * self.encoded:
            raise CompressionRatioLimitError(self.coding, self.total, self.encoded, self.limits.max_ratio)
        self.parts.append(chunk)

    def result(self) -> bytes:
        return b"".join(self.parts)


def _decode_zlib(data: bytes, coding: str, budget: _Budget) -> None:
    if coding == "gzip":
        wbits = 16 + zlib.MAX_WBITS
    else:  # deflate: the zlib wrapper of RFC 1950 when its header checks out, raw RFC 1951 otherwise
        zlib_header = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
        wbits = zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
    pending = data
    while True:  # one gzip member (or the one deflate stream) per pass
        obj = zlib.decompressobj(wbits)
        try:
            chunk = obj.decompress(pending, _STEP)
            budget.add(chunk)
            while obj.unconsumed_tail:
                budget.add(obj.decompress(obj.unconsumed_tail, _STEP))
            while not obj.eof:  # input consumed but output may still be pending
                chunk = obj.decompress(b"", _STEP)
                if not chunk:
                    break
                budget.add(chunk)
        except zlib.error as error:
            raise CorruptBodyError(coding, str(error)) from None
        if not obj.eof:
            raise TruncatedBodyError(coding, budget.total)
        pending = obj.unused_data
        if not pending or coding != "gzip":
            if pending:
                raise CorruptBodyError(coding, f"{len(pending)} byte(s) after the end of the stream")
            return


def _decode_brotli(data: bytes, budget: _Budget) -> None:
    obj = brotli.Decompressor()
    try:
        budget.add(bytes(obj.process(data, output_buffer_limit=_STEP)))
        while not obj.is_finished():  # drain output held back by the limit, one bounded step at a time
            chunk = bytes(obj.process(b"", output_buffer_limit=_STEP))
            if not chunk:
                break
            budget.add(chunk)
    except brotli.error as error:
        raise CorruptBodyError("br", str(error) or "invalid brotli stream") from None
    if not obj.is_finished():
        raise TruncatedBodyError("br", budget.total)


def _decode_zstd(data: bytes, budget: _Budget) -> None:
    pending = data
    while pending:  # one zstd frame per pass (RFC 8878 allows several, concatenated)
        obj = zstandard.ZstdDecompressor(max_window_size=_ZSTD_MAX_WINDOW).decompressobj()
        position = 0
        try:
            while position < len(pending) and not obj.eof:
                # Feed few enough bytes that even all-RLE blocks cannot overshoot the remaining budget much:
                # every block costs at least 3 input bytes and yields at most 128 KiB.
                step = max(16, 3 * (budget.remaining // _ZSTD_BLOCK))
                budget.add(obj.decompress(pending[position : position + step]))
                position += step
        except zstandard.ZstdError as error:
            raise CorruptBodyError("zstd", str(error)) from None
        if not obj.eof:
            raise TruncatedBodyError("zstd", budget.total)
        pending = obj.unused_data + pending[position:]


def decode(data: bytes, coding: str, limits: DecodeLimits | None = None) -> bytes:
    """Decode ``data`` of content coding ``coding`` under ``limits``; raises a CompressionError, never more.

    identity returns the bytes unchanged (still bound by the size limit). An empty body is not a
    valid stream of any coding: it is truncated.
    """
    limits = limits or DecodeLimits()
    coding = coding.lower()
    if coding == "identity":
        if len(data) > limits.max_size:
            raise DecodedSizeLimitError(coding, len(data), limits.max_size)
        return data
    coding = _check_coding("gzip" if coding == "x-gzip" else coding)
    budget = _Budget(coding, len(data), limits)
    if not data:
        raise TruncatedBodyError(coding, 0)
    if coding in ("gzip", "deflate"):
        _decode_zlib(data, coding, budget)
    elif coding == "br":
        _decode_brotli(data, budget)
    else:
        _decode_zstd(data, budget)
    return budget.result()


def parse_content_encoding(header: str | None) -> list[str]:
    """The codings of a Content-Encoding value in the order they were applied (identity dropped)."""
    if not header:
        return []
    codings = [part.strip().lower() for part in header.split(",")]
    return [("gzip" if c == "x-gzip" else c) for c in codings if c and c != "identity"]


def check_layers(codings: list[str], limits: DecodeLimits) -> None:
    """Raise TooManyCodingsError when ``codings`` stacks more layers than ``limits`` allow."""
    if len(codings) > limits.max_layers:
        raise TooManyCodingsError(len(codings), limits.max_layers)


def decode_all(data: bytes, content_encoding: str | None, limits: DecodeLimits | None = None) -> bytes:
    """Undo every coding of a Content-Encoding value, last applied first, each under ``limits``."""
    limits = limits or DecodeLimits()
    codings = parse_content_encoding(content_encoding)
    check_layers(codings, limits)
    for coding in reversed(codings):
        data = decode(data, coding, limits)
    return data
