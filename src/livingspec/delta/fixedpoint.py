"""Exact decimals as fixed-point integers: $100.50 at scale 2 is 10050 cents.

Binary floating point cannot hold 100.60 or 0.15 exactly, so float deltas drift
(100.60 - 100.75 == -0.15000000000000568). Scaling to integers first makes every delta exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

import numpy as np

from livingspec.delta.codec import Int64Array
from livingspec.delta.errors import InexactScaleError, UnsupportedDtypeError

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
MAX_SCALE = 18


def _check_scale(scale: int) -> None:
    if not isinstance(scale, int) or isinstance(scale, bool) or not 0 <= scale <= MAX_SCALE:
        raise UnsupportedDtypeError(f"scale must be an integer from 0 to {MAX_SCALE}, got {scale!r}")


def to_fixed_point(values: Iterable[Decimal | str | int | float], scale: int) -> Int64Array:
    """Decimals (or their text, or floats by their shortest repr) -> integers of 10**-scale units."""
    _check_scale(scale)
    unit = Decimal(10) ** scale
    out: list[int] = []
    for index, value in enumerate(values):
        try:
            exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except (InvalidOperation, TypeError, ValueError):
            raise UnsupportedDtypeError(f"value {index} is not a decimal number: {value!r}") from None
        if not exact.is_finite():
            raise UnsupportedDtypeError(f"value {index} is not finite: {value!r}")
        scaled = exact * unit
        if scaled != scaled.to_integral_value():
            raise InexactScaleError(f"value {index} ({exact}) has more than {scale} decimal place(s); raise the scale")
        integer = int(scaled)
        if not _INT64_MIN <= integer <= _INT64_MAX:
            raise UnsupportedDtypeError(f"value {index} ({exact}) at scale {scale} does not fit int64")
        out.append(integer)
    return np.array(out, dtype=np.int64)


def from_fixed_point(values: Iterable[int], scale: int) -> list[Decimal]:
    """Integers of 10**-scale units -> exact decimals with ``scale`` places."""
    _check_scale(scale)
    quantum = Decimal(1).scaleb(-scale)
    return [(Decimal(int(v)) * quantum).quantize(quantum) for v in values]
