"""Delta encoding of integer sequences: the first value, then the difference from each value to the next.

Arithmetic is two's-complement int64 that wraps around, so the round trip is exact over the whole
int64 range: a delta that overflows wraps, and the running sum that decodes it wraps back.
Delta-of-delta encodes the deltas once more, which turns a regular series (timestamps every
second) into zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from livingspec.delta.errors import MissingScaleError, UnsupportedDtypeError

Int64Array = npt.NDArray[np.int64]

# Integer dtypes whose every value fits int64 exactly.
_EXACT_KINDS = {np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32)}


def as_int64(values: Any) -> Int64Array:
    """Validate and view ``values`` as a 1-d int64 array, or raise a DeltaError naming the problem."""
    if isinstance(values, np.ndarray):
        array = values
    else:
        if isinstance(values, (str, bytes)):
            raise UnsupportedDtypeError(f"expected a sequence of integers, got {type(values).__name__}")
        items = list(values)
        if any(isinstance(v, float) for v in items):
            raise MissingScaleError(
                "floating-point values need a fixed-point scale (for cents: scale=2); binary floats make inexact deltas"
            )
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
            bad = next(v for v in items if not isinstance(v, (int, np.integer)) or isinstance(v, bool))
            raise UnsupportedDtypeError(f"expected integers, got {type(bad).__name__} {bad!r}")
        try:
            array = np.array(items, dtype=np.int64)
        except OverflowError as error:
            raise UnsupportedDtypeError(f"a value does not fit in int64: {error}") from None
    if array.ndim != 1:
        raise UnsupportedDtypeError(f"expected a 1-d sequence, got shape {array.shape}")
    if array.dtype.kind == "f":
        raise MissingScaleError(
            f"dtype {array.dtype} needs a fixed-point scale (for cents: scale=2); binary floats make inexact deltas"
        )
    if array.dtype not in _EXACT_KINDS:
        raise UnsupportedDtypeError(
            f"unsupported dtype {array.dtype}: use int8..int64 or uint8..uint32 "
            "(uint64 and others do not fit int64 exactly)"
        )
    return array.astype(np.int64, copy=False)


def delta_encode(values: Any) -> Int64Array:
    """[v0, v1, v2, ...] -> [v0, v1 - v0, v2 - v1, ...] in wrapping int64 arithmetic."""
    array = as_int64(values)
    out = np.empty_like(array)
    if array.size:
        out[0] = array[0]
        np.subtract(array[1:], array[:-1], out=out[1:])
    return out


def delta_decode(encoded: Any) -> Int64Array:
    """Inverse of delta_encode: the running sum, wrapping exactly as the encoder did."""
    array = as_int64(encoded)
    return np.cumsum(array, dtype=np.int64)


def delta_of_delta_encode(values: Any) -> Int64Array:
    """[v0, v1 - v0, (v2 - v1) - (v1 - v0), ...]: the deltas delta-encoded once more."""
    return delta_encode(delta_encode(values))


def delta_of_delta_decode(encoded: Any) -> Int64Array:
    """Inverse of delta_of_delta_encode."""
    return delta_decode(delta_decode(encoded))


def zigzag(values: Int64Array) -> npt.NDArray[np.uint64]:
    """Map signed to unsigned so small magnitudes stay small: 0, -1, 1, -2 -> 0, 1, 2, 3."""
    v = values.astype(np.int64, copy=False)
    return ((v << 1) ^ (v >> 63)).view(np.uint64)


def unzigzag(values: npt.NDArray[np.uint64]) -> Int64Array:
    """Inverse of zigzag."""
    u = values.astype(np.uint64, copy=False)
    return ((u >> np.uint64(1)) ^ (np.uint64(0) - (u & np.uint64(1)))).view(np.int64)


def as_list(values: Sequence[int] | Int64Array) -> list[int]:
    """Plain Python ints, for messages and reports."""
    return [int(v) for v in values]
