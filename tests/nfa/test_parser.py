"""The regular-expression parser: positioned errors, and robustness on arbitrary text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livingspec.nfa import NFAError, PatternTooLargeError, RegexSyntaxError, compile_regex, parse


@pytest.mark.parametrize(
    ("pattern", "position", "reason"),
    [
        ("*a", 0, "nothing to repeat"),
        ("a**", 2, "multiple repeat"),
        ("a{2}*", 4, "multiple repeat"),
        ("a{3,2}", 2, "min repeat greater than max repeat"),
        ("(ab", 0, "missing )"),
        ("ab)", 2, "unbalanced parenthesis"),
        ("[a-", 0, "unterminated character set"),
        ("[z-a]", 1, "bad character range"),
        ("\\q", 0, "bad escape"),
        ("\\1", 0, "backreferences"),
        ("(?=a)", 1, "unsupported group"),
        ("^*", 1, "nothing to repeat"),
        ("a{1001}", 1, "repetition count too large"),
        ("x\\", 1, "bad escape"),
    ],
)
def test_a_syntax_error_names_its_position(pattern: str, position: int, reason: str) -> None:
    with pytest.raises(RegexSyntaxError) as caught:
        parse(pattern)
    assert caught.value.position == position, str(caught.value)
    assert reason in caught.value.reason


@pytest.mark.parametrize("pattern", ["*a", "a**", "a{3,2}", "(ab", "ab)", "[a-", "[z-a]", "\\q", "^*"])
def test_our_error_positions_are_python_s(pattern: str) -> None:
    with pytest.raises(re.error) as theirs:
        re.compile(pattern)
    with pytest.raises(RegexSyntaxError) as ours:
        parse(pattern)
    assert ours.value.position == theirs.value.pos


@pytest.mark.parametrize("pattern", ["x{", "x{a}", "a{,}", "[]a]", "[a-]", "a{,3}", "()", "(?:)*", "a|"])
def test_python_s_odd_but_valid_forms_parse(pattern: str) -> None:
    re.compile(pattern)
    parse(pattern)


@given(st.text(max_size=30))
def test_arbitrary_text_parses_or_raises_the_syntax_error(pattern: str) -> None:
    try:
        parse(pattern)
    except RegexSyntaxError as error:
        assert 0 <= error.position <= len(pattern)


@given(st.text(alphabet="ab()[]{}^$*+?|.,-\\0123456789:^", max_size=25))
def test_metacharacter_soup_parses_or_raises_the_syntax_error(pattern: str) -> None:
    try:
        regex = compile_regex(pattern)
    except RegexSyntaxError as error:
        assert 0 <= error.position <= len(pattern)
    except PatternTooLargeError:
        pass  # a legal pattern whose automaton is over the size bound
    else:
        regex.fullmatch("ab")


def test_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(RegexSyntaxError, match="nested too deeply"):
        parse("(" * 5000 + ")" * 5000)


def test_an_automaton_too_large_is_refused() -> None:
    with pytest.raises(PatternTooLargeError):
        compile_regex("((a{1000}){1000})")


def test_all_errors_share_the_root() -> None:
    assert issubclass(RegexSyntaxError, NFAError)
    assert issubclass(PatternTooLargeError, NFAError)
