"""Measurements the specification shows: compressed sizes per coding, and size against time per level.

Times come from an injected clock and are shown, never asserted: they depend on the machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from livingspec.compression.codecs import CODINGS, LEVEL_RANGES, compress
from livingspec.compression.corpus import PayloadSpec


@dataclass(frozen=True)
class LevelPoint:
    """One coding at one level: the compressed size (bytes) and the time it took (seconds)."""

    coding: str
    level: int
    size: int
    seconds: float


def sizes_by_coding(data: bytes, codings: Iterable[str] = CODINGS, level: int | None = None) -> dict[str, int]:
    """Compressed size (bytes) of ``data`` per coding, at ``level`` (each coding's default level when None)."""
    return {coding: len(compress(data, coding, level)) for coding in codings}


def sweep_levels(coding: str) -> range:
    """The levels a sweep visits: every level from 1 (gzip, br), every third for zstd, up to 19."""
    low, high = LEVEL_RANGES[coding]
    return range(max(low, 1), min(high, 19) + 1, 3 if coding == "zstd" else 1)


def level_sweep(
    data: bytes, codings: Iterable[str] = ("gzip", "br", "zstd"), clock: Callable[[], float] = time.perf_counter
) -> dict[str, list[LevelPoint]]:
    """Compress ``data`` at each level of each coding, timing each with ``clock``."""
    sweep: dict[str, list[LevelPoint]] = {}
    for coding in codings:
        points = []
        for level in sweep_levels(coding):
            start = clock()
            size = len(compress(data, coding, level))
            points.append(LevelPoint(coding, level, size, clock() - start))
        sweep[coding] = points
    return sweep


def larger_than_lowest(sweep: dict[str, list[LevelPoint]], slack: float = 1.02) -> dict[str, tuple[int, int]]:
    """Codings where some level gives a body over ``slack`` times the lowest level's: (lowest, largest) bytes."""
    worse = {}
    for coding, points in sweep.items():
        lowest, largest = points[0].size, max(point.size for point in points)
        if largest > lowest * slack:
            worse[coding] = (lowest, largest)
    return worse


@dataclass(frozen=True)
class Compressed:
    """One payload compressed: its original and compressed sizes (bytes)."""

    original: int
    compressed: int

    @property
    def percent(self) -> float:
        """The compressed size as a percentage of the original."""
        return 100 * self.compressed / max(self.original, 1)


def compress_payloads(specs: Mapping[str, PayloadSpec], coding: str, level: int | None) -> dict[str, Compressed]:
    """Each described payload compressed with ``coding`` at ``level``, by name."""
    results = {}
    for name, spec in specs.items():
        body = spec.make()
        results[name] = Compressed(len(body), len(compress(body, coding, level)))
    return results


def seeded_sizes(
    make: Callable[[int], bytes], seeds: Iterable[int], coding: str, level: int | None = None
) -> list[int]:
    """Compressed sizes (bytes) of the bodies ``make(seed)`` gives for each seed: how much one figure varies."""
    return [len(compress(make(seed), coding, level)) for seed in seeds]
