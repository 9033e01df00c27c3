"""Clocks for the login application: the wall clock in production, a manual one in specifications.

Lockout is about time (15 minutes), so the time comes from an injected ``now()`` callable
returning seconds; scenarios move a ManualClock forward instead of waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: A clock: seconds since some fixed origin, never decreasing.
Clock = Callable[[], float]


def wall_clock() -> float:
    """Seconds since the Unix epoch (the production clock)."""
    return time.time()


class ManualClock:
    """A clock that moves only when told to: ``clock()`` reads it, ``advance()`` moves it on."""

    def __init__(self, start: float = 1_764_115_200.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards)."""
        if seconds < 0:
            raise ValueError(f"a clock cannot move backwards: advance({seconds})")
        self.now += seconds
