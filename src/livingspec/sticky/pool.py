"""The server pool: which app servers exist, their weights, and whether each takes traffic.

A server is in one of three states, as in HAProxy:

- ``up``: takes new sessions and existing ones;
- ``draining``: being retired; keeps the sessions already pinned to it, gets no new ones
  (HAProxy's ``drain``, weight 0 with persistence still honoured);
- ``down``: failed its health check (or a connection to it failed); gets nothing.

The pool is shared between the proxy's event loop, its health checker and whoever operates the
balancer (a test, a scaling controller), so every change takes a lock and bumps ``version``;
routing reads an immutable ``PoolView`` snapshot, and strategies rebuild their tables when the
version they saw changes.
"""

from __future__ import annotations

import enum
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property

from livingspec.sticky.errors import InvalidServerError, UnknownServerError

_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")


class ServerState(enum.Enum):
    """Whether a server takes traffic."""

    UP = "up"
    DRAINING = "draining"
    DOWN = "down"


@dataclass(frozen=True)
class Server:
    """One app server: ``name`` doubles as its affinity-cookie value; ``weight`` is relative capacity."""

    name: str
    weight: int = 1
    state: ServerState = ServerState.UP

    @property
    def takes_new_sessions(self) -> bool:
        """Up with a positive weight: may be chosen for a session that has no server yet."""
        return self.state is ServerState.UP and self.weight > 0

    @property
    def keeps_sessions(self) -> bool:
        """Up or draining: a session already pinned here stays here."""
        return self.state is not ServerState.DOWN


def check_server(name: str, weight: int) -> None:
    """Raise InvalidServerError unless ``name`` is a cookie-safe token and ``weight`` is 0..256."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidServerError(f"server name {name!r} must be 1-32 letters, digits, '-' or '_'")
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 256:
        raise InvalidServerError(f"weight {weight!r} of server {name!r} must be an integer from 0 to 256")


@dataclass(frozen=True)
class PoolView:
    """An immutable snapshot of the pool: servers in insertion order, and the version it was taken at."""

    version: int
    servers: tuple[Server, ...]

    @cached_property
    def _by_name(self) -> dict[str, Server]:
        return {server.name: server for server in self.servers}

    def get(self, name: str) -> Server | None:
        """The server called ``name``, or None when it is not in the pool."""
        return self._by_name.get(name)

    @cached_property
    def for_new_sessions(self) -> tuple[Server, ...]:
        """Servers that may receive a new session (computed once per snapshot)."""
        return tuple(server for server in self.servers if server.takes_new_sessions)


class Pool:
    """The mutable set of servers behind a balancer (thread-safe)."""

    def __init__(self, servers: Iterable[str | tuple[str, int]] = ()) -> None:
        self._lock = threading.Lock()
        self._servers: dict[str, Server] = {}
        self._version = 0
        self._view = PoolView(0, ())  # rebuilt under the lock at every change; read without it (one reference)
        for entry in servers:
            name, weight = (entry, 1) if isinstance(entry, str) else entry
            self.add(name, weight)

    def view(self) -> PoolView:
        """The current snapshot (built once per change, so routing a request allocates nothing here)."""
        return self._view

    def _changed(self) -> None:
        """Under the lock: bump the version and publish the new snapshot."""
        self._version += 1
        self._view = PoolView(self._version, tuple(self._servers.values()))

    @property
    def names(self) -> list[str]:
        """Server names in the order they joined."""
        return [server.name for server in self.view().servers]

    def __contains__(self, name: object) -> bool:
        return name in self._servers

    def get(self, name: str) -> Server:
        """The server called ``name``; UnknownServerError when there is none."""
        with self._lock:
            if name not in self._servers:
                raise UnknownServerError(name)
            return self._servers[name]

    def add(self, name: str, weight: int = 1) -> None:
        """Add an up server (scale out); InvalidServerError on a bad name, weight or duplicate."""
        check_server(name, weight)
        with self._lock:
            if name in self._servers:
                raise InvalidServerError(f"server {name!r} is already in the pool")
            self._servers[name] = Server(name, weight)
            self._changed()

    def remove(self, name: str) -> None:
        """Take a server out of the pool entirely (its cookie then reaches nobody)."""
        with self._lock:
            if name not in self._servers:
                raise UnknownServerError(name)
            del self._servers[name]
            self._changed()

    def _update(self, name: str, **changes: object) -> bool:
        with self._lock:
            if name not in self._servers:
                raise UnknownServerError(name)
            old = self._servers[name]
            new = replace(old, **changes)  # type: ignore[arg-type]
            if new == old:
                return False
            self._servers[name] = new
            self._changed()
            return True

    def set_weight(self, name: str, weight: int) -> None:
        """Change a server's relative capacity."""
        check_server(name, weight)
        self._update(name, weight=weight)

    def mark_down(self, name: str) -> bool:
        """The server failed: it gets no traffic. True when this changed its state."""
        return self._update(name, state=ServerState.DOWN)

    def mark_up(self, name: str) -> bool:
        """The server is healthy again (a draining server stays draining). True when this changed its state."""
        if self.get(name).state is ServerState.DRAINING:
            return False
        return self._update(name, state=ServerState.UP)

    def drain(self, name: str) -> None:
        """Retire a server gracefully: it keeps its sessions and gets no new ones."""
        self._update(name, state=ServerState.DRAINING)
