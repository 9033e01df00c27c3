"""Systematic exploration of interleavings, and random sampling for programs too large for it.

Exhaustive search is stateless model checking (Godefroid, VeriSoft, POPL 1997): run the program
from the start once per interleaving, forcing a prefix of choices and taking the first ready task
after it, depth-first over the tree of choices.

Partial-order reduction is dynamic (Flanagan and Godefroid, POPL 2005), in its source-set form
with sleep sets (Abdulla, Aronis, Jonsson and Sagonas, POPL 2014). After each run, every pair of
steps of different tasks that conflict (same object, at least one write; lock, queue and task
start/end count as writes on their object) and are ordered by nothing else is a race; the run
that reverses it is scheduled at the node before the earlier step. A task whose next step was
already explored from a node sleeps in the subtrees of its independent siblings, so
interleavings that differ only in the order of independent steps are run once. The reduction
trusts the recorded accesses: shared state the program touches without telling the recorder
makes it unsound (use ``reduction="none"``).

Sampling: PCT (see ``scheduler.PCT``) and a uniform random walk, both seeded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from livingspec.temporal.errors import ExplorationError, ScheduleDivergedError, TemporalError
from livingspec.temporal.recorder import Recorder
from livingspec.temporal.scheduler import PCT, FirstReady, Program, RandomWalk, Run, Schedule, Strategy, run
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
    pruned: int = 0  # runs cut short because they could only repeat covered interleavings

    @property
    def failed(self) -> int:
        """How many runs failed the check."""
        return len(self.failures)


Accesses = dict[str, bool]  # object -> whether the step wrote it


@dataclass
class _Node:
    """A choice point of the search. Invariant: ``chosen in done``; ``sleep`` tasks are covered elsewhere."""

    ready: tuple[str, ...]
    chosen: str
    backtrack: set[str]
    done: set[str]
    sleep: dict[str, Accesses] = field(default_factory=dict)  # task -> accesses of its pending step
    steps: dict[str, Accesses] = field(default_factory=dict)  # task -> accesses of its step from here


class _AsleepError(TemporalError):
    """Every ready task is in the sleep set: this run only repeats interleavings already covered."""


class _SearchStrategy:
    """Replay a prefix, then take the first ready task not asleep (sleep sets, Godefroid 1996)."""

    def __init__(self, prefix: list[str], nodes: list[_Node], sleep_sets: bool) -> None:
        self.prefix, self.nodes, self.sleep_sets = prefix, nodes, sleep_sets
        self.recorder: Recorder | None = None
        self._seen = 0  # events already attributed to steps

    def bind(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def step_accesses(self, step: int) -> Accesses:
        """The accesses of ``step``, read off the events recorded since the last call."""
        assert self.recorder is not None
        events = self.recorder.events
        found: Accesses = {}
        while self._seen < len(events) and events[self._seen].step <= step:
            event = events[self._seen]
            if event.step == step and event.obj is not None and event.access in (READ, WRITE, SYNC):
                found[event.obj] = found.get(event.obj, False) or event.access != READ
            self._seen += 1
        return found

    def choose(self, ready: Sequence[str], step: int) -> str:
        nodes = self.nodes
        if step > 0 and self.sleep_sets:
            before = nodes[step - 1]
            before.steps[before.chosen] = self.step_accesses(step - 1)
        if step < len(self.prefix):
            if self.prefix[step] not in ready:
                raise ScheduleDivergedError(step, self.prefix[step], ready)
            return self.prefix[step]
        sleep: dict[str, Accesses] = {}
        if step > 0 and self.sleep_sets:
            before = nodes[step - 1]
            executed = before.steps[before.chosen]
            asleep = dict(before.sleep)
            asleep.update({t: before.steps[t] for t in before.done if t != before.chosen and t in before.steps})
            sleep = {t: acc for t, acc in asleep.items() if not _dependent(acc, executed)}
        awake = [t for t in ready if t not in sleep]
        if not awake:
            raise _AsleepError(f"every ready task is asleep at step {step}")
        nodes.append(_Node(tuple(ready), awake[0], set(), {awake[0]}, sleep))
        return awake[0]


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
    """Source-DPOR race reversal (Abdulla, Aronis, Jonsson and Sagonas, POPL 2014).

    For every pair of steps j < i of different tasks that conflict and are not ordered by anything
    but that conflict, the run with i's task moved before j is worth trying: from the node before
    j, start with a task that can go first in ``v`` (the steps after j that do not depend on it,
    then i), unless one of those is already planned or explored there.
    """
    steps = run.steps
    accesses = _accesses(run)
    clocks: list[dict[str, int]] = []
    last_of: dict[str, int] = {}

    def ordered(m: int, k: int) -> bool:  # step m happens before step k
        return clocks[k].get(steps[m].task, 0) >= clocks[m][steps[m].task]

    for i, step in enumerate(steps):
        task = step.task
        if task in last_of:
            before = dict(clocks[last_of[task]])
        else:
            parent = run.created_at.get(task, -1)
            before = dict(clocks[parent]) if 0 <= parent < len(clocks) else {}
        clock = dict(before)
        racing: list[int] = []
        for j in range(i):
            other = steps[j].task
            if other == task or not _dependent(accesses[j], accesses[i]):
                continue
            if clocks[j].get(other, 0) > before.get(other, 0):  # j not yet ordered before this task
                racing.append(j)
            for t, count in clocks[j].items():
                if count > clock.get(t, 0):
                    clock[t] = count
        clock[task] = clock.get(task, 0) + 1
        clocks.append(clock)
        last_of[task] = i
        for j in racing:
            if any(ordered(j, k) and ordered(k, i) for k in racing if k > j):
                continue  # i is ordered after j through another race: not a reversible race
            _plan_reversal(nodes[j], [steps[k].task for k in range(len(steps))], j, i, ordered)


def _plan_reversal(node: _Node, tasks: list[str], j: int, i: int, ordered: Callable[[int, int], bool]) -> None:
    """At the node before step j, plan a task that can start ``v`` (the steps after j not after it, then i)."""
    v = [k for k in range(j + 1, i) if not ordered(j, k)] + [i]
    initials = [tasks[k] for n, k in enumerate(v) if not any(ordered(m, k) for m in v[:n])]
    candidates = [t for t in dict.fromkeys(initials) if t in node.ready]
    if not candidates or set(candidates) & (node.backtrack | node.done):
        return
    awake = [t for t in candidates if t not in node.sleep]
    if awake:
        node.backtrack.add(awake[0])


def _record(found: Exploration, outcome: Run, check: Check, keep_schedules: bool) -> bool:
    """Count a finished run and check it; True when it failed."""
    found.runs += 1
    if keep_schedules:
        found.schedules.append(outcome.schedule)
    problem = check(outcome)
    if problem is None:
        return False
    found.failures.append((outcome, problem))
    if found.first_failure is None:
        found.first_failure = found.runs
    return True


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
    found = Exploration("exhaustive" if reduction == "none" else "exhaustive with DPOR and sleep sets")
    nodes: list[_Node] = []
    prefix: list[str] = []
    while found.runs < max_runs:
        strategy = _SearchStrategy(prefix, nodes, sleep_sets=reduction == "dpor")
        outcome = run(program, strategy, delays=delays)
        del nodes[len(outcome.steps) :]  # a run cut short by sleep sets leaves no node past its end
        if reduction == "dpor" and outcome.steps:
            last = nodes[len(outcome.steps) - 1]
            last.steps[last.chosen] = strategy.step_accesses(len(outcome.steps) - 1)
        if isinstance(outcome.error, _AsleepError):
            found.pruned += 1
        elif _record(found, outcome, check, keep_schedules) and stop_at_first:
            return found
        for node in nodes[len(prefix) :]:
            node.backtrack = {node.chosen} if reduction == "dpor" else set(node.ready)
        if reduction == "dpor":
            _add_backtracks(nodes, outcome)
        while nodes and not (nodes[-1].backtrack - nodes[-1].done - nodes[-1].sleep.keys()):
            nodes.pop()
        if not nodes:
            found.complete = True
            return found
        node = nodes[-1]
        todo = node.backtrack - node.done - node.sleep.keys()
        choice = next(name for name in node.ready if name in todo)
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
