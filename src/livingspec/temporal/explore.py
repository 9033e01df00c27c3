"""Systematic exploration of interleavings, and random sampling for programs too large for it.

Exhaustive search is stateless model checking (Godefroid, VeriSoft, POPL 1997): run the program
from the start once per interleaving, forcing a prefix of choices and taking the first ready task
after it, depth-first over the tree of choices.

Partial-order reduction is dynamic (Flanagan and Godefroid, POPL 2005): after each run, for every
step find the last earlier step of another task that conflicts with it (same object, at least one
write; lock, queue and task start/end count as writes on their object) and is not already ordered
before it; only there is it worth trying the other task first. Interleavings that differ only in the
order of independent steps are explored once. The reduction trusts the recorded accesses: shared
state the program touches without telling the recorder makes it unsound (use ``reduction="none"``).

Sampling: PCT (see ``scheduler.PCT``) and a uniform random walk, both seeded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from livingspec.temporal.errors import ExplorationError
from livingspec.temporal.scheduler import PCT, FirstReady, Program, RandomWalk, Replay, Run, Schedule, Strategy, run
from livingspec.temporal.timeline import READ, SYNC, WRITE

#: A check looks at a finished run and returns what went wrong, or None when the run is fine.
Check = Callable[[Run], "str | None"]

REDUCTIONS = ("none", "dpor")


def crashed(run: Run) -> str | None:
    """The default check: the program raised, deadlocked or ran away."""
    return None if run.error is None else f"{type(run.error).__name__}: {run.error}"


@dataclass
class Exploration:
    """What a search or a sampling campaign saw."""

    method: str
    runs: int = 0
    complete: bool = False  # every interleaving (up to the reduction) was explored
    failures: list[tuple[Run, str]] = field(default_factory=list)
    first_failure: int | None = None  # 1-based number of the run that first failed
    schedules: list[Schedule] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """How many runs failed the check."""
        return len(self.failures)


@dataclass
class _Node:
    ready: tuple[str, ...]
    chosen: str
    backtrack: set[str]
    done: set[str]


def _accesses(run: Run) -> list[dict[str, bool]]:
    """Per step: object -> whether the step wrote it (sync operations count as writes)."""
    per_step: list[dict[str, bool]] = [{} for _ in run.steps]
    for event in run.timeline.events:
        if 0 <= event.step < len(per_step) and event.obj is not None and event.access in (READ, WRITE, SYNC):
            seen = per_step[event.step]
            seen[event.obj] = seen.get(event.obj, False) or event.access != READ
    return per_step


def _dependent(a: dict[str, bool], b: dict[str, bool]) -> bool:
    return any(obj in b and (wrote or b[obj]) for obj, wrote in a.items())


def _add_backtracks(nodes: list[_Node], run: Run) -> None:
    """Flanagan-Godefroid DPOR: where reversing a race between steps may give a new behaviour."""
    steps = run.steps
    accesses = _accesses(run)
    clocks: list[dict[str, int]] = []
    last_of: dict[str, int] = {}
    for i, step in enumerate(steps):
        task = step.task
        if task in last_of:
            before = dict(clocks[last_of[task]])
        else:
            parent = run.created_at.get(task, -1)
            before = dict(clocks[parent]) if 0 <= parent < len(clocks) else {}
        clock = dict(before)
        latest = True
        for j in range(i - 1, -1, -1):
            other = steps[j].task
            if other == task or not _dependent(accesses[j], accesses[i]):
                continue
            if latest:
                latest = False
                if clocks[j].get(other, 0) > before.get(other, 0):  # j does not happen before this task's step
                    node = nodes[j]
                    if task in node.ready:
                        node.backtrack.add(task)
                    else:
                        node.backtrack.update(node.ready)
            for t, count in clocks[j].items():
                if count > clock.get(t, 0):
                    clock[t] = count
        clock[task] = clock.get(task, 0) + 1
        clocks.append(clock)
        last_of[task] = i


def explore(
    program: Program,
    *,
    check: Check = crashed,
    reduction: str = "dpor",
    delays: str = "any",
    max_runs: int = 100_000,
    stop_at_first: bool = False,
    keep_schedules: bool = True,
) -> Exploration:
    """Run ``program`` in every interleaving (every Mazurkiewicz trace with ``reduction="dpor"``)."""
    if reduction not in REDUCTIONS:
        raise ExplorationError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
    if max_runs < 1:
        raise ExplorationError(f"max_runs must be at least 1, got {max_runs}")
    found = Exploration("exhaustive" if reduction == "none" else "exhaustive with DPOR")
    nodes: list[_Node] = []
    prefix: list[str] = []
    while found.runs < max_runs:
        outcome = run(program, Replay(prefix), delays=delays)
        found.runs += 1
        if keep_schedules:
            found.schedules.append(outcome.schedule)
        problem = check(outcome)
        if problem is not None:
            found.failures.append((outcome, problem))
            if found.first_failure is None:
                found.first_failure = found.runs
            if stop_at_first:
                return found
        for step in outcome.steps[len(nodes) :]:
            todo = {step.task} if reduction == "dpor" else set(step.ready)
            nodes.append(_Node(step.ready, step.task, todo, {step.task}))
        if reduction == "dpor":
            _add_backtracks(nodes, outcome)
        while nodes and not (nodes[-1].backtrack - nodes[-1].done):
            nodes.pop()
        if not nodes:
            found.complete = True
            return found
        node = nodes[-1]
        choice = next(name for name in node.ready if name in node.backtrack - node.done)
        node.done.add(choice)
        node.chosen = choice
        prefix = [n.chosen for n in nodes]
    return found


def _sample(
    program: Program, method: str, strategies: Callable[[int], Strategy], runs: int, check: Check, delays: str,
    stop_at_first: bool,
) -> Exploration:  # fmt: skip
    if runs < 1:
        raise ExplorationError(f"runs must be at least 1, got {runs}")
    found = Exploration(method)
    for i in range(runs):
        outcome = run(program, strategies(i), delays=delays)
        found.runs += 1
        found.schedules.append(outcome.schedule)
        problem = check(outcome)
        if problem is not None:
            found.failures.append((outcome, problem))
            if found.first_failure is None:
                found.first_failure = found.runs
            if stop_at_first:
                break
    return found


def sample_pct(
    program: Program, *, runs: int = 100, depth: int = 2, seed: int = 0, check: Check = crashed, delays: str = "any",
    stop_at_first: bool = False,
) -> Exploration:  # fmt: skip
    """PCT runs (run i seeded with ``seed + i``); the step count k is measured on one default run."""
    if depth < 1:
        raise ExplorationError(f"PCT depth must be at least 1, got {depth}")
    k = max(1, len(run(program, FirstReady(), delays=delays, stacks="none").steps))
    return _sample(program, f"PCT depth {depth}", lambda i: PCT(seed + i, depth, k), runs, check, delays, stop_at_first)


def sample_random(
    program: Program, *, runs: int = 100, seed: int = 0, check: Check = crashed, delays: str = "any",
    stop_at_first: bool = False,
) -> Exploration:  # fmt: skip
    """Uniformly random schedules (run i seeded with ``seed + i``)."""
    return _sample(program, "random walk", lambda i: RandomWalk(seed + i), runs, check, delays, stop_at_first)
