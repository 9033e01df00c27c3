"""Steps of temporal debugging: record, order, explore and replay asyncio programs.

Phrases: the seed's shopping cart calls ...; the cart operations take <a> ms, <b> ms and <c> ms;
the <variant> cart runs in simulated time / under the schedule "..."; the explorer runs every
interleaving of ... (with partial-order reduction); the explored interleaving in which ... is
replayed; the first failing interleaving is replayed; the explorer explored <n> interleavings;
the explorer found <n> interleavings that <symptom>; the race detector names/reports ...; the cart
timeline reads: (table); the cart finally holds ...; in the timeline <event> of <product>
happens before / is concurrent with ...; just after / at event <n> the cart held ...; the causal
past of ...; the scheduler refuses the schedule ...; the recorder watches <n> threads ...; counter,
cache, subscription, stored-cart and task programs; PCT samples ...; the Chrome trace ...; the
OpenTelemetry export ...
"""

from __future__ import annotations

import json
from math import factorial
from typing import Any

import parse
from behave import given, then, when

from livingspec.runner import evidence
from livingspec.runner.types import register
from livingspec.temporal import (
    CartOp,
    Exploration,
    Run,
    Schedule,
    ScheduleDivergedError,
    Timeline,
    cart_program,
    counter_program,
    degradation_program,
    early_publish_program,
    explore,
    find_races,
    leak_program,
    lost_update,
    lost_update_program,
    replay,
    run,
    sample_pct,
    seed_ops,
    series_svg,
    step_program,
    threaded_counter,
    timeline_svg,
    to_chrome_trace,
    to_otel_spans,
)
from livingspec.temporal import Recorder as TemporalRecorder


@parse.with_pattern(r"racy|locked|ordered")
def parse_variant(text: str) -> str:
    """``racy``, ``locked`` or ``ordered``: which version of the seed's cart."""
    return text


@parse.with_pattern(r"under a lock|without a lock")
def parse_locking(text: str) -> bool:
    """``under a lock`` -> True, ``without a lock`` -> False."""
    return text == "under a lock"


@parse.with_pattern(r"happens before|happens after|is concurrent with")
def parse_relation(text: str) -> str:
    """How two events are ordered."""
    return text


@parse.with_pattern(r"nothing|[^,\s][^,]*(?:,\s*[^,\s][^,]*)*")
def parse_items(text: str) -> list[str]:
    """``nothing`` -> [], ``product1, product2`` -> ['product1', 'product2']."""
    return [] if text == "nothing" else [part.strip() for part in text.split(",")]


@parse.with_pattern(
    r"counter program|cache program|subscription program|service program|stored cart program|stored cart|task program"
)
def parse_program(text: str) -> str:
    """One of the example programs set up by a Given step."""
    return text


@parse.with_pattern(r"that never unsubscribes|that unsubscribes")
def parse_leak_fix(text: str) -> bool:
    """Whether the subscription program unsubscribes its listeners."""
    return text == "that unsubscribes"


@parse.with_pattern(r"one shared object|their own objects")
def parse_objects(text: str) -> bool:
    """Whether the task program's steps all write one shared object."""
    return text == "one shared object"


@parse.with_pattern(r"grows without bound|keeps the last \d+ entries")
def parse_history(text: str) -> int | None:
    """``grows without bound`` -> None, ``keeps the last 5 entries`` -> 5."""
    return None if text == "grows without bound" else int(text.split()[3])


@parse.with_pattern(r"interleavings?")
def parse_interleavings(text: str) -> str:
    """``interleaving`` or ``interleavings`` (so that counts of one read well)."""
    return text


register(
    TemporalInterleavings=parse_interleavings,
    TemporalHistory=parse_history,
    TemporalVariant=parse_variant,
    TemporalLocking=parse_locking,
    TemporalRelation=parse_relation,
    TemporalItems=parse_items,
    TemporalProgram=parse_program,
    TemporalLeakFix=parse_leak_fix,
    TemporalObjects=parse_objects,
)

LOST_REMOVAL = "lose the removal"


# ---- helpers: the world of a scenario --------------------------------------------------------------
def _ops(context: Any) -> list[CartOp]:
    if not hasattr(context, "temporal_ops"):
        context.temporal_ops = seed_ops()
    return list(context.temporal_ops)


