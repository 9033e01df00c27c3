"""Steps of the delta-encoding features: prices, integer series, the packed form and its errors.

Phrases: the stock prices <$...>; the integer series <ints>; a <kind> series of <n> values (a
preset, one described earlier, or a preset with changed settings); a series of <n> values described
by a table; timestamps <ms> apart [each up to <ms> late]; a random walk from <start>; the delta
encoded series / prices / packed bytes you give, and decoding them; the prices are delta encoded in
cents | as binary floating-point numbers; the series is delta encoded | packed | delta-of-delta
encoded | stored raw, as deltas and packed...; the packed bytes are <damage>; the values <v> of type
<dtype> are delta encoded; and the checks that follow. State lives in one DeltaWorld per scenario.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import parse
from behave import given, then, when

from livingspec import delta
from livingspec.delta import floating, samples
from livingspec.delta.codec import Int64Array
from livingspec.delta.samples import SeriesKind
from livingspec.runner import evidence, types
from livingspec.runner.types import MULTIWORD, UnknownChoiceError, choice
from livingspec.runner.world import need, world

ERRORS: dict[str, type[delta.DeltaError]] = {
    "truncated data": delta.TruncatedDataError,
    "value count": delta.ValueCountError,
    "corrupt data": delta.CorruptDataError,
    "missing scale": delta.MissingScaleError,
    "unsupported dtype": delta.UnsupportedDtypeError,
    "inexact scale": delta.InexactScaleError,
    "series kind": samples.SeriesKindError,
}
DTYPES = [
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]

SERIES_GIVEN = "Given the integer series 1, 2, 3"
PRICES_GIVEN = "Given the stock prices $100.50, $100.75, $100.60"


@parse.with_pattern(MULTIWORD)
def parse_series_kind(text: str) -> str:
    """a series kind: regular timestamp, jittered timestamp, stock price random walk, random int64, or one named earlier

    (Given a series kind "meter reading" described by: ...)
    """
    return text


@parse.with_pattern(r"[0-9a-fA-F]{2}(?: [0-9a-fA-F]{2})*")
def parse_hex_bytes(text: str) -> bytes:
    """bytes in hexadecimal, two digits each, separated by spaces (80 01 04 03)"""
    return bytes.fromhex(text)


_FLOAT = r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"


@parse.with_pattern(rf"{_FLOAT}(?:\s*,\s*{_FLOAT})*")
def parse_floats(text: str) -> list[float]:
    """a comma-separated list of binary floating-point numbers as Python prints them (100.89999999999999)"""
    return [float(part) for part in text.split(",")]


types.register(
    DeltaErrorKind=choice("delta error", ERRORS, pattern=MULTIWORD),
    DeltaDtype=choice("dtype", DTYPES),
    DeltaSeriesKind=parse_series_kind,
    DeltaHex=parse_hex_bytes,
    DeltaFloats=parse_floats,
)


@dataclass(frozen=True)
class Attempt:
    """The outcome of an operation expected to fail: its DeltaError, or None when it succeeded."""

    error: delta.DeltaError | None


@dataclass
class DeltaWorld:
    """One scenario's delta-encoding state."""

    prices: list[Decimal] | None = None  # stock prices in dollars, exact
    series: Int64Array | None = None  # the integer series (cents, ms, ...)
    encoded: Int64Array | None = None  # the first value, then the deltas
    encoded_prices: list[Decimal] | None = None  # delta encoded prices in dollars, as given
    decoded: Int64Array | None = None  # what decoding gave
    packed: bytes | None = None  # DELTA_BINARY_PACKED bytes
    float_encoded: list[float] | None = None  # the prices' own deltas in binary float
    float_decoded: list[float] | None = None  # a binary floating-point decoding
    sizes: dict[str, delta.StoredSize] | None = None  # bytes per storage method
    attempt: Attempt | None = None  # an operation expected to fail
    kinds: dict[str, SeriesKind] = field(default_factory=dict)  # series kinds described in the scenario


def _w(context: Any) -> DeltaWorld:
    return world(context, DeltaWorld)


def _series(w: DeltaWorld) -> Int64Array:
    return need(w.series, "an integer series", SERIES_GIVEN)


