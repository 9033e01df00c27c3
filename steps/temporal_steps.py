"""Steps of temporal debugging: record, order, explore and replay asyncio programs.

Phrases: the seed's shopping cart calls ...; the shopping cart calls: (table of action, product,
delay ms); the cart operations take <a> ms, <b> ms and <c> ms; the <variant> cart runs in
simulated time / under the schedule "..."; the <program> runs in simulated time / under the
schedule "..."; the explorer runs every interleaving of ... (with partial-order reduction); the
explored interleaving in which ... is replayed; the first failing interleaving is replayed; the
explorer explored <n> interleavings; the explorer found <n> interleavings that <symptom>; the race
detector names/reports ...; the cart timeline reads: (table); the cart finally holds ...; in the
timeline <event> of <product> happens before / is concurrent with ...; just after / at event <n>
the cart held ...; the causal past of ...; the scheduler refuses the schedule ...; the recorder
watches <n> threads ...; counter, cache, subscription, stored-cart and task programs; PCT samples
...; the Chrome trace ...; the OpenTelemetry export ...

Every Then step attaches the run's timeline picture, its Chrome trace and its schedule once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import parse
from behave import given, then, when

from livingspec.runner import evidence, types
from livingspec.runner.types import MULTIWORD, choice
from livingspec.runner.world import need, need_table, world
from livingspec.temporal import (
    CART_VARIANTS,
    JOINS,
    PROGRAM_NOUNS,
    CartOp,
    Exploration,
    Run,
    Schedule,
    ScheduleDivergedError,
    Search,
    Subject,
    Timeline,
    expected_items,
    explore_subject,
    find_races,
    removal_first,
    replay,
    replay_failure,
    run,
    sample_pct,
    seed_ops,
    series_svg,
    subjects,
    threaded_counter,
    timeline_svg,
    to_chrome_trace,
    to_otel_spans,
    views,
)
from livingspec.temporal import Recorder as TemporalRecorder


@parse.with_pattern(r"nothing|[^,\s][^,]*(?:,\s*[^,\s][^,]*)*")
def parse_items(text: str) -> list[str]:
    """nothing, or a comma-separated list of items (product1, product2)"""
    return [] if text == "nothing" else [part.strip() for part in text.split(",")]


@parse.with_pattern(r"grows without bound|keeps the last \d+ entries")
def parse_history(text: str) -> int | None:
    """grows without bound, or keeps the last N entries (N a whole number)"""
    return None if text == "grows without bound" else int(text.split()[3])


@parse.with_pattern(r"interleavings?")
def parse_interleavings(text: str) -> str:
    """interleaving or interleavings (so that counts of one read well)"""
    return text


types.register(
    TemporalInterleavings=parse_interleavings,
    TemporalHistory=parse_history,
    TemporalItems=parse_items,
    TemporalVariant=choice("cart variant", CART_VARIANTS, pattern=r"(?!stored\b)[\w-]+"),
    TemporalLocking=choice("locking", ["under a lock", "without a lock"], pattern=MULTIWORD),
    TemporalRelation=choice("relation", views.RELATIONS, pattern=r"happens \w+|is \w+ with"),
    TemporalProgram=choice("program", PROGRAM_NOUNS, pattern=r"(?:[\w-]+ )+program|stored cart"),
    TemporalLeakFix=choice("subscription behaviour", ["that never unsubscribes", "that unsubscribes"], MULTIWORD),
    TemporalObjects=choice("choice of objects", ["one shared object", "their own objects"], pattern=MULTIWORD),
    TemporalJoin=choice("way of waiting", JOINS, pattern=MULTIWORD),
)

LOCKED = "under a lock"
RUN_GIVEN = "When the racy cart runs in simulated time"
PROGRAM_GIVEN = "Given a counter program of 2 tasks incrementing 2 times each without a lock"
EXPLORE_GIVEN = "When the explorer runs every interleaving of the racy cart"


@dataclass
class TemporalWorld:
    """One scenario: the cart's operations, the program set up, the last run or exploration."""

    ops: list[CartOp] = field(default_factory=seed_ops)  # the cart's operations (the seed's by default)
    subject: Subject | None = None  # the program a Given set up, with its check and symptom
    outcome: Run | None = None  # the last run under the controlled loop
    timeline: Timeline | None = None  # the last recorded timeline (a run's, or the threads')
    refusal: ScheduleDivergedError | None = None  # a schedule the scheduler refused
    search: Search | None = None  # the last exploration and its racy-run count
    sampled: Exploration | None = None  # the last PCT campaign
    counter: int | None = None  # what the recorded threads counted to
    shown: Timeline | None = None  # the timeline whose evidence is attached already

    def recorded(self) -> Timeline:
        return need(self.timeline, "a recorded timeline", RUN_GIVEN)

    def ran(self) -> Run:
        return need(self.outcome, "a run of a program", RUN_GIVEN)

    def program(self, noun: str | None = None) -> Subject:
        subject = need(self.subject, "a program", PROGRAM_GIVEN)
        return subject if noun is None else subject.answers_to(noun)

    def explored(self) -> Exploration:
        return need(self.search, "an exploration", EXPLORE_GIVEN).exploration

    def keep(self, outcome: Run) -> None:
        self.outcome, self.timeline = outcome, outcome.timeline

    def use_cart(self, variant: str) -> Subject:
        self.subject = subjects.cart(variant, self.ops)
        return self.subject


