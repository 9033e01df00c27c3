"""Differential tests against Python's re, and agreement of the NFA, DFA, minimal DFA and lazy DFA.

Random expressions are drawn from the supported subset as a pair of texts: ours, and the same
expression for re, where ``$`` is written ``\\Z`` (our ``$``, like RE2's, matches only at the very
end; Python's ``$`` also matches before a final newline) and re runs with re.ASCII (our ``\\d``,
``\\w``, ``\\s`` are ASCII).
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from livingspec.nfa import LazyDFA, LineMatcher, compile_regex, equivalent
from livingspec.nfa.table import required_literal

TEXT_ALPHABET = "abc.1 \n"

LEAVES = [
    ("a", "a"),
    ("b", "b"),
    ("c", "c"),
    (".", "."),
    ("\\.", "\\."),
    ("[ab]", "[ab]"),
    ("[^a]", "[^a]"),
    ("[a-c]", "[a-c]"),
    ("[^a-b.]", "[^a-b.]"),
    ("\\d", "\\d"),
    ("\\s", "\\s"),
    ("\\W", "\\W"),
    ("\\n", "\\n"),
    ("^", "^"),
    ("$", "\\Z"),
    ("\\A", "\\A"),
    ("(?:)", "(?:)"),
]
QUANTIFIERS = ["*", "+", "?", "{2}", "{1,}", "{0,2}", "{1,3}", "{,2}", "*?", "+?", "??", "{1,2}?"]

Pair = tuple[str, str]


def _concat(parts: list[Pair]) -> Pair:
    return "".join(part[0] for part in parts), "".join(part[1] for part in parts)


def _alternate(parts: list[Pair]) -> Pair:
    return "|".join(part[0] for part in parts), "|".join(part[1] for part in parts)


def _quantify(pair: Pair, quantifier: str, capturing: bool) -> Pair:
    opening = "(" if capturing else "(?:"
    return f"{opening}{pair[0]}){quantifier}", f"{opening}{pair[1]}){quantifier}"


def _extend(children: st.SearchStrategy[Pair]) -> st.SearchStrategy[Pair]:
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(_concat),
        st.lists(children, min_size=2, max_size=3).map(_alternate),
        st.builds(_quantify, children, st.sampled_from(QUANTIFIERS), st.booleans()),
    )


patterns = st.recursive(st.sampled_from(LEAVES), _extend, max_leaves=8)
texts = st.text(alphabet=TEXT_ALPHABET, max_size=8)


@given(pair=patterns, text_list=st.lists(texts, min_size=1, max_size=6))
def test_fullmatch_and_search_agree_with_python_re(pair: Pair, text_list: list[str]) -> None:
    ours, theirs = pair
    regex = compile_regex(ours)
    reference = re.compile(theirs, re.ASCII)
    for text in text_list:
        expected_full = reference.fullmatch(text) is not None
        expected_search = reference.search(text) is not None
        assert regex.fullmatch(text) == expected_full, f"fullmatch {ours!r} on {text!r}: re says {expected_full}"
        assert regex.search(text) == expected_search, f"search {ours!r} on {text!r}: re says {expected_search}"
        assert regex.nfa_search(text) == expected_search, f"NFA search {ours!r} on {text!r}"


@settings(max_examples=40)
@given(pair=patterns, text_list=st.lists(texts, min_size=1, max_size=6))
def test_nfa_dfa_minimal_dfa_and_lazy_dfa_agree(pair: Pair, text_list: list[str]) -> None:
    regex = compile_regex(pair[0])
    tiny_cache = LazyDFA(regex.nfa, regex.partition.classify, max_states=2)  # forces the NFA fallback
    for text in text_list:
        verdict = regex.nfa_fullmatch(text)
        assert regex.dfa_fullmatch(text) == verdict, f"DFA disagrees with the NFA on {pair[0]!r}, {text!r}"
        assert regex.minimal_dfa_fullmatch(text) == verdict, f"minimal DFA disagrees on {pair[0]!r}, {text!r}"
        assert regex.fullmatch(text) == verdict, f"lazy DFA disagrees on {pair[0]!r}, {text!r}"
        assert tiny_cache.accepts(text) == verdict, f"lazy DFA with fallback disagrees on {pair[0]!r}, {text!r}"
    assert len(regex.minimal_dfa.states) <= len(regex.dfa.states)


@settings(max_examples=30)
@given(pair=patterns)
def test_the_automata_of_one_expression_are_equivalent(pair: Pair) -> None:
    regex = compile_regex(pair[0])
    assert equivalent(regex.nfa, regex.dfa).equivalent
    assert equivalent(regex.dfa, regex.minimal_dfa).equivalent


@settings(max_examples=30)
@given(first=patterns, second=patterns, text_list=st.lists(texts, max_size=12))
def test_a_counterexample_really_separates_two_expressions(first: Pair, second: Pair, text_list: list[str]) -> None:
    a, b = compile_regex(first[0]), compile_regex(second[0])
    result = a.equivalent_to(b)
    if result.equivalent:
        for text in text_list:  # equivalent: no text tells them apart
            assert a.fullmatch(text) == b.fullmatch(text), f"{first[0]!r} ~ {second[0]!r} but they differ on {text!r}"
    else:
        assert result.counterexample is not None


@settings(max_examples=60)
@given(
    pair=patterns,
    lines=st.lists(st.text(alphabet="abc.1 é", max_size=12), min_size=1, max_size=20),
    prefilter=st.sampled_from([None, True, False]),
)
def test_the_numpy_line_matcher_agrees_with_python_re(pair: Pair, lines: list[str], prefilter: bool | None) -> None:
    matcher = LineMatcher(compile_regex(pair[0]), prefilter=prefilter)
    reference = re.compile(pair[1], re.ASCII)
    expected = [reference.search(line) is not None for line in lines]
    assert matcher.match_lines("\n".join(lines)).tolist() == expected, f"literal {matcher.literal!r}"


@given(pair=patterns)
def test_every_match_contains_the_required_literal(pair: Pair) -> None:
    regex = compile_regex(pair[0])
    literal = required_literal(regex.tree)
    for text in ["", "a", "ab", "abc", "a.1", "c c", "aa\nb", "1.abc", "bca", "ccc"]:
        if regex.fullmatch(text):
            assert literal in text, f"{pair[0]!r} matches {text!r}, which lacks {literal!r}"


@settings(max_examples=150)
@given(pair=patterns, text_list=st.lists(texts, min_size=1, max_size=6))
def test_find_starts_where_python_re_starts_and_is_longest(pair: Pair, text_list: list[str]) -> None:
    regex = compile_regex(pair[0])
    reference = re.compile(pair[1], re.ASCII)
    for text in text_list:
        theirs = reference.search(text)
        ours = regex.find(text)
        assert (ours is None) == (theirs is None), f"{pair[0]!r} on {text!r}: ours {ours}, re {theirs}"
        if ours is None or theirs is None:
            continue
        start, end = ours
        assert start == theirs.start(), f"{pair[0]!r} on {text!r}: ours starts at {start}, re at {theirs.start()}"
        assert end >= theirs.end(), f"{pair[0]!r} on {text!r}: leftmost-longest ends at {end}, re at {theirs.end()}"
        if "\\Z" in pair[1]:
            continue  # re's endpos would make \Z match early: no longer-match check then
        longer = [e for e in range(end + 1, len(text) + 1) if reference.fullmatch(text, start, e)]
        assert not longer, f"{pair[0]!r} on {text!r}: a longer match from {start} ends at {longer}"
