"""A controlled scheduler for asyncio programs: an interleaving becomes a value you can replay.

The loop is an asyncio event loop (built on asyncio's public loop interface) that asks a
*strategy* which ready task runs next. A scheduling *step* runs one task until its next ``await``
that yields. Callbacks that belong to no task (future bookkeeping, gather) run at once in FIFO
order: they hold no program logic.

Time is simulated: ``loop.time()`` only moves when a timer fires, so ``asyncio.sleep(0.066)``
takes no wall time. Two treatments of delays:

- ``respect``: timers fire in deadline order once no task is ready, as on a real loop whose
  callbacks take no time. This is what the program does with the delays it was given.
- ``any``: a task waiting on a timer may wake at any step (its delay is unknown, like the seed's
  ``Math.random() * 100``); time jumps to the timer's deadline if that is later. This is the mode
  that explores every order in which the delays could have come out.

The sequence of tasks chosen at each step is the ``Schedule``; replaying it on the same program
gives the same events in the same order.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import heapq
import inspect
import itertools
import logging
import random
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from livingspec.temporal.causality import Causality, Knowledge, recorded_task
from livingspec.temporal.errors import DeadlockError, ScheduleDivergedError, ScheduleError, StepLimitError
from livingspec.temporal.recorder import Recorder
from livingspec.temporal.timeline import Timeline

DELAY_MODES = ("respect", "any")

Program = Callable[[Recorder], Coroutine[Any, Any, Any]]


@dataclass(frozen=True)
class Schedule:
    """The task chosen at every scheduling step, and how delays were treated: a replayable interleaving."""

    steps: tuple[str, ...]
    delays: str = "any"

    def __str__(self) -> str:
        return f"{self.delays}: " + ", ".join(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """Read back ``str(schedule)``: ``"any: main, add-product1, ..."``."""
        mode, sep, rest = text.partition(":")
        if not sep or mode.strip() not in DELAY_MODES:
            raise ScheduleError(f"a schedule starts with 'respect:' or 'any:', got {text[:40]!r}")
        steps = tuple(part.strip() for part in rest.split(",") if part.strip())
        return cls(steps, mode.strip())

    def order(self) -> list[str]:
        """The tasks in the order they first ran after one another (consecutive repeats merged)."""
        merged: list[str] = []
        for name in self.steps:
            if not merged or merged[-1] != name:
                merged.append(name)
        return merged


# ---- strategies --------------------------------------------------------------------------------
class Strategy(Protocol):
    """Decides which of the ready tasks (names, in ready order) runs at ``step``."""

    def choose(self, ready: Sequence[str], step: int) -> str: ...


class FirstReady:
    """What asyncio does: the first task that became ready."""

    def choose(self, ready: Sequence[str], step: int) -> str:
        return ready[0]


class Replay:
    """Follow a schedule; past its end, the first ready task. Diverging raises ScheduleDivergedError."""

    def __init__(self, steps: Sequence[str]) -> None:
        self.steps = tuple(steps)

    def choose(self, ready: Sequence[str], step: int) -> str:
        if step < len(self.steps):
            wanted = self.steps[step]
            if wanted not in ready:
                raise ScheduleDivergedError(step, wanted, ready)
            return wanted
        return ready[0]


class RandomWalk:
    """A uniformly random ready task at every step (seeded)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def choose(self, ready: Sequence[str], step: int) -> str:
        return ready[self.rng.randrange(len(ready))]


class PCT:
    """Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010).

    Each task gets a random priority above ``depth`` when first seen; the highest-priority ready
    task runs. At ``depth - 1`` change points drawn from the first ``steps`` steps, the task about
    to run drops to priority i (below every initial one). A bug of depth d among n tasks and k
    steps is found with probability at least 1 / (n * k^(d-1)) per run.
    """

    def __init__(self, seed: int, depth: int, steps: int) -> None:
        if depth < 1 or steps < 1:
            raise ScheduleError(f"PCT needs depth >= 1 and steps >= 1, got depth={depth}, steps={steps}")
        self.rng = random.Random(seed)
        self.depth = depth
        points = self.rng.sample(range(1, steps + 1), min(depth - 1, steps))
        self.change_points = {step: i + 1 for i, step in enumerate(sorted(points))}
        self.priority: dict[str, float] = {}

    def choose(self, ready: Sequence[str], step: int) -> str:
        for name in ready:
            if name not in self.priority:
                self.priority[name] = self.depth + self.rng.random()
        chosen = max(ready, key=self.priority.__getitem__)
        if step in self.change_points:
            self.priority[chosen] = self.change_points[step] * 1e-3
            chosen = max(ready, key=self.priority.__getitem__)
        return chosen


