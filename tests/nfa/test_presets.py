"""Automata described as tables, and the named examples that are presets of the same description."""

from __future__ import annotations

import pytest

from livingspec.nfa import (
    EPSILON,
    PRESETS,
    Description,
    DescriptionError,
    UndeclaredStateError,
    compile_regex,
    equivalent,
    parse_symbols,
    subset_construction,
)


def test_symbols_cells_expand_ranges_lists_and_epsilon() -> None:
    assert parse_symbols("a-c, @") == ["a", "b", "c", "@"]
    assert parse_symbols("ε") == [EPSILON]
    assert parse_symbols("") == [","]


@pytest.mark.parametrize("cell", ["ab", "z-a", "a-", "epsilonn"])
def test_a_cell_that_names_no_symbol_is_the_description_s_error(cell: str) -> None:
    with pytest.raises(DescriptionError, match="a symbol is one character"):
        parse_symbols(cell)


def test_a_table_written_out_builds_the_same_automaton_as_its_preset() -> None:
    written = Description.of(
        "a, b", "p", "s", [("p", "a", "p, q"), ("p", "b", "p"), ("q", "a, b", "r"), ("r", "a-b", "s")]
    )
    preset = PRESETS["third from the end is a"]
    assert written.transitions() == preset.transitions()
    assert equivalent(written.build(), preset.build()).equivalent


def test_the_seed_s_email_automaton_is_refused_and_the_corrected_one_is_the_expression() -> None:
    with pytest.raises(UndeclaredStateError) as caught:
        PRESETS["seed email"].build()
    assert caught.value.states == {"c", "o"}
    corrected = PRESETS["corrected email"].build()
    expression = compile_regex(r"[a-z]+@[a-z]+\.com")
    assert equivalent(corrected, expression.over_alphabet(corrected.alphabet)).equivalent


def test_the_third_symbol_from_the_end_needs_eight_dfa_states() -> None:
    automaton = PRESETS["third from the end is a"].build()
    assert (len(automaton.states), len(subset_construction(automaton).states)) == (4, 8)


@pytest.mark.parametrize("name", sorted(set(PRESETS) - {"seed email"}))
def test_every_other_preset_is_a_valid_automaton(name: str) -> None:
    automaton = PRESETS[name].build()
    assert automaton.start in automaton.states and automaton.accepting <= automaton.states
