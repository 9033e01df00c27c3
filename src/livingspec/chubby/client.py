"""The Chubby client library: a session kept alive by KeepAlives, jeopardy, grace period, cache, events.

A client finds the master by asking replicas (a non-master answers with a hint), and sends every
call to it. Its session lease is renewed by KeepAlives the master holds until the lease is near its
end (paper 2.8). When its local lease runs out the client is *in jeopardy*: it empties its cache and
waits up to the grace period (45 s) for a master to answer; if one does, the session is *safe*
again (a failover within the grace period is survived), otherwise the session has *expired*.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from livingspec.chubby.config import MAX_LOCK_DELAY, ChubbyConfig
from livingspec.chubby.errors import ChubbyError, ConfigError, NoMasterError, SessionExpiredError
from livingspec.chubby.messages import KeepAlive, KeepAliveReply, NotMaster, Reply, Request, SessionGone
from livingspec.chubby.monitor import Monitor
from livingspec.chubby.sim import Network, Simulation
from livingspec.chubby.store import LockMode, Sequencer

#: The states a session is in once opened (paper 2.8): safe, in jeopardy, or expired.
SESSION_STATES = ("safe", "jeopardy", "expired")
#: Events the client library itself raises, beside the node events of store.EVENT_KINDS.
SESSION_EVENT_KINDS = ("session opened", "jeopardy", "safe", "master failed over", "session expired", "handle invalid")


@dataclass
class Call:
    """One outstanding client call (a future): ``done`` once answered or failed."""

    rid: int
    op: str
    args: dict[str, Any]
    deadline: float
    target: int = 0
    invoked: float = 0.0
    done: bool = False
    ok: bool = False
    value: Any = None
    on_done: list[Callable[[Call], None]] = field(default_factory=list)

    def result(self) -> Any:
        """The answer, or raise the call's error."""
        if not self.done:
            raise NoMasterError(f"{self.op} has not been answered yet")
        if not self.ok:
            raise self.value
        return self.value


@dataclass(frozen=True)
class ClientEvent:
    """Something the client library tells the application (an event, or a session state change)."""

    time: float
    kind: str
    path: str = ""


