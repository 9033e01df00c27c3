"""Deterministic discrete-event simulation: a virtual clock (simpy), seeded randomness, a faulty network.

Every Chubby replica and client is a node on a simulated network. Time is virtual (seconds, a float
that only the event loop advances), randomness comes from one seeded ``random.Random``, so a seed
replays a run exactly. The network delays each message by a random time, and can drop, duplicate
and partition; a crashed node receives nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import simpy


class Simulation:
    """The virtual clock and event loop (simpy's Environment), plus the seeded random generator."""

    def __init__(self, seed: int = 0) -> None:
        self.env = simpy.Environment()
        self.seed = seed
        self.rng = random.Random(seed)
        self.events_processed = 0

    def now(self) -> float:
        """Virtual time in seconds."""
        return float(self.env.now)

    def call_later(self, delay: float, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` after ``delay`` virtual seconds (>= 0)."""
        timeout = self.env.timeout(max(0.0, delay))
        timeout.callbacks.append(lambda _event: function(*args))  # type: ignore[union-attr]

    def run_for(self, seconds: float) -> None:
        """Advance the clock by ``seconds``, processing every event due on the way."""
        self.run_until(lambda: False, self.now() + seconds)

    def run_until(self, done: Callable[[], bool], deadline: float) -> bool:
        """Process events until ``done()`` holds or the clock would pass ``deadline``; True if done."""
        env = self.env
        while not done():
            if env.peek() > deadline:
                if env.now < deadline:
                    env.run(until=deadline)  # nothing is due before it: just move the clock
                return done()
            env.step()
            self.events_processed += 1
        return True


class Receiver(Protocol):
    """A node that can take a message from the network."""

    name: str
    up: bool

    def receive(self, source: str, message: Any) -> None: ...


@dataclass
class NetworkConfig:
    """How the simulated network misbehaves. Delays in virtual seconds, rates in [0, 1]."""

    min_delay: float = 0.001  # one-way latency floor (a LAN)
    max_delay: float = 0.005  # latency ceiling; the spread reorders messages
    drop_rate: float = 0.0  # chance a message is lost
    duplicate_rate: float = 0.0  # chance a message is delivered twice


@dataclass
class Network:
    """Point-to-point messages between named nodes, with delay, loss, duplication and partitions.

    Invariant: a message is delivered only if, at delivery time, the destination is up and the
    two ends are in the same partition group. Messages a node sends to itself always arrive.
    """

    sim: Simulation
    config: NetworkConfig = field(default_factory=NetworkConfig)
    nodes: dict[str, Receiver] = field(default_factory=dict)
    group_of: dict[str, int] = field(default_factory=dict)  # partition group per node; absent = 0
    sent: int = 0
    delivered: int = 0

    def attach(self, node: Receiver) -> None:
        """Put a node on the network."""
        self.nodes[node.name] = node

    def connected(self, a: str, b: str) -> bool:
        """Whether a and b are on the same side of every partition."""
        return self.group_of.get(a, 0) == self.group_of.get(b, 0)

    def partition(self, *groups: list[str]) -> None:
        """Split the network: nodes in each group talk among themselves; unnamed nodes form group 0."""
        self.group_of = {name: index + 1 for index, group in enumerate(groups) for name in group}

    def isolate(self, name: str) -> None:
        """Cut one node off from every other node."""
        self.group_of[name] = max([0, *self.group_of.values()]) + 1

    def heal(self) -> None:
        """Remove every partition."""
        self.group_of = {}

    def send(self, source: str, destination: str, message: Any) -> None:
        """Send a message; it may be delayed, lost or duplicated on the way."""
        self.sent += 1
        sim, cfg = self.sim, self.config
        if source == destination:
            sim.call_later(0.0, self._deliver, source, destination, message)
            return
        if cfg.drop_rate and sim.rng.random() < cfg.drop_rate:
            return
        copies = 2 if cfg.duplicate_rate and sim.rng.random() < cfg.duplicate_rate else 1
        for _ in range(copies):
            delay = sim.rng.uniform(cfg.min_delay, cfg.max_delay)
            sim.call_later(delay, self._deliver, source, destination, message)

    def _deliver(self, source: str, destination: str, message: Any) -> None:
        node = self.nodes.get(destination)
        if node is None or not node.up or not self.connected(source, destination):
            return
        self.delivered += 1
        node.receive(source, message)
