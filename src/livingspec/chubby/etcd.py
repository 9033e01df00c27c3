"""The real target: the same scenarios on an etcd cluster on loopback (etcd's v3 JSON gateway via httpx).

Mapping from Chubby to etcd: the cell is an etcd cluster of 3, 5 or 7 members started here in temporary
folders on free 127.0.0.1 ports; the master is the Raft leader and the epoch its Raft term; a client
session is an etcd lease (TTL), kept alive by lease KeepAlives; an exclusive lock is taken through
etcd's lock API (v3lock: a key under the lock name owned by the session's lease; the oldest key
holds the lock); the sequencer is the holder key's create revision, which only grows (a fencing
token); a lock-delay is a second lease that outlives a failed holder's session (see etcd_session); a
file is a key (written once a majority has it in its log, read linearizably); a named first master is
handed the lead through etcd's leadership transfer. etcd has no shared locks, no client cache and no
events on locks: those scenarios run on the simulated cell only. The cluster itself (processes,
ports, gateway) is livingspec.infra.etcd.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from livingspec.chubby.config import MAX_LOCK_DELAY
from livingspec.chubby.errors import (
    ConfigError,
    FileTooLargeError,
    LockDelayError,
    LockHeldError,
    NoMasterError,
    NoSuchNodeError,
    NoSuchReplicaError,
    NotLockHolderError,
    SafetyViolationError,
    StaleSequencerError,
)
from livingspec.chubby.etcd_session import SESSION_TTL, EtcdSession
from livingspec.chubby.store import MAX_FILE_SIZE, LockMode, Sequencer
from livingspec.infra.etcd import EtcdCluster, EtcdUnavailableError, b64

DELAY_SUFFIX = "#lock-delay"  # the key whose lease outlives a failed holder's session by its lock-delay
LOCK_WAIT = 1.0  # seconds a lock attempt waits before it counts as refused


@dataclass
class LeaderView:
    """The master as seen through etcd: the Raft leader's name and term."""

    name: str
    term: int