def _prices(w: DeltaWorld) -> list[Decimal]:
    return need(w.prices, "stock prices", PRICES_GIVEN)


def _encoded(w: DeltaWorld) -> Int64Array:
    return need(w.encoded, "a delta encoded series", "When the series is delta encoded")


def _packed(w: DeltaWorld) -> bytes:
    return need(w.packed, "packed bytes", "When the series is packed")


def _signed(values: list[int]) -> str:
    return ", ".join([str(values[0])] + [f"{v:+d}" if v else "0" for v in values[1:]])


def _show_series(name: str, original: list[int], encoded: list[int]) -> None:
    rows = [(i, o, e) for i, (o, e) in enumerate(zip(original, encoded, strict=True))]
    evidence.attach_table(name, ["index", "value", "stored (first value, then deltas)"], rows[:40])


def _capture(action: Callable[[], object]) -> Attempt:
    try:
        action()
    except delta.DeltaError as error:
        return Attempt(error)
    return Attempt(None)


def _kind(w: DeltaWorld, name: str) -> SeriesKind:
    """A kind described earlier in the scenario, else a preset; the listing error otherwise."""
    found = w.kinds.get(name) or samples.PRESETS.get(name)
    if found is None:
        known = [*samples.PRESETS, *w.kinds]
        raise UnknownChoiceError(f"unknown series kind {name!r}; known: {', '.join(known)}")
    return found


def _table_settings(context: Any) -> list[tuple[str, str]]:
    table = getattr(context, "table", None)
    if table is None:
        raise samples.SeriesKindError("this step needs a table of settings below it: | setting | value |")
    rows = [tuple(table.headings), *(tuple(row.cells) for row in table.rows)]
    if rows and [cell.strip().lower() for cell in rows[0]] == ["setting", "value"]:
        rows = rows[1:]
    bad = next((row for row in rows if len(row) != 2), None)
    if bad is not None:
        raise samples.SeriesKindError(f"a settings table has two columns, setting and value; got {list(bad)}")
    return [(str(name), str(value)) for name, value in rows]


def _generate(w: DeltaWorld, kind: SeriesKind, count: int, title: str) -> None:
    w.series = kind.generate(count)
    evidence.attach_table(f"series kind: {title}", ["setting", "value"], [*kind.settings(), ("values", str(count))])


# ---------------------------------------------------------------- Given


@given("the stock prices {prices:Amounts}")
def step_prices(context: Any, prices: list[Decimal]) -> None:
    """Remember prices in dollars as exact decimals."""
    _w(context).prices = prices


@given("the integer series {values:Ints}")
def step_integer_series(context: Any, values: list[int]) -> None:
    """Remember a series of integers (each must fit int64)."""
    _w(context).series = delta.as_int64(values)


@given("a {kind:DeltaSeriesKind} series of {count:d} values")
def step_sample_series(context: Any, kind: str, count: int) -> None:
    """Generate a seeded series of ``count`` values of a named kind (a preset, or one described earlier)."""
    w = _w(context)
    _generate(w, _kind(w, kind), count, kind)


@given("a {kind:DeltaSeriesKind} series of {count:d} values with these settings:")
def step_sample_series_changed(context: Any, kind: str, count: int) -> None:
    """Generate a series of a named kind with some of its settings changed (the others keep the kind's).

    Settings (columns setting, value): shape: regular, jittered, random walk or uniform; then what
    the shape reads. regular: start, step; jittered: start, step, jitter, seed; random walk: start,
    volatility, minimum, seed; uniform: low, high, seed. start: the first value (default
    1767225600000, 2026-01-01 in ms since the epoch); step: distance between neighbours (default
    1000); jitter: each value late by 0..jitter (default 3); volatility: standard deviation of one
    move (default 12); minimum: the walk's floor (default 1); low, high: the uniform range (default
    the whole int64 range); seed: the generator's seed (default 7). Values are whole numbers
    (volatility may be decimal) in the series' own unit (ms, cents, ...). A setting its shape does not read is refused.
    """
    w = _w(context)
    changed = samples.describe(_table_settings(context), base=_kind(w, kind))
    _generate(w, changed, count, f"{kind}, changed")


