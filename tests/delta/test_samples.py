"""Series kinds as descriptions: presets reproduce the named kinds, descriptions refuse what they cannot read."""

from decimal import Decimal

import numpy as np
import pytest

from livingspec import delta
from livingspec.delta import floating, samples


def test_presets_are_the_named_sample_series():
    assert np.array_equal(samples.series("regular timestamp", 500), samples.regular_timestamps(500))
    assert np.array_equal(samples.series("jittered timestamp", 500), samples.jittered_timestamps(500))
    assert np.array_equal(samples.series("stock price random walk", 500), samples.price_walk_cents(500))
    assert np.array_equal(samples.series("random int64", 500), samples.random_int64(500))


def test_a_described_kind_equals_the_preset_it_describes():
    described = samples.describe(
        [("shape", "random walk"), ("start", "10050"), ("volatility", "12"), ("minimum", "1"), ("seed", "42")]
    )
    assert described == samples.PRESETS["stock price random walk"]


def test_a_preset_with_a_changed_setting_keeps_the_others():
    changed = samples.describe([("step", "60000")], base=samples.PRESETS["regular timestamp"])
    assert changed.generate(3).tolist() == [samples.EPOCH_MS, samples.EPOCH_MS + 60000, samples.EPOCH_MS + 120000]


@pytest.mark.parametrize(
    ("rows", "detail"),
    [
        ([("shape", "sawtooth")], "unknown series shape 'sawtooth'; known: regular, jittered, random walk, uniform"),
        ([("start", "1")], "needs a shape"),
        ([("shape", "regular"), ("colour", "red")], "unknown series setting 'colour'; known: shape, start"),
        ([("shape", "regular"), ("jitter", "3")], "a regular series does not read jitter; it reads: start, step"),
        ([("shape", "regular"), ("step", "ten")], "step: 'ten' is not a number"),
        ([("shape", "regular"), ("step", "1.5")], "not a whole number"),
        ([("shape", "uniform"), ("low", "5"), ("high", "1")], "low 5 is above high 1"),
        ([("shape", "regular"), ("start", str(2**63))], "does not fit int64"),
        ([("shape", "jittered"), ("jitter", "-1")], "must not be negative"),
    ],
)
def test_a_bad_description_names_what_is_wrong(rows, detail):
    with pytest.raises(samples.SeriesKindError, match=detail.replace("(", r"\(")):
        samples.describe(rows)


def test_an_unknown_kind_lists_the_presets():
    with pytest.raises(samples.SeriesKindError, match="unknown series kind 'sine'; known: regular timestamp, jittered"):
        samples.series("sine", 10)


def test_a_series_length_is_bounded():
    with pytest.raises(samples.SeriesKindError, match="0 to"):
        samples.PRESETS["regular timestamp"].generate(samples.MAX_COUNT + 1)


def test_series_kind_errors_are_delta_errors():
    assert issubclass(samples.SeriesKindError, delta.DeltaError)


SEED_PRICES = [Decimal(p) for p in ("100.50", "100.75", "100.60", "101.10", "100.90")]


def test_prices_round_trip_through_their_own_float_deltas():
    encoded = floating.float_delta_encode(SEED_PRICES)
    assert encoded[2] == -0.15000000000000568  # not the decimal -0.15
    assert floating.same_floats(floating.float_delta_decode(encoded), SEED_PRICES)


def test_the_seeds_printed_deltas_drift_when_added_up_as_floats():
    printed = [SEED_PRICES[0], *floating.exact_deltas(SEED_PRICES)]
    assert [str(d) for d in printed] == ["100.50", "0.25", "-0.15", "0.50", "-0.20"]
    assert floating.float_delta_decode(printed)[-1] == 100.89999999999999
    assert not floating.same_floats(floating.float_delta_decode(printed), SEED_PRICES)
