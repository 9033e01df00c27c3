"""Messages on the simulated network: Multi-Paxos among replicas, and client calls to the master.

Messages are values: no receiver changes one (a duplicated message is one object delivered twice).
They are slotted, not frozen, dataclasses because a frozen one costs about three times as much to
build, and building messages is a third of the simulator's hot path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from livingspec.chubby.store import Command


# ---- Multi-Paxos between replicas (ballots are epochs: unique per replica, increasing)
@dataclass(slots=True)
class Prepare:
    ballot: int
    from_slot: int  # the candidate knows every decision below this slot


@dataclass(slots=True)
class Promise:
    ballot: int
    accepted: dict[int, tuple[int, Command]]  # slot -> (ballot, command) accepted at or after from_slot
    decided: dict[int, Command]  # slot -> command this acceptor knows was chosen


@dataclass(slots=True)
class Nack:
    ballot: int  # the rejected ballot
    promised: int  # the higher ballot the acceptor has promised


@dataclass(slots=True)
class Accept:
    ballot: int
    slot: int
    command: Command


@dataclass(slots=True)
class Accepted:
    ballot: int
    slot: int


@dataclass(slots=True)
class Heartbeat:
    """The master renews its lease and tells the follower the decisions it lacks."""

    ballot: int
    sent_at: float
    decided: dict[int, Command]


@dataclass(slots=True)
class HeartbeatAck:
    ballot: int
    sent_at: float
    next_slot: int  # the follower knows every decision below this slot


# ---- client <-> master
@dataclass(slots=True)
class Request:
    client: str
    rid: int
    op: str
    session: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Reply:
    rid: int
    ok: bool
    value: Any
    epoch: int
    master: str
    cacheable: bool = False


@dataclass(slots=True)
class NotMaster:
    rid: int
    hint: str | None  # the replica this one believes is master, if any


@dataclass(slots=True)
class KeepAlive:
    client: str
    rid: int
    session: str
    epoch: int  # the epoch the client last saw
    acks: tuple[str, ...] = ()  # paths whose invalidation the client has applied


@dataclass(slots=True)
class KeepAliveReply:
    rid: int
    epoch: int
    master: str
    lease_end: float  # absolute virtual time: the simulated clocks do not drift
    events: tuple[tuple[str, str], ...] = ()  # (kind, path); kind "invalidate" asks to drop a cache entry


@dataclass(slots=True)
class SessionGone:
    rid: int
    session: str