def _w(context: Any) -> TemporalWorld:
    return world(context, TemporalWorld)


def _show(w: TemporalWorld) -> Timeline:
    """The recorded timeline, its picture, Chrome trace and schedule attached once."""
    _show_any(w)
    return w.recorded()


def _show_any(w: TemporalWorld) -> None:
    """Attach the timeline picture, its Chrome trace and the schedule once per recorded timeline, if any."""
    timeline = w.timeline
    if timeline is not None and w.shown is not timeline:
        w.shown = timeline
        races = find_races(timeline)
        outcome = w.outcome if w.outcome is not None and w.outcome.timeline is timeline else None
        title = f"schedule {outcome.schedule}" if outcome is not None else "recorded timeline"
        evidence.attach_svg("timeline", timeline_svg(timeline, races, title=title[:150]))
        evidence.attach_json("Chrome trace (open in ui.perfetto.dev)", to_chrome_trace(timeline, races))
        if outcome is not None:
            evidence.attach_text("schedule", str(outcome.schedule))


def _replay_refusing(w: TemporalWorld, subject: Subject, schedule: str) -> None:
    w.refusal = None
    try:
        w.keep(replay(subject.program, Schedule.parse(schedule)))
    except ScheduleDivergedError as refusal:
        w.refusal = refusal


# ---- the seed's cart ------------------------------------------------------------------------------
@given("the seed's shopping cart calls add product1, add product2 and remove product1")
def step_seed_cart(context: Any) -> None:
    """The seed's usage of the cart, with the seed's delays."""
    w = _w(context)
    w.ops = seed_ops()
    w.use_cart("racy")


@given("the shopping cart calls:")
def step_cart_calls(context: Any) -> None:
    """The user's calls, one per row: action (add or remove), product, delay ms (how long it takes)."""
    w = _w(context)
    w.ops = [
        CartOp.described(row["action"], row["product"], float(row["delay ms"]) / 1000)
        for row in need_table(context, ["action", "product", "delay ms"])
    ]
    w.use_cart("racy")


@given("the cart operations take {add1:d} ms, {add2:d} ms and {remove:d} ms")
def step_cart_delays(context: Any, add1: int, add2: int, remove: int) -> None:
    """Set how long each of the seed's cart operations takes (ms): add product1, add product2, remove product1."""
    _w(context).ops = seed_ops(
        {"add product1": add1 / 1000, "add product2": add2 / 1000, "remove product1": remove / 1000}
    )


@when("the {variant:TemporalVariant} cart runs in simulated time")
def step_cart_runs(context: Any, variant: str) -> None:
    """Run the cart once, its delays honoured, in simulated time."""
    w = _w(context)
    w.keep(run(w.use_cart(variant).program))


@when('the {variant:TemporalVariant} cart runs under the schedule "{schedule}"')
def step_cart_runs_schedule(context: Any, variant: str, schedule: str) -> None:
    """Run the cart following a schedule written down ("any: main, add-product1, ..."; a refusal is kept)."""
    w = _w(context)
    _replay_refusing(w, w.use_cart(variant), schedule)