class EtcdCell:
    """An etcd cluster driven with the operations the shared Chubby scenarios use (wall-clock seconds)."""

    counts_lock_generations = False  # a sequencer carries a create revision, not 1, 2, 3...

    def __init__(self, replicas: int = 3) -> None:
        self.names = [f"Replica{i + 1}" for i in range(replicas)]
        self.cluster = EtcdCluster(replicas, names=self.names, proxied=True)
        self.sessions: dict[str, EtcdSession] = {}  # client -> its lease and its library's view of it
        self.lock_keys: dict[tuple[str, str], str] = {}  # (client, lock name) -> its etcd lock key
        self.history: list[dict[str, Any]] = []
        self.started = time.monotonic()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start every member (each waits for its client port)."""
        self.cluster.start()

    def close(self) -> None:
        """Stop every member and remove the temporary folders."""
        self.cluster.close()

    def now(self) -> float:
        """Wall-clock seconds since the cluster was created."""
        return time.monotonic() - self.started

    def run_for(self, seconds: float) -> None:
        """Let real time pass, keeping live clients' leases alive (bounded by ``seconds``)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._keep_alive()
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def run_until(self, done: Callable[[], bool], within: float) -> bool:
        """Poll ``done()`` (keeping live leases alive) until it holds or ``within`` seconds pass."""
        deadline = time.monotonic() + within
        while not done():
            if time.monotonic() >= deadline:
                return False
            self._keep_alive()
            time.sleep(0.2)
        return True

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.cluster.post(path, body)
        except EtcdUnavailableError as error:
            raise NoMasterError(str(error)) from None

    # ------------------------------------------------------------------ masters
    def hand_lead_to(self, name: str, within: float = 15.0) -> None:
        """Make ``name`` the leader through etcd's leadership transfer, and wait until a majority sees it."""
        self._member(name)
        self.wait_for_master()
        try:
            self.cluster.transfer_leadership(name)
        except EtcdUnavailableError as error:
            raise NoMasterError(str(error)) from None
        if not self.run_until(lambda: self.master_name() == name, within):
            raise NoMasterError(f"{name} did not take the lead within {within:g} s (leader: {self.master_name()})")

    def leader(self) -> LeaderView | None:
        """The Raft leader as a live member reports it, if it is up (each change joins the history)."""
        found = self.cluster.leader()
        if found is None:
            return None
        view = LeaderView(*found)
        if not self.history or self.history[-1]["master"] != view.name:
            self.history.append(
                {"master": view.name, "epoch (Raft term)": view.term, "seen at (s)": round(self.now(), 3)}
            )
        return view

    def master_name(self) -> str | None:
        """Name of the Raft leader, if a live member reports one."""
        view = self.leader()
        return None if view is None else view.name

    @property
    def epoch(self) -> int:
        """The Raft term of the current leader (-1 without one)."""
        view = self.leader()
        return -1 if view is None else view.term

    def wait_for_master(self, within: float | None = None) -> LeaderView:
        """Poll until a live member leads; NoMasterError after ``within`` seconds (default 15)."""
        deadline = time.monotonic() + (15.0 if within is None else within)
        while True:
            view = self.leader()
            if view is not None:
                return view
            if time.monotonic() >= deadline:
                up = len(self.cluster.live())
                raise NoMasterError(f"no Raft leader within the bound: {up} of {len(self.names)} members are up")
            self._keep_alive()
            time.sleep(0.1)

    def crash(self, name: str) -> None:
        """Kill a member (SIGKILL), or crash a client (its lease is no longer kept alive)."""
        if name in self.cluster.members:
            self.cluster.kill(name)
        else:
            self.session(name).crashed = True

    def restart(self, name: str) -> None:
        """Start a killed member again on its data folder."""
        if name not in self.cluster.members:
            raise NoSuchReplicaError(f"no replica named {name!r}; the cell has {', '.join(self.names)}")
        self.cluster.restart(name)

    def isolate(self, name: str) -> None:
        """Cut a member off from the others (its peer traffic dropped by its proxy), or a client off the cell."""
        if name in self.sessions:
            self.sessions[name].cut_off = True
            return
        self._member(name)
        self.cluster.isolate(name)

    def heal(self) -> None:
        """End every network fault: members reach each other and clients reach the cell."""
        self.cluster.heal_network()
        for session in self.sessions.values():
            session.cut_off = False

    def is_serving(self, name: str) -> bool:
        """Whether the member itself believes it is the Raft leader (asked on its own client port)."""
        view = self.cluster.member_view(self._member(name))
        return view is not None and view[0] == name

    def _member(self, name: str) -> str:
        if name not in self.cluster.members:
            raise NoSuchReplicaError(f"no replica named {name!r}; the cell has {', '.join(self.names)}")
        return name

    def is_up(self, name: str) -> bool:
        """Whether the member runs."""
        return self.cluster.members[name].up

    def fail_replica(self, name: str) -> str:
        """Kill the named member (leader or not); its name."""
        if name not in self.cluster.members:
            raise NoSuchReplicaError(f"no replica named {name!r}; the cell has {', '.join(self.names)}")
        self.crash(name)
        return name

    def fail_follower(self) -> str:
        """Kill one running member that is not the leader (the first by name); its name."""
        master = self.wait_for_master().name
        followers = [n for n in self.names if n != master and self.is_up(n)]
        if not followers:
            raise NoSuchReplicaError(f"every member but the leader {master} is down already")
        return self.fail_replica(followers[0])

    def fail_master(self) -> str:
        """Kill the Raft leader; its name."""
        name = self.wait_for_master().name
        self.crash(name)
        return name

    def fail_replicas(self, count: int) -> list[str]:
        """Kill ``count`` members, the leader first; their names."""
        master = self.wait_for_master().name
        others = [n for n in self.names if n != master and self.is_up(n)]
        victims = [master, *others[: max(0, count - 1)]]
        for name in victims:
            self.crash(name)
        return victims

    def caught_up(self, name: str) -> bool:
        """The member runs, knows the leader, and has applied as far as the leader has."""
        view = self.leader()
        if view is None or not self.is_up(name):
            return False
        mine, leaders = self.cluster.applied_index(name), self.cluster.applied_index(view.name)
        return mine is not None and leaders is not None and mine >= leaders

    def timeline(self) -> list[dict[str, Any]]:
        """Each leader seen, with its Raft term and when it was first seen."""
        return list(self.history)

    def check_single_master(self) -> None:
        """Raft's own rule: each leader change seen comes with a greater term (one leader per term)."""
        for before, after in itertools.pairwise(self.history):
            if after["epoch (Raft term)"] <= before["epoch (Raft term)"]:
                raise SafetyViolationError(
                    f"leader {after['master']} took over from {before['master']} in no newer Raft term"
                )

    # ------------------------------------------------------------------ sessions and locks
    def add_client(self, name: str) -> None:
        """Open a session: grant a lease with the session TTL."""
        try:
            lease = self.cluster.grant_lease(SESSION_TTL)
        except EtcdUnavailableError as error:
            raise NoMasterError(str(error)) from None
        self.sessions[name] = EtcdSession(name, lease, opened_at=self.now(), term=self.epoch)

    def session(self, name: str) -> EtcdSession:
        """A client's session as its client library sees it."""
        if name not in self.sessions:
            raise NoMasterError(f"no client named {name!r}; known: {', '.join(self.sessions) or 'none'}")
        return self.sessions[name]

    def session_expired_at(self, client: str) -> float:
        """The earliest moment etcd could expire the client's lease (its last answered KeepAlive + TTL)."""
        return self.session(client).expires_at

    def _send_keep_alive(self, lease: str) -> int | None:
        try:
            return self.cluster.keep_alive(lease, timeout=1.0)
        except EtcdUnavailableError:
            return None

    def _renew_delay(self, lease: str) -> None:
        with contextlib.suppress(EtcdUnavailableError):
            self.cluster.keep_alive(lease, timeout=1.0)

    def _keep_alive(self) -> None:
        for session in self.sessions.values():
            session.tick(self.now(), lambda: self.epoch, self._send_keep_alive, self._renew_delay)

    def try_acquire(self, client: str, path: str, mode: LockMode, lock_delay: float) -> Sequencer:
        """Take the lock through etcd's lock API under the client's lease, waiting at most LOCK_WAIT seconds.

        A held lock is refused at once; a lock whose failed holder's lock-delay key is still there is
        refused with LockDelayError. etcd's Lock call blocks while another session holds the lock; when
        our wait ends, etcd removes our waiting key, so the attempt leaves nothing behind.
        """
        if mode is not LockMode.EXCLUSIVE:
            raise LockHeldError("etcd locks are exclusive only")
        if not 0 <= lock_delay <= MAX_LOCK_DELAY:
            raise ConfigError(f"lock-delay {lock_delay} s is outside 0..{MAX_LOCK_DELAY:g} s (the paper's bound)")
        session = self.session(client)
        self._keep_alive()
        if self._lock_holder(path) is not None:
            raise LockHeldError(f"{path} is held by another session")
        delay = self._range(b64(path + DELAY_SUFFIX))
        if delay:
            left = self.cluster.time_to_live(str(delay[0].get("lease", "0")))
            raise LockDelayError(path, self.now() + max(left, 0))
        sequencer = self._lock(client, path, session.lease)
        if lock_delay > 0:
            try:
                lease = self.cluster.grant_lease(int(session.ttl + lock_delay))
                self.cluster.put(path + DELAY_SUFFIX, client, lease=lease)
            except EtcdUnavailableError as error:
                raise NoMasterError(str(error)) from None
            session.delay_leases[path] = lease
        return sequencer

    def _lock(self, client: str, path: str, lease: str) -> Sequencer:
        body = {"name": b64(path), "lease": lease}
        for member in self.cluster.live():
            try:
                response = self.cluster.http.post(member.url + "/v3/lock/lock", json=body, timeout=LOCK_WAIT)
            except httpx.TimeoutException:
                if self.leader() is None:
                    break
                raise LockHeldError(f"{path} is held by another session (waited {LOCK_WAIT:g} s)") from None
            except httpx.HTTPError:
                continue
            if response.status_code == 200:
                key = str(response.json()["key"])
                self.lock_keys[(client, path)] = key
                kv = self._range(key)[0]
                return Sequencer(path, LockMode.EXCLUSIVE, int(kv["create_revision"]))
        raise NoMasterError(f"no master answered the lock call for {path}: the cluster has no Raft leader")

    def release(self, client: str, path: str) -> None:
        """Unlock through etcd's lock API (deletes this session's lock key)."""
        key = self.lock_keys.pop((client, path), None)
        if key is None:
            raise NotLockHolderError(f"{client} does not hold {path}")
        delay_lease = self.session(client).delay_leases.pop(path, None)
        if delay_lease is not None:  # a clean release: no lock-delay for the next holder
            self._post("/v3/lease/revoke", {"ID": delay_lease})
        self._post("/v3/lock/unlock", {"key": key})

    def _range(self, key: str, prefix: bool = False) -> list[dict[str, Any]]:
        try:
            return self.cluster.range(key, prefix)
        except EtcdUnavailableError as error:
            raise NoMasterError(str(error)) from None

    def _lock_holder(self, path: str) -> dict[str, Any] | None:
        kvs = self._range(b64(path + "/"), prefix=True)
        return kvs[0] if kvs else None

    def holders(self, path: str) -> int:
        """1 while some session holds the lock, else 0 (etcd locks are exclusive)."""
        return 0 if self._lock_holder(path) is None else 1

    def exists(self, path: str, via: str | None = None) -> bool:
        """Whether the key exists."""
        return bool(self._range(b64(path)))

    def probe_exists(self, path: str) -> bool:
        """Whether the key exists (etcd needs no session to read)."""
        return self.exists(path)

    def create_ephemeral(self, client: str, path: str) -> None:
        """Put a key under the client's lease: it disappears when the session ends."""
        try:
            self.cluster.put(path, client, lease=self.session(client).lease)
        except EtcdUnavailableError as error:
            raise NoMasterError(str(error)) from None

    def write_file(self, client: str, path: str, contents: bytes) -> None:
        """Put the file's key; etcd acknowledges once a majority has the write in its log.

        Files stay small (256 KiB) as in Chubby: the client library refuses more before sending.
        """
        if len(contents) > MAX_FILE_SIZE:
            raise FileTooLargeError(f"{path}: {len(contents)} bytes exceed the {MAX_FILE_SIZE}-byte limit")
        try:
            self.cluster.put(path, contents)
        except EtcdUnavailableError as error:
            raise NoMasterError(str(error)) from None

    def read_file(self, client: str, path: str) -> bytes:
        """A linearizable read of the file's key once a leader serves; NoSuchNodeError if absent."""
        self.wait_for_master()
        kvs = self._range(b64(path))
        if not kvs:
            raise NoSuchNodeError(f"{path} does not exist")
        return base64.b64decode(kvs[0].get("value", ""))

    def check_sequencer(self, sequencer: Sequencer, via: str = "checker") -> bool:
        """A sequencer is current while the lock key still exists with that create revision."""
        kv = self._lock_holder(sequencer.path)
        if kv is None or int(kv.get("create_revision", 0)) != sequencer.generation:
            raise StaleSequencerError(f"sequencer {sequencer} is stale")
        return True
