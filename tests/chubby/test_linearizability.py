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
