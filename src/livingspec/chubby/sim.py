"""Deterministic discrete-event simulation: a virtual clock, seeded randomness, a faulty network.

Every Chubby replica and client is a node on a simulated network. Time is virtual (seconds, a float
that only the event loop advances), randomness comes from one seeded ``random.Random``, so a seed
replays a run exactly. The network delays each message by a random time, and can drop, duplicate
and partition; a crashed node receives nothing.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class Simulation:
    """The virtual clock and event loop, plus the seeded random generator.

    The loop is a binary heap of ``(due time, sequence number, function, arguments)``: the same
    order as simpy's (time, then scheduling order), without an event object per timer, which is
    what kept the simulation at a fraction of bare simpy's pace (benchmarks/chubby.py measures both).
    ``time`` is the clock (read it on hot paths; ``now()`` is the same value).
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.events_processed = 0
        self.time = 0.0
        self._queue: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._next_sequence = itertools.count().__next__

    def now(self) -> float:
        """Virtual time in seconds."""
        return self.time

    def call_later(self, delay: float, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` after ``delay`` virtual seconds (>= 0)."""
        due = self.time + delay if delay > 0.0 else self.time
        heapq.heappush(self._queue, (due, self._next_sequence(), function, args))

    def run_for(self, seconds: float) -> None:
        """Advance the clock by ``seconds``, processing every event due on the way."""
        deadline = self.time + seconds
        queue, pop = self._queue, heapq.heappop
        processed = 0
        while queue and queue[0][0] <= deadline:
            event = pop(queue)
            self.time = event[0]
            event[2](*event[3])
            processed += 1
        self.events_processed += processed
        self.time = max(self.time, deadline)

    def run_until(self, done: Callable[[], bool], deadline: float) -> bool:
        """Process events until ``done()`` holds or the clock would pass ``deadline``; True if done."""
        queue, pop = self._queue, heapq.heappop
        while not done():
            if not queue or queue[0][0] > deadline:
                self.time = max(self.time, deadline)  # nothing is due before it: just move the clock
                return done()
            event = pop(queue)
            self.time = event[0]
            event[2](*event[3])
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
        rng = sim.rng
        if cfg.drop_rate and rng.random() < cfg.drop_rate:
            return
        duplicate = cfg.duplicate_rate and rng.random() < cfg.duplicate_rate
        low, span = cfg.min_delay, cfg.max_delay - cfg.min_delay
        # low + span * random() is rng.uniform's own formula: the same draws, without its call
        sim.call_later(low + span * rng.random(), self._deliver, source, destination, message)
        if duplicate:
            sim.call_later(low + span * rng.random(), self._deliver, source, destination, message)

    def _deliver(self, source: str, destination: str, message: Any) -> None:
        node = self.nodes.get(destination)
        if node is None or not node.up:
            return
        group_of = self.group_of
        if group_of and group_of.get(source, 0) != group_of.get(destination, 0):
            return
        self.delivered += 1
        node.receive(source, message)
