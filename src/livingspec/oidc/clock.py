"""Injected time: every component takes a ``now()`` callable returning seconds since the epoch.

NumericDate claims count seconds since the Unix epoch (RFC 7519 section 2); tests pass the shared
infrastructure's ManualClock, which starts at 2026-01-01T00:00:00Z.
"""

from livingspec.infra.clock import Clock, ManualClock, wall_clock

system_clock = wall_clock  # the name this package has always exported

__all__ = ["Clock", "ManualClock", "system_clock", "wall_clock"]
