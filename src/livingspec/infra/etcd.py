"""An etcd cluster on loopback: members in temporary folders on free ports, driven through the v3 JSON gateway.

``EtcdCluster(3)`` prepares three members (``member1``..``member3`` unless named), ``start()`` starts
them (each waits for its client port), ``close()`` stops them and removes the folders. A member can be
killed (SIGKILL) and restarted on its data folder. ``post`` calls the gateway of the first live member
that answers; ``leader()`` reads the Raft leader and term from the members' status; leases and key
ranges have helpers. Concept code maps its own ideas onto these (livingspec.chubby.etcd does).
"""

from __future__ import annotations

import base64
import json
import shutil
import signal
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from livingspec.infra.errors import InfraError, TargetUnavailableError
from livingspec.infra.faultproxy import FaultProxy
from livingspec.infra.net import LOOPBACK, free_port
from livingspec.infra.process import ManagedProcess, require_binary

__all__ = [
    "MAX_MEMBERS",
    "EtcdBudgetError",
    "EtcdCluster",
    "EtcdMember",
    "EtcdUnavailableError",
    "b64",
    "prefix_end",
]

MAX_MEMBERS = 7  # the largest cell the scenarios ask for; 7 idle members fit a 2-core machine


class EtcdUnavailableError(InfraError):
    """No live member answered a gateway call (no leader, or every member down)."""


class EtcdBudgetError(TargetUnavailableError):
    """More members were asked for than this machine's budget allows (not a missing binary)."""


def b64(text: str) -> str:
    """etcd's JSON gateway takes keys and values base64-encoded."""
    return base64.b64encode(text.encode()).decode()


def prefix_end(key_b64: str) -> str:
    """The range end that selects every key starting with ``key_b64`` (base64), as etcd defines it."""
    raw = base64.b64decode(key_b64)
    return base64.b64encode(raw[:-1] + bytes([raw[-1] + 1])).decode()


@dataclass
class EtcdMember:
    """One etcd member: its name, ports and process."""

    name: str
    client_port: int
    peer_port: int
    process: ManagedProcess
    up: bool = False

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.client_port}"