def _use_cart(context: Any, variant: str) -> None:
    ops = _ops(context)
    context.temporal_program = cart_program(variant, ops)
    context.temporal_check = lost_update(ops)
    context.temporal_symptom = LOST_REMOVAL


def _keep(context: Any, outcome: Run) -> None:
    context.temporal_run = outcome
    context.temporal_timeline = outcome.timeline


def _show(context: Any) -> None:
    """Attach the timeline picture and its Chrome trace once per recorded timeline."""
    timeline: Timeline | None = getattr(context, "temporal_timeline", None)
    if timeline is None or getattr(context, "temporal_shown", None) is timeline:
        return
    context.temporal_shown = timeline
    races = find_races(timeline)
    outcome: Run | None = getattr(context, "temporal_run", None)
    title = f"schedule {outcome.schedule}" if outcome is not None else "recorded timeline"
    evidence.attach_svg("timeline", timeline_svg(timeline, races, title=title[:150]))
    evidence.attach_json("Chrome trace (open in ui.perfetto.dev)", to_chrome_trace(timeline, races))
    if outcome is not None:
        evidence.attach_text("schedule", str(outcome.schedule))


def _explored(context: Any) -> Exploration:
    found: Exploration = context.temporal_exploration
    return found


def _explore(context: Any, reduction: str) -> None:
    racy: list[bool] = []
    check = context.temporal_check

    def watch(outcome: Run) -> str | None:
        racy.append(bool(find_races(outcome.timeline)))
        result: str | None = check(outcome)
        return result

    context.temporal_exploration = explore(context.temporal_program, check=watch, reduction=reduction)
    context.temporal_racy_runs = sum(racy)
    found = _explored(context)
    if found.failures:
        _keep(context, found.failures[0][0])


def _completions(timeline: Timeline) -> list[Any]:
    return [e for e in timeline if e.kind in ("ADD_TO_CART_COMPLETE", "REMOVE_FROM_CART_COMPLETE")]


def _event(timeline: Timeline, kind: str, product: str) -> Any:
    matches = [e for e in timeline if e.kind == kind and e.data.get("productId") == product]
    assert matches, f"expected an event {kind} of {product} in the timeline, found none"
    return matches[0]


# ---- the seed's cart ------------------------------------------------------------------------------
@given("the seed's shopping cart calls add product1, add product2 and remove product1")
def step_seed_cart(context: Any) -> None:
    """The seed's usage of the cart, with the seed's delays."""
    context.temporal_ops = seed_ops()
    _use_cart(context, "racy")


@given("the cart operations take {add1:d} ms, {add2:d} ms and {remove:d} ms")
def step_cart_delays(context: Any, add1: int, add2: int, remove: int) -> None:
    """Set how long each cart operation's asynchronous part takes."""
    context.temporal_ops = seed_ops(
        {"add product1": add1 / 1000, "add product2": add2 / 1000, "remove product1": remove / 1000}
    )


@when("the {variant:TemporalVariant} cart runs in simulated time")
def step_cart_runs(context: Any, variant: str) -> None:
    """Run the cart once, its delays honoured, in simulated time."""
    _use_cart(context, variant)
    _keep(context, run(context.temporal_program))


@when('the {variant:TemporalVariant} cart runs under the schedule "{schedule}"')
def step_cart_runs_schedule(context: Any, variant: str, schedule: str) -> None:
    """Run the cart following a schedule written down (a refusal is kept for the Then step)."""
    _use_cart(context, variant)
    context.temporal_refusal = None
    try:
        _keep(context, replay(context.temporal_program, Schedule.parse(schedule)))
    except ScheduleDivergedError as refusal:
        context.temporal_refusal = refusal


@when("the explorer runs every interleaving of the {variant:TemporalVariant} cart")
def step_explore_cart(context: Any, variant: str) -> None:
    """Run the cart in every interleaving of its tasks (delays unknown)."""
    _use_cart(context, variant)
    _explore(context, "none")


@when("the explorer runs the {variant:TemporalVariant} cart with partial-order reduction")
def step_explore_cart_dpor(context: Any, variant: str) -> None:
    """Run the cart once per interleaving that differs in the order of conflicting steps."""
    _use_cart(context, variant)
    _explore(context, "dpor")


