"""Session stores for the load-balanced monolith: sessions live outside the instances.

With sessions in a shared store, any instance can serve any request, so losing an instance
loses no session (the seed's stage 2: "Add session store for multiple instances").
"""

from __future__ import annotations

import json
import secrets
import threading
from typing import Any, Protocol

from livingspec.scaling.errors import SessionLostError

SESSION_COOKIE = "shop_session"
SESSION_TTL_S = 3600


class SessionStore(Protocol):
    def create(self, data: dict[str, Any]) -> str: ...

    def get(self, session_id: str) -> dict[str, Any]: ...


class MemorySessions:
    """Sessions in one process's memory, shared by the instances that run in that process."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def create(self, data: dict[str, Any]) -> str:
        session_id = secrets.token_urlsafe(18)
        with self._lock:
            self._data[session_id] = dict(data)
        return session_id

    def get(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            try:
                return dict(self._data[session_id])
            except KeyError:
                raise SessionLostError(f"no session {session_id[:6]}...") from None


class RedisSessions:
    """Sessions in Redis, with a time to live, shared by instances in any process."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=5)

    def create(self, data: dict[str, Any]) -> str:
        session_id = secrets.token_urlsafe(18)
        self._redis.set(f"session:{session_id}", json.dumps(data), ex=SESSION_TTL_S)
        return session_id

    def get(self, session_id: str) -> dict[str, Any]:
        raw = self._redis.get(f"session:{session_id}")
        if raw is None:
            raise SessionLostError(f"no session {session_id[:6]}...")
        loaded: dict[str, Any] = json.loads(raw)
        return loaded