@when("the explorer runs every interleaving of the {variant:TemporalVariant} cart")
def step_explore_cart(context: Any, variant: str) -> None:
    """Run the cart in every interleaving of its tasks (delays unknown)."""
    w = _w(context)
    w.search = explore_subject(w.use_cart(variant), "none")
    _keep_first_failure(w)


@when("the explorer runs the {variant:TemporalVariant} cart with partial-order reduction")
def step_explore_cart_dpor(context: Any, variant: str) -> None:
    """Run the cart once per interleaving that differs in the order of conflicting steps."""
    w = _w(context)
    w.search = explore_subject(w.use_cart(variant), "dpor")
    _keep_first_failure(w)


def _keep_first_failure(w: TemporalWorld) -> None:
    found = w.explored()
    if found.failures:
        w.keep(found.failures[0][0])


@when("the explored interleaving in which remove product1 completes first is replayed")
def step_replay_remove_first(context: Any) -> None:
    """Pick the failing interleaving whose first completion is the removal, and replay its schedule."""
    w = _w(context)
    w.keep(replay_failure(w.program(), w.explored(), removal_first))


@when("the first failing interleaving is replayed")
def step_replay_first_failure(context: Any) -> None:
    """Replay the schedule of the first interleaving that failed its check."""
    w = _w(context)
    w.keep(replay_failure(w.program(), w.explored()))


@then("the cart timeline reads:")
def step_cart_timeline(context: Any) -> None:
    """Compare the seed's lines (starts, completions: at ms, event, product, cart size, removed) with a table."""
    seen = views.cart_lines(_show(_w(context)))
    evidence.attach_records("cart timeline", seen)
    table = need_table(context, [], optional=["at ms", "event", "product", "cart size", "removed"])
    headings = table.headings
    want = [{h: row[h] for h in headings} for row in table]
    got = [{h: line[h] for h in headings} for line in seen]
    assert got == want, f"expected the cart timeline\n{want}\nbut it reads\n{got}"


@then("the cart finally holds {items:TemporalItems}")
def step_cart_holds(context: Any, items: list[str]) -> None:
    """Check the cart's items at the end of the run (``nothing`` or a comma-separated list)."""
    w = _w(context)
    _show(w)
    got = w.ran().result
    assert got == items, f"expected the cart to hold {items}, it holds {got}"


@then("the seed's claim that the cart loses items is corrected: it keeps {product}, which the user removed")
def step_seed_loses_items(context: Any, product: str) -> None:
    """Check the run kept a product the user's calls remove, with the removal logged as removing nothing."""
    w = _w(context)
    timeline = _show(w)
    held, intended = w.ran().result, expected_items(w.ops)
    removal = views.cart_event(timeline, "REMOVE_FROM_CART_COMPLETE", product)
    evidence.seed_correction(
        "the cart sometimes loses items; its log shows REMOVE_FROM_CART_COMPLETE of the removed product",
        f"the cart holds {', '.join(held)} where the calls leave {', '.join(intended) or 'nothing'}: it keeps "
        f"{product}; the removal completes first with removed = {removal.data.get('removed')}",
        "a removal that runs before its addition finds nothing to remove, so the item the user removed "
        "arrives afterwards; the seed's removeFromCart logs its completion only when it found the product",
    )
    assert product in held and product not in intended, (
        f"expected the cart to keep {product} against the user's calls: it holds {held}, the calls leave {intended}"
    )
    assert removal.data.get("removed") is False, f"expected the removal of {product} to remove nothing: {removal}"


@then("the cart operations complete in the order {order:Words}")
def step_cart_order(context: Any, order: list[str]) -> None:
    """Check the order of the completions (e.g. remove product1, add product1)."""
    got = views.completion_order(_show(_w(context)))
    assert got == order, f"expected completions in the order {order}, saw {got}"


@then("the cart completions happen at {times:Ints} ms")
def step_cart_times(context: Any, times: list[int]) -> None:
    """Check the simulated times of the completions (ms from the first event)."""
    got = views.completion_times_ms(_show(_w(context)))
    assert got == times, f"expected completions at {times} ms, saw {got} ms"