@when("the explored interleaving in which remove product1 completes first is replayed")
def step_replay_remove_first(context: Any) -> None:
    """Pick the failing interleaving whose first completion is the removal, and replay its schedule."""
    for outcome, _problem in _explored(context).failures:
        done = _completions(outcome.timeline)
        if done and done[0].kind == "REMOVE_FROM_CART_COMPLETE":
            _keep(context, replay(context.temporal_program, outcome.schedule))
            return
    raise AssertionError("expected an explored interleaving in which the removal completes first, found none")


@when("the first failing interleaving is replayed")
def step_replay_first_failure(context: Any) -> None:
    """Replay the schedule of the first interleaving that failed its check."""
    failures = _explored(context).failures
    assert failures, "expected at least one failing interleaving, the explorer found none"
    _keep(context, replay(context.temporal_program, failures[0][0].schedule))


@then("the cart timeline reads:")
def step_cart_timeline(context: Any) -> None:
    """Compare the seed's lines of the timeline (starts and completions) with a table; only given columns count."""
    _show(context)
    timeline: Timeline = context.temporal_timeline
    lines = [e for e in timeline if e.kind.endswith(("_START", "_COMPLETE"))]
    origin = timeline.events[0].time
    seen = []
    for e in lines:
        removed = e.data.get("removed")
        seen.append(
            {
                "at ms": str(round((e.time - origin) * 1000)),
                "event": e.kind,
                "product": str(e.data.get("productId", "")),
                "cart size": str(e.data.get("cartSize", "")),
                "removed": "" if removed is None else ("yes" if removed else "no"),
            }
        )
    evidence.attach_records("cart timeline", seen)
    headings = context.table.headings
    want = [{h: row[h] for h in headings} for row in context.table]
    got = [{h: line[h] for h in headings} for line in seen]
    assert got == want, f"expected the cart timeline\n{want}\nbut it reads\n{got}"


@then("the cart finally holds {items:TemporalItems}")
def step_cart_holds(context: Any, items: list[str]) -> None:
    """Check the cart's items at the end of the run."""
    _show(context)
    got = context.temporal_run.result
    assert got == items, f"expected the cart to hold {items}, it holds {got}"


@then("the cart operations complete in the order {order:Words}")
def step_cart_order(context: Any, order: list[str]) -> None:
    """Check the order of the completions (e.g. remove product1, add product1)."""
    _show(context)
    got = [
        f"{'add' if e.kind.startswith('ADD') else 'remove'} {e.data['productId']}"
        for e in _completions(context.temporal_timeline)
    ]
    assert got == order, f"expected completions in the order {order}, saw {got}"


@then("the cart completions happen at {times:Ints} ms")
def step_cart_times(context: Any, times: list[int]) -> None:
    """Check the simulated times of the completions."""
    _show(context)
    timeline: Timeline = context.temporal_timeline
    got = [round((e.time - timeline.events[0].time) * 1000) for e in _completions(timeline)]
    assert got == times, f"expected completions at {times} ms, saw {got} ms"


@then("the recorded times never decrease along the timeline")
def step_monotonic(context: Any) -> None:
    """Check that event times are monotonic in timeline order."""
    _show(context)
    times = [e.time for e in context.temporal_timeline]
    bad = [i for i in range(1, len(times)) if times[i] < times[i - 1]]
    assert not bad, f"expected non-decreasing times, event(s) {bad} go back in time"


# ---- ordering and state --------------------------------------------------------------------------
@then("in the timeline {first} of {first_product} {relation:TemporalRelation} {second} of {second_product}")
def step_relation(
    context: Any, first: str, first_product: str, relation: str, second: str, second_product: str
) -> None:
    """Check happens-before or concurrency of two events, by their vector clocks."""
    _show(context)
    a = _event(context.temporal_timeline, first, first_product)
    b = _event(context.temporal_timeline, second, second_product)
    evidence.attach_table(
        "clocks",
        ["event", "Lamport", "vector clock"],
        [[a.label(), a.lamport, a.vclock], [b.label(), b.lamport, b.vclock]],
    )
    got = "happens before" if a.happens_before(b) else "is concurrent with" if a.concurrent_with(b) else "happens after"
    assert got == relation, f"expected {a.label()} {relation} {b.label()}, but it {got} (VC {a.vclock} vs {b.vclock})"


