"""A Chubby replica: a Multi-Paxos acceptor and learner that may become the cell's master.

Roles and moves (any other move is refused):
  follower  -> candidate  when no master lease it promised can still be running, after a random backoff
  candidate -> master     when a majority promised its ballot (the ballot is the new epoch)
  candidate -> follower   when its round times out or a higher ballot is seen
  master    -> follower   when its lease runs out without renewal, or a higher ballot is seen
  any       -> down       on crash; down -> follower on restart (durable state kept)

Master leases (paper 2.2, 2.9): an acceptor that accepts a master's heartbeat at time t promises not
to help any other replica become master before t + master_lease. The master counts its own lease from
the time it *sent* the heartbeat, so its lease always ends before the promises do: a master cut off
from the majority stops serving before anyone else can be elected. A restarted replica cannot
remember its promises, so it stays quiet for one master lease.

Durable (survives a crash): promised ballot, accepted and decided log entries, highest round used.
Volatile: role, leases, the client sessions' lease timers, cached KeepAlives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from livingspec.chubby.config import ChubbyConfig
from livingspec.chubby.messages import (
    Accept,
    Accepted,
    Heartbeat,
    HeartbeatAck,
    KeepAlive,
    KeepAliveReply,
    Nack,
    NotMaster,
    Prepare,
    Promise,
    Reply,
    Request,
    SessionGone,
)
from livingspec.chubby.monitor import Monitor
from livingspec.chubby.sim import Network, Simulation
from livingspec.chubby.store import Command, Store

NOOP = "noop"
READ_OPS = frozenset({"get_contents", "stat", "list", "holders", "check_sequencer"})
WRITE_OPS = frozenset({"set_contents", "delete"})  # commands that change a file's contents
BALLOT_SPACE = 100  # ballot = round * BALLOT_SPACE + replica index: unique per replica


@dataclass
class Durable:
    """What a replica keeps on disk."""

    promised: int = -1
    accepted: dict[int, tuple[int, Command]] = field(default_factory=dict)
    decided: dict[int, Command] = field(default_factory=dict)
    round: int = 0


class Replica:
    """One server of the cell (see the module docstring for roles and leases)."""

    def __init__(
        self, index: int, names: list[str], sim: Simulation, net: Network, config: ChubbyConfig, monitor: Monitor
    ) -> None:
        self.index, self.name, self.peers = index, names[index], names
        self.sim, self.net, self.config, self.monitor = sim, net, config, monitor
        self.disk = Durable()
        self.tick_interval = config.heartbeat_interval / 4
        self.up = True
        self.incarnation = 0
        self._reset_volatile()
        self.quiet_until = 0.0  # a restarted acceptor answers no Prepare before this
        self.stand_after = 0.0  # this replica stands for election no earlier than this
        net.attach(self)
        self._schedule_tick()

    # ------------------------------------------------------------------ lifecycle
    def _reset_volatile(self) -> None:
        self.role = "follower"
        self.ballot = -1  # own ballot while candidate or master
        self.master_hint: str | None = None
        self.lease_end = 0.0  # this replica's lease as master
        self.promise_until = 0.0  # no other master may be elected before this (as acceptor)
        self.promise_holder: str | None = None
        self.election_at: float | None = None
        self.round_started = 0.0
        self.promises: dict[str, Promise] = {}
        self.store = Store()
        self.next_apply = 0
        # master-only state
        self.ready = False
        self.epoch_slot = -1
        self.next_slot = 0
        self.proposals: dict[int, tuple[Command, set[str], float]] = {}  # slot -> (cmd, ackers, last sent)
        self.inflight: dict[tuple[str, int], str] = {}  # (client, rid) -> reply address
        self.heartbeat_acks: dict[float, set[str]] = {}
        self.follower_next: dict[str, int] = {}
        self.last_heartbeat = -1e9
        self.session_lease_end: dict[str, float] = {}
        self.expiring: set[str] = set()
        self.held: dict[str, tuple[str, int, int]] = {}  # session -> (client, rid, token)
        self.hold_token = 0
        self.session_events: dict[str, list[tuple[str, str]]] = {}
        self.cachers: dict[str, set[str]] = {}  # path -> sessions that may cache it
        self.invalidating: dict[str, tuple[set[str], list[Command]]] = {}  # path -> (waiting, writes)
        # writes proposed but not yet applied, slot -> path: a read of such a path returns the old
        # contents, which no invalidation will ever reach, so it must not be answered as cacheable
        self.unapplied_writes: dict[int, str] = {}
        # after a failover, writes wait until every session has seen the new epoch (and so flushed
        # its cache) or its lease has run out (paper 2.9, step 6)
        self.failover_pending: set[str] = set()
        self.deferred: list[Command] = []

    def crash(self) -> None:
        """Stop at once: volatile state is lost, the disk is kept."""
        if not self.up:
            return
        if self.role == "master" and self.ready:
            self.monitor.master_stopped(self.name, self.ballot, self.sim.now(), "crashed")
        self.up = False
        self.incarnation += 1
        self.monitor.incident(self.sim.now(), "crash", self.name)

    def restart(self) -> None:
        """Come back with the durable state; replay the decided log; stay quiet for one master lease."""
        if self.up:
            return
        self.up = True
        self.incarnation += 1
        self._reset_volatile()
        self.quiet_until = self.sim.now() + self.config.master_lease
        self._apply_decided()
        self.monitor.incident(self.sim.now(), "restart", self.name)
        self._schedule_tick()

    @property
    def serving(self) -> bool:
        """Master, caught up with its own epoch, and within its lease."""
        return self.up and self.role == "master" and self.ready and self.sim.time < self.lease_end

    # ------------------------------------------------------------------ timers
    def _schedule_tick(self) -> None:
        self.sim.call_later(self.tick_interval, self._tick, self.incarnation)

    def _tick(self, incarnation: int) -> None:
        if incarnation != self.incarnation or not self.up:
            return
        now = self.sim.time
        role = self.role
        if role == "master":
            self._master_tick(now)
        elif role == "candidate":
            if now - self.round_started > self.config.round_timeout:
                self._become_follower(backoff=True)
        elif (
            now >= self.quiet_until
            and now >= self.stand_after
            and (now >= self.promise_until or self.promise_holder == self.name)
        ):  # no lease promised to another replica can still be running
            if self.election_at is None:
                self.election_at = now + self.sim.rng.uniform(0, self.config.election_jitter)
            elif now >= self.election_at:
                self._start_election()
        self.sim.call_later(self.tick_interval, self._tick, incarnation)

    def _become_follower(self, backoff: bool = False, reason: str = "") -> None:
        if self.role == "master" and self.ready:
            self.monitor.master_stopped(self.name, self.ballot, self.sim.now(), reason or "stepped down")
        was_master = self.role == "master"
        self.role = "follower"
        self.ready = False
        self.election_at = self.sim.now() + self.sim.rng.uniform(0, self.config.election_jitter) if backoff else None
        if was_master:
            self.inflight.clear()
            self.proposals.clear()
            self.held.clear()
            self.session_lease_end.clear()
            self.session_events.clear()
            self.cachers.clear()
            self.invalidating.clear()
            self.unapplied_writes.clear()
            self.failover_pending.clear()
            self.deferred.clear()

    # ------------------------------------------------------------------ election (Paxos phase 1)
    def _start_election(self) -> None:
        self.disk.round = max(self.disk.round, self.disk.promised // BALLOT_SPACE) + 1
        self.ballot = self.disk.round * BALLOT_SPACE + self.index
        self.role = "candidate"
        self.round_started = self.sim.now()
        self.promises = {}
        self.monitor.elections_started += 1
        for peer in self.peers:
            self.net.send(self.name, peer, Prepare(self.ballot, self.next_apply))

    def _on_prepare(self, source: str, msg: Prepare) -> None:
        now = self.sim.now()
        if now < self.quiet_until:
            return
        lease_running = now < self.promise_until and self.promise_holder not in (None, source)
        if msg.ballot < self.disk.promised or lease_running:
            self.net.send(self.name, source, Nack(msg.ballot, max(self.disk.promised, msg.ballot)))
            return
        self.disk.promised = msg.ballot
        accepted = {s: e for s, e in self.disk.accepted.items() if s >= msg.from_slot}
        decided = {s: c for s, c in self.disk.decided.items() if s >= msg.from_slot}
        self.net.send(self.name, source, Promise(msg.ballot, accepted, decided))

    def _on_promise(self, source: str, msg: Promise) -> None:
        if self.role != "candidate" or msg.ballot != self.ballot:
            return
        self.promises[source] = msg
        if len(self.promises) < self.config.majority:
            return
        # won: adopt known decisions, re-propose the highest-ballot accepted value of every open slot
        self.role, self.ready = "master", False
        self.master_hint = self.name
        self.epoch_slot = 1 << 62  # set below, once the epoch's first entry has its slot
        chosen: dict[int, tuple[int, Command]] = {}
        for promise in self.promises.values():
            for slot, command in promise.decided.items():
                self._decide(slot, command)
            for slot, (ballot, command) in promise.accepted.items():
                if slot not in chosen or ballot > chosen[slot][0]:
                    chosen[slot] = (ballot, command)
        top = max([self.next_apply - 1, *chosen, *self.disk.decided])
        self.next_slot = self.next_apply
        for slot in range(self.next_apply, top + 1):
            if slot in self.disk.decided:
                continue
            command = chosen[slot][1] if slot in chosen else Command(NOOP)
            self._propose_at(slot, command)
        self.next_slot = max(self.next_slot, top + 1)
        self.epoch_slot = self._propose(Command(NOOP, at=self.sim.now()))
        self._send_heartbeats(self.sim.now())

    # ------------------------------------------------------------------ replication (Paxos phase 2)
    def _propose(self, command: Command) -> int:
        slot = self.next_slot
        self._propose_at(slot, command)
        return slot

    def _propose_at(self, slot: int, command: Command) -> None:
        self.next_slot = max(self.next_slot, slot + 1)
        self.proposals[slot] = (command, set(), self.sim.now())
        if command.op in WRITE_OPS:
            self.unapplied_writes[slot] = command.args["path"]
        for peer in self.peers:
            self.net.send(self.name, peer, Accept(self.ballot, slot, command))

    def _on_accept(self, source: str, msg: Accept) -> None:
        if msg.ballot < self.disk.promised:
            self.net.send(self.name, source, Nack(msg.ballot, self.disk.promised))
            return
        self._promise_lease(source, msg.ballot)
        self.disk.accepted[msg.slot] = (msg.ballot, msg.command)
        self.net.send(self.name, source, Accepted(msg.ballot, msg.slot))

    def _promise_lease(self, source: str, ballot: int) -> None:
        self.disk.promised = ballot
        self.promise_until = self.sim.now() + self.config.master_lease
        self.promise_holder = source
        self.master_hint = source
        self.election_at = None
        if self.role != "follower" and source != self.name:
            self._become_follower(reason="saw a newer master")

    def _on_accepted(self, source: str, msg: Accepted) -> None:
        if self.role != "master" or msg.ballot != self.ballot or msg.slot not in self.proposals:
            return
        command, ackers, _ = self.proposals[msg.slot]
        ackers.add(source)
        if len(ackers) >= self.config.majority:
            del self.proposals[msg.slot]
            self._decide(msg.slot, command)

    def _on_nack(self, source: str, msg: Nack) -> None:
        self.disk.round = max(self.disk.round, msg.promised // BALLOT_SPACE)
        if msg.ballot != self.ballot or msg.promised <= self.ballot:
            return
        if self.role == "master":
            # an acceptor promised a higher ballot (a candidate that could not see our lease). We still
            # hold our lease promises, so run phase 1 again above it rather than leave the cell leaderless.
            self._become_follower(reason="a higher ballot was seen")
            self._start_election()
        elif self.role == "candidate":
            self._become_follower(backoff=True)

    def _decide(self, slot: int, command: Command) -> None:
        if slot in self.disk.decided:
            return
        self.disk.decided[slot] = command
        self.monitor.slot_decided(self.name, slot, command, self.sim.now())
        self._apply_decided()

    def _apply_decided(self) -> None:
        while self.next_apply in self.disk.decided:
            slot = self.next_apply
            command = self.disk.decided[slot]
            outcome, events = self.store.apply(command)
            self.next_apply += 1
            if self.role == "master":
                self._after_apply(slot, command, outcome, events)

    # ------------------------------------------------------------------ master duties
    def _master_tick(self, now: float) -> None:
        if now >= self.lease_end and (self.ready or now - self.round_started > self.config.master_lease):
            self._become_follower(backoff=True, reason="lease ran out")
            return
        if now - self.last_heartbeat >= self.config.heartbeat_interval:
            self._send_heartbeats(now)
        round_timeout = self.config.round_timeout
        for slot, (command, ackers, sent) in list(self.proposals.items()) if self.proposals else ():
            if now - sent >= round_timeout:  # lost messages: send again to the silent ones
                self.proposals[slot] = (command, ackers, now)
                for peer in self.peers:
                    if peer not in ackers:
                        self.net.send(self.name, peer, Accept(self.ballot, slot, command))
        if not self.ready:
            return
        for session, end in list(self.session_lease_end.items()):
            if now >= end and session not in self.expiring:
                self.expiring.add(session)
                self._propose(Command("expire_session", at=now, args={"session": session}))
        for path in list(self.invalidating):
            self._check_invalidation(path)
        if self.failover_pending or self.deferred:
            self._check_failover_acks()

    def _check_failover_acks(self) -> None:
        now = self.sim.now()
        self.failover_pending = {s for s in self.failover_pending if self.session_lease_end.get(s, 0.0) > now}
        if not self.failover_pending and self.deferred:
            deferred, self.deferred = self.deferred, []
            for command in deferred:
                if command.op == "set_contents":
                    self._write_after_invalidation(command)
                else:
                    self._propose(command)

    def _send_heartbeats(self, now: float) -> None:
        self.last_heartbeat = now
        self.heartbeat_acks[now] = set()
        for sent in [t for t in self.heartbeat_acks if t < now - self.config.master_lease]:
            del self.heartbeat_acks[sent]
        decided = self.disk.decided
        for peer in self.peers:
            start = self.follower_next.get(peer, 0)
            # every decided slot is below next_slot: no need to look past it
            missing = {s: decided[s] for s in range(start, min(start + 64, self.next_slot)) if s in decided}
            self.net.send(self.name, peer, Heartbeat(self.ballot, now, missing))

    def _on_heartbeat(self, source: str, msg: Heartbeat) -> None:
        if msg.ballot < self.disk.promised:
            self.net.send(self.name, source, Nack(msg.ballot, self.disk.promised))
            return
        self._promise_lease(source, msg.ballot)
        if msg.decided:
            for slot, command in sorted(msg.decided.items()):
                self._decide(slot, command)
        self.net.send(self.name, source, HeartbeatAck(msg.ballot, msg.sent_at, self.next_apply))

    def _on_heartbeat_ack(self, source: str, msg: HeartbeatAck) -> None:
        if self.role != "master" or msg.ballot != self.ballot:
            return
        self.follower_next[source] = msg.next_slot
        ackers = self.heartbeat_acks.get(msg.sent_at)
        if ackers is None:
            return
        ackers.add(source)
        if len(ackers) >= self.config.majority:
            end = msg.sent_at + self.config.master_lease
            if end > self.lease_end:
                self.lease_end = end
                if self.ready:
                    self.monitor.lease_renewed(self.name, self.ballot, end)
            if not self.ready and self.next_apply > self.epoch_slot:
                self._become_ready()

    def _become_ready(self) -> None:
        now = self.sim.now()
        if now >= self.lease_end:
            return
        self.ready = True
        self.monitor.master_started(self.name, self.ballot, now, self.lease_end)
        # the new master cannot know what leases its predecessor granted: it grants every session a
        # fresh lease, so no client loses its session to the failover itself (paper 2.9)
        for session in self.store.sessions:
            self.session_lease_end[session] = now + self.config.session_lease
        self.failover_pending = set(self.store.sessions)

    def _after_apply(self, slot: int, command: Command, outcome: tuple[bool, Any], events: list[Any]) -> None:
        self.unapplied_writes.pop(slot, None)
        if slot == self.epoch_slot and not self.ready and self.sim.now() < self.lease_end:
            self._become_ready()
        now = self.sim.now()
        ok, value = outcome
        if command.op == "open_session" and ok:
            self.session_lease_end[value] = now + self.config.session_lease
        if command.op in ("expire_session", "close_session"):
            session = command.args["session"]
            self.session_lease_end.pop(session, None)
            self.expiring.discard(session)
            self.held.pop(session, None)
            for sessions in self.cachers.values():
                sessions.discard(session)
        for session, kind, path in events:
            if session in self.session_lease_end:
                self.session_events.setdefault(session, []).append((kind, path))
                self._release_keepalive_early(session)
        address = self.inflight.pop(command.key(), None)
        if address is not None:
            self.net.send(self.name, address, Reply(command.rid, ok, value, self.ballot, self.name))

    # ------------------------------------------------------------------ client requests
    def _on_request(self, source: str, msg: Request) -> None:
        if not self.serving:
            hint = None if self.role == "master" else self.master_hint
            self.net.send(self.name, source, NotMaster(msg.rid, hint))
            return
        key = (msg.client, msg.rid)
        if key in self.store.results:
            ok, value = self.store.results[key]
            self.net.send(self.name, source, Reply(msg.rid, ok, value, self.ballot, self.name))
            return
        if msg.op in READ_OPS:
            self._answer_read(source, msg)
            return
        if key in self.inflight:
            self.inflight[key] = source
            return
        self.inflight[key] = source
        command = Command(msg.op, msg.client, msg.rid, msg.session, self.sim.now(), dict(msg.args))
        if msg.op in ("set_contents", "delete") and self.failover_pending:
            self.deferred.append(command)
        elif msg.op == "set_contents":
            self._write_after_invalidation(command)
        else:
            self._propose(command)

    def _answer_read(self, source: str, msg: Request) -> None:
        cacheable = False
        try:
            value = self.store.read(msg.op, msg.session, msg.args)
            ok = True
            path = msg.args.get("path")
            pending_write = (
                path in self.invalidating
                or path in self.unapplied_writes.values()
                or any(c.args.get("path") == path for c in self.deferred)
            )
            if msg.op == "get_contents" and msg.args.get("cache") and not pending_write:
                self.cachers.setdefault(msg.args["path"], set()).add(msg.session)
                cacheable = True
        except Exception as error:  # the store raises only ChubbyError subclasses
            ok, value = False, error
        self.net.send(self.name, source, Reply(msg.rid, ok, value, self.ballot, self.name, cacheable))

    def _write_after_invalidation(self, command: Command) -> None:
        """A write waits until every cache of the file is invalidated or its session lease ran out (2.8)."""
        path = command.args["path"]
        if path in self.invalidating:
            self.invalidating[path][1].append(command)
            return
        # the writer's own session too: it may have cached the old contents while its write waited
        waiting = {s for s in self.cachers.pop(path, set()) if s in self.session_lease_end}
        if not waiting:
            self._propose(command)
            return
        self.invalidating[path] = (waiting, [command])
        for session in sorted(waiting):  # sorted: set order varies between runs, message order must not
            self.session_events.setdefault(session, []).append(("invalidate", path))
            self._release_keepalive_early(session)

    def _check_invalidation(self, path: str) -> None:
        waiting, writes = self.invalidating[path]
        now = self.sim.now()
        for session in list(waiting):
            if self.session_lease_end.get(session, 0.0) <= now:
                waiting.discard(session)  # its lease ran out: its cache is no longer trusted anyway
        if not waiting:
            del self.invalidating[path]
            for command in writes:
                self._propose(command)

    # ------------------------------------------------------------------ KeepAlives (session leases)
    def _on_keepalive(self, source: str, msg: KeepAlive) -> None:
        if not self.serving:
            hint = None if self.role == "master" else self.master_hint
            self.net.send(self.name, source, NotMaster(msg.rid, hint))
            return
        if msg.session not in self.store.sessions:
            self.net.send(self.name, source, SessionGone(msg.rid, msg.session))
            return
        for path in msg.acks:
            if path in self.invalidating:
                self.invalidating[path][0].discard(msg.session)
                self._check_invalidation(path)
        if msg.epoch == self.ballot and msg.session in self.failover_pending:
            self.failover_pending.discard(msg.session)
            self._check_failover_acks()
        now = self.sim.now()
        end = self.session_lease_end.setdefault(msg.session, now + self.config.session_lease)
        self.hold_token += 1
        self.held[msg.session] = (source, msg.rid, self.hold_token)
        if msg.epoch != self.ballot or self.session_events.get(msg.session):
            self._answer_keepalive(msg.session, self.hold_token)
        else:  # hold the KeepAlive until the lease is near its end, then extend it
            due = max(0.0, end - self.config.keepalive_early - now)
            self.sim.call_later(due, self._answer_keepalive_if_current, msg.session, self.hold_token, self.incarnation)

    def _answer_keepalive_if_current(self, session: str, token: int, incarnation: int) -> None:
        if incarnation == self.incarnation and self.serving:
            self._answer_keepalive(session, token)

    def _release_keepalive_early(self, session: str) -> None:
        if session in self.held:
            self._answer_keepalive(session, self.held[session][2])

    def _answer_keepalive(self, session: str, token: int) -> None:
        held = self.held.get(session)
        if held is None or held[2] != token:
            return
        del self.held[session]
        address, rid, _ = held
        end = max(self.session_lease_end.get(session, 0.0), self.sim.now() + self.config.session_lease)
        self.session_lease_end[session] = end
        events = tuple(self.session_events.pop(session, []))
        self.net.send(self.name, address, KeepAliveReply(rid, self.ballot, self.name, end, events))

    # ------------------------------------------------------------------ dispatch
    def receive(self, source: str, message: Any) -> None:
        handler = _HANDLERS.get(type(message))
        if handler is not None:
            handler(self, source, message)


_HANDLERS: dict[type, Any] = {
    Prepare: Replica._on_prepare,
    Promise: Replica._on_promise,
    Nack: Replica._on_nack,
    Accept: Replica._on_accept,
    Accepted: Replica._on_accepted,
    Heartbeat: Replica._on_heartbeat,
    HeartbeatAck: Replica._on_heartbeat_ack,
    Request: Replica._on_request,
    KeepAlive: Replica._on_keepalive,
}