@then("the recorded times never decrease along the timeline")
def step_monotonic(context: Any) -> None:
    """Check that event times are monotonic in timeline order."""
    bad = views.time_reversals(_show(_w(context)))
    assert not bad, f"expected non-decreasing times, event(s) {bad} go back in time"


# ---- ordering and state --------------------------------------------------------------------------
@then("in the timeline {first} of {first_product} {relation:TemporalRelation} {second} of {second_product}")
def step_relation(
    context: Any, first: str, first_product: str, relation: str, second: str, second_product: str
) -> None:
    """Check happens-before or concurrency of two cart events, by their vector clocks.

    first, second: event kinds (ADD_TO_CART_START, ADD_TO_CART_COMPLETE, REMOVE_FROM_CART_START,
    REMOVE_FROM_CART_COMPLETE); first_product, second_product: a product of the calls table.
    """
    timeline = _show(_w(context))
    a = views.cart_event(timeline, first, first_product)
    b = views.cart_event(timeline, second, second_product)
    evidence.attach_table(
        "clocks",
        ["event", "Lamport", "vector clock"],
        [[a.label(), a.lamport, a.vclock], [b.label(), b.lamport, b.vclock]],
    )
    got = views.relation(a, b)
    assert got == relation, f"expected {a.label()} {relation} {b.label()}, but it {got} (VC {a.vclock} vs {b.vclock})"


@then("every ordered pair in the timeline has increasing Lamport clocks")
def step_lamport(context: Any) -> None:
    """Check the clock condition: a happens before b implies L(a) < L(b)."""
    bad = views.lamport_violations(_show(_w(context)))
    assert not bad, f"expected Lamport clocks to grow along happens-before, pairs {bad[:5]} do not"


@then("the timeline has {count:d} causal edges of kind {kind}")
def step_edges(context: Any, count: int, kind: str) -> None:
    """Count the causal edges of one kind: spawn (a task started another), join (awaited its end),
    wake (a task woke on what another did), lock (a lock passed on), queue (an item put then got)."""
    timeline = _show(_w(context))
    evidence.attach_records("causal edges", views.edge_records(timeline))
    edges = views.edges_of_kind(timeline, kind)
    assert len(edges) == count, f"expected {count} {kind} edges, the timeline has {len(edges)}"


@then("just after {event} of {product} the cart held {items:TemporalItems}")
def step_state_after(context: Any, event: str, product: str, items: list[str]) -> None:
    """Ask the timeline for the cart's snapshot just after a cart event.

    event: an event kind (ADD_TO_CART_START, ADD_TO_CART_COMPLETE, REMOVE_FROM_CART_START,
    REMOVE_FROM_CART_COMPLETE); product: a product of the calls table.
    """
    timeline = _show(_w(context))
    at = views.cart_event(timeline, event, product)
    got = timeline.state_at("cart", at.index)
    assert got == items, f"expected the cart at {at.label()} to hold {items}, it held {got}"


@then("at event {index:d} the cart held {items:TemporalItems}")
def step_state_at(context: Any, index: int, items: list[str]) -> None:
    """Ask the timeline for the cart at an event number (0 is the first event)."""
    timeline = _show(_w(context))
    evidence.attach_records("cart at every event", views.state_records(timeline, "cart"))
    got = timeline.state_at("cart", index)
    assert got == items, f"expected the cart at event {index} to hold {items}, it held {got}"


@then("the causal past of {kind} holds every cart start and completion")
def step_causal_past(context: Any, kind: str) -> None:
    """Check that every start and completion happens before the first event of the given kind.

    kind: an event kind of the timeline, such as CART_FINAL (the cart's last line) or
    REMOVE_FROM_CART_COMPLETE.
    """
    timeline = _show(_w(context))
    target = timeline.first(kind)
    evidence.attach_records("causal past", [e.record() for e in timeline.causal_past(target.index)])
    missing = views.causal_past_misses(timeline, target, views.cart_starts_and_completions(timeline))
    assert not missing, f"expected every start and completion in the causal past of {target.label()}, missing {missing}"