@given("a series of {count:d} values described by:")
def step_described_series(context: Any, count: int) -> None:
    """Generate a series from a table of settings: its shape and what the shape reads.

    Settings (columns setting, value): shape: regular, jittered, random walk or uniform; then what
    the shape reads. regular: start, step; jittered: start, step, jitter, seed; random walk: start,
    volatility, minimum, seed; uniform: low, high, seed. start: the first value (default
    1767225600000, 2026-01-01 in ms since the epoch); step: distance between neighbours (default
    1000); jitter: each value late by 0..jitter (default 3); volatility: standard deviation of one
    move (default 12); minimum: the walk's floor (default 1); low, high: the uniform range (default
    the whole int64 range); seed: the generator's seed (default 7). Values are whole numbers
    (volatility may be decimal) in the series' own unit (ms, cents, ...).
    """
    w = _w(context)
    _generate(w, samples.describe(_table_settings(context)), count, "described")


@given('a series kind "{name}" described by:')
def step_describe_kind(context: Any, name: str) -> None:
    """Name a series kind described by a table of settings, for later steps "a <name> series of <n> values".

    Settings (columns setting, value): shape: regular, jittered, random walk or uniform; then what
    the shape reads. regular: start, step; jittered: start, step, jitter, seed; random walk: start,
    volatility, minimum, seed; uniform: low, high, seed. start: the first value (default
    1767225600000, 2026-01-01 in ms since the epoch); step: distance between neighbours (default
    1000); jitter: each value late by 0..jitter (default 3); volatility: standard deviation of one
    move (default 12); minimum: the walk's floor (default 1); low, high: the uniform range (default
    the whole int64 range); seed: the generator's seed (default 7). Values are whole numbers
    (volatility may be decimal) in the series' own unit (ms, cents, ...).
    """
    w = _w(context)
    w.kinds[name] = kind = samples.describe(_table_settings(context))
    evidence.attach_table(f"series kind: {name}", ["setting", "value"], kind.settings())


@given("a series of {count:d} timestamps {step:d} ms apart")
def step_regular_timestamps(context: Any, count: int, step: int) -> None:
    """Generate ``count`` timestamps exactly ``step`` milliseconds apart, from 2026-01-01T00:00:00Z."""
    _generate(_w(context), SeriesKind("regular", step=step), count, "regular timestamps")


@given("a series of {count:d} timestamps {step:d} ms apart, each up to {jitter:d} ms late")
def step_jittered_timestamps(context: Any, count: int, step: int, jitter: int) -> None:
    """Generate timestamps ``step`` ms apart, each late by 0 to ``jitter`` ms (seeded)."""
    _generate(_w(context), SeriesKind("jittered", step=step, jitter=jitter), count, "jittered timestamps")


@given("a random walk of {count:d} values from {start:d}, moving about {volatility:Decimal} a step")
def step_random_walk(context: Any, count: int, start: int, volatility: Decimal) -> None:
    """Generate a seeded random walk from ``start``; each move is normal with standard deviation ``volatility``."""
    kind = SeriesKind("random walk", start=start, volatility=volatility, minimum=samples.INT64_MIN, seed=42)
    _generate(_w(context), kind, count, "random walk")


@given("the delta encoded series {encoded:Ints}")
def step_given_encoded(context: Any, encoded: list[int]) -> None:
    """Remember a delta encoded series: the first value, then the deltas."""
    _w(context).encoded = delta.as_int64(encoded)


@given("the delta encoded prices {encoded:Amounts}")
def step_given_encoded_prices(context: Any, encoded: list[Decimal]) -> None:
    """Remember delta encoded prices in dollars: the first price, then the changes ($100.50, +$0.25, ...)."""
    _w(context).encoded_prices = encoded


@given("the packed bytes {data:DeltaHex}")
def step_given_packed(context: Any, data: bytes) -> None:
    """Remember DELTA_BINARY_PACKED bytes written in hexadecimal."""
    _w(context).packed = data


@given("the series is packed")
@when("the series is packed")
def step_pack(context: Any) -> None:
    """Pack the series as DELTA_BINARY_PACKED bytes (blocks of 128 values, 4 miniblocks)."""
    w = _w(context)
    w.packed = delta.pack(_series(w))


