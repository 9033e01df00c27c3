"""The codings both ways, and decoding under hard limits: round trips, bombs, damage, arbitrary bytes."""

from __future__ import annotations

import contextlib
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livingspec.compression import (
    CODINGS,
    CompressionError,
    CompressionRatioLimitError,
    CorruptBodyError,
    DecodedSizeLimitError,
    DecodeLimits,
    InvalidLevelError,
    TruncatedBodyError,
    UnsupportedEncodingError,
    compress,
    decode,
    decode_all,
    encoder,
    users_json,
)

SMALL = DecodeLimits(max_size=64 * 1024, max_ratio=50, ratio_floor=4096)


@pytest.mark.parametrize("coding", CODINGS)
def test_whole_round_trip(coding: str) -> None:
    data = users_json(20000)
    assert decode(compress(data, coding), coding) == data


@pytest.mark.parametrize("coding", CODINGS)
def test_incremental_round_trip(coding: str) -> None:
    data = users_json(20000)
    stream = encoder(coding)
    encoded = b"".join(stream.compress(data[i : i + 3000]) for i in range(0, len(data), 3000)) + stream.finish()
    assert decode(encoded, coding) == data


@pytest.mark.parametrize("coding", CODINGS)
def test_bomb_stops_at_the_size_limit(coding: str) -> None:
    bomb = compress(bytes(4 << 20), coding, 1)
    limits = DecodeLimits(max_size=1 << 20, max_ratio=1e9)
    with pytest.raises(DecodedSizeLimitError) as caught:
        decode(bomb, coding, limits)
    assert caught.value.limit == 1 << 20
    assert caught.value.decoded <= (1 << 20) + 512 * 1024  # at most one bounded step beyond the limit


@pytest.mark.parametrize("coding", CODINGS)
def test_bomb_stops_at_the_ratio_limit(coding: str) -> None:
    bomb = compress(bytes(1 << 20), coding, 1)
    with pytest.raises(CompressionRatioLimitError):
        decode(bomb, coding, DecodeLimits(max_size=1 << 24, max_ratio=20, ratio_floor=1024))


@pytest.mark.parametrize("coding", CODINGS)
def test_cut_short_is_truncated(coding: str) -> None:
    encoded = compress(users_json(5000), coding)
    with pytest.raises(TruncatedBodyError):
        decode(encoded[: len(encoded) // 2], coding)


@pytest.mark.parametrize("coding", CODINGS)
def test_empty_body_is_truncated(coding: str) -> None:
    with pytest.raises(TruncatedBodyError):
        decode(b"", coding)


def test_raw_deflate_is_read_too() -> None:
    obj = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = obj.compress(b"hello " * 100) + obj.flush()
    assert decode(raw, "deflate") == b"hello " * 100


def test_gzip_members_concatenate() -> None:
    assert decode(compress(b"one ", "gzip") + compress(b"two", "gzip"), "gzip") == b"one two"


def test_zstd_frames_concatenate() -> None:
    assert decode(compress(b"one ", "zstd") + compress(b"two", "zstd"), "zstd") == b"one two"


def test_unknown_coding_is_unsupported() -> None:
    with pytest.raises(UnsupportedEncodingError, match="lzma"):
        decode(b"x", "lzma")


def test_layered_codings_are_undone_last_first() -> None:
    data = users_json(3000)
    layered = compress(compress(data, "gzip"), "br")
    assert decode_all(layered, "gzip, br") == data


def test_identity_is_bounded_too() -> None:
    with pytest.raises(DecodedSizeLimitError):
        decode(bytes(100), "identity", DecodeLimits(max_size=10))


def test_levels_out_of_range_are_refused() -> None:
    with pytest.raises(InvalidLevelError, match="level 12"):
        compress(b"x", "gzip", 12)


@pytest.mark.parametrize("coding", CODINGS)
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_decoding(coding: str, data: bytes) -> None:
    try:
        out = decode(data, coding, SMALL)
    except CompressionError:
        return
    assert len(out) <= SMALL.max_size


@pytest.mark.parametrize("coding", CODINGS)
@given(data=st.binary(max_size=3000), cut=st.integers(0, 3000), flip=st.integers(0, 3000), mask=st.integers(1, 255))
def test_damaged_streams_never_crash_decoding(coding: str, data: bytes, cut: int, flip: int, mask: int) -> None:
    encoded = bytearray(compress(data, coding, 1 if coding != "br" else 0))
    if flip < len(encoded):
        encoded[flip] ^= mask
    damaged = bytes(encoded[: max(cut, 1)])
    try:
        out = decode(damaged, coding, SMALL)
    except (CorruptBodyError, CompressionError):
        return
    assert len(out) <= SMALL.max_size


@settings(max_examples=30)
@pytest.mark.parametrize("coding", CODINGS)
@given(data=st.binary(max_size=20000), level=st.integers(1, 9))
def test_round_trip_of_arbitrary_payloads(coding: str, data: bytes, level: int) -> None:
    assert decode(compress(data, coding, level), coding, DecodeLimits(max_size=1 << 20, max_ratio=1e9)) == data


@given(header=st.text(max_size=40), data=st.binary(max_size=500))
def test_any_content_encoding_header_never_crashes_decoding(header: str, data: bytes) -> None:
    with contextlib.suppress(CompressionError):
        decode_all(data, header, SMALL)