# ---- replay --------------------------------------------------------------------------------------
@then("replaying the recorded schedule again gives the same events in the same order")
def step_replay_same(context: Any) -> None:
    """Replay the run's schedule and compare every event."""
    w = _w(context)
    _show(w)
    first = w.ran()
    again = replay(w.program().program, first.schedule)
    assert again.timeline.signature() == first.timeline.signature(), (
        "expected the replay to record the same events in the same order"
    )
    assert again.schedule == first.schedule, (
        f"expected the replay to follow {first.schedule}, it followed {again.schedule}"
    )


@then("the scheduler refuses the schedule at step {step:d} naming {task}")
def step_refused(context: Any, step: int, task: str) -> None:
    """Check that replay refused a schedule that does not fit the program.

    step: the schedule's position, from 0; task: the task name the schedule asked for there.
    """
    refusal = _w(context).refusal
    assert refusal is not None, "expected the scheduler to refuse the schedule, it followed it"
    evidence.attach_text("refusal", str(refusal))
    assert (refusal.step, refusal.wanted) == (step, task), (
        f"expected a refusal at step {step} naming {task}, got: {refusal}"
    )


# ---- exploration ---------------------------------------------------------------------------------
@then("the explorer explored {count:d} {noun:TemporalInterleavings}")
def step_explored(context: Any, count: int, noun: str) -> None:
    """Check how many runs the exploration took (it must also have finished)."""
    w = _w(context)
    _show_any(w)
    found = w.explored()
    rows = [[i + 1, str(s)] for i, s in enumerate(found.schedules[:30])]
    evidence.attach_table(f"explored schedules ({found.method}, first 30)", ["run", "schedule"], rows)
    assert found.complete, f"expected the exploration to finish, it stopped after {found.runs} runs"
    assert found.runs == count, f"expected {count} interleavings explored ({found.method}), explored {found.runs}"


@then("the explorer found {count:d} {noun:TemporalInterleavings} that {symptom}")
def step_found(context: Any, count: int, noun: str, symptom: str) -> None:
    """Check how many explored interleavings showed the symptom of the program the Given set up.

    symptom: that program's own words, one of: lose the removal (a cart), lose an increment (the
    counter program), show the cache ready but empty (the cache program), lose an item of the stored
    cart (the stored cart program), fail (any other program: a run crashed).
    """
    w = _w(context)
    _show_any(w)
    subject = w.program()
    assert symptom == subject.symptom, f"the {subject.noun}'s symptom is {subject.symptom!r}, not {symptom!r}"
    failures = w.explored().failures
    evidence.attach_records(
        "failing interleavings", [{"schedule": str(o.schedule), "problem": p} for o, p in failures[:30]]
    )
    assert len(failures) == count, f"expected {count} interleavings that {symptom}, found {len(failures)}"


@then("the race detector finds a race in {count:d} of the explored interleavings")
def step_racy_runs(context: Any, count: int) -> None:
    """Check in how many explored runs the race detector reported anything."""
    w = _w(context)
    _show_any(w)
    racy = need(w.search, "an exploration", EXPLORE_GIVEN).racy_runs
    evidence.attach_table("runs with a race", ["explored", "with a race"], [[w.explored().runs, racy]])
    assert racy == count, f"expected races in {count} interleavings, found them in {racy}"


@then("the race detector names {first} by {first_task} and {second} by {second_task}")
def step_race_named(context: Any, first: str, first_task: str, second: str, second_task: str) -> None:
    """Check that a reported race pairs these two events, in either order, with their stacks.

    first, second: event kinds (ADD_TO_CART_COMPLETE, LOAD, SAVE, MARK_READY, READ, ...); first_task,
    second_task: the task that wrote each (a cart call's task is <action>-<product>, e.g.
    remove-product1; the stored cart's writers are writer1, writer2, ...).
    """
    races = find_races(_show(_w(context)))
    evidence.attach_records("races", [race.record() for race in races])
    named = views.races_between(races, (first, first_task), (second, second_task))
    assert named, (
        f"expected a race between {first} by {first_task} and {second} by {second_task}; "
        f"races: {[r.describe() for r in races]}"
    )
    assert all(r.first.stack and r.second.stack for r in named), "expected both events of the race to carry a stack"


