"""Shared infrastructure for concepts and tests: processes, loopback servers, clocks, launchers.

Concept packages import this package, never the runner glue. Everything here is bounded in time
and bound to loopback: a managed process stops (TERM, then KILL), a server holds its port from the
moment it is chosen, a launcher of a real system (etcd, HAProxy, nginx, PostgreSQL, Redis, Chromium)
raises ``TargetUnavailableError`` naming the missing binary so that a scenario can skip with the reason.
"""

from livingspec.infra.asgi import LoopbackServer
from livingspec.infra.clock import Clock, ManualClock, wall_clock
from livingspec.infra.errors import InfraError, TargetUnavailableError
from livingspec.infra.net import LOOPBACK, bound_socket, free_port, wait_for_port
from livingspec.infra.process import ManagedProcess, require_binary

__all__ = [
    "LOOPBACK",
    "Clock",
    "InfraError",
    "LoopbackServer",
    "ManagedProcess",
    "ManualClock",
    "TargetUnavailableError",
    "bound_socket",
    "free_port",
    "require_binary",
    "wait_for_port",
    "wall_clock",
]
