"""The regex engine's costs, counted rather than timed: compile work linear in the character sets,
``find`` linear in text x automaton, POSIX classes, and the bounds on pattern size and nesting.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livingspec.nfa import (
    MAX_NESTING,
    MAX_NFA_STATES,
    MAX_PATTERN_LENGTH,
    POSIX_CLASSES,
    CharSet,
    Partition,
    PatternTooLargeError,
    RegexSyntaxError,
    Work,
    compile_regex,
    parse,
    state_count,
    transition_count,
)

re2 = pytest.importorskip("re2")


def _automaton_size(pattern: str) -> int:
    regex = compile_regex(pattern)
    return len(regex.nfa.states) + len(regex.nfa.edges())


# -- find: O(text x automaton), as RE2 guarantees --------------------------------------------------


@pytest.mark.parametrize("n", [20, 60, 200])
def test_find_enters_each_state_a_bounded_number_of_times_per_character(n: int) -> None:
    """(x?){n}x{n} on x^n: before the fix each current state had a closure of its own, O(|Q|^2) a character."""
    regex = compile_regex(f"(x?){{{n}}}x{{{n}}}")
    work = Work()
    assert regex.find("x" * n, work=work) == (0, n)
    assert work.steps == n
    per_character = work.visits / (n + 1)
    assert per_character <= 2 * _automaton_size(regex.pattern), (work, _automaton_size(regex.pattern))


def test_find_work_per_character_does_not_grow_with_the_text() -> None:
    regex = compile_regex("(a|b)*a(a|b){5}c?")
    costs = []
    for length in (100, 1000):
        work = Work()
        regex.find("ab" * (length // 2), work=work)
        costs.append(work.visits / length)
    assert costs[1] <= costs[0] * 1.1, costs


@given(st.text(alphabet="ab", max_size=40))
def test_find_is_leftmost_longest(text: str) -> None:
    """The linear find still gives the leftmost start and, there, the longest match."""
    regex = compile_regex("a|ab|(ab)*b|ba+")
    found = regex.find(text)
    spans = [(i, j) for i in range(len(text) + 1) for j in range(i, len(text) + 1) if regex.fullmatch(text[i:j])]
    expected = min(spans, key=lambda span: (span[0], -span[1])) if spans else None
    assert found == expected


# -- compile: work linear in the distinct character sets --------------------------------------------


@pytest.mark.parametrize("count", [1_000, 4_000])
def test_the_partition_of_many_distinct_characters_touches_each_interval_a_few_times(count: int) -> None:
    """Before the fix every elementary interval was compared with every set: count x (2 count + 1) checks."""
    sets = [CharSet.chars(chr(0x100 + i)) for i in range(count)]
    partition = Partition(sets)
    assert len(partition.classes) == count + 1
    assert partition.touches <= 2 * count, partition.touches


def test_negated_and_wide_sets_are_applied_through_their_smaller_complement() -> None:
    sets = [CharSet.chars(chr(0x100 + i)).negate() for i in range(2_000)]
    partition = Partition([*sets, CharSet.of((0, 0x10FFFF)), CharSet.chars("\n").negate()])
    assert len(partition.classes) == 2_002
    assert partition.touches <= 3 * len(partition.starts), partition.touches


def test_compiling_thousands_of_distinct_characters_is_linear_work() -> None:
    chars = "".join(chr(0x100 + i) for i in range(4_000))
    regex = compile_regex("|".join(chars))
    assert len(regex.partition.labels) == 4_001
    # refinement plus one look-up per set: a few touches per elementary interval
    assert regex.partition.touches <= 3 * len(regex.partition.starts)
    assert regex.fullmatch(chars[1234]) and not regex.fullmatch("a")
    assert regex.find("xx" + chars[3999]) == (2, 3)


def test_the_partition_still_separates_what_the_sets_separate() -> None:
    sets = [CharSet.of((ord("a"), ord("z"))), CharSet.chars("aeiou"), CharSet.chars("z0")]
    partition = Partition(sets)
    for first in "abez0Z":
        for second in "abez0Z":
            same = all((first in charset) == (second in charset) for charset in sets)
            assert (partition.classify(first) == partition.classify(second)) == same, (first, second)


# -- POSIX classes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(POSIX_CLASSES))
def test_each_posix_class_matches_what_re2_matches(name: str) -> None:
    ours, negated = compile_regex(f"[[:{name}:]]"), compile_regex(f"[[:^{name}:]]")
    theirs = re2.compile(f"[[:{name}:]]")
    for code in range(128):
        char = chr(code)
        expected = theirs.fullmatch(char) is not None
        assert ours.fullmatch(char) == expected, (name, char)
        assert negated.fullmatch(char) == (not expected), (name, char)


def test_posix_classes_combine_with_other_items_and_negation() -> None:
    regex = compile_regex("[[:upper:]_[:digit:]]+")
    assert regex.fullmatch("AB_9") and not regex.fullmatch("aB")
    assert compile_regex("[^[:space:]]+").fullmatch("a-b") and not compile_regex("[^[:space:]]").fullmatch(" ")
    assert compile_regex("[[:a]").fullmatch(":"), "a [: without its :] is plain characters"
    assert compile_regex("[[:upper]]").fullmatch("u]"), "as in RE2: no ':]', so '[' ':' 'u' ... then a literal ']'"


@pytest.mark.parametrize(
    ("pattern", "position", "reason"),
    [
        ("x[[:foo:]]", 2, "unknown POSIX class [:foo:]"),
        ("[a[:Upper:]]", 2, "unknown POSIX class [:Upper:]"),
        ("[[.a.]]", 1, "collating elements"),
        ("[[=e=]]", 1, "collating elements"),
        ("[[:digit:]-z]", 1, "bad character range"),
    ],
)
def test_unknown_or_unsupported_posix_forms_are_refused_at_their_position(
    pattern: str, position: int, reason: str
) -> None:
    with pytest.raises(RegexSyntaxError) as caught:
        parse(pattern)
    assert (caught.value.position, caught.value.reason.startswith(reason)) == (position, True), str(caught.value)


# -- bounds -----------------------------------------------------------------------------------------


def test_a_pattern_longer_than_the_bound_is_refused_before_it_is_read() -> None:
    with pytest.raises(PatternTooLargeError) as caught:
        parse("a" * (MAX_PATTERN_LENGTH + 1))
    assert (caught.value.size, caught.value.limit) == (MAX_PATTERN_LENGTH + 1, MAX_PATTERN_LENGTH)
    assert "characters long" in str(caught.value)
    parse("a" * MAX_PATTERN_LENGTH)


def test_nesting_beyond_the_bound_is_refused_at_the_group_that_goes_too_deep() -> None:
    parse("(" * MAX_NESTING + "a" + ")" * MAX_NESTING)
    with pytest.raises(RegexSyntaxError) as caught:
        parse("(" * (MAX_NESTING + 1) + "a" + ")" * (MAX_NESTING + 1))
    assert caught.value.position == MAX_NESTING
    assert f"at most {MAX_NESTING}" in caught.value.reason


def test_an_automaton_over_the_bound_is_refused_from_the_tree_before_building() -> None:
    with pytest.raises(PatternTooLargeError) as caught:
        compile_regex("(a{1000}){1000}")
    assert caught.value.size == state_count(parse("(a{1000}){1000}")) > MAX_NFA_STATES


@pytest.mark.parametrize(
    "pattern",
    ["", "a", "a|b|", "(ab)*c+", "a{2,5}", "(a?){3}b{2,}", "^x$|[^y]{,3}", "(?:)*", "[a-z]+@[a-z]+\\.com", ".\\W"],
)
def test_the_counts_from_the_tree_are_the_built_nfa_s(pattern: str) -> None:
    regex = compile_regex(pattern)
    assert state_count(regex.tree) == len(regex.nfa.states)
    on_symbols = sum(len(targets) for (_, symbol), targets in regex.nfa.transitions.items() if symbol is not None)
    assert transition_count(regex.tree, regex.partition) == on_symbols


def test_too_many_transitions_are_refused_from_the_tree_before_building() -> None:
    pattern = ("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" + "." * 40) * 100
    with pytest.raises(PatternTooLargeError) as caught:
        compile_regex(pattern)
    assert (caught.value.what, caught.value.size, caught.value.limit) == ("NFA transitions", 258_200, 250_000)


def test_many_open_braces_are_literal_characters() -> None:
    """Each '{' reads only the digits after it (a search for '}' from each one would be quadratic)."""
    tree = parse("{" * MAX_PATTERN_LENGTH)
    assert state_count(tree) == 2 * MAX_PATTERN_LENGTH
    regex = compile_regex("{" * 300 + "{2}")
    assert regex.fullmatch("{" * 301) and not regex.fullmatch("{" * 300)
