"""The shipped programs as subjects of a scenario: a program, what counts as its failure, and the
words scenarios use for it and for its symptom.

A subject is what a scenario sets up once and then runs in simulated time, under a schedule
written down, or across every interleaving. Every shipped program is a preset of the same
description: a ``Subject`` of a noun, a program, a check and a symptom.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from livingspec.temporal.errors import ExplorationError, UnknownProgramError
from livingspec.temporal.explore import Check, Exploration, crashed, explore
from livingspec.temporal.programs import (
    CartOp,
    cart_program,
    counter_program,
    degradation_program,
    early_publish_program,
    fan_out_program,
    leak_program,
    lost_update,
    lost_update_program,
    step_program,
)
from livingspec.temporal.races import find_races
from livingspec.temporal.scheduler import Program, Run, replay
from livingspec.temporal.views import cart_completions

#: How scenarios name the shipped programs (the carts are named by variant: "the racy cart").
PROGRAM_NOUNS = (
    "counter program",
    "cache program",
    "subscription program",
    "service program",
    "stored cart program",
    "stored cart",
    "task program",
    "fan-out program",
)


@dataclass(frozen=True)
class Subject:
    """A program under test: ``nouns`` are the names scenarios give it, ``symptom`` what its check finds."""

    nouns: tuple[str, ...]
    program: Program
    check: Check = crashed
    symptom: str = "fail"
    steps: tuple[int, ...] = field(default=())  # the task program's step counts

    @property
    def noun(self) -> str:
        """Its main name."""
        return self.nouns[0]

    def answers_to(self, noun: str) -> Subject:
        """Itself, when ``noun`` is one of its names; otherwise UnknownProgramError naming what was set up."""
        if noun not in self.nouns:
            raise UnknownProgramError(f"the scenario set up the {self.noun}, not the {noun}")
        return self


def cart(variant: str, ops: Sequence[CartOp]) -> Subject:
    """The seed's cart in one of its variants; it fails when the removal is lost."""
    return Subject((f"{variant} cart",), cart_program(variant, ops), lost_update(ops), "lose the removal")


def counter(tasks: int, increments: int, locked: bool) -> Subject:
    """Tasks incrementing a shared counter; it fails when an increment is lost."""
    total = tasks * increments

    def check(run: Run) -> str | None:
        if run.error is not None:
            return crashed(run)
        return None if run.result == total else f"counter reads {run.result}, not {total}"

    return Subject(("counter program",), counter_program(tasks, increments, locked), check, "lose an increment")


def cache(fill_ms: int, read_ms: int) -> Subject:
    """The early-publish cache; it fails when the reader sees it ready but empty."""

    def check(run: Run) -> str | None:
        return "ready but empty" if run.result == "ready but empty" else crashed(run)

    program = early_publish_program(fill_ms / 1000, read_ms / 1000)
    return Subject(("cache program",), program, check, "show the cache ready but empty")


def subscriptions(requests: int, interval_ms: int, unsubscribe: bool) -> Subject:
    """Requests subscribing listeners, unsubscribing them or not."""
    program = leak_program(requests, interval_ms / 1000, unsubscribe=unsubscribe)
    return Subject(("subscription program",), program)


def service(requests: int, keep: int | None) -> Subject:
    """Requests scanning a history that grows or keeps its last entries."""
    return Subject(("service program",), degradation_program(requests, keep))


def stored_cart(writers: int, locked: bool) -> Subject:
    """Writers loading, extending and saving a stored cart; it fails when an item is lost."""

    def check(run: Run) -> str | None:
        if run.error is not None:
            return crashed(run)
        return None if len(run.result) == writers else f"saved {run.result}"

    program = lost_update_program(writers, locked)
    return Subject(("stored cart program", "stored cart"), program, check, "lose an item of the stored cart")


def task_steps(steps: Sequence[int], shared: bool) -> Subject:
    """Tasks of the given step counts writing one shared object or their own."""
    return Subject(("task program",), step_program(steps, shared=shared), steps=tuple(steps))


def fan_out(workers: int, join: str) -> Subject:
    """Workers whose main task waits for them one by one, with gather, in a task group or by sleeping."""
    return Subject(("fan-out program",), fan_out_program(workers, join))


@dataclass
class Search:
    """An exploration of a subject and in how many of its runs the race detector found a race."""

    exploration: Exploration
    racy_runs: int


def explore_subject(subject: Subject, reduction: str, symptom: str | None = None) -> Search:
    """Run the subject in every interleaving, checking each run and counting the runs with races."""
    if symptom is not None and symptom != subject.symptom:
        raise ExplorationError(f"the {subject.noun}'s symptom is {subject.symptom!r}, not {symptom!r}")
    racy: list[bool] = []

    def watch(run: Run) -> str | None:
        racy.append(bool(find_races(run.timeline)))
        return subject.check(run)

    return Search(explore(subject.program, check=watch, reduction=reduction), sum(racy))


def removal_first(run: Run) -> bool:
    """Whether the cart's first completion in this run is the removal."""
    done = cart_completions(run.timeline)
    return bool(done) and done[0].kind == "REMOVE_FROM_CART_COMPLETE"


def replay_failure(subject: Subject, found: Exploration, where: Callable[[Run], bool] = lambda run: True) -> Run:
    """Replay the first failing run of an exploration that satisfies ``where``."""
    for outcome, _problem in found.failures:
        if where(outcome):
            return replay(subject.program, outcome.schedule)
    raise ExplorationError(f"none of the {found.failed} failing interleavings fits what was asked")


def with_check(subject: Subject, check: Check, symptom: str) -> Subject:
    """The same program judged by another check."""
    return replace(subject, check=check, symptom=symptom)
