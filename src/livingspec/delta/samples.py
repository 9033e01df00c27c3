"""Seeded sample series for scenarios and benchmarks: what delta encoding meets in practice."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from livingspec.delta.codec import Int64Array

EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z in milliseconds


def regular_timestamps(count: int, step_ms: int = 1000, start_ms: int = EPOCH_MS) -> Int64Array:
    """Timestamps in milliseconds, exactly ``step_ms`` apart (a metrics scrape every second)."""
    return start_ms + np.arange(count, dtype=np.int64) * step_ms


def jittered_timestamps(count: int, seed: int = 7, step_ms: int = 1000, jitter_ms: int = 3) -> Int64Array:
    """Timestamps about ``step_ms`` apart, each late by up to ``jitter_ms`` (a real scraper)."""
    rng = np.random.default_rng(seed)
    return regular_timestamps(count, step_ms) + rng.integers(0, jitter_ms + 1, size=count)


def price_walk_cents(
    count: int, seed: int = 42, start_cents: int = 10050, volatility_cents: float = 12.0
) -> Int64Array:
    """A stock price in cents moving by small normally distributed steps (never below one cent)."""
    rng = np.random.default_rng(seed)
    steps = np.rint(rng.normal(0.0, volatility_cents, size=count)).astype(np.int64)
    steps[0] = 0
    return np.maximum(start_cents + np.cumsum(steps), 1)


def random_int64(count: int, seed: int = 3) -> Int64Array:
    """Uniform int64 values: no pattern at all, the worst case for delta encoding."""
    rng = np.random.default_rng(seed)
    return rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=count, dtype=np.int64, endpoint=True)


#: Series kinds by the names scenarios use.
SERIES: dict[str, Callable[[int], Int64Array]] = {
    "regular timestamp": regular_timestamps,
    "jittered timestamp": jittered_timestamps,
    "stock price random walk": price_walk_cents,
    "random int64": random_int64,
}


def series(kind: str, count: int) -> Int64Array:
    """A sample series by kind name; raises KeyError listing the kinds."""
    try:
        make = SERIES[kind]
    except KeyError:
        raise KeyError(f"unknown series kind {kind!r}; known: {', '.join(SERIES)}") from None
    return make(count)