@then("every ordered pair in the timeline has increasing Lamport clocks")
def step_lamport(context: Any) -> None:
    """Check the clock condition: a happens before b implies L(a) < L(b)."""
    _show(context)
    events = list(context.temporal_timeline)
    bad = [(a.index, b.index) for a in events for b in events if a.happens_before(b) and not a.lamport < b.lamport]
    assert not bad, f"expected Lamport clocks to grow along happens-before, pairs {bad[:5]} do not"


@then("the timeline has {count:d} causal edges of kind {kind}")
def step_edges(context: Any, count: int, kind: str) -> None:
    """Count the causal edges of one kind (spawn, join, lock, queue)."""
    _show(context)
    timeline: Timeline = context.temporal_timeline
    edges = [e for e in timeline.edges if e.kind == kind]
    evidence.attach_records(
        "causal edges",
        [
            {"kind": e.kind, "from": timeline[e.source].label(), "to": timeline[e.target].label()}
            for e in timeline.edges
        ],
    )
    assert len(edges) == count, f"expected {count} {kind} edges, the timeline has {len(edges)}"


@then("just after {event} of {product} the cart held {items:TemporalItems}")
def step_state_after(context: Any, event: str, product: str, items: list[str]) -> None:
    """Ask the timeline for the cart's snapshot at an event."""
    _show(context)
    at = _event(context.temporal_timeline, event, product)
    got = context.temporal_timeline.state_at("cart", at.index)
    assert got == items, f"expected the cart at {at.label()} to hold {items}, it held {got}"


@then("at event {index:d} the cart held {items:TemporalItems}")
def step_state_at(context: Any, index: int, items: list[str]) -> None:
    """Ask the timeline for the cart at an event number."""
    _show(context)
    timeline: Timeline = context.temporal_timeline
    evidence.attach_records(
        "cart at every event",
        [{"event": e.label(), "cart": ", ".join(timeline.state_at("cart", e.index)) or "(empty)"} for e in timeline],
    )
    got = timeline.state_at("cart", index)
    assert got == items, f"expected the cart at event {index} to hold {items}, it held {got}"


@then("the causal past of {kind} holds every cart start and completion")
def step_causal_past(context: Any, kind: str) -> None:
    """Check that every start and completion happens before the given event."""
    _show(context)
    timeline: Timeline = context.temporal_timeline
    target = timeline.first(kind)
    past = {e.index for e in timeline.causal_past(target.index)}
    evidence.attach_records("causal past", [e.record() for e in timeline.causal_past(target.index)])
    wanted = [e for e in timeline if e.kind.endswith(("_START", "_COMPLETE"))]
    missing = [e.label() for e in wanted if e.index not in past]
    assert not missing, f"expected every start and completion in the causal past of {target.label()}, missing {missing}"


# ---- replay --------------------------------------------------------------------------------------
@then("replaying the recorded schedule again gives the same events in the same order")
def step_replay_same(context: Any) -> None:
    """Replay the run's schedule and compare every event."""
    _show(context)
    first: Run = context.temporal_run
    again = replay(context.temporal_program, first.schedule)
    assert again.timeline.signature() == first.timeline.signature(), (
        "expected the replay to record the same events in the same order"
    )
    assert again.schedule == first.schedule, (
        f"expected the replay to follow {first.schedule}, it followed {again.schedule}"
    )


@then("the scheduler refuses the schedule at step {step:d} naming {task}")
def step_refused(context: Any, step: int, task: str) -> None:
    """Check that replay refused a schedule that does not fit the program."""
    refusal = context.temporal_refusal
    assert refusal is not None, "expected the scheduler to refuse the schedule, it followed it"
    evidence.attach_text("refusal", str(refusal))
    assert (refusal.step, refusal.wanted) == (step, task), (
        f"expected a refusal at step {step} naming {task}, got: {refusal}"
    )


# ---- exploration ---------------------------------------------------------------------------------
@then("the explorer explored {count:d} {noun:TemporalInterleavings}")
def step_explored(context: Any, count: int, noun: str) -> None:
    """Check how many runs the exploration took (it must also have finished)."""
    _show(context)
    found = _explored(context)
    rows = [[i + 1, str(s)] for i, s in enumerate(found.schedules[:30])]
    evidence.attach_table(f"explored schedules ({found.method}, first 30)", ["run", "schedule"], rows)
    assert found.complete, f"expected the exploration to finish, it stopped after {found.runs} runs"
    assert found.runs == count, f"expected {count} interleavings explored ({found.method}), explored {found.runs}"