# ---------------------------------------------------------------- When


@when("the prices are delta encoded in cents")
def step_encode_cents(context: Any) -> None:
    """Scale the prices to integer cents and delta encode them."""
    w = _w(context)
    w.series = delta.to_fixed_point(_prices(w), scale=2)
    w.encoded = delta.delta_encode(w.series)
    _show_series("prices in cents, delta encoded", w.series.tolist(), w.encoded.tolist())


@when("the prices are delta encoded as binary floating-point numbers")
def step_encode_floats(context: Any) -> None:
    """Compute the deltas of the prices as binary floats (what a naive encoder does)."""
    w = _w(context)
    w.float_encoded = floating.float_delta_encode(_prices(w))


@when("the series is delta encoded")
def step_encode(context: Any) -> None:
    """Delta encode the integer series."""
    w = _w(context)
    series = _series(w)
    w.encoded = delta.delta_encode(series)
    _show_series("series, delta encoded", series.tolist(), w.encoded.tolist())


@when("the delta encoded series is decoded")
def step_decode(context: Any) -> None:
    """Decode a delta encoded series: the running sum from the first value (wrapping int64)."""
    w = _w(context)
    encoded = need(w.encoded, "a delta encoded series", "Given the delta encoded series 500, -100, +50, 0")
    w.decoded = delta.delta_decode(encoded)
    _show_series("delta encoded series, decoded", w.decoded.tolist(), encoded.tolist())


@when("the delta encoded prices are decoded in cents")
def step_decode_prices_cents(context: Any) -> None:
    """Decode delta encoded dollar amounts exactly, in integer cents."""
    w = _w(context)
    given = "Given the delta encoded prices $100.50, +$0.25, -$0.15"
    w.decoded = delta.delta_decode(delta.to_fixed_point(need(w.encoded_prices, "delta encoded prices", given), 2))


@when("the delta encoded prices are decoded as binary floating-point numbers")
def step_decode_prices_floats(context: Any) -> None:
    """Decode delta encoded dollar amounts by adding them up as binary floats."""
    w = _w(context)
    given = "Given the delta encoded prices $100.50, +$0.25, -$0.15"
    w.float_decoded = floating.float_delta_decode(need(w.encoded_prices, "delta encoded prices", given))


@when("the packed bytes are unpacked")
def step_unpack(context: Any) -> None:
    """Unpack the DELTA_BINARY_PACKED bytes into the decoded series (a DeltaError fails the step)."""
    w = _w(context)
    w.decoded = delta.unpack(_packed(w))
    layout = delta.inspect(_packed(w))
    rows: list[tuple[str, object]] = [("bytes", len(_packed(w))), ("block size", layout.block_size)]
    rows += [("miniblocks", layout.miniblocks)]
    rows += [("values", layout.count), ("first value", layout.first), ("min deltas", layout.min_deltas[:8])]
    evidence.attach_table("packed bytes, read", ["field", "value"], rows)


@when("the series is delta-of-delta encoded")
def step_encode_dod(context: Any) -> None:
    """Delta encode the deltas once more, and pack that."""
    w = _w(context)
    series = _series(w)
    encoded = w.encoded = delta.delta_of_delta_encode(series)
    packed = w.packed = delta.pack_delta_of_delta(series)
    plain = len(delta.pack(series))
    evidence.attach_table(
        "delta-of-delta, first values",
        ["index", "timestamp (ms)", "delta-of-delta"],
        [(i, int(series[i]), int(encoded[i])) for i in range(min(8, series.size))],
    )
    evidence.attach_text(
        "packed sizes",
        f"packed delta-of-delta: {len(packed)} bytes; packed deltas: {plain} bytes "
        f"for {series.size} values ({series.size * 8} bytes raw).\n"
        "Parquet's per-block min delta already absorbs a constant step, so in packed form "
        "delta-of-delta saves little more; it matters for encoders without a min delta (Gorilla).",
    )


