"""A simulated Chubby cell: replicas, clients, a faulty network and a virtual clock, driven step by step.

``ChubbyCell`` is what scenarios and tests use: it builds the cell, runs the simulation until a call
is answered (or a virtual deadline passes), injects faults (crash, restart, partition, message loss)
and keeps the timeline (who was master when) that the failover pictures show.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from typing import Any

from livingspec.chubby.client import Call, ChubbyClient
from livingspec.chubby.config import ChubbyConfig
from livingspec.chubby.errors import (
    NodeExistsError,
    NoMasterError,
    NoSuchNodeError,
    NoSuchReplicaError,
    SafetyViolationError,
    StaleSequencerError,
)
from livingspec.chubby.monitor import Monitor
from livingspec.chubby.replica import Replica
from livingspec.chubby.sim import Network, Simulation
from livingspec.chubby.store import LockMode, Sequencer


class ChubbyCell:
    """N replicas (Replica1..N) electing a master by Multi-Paxos, and the clients that use them."""

    counts_lock_generations = True  # a lock's generation counts its acquisitions: 1, 2, 3...

    def __init__(
        self,
        config: ChubbyConfig | None = None,
        seed: int = 0,
        first_master: str | None = None,
        simulation: Simulation | None = None,
    ) -> None:
        """``simulation`` replaces the default ``Simulation(seed)`` (a benchmark traces its events)."""
        self.config = config or ChubbyConfig()
        self.sim = simulation if simulation is not None else Simulation(seed)
        self.net = Network(self.sim, self.config.network)
        self.monitor = Monitor()
        self.names = [f"Replica{i + 1}" for i in range(self.config.replicas)]
        self.replicas = {
            name: Replica(i, self.names, self.sim, self.net, self.config, self.monitor)
            for i, name in enumerate(self.names)
        }
        self.clients: dict[str, ChubbyClient] = {}
        self.monitor.serving_replicas = lambda: [r.name for r in self.replicas.values() if r.serving]
        if first_master is not None:  # let one replica stand first, as in the seed's picture
            if first_master not in self.replicas:
                raise NoMasterError(f"no replica named {first_master!r}; the cell has {', '.join(self.names)}")
            for name, replica in self.replicas.items():
                if name != first_master:
                    replica.stand_after = self.config.election_jitter + self.config.round_timeout * 2

    # ------------------------------------------------------------------ time
    def now(self) -> float:
        """Virtual time in seconds."""
        return self.sim.now()

    def run_for(self, seconds: float) -> None:
        """Let the cell run for some virtual seconds."""
        self.sim.run_for(seconds)

    def run_until(self, done: Callable[[], bool], within: float) -> bool:
        """Run until ``done()`` or ``within`` virtual seconds have passed; True if done."""
        return self.sim.run_until(done, self.now() + within)

    # ------------------------------------------------------------------ masters
    def master(self) -> Replica | None:
        """The replica serving as master now, if any."""
        serving = [replica for replica in self.replicas.values() if replica.serving]
        return serving[0] if len(serving) == 1 else None

    def wait_for_master(self, within: float | None = None) -> Replica:
        """Run until a master serves; NoMasterError if none does within ``within`` virtual seconds."""
        bound = self.config.failover_bound() * 2 if within is None else within
        if not self.run_until(lambda: self.master() is not None, bound):
            up = sum(replica.up for replica in self.replicas.values())
            raise NoMasterError(
                f"no master was elected within {bound:g} s: {up} of {len(self.replicas)} replicas are up, "
                f"a majority of {self.config.majority} must be up and connected"
            )
        master = self.master()
        assert master is not None
        return master

    @property
    def epoch(self) -> int:
        """The epoch (winning ballot) of the current master, or of the last one."""
        return self.monitor.terms[-1].epoch if self.monitor.terms else -1

    # ------------------------------------------------------------------ faults
    def crash(self, name: str) -> None:
        """Crash a replica or a client."""
        if name in self.replicas:
            self.replicas[name].crash()
        else:
            self.client(name).crash()
            self.monitor.incident(self.now(), "crash", name)

    def restart(self, name: str) -> None:
        """Restart a crashed replica with its durable state."""
        self.replica(name).restart()

    def replica(self, name: str) -> Replica:
        """A replica by name; NoMasterError listing the cell's replicas for any other name."""
        if name not in self.replicas:
            raise NoSuchReplicaError(f"no replica named {name!r}; the cell has {', '.join(self.names)}")
        return self.replicas[name]

    def fail_replica(self, name: str) -> str:
        """Crash the named replica (master or not); returns its name."""
        self.replica(name).crash()
        return name

    def fail_follower(self) -> str:
        """Crash one running replica that is not the master (the first by name); returns its name."""
        master = self.wait_for_master()
        followers = [n for n in self.names if n != master.name and self.replicas[n].up]
        if not followers:
            raise NoSuchReplicaError(f"every replica but the master {master.name} is down already")
        return self.fail_replica(followers[0])

    def is_serving(self, name: str) -> bool:
        """Whether the replica serves as master now (within its lease)."""
        return self.replica(name).serving

    def is_up(self, name: str) -> bool:
        """Whether the replica runs."""
        return self.replica(name).up

    def caught_up(self, name: str) -> bool:
        """The replica runs, follows the serving master, and has applied every entry the master has."""
        replica, master = self.replica(name), self.master()
        if not replica.up or master is None:
            return False
        following = replica is master or replica.promise_holder == master.name
        return following and replica.next_apply >= master.next_apply

    def check_single_master(self) -> None:
        """Master terms (up to the end of each lease) never overlap and epochs grow; else SafetyViolationError."""
        for before, after in itertools.pairwise(self.monitor.terms):
            end = before.end if before.end is not None else float("inf")
            if end > after.start:
                raise SafetyViolationError(
                    f"{before.replica} served until {end:.3f} s, {after.replica} from {after.start:.3f} s"
                )
            if before.epoch >= after.epoch:
                raise SafetyViolationError(f"epochs must grow: {before.epoch} then {after.epoch}")

    def fail_master(self) -> str:
        """Crash the current master (waiting for one first); returns its name."""
        master = self.wait_for_master()
        master.crash()
        return master.name

    def partition(self, *groups: list[str]) -> None:
        """Split the network into groups that cannot talk to each other."""
        self.net.partition(*groups)
        self.monitor.incident(self.now(), "partition", " | ".join(",".join(group) for group in groups))

    def isolate(self, name: str) -> None:
        """Cut one replica or client off from everyone else."""
        self.net.isolate(name)
        self.monitor.incident(self.now(), "isolated", name)

    def heal(self) -> None:
        """End every partition."""
        self.net.heal()
        self.monitor.incident(self.now(), "heal", "network")

    # ------------------------------------------------------------------ clients
    def add_client(self, name: str, open_session: bool = True) -> ChubbyClient:
        """A new client process; by default it opens its session (which needs a master)."""
        client = ChubbyClient(name, self.names, self.sim, self.net, self.config, self.monitor, self.valid_clients)
        self.clients[name] = client
        if open_session:
            self.result(client.open_session())
        return client

    def client(self, name: str) -> ChubbyClient:
        """A client by name."""
        if name not in self.clients:
            raise NoMasterError(f"no client named {name!r}; known: {', '.join(self.clients) or 'none'}")
        return self.clients[name]

    def session(self, name: str) -> ChubbyClient:
        """A client's session as its client library sees it (the client itself: state and events)."""
        return self.client(name)

    def valid_clients(self) -> set[str]:
        """Clients whose session is safe with a local lease still running."""
        return {name for name, client in self.clients.items() if client.lease_valid}

    def result(self, call: Call, within: float | None = None) -> Any:
        """Run until the call is answered; its value, or raise its error."""
        bound = self.config.call_timeout + 1.0 if within is None else within
        if not self.run_until(lambda: call.done, bound):
            raise NoMasterError(f"{call.op} was not answered within {bound:g} virtual seconds")
        return call.result()

    def check_sequencer(self, sequencer: Sequencer, via: str = "checker") -> bool:
        """Ask the cell whether a sequencer is current (True), or raise StaleSequencerError."""
        if via not in self.clients:
            self.add_client(via, open_session=False)
        return bool(self.result(self.clients[via].check_sequencer(sequencer)))

    # ------------------------------------------------------------------ the operations scenarios share with etcd
    def master_name(self) -> str | None:
        """Name of the serving master, if any."""
        master = self.master()
        return None if master is None else master.name

    def fail_replicas(self, count: int) -> list[str]:
        """Crash ``count`` replicas, the master first; returns their names."""
        master = self.wait_for_master()
        others = [name for name in self.names if name != master.name and self.replicas[name].up]
        victims = [master.name, *others[: max(0, count - 1)]]
        for name in victims:
            self.crash(name)
        return victims

    def try_acquire(self, client: str, path: str, mode: LockMode, lock_delay: float) -> Sequencer:
        """One attempt to take a lock (creating its file if needed): the Sequencer, or the refusal."""
        handle = self.client(client)
        if not self.exists(path, via=client):
            with contextlib.suppress(NodeExistsError):
                self.result(handle.create(path))
        sequencer: Sequencer = self.result(handle.acquire(path, mode, lock_delay))
        return sequencer

    def release(self, client: str, path: str) -> None:
        """Release a lock the client holds."""
        self.result(self.client(client).release(path))

    def probe_exists(self, path: str) -> bool:
        """Whether a node exists, asked through a session-less probe client."""
        if "probe" not in self.clients:
            self.add_client("probe")
        return self.exists(path, via="probe")

    def exists(self, path: str, via: str | None = None) -> bool:
        """Whether a node exists (asked through a client's session)."""
        client = self.client(via) if via else next(c for c in self.clients.values() if c.state == "safe")
        try:
            self.result(client.stat(path))
        except NoSuchNodeError:
            return False
        return True

    def holders(self, path: str) -> int:
        """How many sessions hold the lock on ``path`` (read from the master's store)."""
        master = self.wait_for_master()
        node = master.store.nodes.get(path)
        return 0 if node is None else len(node.holders)

    def create_ephemeral(self, client: str, path: str) -> None:
        """Create a file that lives only as long as the client's session."""
        self.result(self.client(client).create(path, ephemeral=True))

    def write_file(self, client: str, path: str, contents: bytes) -> None:
        """Write a file, creating it first if it does not exist."""
        handle = self.client(client)
        if not self.exists(path, via=client):
            try:
                self.result(handle.create(path, contents))
                return
            except NodeExistsError:
                pass
        self.result(handle.set_contents(path, contents))

    def read_file(self, client: str, path: str) -> bytes:
        """A file's contents, read through the client's session."""
        contents, _ = self.result(self.client(client).get_contents(path))
        return bytes(contents)

    def session_expired_at(self, client: str) -> float:
        """When the master expired (or closed) the client's session, by its log entry."""
        sessions = [c for c in self.monitor.decided.values() if c.op in ("expire_session", "close_session")]
        for command in sessions:
            if str(command.args.get("session", "")).startswith(client + "/"):
                return float(command.at)
        raise NoMasterError(f"{client}'s session has not expired")

    def close(self) -> None:
        """Nothing to stop: the simulation holds no resources."""

    # ------------------------------------------------------------------ reporting
    def timeline(self) -> list[dict[str, Any]]:
        """Master terms as rows."""
        return self.monitor.timeline_records()

    def timeline_svg(self, title: str = "Chubby cell timeline") -> str:
        """A picture of the run: master terms and leases per replica, crashes, restarts, partitions."""
        from livingspec.chubby.timeline import render_svg

        return render_svg(self, title)


class FencedStorage:
    """A server guarded by Chubby locks: it accepts a write only with a current sequencer (paper 2.4).

    It remembers the highest lock generation it has seen per lock and rejects anything older, and it
    asks the cell (``check``) whether a sequencer it has not seen is still current.
    """

    def __init__(self, check: Callable[[Sequencer], bool]) -> None:
        self.check = check
        self.highest: dict[str, int] = {}
        self.accepted: list[tuple[str, str, Sequencer]] = []  # (writer, data, sequencer)
        self.rejected: list[tuple[str, str, Sequencer]] = []

    def write(self, writer: str, data: str, sequencer: Sequencer) -> None:
        """Accept ``data`` if the sequencer is current; else StaleSequencerError naming it."""
        if sequencer.generation < self.highest.get(sequencer.path, 0):
            self.rejected.append((writer, data, sequencer))
            raise StaleSequencerError(
                f"{writer}'s sequencer {sequencer} is older than generation {self.highest[sequencer.path]}"
            )
        try:
            self.check(sequencer)
        except StaleSequencerError:
            self.rejected.append((writer, data, sequencer))
            raise
        self.highest[sequencer.path] = sequencer.generation
        self.accepted.append((writer, data, sequencer))
