"""A controlled scheduler for asyncio programs: an interleaving becomes a value you can replay.

The loop is an asyncio event loop whose ``_run_once`` asks a *strategy* which ready task runs
next. A scheduling *step* runs one task until its next ``await`` that yields. Callbacks that belong
to no task (future bookkeeping, gather) run at once in FIFO order: they hold no program logic.

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
import heapq
import inspect
import random
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

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


def _task_of_handle(handle: Any) -> asyncio.Task[Any] | None:
    owner = getattr(handle._callback, "__self__", None)
    return owner if isinstance(owner, asyncio.Task) else None


def _task_of_timer(timer: Any) -> asyncio.Task[Any] | None:
    """The task a timer will wake (asyncio.sleep resolves a future the task waits on)."""
    for arg in timer._args or ():
        if isinstance(arg, asyncio.Future):
            for callback, _context in getattr(arg, "_callbacks", None) or ():
                owner = getattr(callback, "__self__", None)
                if isinstance(owner, asyncio.Task):
                    return owner
    return None


class ControlledLoop(asyncio.BaseEventLoop):
    """An asyncio loop in simulated time whose every scheduling decision comes from a strategy."""

    def __init__(
        self, strategy: Strategy, recorder: Recorder, *, delays: str = "respect", start: float = 0.0,
        max_steps: int = 10_000,
    ) -> None:  # fmt: skip
        super().__init__()
        if delays not in DELAY_MODES:
            raise ScheduleError(f"delays must be one of {', '.join(DELAY_MODES)}, got {delays!r}")
        self.strategy, self.recorder, self.delays = strategy, recorder, delays
        self.max_steps = max_steps
        self.steps: list[Step] = []
        self.created_at: dict[str, int] = {}  # task name -> step that created it (-1: before any step)
        self._now = start
        self._names: dict[asyncio.Task[Any], str] = {}
        self._children: dict[str, int] = {}
        self._inner: dict[asyncio.Task[Any], Any] = {}  # task -> the program's own coroutine
        recorder.now = self.time

    # asyncio hooks we do not need: no selector, no self-pipe.
    def time(self) -> float:
        return self._now

    def _write_to_self(self) -> None:
        pass

    def _process_events(self, event_list: Any) -> None:
        pass

    def create_task(self, coro: Any, *, name: str | None = None, context: Any = None) -> asyncio.Task[Any]:  # type: ignore[override]
        parent = asyncio.current_task(self)
        parent_name = self._names.get(parent) if parent is not None else None
        if name is None:
            if parent_name is None:
                name = "main"
            else:
                self._children[parent_name] = self._children.get(parent_name, 0) + 1
                name = f"{parent_name}.{self._children[parent_name]}"
        task = super().create_task(self.recorder.wrap(coro), name=name, context=context)
        self._inner[task] = coro
        self.recorder.spawned(task, name)
        final = self.recorder._states[task].info.name
        task.set_name(final)
        self._names[task] = final
        self.created_at[final] = len(self.steps) - 1
        return task

    def _internals(self) -> Any:
        return self

    def _drain(self) -> None:
        """Run ready callbacks that belong to no task, FIFO, until none is left."""
        loop = self._internals()
        for _ in range(100_000):
            for handle in loop._ready:
                if handle._cancelled or _task_of_handle(handle) is None:
                    break
            else:
                return
            loop._ready.remove(handle)
            if not handle._cancelled:
                handle._run()

    def _options(self) -> dict[str, tuple[asyncio.Task[Any], Any, Any]]:
        """Ready tasks in ready order (name -> task, handle, timer); in 'any' mode also tasks waiting on a timer."""
        loop = self._internals()
        options: dict[str, tuple[asyncio.Task[Any], Any, Any]] = {}
        for handle in loop._ready:
            task = _task_of_handle(handle)
            if task is not None and not handle._cancelled and self._names.get(task) not in options:
                options[self._names.get(task, task.get_name())] = (task, handle, None)
        if self.delays == "any":
            for timer in sorted(t for t in loop._scheduled if not t._cancelled):
                task = _task_of_timer(timer)
                if task is not None:
                    options.setdefault(self._names.get(task, task.get_name()), (task, None, timer))
        return options

    def _fire_next_timers(self) -> bool:
        """Advance simulated time to the earliest timer and fire every timer due then."""
        loop = self._internals()
        live = [t for t in loop._scheduled if not t._cancelled]
        if not live:
            return False
        due = min(t._when for t in live)
        self._now = max(self._now, due)
        fire = sorted(t for t in live if t._when <= due)
        for timer in fire:
            self._remove_timer(timer)
            timer._run()
        return True

    def _remove_timer(self, timer: Any) -> None:
        loop = self._internals()
        loop._scheduled.remove(timer)
        heapq.heapify(loop._scheduled)
        timer._scheduled = False

    def _run_once(self) -> None:
        loop = self._internals()
        self._drain()
        if loop._stopping:
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
        task, handle, timer = options[chosen]
        self.recorder.step = len(self.steps)
        self.steps.append(Step(len(self.steps), chosen, tuple(names)))
        if handle is None:
            # The task's delay runs out now: fire its timer, let the wake-up reach the task.
            self._remove_timer(timer)
            self._now = max(self._now, timer._when)
            timer._run()
            self._drain()
            handle = next((h for h in loop._ready if _task_of_handle(h) is task and not h._cancelled), None)
            if handle is None:
                return
        loop._ready.remove(handle)
        handle._run()

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
    loop = ControlledLoop(strategy or FirstReady(), recorder, delays=delays, start=start, max_steps=max_steps)
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
        inner = loop._inner.get(task)
        if inspect.iscoroutine(inner) and inspect.getcoroutinestate(inner) == inspect.CORO_CREATED:
            inner.close()  # never started: close it, or Python warns that it was never awaited
        task.cancel()
    with contextlib.suppress(Exception):
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
    for task in loop.blocked_tasks():
        task._log_destroy_pending = False  # type: ignore[attr-defined]


def replay(program: Program, schedule: Schedule, *, start: float = 0.0, stacks: str = "accesses") -> Run:
    """Run ``program`` again following ``schedule`` exactly."""
    return run(program, Replay(schedule.steps), delays=schedule.delays, start=start, stacks=stacks)