class ChubbyClient:
    """A client process with its Chubby library (see the module docstring for the session states)."""

    def __init__(
        self,
        name: str,
        replicas: list[str],
        sim: Simulation,
        net: Network,
        config: ChubbyConfig,
        monitor: Monitor,
        valid_clients: Callable[[], set[str]],
    ) -> None:
        self.name, self.replicas = name, replicas
        self.sim, self.net, self.config, self.monitor = sim, net, config, monitor
        self._valid_clients = valid_clients
        self.up = True
        self.incarnation = 0
        self.session: str | None = None
        self.state = "none"  # none -> safe <-> jeopardy -> expired
        self.epoch = -1
        self.lease_end = 0.0
        self.grace_end = 0.0
        self.target = 0
        self.cache: dict[str, bytes] = {}
        # when each path's cache entry was last invalidated (key "" = whole cache): a read answered
        # by the master before an invalidation may arrive after it, and must not refill the cache
        self.invalidated_at: dict[str, float] = {}
        self.acks: set[str] = set()
        self.events: list[ClientEvent] = []
        self.locks: dict[str, Sequencer] = {}
        self.lock_ops: dict[str, Call] = {}  # path -> the latest acquire/release: lock calls go in order
        self.calls: dict[int, Call] = {}
        self.next_rid = 0
        self.keepalive_rid = -1
        self.has_lease = False  # False until the first KeepAlive answer: that one the master sends at once
        self.renewals: list[tuple[float, float]] = []  # (when a KeepAlive answer arrived, new lease end)
        net.attach(self)

    # ------------------------------------------------------------------ state
    @property
    def lease_valid(self) -> bool:
        """The session is safe and the local lease has not run out."""
        return self.up and self.state == "safe" and self.sim.now() < self.lease_end

    def _flush_cache(self) -> None:
        self.cache.clear()
        self.invalidated_at[""] = self.sim.now()

    def _event(self, kind: str, path: str = "") -> None:
        self.events.append(ClientEvent(self.sim.now(), kind, path))

    def renewal_records(self) -> list[dict[str, Any]]:
        """The KeepAlive answers as rows: when each arrived, the lease it granted, the margin it left."""
        rows: list[dict[str, Any]] = [
            {"answered at (s)": round(t, 3), "lease until (s)": round(end, 3), "answered before lease end (s)": ""}
            for t, end in self.renewals
        ]
        for row, (previous, current) in zip(rows[1:], itertools.pairwise(self.renewals), strict=True):
            row["answered before lease end (s)"] = round(previous[1] - current[0], 3)
        return rows

    def crash(self) -> None:
        """The client process dies: it sends nothing more; its session will expire at the master."""
        self.up = False
        self.incarnation += 1
        for path in list(self.locks):
            self.monitor.lock_forgotten(path, self.name)
        self.locks.clear()

    # ------------------------------------------------------------------ calls
    def call(self, op: str, after: Call | None = None, **args: Any) -> Call:
        """Send a call to the master (retrying on other replicas); returns the pending Call.

        With ``after``, the call is sent only once that call has finished: the network may reorder
        messages, so a release and the next acquire of the same lock must not race each other.
        """
        self.next_rid += 1
        call = Call(self.next_rid, op, args, self.sim.now() + self.config.call_timeout, self.target, self.sim.now())
        if after is not None and not after.done:
            after.on_done.append(lambda _done: self._start(call))
        else:
            self._start(call)
        return call

    def _start(self, call: Call) -> None:
        call.invoked = self.sim.now()
        call.deadline = call.invoked + self.config.call_timeout
        if self.state == "expired" and call.op != "check_sequencer":
            self._finish(call, False, SessionExpiredError(f"session {self.session} of {self.name} has expired"))
            return
        self.calls[call.rid] = call
        self._send(call)

    def _send(self, call: Call) -> None:
        if not self.up:
            return
        message = Request(self.name, call.rid, call.op, self.session or "", call.args)
        self.net.send(self.name, self.replicas[call.target], message)
        self.sim.call_later(self.config.rpc_retry, self._retry, call, call.target, self.incarnation)

    def _retry(self, call: Call, target: int, incarnation: int) -> None:
        if call.done or incarnation != self.incarnation or call.target != target:
            return
        if self.sim.now() >= call.deadline:
            self.calls.pop(call.rid, None)
            self._finish(
                call,
                False,
                NoMasterError(
                    f"{call.op} by {self.name}: no master answered within {self.config.call_timeout:g} s "
                    f"(a majority of the {len(self.replicas)} replicas must be up and reachable)"
                ),
            )
            return
        call.target = (call.target + 1) % len(self.replicas)
        self._send(call)

    def _finish(self, call: Call, ok: bool, value: Any) -> None:
        call.done, call.ok, call.value = True, ok, value
        for callback in call.on_done:
            callback(call)

    def _on_reply(self, msg: Reply) -> None:
        call = self.calls.pop(msg.rid, None)
        if call is None or call.done:
            return
        self.target = self.replicas.index(msg.master)
        if self.epoch == -1:
            self.epoch = msg.epoch  # the first master this client has talked to
        path = call.args.get("path", "")
        fresh = call.invoked > max(self.invalidated_at.get(path, -1.0), self.invalidated_at.get("", -1.0))
        if msg.ok and call.op == "get_contents" and msg.cacheable and self.lease_valid and fresh:
            self.cache[path] = msg.value[0]
        if call.op in ("set_contents", "delete"):
            self.cache.pop(path, None)  # a read answered before this write must not refill the cache
            self.invalidated_at[path] = self.sim.now()
        if not msg.ok and isinstance(msg.value, SessionExpiredError):
            self._expire()
        self._finish(call, msg.ok, msg.value)

    def _on_not_master(self, msg: NotMaster) -> None:
        if msg.rid == self.keepalive_rid:
            if msg.hint is not None and msg.hint in self.replicas and self.replicas.index(msg.hint) != self.target:
                self.target = self.replicas.index(msg.hint)
                self._send_keepalive()
            return
        call = self.calls.get(msg.rid)
        if call is None or msg.hint is None or msg.hint not in self.replicas:
            return
        hinted = self.replicas.index(msg.hint)
        if hinted != call.target:
            call.target = hinted
            self._send(call)

    # ------------------------------------------------------------------ session
    def open_session(self) -> Call:
        """Open a session; KeepAlives start once the master answers."""
        call = self.call("open_session")
        call.on_done.append(self._session_opened)
        return call

    def _session_opened(self, call: Call) -> None:
        if call.ok:
            self.session = call.value
            self.state = "safe"
            self.lease_end = self.sim.now() + self.config.session_lease - 1.0  # conservative until the first reply
            self._event("session opened")
            self._send_keepalive()
            self._arm_lease_check()

    def _send_keepalive(self) -> None:
        if not self.up or self.session is None or self.state == "expired":
            return
        self.next_rid += 1
        self.keepalive_rid = self.next_rid
        acks = tuple(sorted(self.acks))
        self.net.send(
            self.name,
            self.replicas[self.target],
            KeepAlive(self.name, self.next_rid, self.session, self.epoch if self.has_lease else -1, acks),
        )
        wait = self.lease_end - self.sim.now() if self.state == "safe" else self.config.rpc_retry
        self.sim.call_later(max(wait, self.config.rpc_retry), self._keepalive_timeout, self.next_rid, self.incarnation)

    def _keepalive_timeout(self, rid: int, incarnation: int) -> None:
        if rid == self.keepalive_rid and incarnation == self.incarnation:
            self.target = (self.target + 1) % len(self.replicas)  # that replica is gone: try the next
            self._send_keepalive()

    def _arm_lease_check(self) -> None:
        self.sim.call_later(self.lease_end - self.sim.now(), self._lease_check, self.incarnation)

    def _lease_check(self, incarnation: int) -> None:
        if incarnation != self.incarnation or self.state != "safe" or self.sim.now() < self.lease_end:
            return
        self.state = "jeopardy"  # the local lease ran out: the master may have failed
        self.grace_end = self.lease_end + self.config.grace_period
        self._flush_cache()
        self._event("jeopardy")
        self.sim.call_later(self.grace_end - self.sim.now(), self._grace_check, self.incarnation, self.grace_end)
        self._send_keepalive()

    def _grace_check(self, incarnation: int, grace_end: float) -> None:
        if incarnation == self.incarnation and self.state == "jeopardy" and grace_end == self.grace_end:
            self._expire()

    def _expire(self) -> None:
        if self.state == "expired":
            return
        self.state = "expired"
        self._flush_cache()
        for path in list(self.locks):
            self.monitor.lock_forgotten(path, self.name)
        self.locks.clear()
        self._event("session expired")
        self._event("handle invalid")

    def _on_keepalive_reply(self, msg: KeepAliveReply) -> None:
        if msg.rid != self.keepalive_rid or self.state == "expired":
            return
        self.target = self.replicas.index(msg.master)
        self.lease_end = msg.lease_end
        self.has_lease = True
        self.renewals.append((self.sim.now(), msg.lease_end))
        if msg.epoch != self.epoch:
            if self.epoch != -1:
                self._flush_cache()  # events may have been lost in the failover
                self._event("master failed over")
            self.epoch = msg.epoch
        if self.state == "jeopardy":
            self.state = "safe"
            self._event("safe")
        self.acks.clear()
        for kind, path in msg.events:
            if kind == "invalidate":
                self.cache.pop(path, None)
                self.invalidated_at[path] = self.sim.now()
                self.acks.add(path)
            else:
                self._event(kind, path)
        self._arm_lease_check()
        self._send_keepalive()

    def _on_session_gone(self, msg: SessionGone) -> None:
        if msg.rid == self.keepalive_rid:
            self._expire()

    def receive(self, source: str, message: Any) -> None:
        if isinstance(message, Reply):
            self._on_reply(message)
        elif isinstance(message, KeepAliveReply):
            self._on_keepalive_reply(message)
        elif isinstance(message, NotMaster):
            self._on_not_master(message)
        elif isinstance(message, SessionGone):
            self._on_session_gone(message)

    # ------------------------------------------------------------------ the API applications use
    def create(
        self,
        path: str,
        contents: bytes = b"",
        *,
        directory: bool = False,
        ephemeral: bool = False,
        acl: dict[str, str] | None = None,
    ) -> Call:
        """Create a file (or directory), permanent or ephemeral (deleted when this session ends)."""
        return self.call(
            "create", path=path, contents=contents, directory=directory, ephemeral=ephemeral, acl=acl or {}
        )

    def set_contents(self, path: str, contents: bytes) -> Call:
        """Replace a file's contents; completes once every other cache of it was invalidated."""
        self.cache.pop(path, None)
        return self.call("set_contents", path=path, contents=contents)

    def get_contents(self, path: str) -> Call:
        """Read a file, from the local cache when the session is safe and the entry is valid."""
        if path in self.cache and self.lease_valid:
            call = Call(0, "get_contents", {"path": path, "cached": True}, self.sim.now())
            self._finish(call, True, (self.cache[path], None))
            return call
        return self.call("get_contents", path=path, cache=True)

    def stat(self, path: str) -> Call:
        """A node's metadata (instance number, generations, ACL names)."""
        return self.call("stat", path=path)

    def delete(self, path: str) -> Call:
        """Delete a file or an empty directory."""
        return self.call("delete", path=path)

    def subscribe(self, path: str, events: list[str]) -> Call:
        """Ask for events on a node (contents modified, child added/removed, lock acquired, ...)."""
        return self.call("subscribe", path=path, events=events)

    def acquire(self, path: str, mode: LockMode = LockMode.EXCLUSIVE, lock_delay: float | None = None) -> Call:
        """Try to take the lock on ``path``; the answer is a Sequencer, or LockHeldError/LockDelayError."""
        delay = self.config.default_lock_delay if lock_delay is None else lock_delay
        if not 0 <= delay <= MAX_LOCK_DELAY:
            raise ConfigError(f"lock-delay {delay} s is outside 0..{MAX_LOCK_DELAY:g} s (the paper's bound)")
        call = self.call("acquire", self.lock_ops.get(path), path=path, mode=str(mode), lock_delay=delay)
        self.lock_ops[path] = call
        call.on_done.append(self._acquired)
        return call

    def _acquired(self, call: Call) -> None:
        latest = self.lock_ops.get(call.args["path"]) is call  # else a later release/acquire supersedes it
        if call.ok and isinstance(call.value, Sequencer) and latest and self.state != "expired":
            sequencer: Sequencer = call.value
            self.locks[sequencer.path] = sequencer
            self.monitor.lock_believed(
                sequencer.path, self.name, self.sim.now(), sequencer.mode is LockMode.EXCLUSIVE, self._valid_clients()
            )

    def release(self, path: str) -> Call:
        """Release a lock this session holds (no lock-delay follows a clean release)."""
        self.locks.pop(path, None)
        self.monitor.lock_forgotten(path, self.name)
        call = self.call("release", self.lock_ops.get(path), path=path)
        self.lock_ops[path] = call
        return call

    def check_sequencer(self, sequencer: Sequencer) -> Call:
        """Ask the master whether a sequencer is still current (StaleSequencerError if not)."""
        return self.call("check_sequencer", sequencer=sequencer)

    def close(self) -> Call:
        """End the session cleanly: locks are released at once, without lock-delay."""
        call = self.call("close_session", session=self.session)
        for path in list(self.locks):
            self.monitor.lock_forgotten(path, self.name)
        self.locks.clear()
        return call


__all__ = ["Call", "ChubbyClient", "ChubbyError", "ClientEvent"]
