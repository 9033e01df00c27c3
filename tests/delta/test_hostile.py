"""Hostile packed bytes: decoder bombs are refused before allocating, and arbitrary bytes raise only DeltaError."""

import signal
import tracemalloc

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from livingspec import delta
from livingspec.delta import kernels, packed


def _header(block_size: int, miniblocks: int, count: int) -> bytes:
    return delta.uleb128(block_size) + delta.uleb128(miniblocks) + delta.uleb128(count) + delta.uleb128(0)


def _zero_width_stream(block_size: int, miniblocks: int, body_bytes: int) -> bytes:
    """A header promising as many values as ``body_bytes`` of all-zero block headers can stand for."""
    blocks = body_bytes // (1 + miniblocks)
    return _header(block_size, miniblocks, blocks * block_size + 1) + b"\x00" * (blocks * (1 + miniblocks))


def _peak_bytes(action):
    """Peak memory traced while ``action`` runs (numpy reports its buffers to tracemalloc)."""
    tracemalloc.start()
    try:
        try:
            action()
        except delta.DeltaError as error:
            caught = error
        else:
            caught = None
        return tracemalloc.get_traced_memory()[1], caught
    finally:
        tracemalloc.stop()


def test_the_137_byte_bomb_is_refused():
    # Before the fix these 137 bytes unpacked to 33.5 MB (4,194,305 values, about 245,000x).
    bomb = _zero_width_stream(65536, 1, 128)
    assert len(bomb) == 137
    with pytest.raises(delta.CorruptDataError, match="block size 65536"):
        delta.unpack(bomb)


def test_a_1_mb_header_only_input_raises_delta_error_without_allocating():
    # Before the fix: numpy's MemoryError (an attempt to allocate 244 GiB).
    bomb = _zero_width_stream(65536, 1, 1_000_000)
    peak, error = _peak_bytes(lambda: delta.unpack(bomb))
    assert isinstance(error, delta.CorruptDataError)
    assert peak < 1_000_000


def test_the_largest_allowed_blocks_are_bounded_by_max_values_before_allocating():
    bomb = _zero_width_stream(delta.MAX_BLOCK_SIZE, 1, 1_000_000)  # promises 2,048,000,001 values
    peak, error = _peak_bytes(lambda: delta.unpack(bomb))
    assert isinstance(error, delta.ValueCountError)
    assert "more than max_values=1048576" in str(error)
    assert peak < 1_000_000


def test_a_stream_within_bounds_decodes_and_max_values_is_the_callers_choice():
    stream = _zero_width_stream(delta.MAX_BLOCK_SIZE, 1, 128)  # 64 blocks: 262,145 values
    assert delta.unpack(stream).tolist() == [0] * (64 * delta.MAX_BLOCK_SIZE + 1)
    with pytest.raises(delta.ValueCountError, match="max_values=1000"):
        delta.unpack(stream, max_values=1000)
    assert delta.unpack(stream, max_values=64 * delta.MAX_BLOCK_SIZE + 1).size == 64 * delta.MAX_BLOCK_SIZE + 1


def test_expansion_is_at_most_half_a_block_of_values_per_byte():
    stream = _zero_width_stream(delta.MAX_BLOCK_SIZE, 1, 128)
    assert delta.unpack(stream).size / len(stream) <= delta.MAX_BLOCK_SIZE / 2


def test_a_value_count_the_bytes_cannot_carry_is_refused():
    # 10 blocks need at least 20 bytes of block headers; 19 follow.
    hostile = _header(128, 1, 10 * 128 + 1) + b"\x00" * 19
    with pytest.raises(delta.ValueCountError, match="only 19 bytes follow"):
        delta.unpack(hostile)


def test_larger_series_decode_when_the_caller_raises_max_values():
    values = np.arange(delta.DEFAULT_MAX_VALUES + 1, dtype=np.int64)
    packed = delta.pack(values)
    with pytest.raises(delta.ValueCountError, match="max_values"):
        delta.unpack(packed)
    assert np.array_equal(delta.unpack(packed, max_values=values.size), values)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
def test_max_values_must_be_a_non_negative_integer(bad):
    with pytest.raises(delta.DeltaError, match="max_values"):
        delta.unpack(delta.pack([1, 2]), max_values=bad)


