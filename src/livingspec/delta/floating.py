"""Delta encoding in binary floating point, kept to show where it is exact and where it is not.

A float delta of two nearby floats is exact (Sterbenz: x - y is exact when y/2 <= x <= 2y), so
prices encoded from their own floats decode back to the same floats. Deltas written as decimals
(+0.25, -0.15) are not floats: each is rounded to the nearest one, and the running sum that
decodes them carries the rounding (100.50 + 0.25 - 0.15 + 0.50 - 0.20 gives 100.89999999999999).
Fixed point (``to_fixed_point``) avoids both questions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import accumulate, pairwise


def float_delta_encode(values: Iterable[float | Decimal]) -> list[float]:
    """[v0, v1 - v0, v2 - v1, ...] with every value and every subtraction in binary float."""
    floats = [float(v) for v in values]
    return floats[:1] + [b - a for a, b in pairwise(floats)]


def float_delta_decode(encoded: Iterable[float | Decimal]) -> list[float]:
    """The running sum in binary float: what a float decoder rebuilds from ``encoded``."""
    return list(accumulate(float(v) for v in encoded))


def exact_deltas(values: Sequence[Decimal]) -> list[Decimal]:
    """The decimal deltas v1 - v0, v2 - v1, ... computed exactly."""
    return [b - a for a, b in pairwise(values)]


def same_floats(values: Sequence[float], expected: Sequence[float | Decimal]) -> bool:
    """True when ``values`` are exactly the floats nearest to ``expected`` (no tolerance)."""
    return len(values) == len(expected) and all(v == float(e) for v, e in zip(values, expected, strict=True))