@then("the race detector reports {count:d} races on the {obj}")
def step_race_count(context: Any, count: int, obj: str) -> None:
    """Count the races on one tracked object: cart, counter, stored cart, cache, listeners or history."""
    races = [r for r in find_races(_show(_w(context))) if r.obj == obj]
    evidence.attach_records("races", [race.record() for race in races[:40]])
    assert len(races) == count, f"expected {count} races on {obj}, the detector reports {len(races)}"


@then("the race detector reports {count:d} races in all")
def step_race_total(context: Any, count: int) -> None:
    """Count every race of the timeline, on any object."""
    races = find_races(_show(_w(context)))
    evidence.attach_records("races", [race.record() for race in races[:40]])
    assert len(races) == count, f"expected {count} races, the detector reports {len(races)}"


@then("every cart race names both events with a stack inside {function}")
def step_race_stacks(context: Any, function: str) -> None:
    """Check that each race's two events were recorded with stacks reaching the given function."""
    races = find_races(_show(_w(context)))
    evidence.attach_text("race reports", "\n".join(r.describe() for r in races))
    bad = views.races_without_function(races, function)
    assert races and not bad, (
        f"expected every race to show {function} in both stacks; not so for {bad or 'any (no races)'}"
    )


# ---- other programs ------------------------------------------------------------------------------
@when(
    "the recorder watches {threads:d} threads each increment a traced counter "
    "{increments:d} times {locking:TemporalLocking}"
)
def step_threads(context: Any, threads: int, increments: int, locking: str) -> None:
    """Run real threads incrementing a counter, recorded (under a lock or without a lock)."""
    w = _w(context)
    recorder = TemporalRecorder()
    w.counter = threaded_counter(recorder, threads, increments, locking == LOCKED)
    w.outcome, w.timeline = None, recorder.timeline()


@then("the threaded counter reads {total:d}")
def step_threaded_total(context: Any, total: int) -> None:
    """Check the counter the threads incremented."""
    w = _w(context)
    _show(w)
    counted = need(w.counter, "recorded threads", "When the recorder watches 2 threads ... under a lock")
    assert counted == total, f"expected the counter at {total}, it reads {counted}"


@given("a counter program of {tasks:d} tasks incrementing {increments:d} times each {locking:TemporalLocking}")
def step_counter_program(context: Any, tasks: int, increments: int, locking: str) -> None:
    """Tasks incrementing a shared counter, yielding between increments (under a lock or without a lock)."""
    _w(context).subject = subjects.counter(tasks, increments, locking == LOCKED)


@given("a cache warmer that marks the cache ready, then fills it after {fill:d} ms, and a reader after {read:d} ms")
def step_cache_program(context: Any, fill: int, read: int) -> None:
    """The early-publish program: ready is set before the data (delays in ms)."""
    _w(context).subject = subjects.cache(fill, read)


@given("a subscription program serving {requests:d} requests {interval:d} ms apart {fix:TemporalLeakFix}")
def step_leak_program(context: Any, requests: int, interval: int, fix: str) -> None:
    """Requests that subscribe listeners, unsubscribing them or not (interval in ms)."""
    _w(context).subject = subjects.subscriptions(requests, interval, fix == "that unsubscribes")


@given("a stored cart that {writers:d} writers each load, extend and save {locking:TemporalLocking}")
def step_stored_cart(context: Any, writers: int, locking: str) -> None:
    """Writers doing read-modify-write of a stored cart across an await (under a lock or without a lock)."""
    _w(context).subject = subjects.stored_cart(writers, locking == LOCKED)


@given("a program of tasks with {steps:Ints} steps that write {objects:TemporalObjects}")
def step_task_program(context: Any, steps: list[int], objects: str) -> None:
    """Tasks of the given step counts, writing one shared object or each its own."""
    _w(context).subject = subjects.task_steps(steps, objects == "one shared object")


@given("a fan-out program whose main task awaits {workers:d} workers {join:TemporalJoin}")
def step_fan_out_program(context: Any, workers: int, join: str) -> None:
    """Workers writing their own slots; main reads them all after waiting one by one, with gather, in a task group or by sleeping."""
    _w(context).subject = subjects.fan_out(workers, join)


@when("the {program:TemporalProgram} runs in simulated time")
def step_program_runs(context: Any, program: str) -> None:
    """Run the program set up by the Given step once, delays honoured."""
    w = _w(context)
    w.keep(run(w.program(program).program))


