"""The recorder: events from asyncio tasks and threads with monotonic time, Lamport and vector
clocks, causal edges and state snapshots.

Each task (or thread) keeps a Lamport counter, its own event count and the vector clock it
inherited at its last *receive*. A receive is the far end of a causal edge:

- task creation: the child starts knowing everything its parent knew at the spawn event;
- join (awaiting a task): the joiner learns everything up to the joined task's end event, whether
  it awaits the task itself, through ``asyncio.gather``, a ``TaskGroup`` or ``recorder.join``
  (``causality`` derives these edges from the loop's wake-ups);
- lock hand-over: an acquire learns everything up to the previous release of that lock;
- queue put/get: a get learns everything up to the put of the item it received.

Reads and writes of named objects are the accesses the race detector examines; ``write`` also
snapshots a tracked object so the timeline can say what it held at any event.
"""

from __future__ import annotations

import asyncio
import copy
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from types import CodeType
from typing import Any, Generic, TypeVar, cast

from livingspec.temporal.errors import TemporalError
from livingspec.temporal.timeline import READ, SYNC, WRITE, Edge, Event, TaskInfo, Timeline

T = TypeVar("T")

#: Which events record a stack: every one, reads and writes only, or none.
STACK_MODES = ("all", "accesses", "none")

# Frames from these folders are machinery, not the program: stacks stop at asyncio or threading.
_HERE = os.path.abspath(__file__)
_STOP = (os.path.dirname(asyncio.__file__), os.path.abspath(threading.__file__))
# asyncio's interface for code that runs inside event loops (listed in the __all__ of asyncio.events).
_running_loop = asyncio._get_running_loop
_current_task = asyncio.current_task


@dataclass(slots=True)
class _TaskState:
    """Per-task clocks. ``base`` is replaced (never mutated) at a receive, so events can share it."""

    info: TaskInfo
    lamport: int = 0
    local: int = 0
    base: dict[str, int] = field(default_factory=dict)
    pending: list[tuple[str, int]] = field(default_factory=list)  # edges into the next event
    learned: list[Event] = field(default_factory=list)  # sources told by wake-ups, merged at the next event
    last: Event | None = None


