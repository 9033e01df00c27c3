"""Errors that teach on the NFA steps: unknown values list the known ones, a missing Given is named."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FEATURE = """\
Feature: Mistakes a newcomer makes with automata
  Scenario: A misspelt verdict
    Given the regular expression "ab"
    Then the regular expression acepts "ab"

  Scenario: A search verdict that does not exist
    Given the regular expression "ab"
    Then the regular expression is foond in "xab"

  Scenario: An example automaton that does not exist
    Given the example NFA "even number of a"

  Scenario: An unknown POSIX class
    Then the POSIX class "[:letter:]" is the set "[A-Za-z]"

  Scenario: An unknown size bound
    When the regular expression "a" repeated 50001 times is compiled
    Then the regular expression is refused as too large: more letters than the limit of 50000

  Scenario: A run before any automaton
    Then the NFA accepts "ab"

  Scenario: A verdict on an expression before any expression
    Then the regular expression matches the whole of "ab"

  Scenario: A state after a run that never happened
    Given the example NFA "last but one is a"
    Then after 2 symbols the NFA is in the states p

  Scenario: Building before the table is given
    When the NFA is built

  Scenario: A table cell that names no symbol
    Given an NFA over the alphabet a, b starting in p and accepting in q:
      | from | on | to |
      | p    | ab | q  |
"""


def test_unknown_values_and_missing_givens_teach(behave_with) -> None:
    done = behave_with("nfa_steps.py", FEATURE)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "undefined" not in output.lower()
    assert "unknown verdict 'acepts'; known: accepts, rejects" in output
    assert "unknown search verdict 'is foond'; known: is found, is not found" in output
    assert "unknown example NFA 'even number of a'; known: seed email, corrected email" in output
    assert "unknown POSIX class 'letter'; known: alnum, alpha, ascii" in output
    assert "unknown size bound 'letters'; known: characters, NFA states, NFA transitions" in output
    assert "start with a step such as: Given an NFA over the alphabet a, b" in output
    assert 'start with a step such as: Given the regular expression "[a-z]+@[a-z]+\\.com"' in output
    assert (
        "this step needs a text the NFA read, which no earlier step gave; start with a step such as: When the NFA reads"
        in output
    )
    assert "this step needs the NFA's transitions" in output
    assert "a symbol is one character, a range like a-z, or ε; got 'ab'" in output
    assert "AttributeError" not in output
    assert "0 scenarios passed" in output, "every mistake fails its scenario"