@then("the explorer found {count:d} {noun:TemporalInterleavings} that {symptom}")
def step_found(context: Any, count: int, noun: str, symptom: str) -> None:
    """Check how many explored interleavings showed the program's symptom."""
    _show(context)
    assert symptom == context.temporal_symptom, (
        f"this program's symptom is {context.temporal_symptom!r}, not {symptom!r}"
    )
    failures = _explored(context).failures
    evidence.attach_records(
        "failing interleavings", [{"schedule": str(o.schedule), "problem": p} for o, p in failures[:30]]
    )
    assert len(failures) == count, f"expected {count} interleavings that {symptom}, found {len(failures)}"


@then("the race detector finds a race in {count:d} of the explored interleavings")
def step_racy_runs(context: Any, count: int) -> None:
    """Check in how many explored runs the race detector reported anything."""
    _show(context)
    assert context.temporal_racy_runs == count, (
        f"expected races in {count} interleavings, found them in {context.temporal_racy_runs}"
    )


@then("the race detector names {first} by {first_task} and {second} by {second_task}")
def step_race_named(context: Any, first: str, first_task: str, second: str, second_task: str) -> None:
    """Check that a reported race pairs these two events (kind and task), with their stacks."""
    _show(context)
    races = find_races(context.temporal_timeline)
    evidence.attach_records("races", [race.record() for race in races])
    wanted = {(first, first_task), (second, second_task)}
    named = [r for r in races if {(r.first.kind, r.first.task), (r.second.kind, r.second.task)} == wanted]
    assert named, (
        f"expected a race between {first} by {first_task} and {second} by {second_task}; "
        f"races: {[r.describe() for r in races]}"
    )
    assert all(r.first.stack and r.second.stack for r in named), "expected both events of the race to carry a stack"


@then("the race detector reports {count:d} races on the {obj}")
def step_race_count(context: Any, count: int, obj: str) -> None:
    """Count the races on one object."""
    _show(context)
    races = [r for r in find_races(context.temporal_timeline) if r.obj == obj]
    evidence.attach_records("races", [race.record() for race in races[:40]])
    assert len(races) == count, f"expected {count} races on {obj}, the detector reports {len(races)}"


@then("every cart race names both events with a stack inside {function}")
def step_race_stacks(context: Any, function: str) -> None:
    """Check that each race's two events were recorded with stacks reaching the given function."""
    _show(context)
    races = find_races(context.temporal_timeline)
    evidence.attach_text("race reports", "\n".join(r.describe() for r in races))
    bad = [
        r.describe()
        for r in races
        if not all(any(f.function == function for f in e.stack) for e in (r.first, r.second))
    ]
    assert races and not bad, (
        f"expected every race to show {function} in both stacks; not so for {bad or 'any (no races)'}"
    )


# ---- other programs ------------------------------------------------------------------------------
@when(
    "the recorder watches {threads:d} threads each increment a traced counter "
    "{increments:d} times {locking:TemporalLocking}"
)
def step_threads(context: Any, threads: int, increments: int, locking: bool) -> None:
    """Run real threads incrementing a counter, recorded."""
    recorder = TemporalRecorder()
    context.temporal_counter = threaded_counter(recorder, threads, increments, locking)
    context.temporal_run = None
    context.temporal_timeline = recorder.timeline()


@then("the threaded counter reads {total:d}")
def step_threaded_total(context: Any, total: int) -> None:
    """Check the counter the threads incremented."""
    _show(context)
    assert context.temporal_counter == total, f"expected the counter at {total}, it reads {context.temporal_counter}"


@given("a counter program of {tasks:d} tasks incrementing {increments:d} times each {locking:TemporalLocking}")
def step_counter_program(context: Any, tasks: int, increments: int, locking: bool) -> None:
    """Tasks incrementing a shared counter, yielding between increments."""
    context.temporal_program = counter_program(tasks, increments, locking)


@given("a cache warmer that marks the cache ready, then fills it after {fill:d} ms, and a reader after {read:d} ms")
def step_cache_program(context: Any, fill: int, read: int) -> None:
    """The early-publish program: ready is set before the data."""
    context.temporal_program = early_publish_program(fill / 1000, read / 1000)
    context.temporal_check = lambda outcome: "ready but empty" if outcome.result == "ready but empty" else None
    context.temporal_symptom = "show the cache ready but empty"


