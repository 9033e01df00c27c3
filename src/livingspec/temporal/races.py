"""Happens-before race detection, as in ThreadSanitizer (Serebryany and Iskhodzhanov, 2009) and
FastTrack (Flanagan and Freund, PLDI 2009).

Two accesses to the same object race when they come from different tasks, at least one is a
write, and neither happens before the other (no path of program order, task creation, join,
lock hand-over or queue put/get connects them). The detector needs only one recorded run: the
race is reported even when that run happened to produce the right answer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from livingspec.temporal.timeline import READ, WRITE, Event, Timeline


@dataclass(frozen=True)
class Race:
    """Two conflicting accesses with no happens-before path between them (``first`` is earlier in the timeline)."""

    obj: str
    first: Event
    second: Event

    def describe(self) -> str:
        """Both events, their tasks and where in the program they were produced."""
        return (
            f"race on {self.obj}: {self.first.access} {self.first.label()} at {self.first.where()} "
            f"and {self.second.access} {self.second.label()} at {self.second.where()} are not ordered by happens-before"
        )

    def record(self) -> dict[str, str]:
        """A flat row for tables."""
        return {
            "object": self.obj,
            "first event": self.first.label(),
            "first access": self.first.access or "",
            "first stack": " < ".join(str(f) for f in self.first.stack),
            "second event": self.second.label(),
            "second access": self.second.access or "",
            "second stack": " < ".join(str(f) for f in self.second.stack),
        }


def find_races(timeline: Timeline) -> list[Race]:
    """Every pair of conflicting accesses not ordered by happens-before, in timeline order."""
    by_object: dict[str, list[Event]] = defaultdict(list)
    for event in timeline.events:
        if event.obj is not None and event.access in (READ, WRITE):
            by_object[event.obj].append(event)
    races: list[Race] = []
    for obj, accesses in by_object.items():
        for j, second in enumerate(accesses):
            for first in accesses[:j]:
                if first.task == second.task or (first.access == READ and second.access == READ):
                    continue
                if not first.happens_before(second):
                    races.append(Race(obj, first, second))
    races.sort(key=lambda race: (race.second.index, race.first.index))
    return races
