"""A recorded timeline: events in the order they happened, the causal edges between them and the
state snapshots of named objects, with the queries a debugger asks of the past.

Invariants: ``events[i].index == i``; the list order is a linearisation of happens-before (an
event's causes all come before it); every edge points forward (``source < target``); snapshots
of an object are kept in event order, so "the state at event i" is the last snapshot at or before i.
"""

from __future__ import annotations

import bisect
import functools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

from livingspec.temporal.clocks import VectorClock
from livingspec.temporal.errors import UnknownEventError, UnknownObjectError

#: Access kinds: reads and writes of shared objects (what races are made of) and synchronisation
#: operations (lock, queue, task start/end), which order events but never race.
READ, WRITE, SYNC = "read", "write", "sync"


@dataclass(frozen=True, slots=True)
class Frame:
    """One line of a recorded stack: where in the program an event was produced."""

    file: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.function} ({os.path.basename(self.file)}:{self.line})"


@functools.lru_cache(maxsize=4096)
def _frame(code: CodeType, offset: int) -> Frame:
    """The source line of an instruction offset (what ``frame.f_lineno`` would have said)."""
    line = code.co_firstlineno
    for start, end, number in code.co_lines():
        if start <= offset < end and number is not None:
            line = number
            break
    return Frame(code.co_filename, line, code.co_name)


@dataclass(slots=True, eq=False)
class Event:
    """One thing that happened, stamped with wall-clock and logical time.

    ``local`` is this task's own event count (its vector-clock entry); ``base`` is what the task
    knew of the others at its last receive, so the full vector clock is ``base`` with ``task``
    set to ``local``. Keeping the two apart makes recording an event cheap (no copy).
    """

    index: int  # position in the timeline
    time: float  # seconds on the recorder's monotonic clock (simulated under the controlled loop)
    task: str  # the asyncio task or thread that produced it
    kind: str  # what happened, e.g. ADD_TO_CART_COMPLETE
    obj: str | None  # the object it touched, if any
    access: str | None  # READ, WRITE, SYNC or None
    data: dict[str, Any]  # the event's payload
    lamport: int  # Lamport clock
    local: int  # this task's event count
    base: Mapping[str, int]  # vector clock inherited at the last receive
    step: int  # scheduler step that produced it (-1 outside the controlled loop)
    raw_stack: tuple[tuple[CodeType, int], ...] = ()  # (code, instruction offset), innermost first

    def clock_of(self, task: str) -> int:
        """This event's vector-clock entry for ``task``."""
        return self.local if task == self.task else self.base.get(task, 0)

    @property
    def vclock(self) -> VectorClock:
        """The event's vector clock."""
        return VectorClock({**self.base, self.task: self.local})

    @property
    def stack(self) -> tuple[Frame, ...]:
        """Where the event was produced, innermost frame first."""
        return tuple(_frame(code, offset) for code, offset in self.raw_stack)

    def happens_before(self, other: Event) -> bool:
        """True when this event is a cause of ``other`` (a path of program order and causal edges)."""
        return self is not other and self.local <= other.clock_of(self.task)

    def concurrent_with(self, other: Event) -> bool:
        """Neither event is a cause of the other."""
        return self is not other and not self.happens_before(other) and not other.happens_before(self)

    def label(self) -> str:
        """A short human name: ``#5 ADD_TO_CART_COMPLETE (add-product1)``."""
        return f"#{self.index} {self.kind} ({self.task})"

    def where(self) -> str:
        """The innermost stack frame, or '?' when stacks were not captured."""
        return str(self.stack[0]) if self.raw_stack else "?"

    def record(self) -> dict[str, Any]:
        """A flat dict for tables and JSON."""
        return {
            "event": self.index,
            "time": self.time,
            "task": self.task,
            "kind": self.kind,
            "object": self.obj or "",
            "access": self.access or "",
            "data": dict(self.data),
            "lamport": self.lamport,
            "vclock": dict(self.vclock),
            "stack": [str(frame) for frame in self.stack],
        }


