"""Fuzz: arbitrary Accept-Encoding and Content-Encoding values raise only compression errors, in bounded work.

The Accept-Encoding parser never raises (what it cannot read it reports as ignored); the
Content-Encoding path raises only CompressionError, and through the middleware every header
gets one of the statuses the concept defines, never a 500. A hang guard (not a speed check)
and tracemalloc bound time and memory. Hypothesis runs the quick profile locally and the
thorough one under CI.
"""

from __future__ import annotations

import asyncio
import signal
import tracemalloc
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import event, given
from hypothesis import strategies as st

from livingspec.compression import (
    CODINGS,
    DEFAULT_PREFERENCE,
    CompressionError,
    DecodeLimits,
    TooManyCodingsError,
    acceptable_codings,
    compress,
    decode_all,
    negotiate,
    parse_accept_encoding,
    parse_content_encoding,
)
from livingspec.compression.app import build_app
from livingspec.compression.negotiation import ANY, IDENTITY

T = TypeVar("T")
HANG_GUARD_SECONDS = 20  # a hang detector, not a speed check: parsing a header takes microseconds
SMALL = DecodeLimits(max_size=256 * 1024, max_ratio=50, ratio_floor=4096)


class HangError(Exception):
    """The code under test ran past the hang guard."""


def guarded(action: Callable[[], T]) -> tuple[T, int]:
    """Run ``action`` under the hang guard and tracemalloc: its result and the peak bytes it traced."""

    def alarm(signum: int, frame: Any) -> None:
        raise HangError(f"ran over {HANG_GUARD_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_GUARD_SECONDS)
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# Pieces a header is made of, so that generated text is often close to valid and reaches every branch.
_PIECES = [
    *CODINGS,
    "identity",
    "*",
    "x-gzip",
    "GZIP",
    "compress",
    ",",
    ", ",
    ";",
    ";q=",
    "; Q = ",
    "q",
    "=",
    "0",
    "1",
    "0.5",
    "1.000",
    "0.1234",
    "2",
    "abc",
    " ",
    "\t",
    '"',
    "é",
    "\x00",
    "\u2028",
]
near_valid = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)
headers = st.one_of(st.text(max_size=200), near_valid, st.binary(max_size=200).map(lambda b: b.decode("latin-1")))


def _element_count(header: str) -> int:
    return len(header.split(","))


@given(header=st.one_of(headers, st.binary(max_size=200)))
def test_fuzz_accept_encoding_is_parsed_without_raising(header: str | bytes) -> None:
    accept, peak = guarded(lambda: parse_accept_encoding(header))
    text = header.decode("latin-1") if isinstance(header, bytes) else header
    event("some ignored" if accept.ignored else "all read")
    assert accept.present
    assert all(0 <= weight <= 1000 for weight in accept.weights.values())
    assert all(name == name.lower() and name.strip() == name and name for name in accept.weights)
    assert len(accept.weights) + len(accept.ignored) <= _element_count(text)
    assert peak < 64 * len(text) + 64 * 1024, f"parsing {len(text)} characters peaked at {peak} bytes"


@given(header=st.one_of(st.none(), headers))
def test_fuzz_negotiation_always_decides_and_agrees_with_the_ranking(header: str | None) -> None:
    choice, _ = guarded(lambda: negotiate(header))
    ranked = acceptable_codings(header)
    assert choice.coding in (*DEFAULT_PREFERENCE, IDENTITY)
    assert choice.status == (200 if choice.acceptable else 406)
    if header is None:  # any coding is acceptable, identity is what we send (see negotiation's docstring)
        assert (choice.coding, ranked) == (IDENTITY, [*DEFAULT_PREFERENCE, IDENTITY])
    elif choice.acceptable:
        assert ranked[0] == choice.coding
        assert choice.accept.weight_of(choice.coding) > 0
    else:
        assert ranked == []
        assert choice.accept.weight_of(IDENTITY) == 0 and choice.accept.weight_of(ANY) == 0


@given(header=st.one_of(st.none(), headers))
def test_fuzz_content_encoding_is_parsed_without_raising(header: str | None) -> None:
    codings, peak = guarded(lambda: parse_content_encoding(header))
    assert all(c and c == c.strip().lower() and c not in ("identity", "x-gzip") for c in codings)
    assert len(codings) <= (_element_count(header) if header else 0)
    assert peak < 64 * len(header or "") + 64 * 1024


content_encodings = st.one_of(
    headers,
    st.lists(st.sampled_from([*CODINGS, "identity", "x-gzip", "lzma", ""]), max_size=12).map(", ".join),
)


@given(header=content_encodings, data=st.binary(max_size=300))
def test_fuzz_decoding_under_any_content_encoding_raises_only_compression_errors(header: str, data: bytes) -> None:
    def attempt() -> bytes | CompressionError:
        try:
            return decode_all(data, header, SMALL)
        except CompressionError as error:
            return error

    outcome, peak = guarded(attempt)
    event(type(outcome).__name__)
    if len(parse_content_encoding(header)) > SMALL.max_layers:
        assert isinstance(outcome, TooManyCodingsError)
    if isinstance(outcome, bytes):
        assert len(outcome) <= SMALL.max_size
    else:
        assert str(outcome)
    assert peak < 4 * SMALL.max_size + (1 << 20)


@given(layers=st.lists(st.sampled_from(CODINGS), min_size=1, max_size=8), data=st.binary(max_size=200))
def test_fuzz_valid_layers_decode_up_to_the_cap_and_are_refused_beyond(layers: list[str], data: bytes) -> None:
    body = data
    for coding in layers:
        body = compress(body, coding, 1)
    try:
        decoded = decode_all(body, ", ".join(layers), SMALL)
    except TooManyCodingsError:
        assert len(layers) > SMALL.max_layers
    else:
        assert len(layers) <= SMALL.max_layers and decoded == data


def _status_for(headers: list[tuple[bytes, bytes]], method: str, body: bytes) -> int:
    """Drive the sample app behind the middleware straight through ASGI (any header bytes allowed)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    path = "/echo" if method == "POST" else "/corpus/json/4000"
    scope = {"type": "http", "method": method, "path": path, "headers": headers, "query_string": b""}
    asyncio.run(build_app()(scope, receive, send))  # type: ignore[arg-type]
    return int(sent[0]["status"])


raw_values = st.one_of(headers.map(lambda h: h.encode("utf-8")), st.binary(max_size=200))


@given(value=raw_values)
def test_fuzz_any_accept_encoding_gets_200_or_406(value: bytes) -> None:
    status, _ = guarded(lambda: _status_for([(b"accept-encoding", value)], "GET", b""))
    event(str(status))
    assert status in (200, 406)


@given(value=raw_values, body=st.binary(max_size=300))
def test_fuzz_any_content_encoding_gets_a_status_of_the_concept(value: bytes, body: bytes) -> None:
    status, _ = guarded(lambda: _status_for([(b"content-encoding", value)], "POST", body))
    event(str(status))
    assert status in (200, 400, 413, 415)