class Recorder:
    """Records events of the running task or thread into one timeline.

    ``now`` is the monotonic clock (injected: the controlled loop passes its simulated time).
    ``stacks`` says which events record where they were produced (the innermost ``stack_depth``
    frames of the program, asyncio and threading machinery left out): ``"accesses"`` (reads and
    writes, what race reports show; the default), ``"all"`` (as the seed does) or ``"none"``.
    A stack costs several microseconds, more than the rest of the event.
    """

    def __init__(
        self, now: Callable[[], float] = time.monotonic, *, stacks: str = "accesses", stack_depth: int = 6
    ) -> None:
        if stacks not in STACK_MODES:
            raise TemporalError(f"stacks must be one of {', '.join(STACK_MODES)}, got {stacks!r}")
        self.now = now
        self.stacks = stacks
        kinds: dict[str, set[str | None]] = {"all": {None, READ, WRITE, SYNC}, "accesses": {READ, WRITE}, "none": set()}
        self._stack_kinds = kinds[stacks]
        self.stack_depth = stack_depth
        self.step = -1  # set by the controlled loop before each scheduling step
        self.events: list[Event] = []
        self.edges: list[Edge] = []
        self.tasks: dict[str, TaskInfo] = {}
        self._states: dict[object, _TaskState] = {}
        self._unnamed: dict[object, Event | None] = {}  # tasks created by install()'s factory, named later
        self._objects: dict[str, tuple[Any, Callable[[Any], Any]]] = {}
        self._snapshots: dict[str, list[tuple[int, Any]]] = {}
        self._guard = threading.Lock()

    # ---- identity ------------------------------------------------------------------------------
    @staticmethod
    def _key() -> object:
        loop = _running_loop()
        if loop is None:
            return threading.get_ident()
        task = _current_task(loop)
        return task if task is not None else threading.get_ident()

    def _unique(self, name: str) -> str:
        if name not in self.tasks:
            return name
        n = 2
        while f"{name}#{n}" in self.tasks:
            n += 1
        return f"{name}#{n}"

    def _state(self, key: object) -> _TaskState:
        state = self._states.get(key)
        if state is None:
            if key in self._unnamed:
                return self._register(key, cast("asyncio.Task[Any]", key).get_name(), self._unnamed.pop(key))
            if isinstance(key, asyncio.Task):
                name = key.get_name()
            else:
                thread = threading.current_thread()
                name = "main" if thread is threading.main_thread() else thread.name
            info = TaskInfo(self._unique(name))
            self.tasks[info.name] = info
            state = self._states[key] = _TaskState(info)
        return state

    def task_name(self, task: object) -> str:
        """The recorder's (unique) name for a registered task."""
        with self._guard:
            return self._state(task).info.name

    def current_task_name(self) -> str:
        """The recorder's name for the running task or thread."""
        with self._guard:
            return self._state(self._key()).info.name

    # ---- the core: one event -------------------------------------------------------------------
    def _stack(self) -> tuple[tuple[CodeType, int], ...]:
        # (code, instruction offset) per frame: line numbers are worked out only when a stack is read.
        frames: list[tuple[CodeType, int]] = []
        frame = sys._getframe(3)
        while frame is not None and len(frames) < self.stack_depth:
            code = frame.f_code
            filename = code.co_filename
            if filename.startswith(_STOP):
                break
            if filename != _HERE:
                frames.append((code, frame.f_lasti))
            frame = frame.f_back  # type: ignore[assignment]
        return tuple(frames)

    def _emit(
        self,
        kind: str,
        obj: str | None,
        access: str | None,
        data: dict[str, Any],
        receive: Sequence[tuple[str, Event]] = (),
        key: object = None,
    ) -> Event:
        stack = self._stack() if access in self._stack_kinds else ()
        with self._guard:
            if key is None:
                key = self._key()
            state = self._states.get(key) or self._state(key)
            if receive or state.learned:
                self._receive(state, receive)
            state.lamport += 1
            state.local += 1
            index = len(self.events)
            event = Event(
                index, self.now(), state.info.name, kind, obj, access, data,
                state.lamport, state.local, state.base, self.step, stack,
            )  # fmt: skip
            self.events.append(event)
            if state.pending:
                self.edges.extend(Edge(k, source, index) for k, source in state.pending)
                state.pending = []
            info = state.info
            if info.first_event is None:
                info.first_event = index
            info.last_event = index
            state.last = event
            if access == WRITE and obj in self._objects:
                target, snapshot = self._objects[obj]
                self._snapshots[obj].append((index, snapshot(target)))
            return event

    @staticmethod
    def _receive(state: _TaskState, receive: Sequence[tuple[str, Event]]) -> None:
        """Merge explicit receives, then what wake-ups told the task that it did not know yet."""
        base = dict(state.base)
        own = state.info.name
        learned = [("join" if s.kind == "end" else "wake", s) for s in state.learned]
        state.learned = []
        for n, (edge_kind, source) in enumerate([*receive, *learned]):
            if n >= len(receive) and (source.task == own or source.local <= base.get(source.task, 0)):
                continue  # a wake-up that brings nothing new adds no edge
            for task, count in source.base.items():
                if count > base.get(task, 0):
                    base[task] = count
            if source.local > base.get(source.task, 0):
                base[source.task] = source.local
            state.lamport = max(state.lamport, source.lamport)
            state.pending.append((edge_kind, source.index))
        state.base = base

    def learn(self, task: object, sources: Sequence[Event]) -> None:
        """Tell ``task`` (at its next event) everything up to ``sources``: what woke it knew them."""
        with self._guard:
            self._state(task).learned.extend(sources)

    def last_event(self, task: object) -> Event | None:
        """The latest event recorded by ``task``, or None."""
        state = self._states.get(task)
        return state.last if state is not None else None

    # ---- what programs call --------------------------------------------------------------------
    def log(self, kind: str, **data: Any) -> Event:
        """Record a plain event (the seed's logEvent)."""
        return self._emit(kind, None, None, data)

    def read(self, obj: str, kind: str = "read", **data: Any) -> Event:
        """Record a read of shared object ``obj``."""
        return self._emit(kind, obj, READ, data)

    def write(self, obj: str, kind: str = "write", **data: Any) -> Event:
        """Record a write of shared object ``obj`` (call it after the change: a tracked object is snapshotted)."""
        return self._emit(kind, obj, WRITE, data)

    def track(self, name: str, target: Any, snapshot: Callable[[Any], Any] = copy.deepcopy) -> Event:
        """Keep snapshots of ``target`` under ``name``: now, and after every write to ``name``."""
        with self._guard:
            self._objects[name] = (target, snapshot)
            self._snapshots[name] = []
        return self._emit("track", name, WRITE, {})

    # ---- asyncio tasks -------------------------------------------------------------------------
    def spawned(self, task: asyncio.Task[Any], name: str | None = None) -> None:
        """Register a new task, created by the running task: a spawn event and a spawn edge into the child.

        Without a name (an ordinary loop's task factory runs before asyncio names the task) the
        task is named at its first event, and the spawn event's ``child`` is filled in then.
        """
        parent_key = self._key()
        parent: Event | None = None
        if isinstance(parent_key, asyncio.Task) or parent_key in self._states:
            label = name or "?"
            parent = self._emit("spawn", f"task:{label}", SYNC, {"child": label}, key=parent_key)
        if name is None:
            with self._guard:
                self._unnamed[task] = parent
            return
        with self._guard:
            self._register(task, name, parent)

    def _register(self, task: object, name: str, parent: Event | None) -> _TaskState:
        info = TaskInfo(self._unique(name))
        self.tasks[info.name] = info
        state = _TaskState(info)
        if parent is not None:
            info.parent, info.spawn_event = parent.task, parent.index
            state.base = dict(parent.vclock)
            state.lamport = parent.lamport
            state.pending.append(("spawn", parent.index))
            parent.data["child"], parent.obj = info.name, f"task:{info.name}"
        self._states[task] = state
        return state

    def rename(self, task: object, name: str) -> str:
        """Give a task that has recorded nothing yet another name (TaskGroup names its tasks after creating them).

        Returns the task's name afterwards: the new one made unique, or the old one once it has events.
        """
        with self._guard:
            state = self._states.get(task)
            if state is None:
                return name
            info = state.info
            if info.first_event is not None or info.name == name:
                return info.name
            del self.tasks[info.name]
            info.name = self._unique(name)
            self.tasks[info.name] = info
            if info.spawn_event is not None:
                spawn = self.events[info.spawn_event]
                spawn.data["child"], spawn.obj = info.name, f"task:{info.name}"
            return info.name

    def ended(self, task: asyncio.Task[Any]) -> Event:
        """Record the end of a task (called from inside it as its coroutine finishes)."""
        with self._guard:
            name = self._state(task).info.name
        event = self._emit("end", f"task:{name}", SYNC, {}, key=task)
        self._state(task).info.end_event = event.index
        return event

    def wrap(self, coro: Coroutine[Any, Any, T]) -> Coroutine[Any, Any, T]:
        """The coroutine, followed by an ``end`` event in the same task."""

        async def body() -> T:
            closed = False
            try:
                return await coro
            except GeneratorExit:  # closed unfinished (garbage collected): no end to record
                closed = True
                raise
            finally:
                loop = _running_loop()
                task = _current_task(loop) if loop is not None and not closed else None
                if task is not None:
                    self.ended(task)

        return body()

    async def join(self, *tasks: Awaitable[Any]) -> list[Any]:
        """Await tasks (like gather) and record one ``join`` event that learns everything up to their ends."""
        results = await asyncio.gather(*tasks)
        receive: list[tuple[str, Event]] = []
        for task in tasks:
            state = self._states.get(task)
            if state is not None and state.info.end_event is not None:
                receive.append(("join", self.events[state.info.end_event]))
        names = [self._states[t].info.name for t in tasks if t in self._states]
        self._emit("join", None, SYNC, {"joined": names}, receive)
        return list(results)

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Record every task created on an ordinary asyncio loop (spawn edges, end events).

        A task factory alone cannot see who awaits whom: run on ``RecordingLoop`` (or the
        controlled loop) for the edges of ``await task``, gather and TaskGroup.
        """
        recorder = self

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
            task: asyncio.Task[Any] = asyncio.Task(recorder.wrap(coro), loop=loop, **kwargs)
            recorder.spawned(task)
            return task

        loop.set_task_factory(factory)  # type: ignore[arg-type]

    # ---- synchronisation objects -----------------------------------------------------------------
    def lock(self, name: str) -> TracedLock:
        """An asyncio lock whose hand-over is a causal edge."""
        return TracedLock(self, name)

    def queue(self, name: str) -> TracedQueue[Any]:
        """An asyncio queue whose put/get pairs are causal edges."""
        return TracedQueue(self, name)

    def thread_lock(self, name: str) -> TracedThreadLock:
        """A threading lock whose hand-over is a causal edge."""
        return TracedThreadLock(self, name)

    def thread(self, target: Callable[..., Any], name: str, *args: Any) -> TracedThread:
        """A thread whose start and join are causal edges (start it with ``.start()``)."""
        return TracedThread(self, target, name, args)

    # ---- result ----------------------------------------------------------------------------------
    def timeline(self) -> Timeline:
        """Everything recorded so far."""
        with self._guard:
            return Timeline(
                list(self.events),
                list(self.edges),
                dict(self.tasks),
                {name: list(history) for name, history in self._snapshots.items()},
            )


class TracedLock:
    """asyncio.Lock with the hand-over recorded: each acquire receives from the previous release."""

    def __init__(self, recorder: Recorder, name: str) -> None:
        self.recorder, self.name = recorder, name
        self._lock = asyncio.Lock()
        self._released: Event | None = None

    async def acquire(self) -> None:
        """Wait for the lock, then record the acquire (a ``wait`` event first if it is held)."""
        if self._lock.locked():
            # The blocked attempt touches the lock too: explorers must see it to reorder it.
            self.recorder._emit("wait", self.name, SYNC, {})
        await self._lock.acquire()
        receive = [("lock", self._released)] if self._released is not None else []
        self.recorder._emit("acquire", self.name, SYNC, {}, receive)

    def release(self) -> None:
        """Record the release, then release the lock."""
        self._released = self.recorder._emit("release", self.name, SYNC, {})
        self._lock.release()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()


class TracedQueue(Generic[T]):
    """asyncio.Queue whose items carry their put event; each get receives from it."""

    def __init__(self, recorder: Recorder, name: str) -> None:
        self.recorder, self.name = recorder, name
        self._queue: asyncio.Queue[tuple[T, Event]] = asyncio.Queue()

    def put_nowait(self, item: T) -> None:
        """Record the put and enqueue the item."""
        event = self.recorder._emit("put", self.name, SYNC, {"item": repr(item)})
        self._queue.put_nowait((item, event))

    async def put(self, item: T) -> None:
        """Same as put_nowait (the queue is unbounded)."""
        self.put_nowait(item)

    async def get(self) -> T:
        """Wait for an item and record the get, which learns everything up to its put (``wait`` first if empty)."""
        if self._queue.empty():
            self.recorder._emit("wait", self.name, SYNC, {})
        item, put = await self._queue.get()
        self.recorder._emit("get", self.name, SYNC, {"item": repr(item)}, [("queue", put)])
        return item

    def qsize(self) -> int:
        """Items waiting."""
        return self._queue.qsize()


class TracedThreadLock:
    """threading.Lock with the hand-over recorded."""

    def __init__(self, recorder: Recorder, name: str) -> None:
        self.recorder, self.name = recorder, name
        self._lock = threading.Lock()
        self._released: Event | None = None

    def __enter__(self) -> None:
        self._lock.acquire()
        receive = [("lock", self._released)] if self._released is not None else []
        self.recorder._emit("acquire", self.name, SYNC, {}, receive)

    def __exit__(self, *exc: object) -> None:
        self._released = self.recorder._emit("release", self.name, SYNC, {})
        self._lock.release()


class TracedThread(threading.Thread):
    """A thread whose creation and join are causal edges, like a task's."""

    def __init__(self, recorder: Recorder, target: Callable[..., Any], name: str, args: Sequence[Any]) -> None:
        super().__init__(name=name, daemon=True)
        self.recorder = recorder
        self._work, self._work_args = target, tuple(args)
        self._spawn: Event | None = None
        self._end: Event | None = None

    def start(self) -> None:
        self._spawn = self.recorder._emit("spawn", f"task:{self.name}", SYNC, {"child": self.name})
        super().start()

    def run(self) -> None:
        recorder = self.recorder
        with recorder._guard:
            info = TaskInfo(recorder._unique(self.name))
            recorder.tasks[info.name] = info
            state = _TaskState(info)
            if self._spawn is not None:
                info.parent, info.spawn_event = self._spawn.task, self._spawn.index
                state.base, state.lamport = dict(self._spawn.vclock), self._spawn.lamport
                state.pending.append(("spawn", self._spawn.index))
            recorder._states[threading.get_ident()] = state
        try:
            self._work(*self._work_args)
        finally:
            self._end = recorder._emit("end", f"task:{info.name}", SYNC, {})
            info.end_event = self._end.index
            with recorder._guard:
                recorder._states.pop(threading.get_ident(), None)

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self._end is not None:
            self.recorder._emit("join", None, SYNC, {"joined": [self.name]}, [("join", self._end)])
