"""Temporal debugging: record, order and replay what asynchronous code did over time.

Seed, day 13: bugs that "only happen sometimes" live in the order of events across tasks. This
package records events from asyncio tasks and threads with monotonic time, Lamport clocks and
vector clocks (Lamport 1978; Fidge 1988; Mattern 1989), the causal edges between them (task
creation, awaiting a task in any way, lock hand-over, queue put/get) and snapshots of named state,
so a timeline can be asked what an object held at any event. A happens-before race detector (as in
ThreadSanitizer) names both conflicting events and their stacks. A controlled asyncio loop in
simulated time makes every interleaving a replayable ``Schedule``; an explorer enumerates all of
them for small programs (with dynamic partial-order reduction, Flanagan and Godefroid 2005) and
PCT (Burckhardt et al., ASPLOS 2010) samples larger ones. Timelines export to Chrome trace JSON
(Perfetto), OpenTelemetry spans and SVG pictures."""

from livingspec.temporal import subjects, views
from livingspec.temporal.causality import Causality, RecordedTask, RecordingLoop
from livingspec.temporal.clocks import VectorClock
from livingspec.temporal.errors import (
    DeadlockError,
    ExplorationError,
    NoSuchEventError,
    ScheduleDivergedError,
    ScheduleError,
    StepLimitError,
    TemporalError,
    UnknownEventError,
    UnknownObjectError,
    UnknownProgramError,
)
from livingspec.temporal.explore import Exploration, crashed, explore, sample_pct, sample_random
from livingspec.temporal.export import series_svg, timeline_svg, to_chrome_trace, to_otel_spans
from livingspec.temporal.programs import (
    CART_VARIANTS,
    JOINS,
    SEED_DELAYS,
    Cart,
    CartOp,
    cart_program,
    counter_program,
    degradation_program,
    early_publish_program,
    expected_items,
    fan_out_program,
    leak_program,
    lost_update,
    lost_update_program,
    seed_ops,
    step_program,
    threaded_counter,
)
from livingspec.temporal.races import Race, find_races
from livingspec.temporal.recorder import STACK_MODES, Recorder, TracedLock, TracedQueue, TracedThread, TracedThreadLock
from livingspec.temporal.scheduler import (
    PCT,
    ControlledLoop,
    FirstReady,
    Program,
    RandomWalk,
    Replay,
    Run,
    Schedule,
    Step,
    Strategy,
    replay,
    run,
)
from livingspec.temporal.subjects import PROGRAM_NOUNS, Search, Subject, explore_subject, removal_first, replay_failure
from livingspec.temporal.timeline import READ, SYNC, WRITE, Edge, Event, Frame, TaskInfo, Timeline

__all__ = [
    "CART_VARIANTS",
    "JOINS",
    "PCT",
    "PROGRAM_NOUNS",
    "READ",
    "SEED_DELAYS",
    "STACK_MODES",
    "SYNC",
    "WRITE",
    "Cart",
    "CartOp",
    "Causality",
    "ControlledLoop",
    "DeadlockError",
    "Edge",
    "Event",
    "Exploration",
    "ExplorationError",
    "FirstReady",
    "Frame",
    "NoSuchEventError",
    "Program",
    "Race",
    "RandomWalk",
    "RecordedTask",
    "Recorder",
    "RecordingLoop",
    "Replay",
    "Run",
    "Schedule",
    "ScheduleDivergedError",
    "ScheduleError",
    "Search",
    "Step",
    "StepLimitError",
    "Strategy",
    "Subject",
    "TaskInfo",
    "TemporalError",
    "Timeline",
    "TracedLock",
    "TracedQueue",
    "TracedThread",
    "TracedThreadLock",
    "UnknownEventError",
    "UnknownObjectError",
    "UnknownProgramError",
    "VectorClock",
    "cart_program",
    "counter_program",
    "crashed",
    "degradation_program",
    "early_publish_program",
    "expected_items",
    "explore",
    "explore_subject",
    "fan_out_program",
    "find_races",
    "leak_program",
    "lost_update",
    "lost_update_program",
    "removal_first",
    "replay",
    "replay_failure",
    "run",
    "sample_pct",
    "sample_random",
    "seed_ops",
    "series_svg",
    "step_program",
    "subjects",
    "threaded_counter",
    "timeline_svg",
    "to_chrome_trace",
    "to_otel_spans",
    "views",
]
