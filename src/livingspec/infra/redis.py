"""redis-server from Debian's package: a throwaway server on a free loopback port, no persistence."""

from __future__ import annotations

import atexit

from livingspec.infra.lifecycle import Started
from livingspec.infra.net import LOOPBACK, free_port
from livingspec.infra.process import ManagedProcess, require_binary


class RedisServer(Started):
    """redis-server on a free loopback port with persistence off; a context manager."""

    def __init__(self) -> None:
        binary = require_binary("redis-server")
        self.port = free_port()
        argv = [binary, "--port", str(self.port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no"]
        self.process = ManagedProcess(argv, name="redis", ready_port=self.port)

    @property
    def url(self) -> str:
        """``redis://`` URL of database 0."""
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> RedisServer:
        """Start redis-server and wait (bounded) for its port."""
        self.process.start()
        return self

    def flush(self) -> None:
        """Drop every key (sessions, streams) left by an earlier user of this server."""
        import redis

        redis.Redis.from_url(self.url, socket_timeout=5).flushall()

    def stop(self) -> None:
        """Stop redis-server."""
        self.process.stop()


_shared: list[RedisServer] = []


def shared_redis() -> RedisServer:
    """One Redis server per test process (pytest-xdist worker), started on first use, emptied per user."""
    if not _shared:
        _shared.append(RedisServer().start())
        atexit.register(_shared[0].stop)
    server = _shared[0]
    server.flush()
    return server
