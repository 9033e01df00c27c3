"""DELTA_BINARY_PACKED: round trips, byte-for-byte agreement with pyarrow, and untrusted input."""

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from livingspec import delta
from livingspec.delta import packed, samples

int64_arrays = hnp.arrays(np.int64, st.integers(0, 700), elements=st.integers(-(2**63), 2**63 - 1))


@given(int64_arrays, st.sampled_from([(128, 4), (256, 4), (128, 1), (256, 8)]))
def test_packed_round_trip_holds_for_every_int64_array(values, layout):
    block_size, miniblocks = layout
    assert np.array_equal(delta.unpack(delta.pack(values, block_size, miniblocks)), values)


@given(st.integers(0, 64), st.integers(1, 40), st.randoms(use_true_random=False))
def test_bit_packing_round_trips_at_every_width(width, rows, rnd):
    count = rows * 8
    top = (1 << width) - 1
    values = np.array([rnd.randint(0, top) for _ in range(count)], dtype=np.uint64)
    assert np.array_equal(packed.unpack_bits(packed.pack_bits(values, width), count, width), values)


def test_bit_packing_is_lsb_first_as_parquet_specifies():
    # Parquet's example: 0..7 at 3 bits packs to 10001000 11000110 11111010.
    values = np.arange(8, dtype=np.uint64)
    assert packed.pack_bits(values, 3).tolist() == [0b10001000, 0b11000110, 0b11111010]


@pytest.mark.parametrize(
    "values",
    [
        samples.price_walk_cents(5000),
        samples.random_int64(3000),
        samples.regular_timestamps(777),
        np.array([5], dtype=np.int64),
    ],
    ids=["walk", "random", "timestamps", "one"],
)
def test_encoder_matches_pyarrow_byte_for_byte(values):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    buffer = io.BytesIO()
    pq.write_table(
        pa.table({"x": pa.array(values, type=pa.int64())}),
        buffer,
        use_dictionary=False,
        compression="none",
        write_statistics=False,
        column_encoding={"x": "DELTA_BINARY_PACKED"},
    )
    ours = delta.pack(values, block_size=256, miniblocks=4)  # pyarrow's block layout
    page = buffer.getvalue()
    start = page.find(ours[:8])
    assert start >= 0, "pyarrow's page does not start with our header"
    assert page[start : start + len(ours)] == ours
    assert np.array_equal(delta.unpack(page[start:]), values)


def test_layout_of_the_seed_prices():
    layout = delta.inspect(delta.pack([10050, 10075, 10060, 10110, 10090]))
    assert (layout.block_size, layout.miniblocks, layout.count, layout.first) == (128, 4, 5, 10050)
    assert layout.min_deltas == [-20]
    assert layout.bit_widths == [[7, 0, 0, 0]]
    assert layout.size == 40


def test_a_regular_series_packs_to_almost_nothing():
    values = samples.regular_timestamps(86_400)
    assert len(delta.pack(values)) / values.size < 0.05
    assert delta.unpack_delta_of_delta(delta.pack_delta_of_delta(values)).tolist() == values.tolist()


@settings(max_examples=300)
@given(st.binary(max_size=600))
def test_unpacking_arbitrary_bytes_returns_values_or_raises_delta_error(data):
    try:
        values = delta.unpack(data)
    except delta.DeltaError:
        return
    assert values.dtype == np.int64


@given(int64_arrays.filter(lambda a: a.size > 1), st.data())
def test_every_truncation_of_a_packed_form_is_refused(values, data):
    encoded = delta.pack(values)
    layout = delta.inspect(encoded)
    cut = data.draw(st.integers(0, layout.size - 1))
    with pytest.raises(delta.DeltaError):
        delta.unpack(encoded[:cut])


@given(int64_arrays, st.data())
def test_flipping_a_byte_never_crashes(values, data):
    encoded = bytearray(delta.pack(values))
    index = data.draw(st.integers(0, len(encoded) - 1))
    encoded[index] ^= data.draw(st.integers(1, 255))
    try:
        decoded = delta.unpack(bytes(encoded))
    except delta.DeltaError:
        return
    assert decoded.dtype == np.int64


def test_a_header_promising_more_than_the_bytes_hold_allocates_nothing():
    hostile = delta.uleb128(128) + delta.uleb128(4) + delta.uleb128(2**63) + delta.uleb128(0) + b"\x00" * 10
    with pytest.raises(delta.ValueCountError, match="promises"):
        delta.unpack(hostile)


@pytest.mark.parametrize(
    ("data", "error", "detail"),
    [
        (b"", delta.TruncatedDataError, "block size at byte 0"),
        (b"\x80\x01\x04", delta.TruncatedDataError, "value count"),
        (b"\xff" * 12, delta.CorruptDataError, "10 bytes"),
        (delta.uleb128(100) + b"\x04\x02\x00", delta.CorruptDataError, "block size 100"),
        (delta.uleb128(128) + b"\x03\x02\x00", delta.CorruptDataError, "3 miniblocks"),
        (delta.uleb128(128) + b"\x04\x02\x00\x00\x41\x00\x00\x00", delta.CorruptDataError, "over 64"),
        ("text", delta.DeltaError, "must be bytes"),
    ],
)
def test_bad_packed_bytes_raise_an_error_naming_the_problem(data, error, detail):
    with pytest.raises(error, match=detail):
        delta.unpack(data)


def test_unneeded_miniblocks_of_the_last_block_may_claim_any_width():
    encoded = bytearray(delta.pack([1, 2, 3]))  # one block, only the first miniblock needed
    layout = delta.inspect(bytes(encoded))
    widths_at = layout.header_size + 1
    encoded[widths_at + 1 : widths_at + 4] = b"\xc8\xc8\xc8"  # 200: arbitrary, and must be ignored
    assert delta.unpack(bytes(encoded)).tolist() == [1, 2, 3]


@pytest.mark.parametrize(("block_size", "miniblocks"), [(100, 4), (128, 3), (128, 8), (0, 1)])
def test_pack_refuses_layouts_parquet_does_not_allow(block_size, miniblocks):
    with pytest.raises(delta.DeltaError):
        delta.pack([1, 2, 3], block_size, miniblocks)
