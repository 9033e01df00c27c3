"""Delta encoding combined with a general-purpose compressor: the seed's "better compression"."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from livingspec.delta.codec import as_int64, delta_encode
from livingspec.delta.packed import pack


@dataclass(frozen=True)
class StoredSize:
    """One way of storing a series and the bytes it takes."""

    method: str
    size: int
    raw_size: int

    @property
    def bytes_per_value(self) -> float:
        return self.size / max(self.raw_size / 8, 1)

    @property
    def ratio(self) -> float:
        """Raw int64 size divided by this size (higher is better)."""
        return self.raw_size / self.size if self.size else float("inf")


def compare_storage(values: Any, level: int = 6) -> list[StoredSize]:
    """Sizes of raw int64, raw+zlib, deltas+zlib, packed and packed+zlib for the same series."""
    array = as_int64(values)
    raw = array.astype("<i8").tobytes()
    deltas = delta_encode(array).astype("<i8").tobytes()
    packed = pack(array)
    sizes = [
        ("raw int64", len(raw)),
        ("raw int64 + zlib", len(zlib.compress(raw, level))),
        ("delta int64 + zlib", len(zlib.compress(deltas, level))),
        ("DELTA_BINARY_PACKED", len(packed)),
        ("DELTA_BINARY_PACKED + zlib", len(zlib.compress(packed, level))),
    ]
    return [StoredSize(method, size, len(raw)) for method, size in sizes]
