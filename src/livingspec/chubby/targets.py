"""The cell as an interface: one Protocol, the simulated cell and the etcd cluster behind it, one factory.

``open_cell(target, replicas, seed)`` builds the cell the selected target names (``embedded``: the
deterministic simulation, virtual seconds; ``real``: an etcd cluster on loopback, wall-clock seconds)
and waits for its first master. Scenario logic that is the same on both (trying a lock by turns,
retrying until one contender holds it) lives here too, written against the Protocol only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from livingspec.chubby.cell import ChubbyCell
from livingspec.chubby.client import ClientEvent
from livingspec.chubby.config import ChubbyConfig
from livingspec.chubby.errors import ChubbyError, ConfigError, LockDelayError, LockHeldError
from livingspec.chubby.store import LockMode, Sequencer

TARGETS = ("embedded", "real")
DEFAULT_SEED = 7  # the seed every shipped scenario's figures were written against
RETRY_TRIES = 300  # a retry loop gives up after this many rounds


class SessionView(Protocol):
    """A client's session as its client library sees it: its state and the events it raised."""

    state: str
    events: list[ClientEvent]


class ChubbyTarget(Protocol):
    """What the shared scenarios do to a cell, on the simulation or on etcd."""

    names: list[str]
    counts_lock_generations: bool

    def now(self) -> float: ...
    def run_for(self, seconds: float) -> None: ...
    def run_until(self, done: Callable[[], bool], within: float) -> bool: ...
    def master_name(self) -> str | None: ...
    @property
    def epoch(self) -> int: ...
    def wait_for_master(self, within: float | None = None) -> Any: ...
    def fail_master(self) -> str: ...
    def fail_replicas(self, count: int) -> list[str]: ...
    def fail_replica(self, name: str) -> str: ...
    def fail_follower(self) -> str: ...
    def crash(self, name: str) -> None: ...
    def restart(self, name: str) -> None: ...
    def is_up(self, name: str) -> bool: ...
    def is_serving(self, name: str) -> bool: ...
    def isolate(self, name: str) -> None: ...
    def heal(self) -> None: ...
    def caught_up(self, name: str) -> bool: ...
    def check_single_master(self) -> None: ...
    def timeline(self) -> list[dict[str, Any]]: ...
    def add_client(self, name: str) -> Any: ...
    def session(self, name: str) -> SessionView: ...
    def session_expired_at(self, client: str) -> float: ...
    def try_acquire(self, client: str, path: str, mode: LockMode, lock_delay: float) -> Sequencer: ...
    def release(self, client: str, path: str) -> None: ...
    def holders(self, path: str) -> int: ...
    def probe_exists(self, path: str) -> bool: ...
    def create_ephemeral(self, client: str, path: str) -> None: ...
    def write_file(self, client: str, path: str, contents: bytes) -> None: ...
    def read_file(self, client: str, path: str) -> bytes: ...
    def check_sequencer(self, sequencer: Sequencer, via: str = "checker") -> bool: ...
    def close(self) -> None: ...


def open_cell(
    target: str, config: ChubbyConfig, seed: int = DEFAULT_SEED, first_master: str | None = None
) -> ChubbyTarget:
    """A started cell with ``config`` on ``target``, its first master elected.

    ``seed`` fixes the simulation's randomness (etcd has none to fix); ``first_master`` lets that
    replica stand first (on etcd, the leader Raft elected hands it the lead). etcd keeps its own
    timings, so on the real target only ``config.replicas`` applies, and other settings are refused.
    A real target that cannot run here raises TargetUnavailableError (etcd missing) or its
    EtcdBudgetError subclass (more members than the machine allows).
    """
    cell: ChubbyTarget
    if target == "embedded":
        cell = ChubbyCell(config, seed=seed, first_master=first_master)
    elif target == "real":
        from livingspec.chubby.etcd import EtcdCell

        if config != ChubbyConfig(replicas=config.replicas):
            raise ConfigError("etcd keeps its own timings: only the replica count of a described cell applies")
        etcd = EtcdCell(config.replicas)
        try:
            etcd.start()
            if first_master is not None:
                etcd.hand_lead_to(first_master)
        except BaseException:
            etcd.close()
            raise
        cell = etcd
    else:
        raise ConfigError(f"unknown target {target!r}; known: {', '.join(TARGETS)}")
    try:
        cell.wait_for_master()
    except BaseException:
        cell.close()
        raise
    return cell


@dataclass
class LockRound:
    """What contenders got from a lock: each one's sequencer or refusal, the holder, when and after what."""

    sequencers: dict[str, Sequencer] = field(default_factory=dict)
    refused: dict[str, ChubbyError] = field(default_factory=dict)
    leader: str | None = None
    taken_at: float | None = None
    lock_delay_until: float | None = None  # the last lock-delay a contender ran into, if any


def try_each(cell: ChubbyTarget, names: Sequence[str], path: str, lock_delay: float) -> LockRound:
    """Each contender in turn tries once for the exclusive lock; a refusal is kept, not raised."""
    outcome = LockRound()
    for name in names:
        try:
            outcome.sequencers[name] = cell.try_acquire(name, path, LockMode.EXCLUSIVE, lock_delay)
            outcome.leader, outcome.taken_at = name, cell.now()
        except (LockHeldError, LockDelayError) as error:
            outcome.refused[name] = error
    return outcome


def retry_until_held(cell: ChubbyTarget, names: Sequence[str], path: str, period: float) -> LockRound:
    """Contenders retry the exclusive lock (no lock-delay of their own) every ``period`` seconds until one holds it.

    Bounded to RETRY_TRIES rounds; LockHeldError naming the contenders if none got it.
    """
    outcome = LockRound()
    for _ in range(RETRY_TRIES):
        for name in names:
            try:
                outcome.sequencers[name] = cell.try_acquire(name, path, LockMode.EXCLUSIVE, 0.0)
            except LockDelayError as error:
                outcome.lock_delay_until = error.until
                continue
            except LockHeldError:
                continue
            outcome.leader, outcome.taken_at = name, cell.now()
            return outcome
        cell.run_for(period)
    raise LockHeldError(f"none of {', '.join(names)} got {path} in {RETRY_TRIES} tries")
