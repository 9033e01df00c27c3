"""Steps of the delta-encoding features: prices, integer series, the packed form and its errors.

Phrases: the stock prices <$...>; the integer series <ints>; a <kind> series of <n> values;
the prices are delta encoded in cents | as binary floating-point numbers; the series is delta
encoded | packed | delta-of-delta encoded | stored raw, as deltas and packed...; the packed bytes
are <damage>; the values <v> of type <dtype> are delta encoded; and the checks that follow.
"""

from decimal import Decimal
from itertools import pairwise

import numpy as np
from behave import given, then, when

from livingspec import delta
from livingspec.delta import samples
from livingspec.runner import evidence

ERRORS = {
    "truncated data": delta.TruncatedDataError,
    "value count": delta.ValueCountError,
    "corrupt data": delta.CorruptDataError,
    "missing scale": delta.MissingScaleError,
    "unsupported dtype": delta.UnsupportedDtypeError,
    "inexact scale": delta.InexactScaleError,
}


def _signed(values):
    return ", ".join([str(values[0])] + [f"{v:+d}" if v else "0" for v in values[1:]])


def _show_series(name, original, encoded):
    rows = [(i, o, e) for i, (o, e) in enumerate(zip(original, encoded, strict=True))]
    evidence.attach_table(name, ["index", "value", "stored (first value, then deltas)"], rows[:40])


# ---------------------------------------------------------------- Given


@given("the stock prices {prices:Amounts}")
def step_prices(context, prices):
    """Remember prices in dollars as exact decimals."""
    context.prices = prices


@given("the integer series {values:Ints}")
def step_integer_series(context, values):
    """Remember a series of integers."""
    context.series = delta.as_int64(values)


@given("a {kind} series of {count:d} values")
def step_sample_series(context, kind, count):
    """Generate a seeded sample series of a named kind (timestamps, prices, random)."""
    context.series = samples.series(kind, count)


@given("the series is packed")
@when("the series is packed")
def step_pack(context):
    """Pack the series as DELTA_BINARY_PACKED bytes."""
    context.packed = delta.pack(context.series)


# ---------------------------------------------------------------- When


@when("the prices are delta encoded in cents")
def step_encode_cents(context):
    """Scale the prices to integer cents and delta encode them."""
    context.series = delta.to_fixed_point(context.prices, scale=2)
    context.encoded = delta.delta_encode(context.series)
    _show_series("prices in cents, delta encoded", context.series.tolist(), context.encoded.tolist())


@when("the prices are delta encoded as binary floating-point numbers")
def step_encode_floats(context):
    """Compute the deltas of the prices as binary floats (what a naive encoder does)."""
    floats = [float(p) for p in context.prices]
    context.float_deltas = [b - a for a, b in pairwise(floats)]
    context.exact_deltas = [b - a for a, b in pairwise(context.prices)]


@when("the series is delta encoded")
def step_encode(context):
    """Delta encode the integer series."""
    context.encoded = delta.delta_encode(context.series)
    _show_series("series, delta encoded", context.series.tolist(), context.encoded.tolist())


@when("the series is delta-of-delta encoded")
def step_encode_dod(context):
    """Delta encode the deltas once more, and pack that."""
    context.encoded = delta.delta_of_delta_encode(context.series)
    context.packed = delta.pack_delta_of_delta(context.series)
    plain = len(delta.pack(context.series))
    evidence.attach_table(
        "delta-of-delta, first values",
        ["index", "timestamp (ms)", "delta-of-delta"],
        [(i, context.series[i], context.encoded[i]) for i in range(8)],
    )
    evidence.attach_text(
        "packed sizes",
        f"packed delta-of-delta: {len(context.packed)} bytes; packed deltas: {plain} bytes "
        f"for {context.series.size} values ({context.series.size * 8} bytes raw).\n"
        "Parquet's per-block min delta already absorbs a constant step, so in packed form "
        "delta-of-delta saves little more; it matters for encoders without a min delta (Gorilla).",
    )


@when("the series is stored raw, as deltas and packed, with and without zlib")
def step_compare(context):
    """Measure the size of each way of storing the series."""
    context.sizes = {s.method: s for s in delta.compare_storage(context.series)}
    rows = [(s.method, s.size, f"{s.bytes_per_value:.3f}", f"{s.ratio:.1f}x") for s in context.sizes.values()]
    evidence.attach_table("storage compared", ["method", "bytes", "bytes per value", "vs raw"], rows)
    figure = evidence.new_figure(6.4, 3.0)
    axes = figure.add_subplot()
    axes.barh([r[0] for r in rows], [r[1] for r in rows], color="#4c72b0")
    axes.set_xscale("log")
    axes.set_xlabel("bytes (log scale)")
    axes.invert_yaxis()
    evidence.attach_figure("storage compared", figure)


