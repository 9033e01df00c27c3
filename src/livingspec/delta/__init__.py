"""Delta encoding: store the first value, then only the change from each value to the next.

Seed, day 1. Differences of slowly changing data are small numbers, which take fewer bits; the
sequence is rebuilt exactly by adding the deltas back up. The packed form is Apache Parquet's
DELTA_BINARY_PACKED encoding; exact decimals go through a fixed-point scale.

Packed bytes are untrusted input: ``unpack`` bounds its output before allocating (``max_values``,
blocks of at most MAX_BLOCK_SIZE values) and raises only DeltaError. ``pack`` and ``unpack`` run
compiled loops on series of 4,096 values or more when numba is installed, the numpy reference path
otherwise; both give the same bytes.
"""

from livingspec.delta.codec import (
    as_int64,
    delta_decode,
    delta_encode,
    delta_of_delta_decode,
    delta_of_delta_encode,
    unzigzag,
    zigzag,
)
from livingspec.delta.comparison import StoredSize, compare_storage
from livingspec.delta.errors import (
    CorruptDataError,
    DeltaError,
    InexactScaleError,
    MissingScaleError,
    TruncatedDataError,
    UnsupportedDtypeError,
    ValueCountError,
)
from livingspec.delta.fixedpoint import from_fixed_point, to_fixed_point
from livingspec.delta.floating import float_delta_decode, float_delta_encode
from livingspec.delta.packed import (
    BLOCK_SIZE,
    DEFAULT_MAX_VALUES,
    MAX_BLOCK_SIZE,
    MINIBLOCKS,
    Layout,
    inspect,
    pack,
    pack_delta_of_delta,
    uleb128,
    unpack,
    unpack_delta_of_delta,
)
from livingspec.delta.samples import SeriesKind, SeriesKindError

__all__ = [
    "BLOCK_SIZE",
    "DEFAULT_MAX_VALUES",
    "MAX_BLOCK_SIZE",
    "MINIBLOCKS",
    "CorruptDataError",
    "DeltaError",
    "InexactScaleError",
    "Layout",
    "MissingScaleError",
    "SeriesKind",
    "SeriesKindError",
    "StoredSize",
    "TruncatedDataError",
    "UnsupportedDtypeError",
    "ValueCountError",
    "as_int64",
    "compare_storage",
    "delta_decode",
    "delta_encode",
    "delta_of_delta_decode",
    "delta_of_delta_encode",
    "float_delta_decode",
    "float_delta_encode",
    "from_fixed_point",
    "inspect",
    "pack",
    "pack_delta_of_delta",
    "to_fixed_point",
    "uleb128",
    "unpack",
    "unpack_delta_of_delta",
    "unzigzag",
    "zigzag",
]
