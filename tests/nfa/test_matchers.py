"""The line matcher, the literal prefilter, the pictures, and the lazy DFA's edges."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livingspec.nfa import (
    DFA,
    LazyDFA,
    LineMatcher,
    NondeterministicDFAError,
    PatternTooLargeError,
    RegexSyntaxError,
    compile_regex,
    compress_symbols,
    parse,
    to_dot,
    to_svg,
)
from livingspec.nfa.table import required_literal, required_literals


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        ("ERROR", "ERROR"),
        (r"timeout after \d+ ms", "timeout after "),
        (r"status=5\d\d", "status=5"),
        ("(GET|POST) /api", " /api"),
        ("a+b", "a"),
        ("(ab)+c", "ab"),
        ("(ab){3}", "ababab"),
        ("x?y", "y"),
        ("^ab$", "ab"),
        ("a|b", ""),
        ("(abc|abc)d", "abcd"),
        ("[ab]", ""),
    ],
)
def test_the_required_literal(pattern: str, literal: str) -> None:
    assert required_literal(parse(pattern)) == literal


def test_all_required_literals_longest_first() -> None:
    assert required_literals(parse("^2026-11-2[0-9]T0[0-3]:.*WARN.*$")) == ["2026-11-2", "WARN", "T0", ":"]


@pytest.mark.parametrize("prefilter", [None, True, False])
def test_the_line_matcher_on_awkward_texts(prefilter: bool | None) -> None:
    matcher = LineMatcher(compile_regex("é+x|^$"), prefilter=prefilter)
    text = "ééx\n\nabc\nzéx\n𝄞éx\nno"
    expected = [re.search("é+x|^$", line) is not None for line in text.split("\n")]
    assert matcher.match_lines(text).tolist() == expected
    assert matcher.match_lines("").tolist() == [True]
    assert matcher.count("x\nx") == 0


def test_a_rare_literal_prefilters_and_a_common_one_does_not() -> None:
    matcher = LineMatcher(compile_regex(r"WARN \d+"))
    rare = "\n".join("INFO 1" if i % 10 else "WARN 7" for i in range(200))
    common = "\n".join("WARN x" if i % 10 else "WARN 7" for i in range(200))
    assert matcher._choose_literal(rare) == "WARN "
    assert matcher._choose_literal(common) == ""
    assert matcher.count(rare) == matcher.count(common) == 20


@given(st.lists(st.text(alphabet="ab\u00e9\U0001d11e ", max_size=8), min_size=1, max_size=30))
def test_the_line_matcher_counts_like_re_with_and_without_prefilter(lines: list[str]) -> None:
    text = "\n".join(lines)
    expected = sum(re.search("a\u00e9?b", line) is not None for line in lines)
    for prefilter in (True, False):
        assert LineMatcher(compile_regex("a\u00e9?b"), prefilter=prefilter).count(text) == expected


def test_compress_symbols_makes_ranges() -> None:
    assert compress_symbols(list("abcdxz@")) == "@, a-d, x, z"
    assert compress_symbols(["[^a]", "b"]) == "b, [^a]"


def test_pictures_of_a_dfa_and_of_an_expression() -> None:
    regex = compile_regex("(a|b)*abb")
    dot = regex.to_dot(regex.minimal_dfa)
    svg = regex.to_svg(regex.minimal_dfa)
    assert dot.count("doublecircle") == 1
    assert "[a-b]" not in dot  # single classes keep their own names
    assert svg.count("<circle") == 4 + 1  # four states, one inner circle for the accept state
    plain = to_dot(regex.nfa)
    assert plain.count("->") == len({(s, t) for s, _, t in regex.nfa.edges()}) + 1
    assert to_svg(regex.nfa).startswith("<svg")


def test_a_dfa_refuses_epsilon_moves() -> None:
    with pytest.raises(NondeterministicDFAError):
        DFA({0, 1}, {"a"}, {(0, None): 1}, 0, {1})  # type: ignore[dict-item]


def test_the_lazy_dfa_needs_room_for_its_start_state() -> None:
    regex = compile_regex("a")
    with pytest.raises(ValueError, match="at least"):
        LazyDFA(regex.nfa, max_states=0)


def test_the_lazy_dfa_reuses_cached_transitions() -> None:
    regex = compile_regex("(ab)*")
    assert regex.fullmatch("abab")
    built = regex.lazy.stats.states
    assert regex.fullmatch("ababababab")
    assert regex.lazy.stats.states == built
    assert regex.lazy.stats.hits > 0


def test_search_stops_as_soon_as_a_match_is_certain() -> None:
    regex = compile_regex("needle")
    assert regex.search("a needle" + "x" * 10_000)
    assert regex.lazy_search.stats.hits + regex.lazy_search.stats.misses < 20


@settings(max_examples=40)
@given(st.text(alphabet="ab()[]{}^$*+?|.,-\\0123456789", max_size=20))
def test_compiling_arbitrary_text_never_fails_otherwise(pattern: str) -> None:
    try:
        regex = compile_regex(pattern)
    except (RegexSyntaxError, PatternTooLargeError):
        return
    assert regex.fullmatch("a1") == regex.nfa_fullmatch("a1")
