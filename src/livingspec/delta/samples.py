"""Seeded sample series for scenarios and benchmarks: what delta encoding meets in practice.

A series kind is a description (``SeriesKind``): a shape (regular, jittered, random walk,
uniform) and its settings. The named kinds that scenarios use ("regular timestamp", "stock price
random walk", ...) are presets of that description; a scenario may describe a kind of its own
with the same settings (``describe``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation

import numpy as np

from livingspec.delta.codec import Int64Array
from livingspec.delta.errors import DeltaError

EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z in milliseconds
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_COUNT = 50_000_000  # the longest series a description may ask for (400 MB of int64)


class SeriesKindError(DeltaError):
    """A series kind is unknown, or its description has an unknown setting or a bad value."""


def regular_timestamps(count: int, step_ms: int = 1000, start_ms: int = EPOCH_MS) -> Int64Array:
    """Timestamps in milliseconds, exactly ``step_ms`` apart (a metrics scrape every second)."""
    return start_ms + np.arange(count, dtype=np.int64) * step_ms


def jittered_timestamps(
    count: int, seed: int = 7, step_ms: int = 1000, jitter_ms: int = 3, start_ms: int = EPOCH_MS
) -> Int64Array:
    """Timestamps about ``step_ms`` apart, each late by up to ``jitter_ms`` (a real scraper)."""
    rng = np.random.default_rng(seed)
    return regular_timestamps(count, step_ms, start_ms) + rng.integers(0, jitter_ms + 1, size=count)


def price_walk_cents(
    count: int, seed: int = 42, start_cents: int = 10050, volatility_cents: float = 12.0, minimum: int = 1
) -> Int64Array:
    """A stock price in cents moving by small normally distributed steps (never below ``minimum``)."""
    rng = np.random.default_rng(seed)
    steps = np.rint(rng.normal(0.0, volatility_cents, size=count)).astype(np.int64)
    steps[0] = 0
    return np.maximum(start_cents + np.cumsum(steps), minimum)


def random_int64(count: int, seed: int = 3, low: int = INT64_MIN, high: int = INT64_MAX) -> Int64Array:
    """Uniform integers from ``low`` to ``high``: no pattern at all, the worst case for delta encoding."""
    rng = np.random.default_rng(seed)
    return rng.integers(low, high, size=count, dtype=np.int64, endpoint=True)


@dataclass(frozen=True)
class SeriesKind:
    """What a series looks like. Which settings a shape reads is listed in ``SHAPES``."""

    shape: str  # regular | jittered | random walk | uniform
    start: int = EPOCH_MS  # first value (regular, jittered: ms since the epoch; random walk: cents)
    step: int = 1000  # distance between neighbours (regular, jittered), in the series' unit
    jitter: int = 3  # jittered: each value late by 0..jitter units, uniformly
    volatility: Decimal = Decimal(12)  # random walk: standard deviation of one move, in units
    minimum: int = 1  # random walk: the series never goes below this
    low: int = INT64_MIN  # uniform: smallest value
    high: int = INT64_MAX  # uniform: largest value
    seed: int = 7  # seed of the generator (jittered, random walk, uniform)

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise SeriesKindError(f"unknown series shape {self.shape!r}; known: {', '.join(SHAPES)}")
        for name in ("start", "step", "minimum", "low", "high"):
            value = getattr(self, name)
            if not INT64_MIN <= value <= INT64_MAX:
                raise SeriesKindError(f"{name} {value} does not fit int64")
        if self.jitter < 0 or self.volatility < 0:
            raise SeriesKindError("jitter and volatility must not be negative")
        if self.low > self.high:
            raise SeriesKindError(f"low {self.low} is above high {self.high}")

    def settings(self) -> list[tuple[str, str]]:
        """The settings this shape reads, as (name, value) rows for reports."""
        return [("shape", self.shape)] + [(name, str(getattr(self, name))) for name in SHAPES[self.shape]]

    def generate(self, count: int) -> Int64Array:
        """``count`` values of this kind (the same values for the same description)."""
        if not 0 <= count <= MAX_COUNT:
            raise SeriesKindError(f"a series has 0 to {MAX_COUNT} values, not {count}")
        with np.errstate(over="ignore"):  # a regular series past int64 wraps, as int64 does
            return _GENERATORS[self.shape](self, count)


_GENERATORS: dict[str, Callable[[SeriesKind, int], Int64Array]] = {
    "regular": lambda k, n: regular_timestamps(n, k.step, k.start),
    "jittered": lambda k, n: jittered_timestamps(n, k.seed, k.step, k.jitter, k.start),
    "random walk": lambda k, n: price_walk_cents(n, k.seed, k.start, float(k.volatility), k.minimum),
    "uniform": lambda k, n: random_int64(n, k.seed, k.low, k.high),
}

#: Per shape, the settings it reads (besides the shape itself).
SHAPES: dict[str, tuple[str, ...]] = {
    "regular": ("start", "step"),
    "jittered": ("start", "step", "jitter", "seed"),
    "random walk": ("start", "volatility", "minimum", "seed"),
    "uniform": ("low", "high", "seed"),
}

#: The named series kinds, as presets of the description.
PRESETS: dict[str, SeriesKind] = {
    "regular timestamp": SeriesKind("regular", start=EPOCH_MS, step=1000),
    "jittered timestamp": SeriesKind("jittered", start=EPOCH_MS, step=1000, jitter=3, seed=7),
    "stock price random walk": SeriesKind("random walk", start=10050, volatility=Decimal(12), minimum=1, seed=42),
    "random int64": SeriesKind("uniform", low=INT64_MIN, high=INT64_MAX, seed=3),
}

SETTINGS: tuple[str, ...] = tuple(f.name for f in fields(SeriesKind))


def preset(name: str) -> SeriesKind:
    """A named series kind; SeriesKindError lists the names."""
    try:
        return PRESETS[name]
    except KeyError:
        raise SeriesKindError(f"unknown series kind {name!r}; known: {', '.join(PRESETS)}") from None


def _value(name: str, text: str) -> int | Decimal | str:
    """One setting's value from its text: the shape as a word, volatility a decimal, the rest integers."""
    if name == "shape":
        return text
    try:
        number = Decimal(text.replace("_", "").replace(",", ""))
    except InvalidOperation:
        raise SeriesKindError(f"setting {name}: {text!r} is not a number") from None
    if name == "volatility":
        return number
    if number != number.to_integral_value():
        raise SeriesKindError(f"setting {name}: {text!r} is not a whole number")
    return int(number)


