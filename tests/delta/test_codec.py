"""Delta codec: round trips over the whole int64 range, fixed point, and input validation."""

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from livingspec import delta

int64_arrays = hnp.arrays(np.int64, st.integers(0, 300), elements=st.integers(-(2**63), 2**63 - 1))


@given(int64_arrays)
def test_delta_round_trip_holds_for_every_int64_array(values):
    assert np.array_equal(delta.delta_decode(delta.delta_encode(values)), values)


@given(int64_arrays)
def test_delta_of_delta_round_trip_holds_for_every_int64_array(values):
    assert np.array_equal(delta.delta_of_delta_decode(delta.delta_of_delta_encode(values)), values)


@given(hnp.arrays(np.int64, st.integers(0, 100)))
def test_zigzag_is_a_bijection_that_keeps_small_magnitudes_small(values):
    encoded = delta.zigzag(values)
    assert np.array_equal(delta.unzigzag(encoded), values)
    small = np.abs(values.astype(object)) < 2**62
    assert all(int(e) <= 2 * abs(int(v)) for e, v, s in zip(encoded, values, small, strict=True) if s)


def test_overflowing_delta_wraps_and_decodes_exactly():
    values = np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max], dtype=np.int64)
    assert delta.delta_encode(values).tolist() == [-(2**63), -1]
    assert np.array_equal(delta.delta_decode(delta.delta_encode(values)), values)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.uint8, np.uint16, np.uint32])
def test_narrow_integer_dtypes_are_accepted_exactly(dtype):
    values = np.array([0, 1, np.iinfo(dtype).max, np.iinfo(dtype).min], dtype=dtype)
    assert delta.delta_decode(delta.delta_encode(values)).tolist() == [int(v) for v in values]


@pytest.mark.parametrize(
    ("values", "error", "detail"),
    [
        (np.array([1.5]), delta.MissingScaleError, "fixed-point scale"),
        ([1.5, 2.0], delta.MissingScaleError, "fixed-point scale"),
        (np.array([1], dtype=np.uint64), delta.UnsupportedDtypeError, "uint64"),
        (np.array([[1, 2]]), delta.UnsupportedDtypeError, "1-d"),
        (["1", "2"], delta.UnsupportedDtypeError, "str"),
        ([True, False], delta.UnsupportedDtypeError, "bool"),
        ([2**64], delta.UnsupportedDtypeError, "int64"),
        ("123", delta.UnsupportedDtypeError, "sequence of integers"),
    ],
)
def test_values_the_codec_cannot_hold_exactly_are_refused(values, error, detail):
    with pytest.raises(error, match=detail):
        delta.delta_encode(values)


def test_seed_prices_in_cents():
    prices = ["100.50", "100.75", "100.60", "101.10", "100.90"]
    cents = delta.to_fixed_point(prices, scale=2)
    assert delta.delta_encode(cents).tolist() == [10050, 25, -15, 50, -20]
    assert delta.from_fixed_point(cents, 2) == [Decimal(p) for p in prices]


def test_floats_convert_by_their_shortest_repr():
    assert delta.to_fixed_point([100.6, 0.15], scale=2).tolist() == [10060, 15]


@pytest.mark.parametrize(
    ("values", "scale", "error", "detail"),
    [
        (["1.005"], 2, delta.InexactScaleError, "value 0"),
        (["abc"], 2, delta.UnsupportedDtypeError, "not a decimal"),
        (["NaN"], 2, delta.UnsupportedDtypeError, "not finite"),
        (["1e30"], 2, delta.UnsupportedDtypeError, "does not fit int64"),
        (["1"], 19, delta.UnsupportedDtypeError, "scale"),
    ],
)
def test_fixed_point_errors_name_the_bad_value(values, scale, error, detail):
    with pytest.raises(error, match=detail):
        delta.to_fixed_point(values, scale=scale)


@given(st.lists(st.decimals(min_value=-(10**12), max_value=10**12, places=2), max_size=50))
def test_fixed_point_round_trip_is_exact(prices):
    cents = delta.to_fixed_point(prices, scale=2)
    assert delta.from_fixed_point(delta.delta_decode(delta.delta_encode(cents)), 2) == prices
