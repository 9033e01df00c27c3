"""Happens-before from asyncio's own wake-ups: an awaited task's end reaches whoever it wakes.

asyncio tells a waiting task that something happened only through callbacks the loop runs: a task
that finishes schedules its done callbacks; a waiter's wake-up is one of them (a plain ``await
task``), gather's and TaskGroup's bookkeeping are others, and they in turn resolve the future the
awaiting task waits on. So knowledge travels with scheduled callbacks:

- a callback scheduled from inside a task carries that task's latest event;
- a callback scheduled from inside another callback carries what that callback knew;
- a callback that keeps state (a closure, or a method of an object such as a TaskGroup) remembers
  everything it was ever told, so gather's last child hands the awaiting task every child's end;
- a callback called with a finished task (a done callback: a waiter's wake-up, gather's and
  TaskGroup's bookkeeping) learns that task's end, even when the task had finished long before;
- a task's own step learns what its wake-up carried, at its next event (a ``join`` edge when the
  source is a task's end, ``wake`` otherwise: a lock, event or queue hand-over);
- awaiting a task that has already finished schedules nothing, so tasks are ``RecordedTask`` objects,
  whose ``__await__`` tells the awaiting task the awaited one's end.

Only public asyncio interfaces are used: a task's steps are recognised by the ``context`` the
loop creates for it and passes to ``asyncio.Task``; timers belong to the task that set them.
"""

from __future__ import annotations

import asyncio
import contextvars
import types
import weakref
from collections.abc import Callable, Generator, Sequence
from typing import Any

from livingspec.temporal.recorder import Recorder
from livingspec.temporal.timeline import Event

Knowledge = tuple[Event, ...]  # the latest known event of each task


def merge(a: Knowledge, b: Knowledge) -> Knowledge:
    """The union of two knowledges: per task, its later event."""
    if not a:
        return b
    if not b:
        return a
    latest: dict[str, Event] = {event.task: event for event in a}
    for event in b:
        known = latest.get(event.task)
        if known is None or event.local > known.local:
            latest[event.task] = event
    return tuple(latest.values())


def _memory_key(callback: Callable[..., Any]) -> object | None:
    """What a callback can keep state in: the object of a bound method, or a closure; else nothing."""
    owner: object | None = getattr(callback, "__self__", None)
    if owner is not None and not isinstance(owner, types.ModuleType):
        return owner
    if getattr(callback, "__closure__", None):
        return callback
    return None