@when("the packed bytes are cut to {size:d} bytes")
def step_cut(context, size):
    """Keep only the first bytes of the packed form."""
    context.packed = context.packed[:size]


@when("the packed bytes are given a header promising {count:d} values")
def step_promise(context, count):
    """Rewrite the value count in the header (keeping the rest)."""
    context.packed = context.packed[:3] + delta.uleb128(count) + context.packed[5:]


@when("the packed bytes are given a bit width of {width:d} in the first block")
def step_bad_width(context, width):
    """Overwrite the first miniblock's bit width."""
    layout = delta.inspect(context.packed)
    min_delta = layout.min_deltas[0]
    offset = layout.header_size + len(delta.uleb128((min_delta << 1) ^ (min_delta >> 63)))
    data = bytearray(context.packed)
    data[offset] = width
    context.packed = bytes(data)


@when("the packed bytes are given a block size of {size:d}")
def step_bad_block_size(context, size):
    """Rewrite the block size in the header."""
    context.packed = delta.uleb128(size) + context.packed[2:]


@when("the packed bytes are replaced by {count:d} bytes of 0x{byte:x}")
def step_replace(context, count, byte):
    """Replace the packed form by a run of one byte value."""
    context.packed = bytes([byte]) * count


@when("the values {values} of type {dtype} are delta encoded")
def step_encode_dtype(context, values, dtype):
    """Try to delta encode values of a given numpy dtype."""
    array = np.array([complex(v) if dtype.startswith("complex") else float(v) for v in values.split(",")])
    context.error = _capture(lambda: delta.delta_encode(array.astype(dtype)))


@when("the stock prices {prices:Amounts} are converted to cents")
def step_to_cents(context, prices):
    """Try to convert prices to integer cents."""
    context.error = _capture(lambda: delta.to_fixed_point(prices, scale=2))


def _capture(action):
    try:
        action()
    except delta.DeltaError as error:
        return error
    return None


# ---------------------------------------------------------------- Then


@then("the delta encoded series is {expected:Ints}")
def step_check_encoded(context, expected):
    """Compare the stored series (first value, then deltas) with the expected one."""
    actual = [int(v) for v in context.encoded]
    assert actual == expected, f"expected {_signed(expected)}, encoded {_signed(actual)}"


@then("in dollars the delta encoded series reads {expected:Amounts}")
def step_check_dollars(context, expected):
    """Read the encoded cents back as dollar amounts."""
    actual = delta.from_fixed_point(context.encoded, scale=2)
    assert actual == expected, f"expected {expected}, read {actual}"


@then("delta decoding gives back the stock prices exactly")
def step_check_prices(context):
    """Decode the cents and compare with the original decimal prices."""
    decoded = delta.from_fixed_point(delta.delta_decode(context.encoded), scale=2)
    assert decoded == context.prices, f"expected {context.prices}, decoded {decoded}"


@then("delta decoding gives back the original series")
def step_check_roundtrip(context):
    """Decode and compare with the original integers."""
    decoded = delta.delta_decode(context.encoded)
    assert np.array_equal(decoded, context.series), f"expected {context.series}, decoded {decoded}"


@then("{count:d} of the {total:d} floating-point deltas differ from the exact deltas")
def step_check_float_deltas(context, count, total):
    """Count the float deltas that are not the exact decimal deltas."""
    rows = [
        (f"{exact:+}", repr(flt), "yes" if Decimal(repr(flt)) == exact else "no")
        for exact, flt in zip(context.exact_deltas, context.float_deltas, strict=True)
    ]
    evidence.attach_table("exact and floating-point deltas", ["exact delta", "float delta", "exact?"], rows)
    differing = sum(1 for row in rows if row[2] == "no")
    assert len(rows) == total, f"expected {total} deltas, computed {len(rows)}"
    assert differing == count, f"expected {count} inexact float deltas, found {differing}: {rows}"


@then("the floating-point delta from ${before:Decimal} to ${after:Decimal} is {value}")
def step_check_float_delta(context, before, after, value):
    """Show the float that a naive encoder stores for one delta."""
    actual = float(after) - float(before)
    assert repr(actual) == value, f"expected the float delta {value}, computed {actual!r}"


@then("in cents the same delta is exactly {cents:d}")
def step_check_cents_delta(context, cents):
    """The fixed-point delta is an exact integer."""
    exact = delta.to_fixed_point(context.prices, scale=2)
    deltas = delta.delta_encode(exact)[1:].tolist()
    assert cents in deltas, f"expected a delta of exactly {cents} cents, deltas are {deltas}"