@when('the {program:TemporalProgram} runs under the schedule "{schedule}"')
def step_program_runs_schedule(context: Any, program: str, schedule: str) -> None:
    """Run the program set up by the Given step following a schedule written down ("any: main, t1, t2, ...")."""
    w = _w(context)
    _replay_refusing(w, w.program(program), schedule)


@when("the explorer runs every interleaving of the {program:TemporalProgram}")
def step_explore_program(context: Any, program: str) -> None:
    """Run the program in every interleaving of its tasks."""
    w = _w(context)
    w.search = explore_subject(w.program(program), "none")
    _keep_first_failure(w)


@when("the explorer runs the {program:TemporalProgram} with partial-order reduction")
def step_explore_program_dpor(context: Any, program: str) -> None:
    """Run the program once per interleaving of its conflicting steps."""
    w = _w(context)
    w.search = explore_subject(w.program(program), "dpor")
    _keep_first_failure(w)


@given("a service handling {requests:d} requests in turn, each scanning a history that {keep:TemporalHistory}")
def step_service_program(context: Any, requests: int, keep: int | None) -> None:
    """Requests whose latency depends on the size of a history (grows without bound / keeps the last N entries)."""
    _w(context).subject = subjects.service(requests, keep)


@then("the request latency rises from {first:d} ms to {last:d} ms over the timeline")
def step_latency(context: Any, first: int, last: int) -> None:
    """Check the first and last request latencies (ms) and show them over time."""
    points = views.latency_points(_show(_w(context)))
    evidence.attach_svg("latency over time", series_svg(points, "request latency", "ms"))
    got = (round(points[0][1]), round(points[-1][1]))
    assert got == (first, last), f"expected latency from {first} ms to {last} ms, saw {got[0]} ms to {got[1]} ms"


@then("the counter program returns {total:d}")
def step_counter_total(context: Any, total: int) -> None:
    """Check the counter program's result."""
    w = _w(context)
    _show(w)
    got = w.ran().result
    assert got == total, f"expected {total}, the program returned {got}"


@then("the cache reader sees {value}")
def step_cache_reader(context: Any, value: str) -> None:
    """Check what the cache reader saw (prices, ready but empty, (not ready))."""
    w = _w(context)
    _show(w)
    got = w.ran().result
    assert got == value, f"expected the reader to see {value!r}, it saw {got!r}"


@then("the stored cart holds {items:TemporalItems}")
def step_stored_holds(context: Any, items: list[str]) -> None:
    """Check the stored cart's items at the end of the run (``nothing`` or a comma-separated list)."""
    w = _w(context)
    _show(w)
    got = w.ran().result
    assert got == items, f"expected the stored cart to hold {items}, it holds {got}"


@then("the listeners grow by about {rate:d} per second over the timeline")
def step_growth(context: Any, rate: int) -> None:
    """Check the trend of the number of listeners over simulated time (listeners per second, within 0.5)."""
    timeline = _show(_w(context))
    evidence.attach_svg(
        "listeners over time", series_svg(timeline.series("listeners"), "listeners over time", "listeners")
    )
    got = timeline.growth_rate("listeners")
    assert abs(got - rate) < 0.5, f"expected growth of about {rate} listeners per second, measured {got:.2f}"


@then("the subscription program ends with {left:d} listeners")
def step_leak_left(context: Any, left: int) -> None:
    """Check how many listeners remain."""
    w = _w(context)
    _show(w)
    got = w.ran().result
    assert got == left, f"expected {left} listeners at the end, found {got}"


@then("the interleaving count is the multinomial of the task steps")
def step_multinomial(context: Any) -> None:
    """Check the count against (k1 + k2 + ...)! / (k1! k2! ...)."""
    w = _w(context)
    steps = w.program("task program").steps
    expected = views.multinomial(steps)
    evidence.attach_text(
        "by hand", f"({' + '.join(map(str, steps))})! / ({' '.join(f'{k}!' for k in steps)}) = {expected}"
    )
    runs = w.explored().runs
    assert runs == expected, f"expected {expected} interleavings by hand, explored {runs}"


