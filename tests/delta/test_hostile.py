"""Hostile packed bytes: decoder bombs are refused before allocating, and arbitrary bytes raise only DeltaError."""

import tracemalloc

import numpy as np
import pytest

from livingspec import delta


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
    with pytest.raises(delta.DeltaError, match="up to 4096"):
        delta.pack([1, 2, 3], block_size=2 * delta.MAX_BLOCK_SIZE)