@then("the packed form takes at most {limit:Decimal} bytes per value")
def step_check_size_per_value(context, limit):
    """Compare the packed size per value with a bound."""
    per_value = len(context.packed) / context.series.size
    evidence.attach_text(
        "packed size",
        f"{len(context.packed)} bytes for {context.series.size} values = {per_value:.4f} bytes per value "
        f"(raw int64: 8 bytes per value, {8 / per_value:.1f}x larger)",
    )
    assert per_value <= limit, f"expected at most {limit} bytes per value, packed takes {per_value:.4f}"


@then("the packed delta-of-delta form takes at most {limit:Decimal} bytes per value")
def step_check_dod_size(context, limit):
    """Compare the packed delta-of-delta size per value with a bound."""
    per_value = len(context.packed) / context.series.size
    assert per_value <= limit, f"expected at most {limit} bytes per value, packed takes {per_value:.4f}"


@then("the packed form unpacks to the same series")
def step_check_unpack(context):
    """Unpack and compare with the original series."""
    assert np.array_equal(delta.unpack(context.packed), context.series), "unpacked series differs from the original"


@then("the packed form takes {size:d} bytes")
def step_check_size(context, size):
    """Compare the exact packed size."""
    evidence.attach_text("packed bytes (hex)", context.packed.hex(" "))
    assert len(context.packed) == size, f"expected {size} bytes, packed form has {len(context.packed)}"


@then("the packed header says block size {block:d}, {minis:d} miniblocks, {count:d} values, first value {first:d}")
def step_check_header(context, block, minis, count, first):
    """Read the header fields of the packed form."""
    layout = delta.inspect(context.packed)
    context.layout = layout
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
def step_check_block(context, min_delta, widths):
    """Read the first block's min delta and miniblock bit widths."""
    layout = delta.inspect(context.packed)
    actual = (layout.min_deltas[0], layout.bit_widths[0])
    assert actual == (min_delta, widths), f"expected {(min_delta, widths)}, first block has {actual}"


@then('unpacking fails with the {error} error saying "{detail}"')
def step_check_unpack_error(context, error, detail):
    """Unpack damaged bytes and check the specific error and its message."""
    context.error = _capture(lambda: delta.unpack(context.packed))
    _check_error(context, error, detail)


@then('encoding fails with the {error} error saying "{detail}"')
def step_check_encode_error(context, error, detail):
    """Check the specific error raised when encoding."""
    _check_error(context, error, detail)


def _check_error(context, error, detail):
    expected = ERRORS[error]
    actual = context.error
    evidence.attach_text("error", f"{type(actual).__name__}: {actual}")
    assert isinstance(actual, expected), f"expected {expected.__name__}, got {type(actual).__name__}: {actual}"
    assert detail in str(actual), f"expected the message to say {detail!r}, it says {actual}"


@then("the deltas show {rises:d} rises and {falls:d} falls")
def step_check_trend(context, rises, falls):
    """Count positive and negative deltas."""
    deltas = context.encoded[1:]
    actual = (int((deltas > 0).sum()), int((deltas < 0).sum()))
    assert actual == (rises, falls), f"expected {rises} rises and {falls} falls, deltas {deltas.tolist()}"


@then("the largest move is {move:d} cents")
def step_check_largest(context, move):
    """Find the delta with the largest magnitude."""
    deltas = context.encoded[1:]
    largest = int(deltas[np.argmax(np.abs(deltas))])
    assert largest == move, f"expected the largest move {move:+d}, found {largest:+d}"


@then("every delta-of-delta after the first two values is {value:d}")
def step_check_dod(context, value):
    """All second differences of a regular series are the same."""
    tail = context.encoded[2:]
    assert np.all(tail == value), f"expected all {value}, found values {np.unique(tail)[:10].tolist()}"


@then("the deltas with zlib are smaller than the raw values with zlib")
def step_check_deltas_zlib(context):
    """Deltas give zlib more to work with than the raw values."""
    deltas, raw = context.sizes["delta int64 + zlib"].size, context.sizes["raw int64 + zlib"].size
    assert deltas < raw, f"expected deltas+zlib ({deltas} bytes) < raw+zlib ({raw} bytes)"


@then("the packed form is smaller than the raw values with zlib")
def step_check_packed_zlib(context):
    """The packed form beats a general-purpose compressor on the raw values."""
    packed, raw = context.sizes["DELTA_BINARY_PACKED"].size, context.sizes["raw int64 + zlib"].size
    assert packed < raw, f"expected packed ({packed} bytes) < raw+zlib ({raw} bytes)"
