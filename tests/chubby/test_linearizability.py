"""The Wing-Gong checker itself, on histories known to be (or not be) linearizable."""

import math

from livingspec.chubby.linearizability import Operation as Op
from livingspec.chubby.linearizability import is_linearizable


def test_sequential_history_is_linearizable():
    history = [Op("a", "write", "1", 0, 1), Op("b", "read", "1", 2, 3), Op("a", "write", "2", 4, 5)]
    assert is_linearizable(history, initial="0")


def test_stale_read_after_a_completed_write_is_not():
    history = [Op("a", "write", "1", 0, 1), Op("b", "read", "0", 2, 3)]
    assert not is_linearizable(history, initial="0")


def test_concurrent_read_may_see_either_value():
    assert is_linearizable([Op("a", "write", "1", 0, 10), Op("b", "read", "0", 1, 2)], initial="0")
    assert is_linearizable([Op("a", "write", "1", 0, 10), Op("b", "read", "1", 1, 2)], initial="0")


def test_reads_may_not_go_back_in_time():
    history = [
        Op("a", "write", "1", 0, 10),
        Op("b", "read", "1", 1, 2),
        Op("c", "read", "0", 3, 4),  # after b saw the new value, c may not see the old one
    ]
    assert not is_linearizable(history, initial="0")


def test_an_unanswered_write_may_or_may_not_have_happened():
    assert is_linearizable([Op("a", "write", "1", 0, math.inf), Op("b", "read", "0", 5, 6)], initial="0")
    assert is_linearizable([Op("a", "write", "1", 0, math.inf), Op("b", "read", "1", 5, 6)], initial="0")


def test_a_value_never_written_cannot_be_read():
    assert not is_linearizable([Op("b", "read", "9", 0, 1)], initial="0")


def test_a_successful_cas_needs_the_expected_value():
    assert is_linearizable([Op("a", "cas", "1", 0, 1, expected="0"), Op("b", "read", "1", 2, 3)], initial="0")
    assert not is_linearizable([Op("a", "cas", "1", 0, 1, expected="5")], initial="0")


def test_a_failed_cas_saw_another_value_and_changed_nothing():
    assert is_linearizable([Op("a", "cas", "1", 0, 1, expected="5", ok=False), Op("b", "read", "0", 2, 3)], initial="0")
    assert not is_linearizable([Op("a", "cas", "1", 0, 1, expected="0", ok=False)], initial="0")


def test_an_unanswered_cas_may_or_may_not_have_happened():
    pending = Op("a", "cas", "1", 0, math.inf, expected="0")
    assert is_linearizable([pending, Op("b", "read", "1", 5, 6)], initial="0")
    assert is_linearizable([pending, Op("b", "read", "0", 5, 6)], initial="0")
    assert not is_linearizable(
        [Op("a", "cas", "1", 0, math.inf, expected="7"), Op("b", "read", "1", 5, 6)], initial="0"
    )


def test_two_cas_from_one_value_cannot_both_succeed():
    history = [Op("a", "cas", "1", 0, 5, expected="0"), Op("b", "cas", "2", 0, 5, expected="0")]
    assert not is_linearizable(history, initial="0")