@when("the series is stored raw, as deltas and packed, with and without zlib")
def step_compare(context: Any) -> None:
    """Measure the size of each way of storing the series."""
    w = _w(context)
    sizes = w.sizes = {s.method: s for s in delta.compare_storage(_series(w))}
    rows = [(s.method, s.size, f"{s.bytes_per_value:.3f}", f"{s.ratio:.1f}x") for s in sizes.values()]
    evidence.attach_table("storage compared", ["method", "bytes", "bytes per value", "vs raw"], rows)
    figure = evidence.new_figure(6.4, 3.0)
    axes = figure.add_subplot()
    axes.barh([r[0] for r in rows], [r[1] for r in rows], color="#4c72b0")
    axes.set_xscale("log")
    axes.set_xlabel("bytes (log scale)")
    axes.invert_yaxis()
    evidence.attach_figure("storage compared", figure)


@when("the packed bytes are cut to {size:d} bytes")
def step_cut(context: Any, size: int) -> None:
    """Keep only the first ``size`` bytes of the packed form."""
    w = _w(context)
    w.packed = _packed(w)[:size]


@when("the packed bytes are given a header promising {count:d} values")
def step_promise(context: Any, count: int) -> None:
    """Rewrite the value count in the header (a 2-byte block size, 1-byte miniblock and count fields)."""
    w = _w(context)
    packed = _packed(w)
    w.packed = packed[:3] + delta.uleb128(count) + packed[5:]


@when("the packed bytes are given a bit width of {width:d} in the first block")
def step_bad_width(context: Any, width: int) -> None:
    """Overwrite the first miniblock's bit width (0 to 255)."""
    w = _w(context)
    packed = _packed(w)
    layout = delta.inspect(packed)
    min_delta = layout.min_deltas[0]
    offset = layout.header_size + len(delta.uleb128((min_delta << 1) ^ (min_delta >> 63)))
    data = bytearray(packed)
    data[offset] = width
    w.packed = bytes(data)


@when("the packed bytes are given a block size of {size:d}")
def step_bad_block_size(context: Any, size: int) -> None:
    """Rewrite the block size in the header (values per block)."""
    w = _w(context)
    w.packed = delta.uleb128(size) + _packed(w)[2:]


@when("the packed bytes are replaced by {count:d} bytes of 0x{byte:x}")
def step_replace(context: Any, count: int, byte: int) -> None:
    """Replace the packed form by a run of ``count`` bytes of one value (hexadecimal)."""
    _w(context).packed = bytes([byte]) * count


@when("the values {values:Numbers} of type {dtype:DeltaDtype} are delta encoded")
def step_encode_dtype(context: Any, values: list[Decimal], dtype: str) -> None:
    """Try to delta encode numbers as a numpy array of the given dtype."""
    numbers = [complex(v) if dtype.startswith("complex") else float(v) for v in values]
    array = np.array(numbers).astype(dtype)
    _w(context).attempt = _capture(lambda: delta.delta_encode(array))


@when("the stock prices {prices:Amounts} are converted to cents")
def step_to_cents(context: Any, prices: list[Decimal]) -> None:
    """Try to convert prices in dollars to integer cents (scale 2)."""
    _w(context).attempt = _capture(lambda: delta.to_fixed_point(prices, scale=2))


# ---------------------------------------------------------------- Then


@then("the delta encoded series is {expected:Ints}")
def step_check_encoded(context: Any, expected: list[int]) -> None:
    """Compare the stored series (first value, then deltas) with the expected one."""
    actual = [int(v) for v in _encoded(_w(context))]
    assert actual == expected, f"expected {_signed(expected)}, encoded {_signed(actual)}"


@then("the decoded series is {expected:Ints}")
def step_check_decoded(context: Any, expected: list[int]) -> None:
    """Compare what decoding gave with the expected integers."""
    w = _w(context)
    decoded = need(w.decoded, "a decoded series", "When the delta encoded series is decoded").tolist()
    assert decoded == expected, f"expected {expected}, decoded {decoded}"


@then("the decoded prices are {expected:Amounts}")
def step_check_decoded_prices(context: Any, expected: list[Decimal]) -> None:
    """Compare decoded cents, read as dollars, with the expected prices."""
    w = _w(context)
    decoded = delta.from_fixed_point(
        need(w.decoded, "decoded prices", "When the delta encoded prices are decoded in cents"), 2
    )
    assert decoded == expected, f"expected {expected}, decoded {decoded}"


