"""Projections of a recorded timeline: the questions scenarios, reports and people ask of it.

Generic ones (how two events are ordered, where clocks or times break their rules, what an object
held at every event, the causal edges as rows) and the seed cart's own (its log lines, the order
and times of its completions, one of its events by kind and product).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import factorial
from typing import Any

from livingspec.temporal.errors import NoSuchEventError
from livingspec.temporal.races import Race
from livingspec.temporal.timeline import Edge, Event, Timeline

CART_COMPLETIONS = ("ADD_TO_CART_COMPLETE", "REMOVE_FROM_CART_COMPLETE")
RELATIONS = ("happens before", "happens after", "is concurrent with")


# ---- generic ---------------------------------------------------------------------------------------
def relation(a: Event, b: Event) -> str:
    """How ``a`` is ordered against ``b`` by happens-before: one of RELATIONS."""
    if a.happens_before(b):
        return "happens before"
    return "is concurrent with" if a.concurrent_with(b) else "happens after"


def elapsed_ms(timeline: Timeline, event: Event) -> int:
    """Milliseconds from the timeline's first event to ``event``, rounded."""
    return round((event.time - timeline.events[0].time) * 1000)


def time_reversals(timeline: Timeline) -> list[int]:
    """Indexes of events whose time is earlier than the previous event's (none on a monotonic clock)."""
    times = [e.time for e in timeline]
    return [i for i in range(1, len(times)) if times[i] < times[i - 1]]


def lamport_violations(timeline: Timeline) -> list[tuple[int, int]]:
    """Pairs (a, b) where a happens before b but L(a) >= L(b) (none: the clock condition)."""
    events = list(timeline)
    return [(a.index, b.index) for a in events for b in events if a.happens_before(b) and not a.lamport < b.lamport]


def edges_of_kind(timeline: Timeline, kind: str) -> list[Edge]:
    """The causal edges of one kind (spawn, join, wake, lock, queue)."""
    return [e for e in timeline.edges if e.kind == kind]


def edge_records(timeline: Timeline) -> list[dict[str, str]]:
    """Every causal edge as a row: kind, from event, to event."""
    return [
        {"kind": e.kind, "from": timeline[e.source].label(), "to": timeline[e.target].label()} for e in timeline.edges
    ]


def state_records(timeline: Timeline, name: str) -> list[dict[str, str]]:
    """What tracked object ``name`` held at every event, as rows (a list shown comma-separated)."""

    def shown(state: Any) -> str:
        if isinstance(state, list | tuple):
            return ", ".join(map(str, state)) or "(empty)"
        return "(untracked)" if state is None else str(state)

    return [{"event": e.label(), name: shown(timeline.state_at(name, e.index))} for e in timeline]


def causal_past_misses(timeline: Timeline, target: Event, wanted: Sequence[Event]) -> list[str]:
    """Labels of the ``wanted`` events that are not in the causal past of ``target``."""
    past = {e.index for e in timeline.causal_past(target.index)}
    return [e.label() for e in wanted if e.index not in past]


def latency_points(timeline: Timeline, kind: str = "REQUEST_DONE") -> list[tuple[float, float]]:
    """(time, latency in ms) of every request-done event."""
    return [(e.time, float(e.data["latency_ms"])) for e in timeline.where(kind=kind)]


def races_without_function(races: Sequence[Race], function: str) -> list[str]:
    """Descriptions of the races whose two stacks do not both reach ``function``."""
    return [
        r.describe()
        for r in races
        if not all(any(f.function == function for f in e.stack) for e in (r.first, r.second))
    ]


def races_between(races: Sequence[Race], first: tuple[str, str], second: tuple[str, str]) -> list[Race]:
    """The races pairing an event of kind/task ``first`` with one of kind/task ``second`` (either order)."""
    wanted = {first, second}
    return [r for r in races if {(r.first.kind, r.first.task), (r.second.kind, r.second.task)} == wanted]


def multinomial(steps: Sequence[int]) -> int:
    """(k1 + k2 + ...)! / (k1! k2! ...): the interleavings of tasks of k1, k2, ... steps."""
    count = factorial(sum(steps))
    for k in steps:
        count //= factorial(k)
    return count


# ---- the seed's cart ---------------------------------------------------------------------------------
def cart_completions(timeline: Timeline) -> list[Event]:
    """The cart's completion events in timeline order."""
    return [e for e in timeline if e.kind in CART_COMPLETIONS]


def cart_event(timeline: Timeline, kind: str, product: str) -> Event:
    """The first event of ``kind`` about ``product`` (NoSuchEventError when there is none)."""
    for event in timeline.where(kind=kind, productId=product):
        return event
    kinds = sorted({e.kind for e in timeline if "productId" in e.data})
    raise NoSuchEventError(f"{kind} of {product}", kinds)


def completion_order(timeline: Timeline) -> list[str]:
    """The completions as the user's actions: ``remove product1``, ``add product1``, ..."""
    return [
        f"{'add' if e.kind.startswith('ADD') else 'remove'} {e.data['productId']}" for e in cart_completions(timeline)
    ]


def completion_times_ms(timeline: Timeline) -> list[int]:
    """When each completion happened, in ms from the first event."""
    return [elapsed_ms(timeline, e) for e in cart_completions(timeline)]


def cart_lines(timeline: Timeline) -> list[dict[str, str]]:
    """The seed's log lines (starts and completions) as rows: at ms, event, product, cart size, removed."""
    rows = []
    for e in timeline:
        if not e.kind.endswith(("_START", "_COMPLETE")):
            continue
        removed = e.data.get("removed")
        rows.append(
            {
                "at ms": str(elapsed_ms(timeline, e)),
                "event": e.kind,
                "product": str(e.data.get("productId", "")),
                "cart size": str(e.data.get("cartSize", "")),
                "removed": "" if removed is None else ("yes" if removed else "no"),
            }
        )
    return rows


def cart_starts_and_completions(timeline: Timeline) -> list[Event]:
    """Every start and completion event of the cart."""
    return [e for e in timeline if e.kind.endswith(("_START", "_COMPLETE"))]
