"""A Chubby session on etcd: a lease kept alive, seen by the client library as safe, in jeopardy or expired.

etcd holds the lease; its TTL is the session lease (12 s, the paper's default). The client library
keeps its own *local* lease: when it last sent a KeepAlive that was answered, plus the TTL granted.
When the local lease runs out without an answer, the session is in *jeopardy*: the client cannot
tell a failed master from a slow one, so it keeps trying for the grace period (45 s). An answer in
time makes the session safe again ("master failed over" first, when the Raft term moved on); an
answer saying the lease is gone, or the grace period running out, expires the session and its
handles are invalid. etcd extends every lease when a new leader takes over, as Chubby's new master
does, so a session survives a failover or a whole-cell outage found within the grace period.

A lock-delay is a second lease: the holder puts a ``<lock>#lock-delay`` key under a lease of TTL
session lease + lock-delay and renews it right after each session KeepAlive. A clean release
deletes the key; a failed holder's key outlives its session by the lock-delay, and contenders wait
for it to go. Both expiries are etcd's own, so no client clock decides when a lock is free.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from livingspec.chubby.client import ClientEvent
from livingspec.chubby.config import ChubbyConfig

DEFAULTS = ChubbyConfig()
SESSION_TTL = int(DEFAULTS.session_lease)  # seconds: the etcd lease behind a session
GRACE_PERIOD = DEFAULTS.grace_period
RENEW_EVERY = SESSION_TTL / 4  # a safe session sends a KeepAlive this often (seconds)

#: ``send(lease)``: the TTL etcd granted anew (0 when the lease is gone), or None when no member answered.
KeepAliveCall = Callable[[str], "int | None"]
Term = Callable[[], int]
Renew = Callable[[str], None]


@dataclass
class EtcdSession:
    """One client's session: its etcd lease and what its client library has seen of it."""

    name: str
    lease: str
    opened_at: float
    term: int
    ttl: float = SESSION_TTL
    grace: float = GRACE_PERIOD
    state: str = "safe"
    events: list[ClientEvent] = field(default_factory=list)
    crashed: bool = False  # the process died: no KeepAlives, no more events
    cut_off: bool = False  # partitioned from the cell: KeepAlives do not reach it
    answered_sent: float = 0.0  # when the last answered KeepAlive was sent
    local_lease_end: float = 0.0
    last_sent: float = -1e9
    jeopardy_since: float | None = None
    jeopardy_term: int = -1  # the Raft term when jeopardy began (-1: no leader then)
    delay_leases: dict[str, str] = field(default_factory=dict)  # lock path -> the lease of its lock-delay key

    def __post_init__(self) -> None:
        self.answered_sent = self.opened_at
        self.local_lease_end = self.opened_at + self.ttl
        self.events.append(ClientEvent(self.opened_at, "session opened"))

    @property
    def expires_at(self) -> float:
        """The earliest moment etcd can expire the lease: the last answered KeepAlive's send time + TTL."""
        return self.answered_sent + self.ttl

    def _event(self, now: float, kind: str) -> None:
        self.events.append(ClientEvent(now, kind))

    def _expire(self, now: float) -> None:
        self.state = "expired"
        self._event(now, "session expired")
        self._event(now, "handle invalid")

    def tick(self, now: float, term: Term, send: KeepAliveCall, renew_delays: Renew) -> None:
        """Advance the client library to ``now``: renew when due, enter or leave jeopardy, expire.

        ``term()`` gives the current Raft term (-1 without a leader); it is asked only when jeopardy
        begins or ends.
        """
        if self.crashed or self.state == "expired":
            return
        if self.state == "safe" and now >= self.local_lease_end:
            self.state, self.jeopardy_since, self.jeopardy_term = "jeopardy", now, term()
            self._event(now, "jeopardy")
        due = self.state == "jeopardy" or now - self.last_sent >= RENEW_EVERY
        if due and not self.cut_off:
            self._renew(now, term, send, renew_delays)
        if self.state == "jeopardy" and self.jeopardy_since is not None and now >= self.jeopardy_since + self.grace:
            self._expire(now)

    def _renew(self, now: float, term: Term, send: KeepAliveCall, renew_delays: Renew) -> None:
        self.last_sent = now
        granted = send(self.lease)
        if granted is None:
            return
        if granted <= 0:
            self._expire(now)
            return
        self.answered_sent, self.local_lease_end = now, now + granted
        for lease in self.delay_leases.values():  # after the session's answer: each delay outlives the session
            renew_delays(lease)
        if self.state == "jeopardy":
            if term() != self.jeopardy_term:
                self._event(now, "master failed over")
            self.state, self.jeopardy_since = "safe", None
            self._event(now, "safe")