@then("the floating-point decoding gives {expected:DeltaFloats}")
def step_check_float_decoding(context: Any, expected: list[float]) -> None:
    """Compare a binary floating-point decoding with the expected floats, exactly (as Python prints them)."""
    w = _w(context)
    when = "When the delta encoded prices are decoded as binary floating-point numbers"
    decoded = need(w.float_decoded, "a floating-point decoding", when)
    evidence.attach_table("floating-point decoding", ["index", "float"], [(i, repr(v)) for i, v in enumerate(decoded)])
    assert decoded == expected, f"expected {[repr(v) for v in expected]}, decoded {[repr(v) for v in decoded]}"


@then("in dollars the delta encoded series reads {expected:Amounts}")
def step_check_dollars(context: Any, expected: list[Decimal]) -> None:
    """Read the encoded cents back as dollar amounts."""
    actual = delta.from_fixed_point(_encoded(_w(context)), scale=2)
    assert actual == expected, f"expected {expected}, read {actual}"


@then("delta decoding gives back the stock prices exactly")
def step_check_prices(context: Any) -> None:
    """Decode the cents and compare with the original decimal prices."""
    w = _w(context)
    decoded = delta.from_fixed_point(delta.delta_decode(_encoded(w)), scale=2)
    assert decoded == _prices(w), f"expected {w.prices}, decoded {decoded}"


@then("the prices' own floating-point deltas decode back to the same prices")
def step_check_float_round_trip(context: Any) -> None:
    """Encode the prices as floats with float deltas, decode by float sums, and compare float for float."""
    prices = _prices(_w(context))
    encoded = floating.float_delta_encode(prices)
    decoded = floating.float_delta_decode(encoded)
    rows = [(f"${p}", repr(e), repr(d)) for p, e, d in zip(prices, encoded, decoded, strict=True)]
    evidence.attach_table("float round trip", ["price", "float delta", "decoded float"], rows)
    assert floating.same_floats(decoded, prices), f"expected the floats of {prices}, decoded {decoded}"


@then(
    "the seed's printed deltas, added up in binary floating point, end at {value:DeltaFloats} instead of the last price"
)
def step_check_seed_printed_deltas(context: Any, value: list[float]) -> None:
    """Add up the seed's printed decimal deltas as floats; the last sum is ``value``, not the last price."""
    prices = _prices(_w(context))
    printed = [prices[0], *floating.exact_deltas(prices)]
    decoded = floating.float_delta_decode(printed)
    shown = ", ".join(f"{d:+}" for d in printed[1:])
    evidence.seed_correction(
        f"Reversible: the original data is rebuilt perfectly from ${prices[0]}, {shown}",
        f"exact in cents, and with the prices' own float deltas; but the printed deltas added up as binary floats "
        f"end at {decoded[-1]!r}, not {prices[-1]}",
        "the printed deltas are decimals: 0.15 and 0.20 have no exact binary float, so each is rounded and the "
        "running sum carries the rounding; a float delta of two nearby floats is exact (Sterbenz lemma), so the "
        "prices' own float deltas decode back exactly",
    )
    assert len(value) == 1, f"expected one float, got {value}"
    assert decoded[-1] == value[0], f"expected the float sum to end at {value[0]!r}, it ends at {decoded[-1]!r}"
    assert decoded[-1] != float(prices[-1]), f"the float sum ends exactly at {prices[-1]}: no drift to show"


@then("delta decoding gives back the original series")
def step_check_roundtrip(context: Any) -> None:
    """Decode and compare with the original integers."""
    w = _w(context)
    decoded = delta.delta_decode(_encoded(w))
    assert np.array_equal(decoded, _series(w)), f"expected {w.series}, decoded {decoded}"


