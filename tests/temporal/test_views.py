"""Timeline projections and program subjects: what the steps ask, answered by the temporal API."""

from __future__ import annotations

import pytest

from livingspec.temporal import (
    CartOp,
    NoSuchEventError,
    TemporalError,
    UnknownProgramError,
    cart_program,
    run,
    seed_ops,
    subjects,
    views,
)

SEED = seed_ops()


def _seed_timeline():
    return run(cart_program("racy", SEED)).timeline


def test_the_seed_cart_projections():
    timeline = _seed_timeline()
    assert views.completion_order(timeline) == ["remove product1", "add product1", "add product2"]
    assert views.completion_times_ms(timeline) == [43, 66, 87]
    assert [line["cart size"] for line in views.cart_lines(timeline)][3:] == ["0", "1", "2"]
    assert views.time_reversals(timeline) == [] and views.lamport_violations(timeline) == []
    start = views.cart_event(timeline, "ADD_TO_CART_START", "product1")
    done = views.cart_event(timeline, "REMOVE_FROM_CART_COMPLETE", "product1")
    assert views.relation(start, done) == "happens before" and views.relation(done, start) == "happens after"
    added = views.cart_event(timeline, "ADD_TO_CART_COMPLETE", "product1")
    assert views.relation(done, added) == "is concurrent with"


def test_a_missing_event_names_the_kinds_there_are():
    with pytest.raises(NoSuchEventError, match="ADD_TO_CART_START"):
        views.cart_event(_seed_timeline(), "CHECKOUT", "product1")


def test_state_records_show_every_event():
    timeline = _seed_timeline()
    rows = views.state_records(timeline, "cart")
    assert len(rows) == len(timeline) and rows[-1]["cart"] == "product1, product2"


def test_multinomial():
    assert views.multinomial([1, 2, 3]) == 60 and views.multinomial([2, 2]) == 6


@pytest.mark.parametrize(
    ("action", "product", "delay"), [("buy", "p1", 0.1), ("add", "", 0.1), ("add", "a,b", 0.1), ("add", "p", -1.0)]
)
def test_described_cart_operations_are_checked(action, product, delay):
    with pytest.raises(TemporalError):
        CartOp.described(action, product, delay)


def test_a_subject_answers_only_to_its_names():
    stored = subjects.stored_cart(2, False)
    assert stored.answers_to("stored cart") is stored.answers_to("stored cart program")
    with pytest.raises(UnknownProgramError, match="set up the stored cart program, not the counter program"):
        stored.answers_to("counter program")


def test_exploring_a_subject_counts_failures_and_racy_runs():
    search = subjects.explore_subject(subjects.counter(2, 1, False), "none")
    assert search.exploration.runs == 2 and search.racy_runs == 2 and search.exploration.failed == 0
    locked = subjects.explore_subject(subjects.counter(2, 1, True), "none")
    assert locked.racy_runs == 0
