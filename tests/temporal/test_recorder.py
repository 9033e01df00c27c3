"""The recorder outside the controlled loop, the scheduler's refusals, timeline queries and exports."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livingspec.temporal import (
    PCT,
    DeadlockError,
    Recorder,
    Schedule,
    ScheduleDivergedError,
    ScheduleError,
    StepLimitError,
    TemporalError,
    UnknownEventError,
    UnknownObjectError,
    VectorClock,
    cart_program,
    degradation_program,
    find_races,
    leak_program,
    replay,
    run,
    series_svg,
    threaded_counter,
    timeline_svg,
    to_chrome_trace,
    to_otel_spans,
)


def test_vector_clock_order():
    a = VectorClock({"t1": 1})
    b = a.tick("t1").merge({"t2": 3})
    assert a.happens_before(b) and not b.happens_before(a)
    assert VectorClock({"t1": 1}).concurrent(VectorClock({"t2": 1}))
    assert VectorClock({"t1": 0}) == VectorClock() and b["nobody"] == 0


def test_recording_on_an_ordinary_asyncio_loop():
    recorder = Recorder()

    async def main():
        recorder.install(asyncio.get_running_loop())
        lock = recorder.lock("L")
        queue = recorder.queue("q")

        async def producer():
            async with lock:
                recorder.write("x", "W1")
            await queue.put("item")

        async def consumer():
            await queue.get()
            async with lock:
                recorder.write("x", "W2")

        tasks = [asyncio.create_task(producer(), name="producer"), asyncio.create_task(consumer(), name="consumer")]
        await recorder.join(*tasks)

    asyncio.run(main())
    timeline = recorder.timeline()
    w1, w2 = timeline.first("W1"), timeline.first("W2")
    assert w1.happens_before(w2)
    assert find_races(timeline) == []
    kinds = {edge.kind for edge in timeline.edges}
    assert {"spawn", "queue", "join"} <= kinds
    assert {"producer", "consumer"} <= set(timeline.tasks)
    assert {e.data["child"] for e in timeline.where(kind="spawn")} >= {"producer", "consumer"}
    assert timeline.tasks["producer"].parent == timeline.tasks["consumer"].parent


def test_threads_are_recorded_with_spawn_and_join_edges():
    recorder = Recorder()
    assert threaded_counter(recorder, 2, 2, locked=True) == 4
    timeline = recorder.timeline()
    assert find_races(timeline) == []
    final = timeline.first("FINAL")
    assert all(e.happens_before(final) for e in timeline.where(kind="WRITE"))
    unlocked = Recorder()
    threaded_counter(unlocked, 2, 2, locked=False)
    assert len(find_races(unlocked.timeline())) == 4 * 4 - 2 * 2


def test_state_queries():
    timeline = run(cart_program("racy")).timeline
    assert timeline.state_at("cart", 0) == []
    assert timeline.state_at("cart", len(timeline) - 1) == ["product1", "product2"]
    with pytest.raises(UnknownObjectError, match="wishlist"):
        timeline.state_at("wishlist", 0)
    with pytest.raises(UnknownEventError, match="999"):
        timeline.state_at("cart", 999)
    past = timeline.causal_past(timeline.first("CART_FINAL").index)
    assert {e.kind for e in past} >= {"ADD_TO_CART_COMPLETE", "REMOVE_FROM_CART_COMPLETE"}


def test_leak_shows_as_growth():
    assert run(leak_program(10, 0.1)).timeline.growth_rate("listeners") == pytest.approx(10, abs=0.01)
    assert abs(run(leak_program(10, 0.1, unsubscribe=True)).timeline.growth_rate("listeners")) < 0.5


def test_deadlock_is_the_runs_error():
    async def program(recorder):
        lock = recorder.lock("L")
        await lock.acquire()
        await lock.acquire()

    outcome = run(program)
    assert isinstance(outcome.error, DeadlockError)
    assert "main" in str(outcome.error)


def test_step_limit():
    async def program(recorder):
        while True:
            await asyncio.sleep(0)

    outcome = run(program, max_steps=50)
    assert isinstance(outcome.error, StepLimitError)


def test_divergent_replay_is_refused_naming_the_step():
    with pytest.raises(ScheduleDivergedError, match=r"step 1.*checkout"):
        replay(cart_program("racy"), Schedule(("main", "checkout")))


def test_schedule_round_trips_through_text():
    schedule = run(cart_program("racy"), delays="any").schedule
    assert Schedule.parse(str(schedule)) == schedule


@given(st.text(max_size=60))
def test_schedule_parse_never_crashes(text):
    with contextlib.suppress(TemporalError):
        Schedule.parse(text)


def test_bad_settings_are_refused():
    with pytest.raises(ScheduleError):
        PCT(seed=0, depth=0, steps=5)
    with pytest.raises(ScheduleError):
        run(cart_program("racy"), delays="sometimes")


def test_chrome_trace_and_pictures():
    timeline = run(cart_program("racy")).timeline
    races = find_races(timeline)
    trace = json.loads(json.dumps(to_chrome_trace(timeline, races)))
    phases = {e["ph"] for e in trace["traceEvents"]}
    assert phases == {"M", "X", "s", "f"}
    assert all({"pid", "tid", "ts"} <= set(e) for e in trace["traceEvents"] if e["ph"] != "M")
    assert len(trace["otherData"]["races"]) == len(races) == 3
    ET.fromstring(timeline_svg(timeline, races))
    ET.fromstring(series_svg(timeline.series("cart"), "cart size", "items"))
    spans = to_otel_spans(timeline)["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert {s["name"] for s in spans} == set(timeline.tasks)


def test_stack_modes():
    async def program(recorder):
        recorder.log("PLAIN")
        recorder.write("x", "WRITE")

    for mode, plain, write in [("all", True, True), ("accesses", False, True), ("none", False, False)]:
        timeline = run(program, stacks=mode).timeline
        assert bool(timeline.first("PLAIN").stack) is plain
        assert bool(timeline.first("WRITE").stack) is write
    with pytest.raises(TemporalError, match="sometimes"):
        Recorder(stacks="sometimes")


def test_stacks_name_the_line_of_the_call():
    async def program(recorder):
        recorder.write("x", "HERE")
        return inspect.currentframe().f_lineno - 1

    outcome = run(program)
    frame = outcome.timeline.first("HERE").stack[0]
    assert (frame.function, frame.line) == ("program", outcome.result)


def test_degradation_shows_as_rising_latency():
    grows = run(degradation_program(10)).result
    bounded = run(degradation_program(10, keep=3)).result
    assert [round(x * 1000) for x in grows] == list(range(10, 20))
    assert [round(x * 1000) for x in bounded] == [10, 11, 12, 13, 13, 13, 13, 13, 13, 13]
