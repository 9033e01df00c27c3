"""Fuzzing the regex parser and matchers with arbitrary pattern strings and texts.

Three properties, on strings no grammar shaped (metacharacter soup and arbitrary Unicode):
- only the project's own errors: a pattern compiles (and builds its line matcher) or raises an NFAError,
  never anything else;
- bounded work: the NFA is the size the tree predicts, under the bounds, and matching does a
  counted amount of work per character (no timing: the counts are the bound);
- where Python's re accepts the same pattern (without warnings), the verdicts are re's: full
  match, search, and where the leftmost match starts; where RE2 accepts it (RE2 has the POSIX
  classes Python lacks), the verdicts are RE2's.
The quick profile runs locally, the thorough one under CI (tests/conftest.py).
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from livingspec.nfa import (
    MAX_NFA_STATES,
    POSIX_CLASSES,
    LineMatcher,
    NFAError,
    Regex,
    Work,
    compile_regex,
    state_count,
)

#: Characters that make the parser work: every metacharacter, escapes, digits for counts, POSIX brackets.
SOUP = "ab()[]{}^$*+?|.,-:=\\0129dDwWsSAZnxt"
TEXT = "ab1 -:\n"

soup_patterns = st.text(alphabet=SOUP, max_size=24)
#: Bracket expressions built from POSIX classes and the characters around them.
bracket_patterns = st.lists(
    st.sampled_from(["[", "]", "^", "-", "a", "+", *(f"[:{name}:]" for name in POSIX_CLASSES), "[:^digit:]"]),
    max_size=8,
).map("".join)
any_patterns = st.text(max_size=24)
texts = st.lists(st.text(alphabet=TEXT, max_size=10), min_size=1, max_size=5)


def _compile_or_our_error(pattern: str) -> Regex | None:
    """The compiled pattern, or None when it raised one of the project's errors (anything else fails)."""
    try:
        return compile_regex(pattern)
    except NFAError:
        return None


def _check_bounded_work(regex: Regex, text: str) -> None:
    """Matching costs what the automaton's size and the text's length allow, counted."""
    size = len(regex.nfa.states) + len(regex.nfa.edges())
    work = Work()
    regex.find(text, work=work)
    assert work.steps <= len(text)
    assert work.visits <= 2 * (len(text) + 1) * size, (regex.pattern, text, work, size)
    misses = regex.lazy.stats.misses
    regex.fullmatch(text)
    assert regex.lazy.stats.misses - misses <= len(text), "the lazy DFA builds at most one transition per character"


@example(pattern="[[:upper:]]", text_list=["A"])
@example(pattern="(((a{9}){9}){9}){9}", text_list=["a"])
@example(pattern="(" * 200, text_list=[""])
@given(pattern=st.one_of(soup_patterns, any_patterns), text_list=texts)
def test_any_pattern_compiles_or_raises_our_error_and_matches_with_bounded_work(
    pattern: str, text_list: list[str]
) -> None:
    regex = _compile_or_our_error(pattern)
    if regex is None:
        return
    assert len(regex.nfa.states) == state_count(regex.tree) <= MAX_NFA_STATES
    for text in text_list:
        verdict = regex.nfa_fullmatch(text)
        assert regex.fullmatch(text) == verdict, (pattern, text)
        found = regex.search(text)
        assert regex.nfa_search(text) == found, (pattern, text)
        assert (regex.find(text) is not None) == found, (pattern, text)
        _check_bounded_work(regex, text)


@example(pattern="(a|b)*a(a|b){6}", text_list=["abababab", "b"])
@given(pattern=st.one_of(soup_patterns, any_patterns), text_list=texts)
def test_the_line_matcher_agrees_with_search_or_raises_our_error(pattern: str, text_list: list[str]) -> None:
    """grep over any pattern: the numpy table and the lazy DFA's search name the same lines."""
    regex = _compile_or_our_error(pattern)
    if regex is None:
        return
    try:
        matcher = LineMatcher(regex)
    except NFAError:
        return  # a search DFA over its size bound: refused, not built
    lines = "\n".join(text_list).split("\n")
    assert matcher.match_lines("\n".join(lines)).tolist() == [regex.search(line) for line in lines], pattern


def _python(pattern: str) -> re.Pattern[str] | None:
    """Python's compiled pattern, or None where re refuses it or warns (a nested set, say)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return re.compile(pattern, re.ASCII)
        except (re.error, Warning, OverflowError, RecursionError):
            return None


@example(pattern="a|ab", text_list=["xab"])
@example(pattern="x{,2}$", text_list=["xx", "xxx"])
@example(pattern="[^\\d-]+", text_list=["a-1"])
@given(pattern=soup_patterns, text_list=texts)
def test_where_python_s_re_accepts_the_pattern_the_verdicts_are_re_s(pattern: str, text_list: list[str]) -> None:
    ours = _compile_or_our_error(pattern)
    theirs = _python(pattern)
    assume(ours is not None and theirs is not None)
    assert ours is not None and theirs is not None
    assume(state_count(ours.tree) <= 400)  # keeps Python's backtracking cheap on nested repeats
    for text in text_list:
        if "$" in pattern and text.endswith("\n"):
            continue  # re's $ also matches before a final newline; ours (like RE2's) only at the end
        assert ours.fullmatch(text) == (theirs.fullmatch(text) is not None), (pattern, text)
        reference = theirs.search(text)
        assert ours.search(text) == (reference is not None), (pattern, text)
        found = ours.find(text)
        if found is not None and reference is not None:
            assert found[0] == reference.start(), (pattern, text, found, reference)
            assert found[1] >= reference.end(), (pattern, text, found, reference)


re2 = pytest.importorskip("re2")
_QUIET = re2.Options()
_QUIET.log_errors = False


def _re2(pattern: str) -> Any:
    """RE2's compiled pattern, or None where RE2 refuses it (or reads it differently: ``{,n}`` is literal there)."""
    if "{," in pattern:
        return None
    try:
        return re2.compile(pattern, options=_QUIET)
    except re2.error:
        return None


@example(pattern="[[:upper:]_[:digit:]]+", text_list=["A_1", "a"])
@example(pattern="[^[:space:]]+$", text_list=["a-b", "a b"])
@given(pattern=st.one_of(soup_patterns, bracket_patterns), text_list=texts)
def test_where_re2_accepts_the_pattern_the_verdicts_are_re2_s(pattern: str, text_list: list[str]) -> None:
    ours, theirs = _compile_or_our_error(pattern), _re2(pattern)
    assume(ours is not None and theirs is not None)
    assert ours is not None and theirs is not None
    for text in text_list:
        assert ours.fullmatch(text) == (theirs.fullmatch(text) is not None), (pattern, text)
        assert ours.search(text) == (theirs.search(text) is not None), (pattern, text)
