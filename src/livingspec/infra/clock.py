"""Injected time: components take a ``now()`` callable returning seconds since the Unix epoch.

Concepts about time (lockout, token expiry, leases) read such a clock; specifications move a
ManualClock forward instead of waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: A clock: seconds since the Unix epoch, never decreasing.
Clock = Callable[[], float]

#: 2026-01-01T00:00:00Z, the default start of a manual clock.
DEFAULT_START = 1_767_225_600.0


def wall_clock() -> float:
    """The real time (the production clock)."""
    return time.time()


class ManualClock:
    """A clock that moves only when told: ``clock()`` reads it, ``advance()`` moves it on."""

    def __init__(self, start: float = DEFAULT_START) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (never backwards)."""
        if seconds < 0:
            raise ValueError(f"a clock does not run backwards: advance({seconds})")
        self.now += seconds

    def set(self, when: float) -> None:
        """Move the clock to ``when`` (never backwards)."""
        self.advance(when - self.now)
