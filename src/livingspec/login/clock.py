"""Clocks for the login application: the wall clock in production, a manual one in specifications.

Lockout is about time (15 minutes), so the time comes from an injected ``now()`` callable
returning seconds; scenarios move the shared infrastructure's ManualClock instead of waiting.
"""

from livingspec.infra.clock import Clock, ManualClock, wall_clock

__all__ = ["Clock", "ManualClock", "wall_clock"]
