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
    rng = random.Random(seed)
    network = NetworkConfig(drop_rate=rng.choice([0.0, 0.01, 0.05]), duplicate_rate=rng.choice([0.0, 0.02, 0.1]))
    config = ChubbyConfig(replicas=rng.choice([3, 5]), network=network)
    cell = ChubbyCell(config, seed=seed)
    result = ScheduleResult(seed)
    clients = [cell.add_client(f"C{i}") for i in range(3)]
    cell.result(clients[0].create(FILE, b"v0"))
    history = result.history
    acked: list[tuple[str, int]] = []  # (client, rid) of every acknowledged write
    counter = 0

    def record_write(client_name: str, value: str, call: Call, invoked: float) -> None:
        op = Operation(client_name, "write", value, invoked)
        history.append(op)
        index = len(history) - 1

        def done(c: Call) -> None:
            if c.ok:
                history[index] = Operation(client_name, "write", value, invoked, cell.now())
                acked.append((client_name, c.rid))

        call.on_done.append(done)

    def record_read(client_name: str, call: Call, invoked: float) -> None:
        def done(c: Call) -> None:
            if c.ok:
                history.append(Operation(client_name, "read", c.value[0].decode(), invoked, cell.now()))

        if call.done:
            done(call)
        else:
            call.on_done.append(done)

    for _ in range(steps):
        action = rng.choice(["crash", "restart", "partition", "heal", "lock", "release", "write", "read", "read"])
        replicas = list(cell.replicas.values())
        if action == "crash":
            victim = rng.choice(replicas)
            victim.crash()
            result.faults.append(f"crash {victim.name}")
        elif action == "restart":
            down = [r for r in replicas if not r.up]
            if down:
                rng.choice(down).restart()
                result.faults.append("restart")
        elif action == "partition":
            names = list(cell.names) + [c.name for c in clients]
            rng.shuffle(names)
            cut = rng.randint(1, len(names) - 1)
            cell.partition(names[:cut], names[cut:])
            result.faults.append(f"partition {names[:cut]}")
        elif action == "heal":
            cell.heal()
        else:
            client = rng.choice(clients)
            if client.state == "expired":
                continue
            if action == "lock":
                client.acquire(LOCK, LockMode.EXCLUSIVE, rng.choice([0.0, 5.0]))
            elif action == "release" and LOCK in client.locks:
                client.release(LOCK)
            elif action == "write":
                counter += 1
                value = f"v{counter}"
                record_write(client.name, value, client.set_contents(FILE, value.encode()), cell.now())
            elif action == "read":
                record_read(client.name, client.get_contents(FILE), cell.now())
        cell.run_for(rng.uniform(0.2, 4.0))

    # heal everything: a master must be back within the bound
    cell.heal()
    healed_at = cell.now()
    for replica in cell.replicas.values():
        replica.restart()
    bound = config.master_lease + config.failover_bound()  # restarted replicas stay quiet one lease first
    master = cell.wait_for_master(within=bound)
    result.recovery_time = cell.now() - healed_at
    cell.run_for(config.call_timeout + 1.0)  # let pending calls finish or fail
    for client_name, rid in acked:
        outcome = master.store.results.get((client_name, rid))
        if outcome is None or not outcome[0]:
            raise SafetyViolationError(f"acknowledged write {rid} of {client_name} is not in the master's store")
    result.acknowledged_writes = len(acked)
    if not is_linearizable(history, initial="v0"):
        raise SafetyViolationError(f"the history of {FILE} is not linearizable: {history}")
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
