"""Randomised fault schedules for a simulated cell, checked against Chubby's safety properties.

``run_schedule(seed)`` builds a cell, lets three clients contend for a lock and read and write a
file while crashes, restarts, partitions, message loss and duplication hit the cell; the monitor
checks, as it happens, at most one master per epoch, no two masters serving at once, agreement of
every decided log slot, and at most one client at a time holding the exclusive lock with a valid
session. Afterwards every fault is healed, a master must be elected within the bound the settings
imply, every acknowledged write must be in the log, and the file's history must be linearizable.

Replay one seed: ``python -m livingspec.chubby.faults --seed N [--steps S]``.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field

from livingspec.chubby.cell import ChubbyCell
from livingspec.chubby.client import Call
from livingspec.chubby.config import ChubbyConfig
from livingspec.chubby.errors import SafetyViolationError
from livingspec.chubby.linearizability import Operation, is_linearizable
from livingspec.chubby.sim import NetworkConfig
from livingspec.chubby.store import LockMode

FILE = "/ls/local/config/value"
LOCK = "/ls/local/leader"


def replay_command(seed: int, steps: int = 20) -> str:
    """The one command that replays a seed (and its schedule length, when not the default 20)."""
    length = f" --steps {steps}" if steps != 20 else ""
    return f".venv/bin/python -m livingspec.chubby.faults --seed {seed}{length}"


@dataclass
class ScheduleResult:
    """What one schedule did: faults injected, elections, the healed failover time, the history."""

    seed: int
    faults: list[str] = field(default_factory=list)
    history: list[Operation] = field(default_factory=list)
    acknowledged_writes: int = 0
    recovery_time: float = 0.0
    events: int = 0
    virtual_seconds: float = 0.0


def run_schedule(seed: int, steps: int = 20) -> ScheduleResult:
    """Run one randomised fault schedule; raise SafetyViolationError (with the replay command) on a violation."""
    try:
        return _run(seed, steps)
    except SafetyViolationError as error:
        raise SafetyViolationError(f"seed {seed}: {error}\nreplay: {replay_command(seed, steps)}") from None


def _run(seed: int, steps: int) -> ScheduleResult:
    return _Schedule(seed).run(steps)


class _Schedule:
    """One schedule's cell, clients and recorded history (the random draws in a fixed order)."""

    def __init__(self, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        network = NetworkConfig(drop_rate=rng.choice([0.0, 0.01, 0.05]), duplicate_rate=rng.choice([0.0, 0.02, 0.1]))
        self.config = ChubbyConfig(replicas=rng.choice([3, 5]), network=network)
        self.cell = ChubbyCell(self.config, seed=seed)
        self.result = ScheduleResult(seed)
        self.clients = [self.cell.add_client(f"C{i}") for i in range(3)]
        self.cell.result(self.clients[0].create(FILE, b"v0"))
        self.acked: list[tuple[str, int]] = []  # (client, rid) of every acknowledged write
        self.counter = 0

    def run(self, steps: int) -> ScheduleResult:
        for _ in range(steps):
            action = self.rng.choice(
                ["crash", "restart", "partition", "heal", "lock", "release", "write", "read", "read"]
            )
            if action in ("crash", "restart", "partition", "heal"):
                self._fault(action)
            elif not self._client_action(action):
                continue  # an expired client does nothing, and no time passes
            self.cell.run_for(self.rng.uniform(0.2, 4.0))
        return self._check_after_healing()

    def _fault(self, action: str) -> None:
        cell, rng, faults = self.cell, self.rng, self.result.faults
        replicas = list(cell.replicas.values())
        if action == "crash":
            victim = rng.choice(replicas)
            victim.crash()
            faults.append(f"crash {victim.name}")
        elif action == "restart":
            down = [r for r in replicas if not r.up]
            if down:
                rng.choice(down).restart()
                faults.append("restart")
        elif action == "partition":
            names = list(cell.names) + [c.name for c in self.clients]
            rng.shuffle(names)
            cut = rng.randint(1, len(names) - 1)
            cell.partition(names[:cut], names[cut:])
            faults.append(f"partition {names[:cut]}")
        else:
            cell.heal()

    def _client_action(self, action: str) -> bool:
        """One client's move; False when the chosen client's session has expired."""
        client = self.rng.choice(self.clients)
        if client.state == "expired":
            return False
        if action == "lock":
            client.acquire(LOCK, LockMode.EXCLUSIVE, self.rng.choice([0.0, 5.0]))
        elif action == "release" and LOCK in client.locks:
            client.release(LOCK)
        elif action == "write":
            self.counter += 1
            value = f"v{self.counter}"
            self._record_write(client.name, value, client.set_contents(FILE, value.encode()), self.cell.now())
        elif action == "read":
            self._record_read(client.name, client.get_contents(FILE), self.cell.now())
        return True

    def _record_write(self, client_name: str, value: str, call: Call, invoked: float) -> None:
        history = self.result.history
        history.append(Operation(client_name, "write", value, invoked))
        index = len(history) - 1

        def done(c: Call) -> None:
            if c.ok:
                history[index] = Operation(client_name, "write", value, invoked, self.cell.now())
                self.acked.append((client_name, c.rid))

        call.on_done.append(done)

    def _record_read(self, client_name: str, call: Call, invoked: float) -> None:
        def done(c: Call) -> None:
            if c.ok:
                self.result.history.append(
                    Operation(client_name, "read", c.value[0].decode(), invoked, self.cell.now())
                )

        if call.done:
            done(call)
        else:
            call.on_done.append(done)

    def _check_after_healing(self) -> ScheduleResult:
        """Heal everything: a master must be back within the bound, acknowledged writes kept, history linearizable."""
        cell, config, result = self.cell, self.config, self.result
        cell.heal()
        healed_at = cell.now()
        for replica in cell.replicas.values():
            replica.restart()
        bound = config.master_lease + config.failover_bound()  # restarted replicas stay quiet one lease first
        master = cell.wait_for_master(within=bound)
        result.recovery_time = cell.now() - healed_at
        cell.run_for(config.call_timeout + 1.0)  # let pending calls finish or fail
        for client_name, rid in self.acked:
            outcome = master.store.results.get((client_name, rid))
            if outcome is None or not outcome[0]:
                raise SafetyViolationError(f"acknowledged write {rid} of {client_name} is not in the master's store")
        result.acknowledged_writes = len(self.acked)
        if not is_linearizable(result.history, initial="v0"):
            raise SafetyViolationError(f"the history of {FILE} is not linearizable: {result.history}")
        result.events = cell.sim.events_processed
        result.virtual_seconds = cell.now()
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    result = run_schedule(args.seed, args.steps)
    print(f"seed {args.seed}: {len(result.faults)} faults, {result.acknowledged_writes} acknowledged writes,")
    print(f"master back {result.recovery_time:.3f} virtual s after healing; {result.events} events")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