@then("{count:d} of the {total:d} floating-point deltas differ from the exact deltas")
def step_check_float_deltas(context: Any, count: int, total: int) -> None:
    """Count the float deltas that are not the exact decimal deltas."""
    w = _w(context)
    given = "When the prices are delta encoded as binary floating-point numbers"
    float_deltas = need(w.float_encoded, "floating-point deltas", given)[1:]
    rows = [
        (f"{exact:+}", repr(flt), "yes" if Decimal(repr(flt)) == exact else "no")
        for exact, flt in zip(floating.exact_deltas(_prices(w)), float_deltas, strict=True)
    ]
    evidence.attach_table("exact and floating-point deltas", ["exact delta", "float delta", "exact?"], rows)
    differing = sum(1 for row in rows if row[2] == "no")
    assert len(rows) == total, f"expected {total} deltas, computed {len(rows)}"
    assert differing == count, f"expected {count} inexact float deltas, found {differing}: {rows}"


@then("the floating-point delta from ${before:Decimal} to ${after:Decimal} is {value}")
def step_check_float_delta(context: Any, before: Decimal, after: Decimal, value: str) -> None:
    """Show the float that a naive encoder stores for one delta (as Python prints it)."""
    actual = float(after) - float(before)
    assert repr(actual) == value, f"expected the float delta {value}, computed {actual!r}"


@then("in cents the same delta is exactly {cents:d}")
def step_check_cents_delta(context: Any, cents: int) -> None:
    """The fixed-point delta is an exact integer number of cents."""
    exact = delta.to_fixed_point(_prices(_w(context)), scale=2)
    deltas = delta.delta_encode(exact)[1:].tolist()
    assert cents in deltas, f"expected a delta of exactly {cents} cents, deltas are {deltas}"


def _per_value(w: DeltaWorld) -> float:
    return len(_packed(w)) / max(_series(w).size, 1)


@then("the packed form takes at most {limit:Decimal} bytes per value")
def step_check_size_per_value(context: Any, limit: Decimal) -> None:
    """Compare the packed size per value (bytes) with a bound."""
    w = _w(context)
    per_value = _per_value(w)
    evidence.attach_text(
        "packed size",
        f"{len(_packed(w))} bytes for {_series(w).size} values = {per_value:.4f} bytes per value "
        f"(raw int64: 8 bytes per value, {8 / per_value:.1f}x larger)",
    )
    assert per_value <= limit, f"expected at most {limit} bytes per value, packed takes {per_value:.4f}"


@then("the packed delta-of-delta form takes at most {limit:Decimal} bytes per value")
def step_check_dod_size(context: Any, limit: Decimal) -> None:
    """Compare the packed delta-of-delta size per value (bytes) with a bound."""
    per_value = _per_value(_w(context))
    assert per_value <= limit, f"expected at most {limit} bytes per value, packed takes {per_value:.4f}"


@then("the packed form unpacks to the same series")
def step_check_unpack(context: Any) -> None:
    """Unpack and compare with the original series."""
    w = _w(context)
    series = _series(w)
    unpacked = delta.unpack(_packed(w), max_values=max(series.size, delta.DEFAULT_MAX_VALUES))
    assert np.array_equal(unpacked, series), "unpacked series differs from the original"


@then("the packed form takes {size:d} bytes")
def step_check_size(context: Any, size: int) -> None:
    """Compare the exact packed size in bytes."""
    packed = _packed(_w(context))
    evidence.attach_text("packed bytes (hex)", packed.hex(" "))
    assert len(packed) == size, f"expected {size} bytes, packed form has {len(packed)}"


@then("the packed header says block size {block:d}, {minis:d} miniblocks, {count:d} values, first value {first:d}")
def step_check_header(context: Any, block: int, minis: int, count: int, first: int) -> None:
    """Read the header fields of the packed form (block size in values)."""
    layout = delta.inspect(_packed(_w(context)))
    evidence.attach_table(
        "packed header",
        ["field", "value"],
        [
            ("block size", layout.block_size),
            ("miniblocks", layout.miniblocks),
            ("values", layout.count),
            ("first value", layout.first),
            ("total bytes", layout.size),
        ],
    )
    actual = (layout.block_size, layout.miniblocks, layout.count, layout.first)
    assert actual == (block, minis, count, first), f"expected {(block, minis, count, first)}, header says {actual}"