class Causality:
    """Carries knowledge from the code that schedules a callback to the code the callback wakes."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        # id(context) -> (the context, its task), both weakly: an entry goes when its task's context does
        self._tasks: dict[int, tuple[weakref.ref[contextvars.Context], weakref.ref[asyncio.Task[Any]]]] = {}
        # state -> what it was told (task -> latest event); weak, so a long-running loop forgets
        # finished groups and closures
        self._memory: weakref.WeakKeyDictionary[object, dict[str, Event]] = weakref.WeakKeyDictionary()
        self._running: Knowledge | dict[str, Event] | None = None  # what the callback running now knows

    def context_for(self, context: contextvars.Context | None) -> contextvars.Context:
        """A context of its own for a new task (a copy when the given one already belongs to a task)."""
        if context is None:
            return contextvars.copy_context()
        return context.copy() if self.owner(context) is not None else context

    def register(self, context: contextvars.Context, task: asyncio.Task[Any]) -> None:
        """Say that callbacks scheduled in ``context`` are steps of ``task`` (while both exist)."""
        key, tasks = id(context), self._tasks

        def forget(_: object) -> None:
            tasks.pop(key, None)

        tasks[key] = (weakref.ref(context, forget), weakref.ref(task))

    def owner(self, context: contextvars.Context) -> asyncio.Task[Any] | None:
        """The task whose step a callback scheduled in ``context`` is, or None for plain callbacks."""
        found = self._tasks.get(id(context))
        return found[1]() if found is not None and found[0]() is context else None

    def knowledge_now(self, loop: asyncio.AbstractEventLoop) -> Knowledge:
        """What code scheduling a callback now knows: the running callback's knowledge or the task's latest event."""
        running = self._running
        if running is not None:
            return tuple(running.values()) if isinstance(running, dict) else running
        task = asyncio.current_task(loop)
        if task is None:
            return ()
        last = self.recorder.last_event(task)
        return (last,) if last is not None else ()

    def deliver(
        self, owner: asyncio.Task[Any] | None, knowledge: Knowledge, callback: Callable[..., Any], args: Sequence[Any]
    ) -> None:
        """Run a callback with what it carries: a task's step learns it, a plain callback passes it on."""
        for arg in args:
            if isinstance(arg, asyncio.Task) and arg.done():  # a done callback: it learns the task's end
                last = self.recorder.last_event(arg)
                if last is not None:
                    knowledge = merge(knowledge, (last,))
        if owner is not None:
            if knowledge:
                self.recorder.learn(owner, knowledge)
            callback(*args)
            return
        running: Knowledge | dict[str, Event] = knowledge
        state = _memory_key(callback)
        if state is not None:
            try:
                told = self._memory.setdefault(state, {})
            except TypeError:  # state that cannot be weakly referenced (a set's method): not remembered
                pass
            else:
                for event in knowledge:  # O(1) per event: gather's n children cost O(n), not O(n^2)
                    known = told.get(event.task)
                    if known is None or event.local > known.local:
                        told[event.task] = event
                running = told
        previous, self._running = self._running, running
        try:
            callback(*args)
        finally:
            self._running = previous

    def carry(
        self, loop: asyncio.AbstractEventLoop, callback: Callable[..., Any], context: contextvars.Context | None
    ) -> Callable[..., None]:
        """``callback`` wrapped to deliver what is known now when it runs (for loops that run their own handles)."""
        knowledge = self.knowledge_now(loop)
        scheduled_in = context

        def carried(*args: Any) -> None:
            owner = self.owner(scheduled_in) if scheduled_in is not None else None
            self.deliver(owner, knowledge, callback, args)

        return carried


class RecordedTask(asyncio.Task):  # type: ignore[type-arg]
    """An asyncio.Task whose awaiting tells the awaiter its end (also when it finished before the await)."""

    recorder: Recorder | None = None

    def __await__(self) -> Generator[Any, None, Any]:
        try:
            return (yield from super().__await__())
        finally:
            recorder = self.recorder
            if recorder is not None and self.done():
                last, waiter = recorder.last_event(self), asyncio.current_task()
                if last is not None and waiter is not None and waiter is not self:
                    recorder.learn(waiter, (last,))

    __iter__ = __await__


def recorded_task(
    recorder: Recorder, causality: Causality, coro: Any, loop: asyncio.AbstractEventLoop, name: str | None,
    context: contextvars.Context | None,
) -> RecordedTask:  # fmt: skip
    """A new task of ``loop`` running ``coro`` (followed by its end event) in a context of its own."""
    own = causality.context_for(context)
    task = RecordedTask(recorder.wrap(coro), loop=loop, name=name, context=own)
    task.recorder = recorder
    causality.register(own, task)
    return task


class RecordingLoop(asyncio.SelectorEventLoop):
    """An ordinary asyncio loop whose tasks are recorded with spawn, end and wake-up edges.

    Use it where the controlled loop is not wanted (real time, real I/O), e.g.
    ``asyncio.Runner(loop_factory=lambda: RecordingLoop(recorder))``.
    """

    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self.recorder = recorder
        self.causality = Causality(recorder)
        self.set_task_factory(self._make_task)  # type: ignore[arg-type]

    def _make_task(
        self, loop: asyncio.AbstractEventLoop, coro: Any, *, name: str | None = None, context: Any = None
    ) -> asyncio.Task[Any]:
        task = recorded_task(self.recorder, self.causality, coro, loop, name, context)
        self.recorder.spawned(task)
        return task

    def call_soon(  # type: ignore[override]
        self, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        return super().call_soon(self.causality.carry(self, callback, context), *args, context=context)

    def call_at(  # type: ignore[override]
        self, when: float, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.TimerHandle:
        return super().call_at(when, self.causality.carry(self, callback, context), *args, context=context)
