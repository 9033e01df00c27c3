"""The explorer's counts against hand-computed interleavings, the reduction, and sampling."""

from __future__ import annotations

from math import factorial

import pytest

from livingspec.temporal import (
    ExplorationError,
    cart_program,
    counter_program,
    early_publish_program,
    explore,
    lost_update,
    lost_update_program,
    sample_pct,
    sample_random,
    seed_ops,
    step_program,
)


def multinomial(steps):
    count = factorial(sum(steps))
    for k in steps:
        count //= factorial(k)
    return count


@pytest.mark.parametrize("steps", [[1], [1, 1], [2, 1], [2, 2], [3, 2], [1, 2, 3], [2, 2, 2], [1, 1, 1, 1]])
def test_exhaustive_count_is_the_multinomial_of_the_task_steps(steps):
    found = explore(step_program(steps), reduction="none")
    assert found.complete
    assert found.runs == multinomial(steps)
    assert len(set(found.schedules)) == found.runs


@pytest.mark.parametrize("steps", [[2, 2], [1, 2, 3], [2, 2, 2]])
def test_independent_tasks_need_one_run_with_reduction(steps):
    assert explore(step_program(steps, shared=False), reduction="dpor").runs == 1


@pytest.mark.parametrize("steps", [[1, 1], [2, 2], [1, 2, 3]])
def test_reduction_keeps_every_order_of_conflicting_steps(steps):
    # Every step writes one object: every interleaving is its own Mazurkiewicz trace.
    assert explore(step_program(steps), reduction="dpor").runs == multinomial(steps)


def test_the_seed_cart_counts():
    ops = seed_ops({"add product1": 0.01, "add product2": 0.02, "remove product1": 0.1})
    full = explore(cart_program("racy", ops), check=lost_update(ops), reduction="none")
    reduced = explore(cart_program("racy", ops), check=lost_update(ops), reduction="dpor")
    # Three tasks of two steps each (sleep, then change the cart): 6! / (2! 2! 2!) = 90. The sleeps
    # touch nothing, so only the 3! orders of the three changes differ; the removal is lost whenever
    # it runs before add product1: 3 of the 6 orders.
    assert (full.runs, full.failed) == (90, 45)
    assert (reduced.runs, reduced.failed) == (6, 3)


def test_ordered_cart_has_one_history_and_loses_nothing():
    ops = seed_ops()
    found = explore(cart_program("ordered", ops), check=lost_update(ops), reduction="none")
    assert (found.runs, found.failed, found.complete) == (1, 0, True)


def test_lost_update_counts():
    lost = explore(lost_update_program(2), check=lambda r: None if len(r.result) == 2 else "lost", reduction="none")
    assert (lost.runs, lost.failed) == (6, 4)
    # Two tasks each reading then writing one object: the reads commute, so 4 Mazurkiewicz traces.
    reduced = explore(lost_update_program(2), check=lambda r: None if len(r.result) == 2 else "lost")
    assert (reduced.runs, reduced.failed) == (4, 2)
    locked = explore(lost_update_program(2, locked=True), check=lambda r: None if len(r.result) == 2 else "lost")
    assert locked.failed == 0


def test_stop_at_first_and_max_runs():
    ops = seed_ops({"add product1": 0.01, "add product2": 0.02, "remove product1": 0.1})
    first = explore(cart_program("racy", ops), check=lost_update(ops), reduction="none", stop_at_first=True)
    assert first.failed == 1 and first.runs == first.first_failure
    capped = explore(step_program([2, 2, 2]), reduction="none", max_runs=7)
    assert capped.runs == 7 and not capped.complete


def test_pct_and_random_walk_find_the_lost_removal():
    ops = seed_ops({"add product1": 0.01, "add product2": 0.02, "remove product1": 0.1})
    for found in (
        sample_pct(cart_program("racy", ops), runs=40, depth=2, seed=3, check=lost_update(ops)),
        sample_random(cart_program("racy", ops), runs=40, seed=3, check=lost_update(ops)),
    ):
        assert found.runs == 40
        assert 0 < found.failed < 40


def test_early_publish_has_three_traces_one_failing():
    found = explore(early_publish_program(), check=lambda r: "empty" if r.result == "ready but empty" else None)
    assert (found.runs, found.failed) == (3, 1)


def test_counter_without_lock_can_lose_increments():
    found = explore(counter_program(2, 1), check=lambda r: None if r.result == 2 else "lost", reduction="none")
    # Each increment reads and writes in one step: asyncio makes it atomic, nothing is lost.
    assert found.failed == 0


@pytest.mark.parametrize("kwargs", [{"reduction": "magic"}, {"max_runs": 0}], ids=["unknown reduction", "no runs"])
def test_bad_exploration_settings_are_refused(kwargs):
    with pytest.raises(ExplorationError):
        explore(step_program([1]), **kwargs)


def test_bad_sampling_settings_are_refused():
    with pytest.raises(ExplorationError):
        sample_pct(step_program([1]), depth=0)
    with pytest.raises(ExplorationError):
        sample_random(step_program([1]), runs=0)