def test_pack_refuses_blocks_larger_than_readers_accept():
    with pytest.raises(delta.DeltaError, match="block size 8192 is over 4096 values"):
        delta.pack([1, 2, 3], block_size=2 * delta.MAX_BLOCK_SIZE)


# ---------------------------------------------------------------- fuzz: arbitrary bytes

HANG_GUARD_SECONDS = 20  # a hang detector, not a speed check: a decode takes milliseconds


class DecoderHangError(Exception):
    """The decoder ran past the hang guard."""


DECODERS = [packed.unpack_reference, packed.unpack_compiled] if kernels.AVAILABLE else [packed.unpack_reference]


def _decode_guarded(decode, data: bytes, max_values: int):
    """``decode`` under a hang guard and tracemalloc: (values or None, error or None, peak bytes)."""

    def alarm(signum, frame):
        raise DecoderHangError(f"unpack ran over {HANG_GUARD_SECONDS} s on {len(data)} bytes: {data[:40].hex()}")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_GUARD_SECONDS)
    tracemalloc.start()
    try:
        try:
            return decode(data, max_values=max_values), None, tracemalloc.get_traced_memory()[1]
        except delta.DeltaError as error:
            return None, error, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _check_bounded(data: bytes, max_values: int) -> None:
    """On both paths: only DeltaError; no more than max_values or what the bytes hold; memory in proportion."""
    for decode in DECODERS:
        _check_bounded_by(decode, data, max_values)


def _check_bounded_by(decode, data: bytes, max_values: int) -> None:
    values, error, peak = _decode_guarded(decode, data, max_values)
    event("decoded" if error is None else type(error).__name__)
    if error is not None:
        assert str(error), "a DeltaError must say what is wrong"
        assert peak < 64 * len(data) + (4 << 20), f"refusing {len(data)} bytes took {peak} bytes of memory"
        return
    assert values is not None and values.dtype == np.int64 and values.ndim == 1
    assert values.size <= max_values
    assert values.size <= 1 + len(data) * delta.MAX_BLOCK_SIZE // 2
    budget = 48 * values.nbytes + 64 * len(data) + (8 << 20)
    assert peak < budget, f"decoding {values.size} values from {len(data)} bytes peaked at {peak} bytes"


valid_layouts = st.sampled_from([(128, 4), (128, 1), (256, 4), (256, 8), (1024, 2), (4096, 1), (4096, 128)])
any_layouts = st.tuples(st.integers(0, 1 << 20), st.integers(0, 300))
layouts = st.one_of(valid_layouts, valid_layouts, valid_layouts, any_layouts)  # mostly valid, some not
value_counts = st.one_of(st.integers(0, 5000), st.integers(0, 2**64 - 1))
limits = st.one_of(st.just(delta.DEFAULT_MAX_VALUES), st.integers(0, delta.DEFAULT_MAX_VALUES))


@given(st.binary(max_size=3000), limits)
def test_fuzz_arbitrary_bytes_raise_only_delta_error_within_bounds(data, max_values):
    _check_bounded(data, max_values)


@given(layouts, value_counts, st.integers(0, 2**64 - 1), st.binary(max_size=3000), limits)
def test_fuzz_plausible_headers_over_arbitrary_blocks(layout, count, first, body, max_values):
    block_size, miniblocks = layout
    header = delta.uleb128(block_size) + delta.uleb128(miniblocks) + delta.uleb128(count) + delta.uleb128(first)
    _check_bounded(header + body, max_values)


@given(
    hnp.arrays(np.int64, st.integers(2, 2000), elements=st.integers(-(2**63), 2**63 - 1)),
    st.sampled_from([(128, 4), (256, 4), (128, 1), (4096, 8)]),
    st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 255), st.sampled_from(["set", "insert", "delete"])), max_size=8
    ),
    limits,
)
def test_fuzz_damaged_packed_forms(values, layout, edits, max_values):
    data = bytearray(delta.pack(values, *layout))
    for where, byte, kind in edits:
        at = where % (len(data) + 1)
        if kind == "insert":
            data.insert(at, byte)
        elif at < len(data):
            if kind == "set":
                data[at] = byte
            else:
                del data[at]
    _check_bounded(bytes(data), max_values)