# ---- the loop ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One scheduling step: the task that ran and the tasks that were ready."""

    index: int
    task: str
    ready: tuple[str, ...]


class _Entry:
    """A scheduled callback: when (None: ready now), what to run, in which context, what it knows."""

    __slots__ = ("args", "callback", "context", "handle", "knowledge", "owner", "seq", "when")

    def __init__(
        self, when: float | None, seq: int, callback: Callable[..., Any], args: tuple[Any, ...],
        context: contextvars.Context, owner: asyncio.Task[Any] | None, knowledge: Knowledge,
    ) -> None:  # fmt: skip
        self.when, self.seq, self.callback, self.args = when, seq, callback, args
        self.context, self.owner, self.knowledge = context, owner, knowledge
        self.handle: asyncio.Handle | None = None

    def __lt__(self, other: _Entry) -> bool:
        return (self.when or 0.0, self.seq) < (other.when or 0.0, other.seq)

    def cancelled(self) -> bool:
        return self.handle is not None and self.handle.cancelled()


class _Timer(asyncio.TimerHandle):
    """asyncio's timer handle; cancelling it only marks it (the controlled loop keeps its own heap)."""

    def cancel(self) -> None:
        asyncio.Handle.cancel(self)


class ControlledLoop(asyncio.AbstractEventLoop):
    """An asyncio loop in simulated time whose every scheduling decision comes from a strategy.

    Built on asyncio's public interfaces only: the AbstractEventLoop methods tasks and futures
    call (call_soon, call_at, create_task, create_future, time), asyncio.Task with a context of
    its own per task (so a scheduled callback is known to be that task's step), and the running
    loop hooks asyncio exports for loop implementations.
    """

    def __init__(
        self, strategy: Strategy, recorder: Recorder, *, delays: str = "respect", start: float = 0.0,
        max_steps: int = 10_000,
    ) -> None:  # fmt: skip
        if delays not in DELAY_MODES:
            raise ScheduleError(f"delays must be one of {', '.join(DELAY_MODES)}, got {delays!r}")
        self.strategy, self.recorder, self.delays = strategy, recorder, delays
        self.max_steps = max_steps
        self.steps: list[Step] = []
        self.created_at: dict[str, int] = {}  # task name -> step that created it (-1: before any step)
        self.causality = Causality(recorder)
        self._now = start
        self._ready: list[_Entry] = []
        self._timers: list[_Entry] = []  # a heap by (when, seq)
        self._seq = itertools.count()
        self._names: dict[asyncio.Task[Any], str] = {}
        self._children: dict[str, int] = {}
        self.coroutines: dict[asyncio.Task[Any], Any] = {}  # task -> the program's own coroutine
        self._running = self._stopping = self._closed = self._debug = False
        self._handler: Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None = None
        recorder.now = self.time

    # ---- the AbstractEventLoop interface tasks and futures use -----------------------------------
    def time(self) -> float:
        return self._now

    def call_soon(  # type: ignore[override]
        self, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        entry = self._entry(None, callback, args, context)
        entry.handle = asyncio.Handle(callback, args, self, entry.context)
        self._ready.append(entry)
        return entry.handle

    call_soon_threadsafe = call_soon  # type: ignore[assignment]

    def call_later(  # type: ignore[override]
        self, delay: float, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.TimerHandle:
        return self.call_at(self._now + delay, callback, *args, context=context)

    def call_at(  # type: ignore[override]
        self, when: float, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.TimerHandle:
        entry = self._entry(when, callback, args, context)
        entry.owner = asyncio.current_task(self)  # a timer wakes the task that set it (asyncio.sleep)
        handle = _Timer(when, callback, args, self, entry.context)
        entry.handle = handle
        heapq.heappush(self._timers, entry)
        return handle

    def _entry(self, when: float | None, callback: Callable[..., Any], args: tuple[Any, ...], context: Any) -> _Entry:
        if self._closed:
            raise RuntimeError("the controlled loop is closed")
        ctx = context if context is not None else contextvars.copy_context()
        return _Entry(when, next(self._seq), callback, args, ctx, None, self.causality.knowledge_now(self))

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.Future(loop=self)

    def create_task(self, coro: Any, *, name: str | None = None, context: Any = None) -> asyncio.Task[Any]:  # type: ignore[override]
        parent = asyncio.current_task(self)
        parent_name = self._names.get(parent) if parent is not None else None
        if name is None:
            if parent_name is None:
                name = "main"
            else:
                self._children[parent_name] = self._children.get(parent_name, 0) + 1
                name = f"{parent_name}.{self._children[parent_name]}"
        task = recorded_task(self.recorder, self.causality, coro, self, name, context)
        self.coroutines[task] = coro
        self.recorder.spawned(task, name)
        final = self.recorder.task_name(task)
        task.set_name(final)
        self._names[task] = final
        self.created_at[final] = len(self.steps) - 1
        return task

    def get_debug(self) -> bool:
        return self._debug

    def set_debug(self, enabled: bool) -> None:
        self._debug = enabled

    def is_running(self) -> bool:
        return self._running

    def is_closed(self) -> bool:
        return self._closed

    def stop(self) -> None:
        self._stopping = True

    def close(self) -> None:
        self._ready.clear()
        self._timers.clear()
        self._closed = True

    async def shutdown_asyncgens(self) -> None:
        return None

    async def shutdown_default_executor(self, timeout: float | None = None) -> None:
        return None

    def set_exception_handler(self, handler: Any) -> None:
        self._handler = handler

    def get_exception_handler(self) -> Any:
        return self._handler

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        if self._closed:
            return  # tasks left blocked by a failed run are dropped with the loop: nothing to report
        logging.getLogger("asyncio").error("%s", context.get("message"), exc_info=context.get("exception"))

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        if self._handler is None:
            self.default_exception_handler(context)
        else:
            self._handler(self, context)

    def run_forever(self) -> None:
        if self._running:
            raise RuntimeError("the controlled loop is already running")
        # asyncio's hooks for event loop implementations (listed in the __all__ of asyncio.events).
        previous = asyncio._get_running_loop()
        asyncio._set_running_loop(self)
        self._running = True
        try:
            while not self._stopping:
                self._advance()
        finally:
            self._stopping = self._running = False
            asyncio._set_running_loop(previous)

    def run_until_complete(self, future: Any) -> Any:
        done = asyncio.ensure_future(future, loop=self)

        def finished(_: object) -> None:
            self.stop()

        done.add_done_callback(finished)
        try:
            self.run_forever()
        finally:
            done.remove_done_callback(finished)
        if not done.done():
            raise RuntimeError("the controlled loop stopped before the program finished")
        return done.result()

    # ---- scheduling ------------------------------------------------------------------------------
    def _owner(self, entry: _Entry) -> asyncio.Task[Any] | None:
        if entry.when is None and entry.owner is None:
            entry.owner = self.causality.owner(entry.context)
        return entry.owner

    def _run(self, entry: _Entry) -> None:
        owner = self._owner(entry) if entry.when is None else None
        try:
            entry.context.run(self.causality.deliver, owner, entry.knowledge, entry.callback, entry.args)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:  # as asyncio does: a failing callback is reported, not fatal
            self.call_exception_handler({"message": "exception in callback", "exception": exc, "handle": entry.handle})

    def _drain(self) -> None:
        """Run ready callbacks that belong to no task, FIFO, until none is left."""
        for _ in range(100_000):
            entry = next((e for e in self._ready if e.cancelled() or self._owner(e) is None), None)
            if entry is None:
                return
            self._ready.remove(entry)
            if not entry.cancelled():
                self._run(entry)

    def _name(self, task: asyncio.Task[Any]) -> str:
        """The task's name, following a rename made before its first event (asyncio.TaskGroup's name=...)."""
        name = self._names.get(task)
        if name is None:
            return task.get_name()
        wanted = task.get_name()
        if wanted != name:
            final = self.recorder.rename(task, wanted)
            if final != name:
                self._names[task] = final
                self.created_at[final] = self.created_at.pop(name, -1)
                name = final
            task.set_name(name)
        return name

    def _options(self) -> dict[str, _Entry]:
        """Ready tasks in ready order (name -> entry); in 'any' mode also tasks waiting on a timer they set."""
        options: dict[str, _Entry] = {}
        for entry in self._ready:
            task = self._owner(entry)
            if task is not None and not entry.cancelled():
                options.setdefault(self._name(task), entry)
        if self.delays == "any":
            for timer in sorted(self._timers):
                task = timer.owner
                if task is not None and not timer.cancelled() and not task.done():
                    options.setdefault(self._name(task), timer)
        return options

    def _fire_next_timers(self) -> bool:
        """Advance simulated time to the earliest timer and fire every timer due then."""
        live = sorted(t for t in self._timers if not t.cancelled())
        if not live:
            self._timers.clear()
            return False
        due = min(t.when or 0.0 for t in live)
        self._now = max(self._now, due)
        for timer in [t for t in live if (t.when or 0.0) <= due]:
            self._fire(timer)
        return True

    def _fire(self, timer: _Entry) -> None:
        self._timers.remove(timer)
        heapq.heapify(self._timers)
        self._now = max(self._now, timer.when or 0.0)
        self._run(timer)

    def _advance(self) -> None:
        """One scheduling step: bookkeeping callbacks, then the strategy's choice among the ready tasks."""
        self._drain()
        if self._stopping:
            return
        options = self._options()
        if not options:
            if not self._fire_next_timers():
                blocked = sorted(name for task, name in self._names.items() if not task.done())
                raise DeadlockError(len(self.steps), blocked)
            return
        if len(self.steps) >= self.max_steps:
            raise StepLimitError(self.max_steps)
        names = list(options)
        chosen = self.strategy.choose(names, len(self.steps))
        entry = options[chosen]
        self.recorder.step = len(self.steps)
        self.steps.append(Step(len(self.steps), chosen, tuple(names)))
        if entry.when is not None:
            # The task's delay runs out now: fire its timer, let the wake-up reach the task.
            task = entry.owner
            self._fire(entry)
            self._drain()
            found = next((e for e in self._ready if self._owner(e) is task and not e.cancelled()), None)
            if found is None:
                return
            entry = found
        self._ready.remove(entry)
        self._run(entry)

    def blocked_tasks(self) -> list[asyncio.Task[Any]]:
        """Tasks created on this loop that have not finished."""
        return [task for task in self._names if not task.done()]


# ---- running a program -------------------------------------------------------------------------
@dataclass
class Run:
    """One execution under the controlled scheduler."""

    schedule: Schedule
    steps: list[Step]
    timeline: Timeline
    created_at: dict[str, int]
    result: Any = None
    error: BaseException | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The program finished without an exception, deadlock or step-limit overrun."""
        return self.error is None


def run(
    program: Program,
    strategy: Strategy | None = None,
    *,
    delays: str = "respect",
    start: float = 0.0,
    max_steps: int = 10_000,
    stacks: str = "accesses",
) -> Run:
    """Run ``program(recorder)`` once under the controlled loop and return its schedule and timeline.

    Exceptions of the program, deadlocks and step-limit overruns are the run's ``error``; a replay
    that diverges raises ScheduleDivergedError (the schedule does not belong to this program).
    """
    recorder = Recorder(stacks=stacks)
    # typeshed marks the I/O methods abstract; a program on this loop does no I/O.
    loop = ControlledLoop(strategy or FirstReady(), recorder, delays=delays, start=start, max_steps=max_steps)  # type: ignore[abstract]
    bind = getattr(strategy, "bind", None)
    if bind is not None:  # a strategy that looks at what earlier steps did (the explorer's)
        bind(recorder)
    result: Any = None
    error: BaseException | None = None
    try:
        result = loop.run_until_complete(program(recorder))
    except ScheduleDivergedError:
        raise
    except Exception as exc:
        error = exc
    finally:
        timeline, steps = recorder.timeline(), list(loop.steps)
        _cancel_leftovers(loop)
        loop.close()
    schedule = Schedule(tuple(step.task for step in steps), delays)
    return Run(schedule, steps, timeline, dict(loop.created_at), result, error)


def _cancel_leftovers(loop: ControlledLoop) -> None:
    """Cancel tasks left blocked (after a deadlock or a failure) and let them unwind, unrecorded."""
    leftovers = loop.blocked_tasks()
    if not leftovers:
        return
    loop.strategy, loop.delays = FirstReady(), "respect"
    loop.max_steps = len(loop.steps) + 10_000
    for task in leftovers:
        inner = loop.coroutines.get(task)
        if inspect.iscoroutine(inner) and inspect.getcoroutinestate(inner) == inspect.CORO_CREATED:
            inner.close()  # never started: close it, or Python warns that it was never awaited
        task.cancel()
    with contextlib.suppress(Exception):
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))


def replay(program: Program, schedule: Schedule, *, start: float = 0.0, stacks: str = "accesses") -> Run:
    """Run ``program`` again following ``schedule`` exactly."""
    return run(program, Replay(schedule.steps), delays=schedule.delays, start=start, stacks=stacks)
