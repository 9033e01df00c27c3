"""The real target: the same scenarios on an etcd cluster on loopback (etcd's v3 JSON gateway via httpx).

Mapping from Chubby to etcd: the cell is an etcd cluster of 3 or 5 members started here in temporary
folders on free 127.0.0.1 ports; the master is the Raft leader and the epoch its Raft term; a client
session is an etcd lease (TTL), kept alive by lease KeepAlives; an exclusive lock is taken through
etcd's lock API (v3lock: a key under the lock name owned by the session's lease; the oldest key
holds the lock); the sequencer is the holder key's create revision, which only grows (a fencing
token). etcd has no lock-delay, no shared
locks and no client cache: those scenarios run on the simulated cell only.
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from livingspec.chubby.errors import (
    ChubbyError,
    LockHeldError,
    NoMasterError,
    NotLockHolderError,
    StaleSequencerError,
)
from livingspec.chubby.store import LockMode, Sequencer
from livingspec.infra import LOOPBACK, ManagedProcess, TargetUnavailableError, free_port, require_binary

MAX_MEMBERS = 5  # a 7-member cluster is beyond a small CI machine's budget
SESSION_TTL = 3  # seconds: an etcd lease is the client's session
LOCK_WAIT = 1.0  # seconds a lock attempt waits before it counts as refused


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@dataclass
class Member:
    """One etcd member: its Chubby-style name, ports and process."""

    name: str
    client_port: int
    peer_port: int
    process: ManagedProcess
    up: bool = False

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.client_port}"


@dataclass
class LeaderView:
    """The master as seen through etcd: the Raft leader's name and term."""

    name: str
    term: int