class EtcdCluster:
    """``members`` etcd processes forming one cluster on 127.0.0.1, in a temporary folder."""

    def __init__(
        self,
        members: int = 3,
        names: Sequence[str] | None = None,
        heartbeat_ms: int = 50,
        election_ms: int = 500,
        max_members: int = MAX_MEMBERS,
        proxied: bool = False,
    ) -> None:
        """``proxied``: every member's peer URL is a FaultProxy in front of its peer port (see isolate)."""
        self.binary = require_binary("etcd")
        if members > max_members:
            raise EtcdBudgetError(
                f"an etcd cluster of {members} members is beyond this machine's budget (at most {max_members})"
            )
        self.names = list(names) if names is not None else [f"member{i + 1}" for i in range(members)]
        self.root = Path(tempfile.mkdtemp(prefix="livingspec-etcd-"))
        ports = [(free_port(), free_port()) for _ in self.names]
        self.proxies = {n: FaultProxy(p) for n, (_, p) in zip(self.names, ports, strict=True)} if proxied else {}
        advertised = {n: self.proxies[n].port if proxied else p for n, (_, p) in zip(self.names, ports, strict=True)}
        cluster = ",".join(f"{n}=http://{LOOPBACK}:{advertised[n]}" for n in self.names)
        self.members: dict[str, EtcdMember] = {}
        for name, (client_port, peer_port) in zip(self.names, ports, strict=True):
            workdir = self.root / name
            workdir.mkdir()
            argv = [
                self.binary, "--name", name, "--data-dir", str(workdir / "data"),
                "--listen-client-urls", f"http://{LOOPBACK}:{client_port}",
                "--advertise-client-urls", f"http://{LOOPBACK}:{client_port}",
                "--listen-peer-urls", f"http://{LOOPBACK}:{peer_port}",
                "--initial-advertise-peer-urls", f"http://{LOOPBACK}:{advertised[name]}",
                "--initial-cluster", cluster, "--initial-cluster-state", "new",
                "--initial-cluster-token", "livingspec", "--heartbeat-interval", str(heartbeat_ms),
                "--election-timeout", str(election_ms), "--log-level", "error",
            ]  # fmt: skip
            process = ManagedProcess(argv, name=name, ready_port=client_port, cwd=workdir)
            self.members[name] = EtcdMember(name, client_port, peer_port, process)
        self.http = httpx.Client(timeout=2.0)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start every member (each waits for its client port)."""
        for member in self.members.values():
            member.process.start()
            member.up = True

    def close(self) -> None:
        """Stop every member and remove the temporary folders."""
        for member in self.members.values():
            member.process.signal(signal.SIGCONT)  # a paused member cannot stop
            member.process.stop()
        for proxy in self.proxies.values():
            proxy.close()
        self.http.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def kill(self, name: str) -> None:
        """SIGKILL one member; its data folder stays."""
        self.members[name].process.kill()
        self.members[name].up = False

    def restart(self, name: str) -> None:
        """Start a killed member again on its data folder."""
        member = self.members[name]
        member.process.start()
        member.up = True

    def pause(self, name: str) -> None:
        """SIGSTOP one member: it keeps its sockets but answers nothing until resumed."""
        self.members[name].process.signal(signal.SIGSTOP)

    def resume(self, name: str) -> None:
        """SIGCONT a paused member."""
        self.members[name].process.signal(signal.SIGCONT)

    def isolate(self, name: str) -> None:
        """Cut the member off: every peer connection to its peer URL drops both ways (needs ``proxied``).

        Raft messages from this member travel on streams the others dialed to it, so it can no longer
        lead; messages to it travel on streams it dialed, so it still hears the new leader (one-sided
        on that path, as loopback gives the proxy no way to tell which member dialed).
        """
        if name not in self.proxies:
            raise InfraError("isolate needs a cluster started with proxied=True")
        self.proxies[name].partition()

    def heal_network(self) -> None:
        """End every network fault of the proxies."""
        for proxy in self.proxies.values():
            proxy.heal()

    def live(self) -> list[EtcdMember]:
        """The members not killed."""
        return [m for m in self.members.values() if m.up]

    # ------------------------------------------------------------------ gateway
    def post(self, path: str, body: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """POST to the first live member that answers 200; EtcdUnavailableError listing each failure."""
        errors = []
        for member in self.live():
            try:
                response = self.http.post(member.url + path, json=body, timeout=timeout or self.http.timeout)
            except httpx.HTTPError as error:
                errors.append(f"{member.name}: {type(error).__name__}")
                continue
            if response.status_code == 200:
                data: dict[str, Any] = response.json()
                return data
            errors.append(f"{member.name}: HTTP {response.status_code} {response.text[:120]}")
        raise EtcdUnavailableError(f"no master answered {path}: {'; '.join(errors) or 'no member is up'}")

    def status(self, member: EtcdMember) -> dict[str, Any] | None:
        """A member's maintenance status, or None if it does not answer within half a second."""
        try:
            response = self.http.post(member.url + "/v3/maintenance/status", json={}, timeout=0.5)
            return dict(response.json()) if response.status_code == 200 else None
        except httpx.HTTPError:
            return None

    def member_view(self, name: str) -> tuple[str | None, int] | None:
        """(the leader this member believes in, its Raft term), asked on its own client port; None if silent."""
        status = self.status(self.members[name])
        if status is None:
            return None
        ids = {str(s["header"]["member_id"]): n for n, s in ((n, self.status(m)) for n, m in self.members.items()) if s}
        leader = str(status.get("leader", "0"))
        return ids.get(leader), int(status.get("raftTerm", status["header"].get("raft_term", 0)))

    def leader(self) -> tuple[str, int] | None:
        """(name, Raft term) of the leader a majority of all members report, if it is live.

        A majority, not any one member: a leader cut off from the others may still believe it leads
        for a moment, and one member's word would then name two leaders.
        """
        ids: dict[str, str] = {}
        views: list[tuple[str, int]] = []
        for member in self.live():
            status = self.status(member)
            if status is None:
                continue
            ids[str(status["header"]["member_id"])] = member.name
            if str(status.get("leader", "0")) != "0":
                views.append((str(status["leader"]), int(status.get("raftTerm", status["header"].get("raft_term", 0)))))
        majority = len(self.members) // 2 + 1
        for leader_id in {view[0] for view in views}:
            terms = [term for lid, term in views if lid == leader_id]
            if len(terms) >= majority and leader_id in ids:
                return ids[leader_id], max(terms)
        return None

    def applied_index(self, name: str) -> int | None:
        """The member's Raft applied index, or None when it does not answer."""
        status = self.status(self.members[name])
        return None if status is None else int(status.get("raftAppliedIndex", status.get("raftIndex", 0)))

    def transfer_leadership(self, name: str) -> None:
        """Ask the current leader to hand leadership to member ``name`` (etcd's MoveLeader)."""
        statuses = {m.name: self.status(m) for m in self.live()}
        target = statuses.get(name)
        if target is None:
            raise EtcdUnavailableError(f"member {name} does not answer; it cannot take the lead")
        leader_id = str(target.get("leader", "0"))
        leaders = [self.members[n] for n, s in statuses.items() if s and str(s["header"]["member_id"]) == leader_id]
        if not leaders:
            raise EtcdUnavailableError("no leader to hand over from")
        if leaders[0].name == name:
            return
        body = {"targetID": str(target["header"]["member_id"])}
        response = self.http.post(leaders[0].url + "/v3/maintenance/transfer-leadership", json=body, timeout=10.0)
        if response.status_code != 200:
            status, text = response.status_code, response.text[:120]
            raise EtcdUnavailableError(f"leadership transfer to {name} failed: HTTP {status} {text}")

    # ------------------------------------------------------------------ leases and keys
    def grant_lease(self, ttl: int) -> str:
        """A new lease of ``ttl`` seconds; its id."""
        return str(self.post("/v3/lease/grant", {"TTL": ttl})["ID"])

    def keep_alive(self, lease: str, timeout: float | None = None) -> int:
        """Renew one lease; the TTL granted anew (0 when the lease is gone: it expired or was revoked)."""
        return int(self.post("/v3/lease/keepalive", {"ID": lease}, timeout).get("result", {}).get("TTL", 0))

    def time_to_live(self, lease: str) -> int:
        """Seconds left on a lease (-1 when it is gone)."""
        return int(self.post("/v3/lease/timetolive", {"ID": lease}).get("TTL", -1))

    def revoke_lease(self, lease: str) -> None:
        """End a lease now: every key under it is deleted."""
        self.post("/v3/lease/revoke", {"ID": lease})

    def delete(self, key: str) -> None:
        """Delete one key."""
        self.post("/v3/kv/deleterange", {"key": b64(key)})

    def put(self, key: str, value: str | bytes, lease: str | None = None) -> None:
        """Put ``key`` = ``value`` (text or bytes), optionally under a lease."""
        raw = value.encode() if isinstance(value, str) else value
        body = {"key": b64(key), "value": base64.b64encode(raw).decode()}
        if lease is not None:
            body["lease"] = lease
        self.post("/v3/kv/put", body)

    def range(self, key_b64: str, prefix: bool = False) -> list[dict[str, Any]]:
        """Key-values at ``key_b64`` (or under it, with ``prefix``), oldest created first."""
        body = {"key": key_b64}
        if prefix:
            body["range_end"] = prefix_end(key_b64)
        kvs = self.post("/v3/kv/range", body).get("kvs") or []
        return sorted((dict(kv) for kv in kvs), key=lambda kv: int(kv.get("create_revision", 0)))

    # ------------------------------------------------------------------ election API (v3election)
    def campaign(self, election: str, lease: str, value: str, wait: float = 1.0) -> dict[str, Any] | None:
        """Campaign under ``lease``: the leader key (name, key, rev, lease) once elected, None after ``wait`` seconds.

        etcd's Campaign blocks while another campaigner leads; when our wait ends etcd withdraws our
        candidacy (deletes our queued key), so an attempt that timed out leaves nothing behind.
        """
        body = {"name": b64(election), "lease": lease, "value": b64(value)}
        for member in self.live():
            try:
                response = self.http.post(member.url + "/v3/election/campaign", json=body, timeout=wait)
            except httpx.TimeoutException:
                return None
            except httpx.HTTPError:
                continue
            if response.status_code == 200:
                leader: dict[str, Any] = response.json()["leader"]
                return leader
        raise EtcdUnavailableError(f"no member answered the campaign for {election}")

    def election_leader(self, election: str) -> str | None:
        """The current leader's value in ``election`` (plain text), or None when nobody leads."""
        try:
            kv = self.post("/v3/election/leader", {"name": b64(election)}).get("kv")
        except EtcdUnavailableError as error:
            if "election: no leader" in str(error):
                return None
            raise
        return base64.b64decode(kv["value"]).decode() if kv else None

    def proclaim(self, leader: dict[str, Any], value: str) -> None:
        """The leader announces a new value without a new election."""
        self.post("/v3/election/proclaim", {"leader": leader, "value": b64(value)})

    def resign(self, leader: dict[str, Any]) -> None:
        """Give up leadership (deletes the leader key); the next campaigner in line is elected."""
        self.post("/v3/election/resign", {"leader": leader})

    def observe(self, election: str, seconds: float) -> list[str]:
        """The leader values ``election`` announced within ``seconds`` (etcd's Observe stream, read until then)."""
        values: list[str] = []
        member = self.live()[0]
        try:
            with self.http.stream(
                "POST", member.url + "/v3/election/observe", json={"name": b64(election)}, timeout=seconds
            ) as response:
                for line in response.iter_lines():
                    kv = json.loads(line).get("result", {}).get("kv")
                    if kv:
                        values.append(base64.b64decode(kv["value"]).decode())
        except httpx.TimeoutException:
            pass
        return values
