"""Event brokers with consumer groups: in process, and Redis Streams on the real target.

Both give at-least-once delivery: a message read by a consumer stays pending until it is
acknowledged, and a consumer that restarts reads its pending messages again first. Consumers
make that safe by recording the event ids they have applied (see domain.Outbox.first_time).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Message:
    """One delivered event: the broker's message id, the event's own id, its topic and payload."""

    message_id: str
    event_id: str
    topic: str
    payload: dict[str, Any]


class Broker(Protocol):
    def publish(self, topic: str, event_id: str, payload: dict[str, Any]) -> str: ...

    def read(self, topic: str, group: str, consumer: str, count: int = 100) -> list[Message]: ...

    def ack(self, topic: str, group: str, message_id: str) -> None: ...

    def deliveries(self, topic: str, group: str) -> int: ...


@dataclass
class _Group:
    next_index: int = 0
    pending: dict[str, str] = field(default_factory=dict)  # message id -> consumer


class InProcessBroker:
    """Streams as lists; consumer groups with a read position and a pending list, like Redis."""

    def __init__(self) -> None:
        self._streams: dict[str, list[Message]] = {}
        self._groups: dict[tuple[str, str], _Group] = {}
        self._lock = threading.Lock()
        self._delivered: dict[tuple[str, str], int] = {}
        self.published = 0

    def publish(self, topic: str, event_id: str, payload: dict[str, Any]) -> str:
        with self._lock:
            stream = self._streams.setdefault(topic, [])
            message = Message(f"{len(stream) + 1}-0", event_id, topic, json.loads(json.dumps(payload)))
            stream.append(message)
            self.published += 1
            return message.message_id

    def read(self, topic: str, group: str, consumer: str, count: int = 100) -> list[Message]:
        """This consumer's pending messages first (redelivery), then new ones."""
        with self._lock:
            stream = self._streams.get(topic, [])
            state = self._groups.setdefault((topic, group), _Group())
            by_id = {m.message_id: m for m in stream}
            mine = [by_id[mid] for mid, owner in state.pending.items() if owner == consumer][:count]
            fresh = stream[state.next_index : state.next_index + count - len(mine)]
            state.next_index += len(fresh)
            for message in fresh:
                state.pending[message.message_id] = consumer
            delivered = mine + fresh
            self._delivered[(topic, group)] = self._delivered.get((topic, group), 0) + len(delivered)
            return delivered

    def ack(self, topic: str, group: str, message_id: str) -> None:
        with self._lock:
            self._groups.setdefault((topic, group), _Group()).pending.pop(message_id, None)

    def deliveries(self, topic: str, group: str) -> int:
        """How many times messages of ``topic`` were handed to ``group`` (redeliveries included)."""
        with self._lock:
            return self._delivered.get((topic, group), 0)

    def pending(self, topic: str, group: str) -> int:
        with self._lock:
            return len(self._groups.get((topic, group), _Group()).pending)


#: The Redis hash that counts deliveries per topic and group (Redis forgets them once acknowledged).
DELIVERIES_KEY = "livingspec:deliveries"
#: A pending message idle this long (milliseconds) is claimed by the next consumer of its group that reads.
ORPHAN_IDLE_MS = 5000


class RedisStreamsBroker:
    """Redis Streams: XADD to publish, XREADGROUP (pending first, then new), XACK."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=10, decode_responses=True)
        self._groups: set[tuple[str, str]] = set()
        self._claimed: dict[tuple[str, str], float] = {}  # when this broker last claimed orphans, per stream

    def _ensure_group(self, topic: str, group: str) -> None:
        if (topic, group) in self._groups:
            return
        import redis

        try:
            self._redis.xgroup_create(topic, group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._groups.add((topic, group))

    def publish(self, topic: str, event_id: str, payload: dict[str, Any]) -> str:
        return str(self._redis.xadd(topic, {"event_id": event_id, "payload": json.dumps(payload)}))

    def read(self, topic: str, group: str, consumer: str, count: int = 100) -> list[Message]:
        self._ensure_group(topic, group)
        # Messages left pending by a consumer that is gone (a replica scaled away or killed) for
        # longer than ORPHAN_IDLE_MS become this consumer's, so no message waits forever (checked
        # once per ORPHAN_IDLE_MS, not on every read).
        now = time.monotonic()
        if now - self._claimed.get((topic, group), 0.0) >= ORPHAN_IDLE_MS / 1000:
            self._claimed[(topic, group)] = now
            self._redis.xautoclaim(topic, group, consumer, ORPHAN_IDLE_MS, count=count, justid=True)
        messages: list[Message] = []
        for start in ("0", ">"):  # this consumer's pending entries, then new ones
            reply: Any = self._redis.xreadgroup(group, consumer, {topic: start}, count=count)
            for _, entries in reply or []:
                for message_id, fields in entries:
                    if fields:  # a pending entry whose message was trimmed has no fields
                        messages.append(Message(message_id, fields["event_id"], topic, json.loads(fields["payload"])))
        if messages:
            self._redis.hincrby(DELIVERIES_KEY, f"{topic} {group}", len(messages))
        return messages

    def drained(self, topic: str, group: str) -> bool:
        """Every message of ``topic`` handed to ``group`` and acknowledged (True when nothing was published)."""
        import redis

        try:
            stream: Any = self._redis.xinfo_stream(topic)
        except redis.ResponseError:  # no such stream: nothing was ever published to it
            return True
        groups: Any = self._redis.xinfo_groups(topic)
        state = next((g for g in groups if g["name"] == group), None)
        if state is None:  # the group reads from the start once it exists
            return int(stream["length"]) == 0
        return int(state["pending"]) == 0 and state["last-delivered-id"] == stream["last-generated-id"]

    def deliveries(self, topic: str, group: str) -> int:
        """How many times messages of ``topic`` were handed to ``group``, counted in Redis across restarts."""
        return int(self._redis.hget(DELIVERIES_KEY, f"{topic} {group}") or 0)

    def ack(self, topic: str, group: str, message_id: str) -> None:
        self._redis.xack(topic, group, message_id)