class EtcdCell:
    """An etcd cluster driven with the operations the shared Chubby scenarios use (wall-clock seconds)."""

    def __init__(self, replicas: int = 3) -> None:
        self.binary = require_binary("etcd")
        if replicas > MAX_MEMBERS:
            raise TargetUnavailableError(
                f"an etcd cluster of {replicas} members is beyond this target's budget (at most {MAX_MEMBERS})"
            )
        self.root = Path(tempfile.mkdtemp(prefix="livingspec-etcd-"))
        names = [f"Replica{i + 1}" for i in range(replicas)]
        ports = [(free_port(), free_port()) for _ in names]
        cluster = ",".join(f"{n}=http://{LOOPBACK}:{p}" for n, (_, p) in zip(names, ports, strict=True))
        self.members: dict[str, Member] = {}
        for name, (client_port, peer_port) in zip(names, ports, strict=True):
            workdir = self.root / name
            workdir.mkdir()
            argv = [
                self.binary, "--name", name, "--data-dir", str(workdir / "data"),
                "--listen-client-urls", f"http://{LOOPBACK}:{client_port}",
                "--advertise-client-urls", f"http://{LOOPBACK}:{client_port}",
                "--listen-peer-urls", f"http://{LOOPBACK}:{peer_port}",
                "--initial-advertise-peer-urls", f"http://{LOOPBACK}:{peer_port}",
                "--initial-cluster", cluster, "--initial-cluster-state", "new",
                "--initial-cluster-token", "livingspec", "--heartbeat-interval", "50",
                "--election-timeout", "500", "--log-level", "error",
            ]  # fmt: skip
            process = ManagedProcess(argv, name=name, ready_port=client_port, cwd=workdir)
            self.members[name] = Member(name, client_port, peer_port, process)
        self.http = httpx.Client(timeout=2.0)
        self.sessions: dict[str, str] = {}  # client -> lease id
        self.lock_keys: dict[tuple[str, str], str] = {}  # (client, lock name) -> its etcd lock key
        self.crashed_clients: set[str] = set()
        self.history: list[dict[str, Any]] = []
        self.started = time.monotonic()
        self.names = names

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start every member (each waits for its client port)."""
        for member in self.members.values():
            member.process.start()
            member.up = True

    def close(self) -> None:
        """Stop every member and remove the temporary folders."""
        for member in self.members.values():
            member.process.stop()
        self.http.close()
        shutil.rmtree(self.root, ignore_errors=True)

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

    # ------------------------------------------------------------------ gateway calls
    def _post(self, path: str, body: dict[str, Any], members: list[Member] | None = None) -> dict[str, Any]:
        errors = []
        for member in members or [m for m in self.members.values() if m.up]:
            try:
                response = self.http.post(member.url + path, json=body)
            except httpx.HTTPError as error:
                errors.append(f"{member.name}: {type(error).__name__}")
                continue
            if response.status_code == 200:
                data: dict[str, Any] = response.json()
                return data
            errors.append(f"{member.name}: HTTP {response.status_code} {response.text[:120]}")
        raise NoMasterError(f"no master answered {path}: {'; '.join(errors) or 'no member is up'}")

    def _status(self, member: Member) -> dict[str, Any] | None:
        try:
            response = self.http.post(member.url + "/v3/maintenance/status", json={}, timeout=0.5)
            return dict(response.json()) if response.status_code == 200 else None
        except httpx.HTTPError:
            return None

    # ------------------------------------------------------------------ masters
    def leader(self) -> LeaderView | None:
        """The Raft leader as a live member reports it, if it is up."""
        ids: dict[str, str] = {}
        leader_id, term = None, 0
        for member in self.members.values():
            if not member.up:
                continue
            status = self._status(member)
            if status is None:
                continue
            ids[str(status["header"]["member_id"])] = member.name
            if str(status.get("leader", "0")) != "0":
                leader_id, term = (
                    str(status["leader"]),
                    int(status.get("raftTerm", status["header"].get("raft_term", 0))),
                )
        if leader_id is None or leader_id not in ids:
            return None
        view = LeaderView(ids[leader_id], term)
        if not self.history or self.history[-1]["master"] != view.name:
            self.history.append({"master": view.name, "epoch (Raft term)": term, "seen at (s)": round(self.now(), 3)})
        return view

    def master_name(self) -> str | None:
        view = self.leader()
        return None if view is None else view.name

    @property
    def epoch(self) -> int:
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
                up = sum(m.up for m in self.members.values())
                raise NoMasterError(f"no Raft leader within the bound: {up} of {len(self.members)} members are up")
            self._keep_alive()
            time.sleep(0.1)

    def crash(self, name: str) -> None:
        """Kill a member (SIGKILL), or crash a client (its lease is no longer kept alive)."""
        if name in self.members:
            self.members[name].process.kill()
            self.members[name].up = False
        else:
            self.crashed_clients.add(name)

    def restart(self, name: str) -> None:
        """Start a killed member again on its data folder."""
        member = self.members[name]
        member.process.start()
        member.up = True

    def fail_master(self) -> str:
        name = self.wait_for_master().name
        self.crash(name)
        return name

    def fail_replicas(self, count: int) -> list[str]:
        master = self.wait_for_master().name
        victims = [master, *[n for n in self.members if n != master and self.members[n].up][: max(0, count - 1)]]
        for name in victims:
            self.crash(name)
        return victims

    def timeline(self) -> list[dict[str, Any]]:
        return list(self.history)

    # ------------------------------------------------------------------ sessions and locks
    def add_client(self, name: str) -> None:
        """Open a session: grant a lease with the session TTL."""
        lease = self._post("/v3/lease/grant", {"TTL": SESSION_TTL})
        self.sessions[name] = str(lease["ID"])

    def _keep_alive(self) -> None:
        for name, lease in self.sessions.items():
            if name not in self.crashed_clients:
                with contextlib.suppress(ChubbyError):
                    self._post("/v3/lease/keepalive", {"ID": lease})

    def try_acquire(self, client: str, path: str, mode: LockMode, lock_delay: float) -> Sequencer:
        """Take the lock through etcd's lock API under the client's lease, waiting at most LOCK_WAIT seconds.

        etcd's Lock call blocks while another session holds the lock; when our wait ends, etcd removes
        our waiting key, so the attempt leaves nothing behind and reads as "held by another session".
        """
        if mode is not LockMode.EXCLUSIVE:
            raise LockHeldError("etcd locks are exclusive only")
        self._keep_alive()
        body = {"name": _b64(path), "lease": self.sessions[client]}
        for member in [m for m in self.members.values() if m.up]:
            try:
                response = self.http.post(member.url + "/v3/lock/lock", json=body, timeout=LOCK_WAIT)
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
        self._post("/v3/lock/unlock", {"key": key})

    def _range(self, key: str, prefix: bool = False) -> list[dict[str, Any]]:
        body = {"key": key}
        if prefix:  # every key under key/: the holder and any waiters, in creation order
            raw = base64.b64decode(key)
            body["range_end"] = base64.b64encode(raw[:-1] + bytes([raw[-1] + 1])).decode()
        kvs = self._post("/v3/kv/range", body).get("kvs") or []
        return sorted((dict(kv) for kv in kvs), key=lambda kv: int(kv.get("create_revision", 0)))

    def _get(self, path: str) -> dict[str, Any] | None:
        kvs = self._range(_b64(path))
        return kvs[0] if kvs else None

    def _lock_holder(self, path: str) -> dict[str, Any] | None:
        kvs = self._range(_b64(path + "/"), prefix=True)
        return kvs[0] if kvs else None

    def holders(self, path: str) -> int:
        return 0 if self._lock_holder(path) is None else 1

    def exists(self, path: str, via: str | None = None) -> bool:
        return self._get(path) is not None

    def add_probe(self) -> None:
        """No probe client is needed on etcd."""

    def create_ephemeral(self, client: str, path: str) -> None:
        """Put a key under the client's lease: it disappears when the session ends."""
        self._post("/v3/kv/put", {"key": _b64(path), "value": _b64(client), "lease": self.sessions[client]})

    def check_sequencer(self, sequencer: Sequencer, via: str = "checker") -> bool:
        """A sequencer is current while the lock key still exists with that create revision."""
        kv = self._lock_holder(sequencer.path)
        if kv is None or int(kv.get("create_revision", 0)) != sequencer.generation:
            raise StaleSequencerError(f"sequencer {sequencer} is stale")
        return True
