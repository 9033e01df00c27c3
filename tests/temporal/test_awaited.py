"""Awaiting a task is synchronisation: a plain await, gather or a TaskGroup orders the awaited
task's events before everything the awaiting task does next, so the detector reports no race."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livingspec.temporal import RandomWalk, Recorder, RecordingLoop, explore, fan_out_program, find_races, run

JOINS = ("one by one", "with gather", "in a task group")


def fan_out(join: str, workers: int = 2) -> Any:
    """Workers that each write their own slot; main reads every slot after awaiting them (no recorder.join)."""
    return fan_out_program(workers, join)


@pytest.mark.parametrize("join", JOINS)
def test_tasks_that_are_only_awaited_report_no_race(join):
    outcome = run(fan_out(join))
    assert outcome.error is None and outcome.result == [1, 2]
    assert find_races(outcome.timeline) == []


@pytest.mark.parametrize("join", JOINS)
def test_no_interleaving_of_awaited_tasks_reports_a_race(join):
    def racy(outcome: Any) -> str | None:
        races = find_races(outcome.timeline)
        return races[0].describe() if races else None

    found = explore(fan_out(join, 3), check=racy, reduction="none")
    assert found.complete and found.runs > 1
    assert found.failures == []


@pytest.mark.parametrize("join", JOINS)
def test_the_awaited_end_is_an_edge_into_the_awaiting_task(join):
    timeline = run(fan_out(join)).timeline
    joins = [edge for edge in timeline.edges if edge.kind == "join"]
    assert sorted(timeline[edge.source].task for edge in joins) == sorted(set(timeline.tasks) - {"main"})
    assert {timeline[edge.target].task for edge in joins} == {"main"}


def test_a_task_that_is_not_awaited_still_races():
    async def program(recorder: Recorder) -> None:
        async def work() -> None:
            recorder.write("x", "WRITE")

        loop = asyncio.get_running_loop()
        task = loop.create_task(work(), name="w1")
        await asyncio.sleep(0.01)  # waiting a while is not synchronisation
        recorder.read("x", "READ")
        assert task.done()

    races = find_races(run(program).timeline)
    assert [(r.first.task, r.second.task) for r in races] == [("w1", "main")]


@pytest.mark.parametrize("join", JOINS)
def test_an_ordinary_recording_loop_derives_the_same_edges(join):
    recorder = Recorder()
    with asyncio.Runner(loop_factory=lambda: RecordingLoop(recorder)) as runner:
        result = runner.run(fan_out(join)(recorder))
    assert result == [1, 2]
    assert find_races(recorder.timeline()) == []


def test_installing_the_recorder_on_a_plain_loop_records_only_spawns_and_ends():
    recorder = Recorder()

    async def main() -> list[int]:
        recorder.install(asyncio.get_running_loop())
        result: list[int] = await fan_out("with gather")(recorder)
        return result

    assert asyncio.run(main()) == [1, 2]
    assert {edge.kind for edge in recorder.timeline().edges} == {"spawn"}


def test_the_controlled_loop_uses_no_private_asyncio_state():
    import inspect
    import re

    from livingspec.temporal import causality, scheduler

    source = inspect.getsource(scheduler) + inspect.getsource(causality)
    private = re.findall(
        r"\b(?:handle|timer|loop|task|arg|asyncio\.\w+)\._(?!get_running_loop|set_running_loop)\w+", source
    )
    assert private == []
    assert "BaseEventLoop" not in source and "_run_once" not in source


@given(workers=st.integers(1, 4), join=st.sampled_from(JOINS), seed=st.integers(0, 10_000))
def test_awaited_workers_never_race_with_main_under_random_schedules(workers, join, seed):
    outcome = run(fan_out_program(workers, join), RandomWalk(seed), delays="any")
    assert outcome.error is None and outcome.result == list(range(1, workers + 1))
    assert find_races(outcome.timeline) == []
    ends = {e.index for e in outcome.timeline if e.kind == "end" and e.task != "main"}
    final_reads = [e for e in outcome.timeline if e.kind == "READ"]
    assert all(outcome.timeline[end].happens_before(read) for end in ends for read in final_reads)


def test_task_group_tasks_keep_the_names_they_are_given():
    outcome = run(fan_out_program(2, "in a task group"))
    assert sorted(outcome.timeline.tasks) == ["main", "w1", "w2"]
    assert set(outcome.schedule.steps) == {"main", "w1", "w2"}
    spawns = [e.data["child"] for e in outcome.timeline if e.kind == "spawn"]
    assert spawns == ["w1", "w2"]
