"""Properties of the recorder, the race detector, the scheduler and the explorer on random programs:
a few tasks of reads, writes, locked accesses and queue hand-overs, with a reference happens-before
computed independently from the recorded edges."""

from __future__ import annotations

import asyncio
import os
from collections import deque
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from livingspec.temporal import READ, WRITE, RandomWalk, Recorder, Timeline, explore, find_races, replay, run

OBJECTS = ("x", "y")
QUEUES = ("q",)

op = st.one_of(
    st.tuples(st.sampled_from(["read", "write", "locked read", "locked write"]), st.sampled_from(OBJECTS)),
    st.tuples(st.sampled_from(["put", "get"]), st.sampled_from(QUEUES)),
)
programs = st.lists(st.lists(op, min_size=1, max_size=3), min_size=1, max_size=3)
unlocked_writers = st.lists(st.lists(st.just(("write", "x")), min_size=1, max_size=3), min_size=2, max_size=3)
locked_only = st.lists(
    st.lists(
        st.tuples(st.sampled_from(["locked read", "locked write"]), st.sampled_from(OBJECTS)), min_size=1, max_size=3
    ),
    min_size=1,
    max_size=3,
)


def make_program(spec: list[list[tuple[str, str]]]) -> Any:
    """An asyncio program for a spec; returns what it observed (object contents, what reads saw)."""

    async def program(recorder: Recorder) -> tuple[Any, ...]:
        state: dict[str, list[str]] = {name: [] for name in OBJECTS}
        seen: dict[str, int] = {}
        lock = recorder.lock("L")
        queues = {name: recorder.queue(name) for name in QUEUES}

        async def work(index: int, ops: list[tuple[str, str]]) -> None:
            for k, (kind, name) in enumerate(ops):
                tag = f"t{index}.{k}"
                if k:
                    await asyncio.sleep(0)
                if kind.startswith("locked"):
                    await lock.acquire()
                if kind.endswith("read"):
                    seen[tag] = len(state[name])
                    recorder.read(name, "READ", tag=tag)
                elif kind.endswith("write"):
                    state[name].append(tag)
                    recorder.write(name, "WRITE", tag=tag)
                elif kind == "put":
                    queues[name].put_nowait(tag)
                else:
                    seen[tag] = hash(await queues[name].get())
                if kind.startswith("locked"):
                    lock.release()

        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(work(i, ops), name=f"t{i}") for i, ops in enumerate(spec)]
        await recorder.join(*tasks)
        return tuple(tuple(state[name]) for name in OBJECTS), tuple(sorted(seen.items()))

    return program


def reachability(timeline: Timeline) -> list[set[int]]:
    """For each event, the events it reaches by program order and recorded causal edges."""
    successors: dict[int, list[int]] = {e.index: [] for e in timeline}
    last: dict[str, int] = {}
    for event in timeline:
        if event.task in last:
            successors[last[event.task]].append(event.index)
        last[event.task] = event.index
    for edge in timeline.edges:
        successors[edge.source].append(edge.target)
    reach: list[set[int]] = []
    for event in timeline:
        found: set[int] = set()
        todo = deque(successors[event.index])
        while todo:
            nxt = todo.popleft()
            if nxt not in found:
                found.add(nxt)
                todo.extend(successors[nxt])
        reach.append(found)
    return reach


@given(programs, st.integers(0, 10_000))
def test_vector_clocks_order_events_exactly_as_happens_before(spec, seed):
    timeline = run(make_program(spec), RandomWalk(seed), delays="any").timeline
    reach = reachability(timeline)
    for a in timeline:
        for b in timeline:
            if a is not b:
                assert a.happens_before(b) == (b.index in reach[a.index]), (a.label(), b.label())


@given(programs, st.integers(0, 10_000))
def test_lamport_clocks_grow_along_happens_before(spec, seed):
    timeline = run(make_program(spec), RandomWalk(seed), delays="any").timeline
    for a in timeline:
        for b in timeline:
            if a.happens_before(b):
                assert a.lamport < b.lamport


@given(programs, st.integers(0, 10_000))
def test_edges_point_forward_and_times_never_decrease(spec, seed):
    timeline = run(make_program(spec), RandomWalk(seed), delays="any").timeline
    assert all(edge.source < edge.target for edge in timeline.edges)
    assert all(a.time <= b.time for a, b in zip(timeline.events, timeline.events[1:], strict=False))


@given(programs, st.integers(0, 10_000))
def test_replaying_a_schedule_gives_the_same_events_in_the_same_order(spec, seed):
    program = make_program(spec)
    first = run(program, RandomWalk(seed), delays="any")
    again = replay(program, first.schedule)
    assert again.schedule == first.schedule
    assert again.timeline.signature() == first.timeline.signature()
    assert again.result == first.result
    assert type(again.error) is type(first.error)


@given(programs, st.integers(0, 10_000))
def test_the_detector_reports_exactly_the_unordered_conflicting_pairs(spec, seed):
    timeline = run(make_program(spec), RandomWalk(seed), delays="any").timeline
    reach = reachability(timeline)
    expected = {
        (a.index, b.index)
        for a in timeline
        for b in timeline
        if a.index < b.index
        and a.obj == b.obj
        and a.access in (READ, WRITE)
        and b.access in (READ, WRITE)
        and WRITE in (a.access, b.access)
        and a.task != b.task
        and b.index not in reach[a.index]
    }
    assert {(r.first.index, r.second.index) for r in find_races(timeline)} == expected


@given(locked_only, st.integers(0, 10_000))
def test_properly_locked_programs_have_no_race(spec, seed):
    assert find_races(run(make_program(spec), RandomWalk(seed), delays="any").timeline) == []


@given(unlocked_writers, st.integers(0, 10_000))
def test_every_unlocked_conflicting_pair_is_a_race(spec, seed):
    races = find_races(run(make_program(spec), RandomWalk(seed), delays="any").timeline)
    sizes = [len(ops) for ops in spec]
    pairs = sum(sizes[i] * sizes[j] for i in range(len(sizes)) for j in range(i + 1, len(sizes)))
    assert len(races) == pairs


def _outcomes(spec, reduction):
    seen = set()

    def note(outcome):
        seen.add((outcome.result, type(outcome.error).__name__))

    found = explore(make_program(spec), check=note, reduction=reduction)
    assert found.complete
    return seen, found.runs


@settings(max_examples=int(os.environ.get("TEMPORAL_DPOR_EXAMPLES", "40")))
@given(programs)
@example([[("read", "x"), ("get", "q")], [("put", "q"), ("get", "q"), ("put", "q")]])  # a blocked get is an access
@example([[("locked write", "x")], [("locked write", "x"), ("locked read", "y")], [("put", "q")]])
def test_partial_order_reduction_reaches_every_outcome_of_the_full_search(spec):
    full, full_runs = _outcomes(spec, "none")
    reduced, reduced_runs = _outcomes(spec, "dpor")
    assert reduced == full
    assert reduced_runs <= full_runs