def describe(settings: Iterable[tuple[str, str]], base: SeriesKind | None = None) -> SeriesKind:
    """A series kind from (setting, value) rows, starting from ``base`` (a preset) when given.

    Without a base, ``shape`` is required; settings the shape does not read are refused, so a
    description never silently ignores what it says.
    """
    given: Mapping[str, str] = {name.strip().lower(): value.strip() for name, value in settings}
    unknown = [name for name in given if name not in SETTINGS]
    if unknown:
        raise SeriesKindError(f"unknown series setting {unknown[0]!r}; known: {', '.join(SETTINGS)}")
    if base is None and "shape" not in given:
        raise SeriesKindError(f"a series description needs a shape: {', '.join(SHAPES)}")
    shape = given.get("shape", base.shape if base else "")
    if shape not in SHAPES:
        raise SeriesKindError(f"unknown series shape {shape!r}; known: {', '.join(SHAPES)}")
    unread = [name for name in given if name != "shape" and name not in SHAPES[shape]]
    if unread:
        raise SeriesKindError(
            f"a {shape} series does not read {', '.join(unread)}; it reads: {', '.join(SHAPES[shape])}"
        )
    values = {name: _value(name, text) for name, text in given.items()}
    return replace(base, **values) if base else SeriesKind(**values)  # type: ignore[arg-type]


def series(kind: str, count: int) -> Int64Array:
    """A sample series by preset name; SeriesKindError lists the names."""
    return preset(kind).generate(count)
