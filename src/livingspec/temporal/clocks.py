"""Logical clocks: Lamport scalars and Fidge/Mattern vector clocks.

Lamport (1978), "Time, Clocks, and the Ordering of Events in a Distributed System": each process
counts its events; a message carries the sender's count and the receiver jumps past it, so
a -> b (a happens before b) implies L(a) < L(b), but not the converse.

Fidge (1988) and Mattern (1989) keep one counter per process. Event a happens before b exactly
when VC(a) <= VC(b) component-wise and VC(a) != VC(b); neither ordered means the two are
concurrent. Here a "process" is an asyncio task or a thread.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping


class VectorClock(Mapping[str, int]):
    """An immutable vector clock: task name -> number of that task's events known (absent = 0)."""

    __slots__ = ("_entries",)

    def __init__(self, entries: Mapping[str, int] | None = None) -> None:
        self._entries: dict[str, int] = {k: v for k, v in (entries or {}).items() if v}

    def __getitem__(self, task: str) -> int:
        return self._entries.get(task, 0)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, VectorClock):
            return self._entries == other._entries
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self._entries.items()))

    def __le__(self, other: VectorClock) -> bool:
        return all(v <= other[k] for k, v in self._entries.items())

    def __lt__(self, other: VectorClock) -> bool:
        return self <= other and self != other

    def tick(self, task: str) -> VectorClock:
        """The clock after one more local event of ``task``."""
        return VectorClock({**self._entries, task: self[task] + 1})

    def merge(self, other: Mapping[str, int]) -> VectorClock:
        """The component-wise maximum (what a receiver knows after a message)."""
        merged = dict(self._entries)
        for task, count in other.items():
            merged[task] = max(merged.get(task, 0), count)
        return VectorClock(merged)

    def happens_before(self, other: VectorClock) -> bool:
        """Strictly earlier in causal order."""
        return self < other

    def concurrent(self, other: VectorClock) -> bool:
        """Neither clock is causally before the other."""
        return not (self <= other) and not (other <= self)

    def __repr__(self) -> str:
        return "VectorClock({" + ", ".join(f"{k!r}: {self._entries[k]}" for k in self) + "})"

    def __str__(self) -> str:
        return "{" + ", ".join(f"{k}: {self._entries[k]}" for k in self) + "}"