@given("a subscription program serving {requests:d} requests {interval:d} ms apart {fix:TemporalLeakFix}")
def step_leak_program(context: Any, requests: int, interval: int, fix: bool) -> None:
    """Requests that subscribe listeners, unsubscribing them or not."""
    context.temporal_program = leak_program(requests, interval / 1000, unsubscribe=fix)


@given("a stored cart that {writers:d} writers each load, extend and save {locking:TemporalLocking}")
def step_stored_cart(context: Any, writers: int, locking: bool) -> None:
    """Writers doing read-modify-write of a stored cart across an await."""
    context.temporal_program = lost_update_program(writers, locking)
    context.temporal_check = lambda outcome: None if len(outcome.result) == writers else f"saved {outcome.result}"
    context.temporal_symptom = "lose an item of the stored cart"


@given("a program of tasks with {steps:Ints} steps that write {objects:TemporalObjects}")
def step_task_program(context: Any, steps: list[int], objects: bool) -> None:
    """Tasks of the given step counts, writing one shared object or each its own."""
    context.temporal_steps = steps
    context.temporal_program = step_program(steps, shared=objects)
    context.temporal_check = lambda outcome: None
    context.temporal_symptom = "fail"


@when("the {program:TemporalProgram} runs in simulated time")
def step_program_runs(context: Any, program: str) -> None:
    """Run the program set up by the Given step once, delays honoured."""
    _keep(context, run(context.temporal_program))


@when("the explorer runs every interleaving of the {program:TemporalProgram}")
def step_explore_program(context: Any, program: str) -> None:
    """Run the program in every interleaving of its tasks."""
    _explore(context, "none")


@when("the explorer runs the {program:TemporalProgram} with partial-order reduction")
def step_explore_program_dpor(context: Any, program: str) -> None:
    """Run the program once per interleaving of its conflicting steps."""
    _explore(context, "dpor")


@given("a service handling {requests:d} requests in turn, each scanning a history that {keep:TemporalHistory}")
def step_service_program(context: Any, requests: int, keep: int | None) -> None:
    """Requests whose latency depends on the size of a history."""
    context.temporal_program = degradation_program(requests, keep)


@then("the request latency rises from {first:d} ms to {last:d} ms over the timeline")
def step_latency(context: Any, first: int, last: int) -> None:
    """Check the first and last request latencies and show them over time."""
    _show(context)
    timeline: Timeline = context.temporal_timeline
    done = timeline.where(kind="REQUEST_DONE")
    points = [(e.time, float(e.data["latency_ms"])) for e in done]
    evidence.attach_svg("latency over time", series_svg(points, "request latency", "ms"))
    got = (round(points[0][1]), round(points[-1][1]))
    assert got == (first, last), f"expected latency from {first} ms to {last} ms, saw {got[0]} ms to {got[1]} ms"


@then("the counter program returns {total:d}")
def step_counter_total(context: Any, total: int) -> None:
    """Check the counter program's result."""
    _show(context)
    assert context.temporal_run.result == total, f"expected {total}, the program returned {context.temporal_run.result}"


@then("the cache reader sees {value}")
def step_cache_reader(context: Any, value: str) -> None:
    """Check what the cache reader saw."""
    _show(context)
    assert context.temporal_run.result == value, (
        f"expected the reader to see {value!r}, it saw {context.temporal_run.result!r}"
    )


@then("the listeners grow by about {rate:d} per second over the timeline")
def step_growth(context: Any, rate: int) -> None:
    """Check the trend of the number of listeners over simulated time."""
    _show(context)
    timeline: Timeline = context.temporal_timeline
    evidence.attach_svg(
        "listeners over time", series_svg(timeline.series("listeners"), "listeners over time", "listeners")
    )
    got = timeline.growth_rate("listeners")
    assert abs(got - rate) < 0.5, f"expected growth of about {rate} listeners per second, measured {got:.2f}"


@then("the subscription program ends with {left:d} listeners")
def step_leak_left(context: Any, left: int) -> None:
    """Check how many listeners remain."""
    _show(context)
    assert context.temporal_run.result == left, (
        f"expected {left} listeners at the end, found {context.temporal_run.result}"
    )


