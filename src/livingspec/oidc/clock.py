"""Injected time: every component takes a ``now()`` callable returning seconds since the epoch."""

from __future__ import annotations

import time
from collections.abc import Callable

#: A clock: seconds since the Unix epoch, as NumericDate claims count them (RFC 7519 section 2).
Clock = Callable[[], float]


def system_clock() -> float:
    """The real time (for production use; tests pass a ManualClock)."""
    return time.time()


class ManualClock:
    """A clock that moves only when told: expiry is tested without waiting."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self.time = float(start)

    def __call__(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards)."""
        if seconds < 0:
            raise ValueError(f"a clock does not run backwards: advance({seconds})")
        self.time += seconds