@dataclass(frozen=True, slots=True)
class Edge:
    """A causal edge: ``source`` must happen before ``target`` (task creation, join, lock hand-over, queue put/get)."""

    kind: str
    source: int
    target: int


@dataclass(slots=True)
class TaskInfo:
    """A task or thread seen by the recorder."""

    name: str
    parent: str | None = None
    spawn_event: int | None = None
    first_event: int | None = None
    last_event: int | None = None
    end_event: int | None = None


@dataclass
class Timeline:
    """What a recorder saw, queryable at any point."""

    events: list[Event]
    edges: list[Edge]
    tasks: dict[str, TaskInfo]
    snapshots: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __getitem__(self, index: int) -> Event:
        if not 0 <= index < len(self.events):
            raise UnknownEventError(index, len(self.events))
        return self.events[index]

    # ---- queries -------------------------------------------------------------------------------
    def where(
        self, kind: str | None = None, task: str | None = None, obj: str | None = None, **data: Any
    ) -> list[Event]:
        """The events matching every given field (data fields compared by value)."""
        return [
            e
            for e in self.events
            if (kind is None or e.kind == kind)
            and (task is None or e.task == task)
            and (obj is None or e.obj == obj)
            and all(e.data.get(k) == v for k, v in data.items())
        ]

    def first(self, kind: str, **data: Any) -> Event:
        """The first event of a kind (with matching data), or UnknownEventError."""
        found = self.where(kind, **data)
        if not found:
            raise UnknownEventError(-1, len(self.events))
        return found[0]

    def state_at(self, name: str, index: int) -> Any:
        """The snapshot of tracked object ``name`` as it was at event ``index`` (None before any)."""
        if name not in self.snapshots:
            raise UnknownObjectError(name, sorted(self.snapshots))
        self[index]  # validates the index
        history = self.snapshots[name]
        position = bisect.bisect_right([at for at, _ in history], index)
        return history[position - 1][1] if position else None

    def series(self, name: str, measure: Callable[[Any], float] = len) -> list[tuple[float, float]]:
        """(time, measure(state)) at every snapshot of ``name``: how the object evolved."""
        if name not in self.snapshots:
            raise UnknownObjectError(name, sorted(self.snapshots))
        return [(self.events[at].time, float(measure(state))) for at, state in self.snapshots[name]]

    def causal_past(self, index: int) -> list[Event]:
        """Every event that happens before event ``index`` (its historical context)."""
        target = self[index]
        return [e for e in self.events[:index] if e.happens_before(target)]

    def edges_into(self, index: int) -> list[Edge]:
        """The causal edges arriving at event ``index``."""
        return [edge for edge in self.edges if edge.target == index]

    def records(
        self, fields: Sequence[str] = ("event", "time", "task", "kind", "object", "data")
    ) -> list[dict[str, Any]]:
        """The events as flat dicts restricted to ``fields`` (for tables)."""
        return [{k: r[k] for k in fields} for r in (e.record() for e in self.events)]

    def signature(self) -> list[tuple[Any, ...]]:
        """What must be equal between a run and its replay: every event's identity, payload and clocks."""
        return [(e.task, e.kind, e.obj, e.access, repr(e.data), e.lamport, e.time) for e in self.events]

    def growth_rate(self, name: str, measure: Callable[[Any], float] = len) -> float:
        """Least-squares slope of ``measure(state)`` per second over the timeline (a leak grows steadily)."""
        points = self.series(name, measure)
        if len(points) < 2:
            return 0.0
        mean_t = sum(t for t, _ in points) / len(points)
        mean_v = sum(v for _, v in points) / len(points)
        spread = sum((t - mean_t) ** 2 for t, _ in points)
        if spread == 0:
            return 0.0
        return sum((t - mean_t) * (v - mean_v) for t, v in points) / spread