@then("the interleaving count is the multinomial of the task steps")
def step_multinomial(context: Any) -> None:
    """Check the count against (k1 + k2 + ...)! / (k1! k2! ...)."""
    steps = context.temporal_steps
    expected = factorial(sum(steps))
    for k in steps:
        expected //= factorial(k)
    evidence.attach_text(
        "by hand", f"({' + '.join(map(str, steps))})! / ({' '.join(f'{k}!' for k in steps)}) = {expected}"
    )
    assert _explored(context).runs == expected, (
        f"expected {expected} interleavings by hand, explored {_explored(context).runs}"
    )


# ---- sampling ------------------------------------------------------------------------------------
@when("PCT samples {runs:d} schedules of the racy cart with depth {depth:d} from seed {seed:d}")
def step_pct(context: Any, runs: int, depth: int, seed: int) -> None:
    """Sample cart schedules with PCT."""
    _use_cart(context, "racy")
    context.temporal_exploration = sample_pct(
        context.temporal_program, runs=runs, depth=depth, seed=seed, check=context.temporal_check
    )
    found = _explored(context)
    if found.failures:
        _keep(context, found.failures[0][0])


@then("some PCT schedules lose the removal")
def step_pct_found(context: Any) -> None:
    """Check that PCT found at least one failing schedule."""
    _show(context)
    found = _explored(context)
    evidence.attach_table(
        "PCT", ["runs", "failing", "first failing run"], [[found.runs, found.failed, found.first_failure]]
    )
    assert found.failures, f"expected PCT to find the lost removal in {found.runs} runs, it did not"


@then("every PCT schedule that loses the removal replays to the same cart")
def step_pct_replays(context: Any) -> None:
    """Replay each failing PCT schedule and compare the cart."""
    for outcome, _problem in _explored(context).failures:
        again = replay(context.temporal_program, outcome.schedule)
        assert again.result == outcome.result, (
            f"expected {outcome.result} on replay of {outcome.schedule}, got {again.result}"
        )


# ---- export --------------------------------------------------------------------------------------
@then("the Chrome trace names the threads {names:Words}")
def step_chrome_threads(context: Any, names: list[str]) -> None:
    """Check the thread names of the Chrome trace."""
    _show(context)
    trace = json.loads(json.dumps(to_chrome_trace(context.temporal_timeline)))
    got = [e["args"]["name"] for e in trace["traceEvents"] if e.get("name") == "thread_name"]
    assert got == names, f"expected threads {names}, the trace names {got}"


@then("the Chrome trace has one flow arrow per causal edge of the timeline")
def step_chrome_flows(context: Any) -> None:
    """Check that each causal edge is a flow start and a flow end."""
    _show(context)
    events = to_chrome_trace(context.temporal_timeline)["traceEvents"]
    starts = sorted(e["id"] for e in events if e["ph"] == "s")
    ends = sorted(e["id"] for e in events if e["ph"] == "f")
    edges = len(context.temporal_timeline.edges)
    assert starts == ends and len(starts) == edges, (
        f"expected {edges} paired flow arrows, saw {len(starts)} starts and {len(ends)} ends"
    )


@then("the Chrome trace has one slice per event of the timeline")
def step_chrome_slices(context: Any) -> None:
    """Check that every event is a complete slice, in increasing time."""
    _show(context)
    slices = [e for e in to_chrome_trace(context.temporal_timeline)["traceEvents"] if e["ph"] == "X"]
    stamps = [e["ts"] for e in slices]
    assert len(slices) == len(context.temporal_timeline), (
        f"expected {len(context.temporal_timeline)} slices, saw {len(slices)}"
    )
    assert stamps == sorted(set(stamps)), "expected strictly increasing slice timestamps"


@then("the OpenTelemetry export has a span per task, each cart operation a child of main")
def step_otel(context: Any) -> None:
    """Check the span tree of the OpenTelemetry export."""
    _show(context)
    export = to_otel_spans(context.temporal_timeline)
    evidence.attach_json("OpenTelemetry spans", export)
    spans = export["resourceSpans"][0]["scopeSpans"][0]["spans"]
    by_name = {s["name"]: s for s in spans}
    assert set(by_name) == set(context.temporal_timeline.tasks), f"expected a span per task, got {sorted(by_name)}"
    main = by_name["main"]["spanId"]
    orphans = [n for n in by_name if n != "main" and by_name[n]["parentSpanId"] != main]
    assert not orphans, f"expected every cart operation to be a child of main, not so for {orphans}"