# ---- sampling ------------------------------------------------------------------------------------
@when("PCT samples {runs:d} schedules of the racy cart with depth {depth:d} from seed {seed:d}")
def step_pct(context: Any, runs: int, depth: int, seed: int) -> None:
    """Sample cart schedules with PCT (runs, bug depth, first seed)."""
    w = _w(context)
    subject = w.use_cart("racy")
    w.sampled = sample_pct(subject.program, runs=runs, depth=depth, seed=seed, check=subject.check)
    if w.sampled.failures:
        w.keep(w.sampled.failures[0][0])


@then("some PCT schedules lose the removal")
def step_pct_found(context: Any) -> None:
    """Check that PCT found at least one failing schedule."""
    w = _w(context)
    found = need(w.sampled, "a PCT campaign", "When PCT samples 30 schedules of the racy cart with depth 2 from seed 7")
    evidence.attach_table(
        "PCT", ["runs", "failing", "first failing run"], [[found.runs, found.failed, found.first_failure]]
    )
    _show_any(w)
    assert found.failures, f"expected PCT to find the lost removal in {found.runs} runs, it did not"


@then("every PCT schedule that loses the removal replays to the same cart")
def step_pct_replays(context: Any) -> None:
    """Replay each failing PCT schedule and compare the cart."""
    w = _w(context)
    found = need(w.sampled, "a PCT campaign", "When PCT samples 30 schedules of the racy cart with depth 2 from seed 7")
    assert found.failures, f"expected failing PCT schedules to replay, none of {found.runs} failed"
    rows = []
    for outcome, _problem in found.failures:
        again = replay(w.program().program, outcome.schedule)
        rows.append([str(outcome.schedule), ", ".join(outcome.result), ", ".join(again.result)])
        assert again.result == outcome.result, (
            f"expected {outcome.result} on replay of {outcome.schedule}, got {again.result}"
        )
    evidence.attach_table("PCT failures replayed", ["schedule", "cart", "cart on replay"], rows[:30])


# ---- export --------------------------------------------------------------------------------------
@then("the Chrome trace names the threads {names:Words}")
def step_chrome_threads(context: Any, names: list[str]) -> None:
    """Check the thread names of the Chrome trace."""
    trace = to_chrome_trace(_show(_w(context)))
    got = [e["args"]["name"] for e in trace["traceEvents"] if e.get("name") == "thread_name"]
    assert got == names, f"expected threads {names}, the trace names {got}"


@then("the Chrome trace has one flow arrow per causal edge of the timeline")
def step_chrome_flows(context: Any) -> None:
    """Check that each causal edge is a flow start and a flow end."""
    timeline = _show(_w(context))
    events = to_chrome_trace(timeline)["traceEvents"]
    starts = sorted(e["id"] for e in events if e["ph"] == "s")
    ends = sorted(e["id"] for e in events if e["ph"] == "f")
    edges = len(timeline.edges)
    assert starts == ends and len(starts) == edges, (
        f"expected {edges} paired flow arrows, saw {len(starts)} starts and {len(ends)} ends"
    )


@then("the Chrome trace has one slice per event of the timeline")
def step_chrome_slices(context: Any) -> None:
    """Check that every event is a complete slice, in increasing time."""
    timeline = _show(_w(context))
    slices = [e for e in to_chrome_trace(timeline)["traceEvents"] if e["ph"] == "X"]
    stamps = [e["ts"] for e in slices]
    assert len(slices) == len(timeline), f"expected {len(timeline)} slices, saw {len(slices)}"
    assert stamps == sorted(set(stamps)), "expected strictly increasing slice timestamps"


@then("the OpenTelemetry export has a span per task, each cart operation a child of main")
def step_otel(context: Any) -> None:
    """Check the span tree of the OpenTelemetry export."""
    timeline = _show(_w(context))
    export = to_otel_spans(timeline)
    evidence.attach_json("OpenTelemetry spans", export)
    spans = export["resourceSpans"][0]["scopeSpans"][0]["spans"]
    by_name = {s["name"]: s for s in spans}
    assert set(by_name) == set(timeline.tasks), f"expected a span per task, got {sorted(by_name)}"
    main = by_name["main"]["spanId"]
    orphans = [n for n in by_name if n != "main" and by_name[n]["parentSpanId"] != main]
    assert not orphans, f"expected every cart operation to be a child of main, not so for {orphans}"
