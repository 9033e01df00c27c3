"""Errors of temporal debugging: one root, a subclass per failure mode, each naming the bad part."""

from __future__ import annotations

from collections.abc import Sequence

from livingspec.errors import LivingSpecError


class TemporalError(LivingSpecError):
    """Root of every temporal-debugging error."""


class UnknownObjectError(TemporalError, KeyError):
    """A timeline query named an object the recorder never tracked."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name, self.known = name, tuple(known)
        super().__init__(f"no tracked object {name!r}; tracked: {', '.join(self.known) or '(none)'}")

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownEventError(TemporalError, IndexError):
    """A timeline query named an event index outside the timeline."""

    def __init__(self, index: int, size: int) -> None:
        self.index, self.size = index, size
        super().__init__(f"no event {index}: the timeline holds events 0..{size - 1}")


class ScheduleError(TemporalError, ValueError):
    """A schedule cannot be parsed or cannot be followed by the program it is replayed on."""


class ScheduleDivergedError(ScheduleError):
    """Replay asked for a task that is not ready at that step: the program or the schedule changed."""

    def __init__(self, step: int, wanted: str, ready: Sequence[str]) -> None:
        self.step, self.wanted, self.ready = step, wanted, tuple(ready)
        super().__init__(
            f"schedule diverged at step {step}: it names task {wanted!r}, but the ready tasks are "
            f"{', '.join(self.ready) or '(none)'}"
        )


class DeadlockError(TemporalError, RuntimeError):
    """No task can run and no timer is pending, yet the program has not finished."""

    def __init__(self, step: int, blocked: Sequence[str]) -> None:
        self.step, self.blocked = step, tuple(blocked)
        super().__init__(f"deadlock at step {step}: blocked task(s) {', '.join(self.blocked) or '(none)'}")


class StepLimitError(TemporalError, RuntimeError):
    """A run took more scheduling steps than its bound (a livelock or an unbounded loop)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the run exceeded its bound of {limit} scheduling steps")


class ExplorationError(TemporalError, ValueError):
    """An exploration was asked for with settings it cannot honour (a bad reduction, depth or count)."""


class NoSuchEventError(TemporalError, LookupError):
    """A timeline query asked for an event (by kind and data) that the timeline does not hold."""

    def __init__(self, wanted: str, kinds: Sequence[str]) -> None:
        self.wanted, self.kinds = wanted, tuple(kinds)
        super().__init__(f"no event {wanted} in the timeline; its kinds: {', '.join(self.kinds) or '(none)'}")


class UnknownProgramError(TemporalError, LookupError):
    """A scenario named a program that is not the one it set up (or none at all)."""


class CartOpError(TemporalError, ValueError):
    """A described cart operation is not one the cart knows (action, product or delay)."""