@then("the packed first block has min delta {min_delta:d} and bit widths {widths:Ints}")
def step_check_block(context: Any, min_delta: int, widths: list[int]) -> None:
    """Read the first block's min delta and miniblock bit widths."""
    layout = delta.inspect(_packed(_w(context)))
    actual = (layout.min_deltas[0], layout.bit_widths[0])
    assert actual == (min_delta, widths), f"expected {(min_delta, widths)}, first block has {actual}"


@then('unpacking fails with the {error:DeltaErrorKind} error saying "{detail}"')
def step_check_unpack_error(context: Any, error: str, detail: str) -> None:
    """Unpack damaged bytes and check the specific error and a part of its message."""
    w = _w(context)
    packed = _packed(w)
    _check_error(_capture(lambda: delta.unpack(packed)), error, detail)


@then('unpacking at most {limit:d} values fails with the {error:DeltaErrorKind} error saying "{detail}"')
def step_check_unpack_limit_error(context: Any, limit: int, error: str, detail: str) -> None:
    """Unpack with a caller's bound on the values (max_values) and check the error and a part of its message."""
    packed = _packed(_w(context))
    _check_error(_capture(lambda: delta.unpack(packed, max_values=limit)), error, detail)


@then('encoding fails with the {error:DeltaErrorKind} error saying "{detail}"')
def step_check_encode_error(context: Any, error: str, detail: str) -> None:
    """Check the specific error raised when encoding, and a part of its message."""
    attempt = need(_w(context).attempt, "an attempt to encode", "When the values 1.5 of type float64 are delta encoded")
    _check_error(attempt, error, detail)


def _check_error(attempt: Attempt, error: str, detail: str) -> None:
    expected = ERRORS[error]
    actual = attempt.error
    evidence.attach_text("error", f"{type(actual).__name__}: {actual}")
    assert isinstance(actual, expected), f"expected {expected.__name__}, got {type(actual).__name__}: {actual}"
    assert detail in str(actual), f"expected the message to say {detail!r}, it says {actual}"


def _deltas(w: DeltaWorld) -> Int64Array:
    return _encoded(w)[1:]


@then("the deltas show {rises:d} rises and {falls:d} falls")
def step_check_trend(context: Any, rises: int, falls: int) -> None:
    """Count positive and negative deltas."""
    deltas = _deltas(_w(context))
    actual = (int((deltas > 0).sum()), int((deltas < 0).sum()))
    assert actual == (rises, falls), f"expected {rises} rises and {falls} falls, deltas {deltas.tolist()}"


@then("the largest move is {move:d} cents")
def step_check_largest(context: Any, move: int) -> None:
    """Find the delta of largest magnitude, with its sign (+50 is a rise of 50 cents)."""
    deltas = _deltas(_w(context))
    largest = int(deltas[np.argmax(np.abs(deltas))])
    assert largest == move, f"expected the largest move {move:+d}, found {largest:+d}"


@then("every delta-of-delta after the first two values is {value:d}")
def step_check_dod(context: Any, value: int) -> None:
    """All second differences of a regular series are the same."""
    tail = _encoded(_w(context))[2:]
    assert np.all(tail == value), f"expected all {value}, found values {np.unique(tail)[:10].tolist()}"


def _size(w: DeltaWorld, method: str) -> int:
    sizes = need(w.sizes, "storage sizes", "When the series is stored raw, as deltas and packed, with and without zlib")
    return sizes[method].size


@then("the deltas with zlib are smaller than the raw values with zlib")
def step_check_deltas_zlib(context: Any) -> None:
    """Deltas give zlib more to work with than the raw values."""
    w = _w(context)
    deltas, raw = _size(w, "delta int64 + zlib"), _size(w, "raw int64 + zlib")
    assert deltas < raw, f"expected deltas+zlib ({deltas} bytes) < raw+zlib ({raw} bytes)"


@then("the packed form is smaller than the raw values with zlib")
def step_check_packed_zlib(context: Any) -> None:
    """The packed form beats a general-purpose compressor on the raw values."""
    w = _w(context)
    packed, raw = _size(w, "DELTA_BINARY_PACKED"), _size(w, "raw int64 + zlib")
    assert packed < raw, f"expected packed ({packed} bytes) < raw+zlib ({raw} bytes)"
